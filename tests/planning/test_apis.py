from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from alignment.models import Notification
from planning.models import CampaignRequest
from tests.alignment.factories import RepFactory, VerticalFactory
from tests.leads.factories import CampaignFactory, LeadFactory
from tests.planning.factories import file_request

pytestmark = pytest.mark.django_db


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def retail(db):
    return VerticalFactory(name="Retail")


def _body(retail, **overrides):
    body = {
        "title": "Chains in Bavaria",
        "vertical": retail.pk,
        "territory": "DE/Bavaria",
        "pain_themes": ["price", "integration"],
        "goal_leads": 25,
        "needed_by": (timezone.localdate() + timedelta(days=21)).isoformat(),
        "note": "Three chains asked about POS integration this month.",
    }
    body.update(overrides)
    return body


def test_a_rep_files_a_request_and_gets_it_back_with_evidence(rep, retail):
    LeadFactory(industry=retail, country="DE", region="Bavaria")

    response = client_for(rep).post("/api/campaign-requests/", _body(retail), format="json")

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "new" and data["territory"] == "DE/Bavaria"
    assert data["requester"] == {"id": rep.pk, "username": rep.username, "name": rep.display_name}
    assert sorted(data["pain_themes"]) == ["integration", "price"]
    assert data["evidence"]["leads"] == 1
    assert data["outcome"] is None and data["campaign"] is None


def test_a_marketer_may_not_file(marketer, retail):
    response = client_for(marketer).post("/api/campaign-requests/", _body(retail), format="json")

    assert response.status_code == 403
    assert not CampaignRequest.objects.exists()


def test_bad_input_is_a_400_naming_every_field_at_once(rep, retail):
    body = _body(
        retail,
        title="",
        territory="Bavaria",
        goal_leads="lots",
        needed_by="yesterday",
        pain_themes=["nope"],
        vertical="999999",
    )

    response = client_for(rep).post("/api/campaign-requests/", body, format="json")

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {
        "title",
        "vertical",
        "territory",
        "goal_leads",
        "needed_by",
        "pain_themes",
    }


@pytest.mark.parametrize(
    "body",
    [[], "text", {"goal_leads": True}, {"needed_by": 5}, {"goal_leads": 1.5}, {"pain_themes": "price"}, {"x": 1}],
)
def test_malformed_bodies_are_400_never_500(rep, retail, body):
    if isinstance(body, dict):
        body = _body(retail, **body)

    response = client_for(rep).post("/api/campaign-requests/", body, format="json")

    assert response.status_code == 400


def test_reps_see_their_own_requests_marketing_and_managers_see_all(marketer, manager, rep, retail):
    other = RepFactory()
    mine = file_request(by=rep, vertical=retail)
    theirs = file_request(by=other, vertical=retail)

    def ids(user):
        return sorted(r["id"] for r in client_for(user).get("/api/campaign-requests/").json()["results"])

    assert ids(rep) == [mine.pk]
    assert ids(marketer) == ids(manager) == sorted([mine.pk, theirs.pk])
    assert client_for(rep).get(f"/api/campaign-requests/{theirs.pk}/").status_code == 404
    assert client_for(rep).get(f"/api/campaign-requests/{mine.pk}/").status_code == 200


def test_the_list_filters_by_status_segment_and_requester_and_sorts(marketer, rep, retail):
    other = RepFactory()
    banking = VerticalFactory(name="Banking")
    first = file_request(by=rep, vertical=retail, territory="DE/Bavaria")
    second = file_request(by=other, vertical=banking, territory="FR")
    third = file_request(by=rep, vertical=retail, territory="DE")
    client_for(marketer).post(f"/api/campaign-requests/{third.pk}/accept/")
    api = client_for(marketer)

    def ids(query):
        response = api.get(f"/api/campaign-requests/?{query}")
        assert response.status_code == 200
        return [r["id"] for r in response.json()["results"]]

    assert ids("") == [third.pk, second.pk, first.pk]
    assert ids("sort=oldest") == [first.pk, second.pk, third.pk]
    assert ids("status=new") == [second.pk, first.pk]
    assert ids(f"vertical={banking.pk}") == [second.pk]
    assert ids("territory=DE") == [third.pk, first.pk]
    assert ids("territory=DE/Bavaria") == [first.pk]
    assert ids(f"requester={other.pk}") == [second.pk]
    assert ids("status=bogus") == []


def test_triage_through_the_api_and_conflicts_are_409(marketer, rep, retail):
    request = file_request(by=rep, vertical=retail)
    campaign = CampaignFactory(owner=marketer)
    api = client_for(marketer)
    base = f"/api/campaign-requests/{request.pk}"

    assert api.post(f"{base}/start/").status_code == 409
    assert api.post(f"{base}/accept/").json()["status"] == "accepted"
    assert api.post(f"{base}/accept/").status_code == 409
    assert api.post(f"{base}/decline/", {"reason": "x"}, format="json").status_code == 409
    assert api.post(f"{base}/start/").json()["status"] == "in_progress"
    assert api.post(f"{base}/deliver/", {}, format="json").status_code == 400
    assert api.post(f"{base}/deliver/", {"campaign": 999999}, format="json").status_code == 400
    delivered = api.post(f"{base}/deliver/", {"campaign": campaign.pk}, format="json")
    assert delivered.status_code == 200
    assert delivered.json()["campaign"] == {"id": campaign.pk, "name": campaign.name}
    assert delivered.json()["outcome"]["leads"] == 0
    assert api.post(f"{base}/deliver/", {"campaign": campaign.pk}, format="json").status_code == 409


def test_declining_through_the_api_needs_a_reason(marketer, rep, retail):
    request = file_request(by=rep, vertical=retail)
    api = client_for(marketer)

    missing = api.post(f"/api/campaign-requests/{request.pk}/decline/", {}, format="json")
    declined = api.post(f"/api/campaign-requests/{request.pk}/decline/", {"reason": "Out of budget."}, format="json")

    assert missing.status_code == 400 and "reason" in missing.json()["fields"]
    assert declined.json()["status"] == "declined" and declined.json()["decline_reason"] == "Out of budget."


def test_only_marketing_and_managers_triage(rep, manager, retail):
    request = file_request(by=rep, vertical=retail)

    refused = client_for(rep).post(f"/api/campaign-requests/{request.pk}/accept/")
    accepted = client_for(manager).post(f"/api/campaign-requests/{request.pk}/accept/")

    assert refused.status_code == 403
    assert accepted.status_code == 200
    assert Notification.objects.filter(recipient=rep, kind="request").count() == 1


def test_a_notification_of_kind_request_shows_in_the_notifications_api(marketer, rep, retail):
    file_request(by=rep, vertical=retail)

    response = client_for(marketer).get("/api/notifications/")

    assert [n["kind"] for n in response.json()["results"]] == ["request"]


@pytest.mark.parametrize("count", [2, 7])
def test_the_list_api_query_count_does_not_grow_with_the_requests(
    marketer, rep, retail, count, django_assert_num_queries
):
    for _ in range(count):
        file_request(by=rep, vertical=retail)
    api = client_for(marketer)

    # 1. the page of requests with requester, vertical and campaign, 2. their pain themes
    with django_assert_num_queries(2):
        response = api.get("/api/campaign-requests/")
    assert len(response.json()["results"]) == count
