"""The managers' routing-rules pages: the same services as the API, field errors where they belong."""

import pytest
from django.urls import reverse

from alignment.models import AuditEntry, Vertical
from leads.models import RoutingRule
from tests.alignment.factories import ManagerFactory, MarketerFactory, RepFactory
from tests.leads.factories import CampaignFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client(client):
    client.force_login(ManagerFactory())
    return client


def test_manager_adds_a_rule_and_it_routes_and_is_audited(manager_client):
    # given two reps, a vertical and a campaign
    rita, sam = RepFactory(first_name="Rita", last_name="Ortega"), RepFactory()
    retail = Vertical.objects.create(name="Retail")
    campaign = CampaignFactory(name="Webinar Q3")

    # when the manager fills the form
    response = manager_client.post(
        reverse("leads:routing-rules"),
        {
            "name": "DACH retail",
            "countries": "DE, Austria",
            "verticals": [str(retail.pk)],
            "campaign": str(campaign.pk),
            "reps": [str(rita.pk), str(sam.pk)],
            "active": "on",
        },
    )

    # then the rule exists as the API would have made it, and the list shows it in words
    assert response.status_code == 302
    rule = RoutingRule.objects.get(name="DACH retail")
    assert (rule.countries, rule.verticals, rule.campaign) == (["AT", "DE"], [retail.pk], campaign)
    assert set(rule.reps.all()) == {rita, sam}
    page = manager_client.get(reverse("leads:routing-rules")).content.decode()
    assert "Austria (AT), Germany (DE)" in page
    assert "Rita Ortega" in page and "Webinar Q3" in page
    assert AuditEntry.objects.filter(action="created", target__contains="DACH retail").exists()


def test_bad_input_shows_field_errors_beside_the_fields(manager_client):
    RoutingRule.objects.create(name="Taken")

    response = manager_client.post(reverse("leads:routing-rules"), {"name": "taken", "countries": "DE, Atlantis"})

    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["countries"] == ["Unknown country: Atlantis."]
    assert RoutingRule.objects.count() == 1
    # a blank name is a field error too, never a 500
    blank = manager_client.post(reverse("leads:routing-rules"), {"name": " "})
    assert blank.status_code == 400 and "name" in blank.context["form"].errors


def test_manager_edits_and_deletes_a_rule(manager_client):
    rule = RoutingRule.objects.create(name="Old name", country="FR")

    edit = manager_client.get(reverse("leads:routing-rule-edit", args=[rule.pk]))
    assert edit.status_code == 200
    assert edit.context["form"].initial["countries"] == "FR"

    saved = manager_client.post(
        reverse("leads:routing-rule-edit", args=[rule.pk]), {"name": "France", "countries": "FR, BE"}
    )
    assert saved.status_code == 302
    rule.refresh_from_db()
    assert (rule.name, rule.countries, rule.active) == ("France", ["BE", "FR"], False)
    assert AuditEntry.objects.filter(action="changed").exists()

    deleted = manager_client.post(reverse("leads:routing-rule-delete", args=[rule.pk]))
    assert deleted.status_code == 302
    assert not RoutingRule.objects.exists()
    assert AuditEntry.objects.filter(action="deleted").exists()
    assert manager_client.get(reverse("leads:routing-rule-edit", args=[rule.pk])).status_code == 404


def test_only_managers_see_routing_rules_and_the_nav_links_the_page(client):
    client.force_login(MarketerFactory())
    assert client.get(reverse("leads:routing-rules")).status_code == 403
    client.force_login(ManagerFactory())
    home = client.get(reverse("dashboard:home")).content.decode()
    assert f'href="{reverse("leads:routing-rules")}"' in home
    assert "/admin/leads/routingrule/" not in home
