"""`/api/webhooks/`: managers subscribe URLs to events, test them, inspect and redeliver."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from alignment.models import DeliveryStatus, Team, User, WebhookDelivery, WebhookEndpoint, WebhookKind
from alignment.rest import EmptyInputSerializer, ErrorOutputSerializer, InputSerializer, IsManager
from alignment.webhooks import selectors, services
from alignment.webhooks.outbox import ALL_EVENTS, CHAT_EVENT, EVENT_TYPES

ERRORS = dict.fromkeys((400, 401, 403, 404, 409), ErrorOutputSerializer)
EVENT_CHOICES = (*EVENT_TYPES, ALL_EVENTS)


class WebhookInputSerializer(InputSerializer):
    """An event webhook needs `events`; a Slack or Teams one (`kind`) needs a `team` or a `user`
    instead, whose notifications it posts."""

    url = serializers.CharField(max_length=500)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_CHOICES), min_length=1, max_length=20, required=False
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    kind = serializers.ChoiceField(choices=WebhookKind.choices, required=False, default=WebhookKind.WEBHOOK)
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False, allow_null=True)
    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )


class WebhookUpdateInputSerializer(InputSerializer):
    url = serializers.CharField(max_length=500, required=False)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_CHOICES), min_length=1, max_length=20, required=False
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    active = serializers.BooleanField(required=False)


class WebhookOutputSerializer(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_CHOICES))
    kind = serializers.ChoiceField(choices=WebhookKind.choices)

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "events", "description", "active", "created_at", "kind", "team", "user"]
        read_only_fields = fields


class WebhookCreatedOutputSerializer(WebhookOutputSerializer):
    """The answer to a create: the only one that carries the signing secret."""

    class Meta(WebhookOutputSerializer.Meta):
        fields = ["id", "url", "events", "description", "secret", "active", "created_at", "kind", "team", "user"]
        read_only_fields = fields


class WebhookDeliveryOutputSerializer(serializers.ModelSerializer):
    event = serializers.ChoiceField(source="event.type", choices=(*EVENT_TYPES, CHAT_EVENT))
    status = serializers.ChoiceField(choices=DeliveryStatus.choices)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event_id",
            "event",
            "status",
            "attempts",
            "response_status",
            "last_attempt_at",
            "next_attempt_at",
        ]
        read_only_fields = fields


class WebhookListApi(ListAPIView):
    """Every webhook endpoint, newest first, by cursor; `POST` adds one (its secret is in that answer only)."""

    permission_classes = [IsManager]
    serializer_class = WebhookOutputSerializer

    def get_queryset(self):
        return selectors.webhook_endpoint_list_for_user(user=self.request.user)

    @extend_schema(request=WebhookInputSerializer, responses={201: WebhookCreatedOutputSerializer, **ERRORS})
    def post(self, request):
        data = WebhookInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_create(**data.validated_data, by=request.user)
        return Response(WebhookCreatedOutputSerializer(endpoint).data, status=status.HTTP_201_CREATED)


class WebhookDetailApi(APIView):
    permission_classes = [IsManager]

    @extend_schema(responses={200: WebhookOutputSerializer, **ERRORS})
    def get(self, request, pk):
        endpoint = selectors.webhook_endpoint_get_for_user(user=request.user, pk=pk)
        return Response(WebhookOutputSerializer(endpoint).data)

    @extend_schema(request=WebhookUpdateInputSerializer, responses={200: WebhookOutputSerializer, **ERRORS})
    def patch(self, request, pk):
        data = WebhookUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = selectors.webhook_endpoint_get_for_user(user=request.user, pk=pk)
        endpoint = services.webhook_endpoint_update(endpoint=endpoint, data=data.validated_data, by=request.user)
        return Response(WebhookOutputSerializer(endpoint).data)

    @extend_schema(responses={204: None, **ERRORS})
    def delete(self, request, pk):
        endpoint = selectors.webhook_endpoint_get_for_user(user=request.user, pk=pk)
        services.webhook_endpoint_delete(endpoint=endpoint, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookPingApi(APIView):
    """Send the endpoint a `ping` event now; answers with its delivery."""

    permission_classes = [IsManager]

    @extend_schema(request=EmptyInputSerializer, responses={202: WebhookDeliveryOutputSerializer, **ERRORS})
    def post(self, request, pk):
        EmptyInputSerializer(data=request.data).is_valid(raise_exception=True)
        endpoint = selectors.webhook_endpoint_get_for_user(user=request.user, pk=pk)
        event = services.webhook_ping(endpoint=endpoint, by=request.user)
        delivery = selectors.webhook_delivery_list(endpoint=endpoint).get(event=event)
        return Response(WebhookDeliveryOutputSerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class WebhookDeliveryListApi(ListAPIView):
    """The endpoint's deliveries, newest first, by cursor."""

    permission_classes = [IsManager]
    serializer_class = WebhookDeliveryOutputSerializer

    def get_queryset(self):
        endpoint = selectors.webhook_endpoint_get_for_user(user=self.request.user, pk=self.kwargs["pk"])
        return selectors.webhook_delivery_list(endpoint=endpoint)


class WebhookRedeliverApi(APIView):
    """Send one delivery again (same event id); answers with the delivery, pending again."""

    permission_classes = [IsManager]

    @extend_schema(request=EmptyInputSerializer, responses={202: WebhookDeliveryOutputSerializer, **ERRORS})
    def post(self, request, pk, delivery_pk):
        EmptyInputSerializer(data=request.data).is_valid(raise_exception=True)
        endpoint = selectors.webhook_endpoint_get_for_user(user=request.user, pk=pk)
        delivery = selectors.webhook_delivery_get(endpoint=endpoint, pk=delivery_pk)
        delivery = services.webhook_redeliver(delivery=delivery, by=request.user)
        return Response(WebhookDeliveryOutputSerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
