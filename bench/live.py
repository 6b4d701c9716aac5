"""The live channel and the offer sweep, each figure beside a baseline measured in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/alignment REDIS_URL=redis://127.0.0.1:6379/1 \
        .venv/bin/python bench/live.py --streams 500 --leads 1000000

It works in a sibling database `<name>_live_bench` (or BENCH_DATABASE_URL), never in DATABASE_URL's.

1. Streams: starts `uvicorn alignment.asgi:application` on 127.0.0.1, opens `--streams` event
   streams (one per rep, token auth) from one asyncio client, then hands `--samples` leads to
   random reps one after another (`lead_hand_off`, a real committed transaction) and times each
   from the commit to the event arriving on that rep's stream: p50/p95, beside the bare Redis
   PUBLISH → SUBSCRIBE receive on the same Redis (the wake-up alone). Memory per open stream is the
   server's resident memory after opening them, less before, over the number of streams.
2. The offer sweep: `--leads` leads handed off by one rule to 40 reps, each with its open offer,
   1 % of them lapsed; times `offers_sweep()` and counts its queries, beside the bare
   `UPDATE … SET outcome = 'lapsed'` of the same rows (rolled back). `--reuse` keeps a database an
   earlier run loaded: the sweeps then run in one transaction that is rolled back (its deferred
   foreign-key checks forced and timed with the sweep by `SET CONSTRAINTS ALL IMMEDIATE`), so the
   same lapsed offers are there for the next run.
3. The site beside open streams, on the data part 2 left (`--only load` measures what the database
   holds): gunicorn serves `alignment.wsgi` (2 sync workers, as production) beside a uvicorn as in
   part 1. Each figure is the median of `--runs` requests one after another: capture (`POST
   /api/leads/`, a new email each, marketer token), the rep's inbox `/` and the lead list `/leads/`
   (session cookies) and `GET /api/leads/` (token). Measured three times in one run: with no stream
   open, with `--streams` streams open (one per rep), and with none again; the baseline is the
   slower of the two rounds without streams. Memory per open stream as in part 1.
"""

import argparse
import asyncio
import hashlib
import json
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
sys.path.insert(0, str(BASE_DIR / "bench"))

from benchdb import bench_django_setup  # noqa: E402
from summary import record  # noqa: E402

TRUNCATE_SQL = """
TRUNCATE leads_handoffoffer, alignment_liveevent, alignment_notification, leads_handoff, leads_leadevent,
    leads_leadday, leads_touch, leads_lead, leads_campaign, leads_routingrule_reps, leads_routingrule,
    authtoken_token, alignment_slasettings RESTART IDENTITY CASCADE;
DELETE FROM alignment_user WHERE username LIKE 'live-%%';
"""

USERS_SQL = """
INSERT INTO alignment_user (password, is_superuser, username, first_name, last_name, email, is_staff,
    is_active, date_joined, role, available, email_notifications, chat_notifications)
SELECT '!', false, 'live-' || role || g, '', '', 'live-' || role || g || '@bench.test', false, true, now(),
    role, true, false, false
FROM generate_series(1, %s) g, unnest(ARRAY['rep', 'marketer', 'manager']) role
WHERE role = 'rep' OR g <= 2;
INSERT INTO authtoken_token (key, created, user_id)
SELECT md5('live-bench' || id), now(), id FROM alignment_user WHERE username LIKE 'live-rep%%';
INSERT INTO leads_campaign (name, source, form_key, allowed_origins, active, created_at, owner_id)
SELECT 'Live campaign', 'web', 'live-bench', '', true, now(), id FROM alignment_user WHERE username = 'live-marketer1';
"""

