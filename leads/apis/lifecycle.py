"""The lifecycle moves on one lead: hand off, accept, log activity, qualify, recycle, snooze.
(Rejecting, winning and losing tell marketing: they are feedback's endpoints.)"""

from drf_spectacular.utils import extend_schema_view
from rest_framework import serializers

from alignment.errors import InvalidInput, NotFound
from alignment.rest import InputSerializer, IsMarketerOrManager
from leads.apis.common import (
    EmptyInputSerializer,
    LeadActionApi,
    action_schema,
)
from leads.models import ACTIVITY_KINDS
from leads.selectors import rep_get
from leads.services import lead_accept, lead_hand_off, lead_log_activity, lead_qualify, lead_recycle, lead_snooze


class LeadHandOffInputSerializer(InputSerializer):
    rep = serializers.IntegerField(required=False, allow_null=True, help_text="A rep's user id; empty = routing.")
    note = serializers.CharField(max_length=10_000, help_text="The lead's story.")


class LeadActivityInputSerializer(InputSerializer):
    kind = serializers.ChoiceField(choices=[(kind.value, kind.label) for kind in ACTIVITY_KINDS])
    note = serializers.CharField(max_length=10_000, required=False, allow_blank=True)


class LeadRecycleInputSerializer(InputSerializer):
    reason = serializers.CharField(max_length=10_000, help_text="Why the lead goes back to nurture.")
    reengage_after = serializers.DateField(required=False, allow_null=True)


class LeadSnoozeInputSerializer(InputSerializer):
    until = serializers.DateTimeField(help_text="Going cold pauses until then.")
    reason = serializers.CharField(max_length=10_000)


@extend_schema_view(
    post=action_schema(
        LeadHandOffInputSerializer,
        "Hand the lead to a rep with its story; without `rep` the routing rules choose (marketer, manager).",
    )
)
class LeadHandOffApi(LeadActionApi):
    input_serializer = LeadHandOffInputSerializer
    permission_classes = [IsMarketerOrManager]

    def perform(self, *, lead, by, data):
        rep = None
        if data.get("rep") is not None:
            try:
                rep = rep_get(pk=data["rep"])
            except NotFound:
                raise InvalidInput("No such rep.", fields={"rep": ["Choose a sales rep."]}) from None
        lead_hand_off(lead=lead, rep=rep, note=data["note"], by=by)


@extend_schema_view(post=action_schema(EmptyInputSerializer, "Accept a lead handed to you (the assigned rep)."))
class LeadAcceptApi(LeadActionApi):
    def perform(self, *, lead, by, data):
        lead_accept(lead=lead, by=by)


@extend_schema_view(post=action_schema(LeadActivityInputSerializer, "Log a call, email, meeting or note (owner rep)."))
class LeadActivityApi(LeadActionApi):
    input_serializer = LeadActivityInputSerializer

    def perform(self, *, lead, by, data):
        lead_log_activity(lead=lead, by=by, kind=data["kind"], note=data.get("note", ""))


@extend_schema_view(post=action_schema(EmptyInputSerializer, "Mark the lead qualified (owner rep)."))
class LeadQualifyApi(LeadActionApi):
    def perform(self, *, lead, by, data):
        lead_qualify(lead=lead, by=by)


@extend_schema_view(
    post=action_schema(LeadRecycleInputSerializer, "Take the lead back to nurture (marketer, manager).")
)
class LeadRecycleApi(LeadActionApi):
    input_serializer = LeadRecycleInputSerializer
    permission_classes = [IsMarketerOrManager]

    def perform(self, *, lead, by, data):
        lead_recycle(lead=lead, by=by, reason=data["reason"], reengage_after=data.get("reengage_after"))


@extend_schema_view(post=action_schema(LeadSnoozeInputSerializer, "Pause going cold until a moment (owner rep)."))
class LeadSnoozeApi(LeadActionApi):
    input_serializer = LeadSnoozeInputSerializer

    def perform(self, *, lead, by, data):
        lead_snooze(lead=lead, by=by, until=data["until"], reason=data["reason"])
