"""How fast `manage.py generate_leads` fills PostgreSQL, beside COPY of as many plain lead rows into a one-index table.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/alignment .venv/bin/python bench/generate.py

It never touches the database in DATABASE_URL: it works in a sibling database named
`<name>_bench_generate` (or BENCH_DATABASE_URL), created and migrated here, and dropped at the end
(unless --keep). For each size it empties the lead tables, runs `generate_leads --count N` (the
whole command: its team, the stories, the indexes built again, the roll-up rebuild and the closing VACUUM ANALYZE) and
then, as the baseline in the same run, COPYs N plain lead rows into a fresh table with one unique
index (`copy_seconds` of bench/bulk.py). Prints leads/s beside COPY's rows/s and the peak resident
memory of this process during the command, and the rows it wrote per lead (leads, touches, timeline
events, handoffs, verdicts, feedback items, roll-up rows): COPY's rate divided by them is what
writing those rows at COPY's own speed, with no index at all, would give.

Options: --sizes 200000,1000000 (default), --seed N (default 1), --keep.
"""

import argparse
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
sys.path.insert(0, str(BASE_DIR / "bench"))

from benchdb import bench_django_setup  # noqa: E402
from bulk import copy_seconds, lead_rows  # noqa: E402
from pages import drop_database  # noqa: E402

TABLES = (
    "leads_leadday, feedback_feedbackitem, feedback_verdict, leads_handoff, leads_touch, leads_leadevent, leads_lead"
)


def peak_rss_reset() -> None:
    """Start VmHWM again from the current resident size (Linux: `5` in /proc/self/clear_refs)."""
    Path("/proc/self/clear_refs").write_text("5")


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200000,1000000")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="Keep the bench database afterwards.")
    args = parser.parse_args()

    url = bench_django_setup("_bench_generate")
    from django.core.management import call_command
    from django.db import connection, connections

    call_command("migrate", verbosity=0)
    results = []
    try:
        for size in (int(s) for s in args.sizes.split(",")):
            with connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE")
            print(f"generate_leads --count {size:,} …", flush=True)
            peak_rss_reset()
            started = time.perf_counter()
            call_command("generate_leads", count=size, force=True, seed=args.seed, stdout=sys.stdout)
            seconds = time.perf_counter() - started
            rss = peak_rss_mb()
            with connection.cursor() as cursor:
                cursor.execute("SELECT " + " + ".join(f"(SELECT count(*) FROM {t})" for t in TABLES.split(", ")))
                rows = cursor.fetchone()[0]
            copy = copy_seconds(lead_rows(size, f"copy-{size}"))
            results.append((size, seconds, copy, rss, rows))
            print(f"  {seconds:.1f} s, COPY of {size:,} plain rows {copy:.1f} s", flush=True)
    finally:
        connections.close_all()
        if not args.keep:
            drop_database(url)

    print()
    print("generate_leads (roll-up included) beside COPY of as many plain lead rows into a table with one unique index")
    print(
        f"{'leads':>9} | {'seconds':>7} | {'leads/s':>7} | {'COPY rows/s':>11} | {'ratio':>5} | {'peak RSS':>8} | "
        f"{'rows a lead':>11} | leads/s if every row went at COPY's rate"
    )
    for size, seconds, copy, rss, rows in results:
        print(
            f"{size:>9,} | {seconds:>7.1f} | {size / seconds:>7,.0f} | {size / copy:>11,.0f} | "
            f"{copy / seconds:>5.3f} | {rss:>5.0f} MB | {rows / size:>11.1f} | {size / copy / (rows / size):>7,.0f}"
        )
    from summary import record

    for size, seconds, copy, _, _ in results:
        rate = size / seconds
        record(
            f"generate_leads --count {size:,}", rate, size / copy, "leads/s", "≥ 50,000 leads/s", rate >= 50_000, "COPY"
        )


if __name__ == "__main__":
    main()
