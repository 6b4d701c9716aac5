"""How long the cold-lead sweep takes, and how many queries it makes, at 100,000 and 1,000,000 leads.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/alignment .venv/bin/python bench/sweep.py

It never touches the database in DATABASE_URL: it works in a sibling database named
`<name>_sweep_bench` (or BENCH_DATABASE_URL), creates and migrates it, and for each size empties the
tables and loads the leads with `generate_series` — 1% of them cold (half handed off and not accepted
past the SLA, half accepted and quiet for a month), the rest spread over every status with their
handoffs, and one in twenty with an earlier, closed cold episode and its reminders. Then it runs the
sweep three times and prints, for each run, the time of the database work and the number of queries:

1. the first sweep: opens an episode per cold lead and sends every level-1 reminder (2 notifications
   a lead: the rep and the marketer);
2. a sweep a minute later: nothing new to do (the steady state every five minutes);
3. a sweep two hours later (the bench sets escalation to 2 hours): every episode escalates to the two
   managers.

The emails are not published: their enqueue runs on commit, after the database work, and is replaced
here by a no-op (publishing is the broker's cost, one message a notification).
Options: --sizes 100000,1000000
"""

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path
from unittest import mock

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from benchdb import bench_database_url, create_database  # noqa: E402

TRUNCATE_SQL = """
TRUNCATE leads_reminder, leads_coldepisode, alignment_notification, feedback_feedbackreply,
    feedback_feedbackitem, leads_handoff, leads_leadevent, leads_touch, leads_lead, leads_campaign,
    alignment_slasettings RESTART IDENTITY CASCADE;
DELETE FROM alignment_user WHERE username LIKE 'sweep-%%';
"""

USERS_SQL = """
INSERT INTO alignment_user (password, is_superuser, username, first_name, last_name, email, is_staff,
    is_active, date_joined, role, available)
SELECT '!', false, 'sweep-' || role || g, '', '', 'sweep-' || role || g || '@bench.test', false, true, now(),
    role, true
FROM generate_series(1, 40) g, unnest(ARRAY['rep', 'marketer', 'manager']) role
WHERE role = 'rep' OR (role = 'marketer' AND g <= 10) OR (role = 'manager' AND g <= 2);
INSERT INTO leads_campaign (name, source, form_key, allowed_origins, active, created_at, owner_id)
SELECT 'Sweep campaign ' || g, 'web', 'sweep-bench-' || g, '', true, now(),
    (SELECT id FROM alignment_user WHERE username = 'sweep-marketer' || (1 + g % 10))
FROM generate_series(1, 20) g;
"""

