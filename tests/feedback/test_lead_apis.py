"""`POST /api/leads/bulk-action/` and `POST /api/leads/<id>/merge/`: permissions, error shapes,
per-item results, idempotency, the cap and the query counts."""

import pytest
from rest_framework.test import APIClient

from alignment.sla import sla_settings_get
from feedback.models import FeedbackItem, FeedbackKind
from leads.models import Handoff, Lead, LeadStatus
from leads.services import lead_accept, lead_hand_off
from tests.leads.factories import LeadFactory

BULK = "/api/leads/bulk-action/"


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def merge_url(lead):
    return f"/api/leads/{lead.pk}/merge/"


def test_bulk_hand_off_answers_per_item_results(marketer, rep, campaign):
    leads = LeadFactory.create_batch(2, campaign=campaign)
    body = {"action": "hand_off", "ids": [leads[0].pk, 0, leads[1].pk], "note": "Webinar", "rep": rep.pk}
    response = client_for(marketer).post(BULK, body, format="json")
    assert response.status_code == 200
    assert response.json() == {
        "done": 2,
        "refused": 1,
        "results": [
            {"id": leads[0].pk, "result": "done", "detail": ""},
            {"id": 0, "result": "refused", "detail": "not found"},
            {"id": leads[1].pk, "result": "done", "detail": ""},
        ],
    }
    assert Lead.objects.filter(owner=rep, status=LeadStatus.HANDED_OFF).count() == 2


