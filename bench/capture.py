"""POST /api/leads/ beside a bare DRF CreateAPIView of one table, through gunicorn, at 16 and 32 clients.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/alignment .venv/bin/python bench/capture.py

Works in a sibling database `<name>_bench_capture` (or BENCH_DATABASE_URL), created, migrated and
dropped here (unless --keep). gunicorn serves bench.settings (the app's settings, DEBUG off, plus
the baseline at /bench/bare/, a CreateAPIView of `bench.models.BareLead`: one table, one unique
index, the same authentication, permission and throttle classes) with 2 sync workers. A load
generator in another process (bench/loadgen.py) sends each endpoint the same bodies, a new email
each, from N clients for --seconds; the two endpoints alternate, so both see the same machine. Each
client is a marketer of its own with its own token, as each integration sending leads would be.

--profile N captures N leads in this process under cProfile instead and prints where the time goes
(--bare: the bare view's; --sort tottime: by time spent in each function itself).

--cpu N posts N leads to each endpoint in this process, three alternating rounds, and prints per
request the wall time, this process's CPU time and its PostgreSQL backend's CPU time
(/proc/<pid>/stat): CPU time moves far less with the machine's load than wall time does, so a
change to either side shows on a busy machine too.

--pauses N posts N leads in this process twice, first with everything loaded left to the garbage
collector, then frozen out of its sight as `alignment.wsgi` does in each gunicorn worker, and prints
each run's slowest request and the collector's pauses by generation: a full collection over the
loaded app is what a request now and then waited for.
"""

import argparse
import functools
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from serve import bench_setup, bench_team, drop_database, gunicorn  # noqa: E402


def lead_body(campaign_id, tag, client, n) -> dict:
    return {
        "email": f"c{client}-{n}-{tag}@bench.example",
        "name": f"Person {n}",
        "company": f"Company {n % 500}",
        "country": "DE",
        "industry": "Software",
        "campaign": campaign_id,
    }


def client_tokens(count) -> list[str]:
    """A marketer with a token for each client (bench-client-1…N)."""
    from rest_framework.authtoken.models import Token

    from alignment.models import Role, User

    tokens = []
    for n in range(1, count + 1):
        user, _ = User.objects.get_or_create(username=f"bench-client-{n}", defaults={"role": Role.MARKETER})
        tokens.append(Token.objects.get_or_create(user=user)[0].key)
    return tokens


def measure(port, tokens, campaign_id, *, clients, seconds) -> dict:
    from loadgen import load_in_process

    figures = {}
    for name, path in (("bare", "/bench/bare/"), ("capture", "/api/leads/")):
        body = functools.partial(lead_body, campaign_id, uuid.uuid4().hex[:8])
        figures[name] = load_in_process("127.0.0.1", port, path, tokens, body, clients=clients, seconds=seconds)
    return figures


