"""The dashboard's periods and filters: a month, a quarter or a custom range of days in the company's
time zone, and the campaign, source and team to look at."""

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from alignment.days import company_today, company_tz, date_text, day_parse
from alignment.errors import InvalidInput
from alignment.models import Team
from leads.models import Campaign, Source

PERIOD_KINDS = ("quarter", "month", "custom")
MAX_CUSTOM_DAYS = 366 * 3
# The days a filter or a digest week may name. Every date derived from one (the previous or next
# month or quarter, the week before or after, the Monday of its week) stays a valid date.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)


@dataclass(frozen=True)
class DashboardFilters:
    kind: str
    start: date
    end: date  # inclusive
    campaign: Campaign | None = None
    source: str = ""
    team: Team | None = None
    querystring: dict = field(default_factory=dict)

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=company_tz())

    @property
    def end_at(self) -> datetime:
        """The first instant after the period."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=company_tz())

    @property
    def label(self) -> str:
        if self.kind == "quarter":
            return f"Q{(self.start.month - 1) // 3 + 1} {self.start.year}"
        if self.kind == "month":
            return date_text(self.start, "YEAR_MONTH_FORMAT")
        return f"{date_text(self.start)} – {date_text(self.end)}"


def quarter_bounds(day: date) -> tuple[date, date]:
    first_month = (day.month - 1) // 3 * 3 + 1
    start = date(day.year, first_month, 1)
    last_month = first_month + 2
    return start, date(day.year, last_month, calendar.monthrange(day.year, last_month)[1])


def month_bounds(day: date) -> tuple[date, date]:
    return date(day.year, day.month, 1), date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


def date_parse(value) -> date:
    """A day (as `day_parse` reads it) between FIRST_DAY and LAST_DAY; ValueError with the message to show otherwise."""
    day = day_parse(value)
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"Choose a day between {date_text(FIRST_DAY)} and {date_text(LAST_DAY)}.")
    return day


def _parse_date(value, name, errors):
    try:
        return date_parse(value)
    except ValueError as error:
        errors[name] = [str(error)]
        return None


def dashboard_filters_parse(params, *, today: date | None = None) -> DashboardFilters:
    """Read the dashboard's filters from a query string; raise InvalidInput naming each bad one.

    `period` is `quarter` (the default: the quarter containing `start`, or this quarter), `month`
    (likewise) or `custom` (`start` and `end` required, both included). `campaign` and `team` are
    ids, `source` a lead source.
    """
    today = today or company_today()
    errors = {}
    kind = (params.get("period") or "quarter").strip()
    if kind not in PERIOD_KINDS:
        errors["period"] = [f"Choose one of: {', '.join(PERIOD_KINDS)}."]
    start = _parse_date(params["start"], "start", errors) if params.get("start") else None
    end = _parse_date(params["end"], "end", errors) if params.get("end") else None

    campaign = team = None
    source = (params.get("source") or "").strip()
    if source and source not in Source.values:
        errors["source"] = [f"Choose one of: {', '.join(Source.values)}."]
    for name, model in (("campaign", Campaign), ("team", Team)):
        raw = (params.get(name) or "").strip()
        if not raw:
            continue
        if not raw.isdigit() or int(raw) > 2**63 - 1:
            errors[name] = [f"A {name} is chosen by its id."]
            continue
        found = model.objects.filter(pk=int(raw)).first()
        if found is None:
            errors[name] = [f"There is no {name} {raw}."]
        elif name == "campaign":
            campaign = found
        else:
            team = found

    if kind == "custom" and "start" not in errors and "end" not in errors:
        if start is None or end is None:
            errors.setdefault("start" if start is None else "end", ["A custom period needs a start and an end."])
        elif end < start:
            errors["end"] = ["The end must not be before the start."]
        elif (end - start).days > MAX_CUSTOM_DAYS:
            errors["end"] = ["A custom period spans three years at most."]
    if errors:
        message = "; ".join(f"{name}: {msgs[0]}" for name, msgs in errors.items())
        raise InvalidInput(f"Invalid filter — {message}", fields=errors)

    if kind == "quarter":
        start, end = quarter_bounds(start or today)
    elif kind == "month":
        start, end = month_bounds(start or today)
    querystring = {"period": kind}
    if kind == "custom" or params.get("start"):
        querystring["start"] = start.isoformat()
    if kind == "custom":
        querystring["end"] = end.isoformat()
    if campaign:
        querystring["campaign"] = str(campaign.pk)
    if source:
        querystring["source"] = source
    if team:
        querystring["team"] = str(team.pk)
    return DashboardFilters(
        kind=kind, start=start, end=end, campaign=campaign, source=source, team=team, querystring=querystring
    )


def dashboard_filters_shift(filters: DashboardFilters, step: int) -> dict | None:
    """The query string of the previous (`-1`) or next (`1`) month or quarter, other filters kept;
    None when that period lies outside the days a filter may name."""
    months = 3 if filters.kind == "quarter" else 1
    index = filters.start.year * 12 + filters.start.month - 1 + step * months
    year = index // 12
    if not FIRST_DAY.year <= year <= LAST_DAY.year:
        return None
    query = dict(filters.querystring, start=date(year, index % 12 + 1, 1).isoformat())
    query.pop("end", None)
    return query
