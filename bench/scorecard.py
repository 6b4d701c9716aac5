"""The campaign scorecard at the size of the data it is pointed at, beside one GROUP BY over the leads.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/alignment_bench_pages .venv/bin/python bench/scorecard.py

It only reads: point it at a database that already holds generated leads (`manage.py generate_leads`,
migrated, VACUUM ANALYZE'd), e.g. the large one `bench/pages.py --keep` leaves. For each period
(30d, 90d, 365d, all) it prints the median of several runs of the scorecard service, of the page
through Django's test client (logged in as gen-marketer-1) and, in the same run, of
`SELECT campaign_id, count(*), sum(won_amount), sum(estimated_value) FROM leads_lead GROUP BY
campaign_id`, the baseline the figure pages are held to (≤ 1.5× it).

Options: --runs N (default 7).
"""

import argparse
import os
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from benchdb import django_setup, pages_through_the_test_client  # noqa: E402
from pages import GROUP_BY, median_ms  # noqa: E402

PERIODS = ("30d", "90d", "365d", "all")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set BENCH_DATABASE_URL (or DATABASE_URL) to a PostgreSQL database holding generated leads.")
    django_setup(url)
    pages_through_the_test_client()
    from django.db import connection
    from django.test import Client
    from summary import record

    from alignment.models import User
    from feedback.scorecard import campaign_scorecard, scorecard_period
    from leads.models import Lead

    client = Client()
    client.force_login(User.objects.get(username="gen-marketer-1"))

    def group_by():
        with connection.cursor() as cursor:
            cursor.execute(GROUP_BY)
            cursor.fetchall()

    def service(key):
        return lambda: campaign_scorecard(period=scorecard_period(key))

    def page(key):
        def request():
            response = client.get(f"/feedback/campaigns/?period={key}")
            assert response.status_code == 200, response.status_code

        return request

    leads = Lead.objects.count()
    print(f"{leads:,} leads, medians of {args.runs} runs")
    print(f"{'':28} {'service':>9} {'page':>9} {'GROUP BY':>9}")
    for key in PERIODS:
        # Each figure beside a GROUP BY measured right after it: a busy machine moves both.
        figures = {"service": median_ms(service(key), args.runs), "page": median_ms(page(key), args.runs)}
        baseline = median_ms(group_by, args.runs)
        print(f"scorecard, {key:<17} {figures['service']:7.0f}ms {figures['page']:7.0f}ms {baseline:7.0f}ms")
        for what, value in figures.items():
            record(
                f"scorecard {what}, {key}, at {leads:,} leads",
                value,
                baseline,
                "ms",
                "≤ 1.5× the GROUP BY",
                value <= 1.5 * baseline,
                "one GROUP BY over the leads",
            )


if __name__ == "__main__":
    main()
