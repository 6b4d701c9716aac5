import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Case, Value, When

from alignment.models import AuditArea, AuditEntry
from feedback.models import Verdict
from leads.models import Lead, LeadScore
from scoring.features import FEATURE_COLUMNS, feature_expressions, features_select
from scoring.models import ScoreDecision, ScoreModel, ScoreWeight
from scoring.services import scoring_train
from tests.scoring.factories import judged_leads

pytestmark = pytest.mark.django_db


def test_held_out_metrics_beat_both_baselines_and_find_the_planted_effects(judged):
    # when
    model = scoring_train()
    # then: trained before the cutoff, tested on the later verdicts
    metrics = model.metrics
    assert metrics["train"] + metrics["test"] == 600 and metrics["test"] == 120
    assert metrics["model"]["auc"] > metrics["campaign_only"]["auc"] + 0.05
    assert metrics["model"]["auc"] > metrics["base_rate"]["auc"] == 0.5
    assert metrics["model"]["brier"] < metrics["base_rate"]["brier"]
    assert metrics["model"]["brier_skill"] > 0.05
    assert metrics["model"]["calibration_error"] < 0.12
    # the planted effects, with the right sign and order
    effect = {(w.feature, w.value): w.effect for w in ScoreWeight.objects.filter(model=model)}
    assert effect[("email_kind", "free")] < 0 < effect[("email_kind", "company")]
    assert effect[("campaign", str(judged[0].campaign_id))] > 0
    assert effect[("seniority", "c_level")] > effect[("seniority", "manager")]
    assert effect[("seniority", "vp")] > effect[("seniority", "staff")]
    # the reliability bins and the learning curve come with it
    assert sum(b["count"] for b in model.reliability) == 120
    assert [p["verdicts"] for p in model.learning_curve] == [50, 100, 200]


def test_the_serving_model_counts_every_verdict_up_to_now(judged):
    model = scoring_train()
    assert model.verdicts == 600
    assert model.good + model.bad == 600
    assert model.data_until == Verdict.objects.order_by("-created_at").first().created_at


def test_a_revised_verdict_does_not_change_what_the_rep_first_said(judged, rep):
    # given: the first judged lead is judged again, the other way, later
    first = Verdict.objects.get(lead=judged[0])
    Verdict.objects.filter(pk=first.pk).update(current=False)
    other = "bad" if first.verdict == "good" else "good"
    Verdict.objects.create(lead=judged[0], rep=rep, verdict=other, created_at=first.created_at.replace(year=2030))
    # when
    model = scoring_train()
    # then: still 600 verdicts, the first one counted
    campaign = ScoreWeight.objects.get(model=model, feature="campaign", value=str(judged[0].campaign_id))
    firsts = Verdict.objects.filter(lead__campaign=judged[0].campaign).exclude(created_at__year=2030)
    assert model.verdicts == 600
    assert campaign.good == firsts.filter(verdict="good").count()


def test_merged_leads_and_leads_never_handed_off_are_left_out(judged):
    Lead.objects.filter(pk=judged[1].pk).update(merged_into=judged[2])
    Lead.objects.filter(pk=judged[3].pk).update(handed_off_at=None)
    model = scoring_train()
    assert model.verdicts == 598


# --- leakage --------------------------------------------------------------------------------


def test_features_read_only_columns_known_at_handoff():
    # Every column of the lead an expression names is in the allowed set: owner, status, verdict,
    # touch_count and the later waterfall dates are not.
    for vendor in ("postgresql", "sqlite"):
        for name, sql in feature_expressions(vendor).items():
            columns = set(re.findall(r"\bl\.(\w+)", sql))
            assert columns <= FEATURE_COLUMNS, (name, columns - FEATURE_COLUMNS)
    later = {"owner_id", "status", "verdict", "verdict_at", "touch_count", "accepted_at", "won_at", "lost_at", "score"}
    assert not later & FEATURE_COLUMNS


def test_changing_what_happened_after_the_handoff_changes_no_feature(judged, other_rep):
    # given
    sql = features_select(connection.vendor, "l.id = %s")

    def values(lead_id):
        with connection.cursor() as cursor:
            cursor.execute(sql, [lead_id])
            return cursor.fetchone()

    lead = judged[5]
    before = values(lead.pk)
    # when: everything a rep does after the handoff, and a touch after it
    Lead.objects.filter(pk=lead.pk).update(
        owner=other_rep, status="won", verdict="good", touch_count=9, won_amount=5, last_activity_at=lead.captured_at
    )
    from leads.models import Touch

    Touch.objects.create(lead=lead, campaign=lead.campaign, channel="api", at=lead.handed_off_at.replace(year=2031))
    # then
    assert values(lead.pk) == before