OFFERS_SQL = """
INSERT INTO leads_routingrule (name, priority, country, region, countries, verticals, active, turns)
VALUES ('Everyone', 10, '', '', '[]', '[]', true, 0);
INSERT INTO leads_routingrule_reps (routingrule_id, user_id)
SELECT 1, id FROM (SELECT id FROM alignment_user WHERE username LIKE 'live-rep%%' ORDER BY id LIMIT 40) r;
WITH reps AS (SELECT array_agg(id ORDER BY id) AS ids FROM
        (SELECT id FROM alignment_user WHERE username LIKE 'live-rep%%' ORDER BY id LIMIT 40) r),
     m AS (SELECT id FROM alignment_user WHERE username = 'live-marketer1')
INSERT INTO leads_lead (email, name, company, title, phone, country, region, source, notes, pain_points,
    status, touch_count, last_touch_at, last_activity_at, captured_at, handed_off_at, recycle_count,
    recycle_reason, snooze_reason, updated_at, campaign_id, captured_by_id, owner_id, verdict)
SELECT 'offer' || i || '@bench.test', 'Person ' || i, '', '', '', 'DE', '', 'web', '', '', 'handed_off', 1,
    now() - interval '1 hour', now() - interval '1 hour', now() - interval '1 hour', now() - interval '1 hour',
    0, '', '', now(), 1, m.id, reps.ids[1 + i %% 40], ''
FROM generate_series(1, %s) i, reps, m;
INSERT INTO leads_handoff (note, created_at, sla_due_at, outcome, outcome_note, routing_reason, routing_turn,
    routing_rule_id, by_id, to_rep_id, lead_id)
SELECT 'Story.', l.handed_off_at, l.handed_off_at + interval '24 hours', 'open', '', 'Offer 1', l.id, 1,
    l.captured_by_id, l.owner_id, l.id
FROM leads_lead l;
UPDATE leads_routingrule SET turns = (SELECT count(*) FROM leads_handoff);
-- One in a hundred lapsed a moment ago; the rest have minutes left.
INSERT INTO leads_handoffoffer (handoff_id, lead_id, rep_id, position, routing_turn, offered_at, due_at, outcome)
SELECT h.id, h.lead_id, h.to_rep_id, 1, h.routing_turn, h.created_at,
    CASE WHEN h.id %% 100 = 0 THEN now() - interval '1 second' ELSE now() + interval '10 minutes' END, 'open'
FROM leads_handoff h;
ANALYZE;
"""


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _p(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))] if values else float("nan")


