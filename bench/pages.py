"""How the everyday pages and list APIs grow from 20,000 to 1,000,000 leads, beside a count(*) over the leads.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/alignment .venv/bin/python bench/pages.py

It never touches the database in DATABASE_URL: it works in two sibling databases named
`<name>_bench_pages_small` and `<name>_bench_pages` (or BENCH_DATABASE_URL and that name with
`_small`), created and migrated here. It fills the small one with `manage.py generate_leads` to the
small size, copies it (`CREATE DATABASE … TEMPLATE`) into the large one and tops that up to the large
size, measures both in turn, and drops both databases (unless --keep). With --reuse, a kept database
that already holds its size is measured as it is: no generating again between two measurements.

Each figure is the median of several requests through Django's test client after one warm-up
request, logged in as the generated team: the lead list, a lead's page, the rep's home, the
marketer's home, a search by email and by a part of a name, the list APIs (a marketer's, and the
lead list API of a rep, who sees only the leads offered to them), the dashboard and the campaign scorecard. The
baselines run in the same run: `SELECT count(*) FROM leads_lead` says how much slower the machine
itself got at the larger size; one `GROUP BY` over the leads is what the figure pages (the
dashboard and the scorecard) are compared with at the large size. Last, each page's weight.

Options: --small N (default 20000), --large N (default 1000000), --runs N (default 7), --keep,
--reuse (keep the databases and measure what they hold when they are big enough).
"""

import argparse
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from benchdb import bench_django_setup, create_database, pages_through_the_test_client  # noqa: E402


def median_ms(fn, runs):
    fn()  # warm the caches and the connection
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def admin_connection(url):
    import psycopg

    return psycopg.connect(urlunparse(urlparse(url)._replace(path="/postgres")), autocommit=True)


def database_name(url):
    return urlparse(url).path.lstrip("/")


def drop_database(url):
    with admin_connection(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database_name(url)}"')
    print(f"dropped database {database_name(url)}")


def copy_database(source_url, url):
    """The large database starts as a copy of the small one: its first leads are the same."""
    with admin_connection(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database_name(url)}"')
        conn.execute(f'CREATE DATABASE "{database_name(url)}" TEMPLATE "{database_name(source_url)}"')
    print(f"copied database {database_name(source_url)} to {database_name(url)}")


def use_database(url):
    """Point Django's connection at `url` (the next query opens it)."""
    from django.db import connections

    connections.close_all()
    connections["default"].settings_dict["NAME"] = database_name(url)


def lead_count():
    from leads.models import Lead

    return Lead.objects.count()


# The dashboard's own bench (bench/dashboard.py) measures it beside this one GROUP BY over the leads.
GROUP_BY = "SELECT campaign_id, count(*), sum(won_amount), sum(estimated_value) FROM leads_lead GROUP BY campaign_id"
# The figure pages, each compared with the GROUP BY as well as with the small size.
FIGURE_PAGES = ("dashboard /dashboard/", "scorecard /feedback/campaigns/", "scorecard, all time")


def measure(runs, weights):
    """{name: median ms} of every page and API, at the data now in the database; each page's size in
    bytes goes into `weights`."""
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
            weights[path] = len(response.content)

        return request

    def sql(statement):
        def run():
            with connection.cursor() as cursor:
                cursor.execute(statement)
                cursor.fetchall()

        return run

    checks = {
        "lead list /leads/": get(marketer, "/leads/"),
        "lead page /leads/<id>/": get(marketer, f"/leads/{won['id']}/"),
        "rep home /": get(rep, "/"),
        "marketer home /": get(marketer, "/"),
        "search by email /leads/?q=": get(marketer, f"/leads/?q={won['email']}"),
        "search by name part /leads/?q=": get(marketer, "/leads/?q=zimmerm"),
        "GET /api/leads/": get(marketer, "/api/leads/"),
        "GET /api/leads/ (a rep)": get(rep, "/api/leads/"),
        "GET /api/leads/?q=<name part>": get(marketer, "/api/leads/?q=zimmerm"),
        "GET /api/feedback/": get(marketer, "/api/feedback/"),
        "dashboard /dashboard/": get(marketer, "/dashboard/"),
        "scorecard /feedback/campaigns/": get(marketer, "/feedback/campaigns/"),
        "scorecard, all time": get(marketer, "/feedback/campaigns/?period=all"),
        "baseline: SELECT count(*) FROM leads_lead": sql("SELECT count(*) FROM leads_lead"),
        "baseline: GROUP BY campaign over leads": sql(GROUP_BY),
    }
    return {name: median_ms(check, runs) for name, check in checks.items()}


