"""The score on generate_leads' data finds the effects the generator plants (demo/generate.py)."""

from io import StringIO

import pytest
from django.core.management import call_command

from demo.management.commands.generate_leads import CAMPAIGNS
from leads.models import Campaign
from scoring.models import ScoreWeight
from scoring.services import scoring_train

pytestmark = pytest.mark.django_db(transaction=False)


def test_the_score_recovers_the_planted_effects_with_the_right_sign_and_order(settings):
    settings.DEBUG = True
    call_command("generate_leads", count=5000, seed=3, stdout=StringIO())
    # when
    model = scoring_train()
    # then: the bench's targets on held-out verdicts (AUC 0.05 above the campaign alone, Brier skill
    # 0.10), and each planted effect where the generator put it
    metrics = model.metrics
    assert metrics["model"]["auc"] > metrics["campaign_only"]["auc"] + 0.05
    assert metrics["model"]["brier_skill"] >= 0.10
    effect = {(w.feature, w.value): w.effect for w in ScoreWeight.objects.filter(model=model)}
    assert effect[("email_kind", "free")] < 0 < effect[("email_kind", "company")]
    seniority = [effect[("seniority", rank)] for rank in ("c_level", "director", "manager", "")]
    assert seniority == sorted(seniority, reverse=True), seniority
    assert seniority[-1] < 0 < seniority[0]
    ids = dict(Campaign.objects.filter(name__in=list(CAMPAIGNS)).values_list("name", "id"))
    good, rest = list(CAMPAIGNS)[:2], list(CAMPAIGNS)[2:]
    assert min(effect[("campaign", str(ids[n]))] for n in good) > max(effect[("campaign", str(ids[n]))] for n in rest)
