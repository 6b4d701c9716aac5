"""Bulk capture and CSV import beside the lead table's own limit and PostgreSQL's COPY, in one run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/alignment CELERY_BROKER_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/bulk.py [--rows 20000] [--large]

Works in a sibling database `<name>_bench_bulk` (or BENCH_DATABASE_URL), dropped at the end (unless
--keep). gunicorn (2 sync workers, DEBUG off) serves the app; a Celery worker (solo pool) runs the
imports from CELERY_BROKER_URL (it must be a broker a separate process can reach, i.e. Redis).

- bulk: --requests POST /api/leads/bulk/ of 1,000 new leads each, one after another;
- import: a --rows CSV file (--large: also 100,000 rows) uploaded to POST /api/leads/import/ and
  timed until the job is done;
- the target's baseline, the lead table's own limit: the same number of lead rows inserted by one
  `INSERT … SELECT` (as the capture builds it) into an empty table built `LIKE leads_lead
  INCLUDING ALL`, every index included (for bulk, one such statement per 1,000);
- and `COPY` of the same rows into a table with the same columns and one unique index.

A few small requests and a small import warm the processes up first, untimed. Prints rows/s beside
the limit's and COPY's and the peak resident memory (VmHWM) of the worker and gunicorn's workers.
"""

import argparse
import http.client
import io
import json
import os
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from serve import BASE_DIR, bench_setup, bench_team, drop_database, gunicorn  # noqa: E402

COLUMNS = ("email", "name", "company", "title", "country", "industry", "estimated_value", "notes")
INDUSTRIES = ("Software", "Manufacturing", "Retail", "Finance", "Health")


def lead_rows(count, tag):
    for n in range(count):
        yield (
            f"p{n}-{tag}@company{n % 5000}.example",
            f"Person {n}",
            f"Company {n % 5000}",
            "Buyer",
            ("DE", "FR", "US", "GB")[n % 4],
            INDUSTRIES[n % len(INDUSTRIES)],
            str((n % 50) * 1000),
            f"Met at booth {n % 30}, asked for a demo",
        )


def csv_bytes(rows) -> bytes:
    import csv

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return out.getvalue().encode()


def copy_seconds(rows) -> float:
    """COPY of `rows` into a fresh plain table with one unique index, committed."""
    from django.db import connection

    table = f"bench_copy_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {table} (email text UNIQUE, name text, company text, title text, country text, "
            "industry text, estimated_value numeric(12, 2), notes text)"
        )
    data = csv_bytes(rows)
    started = time.perf_counter()
    sql = f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN WITH (FORMAT csv, HEADER true)"
    with connection.cursor() as cursor, cursor.copy(sql) as copy:
        copy.write(data)
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {table}")
    return elapsed


def insert_rows(table, items, campaign, marketer):
    """The lead upsert's INSERT of `items` into `table`, as lead_capture_many builds it."""
    from django.db import connection
    from django.utils import timezone

    from leads.capture_sql import insert_statement
    from leads.models import Lead

    now = timezone.now()
    values = {
        "email": None,
        "name": "",
        "company": "",
        "title": "",
        "status": "new",
        "source": campaign.source,
        "campaign_id": campaign.pk,
        "captured_by_id": marketer.pk,
        "captured_at": now,
        "last_touch_at": now,
        "last_activity_at": now,
        "updated_at": now,
        "touch_count": 1,
    }
    fields = [f for f in Lead._meta.concrete_fields if not f.primary_key]
    defaults = {f.attname: f.get_default() for f in fields}
    rows = []
    for item in items:
        row = {**defaults, **values, **{k: item[k] for k in ("email", "name", "company", "title")}}
        rows.append(tuple(str(row[f.attname]) if isinstance(row[f.attname], str) else row[f.attname] for f in fields))
    sql, params = insert_statement(Lead, [f.attname for f in fields], rows)
    with connection.cursor() as cursor:
        cursor.execute(sql.replace(f"INSERT INTO {Lead._meta.db_table} ", f"INSERT INTO {table} ", 1), params)


def limit_seconds(rows, campaign, marketer) -> float:
    """The lead table's own limit: one `INSERT … SELECT` of `rows` (as lead_capture_many builds
    it) into an empty table built `LIKE leads_lead INCLUDING ALL` (every index, no foreign key),
    committed."""
    from django.db import connection, transaction

    table = f"bench_limit_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {table} (LIKE leads_lead INCLUDING ALL)")
    items = [dict(zip(COLUMNS, row, strict=True)) for row in rows]
    started = time.perf_counter()
    with transaction.atomic():
        insert_rows(table, items, campaign, marketer)
    elapsed = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {table}")
    return elapsed


def post(port, path, token, body: bytes, content_type) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    conn.request("POST", path, body=body, headers={"Authorization": f"Token {token}", "Content-Type": content_type})
    response = conn.getresponse()
    payload = json.loads(response.read() or b"null")
    conn.close()
    return response.status, payload


