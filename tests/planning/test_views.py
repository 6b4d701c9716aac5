from datetime import timedelta

import pytest
from django.utils import timezone

from alignment.models import Territory
from feedback.services import verdict_give
from planning.models import CampaignRequest
from tests.alignment.factories import RepFactory, VerticalFactory
from tests.feedback.factories import accepted_lead
from tests.leads.factories import CampaignFactory
from tests.planning.factories import file_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def retail(db):
    return VerticalFactory(name="Retail")


def _form(retail, **overrides):
    data = {
        "title": "Chains in Bavaria",
        "vertical": str(retail.pk),
        "territory": "DE/Bavaria",
        "pain_themes": ["price"],
        "goal_leads": "20",
        "needed_by": (timezone.localdate() + timedelta(days=14)).isoformat(),
        "note": "POS integration comes up on every call.",
    }
    data.update(overrides)
    return data


def test_a_rep_files_from_a_lead_page_with_the_leads_segment_filled_in(client, marketer, rep, retail):
    lead = accepted_lead(marketer=marketer, rep=rep, industry=retail, country="DE", region="Bavaria")
    client.force_login(rep)

    lead_page = client.get(f"/leads/{lead.pk}/")
    form = client.get(f"/requests/new/?lead={lead.pk}")
    response = client.post("/requests/new/", _form(retail, lead=str(lead.pk)))

    assert f"/requests/new/?lead={lead.pk}".encode() in lead_page.content
    assert b'value="DE/Bavaria"' in form.content
    assert f'<option value="{retail.pk}" selected>'.encode() in form.content
    request = CampaignRequest.objects.get()
    assert response.status_code == 302 and response.url.startswith(f"/requests/{request.pk}/")
    assert request.requester == rep and request.territory == "DE/Bavaria"


def test_the_form_offers_the_reps_own_coverage_first(client, rep, retail):
    VerticalFactory(name="Aerospace")
    rep.verticals.add(retail)
    rep.territories.add(Territory.objects.create(country="AT", region="Tyrol"))
    Territory.objects.create(country="AE")
    client.force_login(rep)

    page = client.get("/requests/new/").content.decode()

    assert page.index("Your verticals") < page.index("Retail") < page.index("Other verticals") < page.index("Aerospace")
    assert page.index('value="AT/Tyrol"') < page.index('value="AE"')
    assert 'name="territory" value="AT/Tyrol"' in page


def test_the_form_shows_every_error_at_once_and_keeps_what_was_typed(client, rep, retail):
    client.force_login(rep)

    response = client.post(
        "/requests/new/",
        _form(retail, title="", territory="Bavaria", goal_leads="0", needed_by="2001-01-01", note="Keep me"),
    )

    assert response.status_code == 400
    html = response.content.decode()
    for field in ("title", "territory", "goal_leads", "needed_by"):
        assert f'id="id_{field}_errors"' in html or f"field-{field}" in html
    assert html.count('class="errorlist"') >= 4
    assert "Keep me" in html
    assert not CampaignRequest.objects.exists()


def test_marketers_do_not_file_but_triage_from_the_request_page(client, marketer, rep, retail):
    request = file_request(by=rep, vertical=retail)
    campaign = CampaignFactory(owner=marketer)
    client.force_login(marketer)

    assert client.get("/requests/new/").status_code == 403
    page = client.get(f"/requests/{request.pk}/")
    assert b'data-testid="accept-form"' in page.content
    assert b"No leads in this segment" in page.content
    client.post(f"/requests/{request.pk}/accept/")
    client.post(f"/requests/{request.pk}/start/")
    response = client.post(f"/requests/{request.pk}/deliver/", {"campaign": str(campaign.pk)})

    request.refresh_from_db()
    assert response.status_code == 302 and request.status == "delivered" and request.campaign == campaign
    assert b'data-testid="outcome"' in client.get(f"/requests/{request.pk}/").content


