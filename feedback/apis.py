"""The feedback API: verdicts, requests for feedback, the queue, replies, resolutions, scorecards.

Each endpoint parses its input with an explicit input serializer, calls one service or selector and
renders an output serializer. Domain errors become 400/403/404/409 in `alignment.rest`.
"""

from decimal import Decimal

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from alignment.idempotency import IDEMPOTENCY_KEY, idempotent
from alignment.rest import (
    CursorPagination,
    ErrorOutputSerializer,
    InputSerializer,
    IsMarketer,
    IsMarketerOrManager,
    IsRep,
)
from feedback.models import FeedbackItem, FeedbackKind, FeedbackReply, FeedbackStatus, Resolution
from feedback.scorecard import PERIODS, SCORECARD_SORTS, campaign_scorecard, scorecard_period
from feedback.selectors import (
    feedback_item_get_for_user,
    feedback_item_is_overdue,
    feedback_overdue_cutoff,
    feedback_queue_for_user,
    feedback_reply_get,
    verdict_get,
    voice_of_sales,
)
from feedback.services import (
    FIXABLE_FIELDS,
    feedback_reply,
    feedback_request,
    feedback_resolve,
    lead_lose_with_feedback,
    lead_reject_with_feedback,
    lead_win_with_feedback,
    verdict_give,
)
from feedback.verdict_serializers import ReasonOutputSerializer, VerdictInputSerializer, VerdictOutputSerializer
from leads.apis.common import LeadActionApi, ReasonCodeField, UserRefSerializer, action_schema
from leads.selectors import lead_get_for_user, reason_code_list

ERRORS = dict.fromkeys((400, 401, 403, 404, 409, 422), ErrorOutputSerializer)


def _item_context() -> dict:
    now = timezone.now()
    return {"overdue_cutoff": feedback_overdue_cutoff(now=now), "now": now}


# --- output serializers -----------------------------------------------------------------------


class FeedbackLeadOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField()
    company = serializers.CharField()
    status = serializers.CharField()
    campaign = serializers.SerializerMethodField()
    recycle_count = serializers.IntegerField()

    def get_campaign(self, lead) -> dict:
        return {"id": lead.campaign_id, "name": lead.campaign.name}


class FeedbackReplyOutputSerializer(serializers.ModelSerializer):
    author = UserRefSerializer()

    class Meta:
        model = FeedbackReply
        fields = ["id", "author", "body", "created_at"]
        read_only_fields = fields


class FeedbackItemOutputSerializer(serializers.ModelSerializer):
    """An item in the queue. Reads only the item and its select_related rows: no query per item."""

    lead = FeedbackLeadOutputSerializer()
    kind = serializers.ChoiceField(choices=FeedbackKind.choices)
    status = serializers.ChoiceField(choices=FeedbackStatus.choices)
    resolution = serializers.ChoiceField(choices=[("", "Not resolved"), *Resolution.choices])
    reason = ReasonOutputSerializer(allow_null=True)
    assignee = UserRefSerializer()
    marketer = UserRefSerializer(allow_null=True)
    rep = UserRefSerializer(allow_null=True)
    verdict = serializers.CharField(source="verdict.verdict", allow_null=True, default=None)
    age_hours = serializers.SerializerMethodField(help_text="How long the item has been open (or was, once resolved).")
    overdue = serializers.SerializerMethodField(
        help_text="Open for longer than the loop's response threshold (ALIGNMENT_FEEDBACK_RESPONSE_DAYS)."
    )

    def _now(self):
        return self.context.get("now") or timezone.now()

    def get_age_hours(self, item) -> float:
        end = item.resolved_at or self._now()
        return round((end - item.created_at).total_seconds() / 3600, 1)

    def get_overdue(self, item) -> bool:
        cutoff = self.context.get("overdue_cutoff")
        return cutoff is not None and feedback_item_is_overdue(item, cutoff=cutoff)

    class Meta:
        model = FeedbackItem
        fields = [
            "id",
            "lead",
            "kind",
            "status",
            "assignee",
            "marketer",
            "rep",
            "verdict",
            "reason",
            "note",
            "resolution",
            "resolution_note",
            "resolved_at",
            "created_at",
            "last_reply_at",
            "age_hours",
            "overdue",
        ]
        read_only_fields = fields


class FeedbackItemDetailOutputSerializer(FeedbackItemOutputSerializer):
    replies = FeedbackReplyOutputSerializer(many=True)
    resolved_by = UserRefSerializer(allow_null=True)

    class Meta(FeedbackItemOutputSerializer.Meta):
        fields = [*FeedbackItemOutputSerializer.Meta.fields, "resolved_by", "replies"]
        read_only_fields = fields


class FeedbackItemPageOutputSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = FeedbackItemOutputSerializer(many=True)


class ScorecardReasonOutputSerializer(serializers.Serializer):
    reason = serializers.CharField()
    count = serializers.IntegerField()


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


# --- input serializers ------------------------------------------------------------------------


class FeedbackRequestInputSerializer(InputSerializer):
    note = serializers.CharField(max_length=10_000, help_text="What you would like to know.")


class FeedbackReplyInputSerializer(InputSerializer):
    body = serializers.CharField(max_length=10_000)


