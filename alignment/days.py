"""The company's day: the calendar every figure counts in (the daily roll-ups, the scorecard's
periods, the dashboard's periods and the digest's weeks), in the company's time zone
(`settings.TIME_ZONE`), whatever the user's or the database's."""

import zoneinfo
from datetime import date, datetime

from django.conf import settings
from django.utils import formats, timezone


def company_tz() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def company_day(at: datetime) -> date:
    """The company's day of the moment `at`."""
    return timezone.localdate(at, company_tz())


def company_today(now: datetime | None = None) -> date:
    """The company's day now (or at `now`)."""
    return company_day(now or timezone.now())


def date_text(value: date | datetime, format_name: str = "DATE_FORMAT") -> str:
    """A day or a moment written in the house format (alignment/formats), for strings made in
    Python (notification messages, timeline notes, names): "7 Dec 2026", or with
    `"SHORT_DATETIME_FORMAT"` "7 Dec 2026, 14:05" in the company's time zone, as the `date`
    filter writes them on pages."""
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, format_name)


# What a date field says when it cannot read what it was given: the house format, and the ISO form
# a browser's date picker and an API client send.
DAY_HINT = "Enter a day such as 31 Dec 2026 (or 2026-12-31)."


def day_parse(value) -> date:
    """A day typed or picked as the product reads them: the ISO form a date picker sends
    ("2026-12-31") or the house format ("31 Dec 2026"); ValueError with `DAY_HINT` otherwise."""
    text = str(value).strip()
    for pattern in formats.get_format("DATE_INPUT_FORMATS"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(DAY_HINT)
