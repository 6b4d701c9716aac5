"""Serializers of verdicts and their reason codes: the verdict API's input and output."""

from rest_framework import serializers

from alignment.rest import InputSerializer
from feedback.models import Verdict, VerdictValue
from feedback.theme_fields import PainThemesInput, PainThemesOutput
from leads.apis.common import ReasonCodeField, UserRefSerializer


class ReasonOutputSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    active = serializers.BooleanField()


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
