"""What a capture may say about a lead beyond its contact data — its `source` and its `country`
— through every capture path: the service, the API (one and bulk), the public form and the import."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from alignment.errors import InvalidInput
from leads.capture import lead_capture
from leads.models import Lead, Source
from tests.leads.test_imports import run_import  # noqa: F401


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    cache.clear()
    yield
    cache.clear()


def as_user(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- source -----------------------------------------------------------------------------------


def test_capture_source_overrides_the_campaigns(marketer, campaign):
    # given a campaign on the website
    assert campaign.source == Source.WEB

    # when a lead from a partner is captured into it
    lead, _ = lead_capture(data={"email": "p@example.com", "source": "Partner"}, campaign=campaign, by=marketer)

    # then the lead says partner, and one without a source says the campaign's
    assert lead.source == Source.PARTNER
    other, _ = lead_capture(data={"email": "w@example.com"}, campaign=campaign, by=marketer)
    assert other.source == Source.WEB


def test_capture_with_an_unknown_source_is_a_field_error(marketer, campaign):
    with pytest.raises(InvalidInput) as error:
        lead_capture(data={"email": "p@example.com", "source": "billboard"}, campaign=campaign, by=marketer)

    assert "source" in error.value.fields
    assert not Lead.objects.exists()


def test_capturing_a_known_lead_again_keeps_its_first_source(marketer, campaign):
    lead_capture(data={"email": "p@example.com"}, campaign=campaign, by=marketer)

    lead, created = lead_capture(data={"email": "p@example.com", "source": "event"}, campaign=campaign, by=marketer)

    assert not created and lead.source == Source.WEB


def test_api_capture_takes_a_source(marketer, campaign):
    api = as_user(marketer)

    good = api.post(
        "/api/leads/", {"campaign": campaign.pk, "email": "a@example.com", "source": "event"}, format="json"
    )
    bad = api.post("/api/leads/", {"campaign": campaign.pk, "email": "b@example.com", "source": "tv"}, format="json")

    assert good.status_code == 201, good.json()
    assert good.json()["source"] == "event"
    assert bad.status_code == 400 and "source" in bad.json()["fields"]


def test_bulk_capture_takes_a_source_per_item(marketer, campaign):
    body = {
        "leads": [
            {"campaign": campaign.pk, "email": "a@example.com", "source": "webinar"},
            {"campaign": campaign.pk, "email": "b@example.com", "source": "tv"},
        ]
    }

    response = as_user(marketer).post("/api/leads/bulk/", body, format="json")

    assert response.status_code == 200
    results = response.json()["results"]
    assert results[0]["status"] == "created" and "source" in results[1]["errors"]
    assert Lead.objects.get().source == Source.WEBINAR


def test_public_form_takes_a_source(campaign):
    response = APIClient().post(
        f"/api/capture/{campaign.form_key}/",
        "email=v%40example.com&source=social",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 201
    assert Lead.objects.get().source == Source.SOCIAL


def test_import_takes_a_source_column(run_import):  # noqa: F811
    job = run_import("email,source\na@example.com,referral\nb@example.com,\nc@example.com,billboard\n")

    assert (job.rows_created, job.rows_failed) == (2, 1)
    assert dict(Lead.objects.values_list("email", "source")) == {"a@example.com": "referral", "b@example.com": "web"}
    assert job.errors[0]["line"] == 4 and "source" in job.errors[0]["reason"]


def test_capture_page_takes_a_source(client, marketer, campaign):
    client.force_login(marketer)

    response = client.post("/leads/new/", {"campaign": campaign.pk, "email": "a@example.com", "source": "email"})

    assert response.status_code == 302
    assert Lead.objects.get().source == Source.EMAIL


# --- country ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("Germany", "DE"), ("germany", "DE"), (" GERMANY ", "DE"), ("DE", "DE"), ("de", "DE"), ("DEU", "DE"), ("", "")],
)
def test_capture_stores_a_country_name_or_code_as_the_iso_code(marketer, campaign, typed, stored):
    lead, _ = lead_capture(data={"email": "p@example.com", "country": typed}, campaign=campaign, by=marketer)

    assert lead.country == stored


@pytest.mark.parametrize("typed", ["Atlantis", "XX", "Germanyy", "G"])
def test_capture_refuses_an_unknown_country_instead_of_cutting_it(marketer, campaign, typed):
    with pytest.raises(InvalidInput) as error:
        lead_capture(data={"email": "p@example.com", "country": typed}, campaign=campaign, by=marketer)

    assert error.value.fields["country"][0].startswith("Unknown country")
    assert not Lead.objects.exists()


def test_api_capture_takes_a_country_name(marketer, campaign):
    api = as_user(marketer)

    good = api.post(
        "/api/leads/", {"campaign": campaign.pk, "email": "a@example.com", "country": "germany"}, format="json"
    )
    bad = api.post(
        "/api/leads/", {"campaign": campaign.pk, "email": "b@example.com", "country": "Atlantis"}, format="json"
    )

    assert good.status_code == 201 and good.json()["country"] == "DE"
    assert bad.status_code == 400
    assert bad.json()["fields"]["country"][0].startswith("Unknown country")


def test_import_takes_country_names(run_import):  # noqa: F811
    job = run_import("email,country\na@example.com,Germany\nb@example.com,fr\nc@example.com,Atlantis\n")

    assert (job.rows_created, job.rows_failed) == (2, 1)
    assert dict(Lead.objects.values_list("email", "country")) == {"a@example.com": "DE", "b@example.com": "FR"}
    assert job.errors[0]["reason"].startswith("country: Unknown country")


def test_a_lead_captured_with_a_country_name_is_routed_by_its_country(marketer, rep, campaign):
    from leads.services import lead_hand_off
    from tests.leads.factories import RoutingRuleFactory

    rule = RoutingRuleFactory(name="Germany", country="DE", reps=[rep])
    lead, _ = lead_capture(data={"email": "p@example.com", "country": "Germany"}, campaign=campaign, by=marketer)

    handoff = lead_hand_off(lead=lead, note="Asked for a demo.", by=marketer)

    assert handoff.to_rep == rep and handoff.routing_rule == rule


def test_capture_page_offers_countries_by_name(client, marketer, campaign):
    client.force_login(marketer)

    page = client.get("/leads/new/").content.decode()
    response = client.post("/leads/new/", {"campaign": campaign.pk, "email": "a@example.com", "country": "DE"})

    assert '<select name="country"' in page and '<option value="DE">Germany</option>' in page
    assert response.status_code == 302
    assert Lead.objects.get().country == "DE"


def test_routing_rule_admin_picks_the_country_from_a_list(admin_client):
    page = admin_client.get("/admin/leads/routingrule/add/").content.decode()

    assert '<select name="country"' in page and '<option value="GE">Georgia</option>' in page
