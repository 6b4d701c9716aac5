"""How the everyday pages and list APIs grow from 20,000 to 1,000,000 leads, beside a count(*) over the leads.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/alignment .venv/bin/python bench/pages.py

It never touches the database in DATABASE_URL: it works in a sibling database named
`<name>_bench_pages` (or BENCH_DATABASE_URL), created and migrated here, fills it with
`manage.py generate_leads` to the small size, measures, tops it up to the large size, measures
again, and drops the database (unless --keep). Each figure is the median of several requests
through Django's test client after one warm-up request, logged in as the generated team: the lead
list, a lead's page, the rep's home, a search by email and by a part of a name, and the list APIs.
The baseline is `SELECT count(*) FROM leads_lead` in the same run: it says how much slower the
machine itself got at the larger size.

Options: --small N (default 20000), --large N (default 1000000), --runs N (default 7), --keep.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from benchdb import bench_django_setup  # noqa: E402


def median_ms(fn, runs):
    fn()  # warm the caches and the connection
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def drop_database(url):
    import psycopg

    parts = urlparse(url)
    admin = urlunparse(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}"')
    print(f"dropped database {parts.path.lstrip('/')}")


def measure(runs):
    """{name: median ms} of every page and API, at the data now in the database."""
    from django.db import connection
    from django.test import Client

    from alignment.models import User
    from leads.models import Lead, LeadStatus

    clients = {}
    for username in ("gen-marketer-1", "gen-rep-1"):
        clients[username] = Client()
        clients[username].force_login(User.objects.get(username=username))
    marketer, rep = clients["gen-marketer-1"], clients["gen-rep-1"]
    # A lead far down the list with a long story, and an email and a name part to look for.
    won = Lead.objects.filter(status=LeadStatus.WON).order_by("id").values("id", "email").first()

    def get(client, path):
        def request():
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)

        return request

    def baseline():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM leads_lead")
            cursor.fetchone()

    checks = {
        "lead list /leads/": get(marketer, "/leads/"),
        "lead page /leads/<id>/": get(marketer, f"/leads/{won['id']}/"),
        "rep home /": get(rep, "/"),
        "search by email /leads/?q=": get(marketer, f"/leads/?q={won['email']}"),
        "search by name part /leads/?q=": get(marketer, "/leads/?q=zimmerm"),
        "GET /api/leads/": get(marketer, "/api/leads/"),
        "GET /api/leads/?q=<name part>": get(marketer, "/api/leads/?q=zimmerm"),
        "GET /api/feedback/": get(marketer, "/api/feedback/"),
        "baseline: SELECT count(*) FROM leads_lead": baseline,
    }
    return {name: median_ms(check, runs) for name, check in checks.items()}


def grow_to(size):
    from django.core.management import call_command

    from leads.models import Lead

    have = Lead.objects.count()
    if have < size:
        print(f"generating {size - have:,} leads (to {size:,}) …", flush=True)
        started = time.perf_counter()
        call_command("generate_leads", count=size - have, force=True, seed=size)
        elapsed = time.perf_counter() - started
        print(f"generated in {elapsed:.1f} s ({(size - have) / elapsed:,.0f} leads/s, roll-up included)", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=20_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="Keep the bench database afterwards.")
    args = parser.parse_args()

    url = bench_django_setup("_bench_pages")
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0)
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # the test client's host
    # Pages name their static files; nobody ran collectstatic for the manifest of hashed names.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    try:
        grow_to(args.small)
        small = measure(args.runs)
        grow_to(args.large)
        large = measure(args.runs)
    finally:
        connections.close_all()
        if not args.keep:
            drop_database(url)

    width = max(len(name) for name in small)
    print()
    print(f"{'median ms':<{width}}  {args.small:>10,}  {args.large:>10,}  {'ratio':>6}")
    for name in small:
        ratio = large[name] / small[name] if small[name] else float("nan")
        print(f"{name:<{width}}  {small[name]:>10.1f}  {large[name]:>10.1f}  {ratio:>6.1f}")


if __name__ == "__main__":
    main()
