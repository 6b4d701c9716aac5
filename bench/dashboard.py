"""How long the shared dashboard takes on 1,000,000 leads, beside one plain GROUP BY over them.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/alignment .venv/bin/python bench/dashboard.py

It never touches the database in DATABASE_URL: it works in a sibling database named `<name>_bench`
(or BENCH_DATABASE_URL), creates and migrates it, and loads the leads with `generate_series` (with
their handoffs, verdicts, feedback items and cold episodes) unless they are already there. Rows go in
in the order the product writes them (leads as they are captured, handoffs as they are made, …), then
the tables are vacuumed and analysed as autovacuum would, and the dashboard's daily roll-up is built
by `lead_days_rebuild` (timed). Then it prints the median of several runs of the dashboard service and
of `GET /api/dashboard/`, and the median of one hand-written `GROUP BY` over the leads table in the
same run.

Options: --leads N (default 1000000), --runs N (default 11), --reload (load again).
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from benchdb import bench_django_setup  # noqa: E402

LOAD_SQL = """
INSERT INTO alignment_team (name) VALUES ('Bench sales'), ('Bench marketing') ON CONFLICT DO NOTHING;
INSERT INTO alignment_user (password, is_superuser, username, first_name, last_name, email, is_staff,
    is_active, date_joined, role, available, chat_notifications, email_notifications, team_id)
SELECT '!', false, role || g, '', '', role || g || '@bench.test', false, true, now(), role, true, true, true,
    (SELECT id FROM alignment_team WHERE name = CASE role WHEN 'rep' THEN 'Bench sales' ELSE 'Bench marketing' END)
FROM generate_series(1, 40) g, unnest(ARRAY['rep', 'marketer']) role
WHERE role = 'rep' OR g <= 10
ON CONFLICT (username) DO NOTHING;
INSERT INTO leads_campaign (name, source, form_key, allowed_origins, active, created_at, owner_id)
SELECT 'Bench campaign ' || g,
    (ARRAY['web','paid_search','social','email','event','webinar','referral','partner'])[1 + g % 8],
    'bench-' || g, '', true, now(),
    (SELECT id FROM alignment_user WHERE username = 'marketer' || (1 + g % 10))
FROM generate_series(1, 50) g
ON CONFLICT (name) DO NOTHING;

CREATE TEMP TABLE bench_ids AS SELECT
    (SELECT array_agg(id ORDER BY id) FROM leads_campaign WHERE name LIKE 'Bench campaign %') AS campaigns,
    (SELECT array_agg(id ORDER BY id) FROM alignment_user WHERE username LIKE 'rep%') AS reps,
    (SELECT array_agg(id ORDER BY id) FROM alignment_user WHERE username LIKE 'marketer%') AS marketers,
    (SELECT array_agg(id ORDER BY id) FROM feedback_reasoncode) AS reasons;

INSERT INTO leads_lead (email, name, company, title, phone, country, region, estimated_value, source, notes,
    pain_points, status, touch_count, last_touch_at, last_activity_at, captured_at, handed_off_at, accepted_at,
    qualified_at, won_at, lost_at, won_amount, recycle_count, recycle_reason, snooze_reason, verdict, updated_at,
    campaign_id, captured_by_id, owner_id, snoozed_until)
SELECT 'lead' || g || '@bench.test', 'Lead ' || g, 'Company ' || (g % 50000), '', '', 'DE', '',
    (500 + (g::bigint * 7919) % 50000)::numeric, s.source, '', '', s.status, 1, s.cap, s.cap, s.cap,
    CASE WHEN s.stage >= 1 THEN s.handed END,
    CASE WHEN s.stage >= 3 THEN s.handed + s.wait END,
    CASE WHEN s.stage >= 4 THEN LEAST(s.handed + s.wait + interval '5 days' * s.r2, now()) END,
    CASE WHEN s.status = 'won' THEN LEAST(s.handed + s.wait + interval '30 days' * s.r2, now()) END,
    CASE WHEN s.status = 'lost' THEN LEAST(s.handed + s.wait + interval '30 days' * s.r2, now()) END,
    CASE WHEN s.status = 'won' THEN (1000 + (g::bigint * 104729) % 90000)::numeric END,
    0, '', '', '', now(), s.campaign, s.marketer,
    CASE WHEN s.stage >= 1 THEN s.rep END,
    CASE WHEN s.status IN ('accepted', 'working', 'qualified') AND g % 97 = 0 THEN now() + interval '3 days' END
