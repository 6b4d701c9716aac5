"""Going cold through real Celery processes on real Redis: beat, workers, a killed worker, a dead broker.

The worker writes its emails with Django's file backend (or to a small SMTP server run here), so the
test reads what a mail server would have received.
"""

import contextlib
import email
import socketserver
import threading
import time
from datetime import timedelta
from decimal import Decimal
from email.header import decode_header, make_header
from pathlib import Path

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from alignment.models import Notification, NotificationKind
from alignment.services import notification_create
from alignment.sla import sla_settings_get
from leads.cold import cold_leads_sweep
from leads.imports import import_jobs_resume
from leads.models import ImportJob, ImportStatus, Lead, Reminder
from leads.services import lead_hand_off
from tests.alignment.factories import ManagerFactory, MarketerFactory, RepFactory
from tests.leads.factories import CampaignFactory, LeadFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

DEADLINE = 90  # seconds to wait for something the worker should do


def wait_until(condition, *, timeout=DEADLINE, interval=0.25, what="the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"Timed out after {timeout}s waiting for {what}.")


def read_mailbox(folder: Path) -> list[email.message.Message]:
    """Every message Django's file backend wrote into `folder` (one file per connection)."""
    messages = []
    for path in sorted(folder.glob("*.log")):
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if chunk.strip():
                messages.append(email.message_from_bytes(chunk.lstrip()))
    return messages


def subject(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def cold_handoff(*, days_ago=2):
    """A lead handed off `days_ago` days ago and left alone: cold now."""
    marketer, rep = MarketerFactory(), RepFactory()
    with time_machine.travel(timezone.now() - timedelta(days=days_ago), tick=False):
        lead = LeadFactory(campaign=CampaignFactory(owner=marketer), name="Ada Lovelace")
        lead_hand_off(lead=lead, rep=rep, note="Met her at the fair.", by=marketer)
    return lead, marketer, rep


def test_a_handoff_left_alone_wakes_the_rep_and_the_marketer_once_then_the_managers(celery_services, tmp_path):
    # given: beat sweeps every 3 seconds; escalation 36 seconds (0.01 h) after the first reminder
    mailbox = tmp_path / "mail"
    mailbox.mkdir()
    celery_services.env.update(EMAIL_URL=f"filemail:///{mailbox}", ALIGNMENT_SWEEP_EVERY_MINUTES="0.05")
    policy = sla_settings_get()
    policy.escalate_after_hours = Decimal("0.01")
    policy.save()
    lead, marketer, rep = cold_handoff()
    manager = ManagerFactory()
    celery_services.start_worker(concurrency=2)
    celery_services.start_beat()

    # when: beat and the worker do their rounds
    wait_until(lambda: len(read_mailbox(mailbox)) >= 2, what="the two reminder emails")
    wait_until(lambda: len(read_mailbox(mailbox)) >= 3, what="the escalation email")
    # then: several more sweeps later, still exactly those three
    sweeps_before = Reminder.objects.count()
    time.sleep(10)

    messages = read_mailbox(mailbox)
    assert sorted(m["To"] for m in messages) == sorted([rep.email, marketer.email, manager.email])
    by_address = {m["To"]: m for m in messages}
    assert subject(by_address[rep.email]) == "Going cold: Ada Lovelace"
    assert subject(by_address[manager.email]) == "Escalation — still cold: Ada Lovelace"
    body = by_address[rep.email].get_payload()
    body = body[0].get_payload(decode=True).decode() if isinstance(body, list) else body
    assert f"/leads/{lead.id}/" in body and marketer.display_name in body
    assert Reminder.objects.count() == sweeps_before == 2
    kinds = list(Notification.objects.order_by("id").values_list("kind", "recipient"))
    assert sorted(kinds) == sorted(
        [
            (NotificationKind.REMINDER, rep.id),
            (NotificationKind.REMINDER, marketer.id),
            (NotificationKind.ESCALATION, manager.id),
        ]
    )
    assert not Notification.objects.filter(email_sent_at__isnull=True).exists()


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for Django's backend. A message counts as delivered only once the server
    answers 250 to its DATA; in `hold` mode the first DATA gets no answer (the sender dies first)."""

    def reply(self, line):
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self):
        server = self.server
        self.reply("220 test ESMTP")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            command = line.decode(errors="replace").strip().upper()
            if command.startswith(("EHLO", "HELO")):
                self.reply("250 test")
            elif command.startswith("DATA"):
                self.reply("354 go ahead")
                data = b""
                while True:
                    chunk = self.rfile.readline()
                    if not chunk:
                        return
                    if chunk == b".\r\n":
                        break
                    data += chunk
                if server.hold.is_set():
                    server.hold.clear()
                    server.data_received.set()
                    self.rfile.readline()  # wait: the sender is killed and the connection drops
                    return
                server.delivered.append(email.message_from_bytes(data))
                self.reply("250 queued")
            elif command.startswith("QUIT"):
                self.reply("221 bye")
                return
            else:  # MAIL, RCPT, RSET, NOOP
                self.reply("250 ok")


@contextlib.contextmanager
def smtp_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SmtpHandler)
    server.daemon_threads = True
    server.delivered = []
    server.hold = threading.Event()
    server.data_received = threading.Event()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_a_worker_killed_mid_send_neither_loses_nor_duplicates_the_email(celery_services):
    with smtp_server() as smtp:
        # given: workers that give up on a dead colleague's task after 5 seconds, and a mail server
        # that will take the first message but never confirm it
        port = smtp.server_address[1]
        celery_services.env.update(EMAIL_URL=f"smtp://127.0.0.1:{port}", CELERY_VISIBILITY_TIMEOUT="5")
        smtp.hold.set()
        worker = celery_services.start_worker()
        rep = RepFactory()

        # when: a notification's email is being sent and the worker is SIGKILLed mid-send
        notification = notification_create(recipient=rep, kind=NotificationKind.REMINDER, message="Lead X waits.")
        assert smtp.data_received.wait(DEADLINE), "the worker never reached the mail server"
        worker.kill()
        notification.refresh_from_db()
        assert notification.email_sent_at is None
        assert smtp.delivered == []

        # then: once the visibility timeout has passed, the next worker to start takes the task back
        # from the broker (a starting worker restores unacknowledged tasks at once; a running one
        # scans for them every few minutes) and sends it, once
        time.sleep(7)
        celery_services.start_worker(concurrency=2)
        wait_until(lambda: smtp.delivered, what="the redelivered email")
        time.sleep(12)  # two more visibility timeouts: no second delivery
        assert len(smtp.delivered) == 1
        assert smtp.delivered[0]["To"] == rep.email
        notification.refresh_from_db()
        assert notification.email_sent_at is not None


def test_the_same_email_task_delivered_twice_sends_once(celery_services, tmp_path):
    mailbox = tmp_path / "mail"
    mailbox.mkdir()
    celery_services.env.update(EMAIL_URL=f"filemail:///{mailbox}")
    celery_services.start_worker(concurrency=2)
    from alignment.tasks import notification_email_send

    notification = notification_create(recipient=RepFactory(), kind=NotificationKind.REMINDER, message="Waits.")
    for _ in range(3):
        notification_email_send.delay(notification.id)

    wait_until(lambda: Notification.objects.filter(pk=notification.pk, email_sent_at__isnull=False).exists())
    time.sleep(3)
    assert len(read_mailbox(mailbox)) == 1


# --- a broker that is down (a Redis of the test's own: `own_redis` in tests/worker.py) -----------


def test_with_the_broker_down_capture_works_and_the_reminder_goes_out_once_it_is_back(
    celery_services, own_redis, tmp_path, caplog
):
    start_redis, stop_redis, url = own_redis
    mailbox = tmp_path / "mail"
    mailbox.mkdir()
    celery_services.env.update(EMAIL_URL=f"filemail:///{mailbox}", CELERY_BROKER_URL=url)
    lead, marketer, rep = cold_handoff()
    start_redis()
    stop_redis()

    # when: Redis is down, a marketer captures a lead through the API
    client = APIClient()
    client.force_authenticate(marketer)
    campaign = CampaignFactory(owner=marketer)
    started = time.monotonic()
    response = client.post("/api/leads/", {"email": "grace@example.com", "campaign": campaign.id}, format="json")
    capture_seconds = time.monotonic() - started
    # ...and the sweep finds the cold lead: it creates the reminders and cannot enqueue their emails
    result = cold_leads_sweep()

    # then: the capture answered 201 and the sweep finished; the failure is in the log, not the user's face
    assert response.status_code == 201, response.content
    print(f"capture with the broker down: {capture_seconds:.2f}s")
    assert result.reminders == 1 and len(result.notification_ids) == 2
    assert "the broker is unavailable" in caplog.text
    assert Notification.objects.filter(email_sent_at__isnull=True).count() == 2

    # when: Redis is back, a worker runs, and the next sweep comes (more than a minute later)
    start_redis()
    celery_services.start_worker()
    again = cold_leads_sweep(now=timezone.now() + timedelta(minutes=2))

    # then: the reminders' emails go out, to the rep and to the marketer, once
    assert again.emails_reenqueued == 2 and again.reminders == 0
    wait_until(lambda: len(read_mailbox(mailbox)) >= 2, what="the reminder emails")
    time.sleep(2)
    assert sorted(m["To"] for m in read_mailbox(mailbox)) == sorted([rep.email, marketer.email])
    assert not Notification.objects.filter(email_sent_at__isnull=True).exists()


def test_with_the_broker_down_an_upload_is_kept_and_imported_once_it_is_back(celery_services, own_redis):
    start_redis, stop_redis, url = own_redis
    celery_services.env.update(CELERY_BROKER_URL=url)
    start_redis()
    stop_redis()
    marketer = MarketerFactory()
    campaign = CampaignFactory(owner=marketer)
    client = APIClient()
    client.force_authenticate(marketer)
    content = "email,name\n" + "".join(f"upload{i}@example.com,U{i}\n" for i in range(50))

    # when: Redis is down, a marketer uploads a file
    upload = SimpleUploadedFile("fair.csv", content.encode(), content_type="text/csv")
    response = client.post("/api/leads/import/", {"file": upload, "campaign": campaign.pk}, format="multipart")

    # then: the upload is accepted and kept, and its page says the queue is not answering
    assert response.status_code == 202, response.content
    job = ImportJob.objects.get(pk=response.json()["id"])
    assert job.status == ImportStatus.QUEUED
    assert "not answering" in job.message

    # when: Redis is back, a worker runs and the beat's resume comes round
    start_redis()
    celery_services.start_worker()
    assert import_jobs_resume(waiting_for=timedelta(0)) == 1

    # then: the file is imported, each row once, and the message is gone
    wait_until(lambda: ImportJob.objects.get(pk=job.pk).status == ImportStatus.DONE, what="the import")
    job.refresh_from_db()
    assert (job.rows_created, job.message) == (50, "")
    assert Lead.objects.filter(email__startswith="upload").count() == 50
    # and a second resume finds nothing waiting
    assert import_jobs_resume(waiting_for=timedelta(0)) == 0
