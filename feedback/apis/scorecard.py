"""The campaign scorecard and the voice of sales (insights), read-only."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from alignment.rest import InputSerializer, IsMarketerOrManager
from feedback.apis.common import ERRORS
from feedback.scorecard import PERIODS, SCORECARD_SORTS, campaign_scorecard, scorecard_period
from feedback.selectors import voice_of_sales


class ScorecardReasonOutputSerializer(serializers.Serializer):
    reason = serializers.CharField()
    count = serializers.IntegerField()


class OutcomeOutputSerializer(serializers.Serializer):
    """What a campaign made for a sales request brought in the requested segment: on the scorecard
    row of its campaign and on the request itself."""

    leads = serializers.IntegerField()
    judged = serializers.IntegerField()
    good = serializers.IntegerField()
    good_share = serializers.FloatField(allow_null=True)
    baseline_good_share = serializers.FloatField(
        allow_null=True, help_text="The segment's other campaigns over the same dates."
    )
    won = serializers.IntegerField()
    won_revenue = serializers.DecimalField(max_digits=18, decimal_places=2)
    since = serializers.DateField()


class ScorecardRequestOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    segment = serializers.CharField()
    outcome = OutcomeOutputSerializer(allow_null=True)


class ScorecardRowOutputSerializer(serializers.Serializer):
    campaign = serializers.SerializerMethodField()
    captured = serializers.IntegerField()
    handed_off = serializers.IntegerField()
    accepted = serializers.IntegerField()
    acceptance_rate = serializers.FloatField(allow_null=True)
    good = serializers.IntegerField()
    bad = serializers.IntegerField()
    good_share = serializers.FloatField(allow_null=True)
    bad_share = serializers.FloatField(allow_null=True)
    top_bad_reasons = serializers.SerializerMethodField()
    median_time_to_verdict_hours = serializers.SerializerMethodField()
    won = serializers.IntegerField()
    won_revenue = serializers.DecimalField(max_digits=14, decimal_places=2)
    cost = serializers.DecimalField(source="campaign.cost", max_digits=12, decimal_places=2, allow_null=True)
    cost_per_won = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    requests = ScorecardRequestOutputSerializer(many=True, help_text="Delivered campaign requests it answers.")

    def get_campaign(self, row) -> dict:
        return {"id": row.campaign.id, "name": row.campaign.name}

    def get_top_bad_reasons(self, row) -> ScorecardReasonOutputSerializer(many=True):
        return [{"reason": label, "count": n} for label, n in row.top_bad_reasons]

    def get_median_time_to_verdict_hours(self, row) -> float | None:
        return row.median_hours


class ScorecardOutputSerializer(serializers.Serializer):
    period = serializers.DictField()
    campaigns = ScorecardRowOutputSerializer(many=True)


class InsightEntryOutputSerializer(serializers.Serializer):
    lead = serializers.IntegerField(source="lead_id")
    company = serializers.CharField(source="lead.company")
    campaign = serializers.CharField(source="lead.campaign.name")
    vertical = serializers.CharField(source="lead.industry.name", allow_null=True, default=None)
    rep = serializers.CharField(source="rep.username")
    pain_points = serializers.CharField()
    verdict = serializers.CharField()
    created_at = serializers.DateTimeField()


class InsightGroupOutputSerializer(serializers.Serializer):
    name = serializers.CharField()
    total = serializers.IntegerField()
    entries = InsightEntryOutputSerializer(many=True)


class InsightsOutputSerializer(serializers.Serializer):
    group_by = serializers.CharField()
    q = serializers.CharField()
    groups = InsightGroupOutputSerializer(many=True)


class ScorecardFilterInputSerializer(InputSerializer):
    period = serializers.ChoiceField(choices=list(PERIODS), required=False)
    sort = serializers.ChoiceField(choices=[*SCORECARD_SORTS, *(f"-{key}" for key in SCORECARD_SORTS)], required=False)
    campaign = serializers.IntegerField(required=False)


class InsightsFilterInputSerializer(InputSerializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200)
    group_by = serializers.ChoiceField(choices=["vertical", "campaign"], required=False)


class ScorecardApi(APIView):
    """Lead quality per campaign for the leads captured in the period."""

    permission_classes = [IsMarketerOrManager]

    @extend_schema(parameters=[ScorecardFilterInputSerializer], responses={200: ScorecardOutputSerializer, **ERRORS})
    def get(self, request):
        filters = ScorecardFilterInputSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        period = scorecard_period(filters.validated_data.get("period"))
        rows = campaign_scorecard(
            period=period,
            sort=filters.validated_data.get("sort", "name"),
            campaign=filters.validated_data.get("campaign"),
        )
        body = {
            "period": {"key": period.key, "label": period.label, "start": period.start, "end": period.end},
            "campaigns": rows,
        }
        return Response(ScorecardOutputSerializer(body).data)


class InsightsApi(APIView):
    """Voice of sales: the pain points reps recorded, newest first, grouped by vertical or campaign."""

    permission_classes = [IsMarketerOrManager]

    @extend_schema(parameters=[InsightsFilterInputSerializer], responses={200: InsightsOutputSerializer, **ERRORS})
    def get(self, request):
        filters = InsightsFilterInputSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        group_by = filters.validated_data.get("group_by", "vertical")
        q = filters.validated_data.get("q", "")
        result = voice_of_sales(q=q, group_by=group_by)
        return Response(InsightsOutputSerializer({"group_by": group_by, "q": q, "groups": result["groups"]}).data)
