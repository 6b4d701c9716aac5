import pytest
from django.db import connection
from rest_framework.test import APIClient

from alignment.days import company_today, date_text
from alignment.models import Territory
from feedback.services import verdict_give
from leads.models import Campaign, RoutingRule
from leads.services import lead_hand_off
from planning.evidence import segment_evidence
from planning.plan import plan_for
from tests.alignment.factories import RepFactory, VerticalFactory
from tests.feedback.factories import accepted_lead
from tests.leads.factories import LeadFactory
from tests.planning.factories import file_request

pytestmark = pytest.mark.django_db


def _covering(rep, verticals, territories):
    rep.verticals.add(*verticals)
    for spec in territories:
        country, _, region = spec.partition("/")
        rep.territories.add(Territory.objects.get_or_create(country=country, region=region)[0])


def test_one_proposal_per_rep_and_segment_with_the_segments_evidence(client, marketer, rep, other_rep):
    retail, banking = VerticalFactory(name="Retail"), VerticalFactory(name="Banking")
    _covering(rep, [retail, banking], ["DE", "AT/Tyrol"])
    _covering(other_rep, [retail], ["DE/Bavaria"])
    RepFactory(is_active=False).verticals.add(retail)
    for region in ("Bavaria", "Bavaria", "Hesse"):
        lead = accepted_lead(marketer=marketer, rep=rep, industry=retail, country="DE", region=region)
        verdict_give(lead=lead, by=rep, verdict="bad", reason="no_budget", pain_themes=["price"])
    LeadFactory(industry=retail, country="AT", region="Tyrol")
    request = file_request(by=rep, vertical=retail, territory="DE")

    proposals = plan_for()

    keys = sorted((p.rep.pk, p.vertical.name, p.territory) for p in proposals)
    assert keys == sorted(
        [
            (rep.pk, "Retail", "DE"),
            (rep.pk, "Retail", "AT/Tyrol"),
            (rep.pk, "Banking", "DE"),
            (rep.pk, "Banking", "AT/Tyrol"),
            (other_rep.pk, "Retail", "DE/Bavaria"),
        ]
    )
    for p in proposals:
        reference = segment_evidence(vertical_id=p.vertical.pk, country=p.country, region=p.region)
        assert {k: p.evidence[k] for k in ("leads", "judged", "good", "bad", "top_bad_reasons", "pain_themes")} == {
            k: reference[k] for k in ("leads", "judged", "good", "bad", "top_bad_reasons", "pain_themes")
        }
    retail_de = next(p for p in proposals if (p.rep, p.vertical, p.territory) == (rep, retail, "DE"))
    assert retail_de.evidence["leads"] == 3 and retail_de.top_themes == [
        {"code": "price", "label": "Price", "count": 3}
    ]
    assert retail_de.requests == [request]
    assert retail_de.served_by is None

    # The page reads the themes and reasons as people write them, not their codes.
    client.force_login(marketer)
    page = client.get("/campaigns/plan/").content.decode()
    assert 'Speak to: <span class="tag">Price (3)</span>' in page and "Avoid: No budget (3)" in page
    assert "no_budget" not in page


def test_launching_makes_the_campaign_and_routes_its_segment_to_the_rep(client, marketer, rep, other_rep):
    retail = VerticalFactory(name="Retail")
    _covering(rep, [retail], ["DE", "FR"])
    RoutingRule.objects.create(name="Everyone").reps.set([other_rep])
    client.force_login(marketer)
    keys = [p.key for p in plan_for()]

    response = client.post("/campaigns/plan/launch/", {"key": keys})

    assert response.status_code == 302
    campaigns = Campaign.objects.filter(segment__rep=rep)
    assert campaigns.count() == 2 and all(c.form_key for c in campaigns)
    de = campaigns.get(segment__country="DE")
    lead = LeadFactory(campaign=de, industry=retail, country="DE", captured_by=marketer)
    assert lead_hand_off(lead=lead, note="Mini-campaign.", by=marketer).to_rep == rep
    assert all(p.served_by is not None for p in plan_for())
    again = client.post("/campaigns/plan/launch/", {"one": keys[0]})
    assert again.status_code == 302 and Campaign.objects.filter(segment__rep=rep).count() == 3
    # the same segment's second campaign is told apart by its day, written as every page writes one
    newest = Campaign.objects.filter(segment__rep=rep).latest("id")
    assert newest.name.endswith(f"({date_text(company_today())})"), newest.name


def test_a_stale_or_forged_key_launches_nothing(client, marketer, rep):
    retail = VerticalFactory(name="Retail")
    _covering(rep, [retail], ["DE"])
    client.force_login(marketer)

    client.post(
        "/campaigns/plan/launch/", {"key": [f"{rep.pk}:{retail.pk}:FR", "x:y:z", f"{marketer.pk}:{retail.pk}:DE"]}
    )

    assert not Campaign.objects.filter(segment__isnull=False).exists()


def test_the_plan_is_for_marketing_and_managers(client, rep, manager):
    client.force_login(rep)
    api = APIClient()
    api.force_authenticate(rep)

    assert client.get("/campaigns/plan/").status_code == 403
    assert client.post("/campaigns/plan/launch/", {"key": ["1:1:DE"]}).status_code == 403
    assert api.get("/api/campaigns/plan/").status_code == 403
    api.force_authenticate(manager)
    assert api.get("/api/campaigns/plan/").status_code == 200


def test_the_plan_api_gives_each_proposal_its_brief(marketer, rep):
    retail = VerticalFactory(name="Retail")
    _covering(rep, [retail], ["DE/Bavaria"])
    api = APIClient()
    api.force_authenticate(marketer)

    data = api.get("/api/campaigns/plan/").json()

    assert len(data) == 1
    assert data[0]["rep"]["id"] == rep.pk and data[0]["territory"] == "DE/Bavaria"
    assert data[0]["evidence"]["leads"] == 0 and data[0]["served_by"] is None


@pytest.mark.parametrize("reps", [1, 4])
def test_the_plan_page_query_count_does_not_grow_with_reps_and_segments(
    client, marketer, reps, django_assert_num_queries
):
    verticals = [VerticalFactory(name=f"V{n}") for n in range(3)]
    for _ in range(reps):
        rep = RepFactory()
        _covering(rep, verticals, ["DE"])
        file_request(by=rep, vertical=verticals[0])
    client.force_login(marketer)

    # 1. the session, 2. the user, 3. the active reps, 4. their territories, 5. their verticals,
    # 6. the segments' lead figures with the themes and bad reasons their leads carry, 7. the
    # reps' open requests, 8. the live campaigns made for segments, 9. the delivered requests'
    # campaigns, 10. the layout's unread-notification count (the themes' and the reasons' names
    # are one more query each when a lead carries some; none does here); on PostgreSQL the
    # figures come from the roll-up's whole months and the leads of the year's first month: one more
    with django_assert_num_queries(11 if connection.vendor == "postgresql" else 10):
        response = client.get("/campaigns/plan/")
    assert response.content.count(b'data-testid="proposal"') == reps * 3
