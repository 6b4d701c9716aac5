from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from alignment.errors import InvalidInput
from feedback.models import PainTheme, Verdict
from feedback.services import verdict_give
from feedback.themes import pain_theme_counts, pain_theme_leads
from tests.alignment.factories import VerticalFactory
from tests.feedback.factories import accepted_lead

pytestmark = pytest.mark.django_db


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_seeded_themes_are_a_sensible_dozen():
    codes = set(PainTheme.objects.values_list("code", flat=True))
    assert {"price", "integration", "security_compliance", "reporting", "onboarding", "performance", "support"} <= codes
    assert 10 <= len(codes) <= 15


def test_a_verdict_records_its_themes_beside_the_free_text(marketer, rep):
    lead = accepted_lead(marketer=marketer, rep=rep)

    verdict = verdict_give(
        lead=lead, by=rep, verdict="good", pain_points="Their BI export is manual.", pain_themes=["reporting", "price"]
    )

    assert sorted(verdict.pain_themes.values_list("code", flat=True)) == ["price", "reporting"]
    assert verdict.pain_points == "Their BI export is manual."


def test_an_unknown_or_retired_theme_is_a_field_error_and_nothing_is_saved(marketer, rep):
    lead = accepted_lead(marketer=marketer, rep=rep)
    PainTheme.objects.filter(code="support").update(active=False)

    for codes in (["nope"], ["price", "support"]):
        with pytest.raises(InvalidInput) as error:
            verdict_give(lead=lead, by=rep, verdict="good", pain_themes=codes)
        assert "pain_themes" in error.value.fields
    assert not Verdict.objects.filter(lead=lead).exists()


