"""Where the time of 1,000 new leads goes, step by step, beside COPY of the same rows, in one run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/alignment .venv/bin/python bench/bulk_anatomy.py

bench/bulk.py measures bulk capture and the import from outside; this one takes the same 1,000-row
batch apart, in this process, on a bench database of its own (`<name>_bench_anatomy`, filled with
--leads generated leads first, so the indexes have a realistic depth; dropped afterwards unless
--keep). Each step runs --runs times, each time committed (then its rows are deleted, untimed),
and the median is printed beside the first step's:

1. COPY of the rows into a plain table with one unique index;
2. one `INSERT … SELECT FROM unnest(…)` of the same rows into a copy of `leads_lead` without its
   indexes: the lead table alone;
3. the same into a copy with only its two trigram (`pg_trgm` GIN) indexes;
4. the same into an empty table built `LIKE leads_lead INCLUDING ALL`: every index, no foreign
   key, no row before it: the lead table's own limit, the target's baseline;
5. the same into `leads_lead` itself: every index a new lead writes, and its foreign keys;
6. `lead_capture_many` of the same rows: validation, the lead upsert, the roll-up, touches and
   timeline events, the outbox — each of its statements timed on its own;
7. (as a superuser) the same capture with the foreign-key triggers off (`session_replication_role
   = replica`): what the deferred checks of every new row's references cost at commit.

With --explain, the statements of step 6 are printed with their plans (`auto_explain` at NOTICE
level, ANALYZE and BUFFERS on).
"""

import argparse
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bulk import COLUMNS, copy_seconds, insert_rows, lead_rows  # noqa: E402
from serve import bench_setup, bench_team, drop_database  # noqa: E402

ROWS = 1000
ALL = object()  # table_copy: every index of leads_lead
LIMIT = "INSERT into an empty LIKE leads_lead INCLUDING ALL"  # the lead table's own limit
COMMITS: list[float] = []  # the time of each step's commit


def committed(fn, cleanup):
    """Run `fn` in a transaction and commit it (the commit's WAL flush is part of the cost, as it
    is of COPY's); its time. `cleanup` then takes the rows out again, untimed."""
    from django.db import transaction

    started = time.perf_counter()
    with transaction.atomic():
        fn()
        before_commit = time.perf_counter()
    elapsed = time.perf_counter() - started
    COMMITS.append(elapsed - (before_commit - started))
    cleanup()
    return elapsed


