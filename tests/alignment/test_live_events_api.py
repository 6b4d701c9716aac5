"""`GET /api/events/` as the WSGI app answers it (no ASGI process in front): the caller's own
events since `Last-Event-ID`, then the stream closes and the browser asks again."""

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from alignment.live import LiveRow, live_publish
from alignment.models import LiveEvent, NotificationKind
from alignment.services import notification_create
from tests.alignment.factories import RepFactory

pytestmark = pytest.mark.django_db


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_fresh_stream_starts_after_the_callers_newest_event_and_resumes_from_there():
    anna, ben = RepFactory(), RepFactory()
    notification_create(recipient=anna, kind=NotificationKind.REMINDER, message="old")
    # when: a fresh stream
    fresh = _client(anna).get("/api/events/", HTTP_ACCEPT="text/event-stream")
    # then: nothing old, but the id to resume from
    assert fresh.status_code == 200 and fresh["Content-Type"].startswith("text/event-stream")
    last = LiveEvent.objects.filter(recipient=anna).latest("id").id
    assert f"id: {last}\n\n" in fresh.content.decode() and "old" not in fresh.content.decode()
    # when: new events for both, and anna comes back with the id
    notification_create(recipient=ben, kind=NotificationKind.REMINDER, message="for ben")
    notification_create(recipient=anna, kind=NotificationKind.REMINDER, message="for anna")
    resumed = _client(anna).get("/api/events/", HTTP_LAST_EVENT_ID=str(last)).content.decode()
    # then: hers only
    assert "event: notification" in resumed and "for anna" in resumed
    assert "for ben" not in resumed


def test_events_are_published_only_when_their_transaction_commits(django_capture_on_commit_callbacks):
    anna = RepFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        live_publish(rows=[LiveRow(anna.id, "handoff", {"lead": 1})])
    assert len(callbacks) == 1
    with pytest.raises(RuntimeError), transaction.atomic():
        live_publish(rows=[LiveRow(anna.id, "handoff", {"lead": 2})])
        raise RuntimeError("rolled back")
    assert list(LiveEvent.objects.values_list("data__lead", flat=True)) == [1]


def test_the_stream_needs_a_signed_in_caller_and_bad_ids_are_ignored():
    assert APIClient().get("/api/events/").status_code == 401
    anna = RepFactory()
    response = _client(anna).get("/api/events/", {"last_event_id": "nope"})
    assert response.status_code == 200
