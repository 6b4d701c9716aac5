"""The thresholds in force and the clock they are counted on.

Without business hours every hour counts. With them (e.g. "Mon-Fri 09:00-17:00 Europe/Berlin" plus a
list of holidays) only the working hours of working days count, in the company's time zone, so a lead
handed off on Friday at 16:00 with a 24-hour SLA is due three working days later, not on Saturday.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import transaction
from django.db.models import Case, ExpressionWrapper, FloatField, Func, Value, When
from django.db.models.functions import ExtractHour, ExtractMinute, ExtractSecond, Floor, Greatest, Least, TruncDate
from django.db.models.lookups import Exact, GreaterThan

from alignment.audit import audit_diff, audit_record, audit_snapshot
from alignment.errors import InvalidInput, NotAllowed
from alignment.models import THRESHOLD_MAX, THRESHOLD_PLACES, AuditArea, Role, SlaSettings

DAY_NAMES = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
# Business hours can leave many days without a working hour (holidays, a one-day week): the walk
# through the calendar stops after ten years rather than looping forever on a broken calendar.
MAX_DAYS_WALKED = 3660


@dataclass(frozen=True)
class BusinessHours:
    days: frozenset  # weekday numbers, Monday = 0
    opens: time
    closes: time
    tz: ZoneInfo
    holidays: frozenset = frozenset()

    def describe(self) -> str:
        days = ", ".join(DAY_NAMES[d].capitalize() for d in sorted(self.days))
        return f"{days} {self.opens:%H:%M}–{self.closes:%H:%M} {self.tz.key}"

    def window(self, day: date):
        """The working window of `day` as aware datetimes, or None on a day off."""
        if day.weekday() not in self.days or day in self.holidays:
            return None
        return datetime.combine(day, self.opens, tzinfo=self.tz), datetime.combine(day, self.closes, tzinfo=self.tz)


_SPEC = re.compile(
    r"^\s*(?P<days>[A-Za-z,\- ]+?)\s+(?P<opens>\d{1,2}:\d{2})\s*-\s*(?P<closes>\d{1,2}:\d{2})\s+(?P<tz>\S+)\s*$"
)


def _parse_days(text: str) -> frozenset:
    days = set()
    for part in text.replace(" ", "").lower().split(","):
        first, _, last = part.partition("-")
        if first[:3] not in DAY_NAMES or (last and last[:3] not in DAY_NAMES):
            raise ValueError(f"Unknown day {part!r}: use Mon, Tue, Wed, Thu, Fri, Sat, Sun, e.g. Mon-Fri.")
        start = DAY_NAMES.index(first[:3])
        end = DAY_NAMES.index(last[:3]) if last else start
        day = start
        while True:
            days.add(day)
            if day == end:
                break
            day = (day + 1) % 7
    return frozenset(days)


def _parse_time(text: str) -> time:
    hours, minutes = (int(x) for x in text.split(":"))
    if hours == 24 and minutes == 0:
        return time.max
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise ValueError(f"{text} is not a time of day.")
    return time(hours, minutes)


def holidays_parse(text: str) -> frozenset:
    """Dates, one a line (YYYY-MM-DD); blank lines and anything after a `#` are ignored."""
    holidays, wrong = set(), []
    for line in (text or "").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            holidays.add(date.fromisoformat(line))
        except ValueError:
            wrong.append(repr(line))
    # Every wrong line at once, so a long list is not fixed one line per save.
    if wrong:
        verb = "is not a date" if len(wrong) == 1 else "are not dates"
        raise ValueError(f"{', '.join(wrong)} {verb}: write holidays as YYYY-MM-DD, one a line.")
    return frozenset(holidays)


def business_hours_parse(text: str, holidays: str = "") -> BusinessHours | None:
    """`"Mon-Fri 09:00-17:00 Europe/Berlin"` → BusinessHours; empty → None (every hour counts).

    Raises ValueError with a message a manager can act on.
    """
    if not (text or "").strip():
        return None
    match = _SPEC.match(text)
    if not match:
        raise ValueError(
            'Write business hours as days, hours and a time zone, e.g. "Mon-Fri 09:00-17:00 Europe/Berlin".'
        )
    # Every part's problem at once, so the manager fixes them in one go, not one per save.
    problems = []

    def part(parse, value):
        try:
            return parse(value)
        except ValueError as error:
            problems.append(str(error))
            return None

    days = part(_parse_days, match["days"])
    opens, closes = part(_parse_time, match["opens"]), part(_parse_time, match["closes"])
    if opens is not None and closes is not None and opens >= closes:
        problems.append("Business hours must close after they open, on the same day.")
    tz = part(_time_zone, match["tz"])
    if problems:
        raise ValueError(" ".join(problems))
    return BusinessHours(days=days, opens=opens, closes=closes, tz=tz, holidays=holidays_parse(holidays))


def _time_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"Unknown time zone {name!r}: use a name such as Europe/Berlin or UTC.") from None


def sla_settings_get() -> SlaSettings:
    """The one settings row; created from the environment's defaults the first time it is read."""
    policy = SlaSettings.objects.order_by("id").first()
    if policy is None:
        policy, _ = SlaSettings.objects.get_or_create(
            id=1,
            defaults={
                "sla_accept_hours": Decimal(str(settings.ALIGNMENT_SLA_ACCEPT_HOURS)),
                "cold_after_days": Decimal(str(settings.ALIGNMENT_COLD_AFTER_DAYS)),
                "escalate_after_hours": Decimal(str(settings.ALIGNMENT_ESCALATE_AFTER_HOURS)),
                "feedback_response_days": Decimal(str(settings.ALIGNMENT_FEEDBACK_RESPONSE_DAYS)),
                "business_hours": settings.ALIGNMENT_BUSINESS_HOURS,
            },
        )
    return policy