def test_declining_on_the_page_without_a_reason_shows_the_error(client, marketer, rep, retail):
    request = file_request(by=rep, vertical=retail)
    client.force_login(marketer)

    response = client.post(f"/requests/{request.pk}/decline/", {"reason": ""})
    again = client.post(f"/requests/{request.pk}/start/")

    assert response.status_code == 400
    assert b"This field is required." in response.content
    assert again.status_code == 302  # a refused move is a message on the page, not an error page
    request.refresh_from_db()
    assert request.status == "new"


def test_a_rep_never_sees_another_reps_request_or_triages(client, rep, retail):
    theirs = file_request(by=RepFactory(), vertical=retail)
    mine = file_request(by=rep, vertical=retail, title="Mine")
    client.force_login(rep)

    assert client.get(f"/requests/{theirs.pk}/").status_code == 404
    assert client.post(f"/requests/{mine.pk}/accept/").status_code == 403
    listing = client.get("/requests/").content.decode()
    assert "Mine" in listing and theirs.title not in listing.replace("Mine", "")


def test_the_queue_shows_how_long_untriaged_requests_have_waited(client, marketer, rep, retail):
    request = file_request(by=rep, vertical=retail)
    CampaignRequest.objects.filter(pk=request.pk).update(created_at=timezone.now() - timedelta(days=3))
    client.force_login(marketer)

    page = client.get("/requests/?status=new&sort=oldest").content.decode()

    assert 'data-testid="untriaged-age"' in page and "3\xa0days" in page


@pytest.mark.parametrize("count", [1, 6])
def test_the_queue_query_count_does_not_grow_with_the_requests(
    client, marketer, rep, retail, count, django_assert_num_queries
):
    for n in range(count):
        file_request(by=rep, vertical=retail, title=f"Request {n}")
    client.force_login(marketer)

    # 1. the session, 2. the user, 3. the page of requests, 4. their pain themes,
    # 5. the layout's unread-notification count, 6. the verticals, 7. the requesters for the filters
    with django_assert_num_queries(7):
        response = client.get("/requests/")
    assert response.content.count(b'data-testid="request-row"') == count


def test_the_homes_show_open_requests_and_the_triage_queue(client, marketer, rep, retail):
    file_request(by=rep, vertical=retail, title="Chains in Bavaria")

    client.force_login(rep)
    rep_home = client.get("/").content.decode()
    client.force_login(marketer)
    marketer_home = client.get("/").content.decode()

    assert "Your campaign requests" in rep_home and "Chains in Bavaria" in rep_home
    assert "waiting for triage" in marketer_home and "Chains in Bavaria" in marketer_home


def test_the_request_page_reads_its_evidence_as_people_write_it(client, marketer, rep, retail):
    lead = accepted_lead(marketer=marketer, rep=rep, industry=retail, country="DE", region="Bavaria")
    verdict_give(lead=lead, by=rep, verdict="bad", reason="no_budget", pain_themes=["price"])
    request = file_request(by=rep, vertical=retail, territory="DE")
    client.force_login(marketer)

    evidence = client.get(f"/requests/{request.pk}/").content.decode()
    assert "<li>No budget: 1</li>" in evidence and "<li>Price: 1</li>" in evidence

    # Evidence frozen on delivery before labels were kept still reads, by its codes.
    CampaignRequest.objects.filter(pk=request.pk).update(
        status="delivered",
        campaign=CampaignFactory(owner=marketer),
        delivered_at=timezone.now(),
        evidence={**request.evidence, "top_bad_reasons": [{"code": "no_budget", "count": 1}]},
    )
    assert "<li>no_budget: 1</li>" in client.get(f"/requests/{request.pk}/").content.decode()
    frozen = client.get(f"/api/campaign-requests/{request.pk}/").json()["evidence"]
    assert frozen["top_bad_reasons"] == [{"code": "no_budget", "count": 1}]
    assert frozen["pain_themes"] == [{"code": "price", "label": "Price", "count": 1}]
