"""`/api/routing-rules/`: managers only, validated field by field, every change audited, and the
rules it writes route leads."""

import pytest
from rest_framework.test import APIClient

from alignment.models import AuditEntry
from leads.models import RoutingRule
from leads.services import lead_hand_off
from tests.alignment.factories import ManagerFactory, MarketerFactory, RepFactory, VerticalFactory
from tests.leads.factories import CampaignFactory, LeadFactory, RoutingRuleFactory

pytestmark = pytest.mark.django_db


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.parametrize("factory", [MarketerFactory, RepFactory])
def test_only_managers_see_or_change_routing_rules(factory):
    rule = RoutingRuleFactory()
    client = _client(factory())
    assert client.get("/api/routing-rules/").status_code == 403
    assert client.post("/api/routing-rules/", {"name": "Mine"}, format="json").status_code == 403
    assert client.patch(f"/api/routing-rules/{rule.id}/", {"active": False}, format="json").status_code == 403
    assert client.delete(f"/api/routing-rules/{rule.id}/").status_code == 403
    assert APIClient().get("/api/routing-rules/").status_code == 401
    assert RoutingRule.objects.filter(pk=rule.pk, active=True).exists()


def test_a_manager_creates_a_rule_that_routes_the_leads_it_matches():
    manager, marketer = ManagerFactory(), MarketerFactory()
    anna, ben = RepFactory(username="anna"), RepFactory(username="ben")
    retail = VerticalFactory(name="Retail")
    campaign = CampaignFactory(owner=marketer)
    body = {
        "name": "Retail in DACH",
        "countries": ["DE", "Austria"],
        "verticals": [retail.id],
        "campaign": campaign.id,
        "reps": [ben.id],
    }
    # when
    response = _client(manager).post("/api/routing-rules/", body, format="json")
    # then
    assert response.status_code == 201, response.content
    data = response.json()
    assert data == {
        "id": data["id"],
        "name": "Retail in DACH",
        "countries": ["AT", "DE"],
        "verticals": [retail.id],
        "campaign": {"id": campaign.id, "name": campaign.name},
        "reps": [{"id": ben.id, "username": "ben"}],
        "active": True,
    }
    entry = AuditEntry.objects.get(area="routing", action="created")
    assert entry.actor == manager and entry.changes["countries"] == [None, ["AT", "DE"]]
    # ...and routing uses it: an Austrian retail lead of the campaign goes to ben
    lead = LeadFactory(country="AT", industry=retail, campaign=campaign)
    assert lead_hand_off(lead=lead, note="Asked for pricing.", by=marketer).to_rep == ben
    # ...but a German lead of another campaign does not match it
    other = LeadFactory(country="DE", industry=retail)
    assert lead_hand_off(lead=other, note="Asked for pricing.", by=marketer).to_rep is None
    assert anna.id not in [r["id"] for r in data["reps"]]


def test_unknown_countries_verticals_campaigns_and_reps_are_field_errors():
    manager, marketer = ManagerFactory(), MarketerFactory()
    body = {"name": "Broken", "countries": ["Atlantis"], "verticals": [999], "campaign": 999, "reps": [marketer.id]}
    # when
    response = _client(manager).post("/api/routing-rules/", body, format="json")
    # then
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert set(fields) == {"countries", "verticals", "campaign", "reps"}
    assert "Atlantis" in fields["countries"][0]
    assert not RoutingRule.objects.exists()
    assert _client(manager).post("/api/routing-rules/", {}, format="json").status_code == 400
    assert _client(manager).post("/api/routing-rules/", {"name": "x", "reps": "nope"}, format="json").status_code == 400


def test_a_manager_changes_and_deletes_a_rule_audited():
    manager = ManagerFactory()
    rep = RepFactory(username="cleo")
    rule = RoutingRuleFactory(name="Old", country="FR")
    client = _client(manager)
    assert client.get(f"/api/routing-rules/{rule.id}/").json()["countries"] == ["FR"]
    # when
    response = client.patch(
        f"/api/routing-rules/{rule.id}/", {"countries": ["BE", "NL"], "reps": [rep.id], "active": False}, format="json"
    )
    # then
    assert response.status_code == 200, response.content
    assert response.json()["countries"] == ["BE", "NL"] and response.json()["active"] is False
    assert response.json()["reps"] == [{"id": rep.id, "username": "cleo"}]
    changed = AuditEntry.objects.get(area="routing", action="changed")
    assert changed.changes["countries"] == [["FR"], ["BE", "NL"]]
    assert client.patch(f"/api/routing-rules/{rule.id}/", {"name": ""}, format="json").status_code == 400
    # when
    assert client.delete(f"/api/routing-rules/{rule.id}/").status_code == 204
    # then
    assert not RoutingRule.objects.filter(pk=rule.pk).exists()
    assert AuditEntry.objects.filter(area="routing", action="deleted", target_id=str(rule.pk)).exists()
    assert client.get(f"/api/routing-rules/{rule.id}/").status_code == 404


def test_the_rule_list_takes_the_same_queries_for_one_rule_or_many(django_assert_num_queries):
    manager = ManagerFactory()
    reps = [RepFactory() for _ in range(3)]
    for i in range(5):
        RoutingRuleFactory(reps=reps[: i % 3 + 1])
    client = _client(manager)
    # 1. the rules with their campaigns, 2. their reps
    with django_assert_num_queries(2):
        response = client.get("/api/routing-rules/")
    assert len(response.json()) == 5


def test_the_routing_rules_api_is_in_the_openapi_schema():
    response = _client(ManagerFactory()).get("/api/schema/", HTTP_ACCEPT="application/json")
    paths = response.json()["paths"]
    assert {"get", "post"} <= set(paths["/api/routing-rules/"])
    assert {"get", "patch", "delete"} <= set(paths["/api/routing-rules/{id}/"])
    assert "/api/events/" in paths
