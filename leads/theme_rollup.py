"""Voice of sales' daily roll-up of pain themes (`ThemeDay`): what a lead's current verdict adds to
it, and how a change is applied.

A lead counts once for each pain theme its current verdict names (`verdict_themes`, plain ids
beside `verdict`, as `lead_verdict_record` writes them), on the day that verdict was given, under
the lead's segment: its vertical, country and region. A lead merged away counts nothing (its
verdicts are superseded). A service that changes any of these — a verdict, a lead's vertical,
country or region (an edit, a capture filling in a blank, a merge, an erasure), a merge, a deletion
— takes the lead's rows before and after and hands both to `theme_days_apply`, in the same
transaction. `theme_days_rebuild` recomputes everything from the leads; feedback's
`figures_rebuild` first sets each lead's themes from its current verdict.
"""

from collections import Counter

from django.db import connection, transaction

from alignment.days import company_day, company_tz
from leads.models import Lead, ThemeDay
from leads.rollup import rollup_upserts

# {(day, vertical id or 0, country, region, theme id): count}
ThemeRows = Counter
KEY = ("day", "vertical", "country", "region", "theme")
# What places a lead's themes in the roll-up, beside its verdict and whether it was merged away.
SEGMENT_FIELDS = ("industry", "country", "region")


def themes_text(theme_ids) -> str:
    """Theme ids as a lead carries them: ascending, comma-separated, each once."""
    return ",".join(str(pk) for pk in sorted({int(pk) for pk in theme_ids}))


def theme_day_rows(lead: Lead) -> ThemeRows:
    """What a lead, as it is in memory, adds to the roll-up."""
    if lead.merged_into_id is not None or not lead.verdict or not lead.verdict_themes:
        return Counter()
    segment = (company_day(lead.verdict_at), lead.industry_id or 0, lead.country, lead.region)
    return Counter((*segment, int(pk)) for pk in lead.verdict_themes.split(","))


def theme_days_apply_statements(*, before: ThemeRows, after: ThemeRows) -> list[tuple[str, list]]:
    """The upserts that add `after − before` to the roll-up (`leads.rollup.rollup_upserts`: rows in
    key order); none when they are equal."""
    delta = {key: after.get(key, 0) - before.get(key, 0) for key in before.keys() | after.keys()}
    changes = {key: {"count": change} for key, change in delta.items() if change}
    return rollup_upserts(ThemeDay._meta.db_table, KEY, ("count",), changes)


def theme_days_apply(*, before: ThemeRows, after: ThemeRows) -> None:
    """Add `after − before` to the roll-up; nothing when they are equal."""
    statements = theme_days_apply_statements(before=before, after=after)
    if statements:
        with connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)


def theme_days_remove(leads) -> None:
    """Take leads that are about to be deleted out of the roll-up."""
    before: ThemeRows = Counter()
    for lead in leads:
        before.update(theme_day_rows(lead))
    theme_days_apply(before=before, after=Counter())


@transaction.atomic
def theme_days_rebuild() -> int:
    """Recompute the whole roll-up from the leads' current verdicts and their themes; returns its
    row count. On PostgreSQL the table is locked against the services' writes first, as
    `lead_days_rebuild` does, and the rows are summed in one statement."""
    table = ThemeDay._meta.db_table
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
            cursor.execute(f"DELETE FROM {table}")
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(KEY)}, count) "
                "SELECT (l.verdict_at AT TIME ZONE %s)::date, coalesce(l.industry_id, 0), l.country, l.region, "
                "t.theme::int, count(*) "
                f"FROM {Lead._meta.db_table} l "
                "CROSS JOIN LATERAL unnest(string_to_array(l.verdict_themes, ',')) AS t (theme) "
                "WHERE l.merged_into_id IS NULL AND l.verdict <> '' AND l.verdict_themes <> '' "
                "GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5",
                [str(company_tz())],
            )
            return cursor.rowcount
    ThemeDay.objects.all().delete()
    totals: ThemeRows = Counter()
    judged = Lead.objects.filter(merged_into__isnull=True).exclude(verdict="").exclude(verdict_themes="")
    for lead in judged.only("verdict", "verdict_at", "verdict_themes", "merged_into", *SEGMENT_FIELDS).iterator():
        totals.update(theme_day_rows(lead))
    ThemeDay.objects.bulk_create(
        (ThemeDay(**dict(zip(KEY, key, strict=True)), count=n) for key, n in totals.items()), batch_size=2000
    )
    return len(totals)
