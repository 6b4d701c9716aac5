import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone
from rest_framework.test import APIClient

from alignment.days import date_text
from alignment.models import Notification
from feedback.models import FeedbackItem
from feedback.services import verdict_give
from planning.meetings import (
    action_item_create,
    action_items_overdue_remind,
    meeting_get_or_create,
    meeting_item_add,
)
from planning.models import ActionItem, ActionItemReminder, Meeting
from tests.alignment.factories import RepFactory, VerticalFactory
from tests.feedback.factories import accepted_lead
from tests.planning.factories import file_request

pytestmark = pytest.mark.django_db


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _this_week():
    today = timezone.localdate()
    return today - timedelta(days=today.weekday())


def test_one_meeting_a_week_named_by_its_monday():
    monday = _this_week()

    first = meeting_get_or_create(week=monday + timedelta(days=3))
    again = meeting_get_or_create(week=monday)

    assert first == again and first.week == monday
    assert Meeting.objects.count() == 1


def test_anyone_adds_agenda_points_notes_and_decisions_through_the_api(rep, marketer):
    meeting = meeting_get_or_create(week=_this_week())

    added = client_for(rep).post(
        f"/api/meetings/{meeting.pk}/items/", {"kind": "agenda", "text": "Pricing FAQ"}, format="json"
    )
    bad = client_for(marketer).post(f"/api/meetings/{meeting.pk}/items/", {"kind": "rant", "text": " "}, format="json")
    missing = client_for(marketer).post("/api/meetings/999999/items/", {"kind": "note", "text": "x"}, format="json")

    assert added.status_code == 201 and added.json()["author"]["id"] == rep.pk
    empty = client_for(marketer).post(
        f"/api/meetings/{meeting.pk}/items/", {"kind": "note", "text": " "}, format="json"
    )
    assert bad.status_code == 400 and "kind" in bad.json()["fields"]
    assert empty.status_code == 400 and "text" in empty.json()["fields"]
    assert missing.status_code == 404


def test_action_items_name_every_problem_at_once(marketer):
    response = client_for(marketer).post(
        "/api/action-items/", {"title": "", "owner": 999999, "due": "soon", "lead": 999999}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"title", "owner", "due", "lead"}


def test_an_action_item_is_changed_by_its_owner_or_a_manager_only(marketer, rep, other_rep, manager):
    meeting = meeting_get_or_create(week=_this_week())
    created = client_for(marketer).post(
        "/api/action-items/",
        {"title": "Send the pricing FAQ", "owner": rep.pk, "due": str(timezone.localdate()), "meeting": meeting.pk},
        format="json",
    )
    pk = created.json()["id"]

    refused = [
        client_for(u).patch(f"/api/action-items/{pk}/", {"done": True}, format="json") for u in (other_rep, marketer)
    ]
    by_owner = client_for(rep).patch(f"/api/action-items/{pk}/", {"done": True}, format="json")
    by_manager = client_for(manager).patch(f"/api/action-items/{pk}/", {"done": False}, format="json")

    assert (
        created.status_code == 201
        and created.json()["owner"]["id"] == rep.pk
        and created.json()["meeting"] == meeting.pk
    )
    assert [r.status_code for r in refused] == [403, 403]
    assert by_owner.json()["done"] is True and by_manager.json()["done"] is False
    assert Notification.objects.filter(recipient=rep, message__contains="Send the pricing FAQ").count() == 1


def test_an_overdue_action_item_is_reminded_once_however_often_the_sweep_runs(marketer, rep):
    action_item_create(by=rep, title="Late", owner=rep, due=timezone.localdate() - timedelta(days=1))
    action_item_create(by=rep, title="Not yet", owner=rep, due=timezone.localdate())
    done = action_item_create(by=rep, title="Done late", owner=rep, due=timezone.localdate() - timedelta(days=2))
    ActionItem.objects.filter(pk=done.pk).update(done=True, done_at=timezone.now())

    sent = [action_items_overdue_remind(), action_items_overdue_remind()]

    assert sent == [1, 0]
    assert list(Notification.objects.filter(recipient=rep).values_list("message", flat=True)) == [
        f"Overdue since {date_text(timezone.localdate() - timedelta(days=1))}: Late"
    ]


@pytest.mark.django_db(transaction=True)
def test_parallel_sweeps_remind_each_overdue_item_exactly_once(rep):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises the whole database)")
    for n in range(20):
        action_item_create(by=rep, title=f"Late {n}", owner=rep, due=timezone.localdate() - timedelta(days=1))
    barrier = threading.Barrier(4)
    results = []

    def sweep():
        barrier.wait()
        try:
            results.append(action_items_overdue_remind())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(results) == 20
    assert ActionItemReminder.objects.count() == 20
    assert Notification.objects.filter(recipient=rep, message__startswith="Overdue").count() == 20


