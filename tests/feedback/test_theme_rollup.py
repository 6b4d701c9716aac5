"""Voice of sales' daily roll-up of pain themes (`ThemeDay`): after every change that moves a lead's
themes — a verdict, a revision, a lead's new vertical, country or region (an edit, a capture that
fills a blank, a merge, an erasure, the admin), a merge, a deletion — it holds what the verdicts
say, and what `rebuild_dashboard` recomputes from them."""

from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory
from django.utils import timezone

from alignment.days import company_day
from feedback.merge import lead_merge_with_feedback
from feedback.models import PainTheme, Verdict
from feedback.privacy import person_forget
from feedback.rollup import theme_figures_rebuild
from feedback.services import verdict_give
from feedback.themes import pain_theme_counts
from leads.admin import LeadAdmin
from leads.capture import lead_capture, lead_capture_many, lead_update
from leads.models import Lead, ThemeDay
from tests.alignment.factories import VerticalFactory
from tests.feedback.factories import accepted_lead

pytestmark = pytest.mark.django_db
POSTGRES = connection.vendor == "postgresql"


def from_the_verdicts() -> dict:
    """The roll-up as the rows give it: each current verdict's themes, on its day, under its lead's
    segment as the lead now is."""
    expected = Counter()
    for verdict in Verdict.objects.filter(current=True).select_related("lead").prefetch_related("pain_themes"):
        lead = verdict.lead
        for theme in verdict.pain_themes.all():
            key = (company_day(verdict.created_at), lead.industry_id or 0, lead.country, lead.region, theme.pk)
            expected[key] += 1
    return dict(expected)


def rolled_up() -> dict:
    return {
        (row.day, row.vertical, row.country, row.region, row.theme): row.count
        for row in ThemeDay.objects.exclude(count=0)
    }


def assert_in_step():
    """The roll-up equals the verdicts' count, and its rebuild from them."""
    kept = rolled_up()
    assert kept == from_the_verdicts()
    theme_figures_rebuild()
    assert rolled_up() == kept


def judged(marketer, rep, *, themes=("price",), **fields):
    lead = accepted_lead(marketer=marketer, rep=rep, **fields)
    verdict_give(lead=lead, by=rep, verdict="good", pain_themes=list(themes), pain_points="Too dear")
    lead.refresh_from_db()
    return lead


def theme_id(code):
    return PainTheme.objects.get(code=code).pk


def test_a_verdict_and_its_revision_on_another_day_move_its_themes(marketer, rep):
    retail = VerticalFactory(name="Retail")
    lead = accepted_lead(marketer=marketer, rep=rep, industry=retail, country="DE", region="Bavaria")
    with time_machine.travel(timezone.now() - timedelta(days=3), tick=False):
        verdict_give(lead=lead, by=rep, verdict="good", pain_themes=["price", "reporting"])
    assert rolled_up() == {
        (company_day(timezone.now() - timedelta(days=3)), retail.pk, "DE", "Bavaria", theme_id(code)): 1
        for code in ("price", "reporting")
    }

    lead.refresh_from_db()
    verdict_give(lead=lead, by=rep, verdict="bad", reason="timing", pain_themes=["support"])

    assert rolled_up() == {(company_day(timezone.now()), retail.pk, "DE", "Bavaria", theme_id("support")): 1}
    lead.refresh_from_db()
    verdict_give(lead=lead, by=rep, verdict="good")  # no themes now
    assert rolled_up() == {}
    assert_in_step()


def test_editing_a_judged_leads_segment_moves_its_themes(marketer, rep):
    retail, banking = VerticalFactory(name="Retail"), VerticalFactory(name="Banking")
    lead = judged(marketer, rep, themes=["price", "support"], industry=retail, country="DE", region="Bavaria")
    judged(marketer, rep, industry=retail, country="DE", region="Bavaria")

    lead_update(lead=lead, data={"industry": banking, "country": "FR", "region": "Normandy"}, by=marketer)

    assert_in_step()
    assert {(c.theme_code, c.vertical, c.territory, c.count) for c in pain_theme_counts(start=None)} == {
        ("price", "Retail", "DE/Bavaria", 1),
        ("price", "Banking", "FR/Normandy", 1),
        ("support", "Banking", "FR/Normandy", 1),
    }


def test_a_capture_filling_a_judged_leads_blank_region_moves_its_themes(marketer, rep, campaign):
    lead = judged(marketer, rep, country="DE", region="")

    again, created = lead_capture(data={"email": lead.email, "region": "Bavaria"}, campaign=campaign, by=marketer)

    assert (again.pk, created, again.region, again.touch_count) == (lead.pk, False, "Bavaria", lead.touch_count + 1)
    assert_in_step()
    assert [(c.theme_code, c.territory) for c in pain_theme_counts(start=None)] == [("price", "DE/Bavaria")]


