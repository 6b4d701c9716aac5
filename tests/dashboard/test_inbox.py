"""The rep's inbox: what waits first, how many more wait and where, accepting and rejecting in
place, and what the page costs."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from dashboard.views import HOME_PAGE_SIZE
from feedback.models import ReasonCode
from leads.models import Handoff, Lead, LeadStatus
from leads.services import lead_hand_off
from tests.leads.factories import LeadFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _waiting(count, *, rep, marketer, campaign, overdue=False, name="Waiting"):
    leads = []
    for n in range(count):
        lead = LeadFactory(campaign=campaign, name=f"{name} {n}")
        lead_hand_off(lead=lead, rep=rep, note="Met at the fair; wants a demo.", by=marketer)
        leads.append(lead)
    if overdue:
        Handoff.objects.filter(lead__in=leads).update(sla_due_at=timezone.now() - timedelta(hours=2))
    return leads


def test_a_new_handoff_shows_at_once_above_a_full_page_of_overdue_ones(client, rep, marketer, campaign):
    # given: 29 handoffs already overdue (more than the home's first page) and one just made
    _waiting(HOME_PAGE_SIZE + 4, rep=rep, marketer=marketer, campaign=campaign, overdue=True, name="Late")
    (fresh,) = _waiting(1, rep=rep, marketer=marketer, campaign=campaign, name="Fresh")
    client.force_login(rep)

    # when
    response = client.get(reverse("dashboard:home"))

    # then: the new one is on the page, first, with its SLA clock; the rest are counted and linked
    page = response.content.decode()
    shown = [item["lead"].pk for item in response.context["awaiting"]]
    assert shown[0] == fresh.pk
    assert len(shown) == HOME_PAGE_SIZE
    assert f'id="inbox-item-{fresh.pk}"' in page
    assert "left to answer" in page and "Overdue by 2" in page
    assert f"Showing {HOME_PAGE_SIZE} of {HOME_PAGE_SIZE + 5}" in page
    assert "5 more waiting for you in your leads" in page
    see_all = client.get(response.context["awaiting_url"])
    assert len(see_all.context["leads"]) == HOME_PAGE_SIZE + 5


def test_accepting_from_the_inbox_answers_in_place(client, rep, marketer, campaign):
    first, second = _waiting(2, rep=rep, marketer=marketer, campaign=campaign)
    client.force_login(rep)

    response = client.post(reverse("leads:accept", args=[first.pk]), {"next": "/", "in_place": "inbox"}, **HTMX)

    assert response.status_code == 200
    assert response["HX-Retarget"] == f"#inbox-item-{first.pk}"
    assert response["HX-Reswap"] == "outerHTML"
    assert "HX-Redirect" not in response
    assert f"Accepted {first}" in response.content.decode()
    assert Lead.objects.get(pk=first.pk).status == LeadStatus.ACCEPTED
    # the message is on the row, not waiting to show on the next page
    assert list(get_messages(response.wsgi_request)) == []


def test_rejecting_from_the_inbox_answers_in_place_and_a_missing_reason_stays_in_the_form(
    client, rep, marketer, campaign
):
    reason = ReasonCode.objects.get_or_create(code="no_budget", defaults={"label": "No budget", "position": 10})[0]
    (lead,) = _waiting(1, rep=rep, marketer=marketer, campaign=campaign)
    client.force_login(rep)
    url = reverse("feedback:lead-reject", args=[lead.pk])

    refused = client.post(url, {"next": "/", "in_place": "inbox", "note": "Too small"}, **HTMX)

    assert refused.status_code == 422
    body = refused.content.decode()
    assert 'name="in_place" value="inbox"' in body and "Too small" in body
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.HANDED_OFF

    done = client.post(url, {"next": "/", "in_place": "inbox", "reason": reason.code}, **HTMX)

    assert done.status_code == 200
    assert done["HX-Retarget"] == f"#inbox-item-{lead.pk}"
    assert f"Rejected {lead}" in done.content.decode()
    assert Lead.objects.get(pk=lead.pk).status == LeadStatus.REJECTED


def test_accepting_from_the_lead_page_still_redirects(client, rep, marketer, campaign):
    (lead,) = _waiting(1, rep=rep, marketer=marketer, campaign=campaign)
    client.force_login(rep)

    response = client.post(reverse("leads:accept", args=[lead.pk]), {}, **HTMX)

    assert response["HX-Redirect"] == reverse("leads:detail", args=[lead.pk])


def test_rep_home_with_a_full_inbox_pins_its_queries_and_weight(
    client, django_assert_num_queries, rep, marketer, campaign
):
    for position, code in enumerate(("no_budget", "not_icp", "spam", "duplicate", "bad_data", "timing")):
        ReasonCode.objects.get_or_create(code=code, defaults={"label": code.replace("_", " "), "position": position})
    _waiting(HOME_PAGE_SIZE + 5, rep=rep, marketer=marketer, campaign=campaign)
    client.force_login(rep)

    # 1. the session, 2. the user
    # 3. the first page (plus one) of open handoffs to the rep, lead, campaign and marketer joined
    # 4. the count of open handoffs to the rep
    # 5. the rep's accepted, working and qualified leads (none: no count)
    # 6. the active reason codes, once for every reject form
    # 7. unread notifications for the bell
    # 8. feedback requests waiting on the rep (the feedback panel)
    # 9. the rep's open campaign requests, 10. the rep's open action items
    with django_assert_num_queries(10):
        response = client.get(reverse("dashboard:home"))

    # 25 rows, each with its accept form and its reject form written out (about 3 KB a row with
    # six reason codes): the page stays under 80 KB, far from the benchmarks' 200 KB line.
    page = response.content
    assert page.count(b'class="action-reject"') == HOME_PAGE_SIZE
    assert len(page) < 80 * 1024, len(page)
