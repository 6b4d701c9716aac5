"""The company's day: the calendar every figure counts in (the daily roll-ups, the scorecard's
periods, the dashboard's periods and the digest's weeks), in the company's time zone
(`settings.TIME_ZONE`), whatever the user's or the database's."""

import zoneinfo
from datetime import date, datetime

from django.conf import settings
from django.utils import timezone


def company_tz() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def company_day(at: datetime) -> date:
    """The company's day of the moment `at`."""
    return timezone.localdate(at, company_tz())


def company_today(now: datetime | None = None) -> date:
    """The company's day now (or at `now`)."""
    return company_day(now or timezone.now())