def table_copy(name, *, indexes) -> str:
    """A copy of leads_lead's columns (and, with `indexes`, only the indexes whose definition holds
    that text; with `indexes=ALL`, every index, as `LIKE … INCLUDING ALL` makes them); its name."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {name}")
        if indexes is ALL:
            cursor.execute(f"CREATE TABLE {name} (LIKE leads_lead INCLUDING ALL)")
            return name
        cursor.execute(f"CREATE TABLE {name} (LIKE leads_lead INCLUDING DEFAULTS INCLUDING IDENTITY)")
        if indexes:
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'leads_lead'")
            for (definition,) in cursor.fetchall():
                if indexes in definition:
                    cursor.execute(
                        definition.replace(" ON public.leads_lead ", f" ON {name} ").replace(
                            "INDEX ", f"INDEX {name}_", 1
                        )
                    )
    return name


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000, help="leads generated first")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    url = bench_setup("_bench_anatomy")
    try:
        from django.core.management import call_command
        from django.db import connection

        from leads.capture import lead_capture_many
        from leads.models import Campaign, CaptureChannel, Lead

        have = Lead.objects.count()
        if have < args.leads:
            call_command("generate_leads", count=args.leads - have, force=True, seed=args.leads)  # and VACUUM ANALYZE
        _, campaign_id, marketer = bench_team()
        campaign = Campaign.objects.get(pk=campaign_id)
        bare = table_copy("bench_lead_bare", indexes=None)
        trigram = table_copy("bench_lead_trigram", indexes="gin_trgm_ops")
        like_all = table_copy("bench_lead_like_all", indexes=ALL)

        tag = {}

        def batch():
            tag["now"] = uuid.uuid4().hex[:8]
            return [dict(zip(COLUMNS, row, strict=True)) for row in lead_rows(ROWS, tag["now"])]

        def emptied(table):
            def cleanup():
                with connection.cursor() as cursor:
                    cursor.execute(f"TRUNCATE {table}")

            return cleanup

        def leads_deleted():
            Lead.objects.filter(email__contains=f"-{tag['now']}@").delete()

        statements: dict[str, list[float]] = {}

        def timed(execute, sql, params, many, context):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                head = " ".join(sql.split()[:4])[:60]
                if head.startswith(("SAVEPOINT", "RELEASE SAVEPOINT")):
                    head = head.rsplit(" ", 1)[0]
                statements.setdefault(head, []).append(time.perf_counter() - started)

        def capture(*, each_statement=True):
            items = [(item, campaign) for item in batch()]
            if not each_statement:
                lead_capture_many(items=items, by=marketer, channel=CaptureChannel.API)
                return
            with connection.execute_wrapper(timed):
                lead_capture_many(items=items, by=marketer, channel=CaptureChannel.API)

        def capture_unchecked():
            # What the deferred foreign-key checks cost at commit, one new row at a time: the same
            # capture with PostgreSQL's referential-integrity triggers off (a measurement only).
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")
            capture(each_statement=False)

        steps = {
            "COPY into a plain table, one unique index": lambda: copy_seconds(lead_rows(ROWS, uuid.uuid4().hex[:8])),
            "INSERT into leads_lead's columns, no index": lambda: committed(
                lambda: insert_rows(bare, batch(), campaign, marketer), emptied(bare)
            ),
            "the same, its two trigram indexes only": lambda: committed(
                lambda: insert_rows(trigram, batch(), campaign, marketer), emptied(trigram)
            ),
            LIMIT: lambda: committed(lambda: insert_rows(like_all, batch(), campaign, marketer), emptied(like_all)),
            "the same into leads_lead, all its indexes": lambda: committed(
                lambda: insert_rows(Lead._meta.db_table, batch(), campaign, marketer), leads_deleted
            ),
            "lead_capture_many (the whole capture)": lambda: committed(capture, leads_deleted),
        }
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            superuser = cursor.fetchone()[0]
        if superuser:  # only a superuser may turn the foreign-key triggers off
            steps["the same, foreign keys not checked"] = lambda: committed(capture_unchecked, leads_deleted)
        for step in steps.values():
            step()  # warm up: caches, prepared statements
        statements.clear()
        figures, commits = {}, {}
        for name, step in steps.items():
            COMMITS.clear()
            figures[name] = statistics.median(step() for _ in range(args.runs))
            commits[name] = statistics.median(COMMITS) if COMMITS else 0.0
        baseline = figures["COPY into a plain table, one unique index"]
        limit = figures[LIMIT]
        width = max(len(name) for name in figures)
        print(f"\n{ROWS:,} new leads at {Lead.objects.count():,} leads; median of {args.runs} runs")
        print(
            f"{'step':<{width}} | {'ms':>7} | {'of it, commit':>13} | {'rows/s':>9} | × COPY's time | "
            "× the limit's rate"
        )
        for name, seconds in figures.items():
            print(
                f"{name:<{width}} | {seconds * 1000:>7.1f} | {commits[name] * 1000:>13.1f} | "
                f"{ROWS / seconds:>9,.0f} | {seconds / baseline:>13.1f} | {limit / seconds:>6.2f}"
            )
        from summary import record

        for name in ("the same into leads_lead, all its indexes", "lead_capture_many (the whole capture)"):
            record(
                f"1,000 new leads: {name}",
                ROWS / figures[name],
                ROWS / limit,
                "rows/s",
                "≥ 0.5× the lead table's own limit",
                ROWS / figures[name] >= 0.5 * ROWS / limit,
                "INSERT … SELECT into an empty LIKE leads_lead INCLUDING ALL",
            )
        print("\nlead_capture_many, per statement (median ms of a batch):")
        for head, times in statements.items():
            per_batch = len(times) // args.runs
            print(f"  {statistics.median(times) * 1000:>7.1f} × {per_batch}  {head}")
        if args.explain:
            connection.connection.add_notice_handler(lambda diag: print(diag.message_primary))
            with connection.cursor() as cursor:
                cursor.execute("LOAD 'auto_explain'")
                cursor.execute("SET auto_explain.log_min_duration = 0")
                cursor.execute("SET auto_explain.log_analyze = on")
                cursor.execute("SET auto_explain.log_buffers = on")
                cursor.execute("SET auto_explain.log_level = notice")
            committed(capture, leads_deleted)
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE {bare}, {trigram}, {like_all}")
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(url)


if __name__ == "__main__":
    main()
