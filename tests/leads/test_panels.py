"""The lead page gets feedback's pieces through `leads.panels`, which feedback fills when it loads:
the URLs that answer the forms it owns and its panels, in their places on the page."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from leads import panels
from tests.leads.factories import LeadFactory


def test_feedback_answers_the_lead_page_forms_that_tell_marketing(db):
    lead = LeadFactory()

    assert panels.lead_action_url("reject", lead.pk) == f"/leads/{lead.pk}/reject/"
    assert panels.lead_action_url("won", lead.pk) == reverse("feedback:lead-won", args=[lead.pk])
    assert panels.lead_action_url("lost", lead.pk) == reverse("feedback:lead-lost", args=[lead.pk])
    assert panels.lead_action_url("merge", lead.pk) == reverse("feedback:lead-merge", args=[lead.pk])
    assert panels.lead_action_url("bulk") == "/leads/bulk/"


def test_a_form_nobody_answers_is_a_configuration_error():
    with pytest.raises(ImproperlyConfigured, match="'teleport'"):
        panels.lead_action_url("teleport", 1)


def test_a_panel_goes_only_in_a_known_place():
    with pytest.raises(ValueError, match="slot"):
        panels.lead_panel_register(template="feedback/_lead_panel.html", slot="sidebar")


def test_the_lead_page_shows_feedbacks_panels_in_their_places(client, manager, campaign):
    # given a manager, who sees the feedback panel and the personal-data links
    lead = LeadFactory(campaign=campaign)
    client.force_login(manager)

    # when the lead page is shown
    page = client.get(reverse("leads:detail", args=[lead.pk])).content.decode()

    # then feedback's panel follows the facts, and the personal-data section closes the page
    facts, loop, timeline, privacy = (
        page.index('id="waterfall-heading"'),
        page.index('class="feedback-panel"'),
        page.index('id="timeline-heading"'),
        page.index('id="privacy-heading"'),
    )
    assert facts < loop < timeline < privacy
    assert f'href="/leads/{lead.pk}/personal-data/"' in page and f'href="/leads/{lead.pk}/erase/"' in page


def test_the_personal_data_links_are_for_managers_only(client, marketer, campaign):
    lead = LeadFactory(campaign=campaign)
    client.force_login(marketer)

    page = client.get(reverse("leads:detail", args=[lead.pk])).content.decode()

    assert 'class="feedback-panel"' in page
    assert "personal-data" not in page
