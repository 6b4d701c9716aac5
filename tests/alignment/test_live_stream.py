"""The live stream, `GET /api/events/`, served by a real uvicorn on PostgreSQL and Redis: only the
caller's events, resumable from `Last-Event-ID`, a heartbeat, session or token."""

import json
import queue
import threading
import time

import httpx
import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from alignment.models import NotificationKind
from alignment.services import notification_create
from leads.services import lead_hand_off
from tests.alignment.factories import MarketerFactory, RepFactory
from tests.leads.factories import LeadFactory

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


class Stream:
    """An open stream read in a thread: its events (and comments) arrive on a queue."""

    def __init__(self, url, headers):
        self.items = queue.Queue()
        self.opened = threading.Event()
        self.status = None
        self.closed = False
        self.thread = threading.Thread(target=self._read, args=(url, headers), daemon=True)
        self.thread.start()
        assert self.opened.wait(10), "the stream did not open"

    def _read(self, url, headers):
        timeout = httpx.Timeout(10, read=15)
        try:
            with httpx.stream("GET", url, headers=headers, timeout=timeout) as response:
                self.status = response.status_code
                self.opened.set()
                event = {}
                for line in response.iter_lines():
                    if self.closed:
                        return
                    if line.startswith(":"):
                        self.items.put(("comment", line[1:].strip()))
                    elif not line:
                        if "data" in event:
                            self.items.put(("event", event))
                        event = {}
                    else:
                        name, _, value = line.partition(":")
                        event[name] = value.strip()
        except httpx.HTTPError:
            self.opened.set()

    def next_event(self, timeout=3.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                kind, item = self.items.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if kind == "event":
                return item
        return None

    def next_comment(self, text, timeout=3.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                kind, item = self.items.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if kind == "comment" and item == text:
                return True
        return False

    def close(self):
        self.closed = True


def _token(user):
    return {"Authorization": f"Token {Token.objects.get_or_create(user=user)[0].key}"}


def test_the_stream_delivers_only_the_callers_own_events_within_a_second(asgi_server):
    anna, ben = RepFactory(username="anna"), RepFactory(username="ben")
    stream = Stream(f"{asgi_server.url}/api/events/", _token(anna))
    assert stream.status == 200
    # when: a notification for ben, then one for anna
    notification_create(recipient=ben, kind=NotificationKind.REMINDER, message="For ben")
    started = time.monotonic()
    mine = notification_create(recipient=anna, kind=NotificationKind.REMINDER, message="For anna")
    # then: anna's stream gets hers, soon, and never ben's
    event = stream.next_event(timeout=2)
    elapsed = time.monotonic() - started
    assert event is not None, asgi_server.log()[-3000:]
    assert event["event"] == "notification"
    assert json.loads(event["data"])["id"] == mine.id
    assert json.loads(event["data"])["message"] == "For anna"
    assert elapsed < 1.0
    assert stream.next_event(timeout=1) is None
    stream.close()


def test_a_handoff_reaches_the_reps_open_stream(asgi_server):
    marketer, anna = MarketerFactory(), RepFactory(username="anna")
    stream = Stream(f"{asgi_server.url}/api/events/", _token(anna))
    # when
    handoff = lead_hand_off(lead=LeadFactory(name="Ada Lovelace"), rep=anna, note="Wants a demo.", by=marketer)
    # then
    event = stream.next_event(timeout=2)
    assert event is not None and event["event"] == "handoff"
    data = json.loads(event["data"])
    assert data["lead"] == handoff.lead_id and "Ada Lovelace" in data["message"]
    stream.close()


def test_a_reconnected_stream_resumes_after_its_last_event_id(asgi_server):
    anna = RepFactory(username="anna")
    stream = Stream(f"{asgi_server.url}/api/events/", _token(anna))
    notification_create(recipient=anna, kind=NotificationKind.REMINDER, message="one")
    first = stream.next_event()
    stream.close()
    # when: two more while the page is away, then it reconnects with the id it last saw
    notification_create(recipient=anna, kind=NotificationKind.REMINDER, message="two")
    notification_create(recipient=anna, kind=NotificationKind.REMINDER, message="three")
    again = Stream(f"{asgi_server.url}/api/events/", {**_token(anna), "Last-Event-ID": first["id"]})
    # then
    got = [again.next_event(), again.next_event()]
    assert [json.loads(e["data"])["message"] for e in got] == ["two", "three"]
    assert int(got[0]["id"]) > int(first["id"])
    again.close()


def test_the_stream_sends_a_heartbeat_and_takes_the_session_cookie(asgi_server):
    anna = RepFactory(username="anna")
    client = Client()
    client.force_login(anna)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    # when
    stream = Stream(f"{asgi_server.url}/api/events/", {"Cookie": cookie})
    # then (the test server beats every second)
    assert stream.status == 200
    assert stream.next_comment("heartbeat", timeout=3)
    stream.close()


def test_the_stream_refuses_a_caller_without_a_session_or_token(asgi_server):
    response = httpx.get(f"{asgi_server.url}/api/events/", timeout=5)
    assert response.status_code == 401
    assert "detail" in response.json()
    bad = httpx.get(f"{asgi_server.url}/api/events/", headers={"Authorization": "Token nope"}, timeout=5)
    assert bad.status_code == 401
    # The rest of the site is Django's, through the same ASGI app.
    assert httpx.get(f"{asgi_server.url}/healthz", timeout=10).status_code == 200
