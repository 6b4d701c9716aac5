import pytest
from rest_framework.test import APIClient

from leads.models import Campaign, RoutingRule
from leads.services import lead_hand_off
from planning.models import CampaignSegment
from planning.services import campaign_request_accept, campaign_request_start
from tests.alignment.factories import VerticalFactory
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


def test_a_marketer_makes_a_campaign_with_its_form_key_and_segment(marketer, retail):
    response = client_for(marketer).post(
        "/api/campaigns/",
        {"name": "Retail DE spring", "source": "event", "vertical": retail.pk, "territory": "DE/Bavaria"},
        format="json",
    )

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["name"] == "Retail DE spring" and data["source"] == "event" and data["form_key"]
    segment = CampaignSegment.objects.get(campaign_id=data["id"])
    assert (segment.vertical, segment.country, segment.region) == (retail, "DE", "Bavaria")
    listed = client_for(marketer).get("/api/campaigns/").json()["results"]
    assert data["id"] in [c["id"] for c in listed]


def test_reps_do_not_make_campaigns(rep):
    response = client_for(rep).post("/api/campaigns/", {"name": "Mine", "source": "web"}, format="json")

    assert response.status_code == 403
    assert not Campaign.objects.filter(name="Mine").exists()


def test_bad_input_names_every_field_at_once(marketer):
    CampaignFactory(name="Taken")

    response = client_for(marketer).post(
        "/api/campaigns/",
        {"name": "taken", "source": "web", "vertical": "Nope", "territory": "Bavaria"},
        format="json",
    )
    bad_source = client_for(marketer).post("/api/campaigns/", {"name": "X", "source": "fax"}, format="json")

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"name", "vertical", "territory"}
    assert bad_source.status_code == 400 and "source" in bad_source.json()["fields"]


def test_a_campaign_made_for_a_request_in_progress_delivers_it_and_routes_to_the_requester(
    marketer, rep, other_rep, retail
):
    request = file_request(by=rep, vertical=retail, territory="DE")
    campaign_request_accept(request=request, by=marketer)
    campaign_request_start(request=request, by=marketer)

    response = client_for(marketer).post(
        "/api/campaigns/", {"name": "For the chains", "source": "web", "request": request.pk}, format="json"
    )

    assert response.status_code == 201, response.content
    request.refresh_from_db()
    assert request.status == "delivered" and request.campaign_id == response.json()["id"]
    lead = LeadFactory(campaign=request.campaign, industry=retail, country="DE", captured_by=marketer)
    assert lead_hand_off(lead=lead, note="Spring.", by=marketer).to_rep == rep


def test_a_campaign_for_a_request_not_in_progress_is_a_conflict_and_nothing_is_made(marketer, rep, retail):
    request = file_request(by=rep, vertical=retail)

    response = client_for(marketer).post(
        "/api/campaigns/", {"name": "Too early", "source": "web", "request": request.pk}, format="json"
    )
    unknown = client_for(marketer).post(
        "/api/campaigns/", {"name": "Nowhere", "source": "web", "request": 999999}, format="json"
    )

    assert response.status_code == 409
    assert unknown.status_code == 400 and "request" in unknown.json()["fields"]
    assert not Campaign.objects.filter(name__in=["Too early", "Nowhere"]).exists()
    assert not RoutingRule.objects.exists()


def test_the_new_campaign_page_for_marketing(client, marketer, rep, retail):
    request = file_request(by=rep, vertical=retail, territory="DE")
    campaign_request_accept(request=request, by=marketer)
    campaign_request_start(request=request, by=marketer)
    client.force_login(marketer)

    form = client.get(f"/campaigns/new/?request={request.pk}")
    bad = client.post("/campaigns/new/", {"name": "", "source": "web", "territory": "Bavaria"})
    made = client.post("/campaigns/new/", {"name": "Chains", "source": "web", "request": str(request.pk)})
    client.force_login(rep)
    refused = client.get("/campaigns/new/")

    assert form.status_code == 200 and f'<option value="{request.pk}" selected>'.encode() in form.content
    assert bad.status_code == 400 and bad.content.count(b'class="errorlist"') == 2
    assert made.status_code == 302
    request.refresh_from_db()
    assert request.status == "delivered" and request.campaign.name == "Chains"
    assert refused.status_code == 403
