"""What the leads endpoints share: the lead as the API shows it (also rendered by other apps),
the one error table, cursor pages, and the base of every lifecycle move."""

from django.db import DatabaseError, transaction
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from alignment.idempotency import IDEMPOTENCY_KEY, idempotent
from alignment.parsers import FormParser, JSONParser
from alignment.rest import EmptyInputSerializer, ErrorOutputSerializer, IsRep, UserRefSerializer
from leads.models import LEAD_DATA_FIELDS, Campaign, Handoff, HandoffOffer, Lead, LeadEvent, LeadStatus, OfferOutcome
from leads.selectors import lead_get_for_user, lead_latest_handoff, lead_overlap_warnings, reason_code_active_codes

BULK_MAX = 1000


class CampaignRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class LeadOutputSerializer(serializers.ModelSerializer):
    """A lead in a list: contact fields, status, owner, campaign, touches, the waterfall, snooze.

    Reads only the lead and its select_related owner, campaign, industry and score: no query per row.
    """

    owner = UserRefSerializer(allow_null=True)
    campaign = CampaignRefSerializer()
    industry = serializers.CharField(source="industry.name", allow_null=True, default=None)
    score = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = Lead
        fields = [
            "id",
            *LEAD_DATA_FIELDS,
            "source",
            "status",
            "owner",
            "campaign",
            "touch_count",
            "last_touch_at",
            "last_activity_at",
            "captured_at",
            "handed_off_at",
            "accepted_at",
            "qualified_at",
            "won_at",
            "lost_at",
            "won_amount",
            "recycle_count",
            "recycle_reason",
            "reengage_after",
            "snoozed_until",
            "snooze_reason",
            "score",
        ]
        read_only_fields = fields


class TimelineEventOutputSerializer(serializers.ModelSerializer):
    # "" on an event that changed no status (a call, a note, a touch): never null.
    from_status = serializers.ChoiceField(
        choices=LeadStatus.choices, allow_blank=True, read_only=True, help_text='"" when the event changed no status.'
    )
    to_status = serializers.ChoiceField(
        choices=LeadStatus.choices, allow_blank=True, read_only=True, help_text='"" when the event changed no status.'
    )
    actor = UserRefSerializer(allow_null=True)

    class Meta:
        model = LeadEvent
        fields = ["kind", "from_status", "to_status", "actor", "note", "at"]
        read_only_fields = fields


class HandoffOfferOutputSerializer(serializers.ModelSerializer):
    rep = UserRefSerializer()
    outcome = serializers.ChoiceField(choices=OfferOutcome.choices)

    class Meta:
        model = HandoffOffer
        fields = ["rep", "offered_at", "ended_at", "outcome"]
        read_only_fields = fields


class HandoffOutputSerializer(serializers.ModelSerializer):
    by = UserRefSerializer()
    offers = serializers.SerializerMethodField(
        help_text="With offers on, each rep the rules offered this handoff to, in turn; empty otherwise."
    )
    to_rep = UserRefSerializer(allow_null=True)
    reject_reason = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    routing_rule = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)

    class Meta:
        model = Handoff
        fields = [
            "id",
            "by",
            "to_rep",
            "note",
            "created_at",
            "sla_due_at",
            "outcome",
            "ended_at",
            "reject_reason",
            "outcome_note",
            "routing_rule",
            "routing_turn",
            "routing_reason",
            "offers",
        ]
        read_only_fields = fields

    def get_offers(self, handoff) -> HandoffOfferOutputSerializer(many=True):
        # Only a handoff by the rules can have offers: a named rep's costs no query.
        if handoff.routing_rule_id is None:
            return []
        offers = HandoffOffer.objects.filter(handoff=handoff).select_related("rep").order_by("position")
        return HandoffOfferOutputSerializer(offers, many=True).data


class LeadDetailOutputSerializer(LeadOutputSerializer):
    """One lead with its timeline, its latest handoff (and why it went to that rep) and overlaps.

    Expects the lead from `lead_get_for_user`, which prefetches events and handoffs.
    """

    lost_reason = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    captured_by = UserRefSerializer(allow_null=True)
    merged_into = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The lead this one was merged into; null for a lead of its own."
    )
    timeline = TimelineEventOutputSerializer(source="events", many=True)
    latest_handoff = serializers.SerializerMethodField()
    overlap_warnings = serializers.SerializerMethodField()

    class Meta(LeadOutputSerializer.Meta):
        fields = [
            *LeadOutputSerializer.Meta.fields,
            "lost_reason",
            "captured_by",
            "merged_into",
            "merged_at",
            "timeline",
            "latest_handoff",
            "overlap_warnings",
        ]
        read_only_fields = fields

    def get_latest_handoff(self, lead) -> HandoffOutputSerializer(allow_null=True):
        handoff = lead_latest_handoff(lead)
        return HandoffOutputSerializer(handoff).data if handoff is not None else None

    def get_overlap_warnings(self, lead) -> list[str]:
        return lead_overlap_warnings(lead=lead)


class CampaignOutputSerializer(serializers.ModelSerializer):
    owner = UserRefSerializer()
    allowed_origins = serializers.SerializerMethodField()

    class Meta:
        model = Campaign
        fields = ["id", "name", "source", "owner", "cost", "form_key", "allowed_origins", "active", "created_at"]
        read_only_fields = fields

    def get_allowed_origins(self, campaign) -> list[str]:
        return [line.strip() for line in campaign.allowed_origins.splitlines() if line.strip()]


ERRORS = dict.fromkeys((400, 401, 403, 404, 409, 413, 422, 429), ErrorOutputSerializer)


def paginated(serializer_class):
    """The schema of a cursor page of `serializer_class` items."""
    name = serializer_class.__name__.replace("OutputSerializer", "")
    return type(
        f"{name}PageOutputSerializer",
        (serializers.Serializer,),
        {
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer_class(many=True),
        },
    )


def lead_detail_data(request, pk) -> dict:
    return LeadDetailOutputSerializer(lead_get_for_user(user=request.user, pk=pk)).data


class LeadActionApi(APIView):
    """A lifecycle move on one lead: parse the body, find the lead in the caller's scope, call the
    service, answer with the lead as it is now."""

    input_serializer = EmptyInputSerializer
    permission_classes = [IsRep]
    parser_classes = [JSONParser, FormParser]

    def perform(self, *, lead, by, data):
        raise NotImplementedError

    @idempotent
    def post(self, request, pk):
        data = self.input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        lead = lead_get_for_user(user=request.user, pk=pk)
        self.perform(lead=lead, by=request.user, data=data.validated_data)
        return Response(lead_detail_data(request, pk))


def action_schema(input_serializer, description):
    return extend_schema(
        request=input_serializer,
        responses={200: LeadDetailOutputSerializer, **ERRORS},
        parameters=[IDEMPOTENCY_KEY],
        description=description,
    )


class ReasonCodeField(serializers.CharField):
    """A reason code (`no_budget`, `spam`, ...). The service checks it against the active codes; the
    OpenAPI schema lists those codes as an enum, read when the schema is built."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 50)
        super().__init__(**kwargs)


class ReasonCodeFieldExtension(OpenApiSerializerFieldExtension):
    target_class = ReasonCodeField

    def map_serializer_field(self, auto_schema, direction):
        # The schema is also built by `manage.py check` (drf-spectacular's check), which may run before
        # the first migration: without the table, the field is described without its enum.
        try:
            with transaction.atomic():
                codes = reason_code_active_codes()
        except DatabaseError:
            codes = []
        schema = {"type": "string", "description": "One of the active reason codes."}
        if codes:
            schema["enum"] = codes
        return schema
