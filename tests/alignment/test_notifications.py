import smtplib
import threading
import time
from unittest import mock

import pytest
from django.core import mail
from django.db import connection, connections
from django.utils import timezone
from rest_framework.test import APIClient

from alignment.models import Notification, NotificationKind
from alignment.services import (
    NOTIFICATION_EMAIL_TASK,
    notification_create,
    notification_email_send,
    notification_emails_enqueue,
)
from alignment.tasks import notification_email_send as notification_email_send_task
from tests.alignment.factories import MarketerFactory, RepFactory
from tests.leads.factories import LeadFactory


@pytest.fixture
def locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.ALIGNMENT_BASE_URL = "https://alignment.example.com"
    mail.outbox = []
    return mail.outbox


def reminder_for(person, *, lead=None, message="Ada Lovelace has waited 2 days for you to accept it."):
    return Notification.objects.create(
        recipient=person,
        kind=NotificationKind.REMINDER,
        lead=lead,
        message=message,
        url=f"/leads/{lead.id}/" if lead else "",
    )


def test_notification_create_enqueues_its_email_when_the_transaction_commits(rep, django_capture_on_commit_callbacks):
    with mock.patch("alignment.enqueue.app.send_task") as send:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            notification = notification_create(recipient=rep, kind=NotificationKind.FEEDBACK, message="Feedback.")
        assert send.call_count == 0  # not inside the transaction
        for callback in callbacks:
            callback()

    send.assert_called_once_with(NOTIFICATION_EMAIL_TASK, args=(notification.id,))


def test_no_task_is_published_for_a_notification_already_emailed(rep):
    sent = reminder_for(rep)
    Notification.objects.filter(pk=sent.pk).update(email_sent_at=timezone.now())
    unsent = reminder_for(rep)

    with mock.patch("alignment.enqueue.app.send_task") as send:
        published = notification_emails_enqueue([sent.id, unsent.id])

    assert published == 1
    send.assert_called_once_with(NOTIFICATION_EMAIL_TASK, args=(unsent.id,))


def test_a_broker_that_is_down_is_logged_and_never_raised(rep, caplog):
    ids = [reminder_for(rep).id for _ in range(3)]

    with mock.patch("alignment.enqueue.app.send_task", side_effect=OSError("Connection refused")) as d:
        published = notification_emails_enqueue(ids)

    assert published == 0
    assert d.call_count == 1  # one wait for the dead broker, not three
    assert "the next sweep enqueues them again" in caplog.text


def test_the_email_says_which_lead_and_links_to_it_and_goes_out_once(rep, locmem_email):
    lead = LeadFactory(name="Ada Lovelace")
    notification = reminder_for(rep, lead=lead)

    assert notification_email_send(notification_id=notification.id) is True
    assert notification_email_send(notification_id=notification.id) is False

    (email,) = locmem_email
    assert email.to == [rep.email]
    assert email.subject == "Going cold: Ada Lovelace"
    assert "Ada Lovelace has waited 2 days for you to accept it." in email.body
    assert f"https://alignment.example.com/leads/{lead.id}/" in email.body
    html = email.alternatives[0][0]
    assert f'href="https://alignment.example.com/leads/{lead.id}/"' in html
    notification.refresh_from_db()
    assert notification.email_sent_at is not None


def test_a_failed_send_stamps_nothing_so_it_can_be_sent_again(rep, locmem_email):
    notification = reminder_for(rep)

    with (
        mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=smtplib.SMTPServerDisconnected("gone")),
        pytest.raises(smtplib.SMTPServerDisconnected),
    ):
        notification_email_send(notification_id=notification.id)

    notification.refresh_from_db()
    assert notification.email_sent_at is None
    assert notification_email_send(notification_id=notification.id) is True
    assert len(locmem_email) == 1


