"""The lead list's paging and count, the bulk action page, the import's hand-off and the merge page."""

from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from alignment import pagination
from leads.models import Handoff, Lead, LeadStatus
from leads.services import lead_hand_off
from tests.leads.factories import LeadFactory
from tests.leads.test_imports import _import


def test_lead_list_pages_forwards_and_back_with_its_position(client, marketer, campaign, settings):
    leads = LeadFactory.create_batch(120, campaign=campaign)
    newest_first = [lead.pk for lead in reversed(leads)]
    client.force_login(marketer)
    first = client.get(reverse("leads:list"))
    assert [lead.pk for lead in first.context["leads"]] == newest_first[:50]
    assert "1–50 of 120" in first.content.decode()
    assert first.context["previous_query"] is None
    second = client.get(reverse("leads:list") + "?" + first.context["next_query"])
    assert "51–100 of 120" in second.content.decode()
    back = client.get(reverse("leads:list") + "?" + second.context["previous_query"])
    assert [lead.pk for lead in back.context["leads"]] == newest_first[:50]
    assert back.context["is_first_page"]
    third = client.get(reverse("leads:list") + "?" + second.context["next_query"])
    assert "101–120 of 120" in third.content.decode()
    assert third.context["next_query"] is None
    assert [lead.pk for lead in client.get("/leads/?" + third.context["previous_query"]).context["leads"]] == (
        newest_first[50:100]
    )


def test_lead_list_second_page_query_count(client, django_assert_num_queries, marketer, campaign):
    LeadFactory.create_batch(60, campaign=campaign)
    client.force_login(marketer)
    next_query = client.get(reverse("leads:list")).context["next_query"]
    # 1. the session, 2. the user, 3. campaigns, 4. reps, 5. the page of leads, 6. how many match,
    # 7. how many come before this page, 8. unread notifications
    with django_assert_num_queries(8):
        client.get(reverse("leads:list") + "?" + next_query)


def test_lead_list_count_past_the_exact_limit_is_an_estimate(client, marketer, campaign, monkeypatch):
    monkeypatch.setattr(pagination, "EXACT_COUNT_UP_TO", 3)
    LeadFactory.create_batch(5, campaign=campaign)
    client.force_login(marketer)
    text = client.get(reverse("leads:list")).content.decode()
    # PostgreSQL's planner gives the estimate; elsewhere the count stays exact.
    assert ("1–5 of about" if connection.vendor == "postgresql" else "1–5 of 5") in text


def test_a_search_stops_counting_sooner_than_a_filter(client, marketer, campaign, monkeypatch):
    """A search's count rechecks every matching row, so it gives way to the estimate sooner; a
    filter over as many leads still counts them exactly."""
    monkeypatch.setattr(pagination, "SEARCH_EXACT_COUNT_UP_TO", 3)
    LeadFactory.create_batch(5, campaign=campaign, company="Zimmermann GmbH")
    client.force_login(marketer)
    searched = client.get(reverse("leads:list"), {"q": "zimmerm"}).content.decode()
    filtered = client.get(reverse("leads:list"), {"campaign": campaign.pk}).content.decode()
    assert ("1–5 of about" if connection.vendor == "postgresql" else "1–5 of 5") in searched
    assert "1–5 of 5" in filtered


def test_bulk_page_hands_off_the_ticked_rows_and_shows_each_result(client, marketer, rep, campaign):
    mine, held = LeadFactory.create_batch(2, campaign=campaign)
    lead_hand_off(lead=held, rep=rep, note="Earlier.", by=marketer)
    client.force_login(marketer)
    body = {"action": "hand_off", "ids": [mine.pk, held.pk, 999_999], "note": "Webinar", "rep": rep.pk}
    response = client.post(reverse("feedback:lead-bulk"), body)
    assert response.status_code == 200
    text = response.content.decode()
    assert "1 done, 2 refused." in text
    assert "only a manager can reassign it" in text
    assert "#999999" in text and "not found" in text
    assert Lead.objects.get(pk=mine.pk).status == LeadStatus.HANDED_OFF


