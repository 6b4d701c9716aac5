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
