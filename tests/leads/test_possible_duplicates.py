"""A lead captured with the same name and company as another, under another email: the page and
the API say "possible duplicate" with the other lead, and the capture goes through."""

import pytest
from django.conf import settings
from django.urls import reverse
from rest_framework.test import APIClient

from leads.models import Lead
from leads.selectors import lead_possible_duplicates
from tests.leads.factories import LeadFactory

ON_POSTGRESQL = "postgresql" in settings.DATABASES["default"]["ENGINE"]


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_page_says_possible_duplicate_with_a_link_and_captures_anyway(client, marketer, campaign):
    existing = LeadFactory(campaign=campaign, name="Ada Lovelace", company="Analytical Engines", email="ada@ae.test")
    client.force_login(marketer)

    response = client.post(
        reverse("leads:new"),
        {
            "campaign": campaign.pk,
            "email": "a.lovelace@mail.test",
            "name": "ada lovelace",
            "company": "ANALYTICAL ENGINES",
        },
        follow=True,
    )

    new = Lead.objects.get(email="a.lovelace@mail.test")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="possible-duplicate"' in page and "Possible duplicate." in page
    assert f'href="{reverse("leads:detail", args=[existing.pk])}"' in page and "ada@ae.test" in page
    assert f'href="{reverse("feedback:lead-merge", args=[new.pk])}?email=ada%40ae.test"' in page


def test_no_hint_for_another_company_or_on_a_later_visit(client, marketer, campaign):
    LeadFactory(campaign=campaign, name="Ada Lovelace", company="Analytical Engines")
    client.force_login(marketer)

    response = client.post(
        reverse("leads:new"),
        {"campaign": campaign.pk, "email": "ada@other.test", "name": "Ada Lovelace", "company": "Difference Engines"},
        follow=True,
    )
    new = Lead.objects.get(email="ada@other.test")
    later = client.get(reverse("leads:detail", args=[new.pk]))

    assert 'data-testid="possible-duplicate"' not in response.content.decode()
    assert 'data-testid="possible-duplicate"' not in later.content.decode()


def test_the_api_answer_names_possible_duplicates_without_refusing(marketer, campaign):
    existing = LeadFactory(campaign=campaign, name="Grace Hopper", company="Navy", email="grace@navy.test")

    response = _api(marketer).post(
        "/api/leads/",
        {"email": "g.hopper@mail.test", "name": "Grace Hopper", "company": "navy", "campaign": campaign.pk},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["possible_duplicates"] == [
        {"id": existing.pk, "email": "grace@navy.test", "name": "Grace Hopper", "company": "Navy"}
    ]


def test_the_api_answer_has_none_for_a_lead_without_a_company_or_a_known_email(marketer, campaign):
    LeadFactory(campaign=campaign, name="Grace Hopper", company="Navy", email="grace@navy.test")
    api = _api(marketer)

    no_company = api.post(
        "/api/leads/", {"email": "gh@x.test", "name": "Grace Hopper", "campaign": campaign.pk}, format="json"
    )
    known = api.post(
        "/api/leads/",
        {"email": "grace@navy.test", "name": "Grace Hopper", "company": "Navy", "campaign": campaign.pk},
        format="json",
    )

    assert no_company.status_code == 201 and no_company.json()["possible_duplicates"] == []
    assert known.status_code == 200 and known.json()["possible_duplicates"] == []


def test_a_merged_lead_is_no_possible_duplicate(marketer, campaign):
    survivor = LeadFactory(campaign=campaign, name="Hedy Lamarr", company="MGM")
    merged = LeadFactory(campaign=campaign, name="Hedy Lamarr", company="MGM", merged_into=survivor)
    new = LeadFactory(campaign=campaign, name="Hedy Lamarr", company="MGM")

    found = lead_possible_duplicates(lead=new, user=marketer)

    assert [lead["id"] for lead in found] == [survivor.pk]
    assert merged.pk not in [lead["id"] for lead in found]


@pytest.mark.skipif(not ON_POSTGRESQL, reason="the trigram match is PostgreSQL's (pg_trgm); elsewhere equality")
def test_on_postgresql_a_near_spelling_is_a_possible_duplicate(marketer, campaign):
    existing = LeadFactory(campaign=campaign, name="John Smith", company="Acme GmbH")
    LeadFactory(campaign=campaign, name="Mary Jones", company="Acme GmbH")
    LeadFactory(campaign=campaign, name="John Smith", company="Acme Inc")
    new = LeadFactory(campaign=campaign, name="Jon Smith", company="ACME GMBH")

    assert [lead["id"] for lead in lead_possible_duplicates(lead=new, user=marketer)] == [existing.pk]


@pytest.mark.skipif(not ON_POSTGRESQL, reason="the LIKE of the trigram index is PostgreSQL's")
def test_on_postgresql_a_company_with_like_wildcards_matches_only_itself(marketer, campaign):
    LeadFactory(campaign=campaign, name="Ann Lee", company="100% Design")
    LeadFactory(campaign=campaign, name="Ann Lee", company="100X Design")
    new = LeadFactory(campaign=campaign, name="Ann Lee", company="100_ Design")
    same = LeadFactory(campaign=campaign, name="Ann Lee", company="100_ design")

    assert [lead["id"] for lead in lead_possible_duplicates(lead=new, user=marketer)] == [same.pk]


def test_a_rep_gets_no_possible_duplicates(rep, campaign):
    LeadFactory(campaign=campaign, name="Ida Rhodes", company="NBS")
    new = LeadFactory(campaign=campaign, name="Ida Rhodes", company="NBS")

    assert lead_possible_duplicates(lead=new, user=rep) == []
