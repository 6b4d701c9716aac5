"""`GET /api/campaigns/plan/`: the proposed mini-campaigns, one per rep × segment, with their brief."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from alignment.rest import IsMarketerOrManager
from leads.apis.common import ERRORS
from planning.apis.requests import CountOutputSerializer
from planning.plan import plan_for


class PlanEvidenceOutputSerializer(serializers.Serializer):
    leads = serializers.IntegerField()
    judged = serializers.IntegerField()
    good = serializers.IntegerField()
    bad = serializers.IntegerField()
    top_bad_reasons = CountOutputSerializer(many=True)
    pain_themes = CountOutputSerializer(many=True)


class _RefOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class _RequestRefOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.CharField()


class _RepOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="display_name")


class ProposalOutputSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="rep:vertical:territory, what the plan page launches.")
    rep = _RepOutputSerializer()
    vertical = _RefOutputSerializer()
    territory = serializers.CharField()
    evidence = PlanEvidenceOutputSerializer(help_text="The segment's last 12 months: the brief.")
    top_pain_themes = CountOutputSerializer(many=True, source="top_themes")
    requests = _RequestRefOutputSerializer(many=True, help_text="The rep's open requests for the segment.")
    served_by = _RefOutputSerializer(allow_null=True, help_text="A live campaign made for this segment, if any.")


class CampaignPlanApi(APIView):
    permission_classes = [IsMarketerOrManager]

    @extend_schema(responses={200: ProposalOutputSerializer(many=True), **ERRORS})
    def get(self, request):
        return Response(ProposalOutputSerializer(plan_for(), many=True).data)