def test_open_action_items_carry_over_until_done_and_the_agenda_has_every_part(client, marketer, rep):
    retail = VerticalFactory(name="Retail")
    file_request(by=rep, vertical=retail, title="Chains in Bavaria")
    last = meeting_get_or_create(week=_this_week() - timedelta(days=7))
    this = meeting_get_or_create(week=_this_week())
    carried = action_item_create(
        by=marketer, title="Call the chains", owner=rep, due=timezone.localdate(), meeting=last
    )
    finished = action_item_create(by=marketer, title="Already done", owner=rep, due=timezone.localdate(), meeting=last)
    ActionItem.objects.filter(pk=finished.pk).update(done=True, done_at=timezone.now())
    meeting_item_add(meeting=this, by=rep, kind="agenda", text="Talk about POS integrations")
    # feedback waiting since before last week's end: the digest part lists it, with its age
    judged = accepted_lead(marketer=marketer, rep=rep, company="Waiting GmbH")
    verdict_give(lead=judged, by=rep, verdict="bad", reason="no_budget")
    FeedbackItem.objects.filter(lead=judged).update(created_at=timezone.now() - timedelta(days=9))
    client.force_login(marketer)

    page = client.get(f"/meetings/{this.pk}/").content.decode()
    assert "Waiting GmbH" in page or str(judged) in page
    data = client_for(marketer).get(f"/api/meetings/{this.pk}/").json()

    assert "Call the chains" in page and "Already done" not in page
    assert "Chains in Bavaria" in page and "Talk about POS integrations" in page
    kinds = [row["kind"] for row in data["agenda"]]
    assert kinds[:7] == [
        "wins",
        "bad_reasons",
        "cold",
        "open_feedback",
        "new_requests",
        "request_outcomes",
        "carried_over",
    ]
    assert kinds[7:] == ["agenda"]
    assert [a["id"] for a in data["agenda"][6]["action_items"]] == [carried.pk]
    ActionItem.objects.filter(pk=carried.pk).update(done=True, done_at=timezone.now())
    assert "Call the chains" not in client.get(f"/meetings/{this.pk}/").content.decode()


def test_during_the_meeting_decisions_and_action_items_are_recorded_from_the_page(client, marketer, rep):
    meeting = meeting_get_or_create(week=_this_week())
    client.force_login(marketer)
    path = f"/meetings/{meeting.pk}/"

    client.post(
        f"/meetings/{meeting.pk}/items/", {"kind": "decision", "text": "Spring campaign for chains", "next": path}
    )
    client.post(
        f"/meetings/{meeting.pk}/action-items/",
        {"title": "Draft the brief", "owner": str(marketer.pk), "due": str(timezone.localdate()), "next": path},
    )
    bad = client.post(
        f"/meetings/{meeting.pk}/action-items/", {"title": "", "owner": "", "due": "", "next": path}, follow=True
    )

    page = client.get(path).content.decode()
    assert 'data-testid="meeting-item-decision"' in page and "Spring campaign for chains" in page
    assert "Draft the brief" in page
    assert "The action item was not added" in bad.content.decode()
    assert ActionItem.objects.count() == 1


def test_open_action_items_show_on_their_owners_home_and_the_digest_links_the_meeting(client, marketer, rep):
    action_item_create(by=marketer, title="Call the chains", owner=rep, due=timezone.localdate())
    client.force_login(rep)

    home = client.get("/").content.decode()
    client.force_login(marketer)
    digest = client.get("/dashboard/digest/").content.decode()

    assert 'data-testid="home-action-items"' in home and "Call the chains" in home
    assert 'data-testid="digest-meeting"' in digest and "Call the chains" in digest
    assert Meeting.objects.filter(week=_this_week()).exists()  # last week's digest goes through this week's meeting


@pytest.mark.parametrize("size", [1, 5])
def test_the_meeting_page_query_count_does_not_grow_with_its_items(
    client, marketer, rep, size, django_assert_num_queries
):
    retail = VerticalFactory(name="Retail")
    this = meeting_get_or_create(week=_this_week())
    last = meeting_get_or_create(week=_this_week() - timedelta(days=7))
    for n in range(size):
        request = file_request(by=RepFactory(), vertical=retail, title=f"R{n}")
        lead = accepted_lead(marketer=marketer, rep=rep)
        meeting_item_add(meeting=this, by=rep, kind="note", text=f"Note {n}")
        # linked to a lead and a request, which the page links by id
        action_item_create(
            by=marketer, title=f"Old {n}", owner=rep, due=timezone.localdate(), meeting=last, lead=lead, request=request
        )
        action_item_create(by=marketer, title=f"New {n}", owner=rep, due=timezone.localdate(), meeting=this, lead=lead)
    client.force_login(marketer)
    # Warm: the digest's figures read settings and periods that are cached after the first page.
    client.get(f"/meetings/{this.pk}/")

    with django_assert_num_queries(QUERIES_ON_THE_MEETING_PAGE):
        response = client.get(f"/meetings/{this.pk}/")
    assert response.content.count(b'data-testid="action-item"') == 2 * size
    assert response.content.count(f'href="/leads/{lead.pk}/">lead</a>'.encode()) == 2


# 1. the session, 2. the user, 3. the meeting;
# 4.–13. last week's digest, each figure once as the dashboard computes it: 4. the quarter's won
#    revenue and the week's marketing wins from the roll-up, 5. the week's rejection reasons, 6. the
#    open pipeline, 7. the leads cold now, 8. the open feedback's count, 9. the revenue goal,
#    10. marketing's wins, 11.–12. the leads gone cold and their count, 13. the open feedback;
# 14. requests waiting for triage, 15. delivered requests, 16. open action items carried over,
# 17. the meeting's items, 18. its action items, 19. the layout's unread-notification count,
# 20. the people for the action items' owner list
QUERIES_ON_THE_MEETING_PAGE = 20
