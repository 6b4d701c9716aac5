"""A notification says who did what it tells of ("from Ana"), on the page and in the API; a
reminder or an escalation, which nobody did, names nobody."""

import pytest
from django.urls import reverse

from alignment.models import Notification, NotificationKind
from alignment.services import NotificationRow, notification_create_many
from feedback.services import lead_reject_with_feedback
from leads.services import lead_hand_off
from tests.alignment.factories import VerticalFactory
from tests.leads.factories import LeadFactory
from tests.planning.factories import file_request

pytestmark = pytest.mark.django_db


def test_a_rejection_names_the_rep_on_the_page_and_in_the_api(client, marketer, rep):
    lead = LeadFactory(captured_by=marketer)
    lead_hand_off(lead=lead, rep=rep, note="Story.", by=marketer)
    lead_reject_with_feedback(lead=lead, by=rep, reason="spam")
    notification_create_many(rows=[NotificationRow(marketer.id, NotificationKind.REMINDER, lead.id, "Going cold.")])
    client.force_login(marketer)

    page = client.get(reverse("alignment:notifications")).content.decode()
    api = client.get("/api/notifications/").json()

    assert f'data-testid="notification-actor">from {rep.display_name}</span>' in page
    assert page.count('data-testid="notification-actor"') == 1
    by_kind = {row["kind"]: row["actor"] for row in api["results"]}
    assert by_kind == {"feedback": {"id": rep.id, "username": rep.username}, "reminder": None}


def test_a_campaign_request_names_its_requester_to_every_marketer(marketer, rep):
    file_request(by=rep, vertical=VerticalFactory())

    assert list(Notification.objects.filter(recipient=marketer).values_list("actor", flat=True)) == [rep.id]


def test_an_action_item_given_to_someone_names_who_gave_it(manager, rep):
    from datetime import date

    from planning.meetings import action_item_create

    action_item_create(by=manager, title="Call the chains", owner=rep, due=date(2030, 11, 2))

    [notice] = Notification.objects.filter(recipient=rep)
    assert (notice.kind, notice.actor_id) == (NotificationKind.REMINDER, manager.id)
