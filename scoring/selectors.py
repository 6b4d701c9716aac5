"""Reads on the lead score: one lead's score with its explanation, the model's page.

A lead's explanation is scoped like the lead itself (`leads.selectors.lead_visible_q`): a rep
sees the scores of the leads handed to them, nobody else's.
"""

from alignment.caching import local_cached
from alignment.errors import NotFound
from alignment.models import User
from leads.models import Lead
from leads.selectors import lead_visible_q
from scoring import serving
from scoring.features import FEATURES_BY_NAME
from scoring.models import ScoreModel
from scoring.rules import MIN_EACH, MIN_VERDICTS

# A cohort must have this many verdicts to speak for the lead, when one has.
COHORT_MIN = 10
FACTORS_EACH_WAY = 3
BANDS = ((0.65, "high"), (0.4, "medium"), (0.0, "low"))


def score_band(score: float | None) -> str | None:
    if score is None:
        return None
    return next(name for low, name in BANDS if score >= low)


def score_model_active() -> ScoreModel | None:
    """The serving model's own fields (not its figures), remembered per process like its id: an
    explanation then costs the one query of its lead's parts."""
    model_id = serving.active_model_id()
    if model_id is None:
        return None
    return local_cached(
        f"{serving.ACTIVE_KEY}:{model_id}",
        lambda: ScoreModel.objects.filter(pk=model_id).defer("metrics", "reliability", "learning_curve").first(),
    )


def lead_for_score(*, user: User, pk) -> Lead:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound("No such lead.") from None
    lead = (
        Lead.objects.filter(lead_visible_q(user), pk=pk)
        .select_related("scored")
        .only("id", "merged_into_id", "scored__score")
        .first()
    )
    if lead is None:
        raise NotFound("No such lead.")
    return lead


def _cohort_text(part: dict) -> str:
    phrase = FEATURES_BY_NAME[part["feature"]].phrase.format(value=part["label"])
    leads = "lead" if part["judged"] == 1 else "leads"
    return f"Of {part['judged']:,} {leads} {phrase}, {part['good']:,} were judged good."


def cold_start_message(verdicts: int = 0) -> str:
    return (
        f"No score yet: the score learns from reps' verdicts, and there are {verdicts} so far. "
        f"It starts with the first verdicts and stops being an early estimate at {MIN_VERDICTS}, "
        f"with at least {MIN_EACH} good and {MIN_EACH} bad."
    )


def lead_score_explain(*, lead: Lead) -> dict:
    """`{score, band, early, cohort, factors, model, message}` for one lead under the active model."""
    model = score_model_active()
    if model is None:
        return {"score": None, "band": None, "early": True, "cohort": None, "factors": [], "model": None,
                "message": cold_start_message()}  # fmt: skip
    if lead.merged_into_id:
        message = "This lead was merged into another: it is scored there."
        return {"score": None, "band": None, "early": model.early, "cohort": None, "factors": [],
                "model": _model_ref(model), "message": message}  # fmt: skip
    parts = serving.lead_score_parts(lead_id=lead.pk, bias=model.bias, model_id=model.pk)
    known = [p for p in parts["features"] if p["judged"]]
    # The cohort that drives the score most, among those with enough verdicts to say so.
    candidates = [p for p in known if p["judged"] >= COHORT_MIN] or known
    cohort = max(candidates, key=lambda p: (abs(p["effect"]), p["judged"]), default=None)
    ups = sorted((p for p in known if p["effect"] > 0), key=lambda p: -p["effect"])[:FACTORS_EACH_WAY]
    downs = sorted((p for p in known if p["effect"] < 0), key=lambda p: p["effect"])[:FACTORS_EACH_WAY]
    score = parts["score"]
    message = ""
    if model.early:
        message = (
            f"An early estimate: learned from {model.verdicts} verdicts ({model.good} good, {model.bad} bad); "
            f"it firms up at {MIN_VERDICTS}, with at least {MIN_EACH} of each."
        )
    return {
        "score": score,
        "band": score_band(score),
        "early": model.early,
        "cohort": {
            "feature": cohort["feature"],
            "value": cohort["label"],
            "judged": cohort["judged"],
            "good": cohort["good"],
            "text": _cohort_text(cohort),
        }
        if cohort
        else None,
        "factors": [
            {
                "feature": p["feature"],
                "label": FEATURES_BY_NAME[p["feature"]].label,
                "value": p["label"],
                "effect": p["effect"],
            }
            for p in [*ups, *downs]
        ],
        "model": _model_ref(model),
        "message": message,
    }


def _model_ref(model: ScoreModel) -> dict:
    return {"version": model.version, "trained_at": model.trained_at}


def lead_score_explain_for_user(*, user: User, pk) -> dict:
    return lead_score_explain(lead=lead_for_score(user=user, pk=pk))


def scoring_summary() -> dict:
    """The model page and `GET /api/scoring/`: the serving model, its held-out figures beside the
    baselines', its reliability bins and learning curve, and the latest training runs."""
    active = ScoreModel.objects.filter(active=True).first()
    runs = list(
        ScoreModel.objects.order_by("-version").only(
            "version", "trained_at", "verdicts", "early", "active", "decision", "decision_note", "metrics"
        )[:10]
    )
    verdicts = active.verdicts if active else 0
    if active is None:
        return {"active": False, "version": None, "trained_at": None, "verdicts": verdicts, "early": True,
                "metrics": None, "baselines": None, "reliability": [], "learning_curve": [], "runs": runs,
                "message": cold_start_message()}  # fmt: skip
    held_out = active.metrics.get("model")
    metrics = None
    baselines = None
    if held_out:
        metrics = {
            "auc": held_out["auc"],
            "brier": held_out["brier"],
            "brier_skill": held_out["brier_skill"],
            "calibration_error": held_out["calibration_error"],
            "baseline_auc": active.metrics["campaign_only"]["auc"],
            "train": active.metrics["train"],
            "test": active.metrics["test"],
            "cutoff": active.metrics["cutoff"],
        }
        baselines = {"base_rate": active.metrics["base_rate"], "campaign_only": active.metrics["campaign_only"]}
    return {
        "active": True,
        "version": active.version,
        "trained_at": active.trained_at,
        "verdicts": verdicts,
        "good": active.good,
        "bad": active.bad,
        "early": active.early,
        "base_rate": active.base_rate,
        "metrics": metrics,
        "baselines": baselines,
        "reliability": active.reliability,
        "learning_curve": active.learning_curve,
        "decision_note": active.decision_note,
        "runs": runs,
        "message": "" if metrics else "An early estimate: too few verdicts yet to test it on later ones.",
    }