def test_bulk_permissions_per_role(marketer, manager, rep, other_rep, campaign):
    lead = LeadFactory(campaign=campaign)
    lead_hand_off(lead=lead, rep=rep, note="Demo.", by=marketer)
    # a rep has no bulk action at all
    response = client_for(rep).post(BULK, {"action": "recycle", "ids": [lead.pk], "reason": "x"}, format="json")
    assert response.status_code == 403
    # reassign is the managers'
    body = {"action": "reassign", "ids": [lead.pk], "rep": other_rep.pk}
    refused = client_for(marketer).post(BULK, body, format="json").json()["results"][0]
    assert refused == {"id": lead.pk, "result": "refused", "detail": "Only managers reassign leads."}
    assert client_for(manager).post(BULK, body, format="json").json()["done"] == 1
    # requesting feedback is the marketers'
    body = {"action": "request_feedback", "ids": [lead.pk], "note": "How is it going?"}
    refused = client_for(manager).post(BULK, body, format="json").json()["results"][0]
    assert refused["detail"] == "Only marketers request feedback on a lead."
    assert client_for(marketer).post(BULK, body, format="json").json()["done"] == 1
    assert FeedbackItem.objects.get(lead=lead, kind=FeedbackKind.REQUEST).assignee == other_rep


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "launch", "ids": [1]}, "action"),
        ({"action": "hand_off", "ids": [], "note": "x"}, "ids"),
        ({"action": "hand_off", "ids": list(range(1, 1002)), "note": "x"}, "ids"),
        ({"action": "hand_off", "ids": ["a"], "note": "x"}, "ids"),
        ({"action": "hand_off", "ids": [1]}, "note"),
        ({"action": "hand_off", "ids": [1], "note": "x", "rep": 999_999}, "rep"),
        ({"action": "recycle", "ids": [1]}, "reason"),
        ({"action": "reassign", "ids": [1]}, "rep"),
        ({"action": "hand_off", "ids": [1], "note": "x", "status": "won"}, "status"),
    ],
)
def test_bulk_bad_input_is_a_400_naming_the_field(manager, body, field, campaign):
    lead = LeadFactory(campaign=campaign)
    body = {**body, "ids": [lead.pk if i == 1 else i for i in body["ids"]]}
    response = client_for(manager).post(BULK, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW


def test_bulk_accepts_exactly_a_thousand_ids(marketer, campaign):
    lead = LeadFactory(campaign=campaign)
    ids = [lead.pk, *range(10_000_000, 10_000_999)]
    response = client_for(marketer).post(BULK, {"action": "recycle", "ids": ids, "reason": "Later."}, format="json")
    assert response.status_code == 200
    assert (response.json()["done"], response.json()["refused"]) == (1, 999)


def test_bulk_replays_its_first_answer_for_the_same_idempotency_key(marketer, rep, campaign):
    leads = LeadFactory.create_batch(2, campaign=campaign)
    client = client_for(marketer)
    body = {"action": "hand_off", "ids": [lead.pk for lead in leads], "note": "Webinar", "rep": rep.pk}
    first = client.post(BULK, body, format="json", HTTP_IDEMPOTENCY_KEY="bulk-1")
    again = client.post(BULK, body, format="json", HTTP_IDEMPOTENCY_KEY="bulk-1")
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert Handoff.objects.filter(lead__in=leads).count() == 2
    other = client.post(BULK, {**body, "note": "Other"}, format="json", HTTP_IDEMPOTENCY_KEY="bulk-1")
    assert other.status_code == 422


@pytest.mark.parametrize(("count", "queries"), [(10, 2 + 10 * 15), (50, 2 + 50 * 15)])
def test_bulk_api_queries_grow_by_a_constant_per_lead(
    marketer, rep, campaign, django_assert_num_queries, count, queries
):
    ids = [lead.pk for lead in LeadFactory.create_batch(count, campaign=campaign)]
    sla_settings_get()  # the SLA settings' row exists, as it does after the first handoff
    body = {"action": "hand_off", "ids": ids, "note": "Webinar", "rep": rep.pk}
    # 1. the rep, 2. the visible leads; then 15 per lead, as listed in tests/leads/test_bulk.py.
    with django_assert_num_queries(queries):
        response = client_for(marketer).post(BULK, body, format="json")
    assert response.json()["done"] == count


def test_merge_api_merges_and_the_merged_lead_says_so(marketer, campaign):
    survivor, other = LeadFactory.create_batch(2, campaign=campaign)
    client = client_for(marketer)
    response = client.post(merge_url(survivor), {"other": other.pk}, format="json")
    assert response.status_code == 200
    assert response.json()["id"] == survivor.pk
    assert response.json()["timeline"][-1]["kind"] == "merge"
    detail = client.get(f"/api/leads/{other.pk}/").json()
    assert detail["merged_into"] == survivor.pk
    assert other.pk not in [lead["id"] for lead in client.get("/api/leads/").json()["results"]]
    # every write on it is a 409
    write = client.post(f"/api/leads/{other.pk}/handoff/", {"note": "Again"}, format="json")
    assert write.status_code == 409
    assert "merged into" in write.json()["detail"]


def test_merge_api_refusals(marketer, rep, other_rep, campaign):
    first, second, third = LeadFactory.create_batch(3, campaign=campaign)
    for lead, holder in ((first, rep), (second, other_rep)):
        lead_hand_off(lead=lead, rep=holder, note="Demo.", by=marketer)
        lead_accept(lead=lead, by=holder)
    client = client_for(marketer)
    assert client.post(merge_url(first), {"other": second.pk}, format="json").status_code == 409
    assert client.post(merge_url(third), {"other": third.pk}, format="json").status_code == 409
    assert client.post(merge_url(third), {"other": 999_999}, format="json").json()["fields"] == {
        "other": ["No such lead."]
    }
    assert client.post(merge_url(third), {}, format="json").status_code == 400
    assert client_for(rep).post(merge_url(first), {"other": third.pk}, format="json").status_code == 403
    assert not Lead.objects.filter(merged_into__isnull=False).exists()


def test_schema_documents_the_bulk_action_and_merge(marketer):
    schema = client_for(marketer).get("/api/schema/?format=json").json()
    bulk = schema["paths"]["/api/leads/bulk-action/"]["post"]
    assert bulk["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("LeadBulkActionInputRequest")
    assert bulk["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("LeadBulkActionOutput")
    assert "/api/leads/{id}/merge/" in schema["paths"]