# --- champion and challenger, cold start ------------------------------------------------------


def test_a_worse_challenger_does_not_replace_the_champion(campaigns, rep, marketer):
    # given: a champion trained on verdicts that follow the planted effects
    judged_leads(count=600, campaigns=campaigns, rep=rep, marketer=marketer, seed=1)
    champion = scoring_train()
    assert champion.active
    scores_before = dict(LeadScore.objects.values_list("lead_id", "score"))
    # when: 300 later verdicts contradict them, so the new model fits noise the later verdicts break
    later = judged_leads(count=300, campaigns=campaigns, rep=rep, marketer=marketer, seed=2)
    flipped = Case(When(verdict="good", then=Value("bad")), default=Value("good"))
    Verdict.objects.filter(lead__in=later).update(verdict=flipped)
    challenger = scoring_train()
    # then
    champion.refresh_from_db()
    assert challenger.decision == ScoreDecision.KEPT and not challenger.active
    assert champion.active
    assert "worse" in challenger.decision_note
    assert dict(LeadScore.objects.filter(lead_id__in=scores_before).values_list("lead_id", "score")) == scores_before
    assert not AuditEntry.objects.filter(area=AuditArea.SCORING, target_id=str(challenger.pk)).exists()


def test_a_challenger_that_is_not_worse_serves_and_the_audit_log_says_so(campaigns, rep, marketer, manager):
    # given: a champion that learned from verdicts the later ones contradict
    early = judged_leads(count=300, campaigns=campaigns, rep=rep, marketer=marketer, seed=1)
    Verdict.objects.filter(lead__in=early).update(
        verdict=Case(When(verdict="good", then=Value("bad")), default=Value("good"))
    )
    first = scoring_train()
    # when: 300 later verdicts, all after the champion's
    start = Verdict.objects.order_by("-created_at").first().created_at
    judged_leads(count=300, campaigns=campaigns, rep=rep, marketer=marketer, seed=3, start=start)
    second = scoring_train(by=manager)
    first.refresh_from_db()
    # then: on the verdicts the champion never saw, the challenger is better, and it serves
    assert second.decision == ScoreDecision.PROMOTED, second.decision_note
    assert second.active and not first.active
    assert ScoreModel.objects.filter(active=True).count() == 1
    entry = AuditEntry.objects.get(area=AuditArea.SCORING, target_id=str(second.pk))
    assert entry.actor == manager
    assert entry.changes["serving model"][0].startswith(f"v{first.version} ")


def test_no_verdicts_no_model_and_scores_stay_null(campaigns, rep, marketer):
    judged_leads(count=20, campaigns=campaigns, rep=rep, marketer=marketer, verdicts=False)
    assert scoring_train() is None
    assert not ScoreModel.objects.exists()
    assert not LeadScore.objects.filter(score__isnull=False).exists()


def test_few_verdicts_make_an_early_model_that_still_scores(campaigns, rep, marketer):
    judged_leads(count=30, campaigns=campaigns, rep=rep, marketer=marketer)
    model = scoring_train()
    assert model.early and model.active
    assert model.metrics == {}
    assert not Lead.objects.filter(scored__score__isnull=True).exists()


def test_forty_verdicts_all_good_are_still_early(campaigns, rep, marketer):
    leads = judged_leads(count=45, campaigns=campaigns, rep=rep, marketer=marketer)
    Verdict.objects.filter(lead__in=leads).update(verdict="good")
    model = scoring_train()
    assert model.early


def test_train_scores_prints_the_held_out_figures_beside_the_baselines(judged, capsys):
    call_command("train_scores")
    out = capsys.readouterr().out
    assert "Model v1: 600 verdicts" in out
    assert re.search(r"ROC AUC\s+0\.\d{4}\s+0\.5000\s+0\.\d{4}", out)
    assert "Calibration error" in out and "Brier skill" in out
    assert "No model was serving." in out


def test_train_scores_with_no_verdicts_says_so(db, capsys):
    call_command("train_scores")
    assert "No verdicts yet" in capsys.readouterr().out