def grow_to(size):
    from django.core.management import call_command

    have = lead_count()
    if have < size:
        print(f"generating {size - have:,} leads (to {size:,}) …", flush=True)
        started = time.perf_counter()
        call_command("generate_leads", count=size - have, force=True, seed=size)
        elapsed = time.perf_counter() - started
        # generate_leads leaves its tables vacuumed and analyzed: the pages are measured as it leaves them.
        print(f"generated in {elapsed:.1f} s ({(size - have) / elapsed:,.0f} leads/s, roll-up included)", flush=True)


def _record(sizes, small, large, group_by, weights) -> None:
    """For `make bench`'s table: each page at the large size beside itself at the small one (or,
    for the figure pages, beside the GROUP BY), and the heaviest page."""
    from summary import record

    for name in small:
        if name.startswith("baseline") or name in FIGURE_PAGES:
            continue
        ratio = large[name] / small[name]
        record(
            f"{name} at {sizes['large']:,} leads",
            large[name],
            small[name],
            "ms",
            f"≤ 2× at {sizes['small']:,}, < 100 ms",
            ratio <= 2 and large[name] < 100,
            f"at {sizes['small']:,}",
        )
    for name in FIGURE_PAGES:
        record(
            f"{name} at {sizes['large']:,} leads",
            large[name],
            group_by,
            "ms",
            "≤ 1.5× the GROUP BY",
            large[name] <= 1.5 * group_by,
            "one GROUP BY over the leads",
        )
    path, heaviest = max(weights["large"].items(), key=lambda item: item[1])
    record(
        f"heaviest page ({path}) at {sizes['large']:,} leads",
        heaviest / 1024,
        weights["small"][path] / 1024,
        "KB",
        "< 200 KB",
        heaviest < 200 * 1024,
        f"at {sizes['small']:,}",
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=20_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="Keep the bench databases afterwards.")
    parser.add_argument(
        "--reuse", action="store_true", help="Keep the databases; measure a kept one as it is when big enough."
    )
    args = parser.parse_args()

    url = bench_django_setup("_bench_pages")
    small_url = urlunparse(urlparse(url)._replace(path=urlparse(url).path + "_small"))
    from django.core.management import call_command
    from django.db import connections

    pages_through_the_test_client()
    try:
        if not args.reuse:  # a fresh start: nothing left from an earlier kept run
            connections.close_all()
            drop_database(url)
            drop_database(small_url)
        create_database(small_url)
        use_database(small_url)
        call_command("migrate", verbosity=0)
        grow_to(args.small)
        create_database(url)
        use_database(url)
        call_command("migrate", verbosity=0)
        if lead_count() < args.small:  # a new large database starts as the small one
            connections.close_all()
            copy_database(small_url, url)
            use_database(url)
        grow_to(args.large)
        sizes = {}
        use_database(small_url)
        sizes["small"] = lead_count()
        weights = {"small": {}, "large": {}}
        small = measure(args.runs, weights["small"])
        use_database(url)
        sizes["large"] = lead_count()
        large = measure(args.runs, weights["large"])
    finally:
        connections.close_all()
        if not (args.keep or args.reuse):
            drop_database(url)
            drop_database(small_url)

    width = max(len(name) for name in small)
    print()
    print(f"{'median ms':<{width}}  {sizes['small']:>10,}  {sizes['large']:>10,}  {'ratio':>6}")
    for name in small:
        ratio = large[name] / small[name] if small[name] else float("nan")
        print(f"{name:<{width}}  {small[name]:>10.1f}  {large[name]:>10.1f}  {ratio:>6.2f}")
    group_by = large["baseline: GROUP BY campaign over leads"]
    print()
    print(f"at {sizes['large']:,} leads, beside the GROUP BY ({group_by:.1f} ms):")
    for name in FIGURE_PAGES:
        print(f"{name:<{width}}  {large[name]:>10.1f} ms  {large[name] / group_by:>6.2f}× the GROUP BY")
    _record(sizes, small, large, group_by, weights)
    print()
    print(
        "page weight, KB:",
        ", ".join(
            f"{path} {weights['small'][path] / 1024:.0f} → {weights['large'][path] / 1024:.0f}"
            for path in weights["small"]
            if path in weights["large"]  # a search by the large database's own email is its own path
        ),
    )


if __name__ == "__main__":
    main()