def sla_business_hours(policy: SlaSettings) -> BusinessHours | None:
    """The policy's business hours, or None when every hour counts (or the stored text is broken:
    a clock that runs too fast is better than reminders that never go out)."""
    try:
        return business_hours_parse(policy.business_hours, policy.holidays)
    except ValueError:
        return None


def sla_clock_describe(policy: SlaSettings) -> str:
    hours = sla_business_hours(policy)
    if hours is None:
        return "Every hour counts, around the clock."
    text = f"Business hours only: {hours.describe()}"
    if hours.holidays:
        text += f", except {len(hours.holidays)} holiday{'s' if len(hours.holidays) != 1 else ''}"
    return text + "."


def _hours(value) -> timedelta:
    return timedelta(hours=float(value))


def sla_deadline(*, start: datetime, hours, policy: SlaSettings) -> datetime:
    """The moment `hours` of SLA time have passed since `start`."""
    business = sla_business_hours(policy)
    left = _hours(hours)
    if business is None:
        return start + left
    day = start.astimezone(business.tz).date()
    for _ in range(MAX_DAYS_WALKED):
        window = business.window(day)
        if window is not None:
            begin, end = max(window[0], start), window[1]
            if begin < end:
                if end - begin >= left:
                    return begin + left
                left -= end - begin
        day += timedelta(days=1)
    return start + _hours(hours)


def sla_start_before(*, end: datetime, hours, policy: SlaSettings) -> datetime:
    """The latest start from which `hours` of SLA time have passed by `end`.

    The sweep compares a stored timestamp with this cutoff, so one indexed comparison finds every
    lead whose clock ran out, business hours or not.
    """
    business = sla_business_hours(policy)
    left = _hours(hours)
    if business is None:
        return end - left
    day = end.astimezone(business.tz).date()
    for _ in range(MAX_DAYS_WALKED):
        window = business.window(day)
        if window is not None:
            begin, finish = window[0], min(window[1], end)
            if begin < finish:
                if finish - begin >= left:
                    return finish - left
                left -= finish - begin
        day -= timedelta(days=1)
    return end - _hours(hours)


def sla_elapsed(*, start: datetime, end: datetime, policy: SlaSettings) -> timedelta:
    """How much SLA time lies between `start` and `end`."""
    if end <= start:
        return timedelta(0)
    business = sla_business_hours(policy)
    if business is None:
        return end - start
    total = timedelta(0)
    day = start.astimezone(business.tz).date()
    last = end.astimezone(business.tz).date()
    while day <= last:
        window = business.window(day)
        if window is not None:
            begin, finish = max(window[0], start), min(window[1], end)
            if begin < finish:
                total += finish - begin
        day += timedelta(days=1)
    return total


def duration_describe(delta: timedelta) -> str:
    """ "3 days 4 hours", "5 hours", "20 minutes": how long someone has waited, for people."""
    minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if not days and (minutes or not parts):
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts)


THRESHOLD_FIELDS = ("sla_accept_hours", "cold_after_days", "escalate_after_hours", "feedback_response_days")


def sla_offer_minutes(policy: SlaSettings) -> Decimal:
    """How long an offer lasts in minutes (0: offers off): the page's value, else the environment's."""
    if policy.offer_minutes is not None:
        return Decimal(policy.offer_minutes)
    return Decimal(str(settings.ALIGNMENT_OFFER_MINUTES or 0))