# Lead i: every 100th is cold (even hundreds: handed off two days ago and not accepted; odd
# hundreds: working, last activity a month ago). The others: won, lost, nurture, new, working and
# recently active, or handed off an hour ago (not due yet).
LEADS_SQL = """
WITH reps AS (SELECT array_agg(id ORDER BY id) AS ids FROM alignment_user WHERE username LIKE 'sweep-rep%%'),
     marketers AS (SELECT array_agg(id ORDER BY id) AS ids FROM alignment_user WHERE username LIKE 'sweep-marketer%%'),
     campaigns AS (SELECT array_agg(id ORDER BY id) AS ids FROM leads_campaign)
INSERT INTO leads_lead (email, name, company, title, phone, country, region, source, notes, pain_points,
    status, touch_count, last_touch_at, last_activity_at, captured_at, handed_off_at, accepted_at,
    recycle_count, recycle_reason, snooze_reason, updated_at, campaign_id, captured_by_id, owner_id)
SELECT 'person' || i || '@company' || (i %% 50000) || '.test', 'Person ' || i, 'Company ' || (i %% 50000), '', '',
    'DE', '', 'web', '', '', s.status, 1, now() - interval '40 days', s.activity, now() - interval '40 days',
    CASE WHEN s.status IN ('new', 'nurture') THEN NULL ELSE now() - interval '39 days' END,
    CASE WHEN s.status IN ('working', 'won', 'lost') THEN now() - interval '38 days' END,
    0, '', '', now(), campaigns.ids[1 + i %% 20], marketers.ids[1 + i %% 10],
    CASE WHEN s.status IN ('handed_off', 'working', 'won', 'lost') THEN reps.ids[1 + i %% 40] END
FROM generate_series(1, %s) i, reps, marketers, campaigns,
LATERAL (SELECT
    CASE
        WHEN i %% 200 = 0 THEN 'handed_off'
        WHEN i %% 100 = 0 THEN 'working'
        ELSE (ARRAY['won', 'lost', 'nurture', 'new', 'working', 'working', 'handed_off', 'won'])[1 + i %% 8]
    END AS status,
    CASE
        WHEN i %% 200 = 0 THEN now() - interval '2 days'
        WHEN i %% 100 = 0 THEN now() - interval '30 days'
        ELSE now() - interval '1 hour'
    END AS activity
) s;
INSERT INTO leads_handoff (note, created_at, sla_due_at, outcome, ended_at, outcome_note, routing_reason,
    by_id, to_rep_id, lead_id)
SELECT 'Story.', l.handed_off_at, l.handed_off_at + interval '24 hours',
    CASE WHEN l.status = 'handed_off' THEN 'open' ELSE 'accepted' END,
    CASE WHEN l.status = 'handed_off' THEN NULL ELSE l.accepted_at END, '', '', l.captured_by_id, l.owner_id, l.id
FROM leads_lead l WHERE l.handed_off_at IS NOT NULL;
-- Handed off leads: the handoff is when their clock started.
UPDATE leads_handoff h SET created_at = l.last_activity_at, sla_due_at = l.last_activity_at + interval '24 hours'
FROM leads_lead l WHERE h.lead_id = l.id AND l.status = 'handed_off';
-- History: one lead in twenty went cold once before and was worked again (a closed episode, its
-- reminder, and the two notifications it sent), so the tables and their statistics look lived in.
INSERT INTO leads_coldepisode (lead_id, reason, cold_since, opened_at, closed_at)
SELECT id, 'no_activity', now() - interval '30 days', now() - interval '23 days', now() - interval '22 days'
FROM leads_lead WHERE id %% 20 = 7;
INSERT INTO leads_reminder (episode_id, level, created_at) SELECT id, 1, opened_at FROM leads_coldepisode;
INSERT INTO alignment_notification (recipient_id, kind, lead_id, message, url, read, created_at, email_sent_at)
SELECT u.id, 'reminder', e.lead_id, 'An earlier reminder.', '/leads/' || e.lead_id || '/', true, e.opened_at,
    e.opened_at
FROM leads_coldepisode e JOIN leads_lead l ON l.id = e.lead_id
JOIN alignment_user u ON u.id IN (l.captured_by_id, l.owner_id);
INSERT INTO feedback_feedbackitem (kind, note, status, resolution, resolution_note, created_at, assignee_id,
    lead_id)
SELECT 'bad_verdict', '', 'open', '', '', now() - interval '1 day', l.captured_by_id, l.id
FROM leads_lead l WHERE l.id %% 100 = 50;
"""


def load(n: int) -> float:
    from django.db import connection

    from alignment.sla import sla_settings_get

    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(TRUNCATE_SQL)
        cursor.execute(USERS_SQL)
        cursor.execute(LEADS_SQL, [n])
        cursor.execute("ANALYZE")
    # The default thresholds (24-hour SLA, 7 days), and escalation 2 hours after the first reminder.
    policy = sla_settings_get()
    policy.escalate_after_hours = 2
    policy.save()
    return time.monotonic() - started


def run_sweep(label, *, now):
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from leads.cold import cold_leads_sweep

    published = []
    with (
        mock.patch("alignment.services.notification_emails_enqueue", side_effect=published.extend),
        mock.patch("leads.cold.notification_emails_enqueue", side_effect=published.extend),
        CaptureQueriesContext(connection) as queries,
    ):
        started = time.monotonic()
        with transaction.atomic():
            result = cold_leads_sweep(now=now)
        elapsed = time.monotonic() - started
    print(
        f"  {label:<34} {elapsed:7.3f} s  {len(queries):3d} queries   "
        f"{result.episodes_opened:6d} episodes opened, {result.reminders:6d} reminders, "
        f"{result.escalations:6d} escalations, {len(result.notification_ids):6d} notifications"
    )
    return elapsed, len(queries)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000,1000000")
    args = parser.parse_args()
    url = bench_database_url("_sweep_bench")
    create_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alignment.settings")
    os.environ["CELERY_BROKER_URL"] = "memory://"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    settings.DEBUG = False
    call_command("migrate", verbosity=0)
    version = connection.cursor().connection.info.server_version
    print(f"PostgreSQL {version}, database {settings.DATABASES['default']['NAME']}")
    summary = []
    for n in (int(s) for s in args.sizes.split(",")):
        seconds = load(n)
        print(f"\n{n:,} leads ({n // 100:,} cold) loaded in {seconds:.1f} s")
        now = timezone.now()
        first = run_sweep("first sweep (level-1 reminders)", now=now)
        run_sweep("next sweep (nothing new)", now=now + timedelta(minutes=1))
        third = run_sweep("2 hours later (escalations)", now=now + timedelta(hours=2, minutes=1))
        summary.append((n, first, third))
    print("\nleads       first sweep        escalation sweep")
    for n, (t1, q1), (t3, q3) in summary:
        print(f"{n:>9,}   {t1:6.3f} s {q1:3d} q   {t3:6.3f} s {q3:3d} q")


if __name__ == "__main__":
    main()
