"""Lead search: by email from its start, by name or company substring; on PostgreSQL through indexes."""

import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from leads.models import Lead
from leads.selectors import lead_list_for_user
from leads.services import lead_hand_off
from tests.leads.factories import LeadFactory

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_trgm is PostgreSQL's")


@pytest.fixture
def people(campaign):
    return {
        "ada": LeadFactory(
            campaign=campaign, email="ada.lovelace@engines.example", name="Ada Lovelace", company="Analytical Engines"
        ),
        "grace": LeadFactory(campaign=campaign, email="grace@navy.example", name="Grace Hopper", company="US Navy"),
        "alan": LeadFactory(
            campaign=campaign, email="alan@bletchley.example", name="Alan Turing", company="Bletchley Park"
        ),
    }


def found(user, term):
    return {lead.name for lead in lead_list_for_user(user=user, filters={"q": term})}


def test_search_finds_an_email_exactly_and_by_its_start_in_any_case(marketer, people):
    assert found(marketer, "grace@navy.example") == {"Grace Hopper"}
    assert found(marketer, "  ADA.Love") == {"Ada Lovelace"}


def test_search_finds_a_substring_of_the_name_or_company_in_any_case(marketer, people):
    assert found(marketer, "lovel") == {"Ada Lovelace"}
    assert found(marketer, "NAVY") == {"Grace Hopper"}
    assert found(marketer, "etchley pa") == {"Alan Turing"}
    assert found(marketer, "nobody-like-this") == set()


def test_search_does_not_widen_what_a_rep_may_see(marketer, rep, people):
    lead_hand_off(lead=people["alan"], rep=rep, note="Codebreaker, wants a demo.", by=marketer)

    assert found(rep, "a") == {"Alan Turing"}


def test_the_list_page_and_the_api_search_alike(client, marketer, people):
    client.force_login(marketer)
    api = APIClient()
    api.force_authenticate(marketer)

    page = client.get(reverse("leads:list"), {"q": "hopper"})
    by_prefix = api.get("/api/leads/", {"q": "alan@"}).json()
    by_company = api.get("/api/leads/", {"q": "engines"}).json()

    assert [lead.name for lead in page.context["leads"]] == ["Grace Hopper"]
    assert [lead["name"] for lead in by_prefix["results"]] == ["Alan Turing"]
    assert [lead["name"] for lead in by_company["results"]] == ["Ada Lovelace"]


def _plan(queryset, *, bitmap_only=False) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # Without a sequential scan to fall back on, the plan shows whether an index can serve the
        # filter; `bitmap_only` also takes away walking the primary key in order and filtering,
        # which a table of three rows would rather do.
        cursor.execute("SET LOCAL enable_seqscan = off")
        if bitmap_only:
            cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@on_postgresql
def test_a_name_or_company_substring_search_uses_the_trigram_indexes(marketer, people):
    plan = _plan(
        Lead.objects.filter(name__icontains="lovel") | Lead.objects.filter(company__icontains="navy"), bitmap_only=True
    )

    assert "lead_name_trgm" in plan
    assert "lead_company_trgm" in plan


@on_postgresql
def test_the_whole_search_filter_is_served_by_indexes(marketer, people):
    # On a table of three rows the planner would rather read all of a partial index of the unmerged
    # leads (a segment's figures, a marketer's own leads) and filter; without those two (dropped in
    # this test's transaction only) the plan shows which of the search's own indexes serve its filter.
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX lead_segment, lead_captured_by_status")
    plan = _plan(lead_list_for_user(user=marketer, filters={"q": "ada.lo"}), bitmap_only=True)

    assert "lead_name_trgm" in plan and "lead_company_trgm" in plan
    assert "leads_lead_email" in plan  # the unique email's pattern index, for the prefix
    assert "Seq Scan on leads_lead" not in plan