def test_a_batch_capture_filling_judged_leads_blanks_moves_their_themes(marketer, rep, campaign):
    retail = VerticalFactory(name="Retail")
    blank = judged(marketer, rep, country="", region="")
    no_vertical = judged(marketer, rep, themes=["support"], country="FR")
    unjudged = accepted_lead(marketer=marketer, rep=rep, country="")
    items = [
        ({"email": blank.email, "country": "DE", "region": "Bavaria"}, campaign),
        ({"email": no_vertical.email, "industry": retail.name, "region": "Normandy"}, campaign),
        ({"email": unjudged.email, "country": "IT"}, campaign),
        ({"email": "new@example.test", "country": "ES"}, campaign),
    ]

    results = lead_capture_many(items=items, by=marketer)

    assert [created for _, created in results] == [False, False, False, True]
    assert [(lead.country, lead.region, lead.industry_id) for lead, _ in results[:3]] == [
        ("DE", "Bavaria", None),
        ("FR", "Normandy", retail.pk),
        ("IT", "", None),
    ]
    assert Lead.objects.get(pk=blank.pk).touch_count == blank.touch_count + 1
    assert_in_step()


@pytest.mark.skipif(not POSTGRES, reason="the one-statement capture is PostgreSQL's")
def test_a_new_lead_is_still_one_statement_and_a_judged_one_whose_segment_fills_goes_the_locked_way(
    marketer, rep, campaign, django_assert_num_queries
):
    lead = judged(marketer, rep, country="DE", region="")
    lead_capture(data={"email": "warm@example.test"}, campaign=campaign, by=marketer)  # caches warm

    with django_assert_num_queries(1):
        lead_capture(data={"email": "first@example.test", "region": "Bavaria"}, campaign=campaign, by=marketer)
    with django_assert_num_queries(1):  # a known lead whose segment stays: the one statement too
        lead_capture(data={"email": lead.email, "country": "FR"}, campaign=campaign, by=marketer)
    lead_capture(data={"email": lead.email, "region": "Bavaria"}, campaign=campaign, by=marketer)

    assert Lead.objects.get(pk=lead.pk).region == "Bavaria"
    assert_in_step()


def test_a_merge_takes_the_others_themes_out_and_moves_the_survivors_with_its_fills(marketer, rep, campaign):
    retail = VerticalFactory(name="Retail")
    survivor = judged(marketer, rep, themes=["integration"], country="DE", region="")
    other = judged(marketer, rep, themes=["price"], industry=retail, country="DE", region="Bavaria")

    lead_merge_with_feedback(survivor=survivor, other=other, by=marketer)

    survivor.refresh_from_db()
    assert (survivor.industry_id, survivor.region) == (retail.pk, "Bavaria")
    assert_in_step()
    assert [(c.theme_code, c.vertical, c.territory) for c in pain_theme_counts(start=None)] == [
        ("integration", "Retail", "DE/Bavaria")
    ]


def test_erasing_a_person_moves_their_themes_to_the_country_alone(marketer, rep, manager):
    lead = judged(marketer, rep, country="DE", region="Bavaria")

    person_forget(email=lead.email, by=manager)

    assert_in_step()
    assert [(c.theme_code, c.territory) for c in pain_theme_counts(start=None)] == [("price", "DE")]


def test_the_admins_edit_and_deletion_keep_the_roll_up(marketer, rep, manager):
    lead = judged(marketer, rep, country="DE", region="Bavaria")
    kept = judged(marketer, rep, country="DE", region="Bavaria")
    gone = judged(marketer, rep, country="DE", region="Bavaria")
    site = LeadAdmin(Lead, admin.site)
    request = RequestFactory().post("/admin/")
    request.user = manager

    lead.region = "Saxony"
    site.save_model(request, lead, form=None, change=True)
    assert_in_step()
    site.delete_model(request, Lead.objects.get(pk=kept.pk))
    site.delete_queryset(request, Lead.objects.filter(pk=gone.pk))

    assert_in_step()
    assert [(c.territory, c.count) for c in pain_theme_counts(start=None)] == [("DE/Saxony", 1)]


def test_the_verdict_admin_changes_the_reps_words_only(client, marketer, rep):
    from tests.alignment.factories import UserFactory

    lead = judged(marketer, rep, country="DE", region="Bavaria")
    verdict = Verdict.objects.get(lead=lead, current=True)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    response = client.post(
        f"/admin/feedback/verdict/{verdict.pk}/change/",
        {"note": "Checked.", "pain_points": "Too dear", "current": "", "pain_themes": [theme_id("support")]},
    )

    assert response.status_code == 302
    verdict.refresh_from_db()
    assert (verdict.note, verdict.current) == ("Checked.", True)
    assert [theme.code for theme in verdict.pain_themes.all()] == ["price"]
    assert client.get("/admin/feedback/verdict/add/").status_code == 403
    assert_in_step()