FROM (
    SELECT g, r, r2, cap, cap + interval '2 days' * r2 AS handed, interval '36 hours' * r2 AS wait,
        ids.campaigns[1 + g % 50] AS campaign, ids.marketers[1 + g % 10] AS marketer,
        ids.reps[1 + g % 40] AS rep,
        (ARRAY['web','paid_search','social','email','event','webinar','referral','partner'])[1 + g % 8] AS source,
        CASE WHEN r < 0.20 THEN 'new' WHEN r < 0.28 THEN 'rejected' WHEN r < 0.35 THEN 'handed_off'
             WHEN r < 0.40 THEN 'accepted' WHEN r < 0.45 THEN 'working' WHEN r < 0.55 THEN 'qualified'
             WHEN r < 0.80 THEN 'lost' ELSE 'won' END AS status,
        CASE WHEN r < 0.20 THEN 0 WHEN r < 0.35 THEN 1 WHEN r < 0.45 THEN 3 ELSE 4 END AS stage
    FROM (SELECT g, random() AS r, random() AS r2, now() - interval '1095 days' * random() AS cap
          FROM generate_series(1, %(leads)s) g) raw, bench_ids ids
) s
ORDER BY s.cap;

INSERT INTO leads_handoff (note, created_at, sla_due_at, outcome, ended_at, outcome_note, routing_reason, by_id,
    reject_reason_id, to_rep_id, lead_id)
SELECT 'bench', l.handed_off_at, l.handed_off_at + interval '24 hours',
    CASE l.status WHEN 'rejected' THEN 'rejected' WHEN 'handed_off' THEN 'open' ELSE 'accepted' END,
    CASE l.status WHEN 'rejected' THEN l.handed_off_at + interval '5 hours' WHEN 'handed_off' THEN NULL
        ELSE l.accepted_at END,
    '', '', l.captured_by_id,
    CASE WHEN l.status = 'rejected' THEN ids.reasons[1 + l.id % array_length(ids.reasons, 1)] END,
    l.owner_id, l.id
FROM leads_lead l, bench_ids ids WHERE l.handed_off_at IS NOT NULL
ORDER BY l.handed_off_at;

INSERT INTO feedback_verdict (verdict, note, current, created_at, lead_id, rep_id, pain_points)
SELECT CASE WHEN l.status = 'won' OR l.id % 3 = 0 THEN 'good' ELSE 'bad' END, '', true,
    l.accepted_at + interval '1 day', l.id, l.owner_id, ''
FROM leads_lead l WHERE l.accepted_at IS NOT NULL AND l.id % 3 <> 1
ORDER BY l.accepted_at;
-- Each lead carries its current verdict, as the verdict service leaves it (the roll-up counts it there).
UPDATE leads_lead l SET verdict = v.verdict, verdict_at = v.created_at
FROM feedback_verdict v WHERE v.lead_id = l.id AND v.current;

INSERT INTO feedback_feedbackitem (kind, note, status, resolution, resolution_note, resolved_at, created_at,
    assignee_id, lead_id, marketer_id, rep_id)
SELECT 'rejected', '', CASE WHEN l.id % 4 = 0 THEN 'open' ELSE 'resolved' END, '', '',
    CASE WHEN l.id % 4 = 0 THEN NULL ELSE l.handed_off_at + interval '2 days' END,
    l.handed_off_at + interval '5 hours', l.captured_by_id, l.id, l.captured_by_id, l.owner_id
FROM leads_lead l WHERE l.status = 'rejected'
ORDER BY l.handed_off_at;