def _offer_minutes_problem(raw) -> str:
    """0 is a valid answer here (offers off); the rest as for a threshold."""
    try:
        if Decimal(str(raw).strip()) == 0:
            return ""
    except (InvalidOperation, ValueError):
        pass
    return _threshold_problem(raw)


def _threshold_problem(raw) -> str:
    """What is wrong with a threshold as typed, or "". Zero or less would make every lead overdue
    at once; more places than are stored would be silently rounded."""
    try:
        value = Decimal(str(raw if raw is not None else "").strip())
    except (InvalidOperation, ValueError):
        return "Enter a number."
    if not value.is_finite():
        return "Enter a number."
    if value <= 0:
        return "Enter a number greater than 0."
    if value > THRESHOLD_MAX:
        return f"Enter at most {THRESHOLD_MAX}."
    if value.normalize().as_tuple().exponent < -THRESHOLD_PLACES:
        return f"Use at most {THRESHOLD_PLACES} decimal places."
    return ""


@transaction.atomic
def sla_settings_update(*, data: dict, by) -> SlaSettings:
    """Managers change the thresholds and the clock. New values apply from the next sweep; a
    handoff keeps the deadline it was given."""
    if by.role != Role.MANAGER:
        raise NotAllowed("Only managers change the SLA settings.")
    errors = {}
    clean = {}
    for name in THRESHOLD_FIELDS:
        problem = _threshold_problem(data.get(name))
        if problem:
            errors[name] = [problem]
        else:
            clean[name] = Decimal(str(data[name]).strip())
    # Left out or left empty, the offer time stays as it is.
    if str(data.get("offer_minutes") if data.get("offer_minutes") is not None else "").strip():
        problem = _offer_minutes_problem(data.get("offer_minutes"))
        if problem:
            errors["offer_minutes"] = [problem]
        else:
            clean["offer_minutes"] = Decimal(str(data["offer_minutes"]).strip())
    clean["business_hours"] = str(data.get("business_hours") or "").strip()
    clean["holidays"] = str(data.get("holidays") or "").strip()
    if len(clean["business_hours"]) > 100:
        errors["business_hours"] = ["At most 100 characters."]
    else:
        try:
            business_hours_parse(clean["business_hours"])
        except ValueError as error:
            errors["business_hours"] = [str(error)]
    try:
        holidays_parse(clean["holidays"])
    except ValueError as error:
        errors["holidays"] = [str(error)]
    if errors:
        first = next(iter(errors.items()))
        raise InvalidInput(f"{first[0].replace('_', ' ')}: {first[1][0]}", fields=errors)
    policy = SlaSettings.objects.select_for_update().get(pk=sla_settings_get().pk)
    before = audit_snapshot(policy, clean)
    for name, value in clean.items():
        setattr(policy, name, value)
    policy.updated_by = by
    policy.save()
    audit_record(
        actor=by,
        area=AuditArea.SLA,
        action="changed",
        target=policy,
        changes=audit_diff(before, audit_snapshot(policy, clean)),
    )
    return policy


# --- the same clock, in SQL ------------------------------------------------------------------


class LocalEpoch(Func):
    """Seconds from 1970-01-01 00:00 to a timestamp's wall-clock time in `tz`, as a number: the
    arithmetic below then reads days and times of day off it. PostgreSQL converts with `AT TIME
    ZONE`; SQLite with Django's own time-zone-aware date and time extraction."""

    output_field = FloatField()

    def __init__(self, expression, tz: ZoneInfo):
        self.tz = tz
        super().__init__(
            expression,
            TruncDate(expression, tzinfo=tz),
            ExtractHour(expression, tzinfo=tz),
            ExtractMinute(expression, tzinfo=tz),
            ExtractSecond(expression, tzinfo=tz),
        )

    def as_postgresql(self, compiler, connection):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"EXTRACT(EPOCH FROM (({sql}) AT TIME ZONE %s))", (*params, self.tz.key)

    def as_sql(self, compiler, connection):
        (day, day_params), *parts = (compiler.compile(e) for e in self.source_expressions[1:])
        hour, minute, second = (sql for sql, _ in parts)
        params = (*day_params, *(p for _, part_params in parts for p in part_params))
        return (
            f"((julianday({day}) - 2440587.5) * 86400 + ({hour}) * 3600 + ({minute}) * 60 + ({second}))",
            params,
        )


