"""`GET /api/notifications/` and `POST /api/notifications/<id>/read/`: a user's own notices."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from alignment import selectors, services
from alignment.models import Notification
from alignment.rest import EmptyInputSerializer, ErrorOutputSerializer, UserRefSerializer


class NotificationOutputSerializer(serializers.ModelSerializer):
    lead = serializers.PrimaryKeyRelatedField(read_only=True, help_text="The lead's id, or null.")
    actor = UserRefSerializer(
        read_only=True, allow_null=True, help_text="Who did what it tells of; null for a reminder or an escalation."
    )

    class Meta:
        model = Notification
        fields = ["id", "kind", "lead", "actor", "message", "read", "created_at"]
        read_only_fields = fields


class NotificationListApi(ListAPIView):
    """Your notifications, newest first, by cursor. `?unread=true` for the unread ones only."""

    serializer_class = NotificationOutputSerializer

    @extend_schema(
        parameters=[OpenApiParameter("unread", bool, description="Only the unread ones.")],
        responses={
            200: NotificationOutputSerializer(many=True),
            400: ErrorOutputSerializer,
            401: ErrorOutputSerializer,
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        unread = self.request.query_params.get("unread", "").lower() in ("1", "true", "yes")
        return selectors.notification_list_for_user(user=self.request.user, unread_only=unread)


class NotificationReadApi(APIView):
    """Mark one of your notifications read; someone else's is not found."""

    @extend_schema(
        request=EmptyInputSerializer,
        responses={
            200: NotificationOutputSerializer,
            **dict.fromkeys((400, 401, 404), ErrorOutputSerializer),
        },
    )
    def post(self, request, pk):
        EmptyInputSerializer(data=request.data).is_valid(raise_exception=True)
        notification = selectors.notification_get_for_user(user=request.user, pk=pk)
        notification = services.notification_mark_read(notification=notification, by=request.user)
        return Response(NotificationOutputSerializer(notification).data)
