"""Outcomes that tell marketing, on the leads' own URLs: a rejection, a win or a loss is the lead's
change plus the feedback item for the marketer who sent it (`feedback.services.lead_*_with_feedback`)."""

from decimal import Decimal

from drf_spectacular.utils import extend_schema_view
from rest_framework import serializers

from alignment.rest import InputSerializer
from feedback.services import lead_lose_with_feedback, lead_reject_with_feedback, lead_win_with_feedback
from leads.apis.common import LeadActionApi, ReasonCodeField, action_schema


class LeadRejectInputSerializer(InputSerializer):
    reason = ReasonCodeField()
    note = serializers.CharField(max_length=10_000, required=False, allow_blank=True)


class LeadWinInputSerializer(InputSerializer):
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))


class LeadLoseInputSerializer(InputSerializer):
    reason = ReasonCodeField()
    note = serializers.CharField(max_length=10_000, required=False, allow_blank=True)


@extend_schema_view(
    post=action_schema(LeadRejectInputSerializer, "Turn a lead handed to you down, with a reason code.")
)
class LeadRejectApi(LeadActionApi):
    input_serializer = LeadRejectInputSerializer

    def perform(self, *, lead, by, data):
        lead_reject_with_feedback(lead=lead, by=by, reason=data["reason"], note=data.get("note", ""))


@extend_schema_view(
    post=action_schema(LeadWinInputSerializer, "Mark the lead won, with the deal's amount (owner rep).")
)
class LeadWinApi(LeadActionApi):
    input_serializer = LeadWinInputSerializer

    def perform(self, *, lead, by, data):
        lead_win_with_feedback(lead=lead, by=by, amount=data["amount"])


@extend_schema_view(post=action_schema(LeadLoseInputSerializer, "Mark the lead lost, with a reason code (owner rep)."))
class LeadLoseApi(LeadActionApi):
    input_serializer = LeadLoseInputSerializer

    def perform(self, *, lead, by, data):
        lead_lose_with_feedback(lead=lead, by=by, reason=data["reason"], note=data.get("note", ""))