def test_the_verdict_api_takes_and_shows_theme_codes(marketer, rep):
    lead = accepted_lead(marketer=marketer, rep=rep)

    response = client_for(rep).post(
        f"/api/leads/{lead.pk}/verdict/", {"verdict": "good", "pain_themes": ["integration"]}, format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["pain_themes"] == ["integration"]


def test_the_verdict_api_answers_400_with_the_field_for_an_unknown_theme(marketer, rep):
    lead = accepted_lead(marketer=marketer, rep=rep)

    response = client_for(rep).post(
        f"/api/leads/{lead.pk}/verdict/", {"verdict": "good", "pain_themes": ["made_up"]}, format="json"
    )
    not_a_list = client_for(rep).post(
        f"/api/leads/{lead.pk}/verdict/", {"verdict": "good", "pain_themes": "price"}, format="json"
    )

    assert response.status_code == 400
    assert "pain_themes" in response.json()["fields"]
    assert not_a_list.status_code == 400
    assert "pain_themes" in not_a_list.json()["fields"]


def test_the_schema_lists_the_active_theme_codes_as_an_enum(rep):
    PainTheme.objects.filter(code="support").update(active=False)

    schema = client_for(rep).get("/api/schema/?format=json").json()

    body = schema["paths"]["/api/leads/{id}/verdict/"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    component = schema["components"]["schemas"][body["$ref"].rpartition("/")[2]]
    items = component["properties"]["pain_themes"]["items"]
    ref = items["allOf"][0]["$ref"] if "allOf" in items else items.get("$ref")
    items = schema["components"]["schemas"][ref.rpartition("/")[2]] if ref else items
    assert "price" in items["enum"]
    assert "support" not in items["enum"]


def test_the_verdict_form_on_the_lead_page_offers_the_themes_and_saves_them(client, marketer, rep):
    lead = accepted_lead(marketer=marketer, rep=rep)
    client.force_login(rep)

    page = client.get(f"/leads/{lead.pk}/")
    response = client.post(f"/feedback/leads/{lead.pk}/verdict/", {"verdict": "good", "pain_themes": ["onboarding"]})
    bad = client.post(f"/feedback/leads/{lead.pk}/verdict/", {"verdict": "good", "pain_themes": ["made_up"]})

    assert b'value="onboarding"' in page.content
    assert response.status_code == 302
    assert list(Verdict.objects.get(lead=lead, current=True).pain_themes.values_list("code", flat=True)) == [
        "onboarding"
    ]
    assert bad.status_code == 400


def _judged(marketer, rep, *, vertical, country, region="", themes, words="", days_ago=0):
    lead = accepted_lead(marketer=marketer, rep=rep, industry=vertical, country=country, region=region)
    with time_machine.travel(timezone.now() - timedelta(days=days_ago), tick=False):
        verdict_give(lead=lead, by=rep, verdict="good", pain_themes=themes, pain_points=words)
    return lead


def test_voice_of_sales_counts_themes_by_vertical_and_territory_as_the_rows_say(marketer, rep):
    retail, banking = VerticalFactory(name="Retail"), VerticalFactory(name="Banking")
    _judged(
        marketer, rep, vertical=retail, country="DE", region="Bavaria", themes=["price", "reporting"], words="Too dear"
    )
    _judged(marketer, rep, vertical=retail, country="DE", region="Bavaria", themes=["price"])
    _judged(marketer, rep, vertical=retail, country="DE", themes=["price"], words="Budget frozen")
    _judged(marketer, rep, vertical=banking, country="FR", themes=["security_compliance"], words="Needs ISO 27001")
    _judged(marketer, rep, vertical=banking, country="FR", themes=["security_compliance"], days_ago=400)
    # A revised verdict counts once, with its current themes.
    revised = _judged(marketer, rep, vertical=banking, country="FR", themes=["price"])
    verdict_give(lead=revised, by=rep, verdict="good", pain_themes=["support"])
    start = timezone.now() - timedelta(days=365)

    counts = pain_theme_counts(start=start)

    # The reference: each current verdict of the year, theme by theme, counted from the rows.
    expected = Counter()
    for verdict in Verdict.objects.filter(current=True, created_at__gte=start).select_related("lead"):
        for theme in verdict.pain_themes.all():
            expected[(theme.code, verdict.lead.industry_id, verdict.lead.country, verdict.lead.region)] += 1
    got = {(c.theme_code, c.vertical_id, c.country, c.region): c.count for c in counts}
    assert got == dict(expected)
    assert got[("price", retail.pk, "DE", "Bavaria")] == 2
    assert counts[0].count >= counts[-1].count
    bavaria = next(c for c in counts if (c.theme_code, c.region) == ("price", "Bavaria"))
    assert [q["text"] for q in bavaria.quotes] == ["Too dear"]
    assert bavaria.territory == "DE/Bavaria"


def test_voice_of_sales_filters_by_vertical_and_country(marketer, rep):
    retail, banking = VerticalFactory(name="Retail"), VerticalFactory(name="Banking")
    _judged(marketer, rep, vertical=retail, country="DE", themes=["price"])
    _judged(marketer, rep, vertical=banking, country="FR", themes=["price"])

    only_retail = pain_theme_counts(start=None, vertical=retail.pk)
    only_france = pain_theme_counts(start=None, country="fr")

    assert [(c.vertical, c.country) for c in only_retail] == [("Retail", "DE")]
    assert [(c.vertical, c.country) for c in only_france] == [("Banking", "FR")]


def test_each_count_links_to_exactly_the_leads_behind_it(marketer, rep):
    retail = VerticalFactory(name="Retail")
    bavarian = [_judged(marketer, rep, vertical=retail, country="DE", region="Bavaria", themes=["price"]) for _ in "ab"]
    _judged(marketer, rep, vertical=retail, country="DE", themes=["price"])
    _judged(marketer, rep, vertical=retail, country="DE", region="Bavaria", themes=["support"])

    leads = pain_theme_leads(theme="price", vertical=retail.pk, country="DE", region="Bavaria", start=None)

    assert sorted(lead.pk for lead in leads) == sorted(lead.pk for lead in bavarian)


def test_the_themes_page_shows_counts_quotes_and_links_for_marketing_only(
    client, marketer, rep, django_assert_num_queries
):
    retail = VerticalFactory(name="Retail")
    lead = _judged(marketer, rep, vertical=retail, country="DE", themes=["integration"], words="SAP connector missing")
    client.force_login(marketer)

    page = client.get("/feedback/insights/themes/")
    leads_page = client.get(
        f"/feedback/insights/themes/leads/?theme=integration&vertical={retail.pk}&country=DE&region=&period=365d"
    )
    client.force_login(rep)
    refused = client.get("/feedback/insights/themes/")

    assert page.status_code == 200
    assert b"SAP connector missing" in page.content
    assert b"/feedback/insights/themes/leads/?theme=integration" in page.content
    assert f"/leads/{lead.pk}/".encode() in leads_page.content
    assert refused.status_code == 403


@pytest.mark.parametrize("segments", [1, 6])
def test_the_themes_page_query_count_does_not_grow_with_the_segments(
    client, marketer, rep, segments, django_assert_num_queries
):
    for n in range(segments):
        _judged(marketer, rep, vertical=VerticalFactory(name=f"V{n}"), country="DE", themes=["price"], words=f"w{n}")
    client.force_login(marketer)

    # 1. the session, 2. the user, 3. the theme counts, 4. the quotes,
    # 5. the layout's unread-notification count, 6. the verticals for the filter
    with django_assert_num_queries(6):
        response = client.get("/feedback/insights/themes/")
    assert response.status_code == 200
    assert response.content.count(b'data-testid="pain-theme-count"') == segments
