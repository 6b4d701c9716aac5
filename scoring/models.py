"""A lead score's fitted models: one row per training, its weights per (feature, value).

Serving reads these tables in SQL (scoring/serving.py): a request never loads a model file.
"""

from django.db import models
from django.db.models import Q


class ScoreDecision(models.TextChoices):
    PROMOTED = "promoted", "Promoted: now serving"
    KEPT = "kept", "Kept the serving model"


class ScoreModel(models.Model):
    """One training run: the weights that serve if it is active, and how it did on held-out verdicts.

    A lead's calibrated log-odds is `bias + Σ effect` of its (feature, value) weights; its score is
    the logistic of that. `metrics` holds the held-out figures beside the baselines', `reliability`
    the diagram's bins, `learning_curve` the held-out figures at growing numbers of verdicts.
    """

    version = models.PositiveIntegerField(unique=True)
    trained_at = models.DateTimeField()
    # The newest verdict the serving weights count: a cohort's counts are of verdicts up to here.
    data_until = models.DateTimeField(null=True, blank=True)
    verdicts = models.PositiveIntegerField(default=0)
    good = models.PositiveIntegerField(default=0)
    bad = models.PositiveIntegerField(default=0)
    early = models.BooleanField(default=True, help_text="Too few verdicts for a held-out test.")
    active = models.BooleanField(default=False)
    base_rate = models.FloatField()
    bias = models.FloatField()
    calibration_slope = models.FloatField(default=1.0)
    calibration_intercept = models.FloatField(default=0.0)
    metrics = models.JSONField(default=dict, blank=True)
    reliability = models.JSONField(default=list, blank=True)
    learning_curve = models.JSONField(default=list, blank=True)
    decision = models.CharField(max_length=10, choices=ScoreDecision.choices)
    decision_note = models.TextField(blank=True)
    seconds = models.FloatField(default=0)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["active"], condition=Q(active=True), name="score_model_one_active"),
        ]

    def __str__(self):
        return f"Score model v{self.version}"


class ScoreWeight(models.Model):
    """What one value of one feature says: its verdict counts, its smoothed weight of evidence, the
    regression's coefficient for the feature and the calibrated effect on a lead's log-odds."""

    model = models.ForeignKey(ScoreModel, on_delete=models.CASCADE, related_name="weights")
    feature = models.CharField(max_length=20)
    value = models.CharField(max_length=255)
    label = models.CharField(max_length=255)
    judged = models.PositiveIntegerField()
    good = models.PositiveIntegerField()
    woe = models.FloatField()
    coefficient = models.FloatField()
    effect = models.FloatField()

    class Meta:
        ordering = ["model", "feature", "value"]
        constraints = [
            models.UniqueConstraint(fields=["model", "feature", "value"], name="score_weight_key"),
        ]

    def __str__(self):
        return f"{self.feature}={self.value}: {self.effect:+.3f}"
