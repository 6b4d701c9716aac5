"""The feedback queue and the campaign scorecard on a large loop: first page, filtered page, deep page.

A busy marketing team accumulates hundreds of thousands of feedback items. The queue is read oldest
first by keyset (never OFFSET), scoped to one marketer; the scorecard aggregates every lead in the
period. This loads N leads with a verdict and a feedback item each (bulk, in a throwaway test
database on the configured DATABASE_URL's server; SQLite by default) and prints the median of
several runs of each read, plus the query plan's top line for the queue on PostgreSQL.

    .venv/bin/python bench/feedback_queue.py                 # 100,000 items
    .venv/bin/python bench/feedback_queue.py --items 300000 --runs 9
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alignment.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

BATCH = 5000


def load(n: int):
    from alignment.models import Role, User
    from feedback.models import FeedbackItem, FeedbackKind, FeedbackStatus, ReasonCode, Verdict
    from leads.models import Campaign, Lead, LeadStatus

    marketers = [User.objects.create(username=f"bench-marketer{i}", role=Role.MARKETER) for i in range(10)]
    reps = [User.objects.create(username=f"bench-rep{i}", role=Role.REP) for i in range(40)]
    campaigns = [Campaign.objects.create(name=f"Bench {i}", owner=marketers[i % 10]) for i in range(50)]
    reasons = list(ReasonCode.objects.all())
    now = timezone.now()
    for start in range(0, n, BATCH):
        rows = range(start, min(n, start + BATCH))
        at = [now - timedelta(minutes=i) for i in rows]
        leads = Lead.objects.bulk_create(
            [
                Lead(
                    email=f"bench{i}@company{i}.test",
                    campaign=campaigns[i % 50],
                    captured_by=campaigns[i % 50].owner,
                    owner=reps[i % 40],
                    status=LeadStatus.WORKING,
                    captured_at=at[k] - timedelta(days=2),
                    last_touch_at=at[k],
                    last_activity_at=at[k],
                    handed_off_at=at[k] - timedelta(days=1),
                    accepted_at=at[k] - timedelta(hours=20),
                    # the current verdict, as the verdict service leaves it on the lead (the roll-up counts it)
                    verdict="bad" if i % 3 else "good",
                    verdict_at=at[k],
                    verdict_wait=timedelta(days=1),  # and its wait for that (first) verdict
                )
                for k, i in enumerate(rows)
            ]
        )
        verdicts = Verdict.objects.bulk_create(
            [
                Verdict(
                    lead=lead,
                    rep=lead.owner,
                    verdict="bad" if i % 3 else "good",
                    reason=reasons[i % len(reasons)] if i % 3 else None,
                    created_at=at[k],
                )
                for k, (i, lead) in enumerate(zip(rows, leads, strict=True))
            ]
        )
        FeedbackItem.objects.bulk_create(
            [
                FeedbackItem(
                    lead=lead,
                    kind=FeedbackKind.BAD_VERDICT if i % 3 else FeedbackKind.GOOD_VERDICT,
                    assignee=lead.captured_by,
                    marketer=lead.captured_by,
                    rep=lead.owner,
                    verdict=verdict,
                    reason=verdict.reason,
                    status=(FeedbackStatus.OPEN if i % 5 else FeedbackStatus.RESOLVED)
                    if i % 3
                    else FeedbackStatus.INFO,
                    resolved_at=None if i % 5 else at[k],
                    created_at=at[k],
                )
                for k, (i, lead, verdict) in enumerate(zip(rows, leads, verdicts, strict=True))
            ]
        )
    # Written in bulk, behind the services' back: roll the leads up as `rebuild_dashboard` does.
    from feedback.rollup import reason_days_rebuild
    from leads.rollup import lead_days_rebuild

    lead_days_rebuild()
    reason_days_rebuild()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")
    # Marketer 1's campaigns get the open items (every fifth item, marketer 0's, is resolved).
    return marketers[1]


def explain_scorecard():
    """Run the scorecard once with every query's execution time from EXPLAIN ANALYZE."""
    from django.test.utils import CaptureQueriesContext

    from feedback.scorecard import campaign_scorecard, scorecard_period

    with CaptureQueriesContext(connection) as queries:
        campaign_scorecard(period=scorecard_period("all"))
    for number, query in enumerate(queries.captured_queries, start=1):
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN ANALYZE " + query["sql"])
            plan = [row[0] for row in cursor.fetchall()]
        print(f"  scorecard query {number}: {plan[-1]} — {plan[0][:100]}")


def median_ms(fn, runs: int) -> float:
    fn()  # warm up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--explain", action="store_true", help="print each scorecard query's time (PostgreSQL)")
    args = parser.parse_args()

    settings.DEBUG = False
    from feedback.scorecard import campaign_scorecard, scorecard_period
    from feedback.selectors import feedback_queue_for_user

    old_name = connection.settings_dict["NAME"]
    if connection.vendor != "sqlite":
        connection.settings_dict["TEST"]["NAME"] = f"bench_feedback_{old_name}"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        started = time.perf_counter()
        marketer = load(args.items)
        print(f"database: {connection.vendor}; {args.items} items loaded in {time.perf_counter() - started:.0f} s")
        if args.explain and connection.vendor == "postgresql":
            explain_scorecard()

        queue = feedback_queue_for_user(user=marketer, filters={"status": "open"})
        total = queue.count()
        middle = queue.values_list("created_at", "id")[total // 2]
        print(f"open items in this marketer's queue: {total}")

        def first_page():
            return list(feedback_queue_for_user(user=marketer, filters={"status": "open"})[:50])

        def filtered_page():
            return list(feedback_queue_for_user(user=marketer, filters={"status": "open", "reason": "no_budget"})[:50])

        def deep_page():
            qs = feedback_queue_for_user(user=marketer, filters={"status": "open"})
            return list(qs.filter(created_at__gt=middle[0])[:50])

        def scorecard_all():
            return campaign_scorecard(period=scorecard_period("all"))

        def scorecard_30d():
            return campaign_scorecard(period=scorecard_period("30d"))

        for label, fn in [
            ("queue, first page (one marketer)", first_page),
            ("queue, filtered by reason", filtered_page),
            ("queue, page in the middle (keyset)", deep_page),
            ("scorecard, all time", scorecard_all),
            ("scorecard, last 30 days", scorecard_30d),
        ]:
            print(f"{label:<40} {median_ms(fn, args.runs):>9.1f} ms (median of {args.runs})", flush=True)

        if connection.vendor == "postgresql":
            page = feedback_queue_for_user(user=marketer, filters={"status": "open"})[:50]
            sql, params = page.query.sql_with_params()
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN " + sql, params)
                plan = [row[0] for row in cursor.fetchall()]
            print("queue plan:", " | ".join(line.strip() for line in plan[:4]))
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
