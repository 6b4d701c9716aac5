"""Campaign planning's figures at 20,000 and 1,000,000 leads, each beside one GROUP BY over the
leads measured right after it, at the same size.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/alignment .venv/bin/python bench/planning.py

It never touches the database in DATABASE_URL: for each size it works in a sibling database named
`<name>_bench_planning_<size>` (or BENCH_DATABASE_URL's name with the size), created and migrated
here and filled with `manage.py generate_leads` up to the size unless it holds that many already;
they are dropped afterwards unless --keep. With --database URL it measures that one migrated
database of generated leads as it is (a copy of a big one, say), at whatever size it holds.

Unless the leads already carry pain themes, it first tags a share of the current verdicts with
themes (one INSERT … SELECT) and gives each generated rep three covered segments, so there is
something to count; then it prints the median of several runs of: a request's evidence, voice of
sales by segment over a year, the plan (service and page, logged in as gen-marketer-1) and this
week's meeting page.

Options: --sizes N [N …] (default 20000 1000000), --runs N (default 5), --keep, --database URL,
--only meeting (time only the meeting page, beside its GROUP BY: no theme tagging, no plan).
"""

import argparse
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from benchdb import bench_django_setup, create_database, django_setup, pages_through_the_test_client  # noqa: E402
from pages import GROUP_BY, drop_database, grow_to, median_ms, use_database  # noqa: E402


def _prepare():
    """Themes on a third of the current verdicts and three segments per rep, once."""
    from django.db import connection

    from alignment.models import Role, Territory, User
    from feedback.models import PainTheme, Verdict
    from feedback.rollup import theme_figures_rebuild
    from leads.models import Lead

    through = Verdict.pain_themes.through
    if not through.objects.exists():
        themes = list(PainTheme.objects.order_by("position").values_list("id", flat=True))
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {through._meta.db_table} (verdict_id, paintheme_id) "
                f"SELECT v.id, (ARRAY[{','.join(map(str, themes))}])[1 + (v.id % {len(themes)})] "
                f"FROM {Verdict._meta.db_table} v WHERE v.current AND v.id % 3 = 0"
            )
            cursor.execute(f"ANALYZE {through._meta.db_table}")
        theme_figures_rebuild()  # written behind the services' back: rolled up as `rebuild_dashboard` does
    segments = list(
        Lead.objects.exclude(industry__isnull=True)
        .exclude(country="")
        .values_list("industry_id", "country")
        .distinct()[:60]
    )
    for n, rep in enumerate(User.objects.filter(role=Role.REP, is_active=True).order_by("id")[:20]):
        if rep.verticals.exists():
            continue
        for vertical_id, country in segments[3 * n : 3 * n + 3]:
            rep.verticals.add(vertical_id)
            rep.territories.add(Territory.objects.get_or_create(country=country, region="")[0])
    return segments[0]


def measure(runs, only=None):
    """Every figure at the size the current database holds (or only the meeting page), each beside
    the GROUP BY right after."""
    from datetime import timedelta

    from django.db import connection
    from django.test import Client
    from django.utils import timezone
    from summary import record

    from alignment.models import User
    from feedback.themes import pain_theme_counts
    from leads.models import Lead
    from planning.evidence import segment_evidence
    from planning.meetings import meeting_get_or_create
    from planning.plan import plan_for

    vertical_id, country = _prepare() if only is None else (None, None)
    meeting = meeting_get_or_create(week=timezone.localdate())
    client = Client()
    client.force_login(User.objects.get(username="gen-marketer-1"))

    def group_by():
        with connection.cursor() as cursor:
            cursor.execute(GROUP_BY)
            cursor.fetchall()

    def page(path):
        def request():
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)

        return request

    year_ago = timezone.now() - timedelta(days=365)
    measures = {
        "request evidence (one segment, 12 months)": (
            lambda: segment_evidence(vertical_id=vertical_id, country=country),
            50,
        ),
        "voice of sales by segment, a year": (lambda: pain_theme_counts(start=year_ago), 100),
        "plan service (20 reps × 3 segments)": (plan_for, 200),
        "plan page /campaigns/plan/": (page("/campaigns/plan/"), 200),
        "meeting page /meetings/<id>/": (page(f"/meetings/{meeting.pk}/"), 100),
    }
    if only == "meeting":
        measures = {what: measure for what, measure in measures.items() if what.startswith("meeting")}
    leads = Lead.objects.count()
    print(f"{leads:,} leads, medians of {runs} runs")
    print(f"{'':44} {'figure':>9} {'GROUP BY':>9} {'ratio':>6}")
    for what, (fn, target_ms) in measures.items():
        value = median_ms(fn, runs)
        baseline = median_ms(group_by, runs)
        print(f"{what:44} {value:7.1f}ms {baseline:7.1f}ms {value / baseline:5.2f}×", flush=True)
        record(
            f"{what}, at {leads:,} leads",
            value,
            baseline,
            "ms",
            f"< {target_ms} ms and ≤ 1.5× the GROUP BY",
            value < target_ms and value <= 1.5 * baseline,
            "one GROUP BY over the leads",
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="Keep the bench databases afterwards.")
    parser.add_argument("--database", help="Measure this migrated database of generated leads as it is.")
    parser.add_argument("--only", choices=["meeting"], help="Time only the meeting page (beside its GROUP BY).")
    args = parser.parse_args()
    if args.database:
        if not args.database.startswith(("postgres://", "postgresql://")):
            sys.exit("--database takes a PostgreSQL URL.")
        django_setup(args.database)
        pages_through_the_test_client()
        measure(args.runs, args.only)
        return
    base = bench_django_setup("_bench_planning")
    pages_through_the_test_client()
    from django.core.management import call_command
    from django.db import connections

    for size in sorted(args.sizes):
        url = f"{base}_{size}"
        create_database(url)
        use_database(url)
        try:
            call_command("migrate", verbosity=0)
            grow_to(size)
            print()
            measure(args.runs, args.only)
        finally:
            connections.close_all()
            if not args.keep:
                drop_database(url)


if __name__ == "__main__":
    main()
