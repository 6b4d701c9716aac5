"""The plan's monthly roll-up of leads by segment (`SegmentMonth`), kept by PostgreSQL itself.

A lead's segment figures change with its capture date, vertical, country, region, current verdict,
the themes and bad reasons it carries and its merge; these are written by the ORM, by the
one-statement capture, by set-based refreshes of the carried texts and by bulk loads alike. Rather
than every such path computing its delta, three statement-level triggers on the lead table add,
for each statement, what its new rows bring and take away what its old rows brought, grouped, in
one upsert (a statement that changes no figure writes nothing). `segment_months_rebuild`
recomputes the rows from the leads, after a load that bypassed triggers.

Elsewhere (SQLite) there are no triggers and no rows: the plan groups the leads themselves.
"""

from django.db import connection, transaction

from leads.models import Lead, SegmentMonth, VerdictValue

KEY = ("month", "vertical", "country", "region", "theme", "reason")
COLUMNS = ("leads", "judged", "good", "bad")
# Each trigger's transition tables: (NEW or OLD, the name the function reads it by, its sign).
EVENTS = {
    "insert": (("NEW", "new_rows", ""),),
    "update": (("NEW", "new_rows", ""), ("OLD", "old_rows", "-")),
    "delete": (("OLD", "old_rows", "-"),),
}


def _figures(rows: str, sign: str) -> str:
    """The figures each lead of `rows` (a transition table, or the lead table) brings, counted `sign`1
    times: one row for its place, one for each theme its verdict names and one for each bad reason
    held against it (repeats kept)."""
    place = "date_trunc('month', captured_at AT TIME ZONE 'UTC')::date, coalesce(industry_id, 0), country, region"
    each = f"{sign}1, {sign}(verdict <> '')::int, {sign}(verdict = '{VerdictValue.GOOD}')::int, "
    each += f"{sign}(verdict = '{VerdictValue.BAD}')::int"
    split = "unnest(string_to_array(nullif({}, ''), ','))::int"
    return " UNION ALL ".join(
        f"SELECT {place}, {theme}, {reason}, {each} FROM {rows} WHERE merged_into_id IS NULL"
        for theme, reason in (("0", "0"), (split.format("verdict_themes"), "0"), ("0", split.format("bad_reasons")))
    )


def _upsert(select: str) -> str:
    """Add the figures `select` gives (KEY then COLUMNS, a row per lead) to the roll-up, summed by
    key, in key order (two statements never wait for each other's rows in opposite orders)."""
    table = SegmentMonth._meta.db_table
    columns = ", ".join(COLUMNS)
    sums = ", ".join(f"sum({c})" for c in COLUMNS)
    nonzero = " OR ".join(f"sum({c}) <> 0" for c in COLUMNS)
    return (
        f"INSERT INTO {table} AS t ({', '.join(KEY)}, {columns}) "
        f"SELECT {', '.join(KEY)}, {sums} FROM ({select}) AS d ({', '.join(KEY)}, {columns}) "
        f"GROUP BY {', '.join(KEY)} HAVING {nonzero} ORDER BY {', '.join(KEY)} "
        f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET " + ", ".join(f"{c} = t.{c} + excluded.{c}" for c in COLUMNS)
    )


def _name(event: str) -> str:
    return f"leads_segment_month_{event}"


def segment_triggers_install(schema_editor) -> None:
    """Create the triggers and fill the empty roll-up from the leads as they are (PostgreSQL only; a
    migration's step)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    leads = Lead._meta.db_table
    for event, tables in EVENTS.items():
        select = " UNION ALL ".join(_figures(rows, sign) for _, rows, sign in tables)
        referencing = " ".join(f"{which} TABLE AS {rows}" for which, rows, _ in tables)
        schema_editor.execute(
            f"CREATE FUNCTION {_name(event)}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {_upsert(select)}; RETURN NULL; END $$"
        )
        schema_editor.execute(
            f"CREATE TRIGGER {_name(event)} AFTER {event.upper()} ON {leads} "
            f"REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {_name(event)}()"
        )
    schema_editor.execute(_upsert(_figures(leads, "")))


def segment_triggers_remove(schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for event in EVENTS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {_name(event)} ON {Lead._meta.db_table}")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {_name(event)}()")


@transaction.atomic
def segment_months_rebuild() -> int:
    """Recompute the roll-up from the leads (PostgreSQL; nothing elsewhere); its row count. The table
    is locked against the triggers' writes first, so a change committed while this runs is either
    read here or added after: none is lost or counted twice."""
    if connection.vendor != "postgresql":
        return 0
    table = SegmentMonth._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(f"DELETE FROM {table}")
        cursor.execute(_upsert(_figures(Lead._meta.db_table, "")))
        return cursor.rowcount