def test_the_task_retries_a_transient_smtp_error_and_sends_once(rep, locmem_email, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    notification = reminder_for(rep)
    real_send = mail.EmailMultiAlternatives.send
    attempts = []

    def flaky(self, *args, **kwargs):
        attempts.append(1)
        if len(attempts) == 1:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return real_send(self, *args, **kwargs)

    with mock.patch("django.core.mail.EmailMultiAlternatives.send", flaky):
        notification_email_send_task.apply(args=[notification.id])

    assert len(attempts) == 2
    assert len(locmem_email) == 1


def test_a_recipient_without_an_email_address_is_skipped_and_not_retried(db, locmem_email):
    person = RepFactory(email="")
    notification = reminder_for(person)

    assert notification_email_send(notification_id=notification.id) is False

    assert locmem_email == []
    notification.refresh_from_db()
    assert notification.email_sent_at is not None


@pytest.mark.django_db(transaction=True)
def test_two_deliveries_of_the_same_task_at_once_send_one_email(locmem_email):
    if connection.vendor != "postgresql":
        pytest.skip("Row locks need PostgreSQL.")
    notification = reminder_for(RepFactory())
    sent = []
    real_send = mail.EmailMultiAlternatives.send

    def slow_send(self, *args, **kwargs):
        time.sleep(0.5)  # long enough for the second delivery to arrive mid-send
        sent.append(self.to)
        return real_send(self, *args, **kwargs)

    results = []

    def deliver():
        try:
            results.append(notification_email_send(notification_id=notification.id))
        finally:
            connections.close_all()

    with mock.patch("django.core.mail.EmailMultiAlternatives.send", slow_send):
        threads = [threading.Thread(target=deliver) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

    assert sorted(results) == [False, True]
    assert len(sent) == 1


# --- API ------------------------------------------------------------------------------------


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_notification_api_lists_only_your_own_newest_first(rep, other_rep, django_assert_num_queries):
    lead = LeadFactory()
    mine = [reminder_for(rep, lead=lead, message=f"Mine {i}") for i in range(3)]
    reminder_for(other_rep, message="Not yours")

    # 1. the page of notifications (cursor: no COUNT)
    with django_assert_num_queries(1):
        response = api(rep).get("/api/notifications/?page_size=2")

    assert response.status_code == 200
    body = response.json()
    assert [n["id"] for n in body["results"]] == [mine[2].id, mine[1].id]
    assert body["results"][0] == {
        "id": mine[2].id,
        "kind": "reminder",
        "lead": lead.id,
        "actor": None,
        "message": "Mine 2",
        "read": False,
        "created_at": body["results"][0]["created_at"],
    }
    following = api(rep).get(body["next"]).json()
    assert [n["id"] for n in following["results"]] == [mine[0].id]
    assert following["next"] is None


def test_notification_api_filters_unread(rep):
    read = reminder_for(rep)
    Notification.objects.filter(pk=read.pk).update(read=True)
    unread = reminder_for(rep)

    body = api(rep).get("/api/notifications/?unread=true").json()

    assert [n["id"] for n in body["results"]] == [unread.id]


def test_mark_read_api_marks_your_own_and_does_not_find_anyone_elses(rep, other_rep):
    mine, theirs = reminder_for(rep), reminder_for(other_rep)

    response = api(rep).post(f"/api/notifications/{mine.id}/read/")
    assert response.status_code == 200
    assert response.json()["read"] is True

    response = api(rep).post(f"/api/notifications/{theirs.id}/read/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.read is False


def test_notification_api_needs_a_signed_in_user(rep):
    reminder_for(rep)

    assert APIClient().get("/api/notifications/").status_code in (401, 403)


# --- pages ----------------------------------------------------------------------------------


def test_notifications_page_shows_your_notices_and_the_bell_count(client, rep, other_rep):
    reminder_for(rep, message="Ada has waited 2 days.")
    reminder_for(rep, message="Grace has waited 3 days.")
    reminder_for(other_rep, message="Someone else's lead.")
    client.force_login(rep)

    response = client.get("/notifications/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Ada has waited 2 days." in page and "Grace has waited 3 days." in page
    assert "Someone else" not in page
    assert response.context["unread_notifications"] == 2


def test_mark_read_with_htmx_returns_the_row_and_without_it_redirects(client, rep):
    first, second = reminder_for(rep), reminder_for(rep)
    client.force_login(rep)

    response = client.post(f"/notifications/{first.id}/read/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert f'id="notification-{first.id}"' in response.content.decode()
    assert "Mark read" not in response.content.decode()

    response = client.post(f"/notifications/{second.id}/read/")
    assert response.status_code == 302
    assert Notification.objects.filter(recipient=rep, read=False).count() == 0
    assert client.get("/notifications/").context["unread_notifications"] == 0


def test_marking_someone_elses_notification_read_is_not_found(client, rep, other_rep):
    theirs = reminder_for(other_rep)
    client.force_login(rep)

    assert client.post(f"/notifications/{theirs.id}/read/").status_code == 404
    assert client.get(f"/notifications/{theirs.id}/read/").status_code == 405
    theirs.refresh_from_db()
    assert theirs.read is False


def test_mark_all_read_touches_only_your_own(client, rep, other_rep):
    reminder_for(rep), reminder_for(rep)
    theirs = reminder_for(other_rep)
    client.force_login(rep)

    response = client.post("/notifications/read-all/")

    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=rep, read=False).exists()
    theirs.refresh_from_db()
    assert theirs.read is False


def test_opening_a_notification_marks_it_read_and_goes_to_its_lead(client, rep):
    lead = LeadFactory()
    notice, other = reminder_for(rep, lead=lead), reminder_for(rep, lead=lead)
    client.force_login(rep)
    assert f'href="/notifications/{notice.id}/open/"' in client.get("/notifications/").content.decode()

    response = client.get(f"/notifications/{notice.id}/open/")

    assert response.status_code == 302 and response["Location"] == f"/leads/{lead.id}/"
    notice.refresh_from_db()
    other.refresh_from_db()
    assert notice.read is True and other.read is False
    assert client.get("/notifications/").context["unread_notifications"] == 1


def test_opening_someone_elses_notification_is_not_found_and_leaves_it_unread(client, rep, other_rep):
    theirs = reminder_for(other_rep, lead=LeadFactory())
    client.force_login(rep)

    assert client.get(f"/notifications/{theirs.id}/open/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read is False


def test_opening_a_notification_never_leaves_the_site(client, rep):
    offsite = Notification.objects.create(
        recipient=rep, kind=NotificationKind.DIGEST, message="Digest.", url="https://evil.example/"
    )
    client.force_login(rep)

    assert client.get(f"/notifications/{offsite.id}/open/")["Location"] == "/notifications/"


def test_mark_read_with_htmx_sends_the_bell_with_its_new_count(client, rep):
    first, _second = reminder_for(rep), reminder_for(rep)
    client.force_login(rep)

    html = client.post(f"/notifications/{first.id}/read/", headers={"HX-Request": "true"}).content.decode()

    assert 'id="bell"' in html and 'hx-swap-oob="true"' in html
    assert 'aria-label="Notifications: 1 unread"' in html
    assert '<span class="badge" data-testid="unread-count">1</span>' in html


def test_mark_all_read_with_htmx_answers_the_list_and_an_empty_bell(client, rep, other_rep):
    reminder_for(rep, message="Ada has waited 2 days."), reminder_for(rep)
    reminder_for(other_rep)
    client.force_login(rep)

    response = client.post("/notifications/read-all/", headers={"HX-Request": "true"})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="notifications"' in html and "Ada has waited 2 days." in html and "<html" not in html
    assert "2 notifications marked read." in html and "Mark read" not in html and "Mark all read" not in html
    assert 'aria-label="Notifications: 0 unread"' in html and 'data-testid="unread-count"' not in html
    assert Notification.objects.filter(recipient=other_rep, read=False).count() == 1


def test_notifications_page_pages_back_by_keyset(client, rep):
    notices = [reminder_for(rep, message=f"Notice number {i:02d}.") for i in range(55)]
    client.force_login(rep)

    first = client.get("/notifications/")
    assert first.context["next_before"] == notices[5].id
    older = client.get(f"/notifications/?before={notices[5].id}").content.decode()
    assert "Notice number 04." in older and "Notice number 05." not in older


def test_sla_settings_page_shows_the_clock_and_saves_a_managers_change(client, manager):
    client.force_login(manager)

    page = client.get("/settings/sla/")
    assert page.status_code == 200
    assert "Every hour counts, around the clock." in page.content.decode()

    response = client.post(
        "/settings/sla/",
        {
            "sla_accept_hours": "8",
            "cold_after_days": "5",
            "escalate_after_hours": "4",
            "feedback_response_days": "2",
            "business_hours": "Mon-Fri 09:00-17:00 Europe/Berlin",
            "holidays": "2026-12-25",
        },
    )
    assert response.status_code == 302
    page = client.get("/settings/sla/").content.decode()
    assert "Business hours only: Mon, Tue, Wed, Thu, Fri 09:00–17:00 Europe/Berlin, except 1 holiday." in page


def test_sla_settings_page_refuses_bad_input_with_a_message(client, manager):
    client.force_login(manager)

    response = client.post(
        "/settings/sla/",
        {
            "sla_accept_hours": "8",
            "cold_after_days": "-1",
            "escalate_after_hours": "4",
            "feedback_response_days": "2",
            "business_hours": "Mon-Fri 17:00-09:00 UTC",
            "holidays": "",
        },
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "close after they open" in page or "greater than or equal to 0.01" in page


def test_sla_settings_page_keeps_the_business_hours_error(client, manager):
    client.force_login(manager)
    data = {
        "sla_accept_hours": "8",
        "cold_after_days": "1",
        "escalate_after_hours": "4",
        "feedback_response_days": "2",
        "business_hours": "Mon-Fri 17:00-09:00 UTC",
        "holidays": "",
    }

    response = client.post("/settings/sla/", data)

    assert response.status_code == 400
    assert "close after they open" in response.content.decode()


def test_only_managers_open_the_sla_settings_page(db, client):
    for person in (MarketerFactory(), RepFactory()):
        client.force_login(person)
        assert client.get("/settings/sla/").status_code == 403
        assert client.post("/settings/sla/", {"sla_accept_hours": "1"}).status_code == 403


def test_sla_settings_page_shows_every_field_error_at_once(client, manager):
    client.force_login(manager)

    response = client.post(
        "/settings/sla/",
        {
            "sla_accept_hours": "0",
            "cold_after_days": "-1",
            "escalate_after_hours": "abc",
            "feedback_response_days": "0.5",
            "business_hours": "Mon-Fri 17:00-09:00 UTC",
            "holidays": "Christmas",
        },
    )

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"sla_accept_hours", "cold_after_days", "escalate_after_hours", "business_hours", "holidays"}
    page = response.content.decode()
    assert page.count("Enter a number greater than 0.") == 2 and "close after they open" in page


def test_sla_settings_page_shows_a_short_threshold_as_typed(client, manager):
    client.force_login(manager)
    data = {
        "sla_accept_hours": "0.004",
        "cold_after_days": "1",
        "escalate_after_hours": "4",
        "feedback_response_days": "2",
        "business_hours": "",
        "holidays": "",
    }

    assert client.post("/settings/sla/", data).status_code == 302

    assert 'value="0.004"' in client.get("/settings/sla/").content.decode()


def test_sla_settings_page_shows_every_problem_within_a_field_at_once(client, manager):
    client.force_login(manager)
    data = {
        "sla_accept_hours": "8",
        "cold_after_days": "1",
        "escalate_after_hours": "4",
        "feedback_response_days": "2",
        "business_hours": "Mon-Fry 09:00-17:00 Mars/Olympus",
        "holidays": "2026-12-25\nChristmas\n2026-13-01",
    }

    response = client.post("/settings/sla/", data)

    assert response.status_code == 400
    page = response.content.decode()
    assert "Unknown day" in page and "Unknown time zone" in page
    assert "&#x27;Christmas&#x27;, &#x27;2026-13-01&#x27; are not dates" in page
    # What was typed stays in the form, to be corrected rather than typed again.
    assert "Mon-Fry 09:00-17:00 Mars/Olympus" in page and "2026-12-25\nChristmas\n2026-13-01" in page
