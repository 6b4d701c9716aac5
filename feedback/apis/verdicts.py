"""The rep's verdict on a lead (`POST /api/leads/<id>/verdict/`)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from alignment.idempotency import IDEMPOTENCY_KEY, idempotent
from alignment.rest import InputSerializer, IsRep, UserRefSerializer
from feedback.apis.common import ERRORS, ReasonOutputSerializer
from feedback.models import Verdict, VerdictValue
from feedback.selectors import verdict_get
from feedback.services import verdict_give
from feedback.theme_fields import PainThemesInput, PainThemesOutput
from leads.apis.common import ReasonCodeField
from leads.selectors import lead_get_for_user


class VerdictOutputSerializer(PainThemesOutput, serializers.ModelSerializer):
    rep = UserRefSerializer()
    reason = ReasonOutputSerializer(allow_null=True)
    verdict = serializers.ChoiceField(choices=VerdictValue.choices)

    class Meta:
        model = Verdict
        fields = [
            "id",
            "lead",
            "rep",
            "verdict",
            "reason",
            "note",
            "pain_points",
            "pain_themes",
            "current",
            "created_at",
        ]
        read_only_fields = fields


class VerdictInputSerializer(PainThemesInput, InputSerializer):
    verdict = serializers.ChoiceField(choices=VerdictValue.choices)
    reason = ReasonCodeField(required=False, allow_blank=True, help_text="Required for a bad verdict.")
    note = serializers.CharField(max_length=10_000, required=False, allow_blank=True)
    pain_points = serializers.CharField(
        max_length=10_000, required=False, allow_blank=True, help_text="What the customer struggles with."
    )


class VerdictGiveApi(APIView):
    """The owning rep judges a lead good or bad (a bad verdict needs a reason). Giving another
    verdict revises it; the history stays."""

    permission_classes = [IsRep]

    @extend_schema(
        request=VerdictInputSerializer,
        responses={201: VerdictOutputSerializer, **ERRORS},
        parameters=[IDEMPOTENCY_KEY],
    )
    @idempotent
    def post(self, request, pk):
        data = VerdictInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lead = lead_get_for_user(user=request.user, pk=pk)
        verdict = verdict_give(lead=lead, by=request.user, **data.validated_data)
        verdict = verdict_get(pk=verdict.pk)
        return Response(VerdictOutputSerializer(verdict).data, status=status.HTTP_201_CREATED)