def test_bulk_page_all_matching_resolves_the_filter_and_caps_it(client, marketer, campaign, monkeypatch):
    monkeypatch.setattr("feedback.lead_bulk_merge_views.BULK_MAX", 2)
    new = LeadFactory.create_batch(3, campaign=campaign)
    nurture = LeadFactory(campaign=campaign, status=LeadStatus.NURTURE)
    client.force_login(marketer)
    body = {"action": "recycle", "all_matching": "1", "filter": "status=new", "reason": "Later."}
    text = client.post(reverse("feedback:lead-bulk"), body).content.decode()
    assert "2 done, 0 refused." in text
    assert "More than 2 leads matched" in text
    # the newest two of the filter, not the lead outside it
    recycled = set(Lead.objects.filter(status=LeadStatus.NURTURE).values_list("pk", flat=True))
    assert recycled == {new[1].pk, new[2].pk, nurture.pk}


def test_bulk_page_bad_input_is_a_400_that_changes_nothing(client, marketer, rep, campaign):
    lead = LeadFactory(campaign=campaign)
    client.force_login(marketer)
    response = client.post(reverse("feedback:lead-bulk"), {"action": "hand_off", "ids": [lead.pk], "note": ""})
    assert response.status_code == 400
    assert "needs a note" in response.content.decode()
    client.force_login(rep)
    assert (
        client.post(reverse("feedback:lead-bulk"), {"action": "recycle", "ids": [lead.pk], "reason": "x"}).status_code
        == 403
    )
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.NEW


def test_bulk_page_refuses_a_rep_nobody_has_as_the_api_does(client, marketer, campaign):
    lead = LeadFactory(campaign=campaign)
    client.force_login(marketer)
    body = {"action": "hand_off", "ids": [lead.pk], "note": "Webinar", "rep": 987654}
    response = client.post(reverse("feedback:lead-bulk"), body)
    assert response.status_code == 400
    assert "No such rep." in response.content.decode()
    # not handed off by the routing rules instead
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.NEW
    assert not Handoff.objects.filter(lead=lead).exists()


def test_import_page_offers_to_hand_off_its_new_leads_by_rules(
    client, marketer, rep, campaign, django_capture_on_commit_callbacks
):
    known = LeadFactory(campaign=campaign, email="known@acme.test", captured_at=timezone.now() - timedelta(days=1))
    job = _import(
        "email\nnew1@acme.test\nnew2@acme.test\nknown@acme.test\n",
        by=marketer,
        campaign=campaign,
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )
    client.force_login(marketer)
    page = client.get(reverse("leads:import-detail", args=[job.pk])).content.decode()
    assert "Hand off these 2 new leads by rules" in page
    body = {"action": "hand_off", "import_job": job.pk, "note": "Imported from the fair."}
    text = client.post(reverse("feedback:lead-bulk"), body).content.decode()
    assert "2 done, 0 refused." in text
    assert Handoff.objects.filter(lead__email__in=["new1@acme.test", "new2@acme.test"]).count() == 2
    assert not Handoff.objects.filter(lead=known).exists()
    assert "Hand off these" not in client.get(reverse("leads:import-detail", args=[job.pk])).content.decode()


@pytest.mark.parametrize("typed", ["other@acme.test", " OTHER@acme.test "])
def test_merge_page_merges_the_lead_with_that_email(client, marketer, campaign, typed):
    survivor = LeadFactory(campaign=campaign)
    other = LeadFactory(campaign=campaign, email="other@acme.test")
    client.force_login(marketer)
    response = client.post(reverse("feedback:lead-merge", args=[survivor.pk]), {"email": typed}, follow=True)
    assert "other@acme.test merged into this lead" in response.content.decode()
    other.refresh_from_db()
    assert other.merged_into == survivor
    merged_page = client.get(reverse("leads:detail", args=[other.pk])).content.decode()
    assert "This lead was merged into" in merged_page
    assert reverse("leads:detail", args=[survivor.pk]) in merged_page
    assert "Merge a duplicate" not in merged_page


def test_merge_page_refusals_come_back_as_messages(client, marketer, rep, campaign):
    survivor = LeadFactory(campaign=campaign)
    client.force_login(marketer)
    response = client.post(
        reverse("feedback:lead-merge", args=[survivor.pk]), {"email": "nobody@acme.test"}, follow=True
    )
    assert "No lead has the email" in response.content.decode()
    response = client.post(reverse("feedback:lead-merge", args=[survivor.pk]), {"email": survivor.email}, follow=True)
    assert "cannot be merged into itself" in response.content.decode()
    # a rep may not merge: refused before any lead is looked up, whichever lead it names (as the API)
    client.force_login(rep)
    assert client.post(reverse("feedback:lead-merge", args=[survivor.pk]), {"email": survivor.email}).status_code == 403
    assert client.post(reverse("feedback:lead-merge", args=[999_999]), {"email": survivor.email}).status_code == 403
