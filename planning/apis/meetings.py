"""Meetings and action items in the API. (The meeting's detail, with the digest's figures in its
agenda, is served by the top floor, which has the digest.)"""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from alignment.errors import InvalidInput, NotFound
from alignment.idempotency import IDEMPOTENCY_KEY, idempotent
from alignment.rest import CursorPagination, InputSerializer, UserRefSerializer
from leads.apis.common import ERRORS, paginated
from planning import meetings
from planning.models import ActionItem, MeetingItemKind


class MeetingOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    week = serializers.DateField(help_text="The Monday of the meeting's week.")


class MeetingItemOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=MeetingItemKind.choices)
    text = serializers.CharField()
    author = UserRefSerializer()
    created_at = serializers.DateTimeField()


class ActionItemOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    owner = UserRefSerializer()
    due = serializers.DateField()
    done = serializers.BooleanField()
    meeting = serializers.IntegerField(source="meeting_id", allow_null=True)
    lead = serializers.IntegerField(source="lead_id", allow_null=True)
    campaign = serializers.IntegerField(source="campaign_id", allow_null=True)
    request = serializers.IntegerField(source="request_id", allow_null=True)


class MeetingCreateInputSerializer(InputSerializer):
    week = serializers.DateField(required=False, help_text="Any day of the week; this week by default.")


class MeetingItemInputSerializer(InputSerializer):
    kind = serializers.ChoiceField(choices=MeetingItemKind.choices)
    text = serializers.CharField(max_length=10_000, allow_blank=True)


@extend_schema_field(OpenApiTypes.INT)
class _AnyField(serializers.Field):
    """Checked by the service, so its error comes with the others."""

    def to_internal_value(self, data):
        return data


@extend_schema_field(OpenApiTypes.DATE)
class _AnyDateField(_AnyField):
    pass


class ActionItemInputSerializer(InputSerializer):
    title = serializers.CharField(max_length=10_000, required=False, allow_blank=True)
    owner = _AnyField(required=False, help_text="A user id.")
    due = _AnyDateField(required=False)
    meeting = serializers.IntegerField(required=False, allow_null=True)
    lead = _AnyField(required=False, allow_null=True)
    campaign = _AnyField(required=False, allow_null=True)
    request = _AnyField(required=False, allow_null=True)


class ActionItemUpdateInputSerializer(InputSerializer):
    done = serializers.BooleanField()


class MeetingListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="meetings_list", responses={200: paginated(MeetingOutputSerializer), **ERRORS})
    def get(self, request):
        paginator = CursorPagination()
        page = paginator.paginate_queryset(meetings.meeting_list(), request, view=self)
        return paginator.get_paginated_response(MeetingOutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="meetings_create",
        request=MeetingCreateInputSerializer,
        responses={200: MeetingOutputSerializer, **ERRORS},
        description="The meeting of a week (this week by default), made on first use.",
    )
    def post(self, request):
        data = MeetingCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        meeting = meetings.meeting_get_or_create(week=data.validated_data.get("week") or timezone.localdate())
        return Response(MeetingOutputSerializer(meeting).data)


class MeetingItemCreateApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=MeetingItemInputSerializer,
        responses={201: MeetingItemOutputSerializer, **ERRORS},
        parameters=[IDEMPOTENCY_KEY],
        description="Add an agenda point beforehand, or a note or a decision during the meeting (anyone).",
    )
    @idempotent
    def post(self, request, pk):
        data = MeetingItemInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = meetings.meeting_item_add(meeting=meetings.meeting_get(pk=pk), by=request.user, **data.validated_data)
        return Response(MeetingItemOutputSerializer(item).data, status=status.HTTP_201_CREATED)


class ActionItemListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="action_items_list",
        responses={200: paginated(ActionItemOutputSerializer), **ERRORS},
        description="Open action items (`?done=true` for the done ones, `?mine=true` for the caller's).",
    )
    def get(self, request):
        qs = ActionItem.objects.select_related("owner").filter(done=request.query_params.get("done") == "true")
        if request.query_params.get("mine") == "true":
            qs = qs.filter(owner=request.user)
        paginator = CursorPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(ActionItemOutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="action_items_create",
        request=ActionItemInputSerializer,
        responses={201: ActionItemOutputSerializer, **ERRORS},
        parameters=[IDEMPOTENCY_KEY],
    )
    @idempotent
    def post(self, request):
        data = ActionItemInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        meeting = None
        if fields.get("meeting") is not None:
            try:
                meeting = meetings.meeting_get(pk=fields["meeting"])
            except NotFound:
                raise InvalidInput("No such meeting.", fields={"meeting": ["Unknown meeting."]}) from None
        item = meetings.action_item_create(
            by=request.user,
            title=fields.get("title", ""),
            owner=fields.get("owner"),
            due=fields.get("due"),
            meeting=meeting,
            lead=fields.get("lead"),
            campaign=fields.get("campaign"),
            request=fields.get("request"),
        )
        return Response(ActionItemOutputSerializer(item).data, status=status.HTTP_201_CREATED)


class ActionItemDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=ActionItemUpdateInputSerializer, responses={200: ActionItemOutputSerializer, **ERRORS})
    def patch(self, request, pk):
        data = ActionItemUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = ActionItem.objects.filter(pk=pk).select_related("owner").first()
        if item is None:
            raise NotFound("No such action item.")
        item = meetings.action_item_set_done(item=item, by=request.user, done=data.validated_data["done"])
        return Response(ActionItemOutputSerializer(ActionItem.objects.select_related("owner").get(pk=item.pk)).data)
