from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from leads.models import Handoff, LeadScore
from scoring.services import scoring_train

pytestmark = pytest.mark.django_db


def test_the_lead_page_loads_the_score_panel_from_the_scoring_floor(client, judged, rep):
    scoring_train()
    lead = judged[-1]
    client.force_login(rep)
    page = client.get(reverse("leads:detail", args=[lead.pk])).content.decode()
    assert f'hx-get="{reverse("scoring:lead-panel", args=[lead.pk])}"' in page
    panel = client.get(reverse("scoring:lead-panel", args=[lead.pk])).content.decode()
    assert "chance a rep judges this lead good" in panel
    assert "were judged good." in panel
    assert "raises" in panel or "lowers" in panel


def test_the_score_panel_explains_what_is_needed_before_any_verdict(client, rep, marketer, campaign):
    from tests.leads.factories import LeadFactory

    lead = LeadFactory(campaign=campaign, owner=rep)
    client.force_login(rep)
    panel = client.get(reverse("scoring:lead-panel", args=[lead.pk])).content.decode()
    assert "No score yet" in panel and "40" in panel


def test_another_reps_lead_has_no_score_panel(client, judged, other_rep):
    scoring_train()
    client.force_login(other_rep)
    assert client.get(reverse("scoring:lead-panel", args=[judged[0].pk])).status_code == 404


def test_the_model_page_is_for_managers(client, judged, rep, manager, django_assert_num_queries):
    scoring_train()
    client.force_login(rep)
    assert client.get(reverse("scoring:model")).status_code == 403
    client.force_login(manager)
    # 1. the session
    # 2. the user
    # 3. the serving model
    # 4. the latest training runs
    # 5. unread notifications for the bell
    with django_assert_num_queries(5):
        page = client.get(reverse("scoring:model")).content.decode()
    assert "Held-out figures beside the baselines" in page
    assert "Reliability" in page and "Learning curve" in page
    assert 'id="scoring-data"' in page and "<script>" not in page


def test_the_model_page_before_any_training(client, manager):
    client.force_login(manager)
    page = client.get(reverse("scoring:model")).content.decode()
    assert "No score yet" in page and "train_scores" in page


def test_the_inbox_puts_the_best_score_first_within_the_same_urgency(client, judged, rep, marketer):
    # given: three handoffs waiting, one overdue with a low score
    scoring_train()
    waiting = judged[-3:]
    now = timezone.now()
    for n, lead in enumerate(waiting):
        Handoff.objects.create(
            lead=lead, by=marketer, to_rep=rep, note="Story.", created_at=now, sla_due_at=now + timedelta(hours=5 + n)
        )
    LeadScore.objects.filter(lead_id=waiting[0].pk).update(score=0.01)
    LeadScore.objects.filter(lead_id=waiting[1].pk).update(score=0.2)
    LeadScore.objects.filter(lead_id=waiting[2].pk).update(score=0.9)
    Handoff.objects.filter(lead=waiting[1]).update(sla_due_at=now - timedelta(hours=1))
    # when
    client.force_login(rep)
    response = client.get(reverse("dashboard:home"))
    # then: those still within their SLA first, by score, then the overdue one
    order = [item["lead"].pk for item in response.context["awaiting"]]
    assert order == [waiting[2].pk, waiting[0].pk, waiting[1].pk]
    assert "High · 90 %" in response.content.decode()
