"""The dashboard's daily roll-up of leads (`LeadDay`): what each lead and verdict adds to it, and how
a change is applied.

A service that changes what a lead contributes (a waterfall date, its owner, its won amount, its
current verdict — which the lead carries as a plain value) takes the lead's rows before and after
the change and hands both to `lead_days_apply`, in the same transaction: the roll-up is never ahead
of or behind the leads.
`lead_days_rebuild` recomputes everything from the leads, for a new database, the demo data and a
change of the company's time zone.
"""

import functools
from collections import defaultdict
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate

from alignment.days import company_day, company_tz
from leads.models import Lead, LeadDay, VerdictValue

# Activity columns and the date that counts a lead in each; a lead's cohort is its capture day.
STEP_DATES = {
    "captured": "captured_at",
    "handed_off": "handed_off_at",
    "accepted": "accepted_at",
    "qualified": "qualified_at",
    "won": "won_at",
}
COHORT_STEPS = ("handed_off", "accepted", "qualified", "won")
COLUMNS = (
    *STEP_DATES,
    "won_revenue",
    *(f"cohort_{step}" for step in COHORT_STEPS),
    "cohort_won_revenue",
    *VerdictValue.values,
    *(f"cohort_{value}" for value in VerdictValue.values),
)
KEY = ("day", "campaign_id", "source", "marketer", "rep")
APPLY_BATCH = 500  # rows per statement (× at most 20 parameters), well under every database's limit

# {(day, campaign id, source, marketer id, rep id): {column: amount}}
Rows = dict[tuple, dict[str, int | Decimal]]


def _key(lead: Lead, at) -> tuple:
    return (company_day(at), lead.campaign_id, lead.source, lead.captured_by_id or 0, lead.owner_id or 0)


def _add(rows: Rows, key: tuple, column: str, amount) -> None:
    if amount:
        row = rows.setdefault(key, {})
        row[column] = row.get(column, 0) + amount


def lead_day_rows(lead: Lead) -> Rows:
    """What a lead, as it is in memory, adds to the roll-up; its current verdict adds one good or bad
    on the day it was given, and one to its cohort's."""
    rows: Rows = {}
    for step, date_field in STEP_DATES.items():
        at = getattr(lead, date_field)
        if at is not None:
            _add(rows, _key(lead, at), step, 1)
            if step == "won":
                _add(rows, _key(lead, at), "won_revenue", lead.won_amount or 0)
    cohort = _key(lead, lead.captured_at)
    for step in COHORT_STEPS:
        if getattr(lead, STEP_DATES[step]) is not None:
            _add(rows, cohort, f"cohort_{step}", 1)
    if lead.won_at is not None:
        _add(rows, cohort, "cohort_won_revenue", lead.won_amount or 0)
    if lead.verdict:
        _add(rows, _key(lead, lead.verdict_at), lead.verdict, 1)
        _add(rows, cohort, f"cohort_{lead.verdict}", 1)
    return rows


def lead_verdict_record(*, lead: Lead, verdict: str, at, themes: str = "") -> Lead:
    """Record on a locked lead the verdict its rep now gives it and the pain themes it names
    (plain values: the verdicts and their history are feedback's; `themes` as
    `leads.theme_rollup.themes_text` writes them), keeping the dashboard's roll-up in step. Called
    through `feedback.rollup.verdict_figures_apply`, inside `verdict_give`'s transaction, which
    keeps voice of sales' roll-up in step too.

    The first verdict on a lead handed off also records how long it waited for it since the
    (first, never rewritten) handoff; it is never recomputed: a revised verdict does not move it,
    and a merge leaves the survivor its own (`leads.merge`)."""
    before = lead_day_rows(lead)
    fields = ["verdict", "verdict_at", "verdict_themes", "updated_at"]
    if lead.verdict_wait is None and lead.verdict_at is None and lead.handed_off_at is not None:
        lead.verdict_wait = at - lead.handed_off_at
        fields.append("verdict_wait")
    lead.verdict, lead.verdict_at, lead.verdict_themes = verdict, at, themes
    lead.save(update_fields=fields)
    lead_days_apply(before=before, after=lead_day_rows(lead))
    return lead