def profile(count, campaign_id, token, sort, path):
    import cProfile
    import pstats

    from rest_framework.test import APIClient

    # Authenticated by the token, as a client is: its cache is part of the cost.
    client = APIClient(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Token {token}")
    tag = uuid.uuid4().hex[:8]
    client.post(path, lead_body(campaign_id, tag, 0, -1), format="json")  # warm up
    profiler = cProfile.Profile()
    profiler.enable()
    for n in range(count):
        client.post(path, lead_body(campaign_id, tag, 0, n), format="json")
    profiler.disable()
    pstats.Stats(profiler).sort_stats(sort).print_stats(60)


def _record(clients, rounds) -> None:
    """For `make bench`'s table: the round with the median ratio at this number of clients."""
    from summary import record

    figures = sorted(rounds, key=lambda f: f["capture"]["rps"] / f["bare"]["rps"])[len(rounds) // 2]
    bare, app = figures["bare"], figures["capture"]
    ratio = app["rps"] / bare["rps"]
    errors = bare["errors"] + app["errors"]
    record(
        f"POST /api/leads/, {clients} clients",
        app["rps"],
        bare["rps"],
        "req/s",
        "≥ 0.6×, no errors",
        ratio >= 0.6 and not errors,
        "bare DRF create",
    )
    if clients >= 32:
        record(
            f"capture p99 at {clients} clients",
            app["p99_ms"],
            bare["p99_ms"],
            "ms",
            "< 150 ms",
            app["p99_ms"] < 150,
            "bare DRF create",
        )


def cpu_per_request(count, campaign_id, token):
    import os
    import statistics
    import time

    from django.db import connection
    from rest_framework.test import APIClient

    tick = os.sysconf("SC_CLK_TCK")

    def backend_cpu(pid) -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / tick  # utime + stime

    client = APIClient(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Token {token}")
    tag = uuid.uuid4().hex[:8]

    def run(path, round_) -> list[float]:
        prefix = f"{tag}{round_}{path.strip('/').replace('/', '')}"
        client.post(path, lead_body(campaign_id, prefix, 0, -1), format="json")  # connection, caches
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        backend, wall, own = backend_cpu(pid), time.perf_counter(), time.process_time()
        for n in range(count):
            response = client.post(path, lead_body(campaign_id, prefix, 0, n), format="json")
            assert response.status_code == 201, response.content
        return [
            (time.perf_counter() - wall) / count * 1000,
            (time.process_time() - own) / count * 1000,
            (backend_cpu(pid) - backend) / count * 1000,
        ]

    rounds = {"bare": [], "capture": []}
    for round_ in range(3):
        rounds["bare"].append(run("/bench/bare/", round_))
        rounds["capture"].append(run("/api/leads/", round_))
    print(f"per request, median of 3 rounds of {count} | wall ms | Python CPU ms | PostgreSQL CPU ms")
    for name, figures in rounds.items():
        medians = [statistics.median(f[i] for f in figures) for i in range(3)]
        print(f"{name:<37} | {medians[0]:>7.2f} | {medians[1]:>13.2f} | {medians[2]:>17.2f}")


def gc_pauses(count, campaign_id, token):
    import gc
    import time

    from django.urls import get_resolver
    from rest_framework.test import APIClient

    client = APIClient(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Token {token}")
    pauses, started = [], []

    def timed(phase, info):
        if phase == "start":
            started.append(time.perf_counter())
        else:
            pauses.append((info["generation"], time.perf_counter() - started.pop()))

    assert get_resolver().url_patterns  # every view loaded, as alignment.wsgi loads them
    gc.callbacks.append(timed)
    for frozen in (False, True):
        tag = uuid.uuid4().hex[:8]
        for n in range(50):  # warm: the serializers, the caches, the prepared statements
            client.post("/api/leads/", lead_body(campaign_id, tag, 0, -n - 1), format="json")
        if frozen:
            gc.collect()
            gc.freeze()
        pauses.clear()
        slowest = 0.0
        for n in range(count):
            began = time.perf_counter()
            response = client.post("/api/leads/", lead_body(campaign_id, tag, 0, n), format="json")
            slowest = max(slowest, time.perf_counter() - began)
            assert response.status_code == 201, response.content
        print(f"{'frozen' if frozen else 'not frozen'}: {count} captures, slowest {slowest * 1000:.1f} ms")
        for generation in (0, 1, 2):
            times = [seconds for g, seconds in pauses if g == generation]
            if times:
                print(
                    f"  generation {generation}: {len(times)} collections, "
                    f"longest {max(times) * 1000:.1f} ms, {sum(times) * 1000:.1f} ms in all"
                )
    gc.callbacks.remove(timed)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[16, 32])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=2, help="alternations of the two endpoints per level")
    parser.add_argument("--profile", type=int, metavar="N")
    parser.add_argument("--bare", action="store_true", help="profile the bare view instead")
    parser.add_argument("--cpu", type=int, metavar="N", help="CPU time per request, in this process")
    parser.add_argument("--pauses", type=int, metavar="N", help="the garbage collector's pauses, in this process")
    parser.add_argument("--sort", default="cumulative", help="the profile's order: cumulative, tottime, …")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    url = bench_setup("_bench_capture")
    try:
        token, campaign_id, _ = bench_team()
        if args.cpu:
            cpu_per_request(args.cpu, campaign_id, token)
            return
        if args.pauses:
            gc_pauses(args.pauses, campaign_id, token)
            return
        if args.profile:
            profile(args.profile, campaign_id, token, args.sort, "/bench/bare/" if args.bare else "/api/leads/")
            return
        rows = []
        tokens = client_tokens(max(args.clients))
        with gunicorn(workers=2) as (port, _):
            measure(port, tokens, campaign_id, clients=4, seconds=2)  # warm both workers up
            for clients in args.clients:
                rounds = [
                    measure(port, tokens, campaign_id, clients=clients, seconds=args.seconds)
                    for _ in range(args.rounds)
                ]
                rows.append((clients, rounds))
        print()
        print(
            "POST one lead; gunicorn, 2 sync workers, DEBUG off, PostgreSQL; "
            "baseline: a bare DRF CreateAPIView of one table"
        )
        print(
            f"{'clients':>7} | {'bare req/s':>10} | {'capture req/s':>13} | {'ratio':>5} | "
            f"{'bare p50/p99 ms':>15} | {'capture p50/p99 ms':>18} | errors (bare/capture)"
        )
        for clients, rounds in rows:
            _record(clients, rounds)
            for figures in rounds:
                bare, app = figures["bare"], figures["capture"]
                print(
                    f"{clients:>7} | {bare['rps']:>10.0f} | {app['rps']:>13.0f} | {app['rps'] / bare['rps']:>5.2f} | "
                    f"{bare['p50_ms']:>6.0f} / {bare['p99_ms']:<6.0f} | "
                    f"{app['p50_ms']:>8.0f} / {app['p99_ms']:<7.0f} | "
                    f"{bare['errors']} / {app['errors']} {' '.join(bare['error_kinds'] + app['error_kinds'])}"
                )
    finally:
        if not args.keep:
            drop_database(url)


if __name__ == "__main__":
    main()
