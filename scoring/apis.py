"""The score's endpoints: one lead's score with its explanation (scoped like the lead), and the
serving model's figures (managers)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from alignment.rest import ErrorOutputSerializer, IsManager
from scoring.features import FEATURE_NAMES
from scoring.selectors import lead_score_explain_for_user, scoring_summary

ERRORS = dict.fromkeys((401, 403, 404, 429), ErrorOutputSerializer)


class CohortOutputSerializer(serializers.Serializer):
    feature = serializers.ChoiceField(choices=FEATURE_NAMES)
    value = serializers.CharField()
    judged = serializers.IntegerField(help_text="Leads with this value whose first verdict the model counts.")
    good = serializers.IntegerField(help_text="Of them, judged good.")
    text = serializers.CharField()


class FactorOutputSerializer(serializers.Serializer):
    feature = serializers.ChoiceField(choices=FEATURE_NAMES)
    label = serializers.CharField()
    value = serializers.CharField()
    effect = serializers.FloatField(help_text="Change in the calibrated log-odds: above 0 raises the score.")


class ModelRefOutputSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    trained_at = serializers.DateTimeField()


class LeadScoreOutputSerializer(serializers.Serializer):
    score = serializers.FloatField(allow_null=True, help_text="0–1: the chance a rep judges the lead good.")
    band = serializers.CharField(allow_null=True, help_text="high (≥ 0.65), medium (≥ 0.4) or low; null with no score.")
    early = serializers.BooleanField(help_text="Learned from too few verdicts to be tested yet.")
    cohort = CohortOutputSerializer(allow_null=True)
    factors = FactorOutputSerializer(many=True)
    model = ModelRefOutputSerializer(allow_null=True)
    message = serializers.CharField(allow_blank=True)


class LeadScoreApi(APIView):
    """One lead's score: its band, the cohort that drives it and its top factors up and down."""

    @extend_schema(operation_id="leads_score", responses={200: LeadScoreOutputSerializer, **ERRORS})
    def get(self, request, pk):
        return Response(LeadScoreOutputSerializer(lead_score_explain_for_user(user=request.user, pk=pk)).data)


class FiguresOutputSerializer(serializers.Serializer):
    auc = serializers.FloatField(allow_null=True)
    brier = serializers.FloatField()
    brier_skill = serializers.FloatField(allow_null=True)
    calibration_error = serializers.FloatField()


class MetricsOutputSerializer(FiguresOutputSerializer):
    baseline_auc = serializers.FloatField(allow_null=True, help_text="The campaign's good share alone.")
    train = serializers.IntegerField()
    test = serializers.IntegerField()
    cutoff = serializers.DateTimeField()


class BaselinesOutputSerializer(serializers.Serializer):
    base_rate = FiguresOutputSerializer()
    campaign_only = FiguresOutputSerializer()


class ReliabilityBinOutputSerializer(serializers.Serializer):
    low = serializers.FloatField()
    high = serializers.FloatField()
    count = serializers.IntegerField()
    predicted = serializers.FloatField()
    observed = serializers.FloatField()


class LearningPointOutputSerializer(FiguresOutputSerializer):
    verdicts = serializers.IntegerField()
    early = serializers.BooleanField()


class ScoringOutputSerializer(serializers.Serializer):
    active = serializers.BooleanField()
    version = serializers.IntegerField(allow_null=True)
    trained_at = serializers.DateTimeField(allow_null=True)
    verdicts = serializers.IntegerField()
    early = serializers.BooleanField()
    metrics = MetricsOutputSerializer(allow_null=True, help_text="Held out: trained before the cutoff, tested after.")
    baselines = BaselinesOutputSerializer(allow_null=True)
    reliability = ReliabilityBinOutputSerializer(many=True)
    learning_curve = LearningPointOutputSerializer(many=True)
    message = serializers.CharField(allow_blank=True)


class ScoringApi(APIView):
    """The serving model: when trained, on how many verdicts, its held-out figures beside the baselines."""

    permission_classes = [IsManager]

    @extend_schema(operation_id="scoring_model", responses={200: ScoringOutputSerializer, **ERRORS})
    def get(self, request):
        return Response(ScoringOutputSerializer(scoring_summary()).data)