def lead_days_apply(*, before: Rows, after: Rows) -> None:
    """Add `after − before` to the roll-up with upserts; nothing when they are equal."""
    with connection.cursor() as cursor:
        for sql, params in lead_days_apply_statements(before=before, after=after):
            cursor.execute(sql, params)


def lead_days_apply_statements(*, before: Rows, after: Rows, when: str = "") -> list[tuple[str, list]]:
    """The upserts that add `after − before` to the roll-up, as `(sql, params)`, for a caller that
    sends them with other statements; none when they are equal (`rollup_upserts`). With `when`, a
    SQL condition, they add only if it holds as they run."""
    delta = {}
    for key in before.keys() | after.keys():
        old, new = before.get(key, {}), after.get(key, {})
        change = {column: new.get(column, 0) - old.get(column, 0) for column in COLUMNS}
        if any(change.values()):
            delta[key] = change
    return rollup_upserts(LeadDay._meta.db_table, KEY, COLUMNS, delta, when=when)


def rollup_upserts(table: str, key: tuple, columns: tuple, delta: dict, *, when: str = "") -> list[tuple[str, list]]:
    """The upserts that add `delta` (`{key values: {column: change}}`) to a roll-up `table` unique
    on `key`, as `(sql, params)`; none for an empty delta. With `when`, a SQL condition, a row is
    added only if it holds.

    Rows are written in key order, so two transactions never wait for each other's rows in
    opposite orders, and in batches of APPLY_BATCH rows a statement.
    """
    statements = []
    placeholders = "(" + ", ".join(["%s"] * (len(key) + len(columns))) + ")"
    keys = sorted(delta)
    for start in range(0, len(keys), APPLY_BATCH):
        batch = keys[start : start + APPLY_BATCH]
        params = []
        for values in batch:
            params += [*values, *(delta[values][column] for column in columns)]
        rows = f"VALUES {', '.join([placeholders] * len(batch))}"
        if when:
            rows = f"SELECT * FROM ({rows}) AS v WHERE {when}"
        sql = (
            f"INSERT INTO {table} ({', '.join(key + columns)}) {rows} "
            f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET "
            + ", ".join(f"{column} = {table}.{column} + excluded.{column}" for column in columns)
        )
        statements.append((sql, params))
    return statements


def lead_days_remove(leads) -> None:
    """Take leads that are about to be deleted out of the roll-up."""
    before: Rows = {}
    for lead in leads:
        for key, columns in lead_day_rows(lead).items():
            for column, amount in columns.items():
                _add(before, key, column, amount)
    lead_days_apply(before=before, after={})


