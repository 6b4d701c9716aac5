"""Deliveries per second through the webhook relay, beside the same number of bare POSTs.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/alignment .venv/bin/python bench/webhooks.py

It never touches the database in DATABASE_URL: it works in a sibling database named
`<name>_webhooks_bench` (or BENCH_DATABASE_URL), creates and migrates it, starts a receiver on
127.0.0.1 (a threading `http.server` answering 200), and then:

1. records `--events` events (10,000) for one endpoint through the outbox, in batches of 1,000;
2. runs the relay (one process, batch after batch) until every delivery is delivered: claiming,
   signing, POSTing, recording — deliveries per second;
3. the baseline: as many bare POSTs of the same body with the same client (`webhook_post`: the
   address check, the signature and one connection a POST) to the same receiver, no database.

The difference between 2 and 3 is what the outbox costs: the claim and the recorded outcomes.
Options: --events 10000
"""

import argparse
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from benchdb import bench_database_url, create_database  # noqa: E402


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    args = parser.parse_args()
    url = bench_database_url("_webhooks_bench")
    create_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alignment.settings")
    os.environ["CELERY_BROKER_URL"] = "memory://"
    os.environ["ALIGNMENT_WEBHOOK_ALLOW_PRIVATE"] = "1"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()

    from unittest import mock

    from django.core.management import call_command
    from django.db import connection, transaction

    from alignment.models import DeliveryStatus, Role, User, WebhookDelivery, WebhookEndpoint, WebhookEvent
    from alignment.webhooks import outbox, relay
    from alignment.webhooks.delivery import webhook_post

    call_command("migrate", verbosity=0)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    receiver = f"http://127.0.0.1:{server.server_port}/hook"

    WebhookDelivery.objects.all().delete()
    WebhookEvent.objects.all().delete()
    WebhookEndpoint.objects.all().delete()
    manager, _ = User.objects.get_or_create(username="webhooks-bench", defaults={"role": Role.MANAGER})
    endpoint = WebhookEndpoint.objects.create(url=receiver, events=["*"], secret="0" * 64, created_by=manager)
    data = {"lead": {"id": 1, "email": "ada@example.com", "status": "handed_off"}, "actor": None}

    # The relay task is not published: the bench runs the relay itself.
    with mock.patch.object(outbox, "webhook_relay_enqueue"):
        started = time.perf_counter()
        for start in range(0, args.events, 1000):
            with transaction.atomic():
                size = min(1000, args.events - start)
                outbox.webhook_events_emit_many(event_type="lead.handed_off", items=[data] * size)
        outbox_seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE alignment_webhookdelivery")

    started = time.perf_counter()
    delivered = 0
    while attempted := relay.webhook_relay_batch():
        delivered += attempted
    relay_seconds = time.perf_counter() - started
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == args.events

    event = WebhookEvent.objects.first()
    body = relay.webhook_body(event)
    started = time.perf_counter()
    for _ in range(args.events):
        outcome = webhook_post(url=receiver, secret=endpoint.secret, event_id=str(event.id), event_type="x", body=body)
        assert outcome.ok
    baseline_seconds = time.perf_counter() - started
    server.shutdown()

    print(f"events: {args.events:,} ({len(body)} bytes each)")
    print(f"outbox writes:         {args.events / outbox_seconds:10,.0f} events/s   ({outbox_seconds:.2f} s)")
    print(f"relay deliveries:      {delivered / relay_seconds:10,.0f} /s         ({relay_seconds:.2f} s)")
    print(f"baseline (bare POSTs): {args.events / baseline_seconds:10,.0f} /s         ({baseline_seconds:.2f} s)")
    print(f"relay / baseline:      {baseline_seconds / relay_seconds:10.0%}")


if __name__ == "__main__":
    main()