class FeedbackResolveInputSerializer(InputSerializer):
    resolution = serializers.ChoiceField(choices=Resolution.choices)
    note = serializers.CharField(
        max_length=10_000,
        required=False,
        allow_blank=True,
        help_text="Required for campaign_changed (what changed) and disputed (why).",
    )
    data = serializers.DictField(
        required=False,
        help_text=f"For fixed_data: the lead's fields to change, any of {', '.join(FIXABLE_FIELDS)}.",
    )
    reason = serializers.CharField(
        max_length=10_000,
        required=False,
        allow_blank=True,
        help_text="For recycled: why it goes to nurture; by default the note, else the item's own reason.",
    )
    reengage_after = serializers.DateField(required=False, allow_null=True, help_text="For recycled, optional.")


class FeedbackQueueFilterInputSerializer(InputSerializer):
    status = serializers.ChoiceField(
        choices=[*FeedbackStatus.choices, ("all", "All")], required=False, help_text="open by default"
    )
    kind = serializers.ChoiceField(choices=FeedbackKind.choices, required=False)
    campaign = serializers.IntegerField(required=False)
    reason = ReasonCodeField(required=False)
    person = serializers.IntegerField(required=False, help_text="The marketer's or the rep's user id.")
    cursor = serializers.CharField(required=False)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=200)


class ScorecardFilterInputSerializer(InputSerializer):
    period = serializers.ChoiceField(choices=list(PERIODS), required=False)
    sort = serializers.ChoiceField(choices=[*SCORECARD_SORTS, *(f"-{key}" for key in SCORECARD_SORTS)], required=False)
    campaign = serializers.IntegerField(required=False)


class InsightsFilterInputSerializer(InputSerializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200)
    group_by = serializers.ChoiceField(choices=["vertical", "campaign"], required=False)


# --- endpoints --------------------------------------------------------------------------------


def _item_detail(item) -> dict:
    context = _item_context()
    return FeedbackItemDetailOutputSerializer(item, context=context).data


class QueuePagination(CursorPagination):
    """Oldest first: the item waiting longest is the first to answer."""

    ordering = ("created_at", "id")


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


class FeedbackRequestApi(APIView):
    """A marketer asks the rep who holds a lead for a verdict; it lands in the rep's queue."""

    permission_classes = [IsMarketer]

    @extend_schema(
        request=FeedbackRequestInputSerializer,
        responses={201: FeedbackItemDetailOutputSerializer, **ERRORS},
        parameters=[IDEMPOTENCY_KEY],
    )
    @idempotent
    def post(self, request, pk):
        data = FeedbackRequestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        lead = lead_get_for_user(user=request.user, pk=pk)
        item = feedback_request(lead=lead, by=request.user, note=data.validated_data["note"])
        item = feedback_item_get_for_user(user=request.user, pk=item.pk)
        return Response(_item_detail(item), status=status.HTTP_201_CREATED)


class FeedbackQueueApi(APIView):
    """The feedback items you may see, oldest first (open ones unless `status` says otherwise)."""

    @extend_schema(
        operation_id="feedback_list",
        parameters=[FeedbackQueueFilterInputSerializer],
        responses={200: FeedbackItemPageOutputSerializer, **ERRORS},
    )
    def get(self, request):
        filters = FeedbackQueueFilterInputSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        items = feedback_queue_for_user(user=request.user, filters=filters.validated_data)
        paginator = QueuePagination()
        page = paginator.paginate_queryset(items, request, view=self)
        context = _item_context()
        return paginator.get_paginated_response(FeedbackItemOutputSerializer(page, many=True, context=context).data)


class FeedbackItemDetailApi(APIView):
    @extend_schema(responses={200: FeedbackItemDetailOutputSerializer, **ERRORS})
    def get(self, request, pk):
        item = feedback_item_get_for_user(user=request.user, pk=pk)
        return Response(_item_detail(item))


class FeedbackReplyApi(APIView):
    """Either side of the conversation adds to it; the other side is notified."""

    @extend_schema(
        request=FeedbackReplyInputSerializer,
        responses={201: FeedbackReplyOutputSerializer, **ERRORS},
        parameters=[IDEMPOTENCY_KEY],
    )
    @idempotent
    def post(self, request, pk):
        data = FeedbackReplyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = feedback_item_get_for_user(user=request.user, pk=pk)
        reply = feedback_reply(item=item, by=request.user, body=data.validated_data["body"])
        reply = feedback_reply_get(pk=reply.pk)
        return Response(FeedbackReplyOutputSerializer(reply).data, status=status.HTTP_201_CREATED)


class FeedbackResolveApi(APIView):
    """The marketer (or a manager) resolves an item; the resolution acts on the lead."""

    permission_classes = [IsMarketerOrManager]

    @extend_schema(
        request=FeedbackResolveInputSerializer,
        responses={200: FeedbackItemDetailOutputSerializer, **ERRORS},
        parameters=[IDEMPOTENCY_KEY],
    )
    @idempotent
    def post(self, request, pk):
        data = FeedbackResolveInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = feedback_item_get_for_user(user=request.user, pk=pk)
        feedback_resolve(item=item, by=request.user, **data.validated_data)
        item = feedback_item_get_for_user(user=request.user, pk=pk)
        return Response(_item_detail(item))


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


class ReasonCodeListApi(APIView):
    """The reason codes to choose from (active ones; `?all=true` adds the retired)."""

    @extend_schema(
        parameters=[OpenApiParameter("all", bool, required=False)],
        responses={200: ReasonOutputSerializer(many=True), **ERRORS},
    )
    def get(self, request):
        active_only = request.query_params.get("all") not in ("true", "1")
        return Response(ReasonOutputSerializer(reason_code_list(active_only=active_only), many=True).data)


# --- outcomes that tell marketing (on the leads' own URLs) --------------------------------------


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
