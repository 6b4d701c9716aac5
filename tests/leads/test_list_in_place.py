"""The lead list answers in place: bulk actions keep the filter and the ticks on bad input and say
who got each lead and why; the list sorts by score and shows each lead's band."""

import pytest
from django.urls import reverse

from leads.models import Lead, LeadStatus
from tests.leads.factories import LeadFactory, RoutingRuleFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_bulk_hand_off_without_a_note_comes_back_with_the_error_beside_the_note(client, marketer, rep, campaign):
    leads = LeadFactory.create_batch(2, campaign=campaign)
    client.force_login(marketer)
    body = {"action": "hand_off", "ids": [lead.pk for lead in leads], "note": "", "rep": rep.pk, "filter": "status=new"}

    response = client.post(reverse("feedback:lead-bulk"), body, **HTMX)

    # the bar alone, as it was sent, with the error beside the note: htmx swaps it in place, so the
    # list, its filter and its ticked rows stay as they were
    assert response.status_code == 422
    text = response.content.decode()
    assert text.lstrip().startswith("<form") and 'id="bulk-form"' in text
    assert 'data-testid="bulk-note-error"' in text and "This field is required." in text
    assert 'aria-describedby="bulk-note-errors"' in text
    assert f'<option value="{rep.pk}" selected>' in text
    assert '<option value="hand_off" selected>' in text
    assert set(Lead.objects.values_list("status", flat=True)) == {LeadStatus.NEW}


def test_bulk_hand_off_results_name_each_rep_and_the_routing_reason(client, marketer, rep, other_rep, campaign):
    RoutingRuleFactory(name="All of Germany", country="DE", reps=[other_rep])
    routed = LeadFactory(campaign=campaign, country="DE", name="Routed Rita")
    named = LeadFactory(campaign=campaign, name="Named Nina")
    client.force_login(marketer)

    by_rules = client.post(
        reverse("feedback:lead-bulk"), {"action": "hand_off", "ids": [routed.pk], "note": "Fair"}, **HTMX
    )
    to_rep = client.post(
        reverse("feedback:lead-bulk"), {"action": "hand_off", "ids": [named.pk], "note": "Fair", "rep": rep.pk}, **HTMX
    )

    assert by_rules.status_code == 200
    assert by_rules["HX-Retarget"] == "#bulk-outcome"
    assert by_rules["HX-Trigger"] == "leads-changed"
    text = by_rules.content.decode()
    assert "1 done, 0 refused." in text
    assert other_rep.display_name in text
    handoff = Lead.objects.get(pk=routed.pk).handoffs.get()
    assert handoff.routing_reason and handoff.routing_reason in text
    assert "All of Germany" in text
    assert rep.display_name in to_rep.content.decode()


def test_bulk_page_without_javascript_still_answers_with_the_results_page(client, marketer, rep, campaign):
    lead = LeadFactory(campaign=campaign)
    client.force_login(marketer)

    response = client.post(
        reverse("feedback:lead-bulk"), {"action": "hand_off", "ids": [lead.pk], "note": "x", "rep": rep.pk}
    )

    assert response.status_code == 200
    assert "<h1>Bulk action</h1>" in response.content.decode()
    assert rep.display_name in response.content.decode()


def test_lead_list_sorts_by_score_with_each_band_shown_and_pages_on(client, marketer, campaign, monkeypatch):
    monkeypatch.setattr("leads.views.PAGE_SIZE", 2)
    scores = {"Low Lou": 0.1, "High Hana": 0.9, "None Ned": None, "Mid Mo": 0.5}
    for name, score in scores.items():
        LeadFactory(campaign=campaign, name=name, score=score)
    client.force_login(marketer)

    first = client.get(reverse("leads:list"), {"ordering": "-score"})

    assert [lead.name for lead in first.context["leads"]] == ["High Hana", "Mid Mo"]
    text = first.content.decode()
    assert "High · 90 %" in text and "Medium · 50 %" in text
    assert '<option value="-score" selected>Best score first</option>' in text
    second = client.get(reverse("leads:list") + "?" + first.context["next_query"])
    assert [lead.name for lead in second.context["leads"]] == ["Low Lou", "None Ned"]
    assert second.context["start"] == 3
    back = client.get(reverse("leads:list") + "?" + second.context["previous_query"])
    assert [lead.name for lead in back.context["leads"]] == ["High Hana", "Mid Mo"]
    # newest first, as before, without the choice
    newest = client.get(reverse("leads:list"))
    assert [lead.name for lead in newest.context["leads"]] == ["Mid Mo", "None Ned"]


def test_lead_list_filters_send_once_on_submit(client, marketer):
    client.force_login(marketer)

    text = client.get(reverse("leads:list")).content.decode()

    # htmx listens for the submit alone (a list's change submits the form, app.js): a search sent
    # with Enter or the button is one request, not a change and a submit
    assert 'hx-trigger="submit"' in text and 'hx-trigger="submit, change"' not in text
    feedback = client.get(reverse("feedback:queue")).content.decode()
    assert 'hx-trigger="submit"' in feedback and 'hx-trigger="submit, change"' not in feedback