def warm_up(port, token, campaign_id, workers) -> None:
    """A few small requests, `workers` at a time so that each gunicorn worker serves some, and a
    small import for the Celery worker: the figures are then a warm process's, not the first
    request's imports and the first capture's new verticals."""
    tag = uuid.uuid4().hex[:8]
    bodies = []
    for n in range(3 * workers):
        items = [dict(zip(COLUMNS, row, strict=True), campaign=campaign_id) for row in lead_rows(10, f"{tag}-{n}")]
        bodies.append(json.dumps({"leads": items}).encode())
    with ThreadPoolExecutor(workers) as pool:
        for status, _ in pool.map(lambda b: post(port, "/api/leads/bulk/", token, b, "application/json"), bodies):
            assert status == 200, status
    import_seconds(port, token, campaign_id, 100)


def bulk_seconds(port, token, campaign_id, requests) -> float:
    tag = uuid.uuid4().hex[:8]
    started = time.perf_counter()
    for r in range(requests):
        items = [dict(zip(COLUMNS, row, strict=True), campaign=campaign_id) for row in lead_rows(1000, f"{tag}-{r}")]
        status, body = post(port, "/api/leads/bulk/", token, json.dumps({"leads": items}).encode(), "application/json")
        assert status == 200 and body["created"] == 1000, (status, str(body)[:300])
    return time.perf_counter() - started


def import_seconds(port, token, campaign_id, rows) -> float:
    from leads.models import ImportJob, ImportStatus

    data = csv_bytes(lead_rows(rows, uuid.uuid4().hex[:8]))
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="campaign"\r\n\r\n{campaign_id}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="leads.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    started = time.perf_counter()
    status, job = post(port, "/api/leads/import/", token, body, f"multipart/form-data; boundary={boundary}")
    assert status == 202, (status, job)
    while True:
        found = ImportJob.objects.get(pk=job["id"])
        if found.status in (ImportStatus.DONE, ImportStatus.FAILED):
            break
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    assert found.status == ImportStatus.DONE and found.rows_created == rows, (found.status, found.message)
    return elapsed


def peak_rss_mb(pid) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def children(pid) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--large", action="store_true", help="also import 100,000 rows")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    if not os.environ.get("CELERY_BROKER_URL", "").startswith("redis"):
        sys.exit("Set CELERY_BROKER_URL to a Redis broker: the import runs in a separate worker process.")

    url = bench_setup("_bench_bulk")
    worker = None
    try:
        token, campaign_id, marketer = bench_team()
        from leads.models import Campaign

        campaign = Campaign.objects.get(pk=campaign_id)
        worker = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "celery"),
                "-A",
                "alignment",
                "worker",
                "--pool",
                "solo",
                "-l",
                "warning",
            ],
            cwd=BASE_DIR,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"},
        )
        results = []
        with gunicorn(workers=2) as (port, pid):
            warm_up(port, token, campaign_id, workers=2)
            bulk = bulk_seconds(port, token, campaign_id, args.requests)
            rows = args.requests * 1000
            limit = sum(limit_seconds(lead_rows(1000, f"limit-b{r}"), campaign, marketer) for r in range(args.requests))
            copy = copy_seconds(lead_rows(rows, "copy-b"))
            results.append((f"bulk {args.requests} x 1,000", rows, bulk, copy, limit))
            for size in [args.rows, *([100_000] if args.large else [])]:
                elapsed = import_seconds(port, token, campaign_id, size)
                copy = copy_seconds(lead_rows(size, f"copy-{size}"))
                limit = limit_seconds(lead_rows(size, f"limit-{size}"), campaign, marketer)
                results.append((f"CSV import {size:,}", size, elapsed, copy, limit))
            web_rss = max(peak_rss_mb(child) for child in children(pid))
        worker_rss = peak_rss_mb(worker.pid)
        print()
        print(
            "Leads captured per second, beside the lead table's own limit (the same number of lead rows by one "
            "INSERT … SELECT into an empty LIKE leads_lead INCLUDING ALL, every index; for bulk, one per "
            "1,000) and COPY into a plain table with one unique index"
        )
        print(
            f"{'what':<22} | {'rows':>7} | {'seconds':>7} | {'rows/s':>7} | {'limit rows/s':>12} | "
            f"{'× limit':>7} | {'COPY rows/s':>11} | {'× COPY':>6}"
        )
        for name, rows, seconds, copy, limit in results:
            print(
                f"{name:<22} | {rows:>7} | {seconds:>7.1f} | {rows / seconds:>7.0f} | {rows / limit:>12.0f} | "
                f"{limit / seconds:>7.2f} | {rows / copy:>11.0f} | {copy / seconds:>6.3f}"
            )
        print(f"peak RSS: Celery worker {worker_rss:.0f} MB, gunicorn worker {web_rss:.0f} MB")
        from summary import record

        for name, rows, seconds, _, limit in results:
            rate, limit_rate = rows / seconds, rows / limit
            baseline = "INSERT … SELECT into an empty LIKE leads_lead INCLUDING ALL"
            met = rate >= 0.5 * limit_rate
            record(name, rate, limit_rate, "rows/s", "≥ 0.5× the lead table's limit", met, baseline)
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=60)
        if not args.keep:
            drop_database(url)


if __name__ == "__main__":
    main()