def bench_streams(*, streams: int, samples: int, url: str) -> None:
    import httpx
    import redis
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from alignment.models import User
    from leads.models import Campaign, Lead
    from leads.services import lead_hand_off

    with connection.cursor() as cursor:
        cursor.execute(TRUNCATE_SQL)
        cursor.execute(USERS_SQL, [streams])
    reps = list(User.objects.filter(username__startswith="live-rep").order_by("id"))
    tokens = {rep.id: hashlib.md5(f"live-bench{rep.id}".encode()).hexdigest() for rep in reps}
    marketer = User.objects.get(username="live-marketer1")
    campaign = Campaign.objects.get(name="Live campaign")

    port = 18765
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_DEBUG": "0", "DATABASE_CONN_MAX_AGE": "60"}
    server = subprocess.Popen(
        [
            str(BASE_DIR / ".venv/bin/uvicorn"),
            "alignment.asgi:application",
            "--port",
            str(port),
            "--no-access-log",
            "--timeout-graceful-shutdown",
            "2",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        rss_before = _rss_kb(server.pid)

        received: dict[int, float] = {}
        waiting: dict[int, threading.Event] = {}
        opened = threading.Event()
        loop = asyncio.new_event_loop()

        async def one(client, rep_id, ready):
            headers = {"Authorization": f"Token {tokens[rep_id]}"}
            async with client.stream("GET", f"{base}/api/events/", headers=headers) as response:
                ready.append(rep_id)
                async for line in response.aiter_lines():
                    if line.startswith("data:"):
                        lead = json.loads(line[5:]).get("lead")
                        received[lead] = time.monotonic()
                        if lead in waiting:
                            waiting[lead].set()

        async def main():
            limits = httpx.Limits(max_connections=streams + 10, max_keepalive_connections=streams + 10)
            async with httpx.AsyncClient(timeout=httpx.Timeout(30, read=None), limits=limits) as client:
                ready = []
                tasks = [asyncio.ensure_future(one(client, rep.id, ready)) for rep in reps]
                while len(ready) < len(reps):
                    await asyncio.sleep(0.05)
                opened.set()
                await asyncio.gather(*tasks, return_exceptions=True)

        thread = threading.Thread(target=lambda: loop.run_until_complete(main()), daemon=True)
        thread.start()
        assert opened.wait(120), "the streams did not open"
        time.sleep(2)  # every stream past its first read
        rss_after = _rss_kb(server.pid)

        latencies = []
        rng = random.Random(7)
        for i in range(samples):
            rep = rng.choice(reps)
            lead = Lead.objects.create(
                email=f"live{i}@bench.test",
                campaign=campaign,
                captured_by=marketer,
                captured_at=timezone.now(),
                last_touch_at=timezone.now(),
                last_activity_at=timezone.now(),
            )
            waiting[lead.id] = threading.Event()
            lead_hand_off(lead=lead, rep=rep, note="Bench.", by=marketer)
            committed = time.monotonic()
            if waiting[lead.id].wait(5):
                latencies.append((received[lead.id] - committed) * 1000)
            time.sleep(0.05)

        # The baseline: Redis PUBLISH → a subscriber's receive, the wake-up alone.
        client = redis.Redis.from_url(settings.REDIS_URL)
        pubsub = client.pubsub()
        pubsub.subscribe("live-bench-baseline")
        pubsub.get_message(timeout=1)
        bare = []
        for _ in range(samples):
            started = time.monotonic()
            client.publish("live-bench-baseline", "[1]")
            message = pubsub.get_message(timeout=2)
            while message is not None and message["type"] != "message":
                message = pubsub.get_message(timeout=2)
            bare.append((time.monotonic() - started) * 1000)
        pubsub.close()
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)

    per_stream = (rss_after - rss_before) / max(1, streams)
    p50, p95 = _p(latencies, 0.5), _p(latencies, 0.95)
    b50, b95 = _p(bare, 0.5), _p(bare, 0.95)
    print(f"\n{streams} open streams; {len(latencies)}/{samples} handoffs received")
    print(f"  handoff commit → event on the rep's stream: p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    print(f"  bare Redis publish → receive (baseline):    p50 {b50:.2f} ms, p95 {b95:.2f} ms")
    print(f"  server memory: {rss_before / 1024:.0f} MB before, {rss_after / 1024:.0f} MB with the streams open,")
    print(f"  {per_stream:.0f} kB per open stream")
    record(
        f"Handoff commit → event, p95, {streams} streams open",
        p95,
        b95,
        "ms",
        "< 1000 ms",
        p95 < 1000 and len(latencies) == samples,
        "bare Redis publish → receive",
    )


def bench_sweep(*, leads: int, reuse: bool = False) -> None:
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM leads_handoffoffer WHERE outcome = 'open' AND position = 1")
        loaded = cursor.fetchone()[0] == leads
    if reuse and loaded:
        print(f"\nreusing the {leads:,} leads with open offers already loaded; the sweeps are rolled back")
        with transaction.atomic():
            _sweep_measure(leads=leads, rolled_back=True)
            transaction.set_rollback(True)
        return
    with connection.cursor() as cursor:
        cursor.execute(TRUNCATE_SQL)
        cursor.execute(USERS_SQL, [40])
        started = time.monotonic()
        cursor.execute(OFFERS_SQL, [leads])
    print(f"\nloaded {leads:,} leads with open offers in {time.monotonic() - started:.0f} s")
    if reuse:
        with transaction.atomic():
            _sweep_measure(leads=leads, rolled_back=True)
            transaction.set_rollback(True)
    else:
        _sweep_measure(leads=leads, rolled_back=False)


def _sweep_measure(*, leads: int, rolled_back: bool) -> None:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from alignment.sla import sla_settings_get
    from leads.offers import offers_sweep

    policy = sla_settings_get()
    policy.offer_minutes = 5
    policy.save()

    # The sweeps run a second after the lapsed offers' time: the others, ten minutes later than those,
    # stay open however long the load took.
    with connection.cursor() as cursor:
        cursor.execute("SELECT min(due_at) + interval '1 second' FROM leads_handoffoffer WHERE outcome = 'open'")
        at = cursor.fetchone()[0]

    # Baseline: the bare UPDATE of the same rows, rolled back.
    with transaction.atomic():
        started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE leads_handoffoffer SET outcome = 'lapsed', ended_at = %s "
                "WHERE outcome = 'open' AND due_at <= %s",
                [at, at],
            )
            bare_rows = cursor.rowcount
        bare = time.monotonic() - started
        transaction.set_rollback(True)

    # A worker loads the URL configuration (every view module) once, at its first sweep's first
    # `reverse`: a cost of the process starting, no part of a sweep's.
    reverse("leads:detail", args=[0])
    with CaptureQueriesContext(connection) as queries:
        started = time.monotonic()
        result = offers_sweep(now=at)
        if rolled_back:
            # What the commit would check: the new rows' deferred foreign keys.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        took = time.monotonic() - started
    print(
        f"  offer sweep: {result.lapsed:,} lapsed, {result.moved:,} moved on, in {took * 1000:.0f} ms, "
        f"{len(queries)} queries"
    )
    print(f"  bare UPDATE of the same {bare_rows:,} rows (baseline): {bare * 1000:.0f} ms")
    in_statements = sum(float(query["time"]) for query in queries.captured_queries)
    between = took - in_statements
    print(f"  in its statements {in_statements * 1000:.0f} ms, between them (Python) {between * 1000:.0f} ms")
    for query in sorted(queries.captured_queries, key=lambda q: -float(q["time"])):
        print(f"    {float(query['time']) * 1000:7.1f} ms  {' '.join(query['sql'].split())[:100]}")
    with CaptureQueriesContext(connection) as idle:
        started = time.monotonic()
        offers_sweep(now=at)
        idle_took = time.monotonic() - started
    print(f"  the next sweep, nothing lapsed: {idle_took * 1000:.1f} ms, {len(idle)} queries")
    for query in idle.captured_queries:
        print(f"    {float(query['time']) * 1000:7.1f} ms  {' '.join(query['sql'].split())[:100]}")
    record(
        f"Offer sweep, {leads:,} leads, 1 % lapsing ({len(queries)} queries)",
        took * 1000,
        bare * 1000,
        "ms",
        "< 2000 ms, constant queries",
        took < 2,
        "bare UPDATE of the lapsed rows",
    )  # fmt: skip


EXTRA_REPS_SQL = """
INSERT INTO alignment_user (password, is_superuser, username, first_name, last_name, email, is_staff,
    is_active, date_joined, role, available, email_notifications, chat_notifications)
SELECT '!', false, 'live-rep' || g, '', '', 'live-rep' || g || '@bench.test', false, true, now(), 'rep', true,
    false, false
FROM generate_series(1, %s) g
ON CONFLICT (username) DO NOTHING;
INSERT INTO authtoken_token (key, created, user_id)
SELECT md5('live-bench' || id), now(), id FROM alignment_user
WHERE username LIKE 'live-%%' AND id NOT IN (SELECT user_id FROM authtoken_token);
"""


class Streams:
    """An event stream for each token, held open from one asyncio client in a thread until `close`."""

    def __init__(self, base, tokens):
        import httpx

        self.stop = threading.Event()
        ready = []

        async def one(client, token):
            headers = {"Authorization": f"Token {token}"}
            async with client.stream("GET", f"{base}/api/events/", headers=headers) as response:
                ready.append(response.status_code)
                async for _ in response.aiter_lines():
                    pass

        async def main():
            limits = httpx.Limits(max_connections=len(tokens) + 10, max_keepalive_connections=len(tokens) + 10)
            async with httpx.AsyncClient(timeout=httpx.Timeout(30, read=None), limits=limits) as client:
                tasks = [asyncio.ensure_future(one(client, token)) for token in tokens]
                while not self.stop.is_set():
                    await asyncio.sleep(0.1)
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

        self.thread = threading.Thread(target=lambda: asyncio.run(main()), daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 120
        while len(ready) < len(tokens):
            assert time.monotonic() < deadline, "the streams did not open"
            time.sleep(0.05)
        assert set(ready) == {200}, set(ready)

    def close(self):
        self.stop.set()
        self.thread.join(30)


def _server(command, url, settings="alignment.settings"):
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_DEBUG": "0",
        "DATABASE_CONN_MAX_AGE": "60",
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_SSL_REDIRECT": "0",
        "DJANGO_SETTINGS_MODULE": settings,
    }
    command = [str(BASE_DIR / ".venv/bin" / command[0]), *command[1:]]
    log = open(f"/tmp/live-bench-{command[0].rsplit('/', 1)[-1]}.log", "w")  # noqa: SIM115
    return subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log, stderr=log)


