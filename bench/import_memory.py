"""CSV import: throughput and memory at 10,000 and 100,000 rows.

Memory must stay flat as the file grows: the upload is stored in ~1 MB chunks and the import streams
them back one at a time. This runs the same services the page and the worker use, in a throwaway
test database (the configured DATABASE_URL's server; SQLite by default), and prints per size:
rows/s, the Python heap's peak during the upload and during the import (tracemalloc), and the
process's peak resident memory (ru_maxrss, which only grows).

    .venv/bin/python bench/import_memory.py                 # 10,000 and 100,000 rows
    .venv/bin/python bench/import_memory.py --rows 10000 50000
    .venv/bin/python bench/import_memory.py --no-tracemalloc   # faster; rows/s without tracing overhead
"""

import argparse
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alignment.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.files import File  # noqa: E402
from django.db import connection  # noqa: E402

COUNTRIES = ["DE", "FR", "US", "GB", "NL", "ES", "IT", "SE"]
INDUSTRIES = ["Software", "Manufacturing", "Retail", "Finance", "Health"]


def write_csv(path: Path, rows: int, prefix: str) -> int:
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("email,name,company,title,phone,country,region,industry,estimated_value,notes\r\n")
        for i in range(rows):
            bad = i % 100 == 99  # one row in a hundred has a bad email, to exercise the error path
            email = f"{prefix}-person{i}" + ("" if bad else f"@company{i % 5000}.example")
            out.write(
                f"{email},Person {i},Company {i % 5000},Buyer,+49 89 {i:07d},{COUNTRIES[i % len(COUNTRIES)]},,"
                f'{INDUSTRIES[i % len(INDUSTRIES)]},{(i % 50) * 1000},"Met at booth {i % 30}, asked for a demo"\r\n'
            )
    return path.stat().st_size


def maxrss_mb() -> float:
    # Linux reports kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(rows: int, *, by, campaign, trace: bool, workdir: Path) -> dict:
    from leads import imports
    from leads.models import ImportStatus

    path = workdir / f"leads-{rows}.csv"
    size = write_csv(path, rows, prefix=f"r{rows}")
    if trace:
        tracemalloc.start()
        tracemalloc.reset_peak()
    started = time.perf_counter()
    with open(path, "rb") as handle:
        upload = File(handle, name=path.name)
        job = imports.import_job_create(by=by, campaign=campaign, upload=upload)
    upload_seconds = time.perf_counter() - started
    upload_peak = tracemalloc.get_traced_memory()[1] if trace else None
    if trace:
        tracemalloc.reset_peak()
    started = time.perf_counter()
    imports.import_job_run(job_id=job.pk)
    import_seconds = time.perf_counter() - started
    import_peak = tracemalloc.get_traced_memory()[1] if trace else None
    if trace:
        tracemalloc.stop()
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE, job.message
    path.unlink()
    return {
        "rows": rows,
        "mb": size / 1024 / 1024,
        "upload_s": upload_seconds,
        "import_s": import_seconds,
        "rows_per_s": rows / import_seconds,
        "upload_peak_mb": upload_peak / 1024 / 1024 if trace else None,
        "import_peak_mb": import_peak / 1024 / 1024 if trace else None,
        "maxrss_mb": maxrss_mb(),
        "created": job.rows_created,
        "failed": job.rows_failed,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--no-tracemalloc", dest="trace", action="store_false")
    args = parser.parse_args()

    settings.DEBUG = False  # no query log growing with the file
    from alignment.models import Role, User
    from leads.models import Campaign

    old_name = connection.settings_dict["NAME"]
    if connection.vendor != "sqlite":
        # Its own database, so a benchmark never collides with a test run's test_<name>.
        connection.settings_dict["TEST"]["NAME"] = f"bench_{old_name}"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        by = User.objects.create(username="bench-marketer", role=Role.MARKETER)
        campaign = Campaign.objects.create(name="Benchmark import", owner=by)
        print(f"database: {connection.vendor}; tracemalloc: {'on' if args.trace else 'off'}")
        print(
            f"{'rows':>8} {'file MB':>8} {'upload s':>9} {'import s':>9} {'rows/s':>8} "
            f"{'heap peak upload MB':>20} {'heap peak import MB':>20} {'maxrss MB':>10}"
        )
        with tempfile.TemporaryDirectory() as tmp:
            for rows in args.rows:
                r = run(rows, by=by, campaign=campaign, trace=args.trace, workdir=Path(tmp))
                up = f"{r['upload_peak_mb']:.1f}" if args.trace else "-"
                imp = f"{r['import_peak_mb']:.1f}" if args.trace else "-"
                print(
                    f"{r['rows']:>8} {r['mb']:>8.1f} {r['upload_s']:>9.2f} {r['import_s']:>9.1f} "
                    f"{r['rows_per_s']:>8.0f} {up:>20} {imp:>20} {r['maxrss_mb']:>10.1f}",
                    flush=True,
                )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
