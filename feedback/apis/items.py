"""The feedback queue's endpoints: a marketer's request for feedback, the queue, one item, its
replies and its resolution."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from alignment.idempotency import IDEMPOTENCY_KEY, idempotent
from alignment.rest import CursorPagination, InputSerializer, IsMarketer, IsMarketerOrManager
from feedback.apis.common import (
    ERRORS,
    FeedbackItemDetailOutputSerializer,
    FeedbackItemOutputSerializer,
    FeedbackReplyOutputSerializer,
    _item_context,
    _item_detail,
)
from feedback.models import FeedbackKind, FeedbackStatus, Resolution
from feedback.selectors import feedback_item_get_for_user, feedback_queue_for_user, feedback_reply_get
from feedback.services import FIXABLE_FIELDS, feedback_reply, feedback_request, feedback_resolve
from leads.apis.common import ReasonCodeField
from leads.selectors import lead_get_for_user


class FeedbackItemPageOutputSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = FeedbackItemOutputSerializer(many=True)


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


class QueuePagination(CursorPagination):
    """Oldest first: the item waiting longest is the first to answer."""

    ordering = ("created_at", "id")


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