def _stop(server):
    server.terminate()
    try:
        server.wait(15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(10)


def bench_load(*, streams: int, runs: int, url: str) -> None:
    import statistics

    import httpx
    from django.db import connection
    from django.test import Client

    from alignment.models import User
    from leads.models import Campaign

    with connection.cursor() as cursor:
        cursor.execute(EXTRA_REPS_SQL, [streams])
    reps = list(User.objects.filter(username__startswith="live-rep").order_by("id")[:streams])
    tokens = [hashlib.md5(f"live-bench{rep.id}".encode()).hexdigest() for rep in reps]
    marketer = User.objects.get(username="live-marketer1")
    token = {"Authorization": f"Token {hashlib.md5(f'live-bench{marketer.id}'.encode()).hexdigest()}"}
    campaign = Campaign.objects.get(name="Live campaign")
    sessions = {}
    for user in (reps[0], marketer):
        client = Client()
        client.force_login(user)
        sessions[user.id] = {"sessionid": client.cookies["sessionid"].value}

    asgi_port, wsgi_port = 18766, 18767
    asgi = _server(["uvicorn", "alignment.asgi:application", "--port", str(asgi_port), "--no-access-log"], url)
    # bench.settings: the app's, with static files served uncollected and the throttles never refusing.
    bind = f"127.0.0.1:{wsgi_port}"
    wsgi = _server(["gunicorn", "alignment.wsgi:application", "--workers", "2", "--bind", bind], url, "bench.settings")
    site, events = f"http://127.0.0.1:{wsgi_port}", f"http://127.0.0.1:{asgi_port}"
    tag, sent = time.time_ns(), [0]

    def capture(http):
        sent[0] += 1
        body = {"email": f"load{tag}-{sent[0]}@bench.test", "name": "Load Person", "campaign": campaign.id}
        return http.post(f"{site}/api/leads/", json=body, headers=token)

    checks = {
        "capture POST /api/leads/": capture,
        "rep inbox /": lambda http: http.get(f"{site}/", cookies=sessions[reps[0].id]),
        "lead list /leads/": lambda http: http.get(f"{site}/leads/", cookies=sessions[marketer.id]),
        "GET /api/leads/": lambda http: http.get(f"{site}/api/leads/", headers=token),
    }

    def measure(http) -> dict[str, float]:
        figures = {}
        for name, check in checks.items():
            check(http)  # warm: a worker's caches and connection
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                response = check(http)
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code in (200, 201), (name, response.status_code, response.text[:200])
            figures[name] = statistics.median(times)
        return figures

    try:
        for base, server in ((site, wsgi), (events, asgi)):
            deadline = time.monotonic() + 120
            while True:
                try:
                    httpx.get(f"{base}/healthz", timeout=2)
                    break
                except httpx.HTTPError:
                    assert server.poll() is None and time.monotonic() < deadline, f"{base} did not start"
                    time.sleep(0.3)
        with httpx.Client(timeout=30) as http:
            before = measure(http)
            rss_before = _rss_kb(asgi.pid)
            opened = Streams(events, tokens)
            time.sleep(2)
            rss_after = _rss_kb(asgi.pid)
            try:
                during = measure(http)
            finally:
                opened.close()
            time.sleep(1)
            again = measure(http)
    finally:
        _stop(wsgi)
        _stop(asgi)

    per_stream = (rss_after - rss_before) / max(1, streams)
    print(f"\nthe WSGI side (gunicorn, 2 workers), {streams} event streams open on uvicorn: median of {runs} requests")
    print(f"  {'':<26} {'no streams':>11} {f'{streams} streams':>12} {'no streams again':>17}  ratio")
    for name in checks:
        baseline = max(before[name], again[name])
        ratio = during[name] / baseline
        print(f"  {name:<26} {before[name]:>8.1f} ms {during[name]:>9.1f} ms {again[name]:>14.1f} ms  {ratio:.2f}")
        record(
            f"{name}, {streams} streams open",
            during[name],
            baseline,
            "ms",
            "≤ no streams (+10 %)",
            ratio <= 1.1,
            "no streams open",
        )
    print(f"  uvicorn memory: {rss_before / 1024:.0f} MB, {rss_after / 1024:.0f} MB with the streams open:")
    print(f"  {per_stream:.0f} kB per open stream")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--streams", type=int, default=500)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=21, help="requests a figure in part 3")
    parser.add_argument("--only", choices=["streams", "sweep", "load"], help="run one of the three parts")
    parser.add_argument(
        "--reuse", action="store_true", help="part 2: keep the leads an earlier run loaded, roll the sweep back"
    )
    args = parser.parse_args()
    url = bench_django_setup("_live_bench")
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.conf import settings

    if not settings.REDIS_URL and args.only in (None, "streams"):
        print("REDIS_URL is not set: the streams part (woken through Redis) is skipped.")
        args.only = "sweep"
    if args.only in (None, "streams"):
        bench_streams(streams=args.streams, samples=args.samples, url=url)
    if args.only in (None, "sweep"):
        bench_sweep(leads=args.leads, reuse=args.reuse)
    if args.only in (None, "load"):
        bench_load(streams=args.streams, runs=args.runs, url=url)


if __name__ == "__main__":
    main()