INSERT INTO leads_coldepisode (reason, cold_since, opened_at, closed_at, lead_id)
SELECT 'no_activity', now() - interval '8 days', now() - interval '1 day', NULL, l.id
FROM leads_lead l WHERE l.status IN ('accepted', 'working', 'qualified') AND l.id % 20 = 0;
"""

TABLES = (
    "leads_leadday, leads_coldepisode, feedback_feedbackitem, feedback_verdict, leads_handoff, leads_touch, "
    "leads_leadevent, leads_lead"
)

GROUP_BY = """
SELECT campaign_id, count(*), sum(won_amount), sum(estimated_value)
FROM leads_lead GROUP BY campaign_id
"""


def median_seconds(fn, runs):
    fn()  # warm the caches and the connection
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--reload", action="store_true")
    args = parser.parse_args()

    bench_django_setup("_bench")
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from alignment.models import User
    from alignment.sla import sla_settings_get
    from dashboard.figures import dashboard_figures, speed_to_lead_figures
    from dashboard.periods import dashboard_filters_parse
    from leads.rollup import lead_days_rebuild

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM leads_lead")
        have = cursor.fetchone()[0]
    if args.reload or have != args.leads:
        print(f"loading {args.leads:,} leads into {settings.DATABASES['default']['NAME']} …", flush=True)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE")
            cursor.execute(LOAD_SQL.replace("%(leads)s", str(int(args.leads))))
            cursor.execute("VACUUM ANALYZE")
        print(f"loaded in {time.perf_counter() - started:.1f} s", flush=True)
        started = time.perf_counter()
        lead_days_rebuild()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE leads_leadday")
        print(f"daily roll-up built by lead_days_rebuild in {time.perf_counter() - started:.1f} s", flush=True)
    with connection.cursor() as cursor:
        counts = {}
        tables = ("leads_lead", "leads_handoff", "feedback_verdict", "feedback_feedbackitem", "leads_coldepisode")
        for table in (*tables, "leads_leadday"):
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
    print("rows:", ", ".join(f"{table} {n:,}" for table, n in counts.items()))

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # the test client's host
    filters = dashboard_filters_parse({})
    user = User.objects.filter(username="rep1").first()
    client = Client()
    client.force_login(user)

    def service():
        return dashboard_figures(filters=filters)

    def api():
        response = client.get("/api/dashboard/")
        assert response.status_code == 200, response.content[:500]

    def group_by():
        with connection.cursor() as cursor:
            cursor.execute(GROUP_BY)
            cursor.fetchall()

    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        figures = service()
    print(
        f"period {figures['period']['label']}: won {figures['won_revenue']:,} from {figures['won_count']:,} leads, "
        f"pipeline {figures['pipeline_value']:,}, funnel {[s['count'] for s in figures['funnel']['steps']]}"
    )
    t_group = median_seconds(group_by, args.runs)
    t_service = median_seconds(service, args.runs)
    t_api = median_seconds(api, args.runs)
    print(f"{'one GROUP BY over leads_lead':<32}median {t_group * 1000:8.1f} ms")
    label = f"dashboard service ({len(queries)} queries)"
    print(f"{label:<32}median {t_service * 1000:8.1f} ms   {t_service / t_group:.2f}× the GROUP BY")
    print(f"{'GET /api/dashboard/':<32}median {t_api * 1000:8.1f} ms   {t_api / t_group:.2f}× the GROUP BY")

    # Speed to lead on its own, on both clocks: business hours put the calendar arithmetic in the SQL.
    def speed():
        return speed_to_lead_figures(filters, connection.vendor == "postgresql")

    policy = sla_settings_get()
    kept = policy.business_hours
    for clock in ("", "Mon-Fri 09:00-17:00 Europe/Berlin"):
        policy.business_hours = clock
        policy.save(update_fields=["business_hours"])
        figures = speed()
        t_speed = median_seconds(speed, args.runs)
        label = f"speed to lead ({'business hours' if clock else 'every hour'})"
        print(
            f"{label:<32}median {t_speed * 1000:8.1f} ms   {t_speed / t_group:.2f}× the GROUP BY   "
            f"({figures['answered']:,} answered, p50 {figures['p50_seconds']} s, p90 {figures['p90_seconds']} s)"
        )
    policy.business_hours = kept
    policy.save(update_fields=["business_hours"])


if __name__ == "__main__":
    main()