def _window_seconds(business: BusinessHours) -> tuple[int, int, list[int]]:
    """When the working day opens and how long it lasts, in seconds, and the holidays that take a
    working day away, as days since 1970-01-01."""
    opens = business.opens.hour * 3600 + business.opens.minute * 60
    closes = 86400 if business.closes == time.max else business.closes.hour * 3600 + business.closes.minute * 60
    epoch_day = date(1970, 1, 1)
    holidays = sorted((h - epoch_day).days for h in business.holidays if h.weekday() in business.days)
    return opens, closes - opens, holidays


def _business_seconds_tree(instant, business: BusinessHours):
    """Working seconds from a fixed origin (Monday 1969-12-29) to `instant`: whole working days
    before its day, plus the part of its own day's window already past. The difference of two of
    these is `sla_elapsed` of the two instants."""
    local = LocalEpoch(instant, business.tz)
    day = Floor(local / Value(86400.0))  # days since 1970-01-01, a Thursday
    weeks = Floor((day + Value(3)) / Value(7.0))
    weekday = day + Value(3) - weeks * Value(7)  # Monday = 0
    opens, length, holidays = _window_seconds(business)

    def count(lookups):
        return sum((Case(When(lookup, then=Value(1)), default=Value(0)) for lookup in lookups), Value(0))

    working_days_before = (
        weeks * Value(len(business.days))
        + count(GreaterThan(weekday, Value(d)) for d in sorted(business.days))
        - count(GreaterThan(day, Value(h)) for h in holidays)
    )
    works_today = count(Exact(weekday, Value(d)) for d in sorted(business.days)) - count(
        Exact(day, Value(h)) for h in holidays
    )
    into_today = Least(Greatest(local - day * Value(86400) - Value(opens), Value(0.0)), Value(float(length)))
    return working_days_before * Value(length) + works_today * into_today


class BusinessSecondsBefore(Func):
    """`_business_seconds_tree` of an instant. PostgreSQL gets the same arithmetic as one scalar
    subquery that converts the time zone once and names the day and weekday once, since an
    expression tree repeats them in every place they are used (ten times slower on a quarter's
    handoffs); other databases get the tree."""

    output_field = FloatField()

    def __init__(self, instant, business: BusinessHours):
        self.business = business
        super().__init__(instant, _business_seconds_tree(instant, business))

    def as_sql(self, compiler, connection):
        return compiler.compile(self.source_expressions[1])

    def as_postgresql(self, compiler, connection):
        sql, params = compiler.compile(self.source_expressions[0])
        days = sorted(self.business.days)
        opens, length, holidays = _window_seconds(self.business)
        # Every number below is computed here from the parsed business hours: ints, never text.
        before = " ".join(f"WHEN {w} THEN {sum(1 for d in days if d < w)}" for w in range(7))
        works = " ".join(f"WHEN {d} THEN 1" for d in days)
        if holidays:
            listed = f"ARRAY[{', '.join(str(h) for h in holidays)}]::float8[]"
            holidays_before = f"(SELECT count(*) FROM unnest({listed}) AS h WHERE h < day_n)"
            holiday_today = f"(day_n = ANY({listed}))::int"
        else:
            holidays_before = holiday_today = "0"
        return (
            f"(SELECT (floor((day_n + 3) / 7) * {len(days)} + (CASE weekday_n {before} END) - {holidays_before})"
            f" * {length} + ((CASE weekday_n {works} ELSE 0 END) - {holiday_today})"
            f" * LEAST(GREATEST(local_s - day_n * 86400 - {opens}, 0), {length})"
            " FROM (SELECT local_s, day_n, day_n + 3 - 7 * floor((day_n + 3) / 7) AS weekday_n"
            " FROM (SELECT local_s, floor(local_s / 86400) AS day_n"
            f" FROM (SELECT EXTRACT(EPOCH FROM (({sql}) AT TIME ZONE %s))::float8 AS local_s) AS l) AS d) AS w)",
            (*params, self.business.tz.key),
        )


def sla_elapsed_seconds(*, start, end, policy: SlaSettings):
    """`sla_elapsed` as a SQL expression (seconds, a number) of two timestamp columns or
    expressions, so figures over many handoffs are one query on the one clock: every hour when
    business hours are off, only working hours when they are on. `end` must not be before `start`."""
    business = sla_business_hours(policy)
    if business is None:
        utc = ZoneInfo("UTC")
        return ExpressionWrapper(LocalEpoch(end, utc) - LocalEpoch(start, utc), output_field=FloatField())
    return ExpressionWrapper(
        BusinessSecondsBefore(end, business) - BusinessSecondsBefore(start, business),
        output_field=FloatField(),
    )