@transaction.atomic
def lead_days_rebuild() -> int:
    """Recompute the whole roll-up from the leads (and the current verdict each carries); returns its
    row count.

    On PostgreSQL the table is locked against the services' writes first, so a change committed
    while this runs is either read here or added after: none is lost or counted twice.
    """
    table = LeadDay._meta.db_table
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
    LeadDay.objects.all().delete()
    tz = company_tz()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_rebuild_sql(), {"tz": str(tz)})
            return cursor.rowcount
    dims = ("campaign_id", "source", "captured_by_id", "owner_id")
    totals = defaultdict(dict)

    def add(rows):
        for row in rows:
            key = (
                row.pop("day"),
                row.pop("campaign_id"),
                row.pop("source"),
                row.pop("captured_by_id") or 0,
                row.pop("owner_id") or 0,
            )
            for column, amount in row.items():
                _add(totals, key, column, amount)

    for step, date_field in STEP_DATES.items():
        figures = {step: Count("*")}
        if step == "won":
            figures["won_revenue"] = Sum("won_amount")
        add(
            Lead.objects.filter(merged_into__isnull=True, **{f"{date_field}__isnull": False})
            .annotate(day=TruncDate(date_field, tzinfo=tz))
            .values("day", *dims)
            .annotate(**figures)
            .order_by()
        )
    cohort = {f"cohort_{step}": Count(STEP_DATES[step]) for step in COHORT_STEPS}
    cohort["cohort_won_revenue"] = Sum("won_amount", filter=Q(won_at__isnull=False))
    cohort.update({f"cohort_{value}": Count("id", filter=Q(verdict=value)) for value in VerdictValue.values})
    add(
        Lead.objects.filter(merged_into__isnull=True)
        .annotate(day=TruncDate("captured_at", tzinfo=tz))
        .values("day", *dims)
        .annotate(**cohort)
        .order_by()
    )
    verdicts = {value: Count("id", filter=Q(verdict=value)) for value in VerdictValue.values}
    add(
        Lead.objects.filter(merged_into__isnull=True)
        .exclude(verdict="")
        .annotate(day=TruncDate("verdict_at", tzinfo=tz))
        .values("day", *dims)
        .annotate(**verdicts)
        .order_by()
    )
    LeadDay.objects.bulk_create(
        (LeadDay(**dict(zip(KEY, key, strict=True)), **columns) for key, columns in totals.items()),
        batch_size=2000,
    )
    return len(totals)


@functools.cache
def _rebuild_sql() -> str:
    """lead_days_rebuild on PostgreSQL, in one statement: each lead (not merged away) gives one row a
    date it carries — its capture day with its cohort, each later step's day, its verdict's day —
    and the rows are summed by key. They are written in key order, day first, so a period's rows
    lie together on disk (a quarter of a million leads' roll-up: 148 pages read, not 1,141). The
    Python branch above says the same in the ORM."""
    won = "coalesce(l.won_amount, 0)"
    cohort = [f"(l.{STEP_DATES[step]} IS NOT NULL)::int" for step in COHORT_STEPS]
    cohort.append(f"CASE WHEN l.won_at IS NOT NULL THEN {won} ELSE 0 END")
    verdicts = [f"(l.verdict = '{value}')::int" for value in VerdictValue.values]
    rows = []
    for step, date_field in STEP_DATES.items():
        values = dict.fromkeys(COLUMNS, "0")
        values[step] = "1"
        if step == "won":
            values["won_revenue"] = won
        if step == "captured":
            values.update(zip((f"cohort_{s}" for s in COHORT_STEPS), cohort[:-1], strict=True))
            values["cohort_won_revenue"] = cohort[-1]
            values.update(zip((f"cohort_{v}" for v in VerdictValue.values), verdicts, strict=True))
        rows.append((f"l.{date_field}", values))
    values = dict.fromkeys(COLUMNS, "0")
    values.update(zip(VerdictValue.values, verdicts, strict=True))
    rows.append(("CASE WHEN l.verdict <> '' THEN l.verdict_at END", values))
    types = {column: "numeric" if column in ("won_revenue", "cohort_won_revenue") else "int" for column in COLUMNS}
    lines = ",\n    ".join(
        "(" + ", ".join([at, *(f"({values[c]})::{types[c]}" for c in COLUMNS)]) + ")" for at, values in rows
    )
    table = LeadDay._meta.db_table
    return f"""
INSERT INTO {table} ({", ".join(KEY + COLUMNS)})
SELECT (e.at AT TIME ZONE %(tz)s)::date, l.campaign_id, l.source, coalesce(l.captured_by_id, 0),
    coalesce(l.owner_id, 0), {", ".join(f"sum(e.{column})" for column in COLUMNS)}
FROM {Lead._meta.db_table} l CROSS JOIN LATERAL (VALUES
    {lines}
) AS e (at, {", ".join(COLUMNS)})
WHERE l.merged_into_id IS NULL AND e.at IS NOT NULL
GROUP BY 1, 2, 3, 4, 5
ORDER BY 1, 2, 3, 4, 5
"""
