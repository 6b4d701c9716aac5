"""`/api/routing-rules/`: managers (and the integrations they run) read and change routing rules."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from alignment.rest import ErrorOutputSerializer, InputSerializer, IsManager, UserRefSerializer
from leads import routing_rules
from leads.apis.common import CampaignRefSerializer
from leads.models import RoutingRule

ERRORS = dict.fromkeys((400, 401, 403, 404), ErrorOutputSerializer)


class RoutingRuleInputSerializer(InputSerializer):
    name = serializers.CharField(max_length=100, required=False)
    countries = serializers.ListField(
        child=serializers.CharField(max_length=60),
        max_length=300,
        required=False,
        help_text="ISO codes (or English names) of the countries it matches; empty matches any.",
    )
    verticals = serializers.ListField(
        child=serializers.IntegerField(), max_length=500, required=False, help_text="Vertical ids; empty matches any."
    )
    campaign = serializers.IntegerField(required=False, allow_null=True, help_text="A campaign id, or null for any.")
    reps = serializers.ListField(
        child=serializers.IntegerField(),
        max_length=1000,
        required=False,
        help_text="Rep ids the rule goes round-robin to; empty means every rep who covers the lead.",
    )
    active = serializers.BooleanField(required=False)


class RoutingRuleCreateInputSerializer(RoutingRuleInputSerializer):
    name = serializers.CharField(max_length=100)


class RoutingRuleOutputSerializer(serializers.ModelSerializer):
    countries = serializers.SerializerMethodField()
    verticals = serializers.SerializerMethodField()
    campaign = CampaignRefSerializer(allow_null=True)
    reps = UserRefSerializer(many=True)

    class Meta:
        model = RoutingRule
        fields = ["id", "name", "countries", "verticals", "campaign", "reps", "active"]
        read_only_fields = fields

    def get_countries(self, rule) -> list[str]:
        return routing_rules.routing_rule_countries(rule)

    def get_verticals(self, rule) -> list[int]:
        return routing_rules.routing_rule_verticals(rule)


class RoutingRuleListApi(APIView):
    """Every routing rule, in the order routing tries them; `POST` adds one, tried last."""

    permission_classes = [IsManager]

    @extend_schema(responses={200: RoutingRuleOutputSerializer(many=True), **ERRORS})
    def get(self, request):
        rules = routing_rules.routing_rule_list_for_user(user=request.user)
        return Response(RoutingRuleOutputSerializer(rules, many=True).data)

    @extend_schema(request=RoutingRuleCreateInputSerializer, responses={201: RoutingRuleOutputSerializer, **ERRORS})
    def post(self, request):
        data = RoutingRuleCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rule = routing_rules.routing_rule_create(data=data.validated_data, by=request.user)
        rule = routing_rules.routing_rule_get_for_user(user=request.user, pk=rule.pk)
        return Response(RoutingRuleOutputSerializer(rule).data, status=status.HTTP_201_CREATED)


class RoutingRuleDetailApi(APIView):
    permission_classes = [IsManager]

    @extend_schema(responses={200: RoutingRuleOutputSerializer, **ERRORS})
    def get(self, request, pk):
        rule = routing_rules.routing_rule_get_for_user(user=request.user, pk=pk)
        return Response(RoutingRuleOutputSerializer(rule).data)

    @extend_schema(request=RoutingRuleInputSerializer, responses={200: RoutingRuleOutputSerializer, **ERRORS})
    def patch(self, request, pk):
        data = RoutingRuleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rule = routing_rules.routing_rule_get_for_user(user=request.user, pk=pk)
        rule = routing_rules.routing_rule_update(rule=rule, data=data.validated_data, by=request.user)
        return Response(RoutingRuleOutputSerializer(rule).data)

    @extend_schema(responses={204: None, **ERRORS})
    def delete(self, request, pk):
        rule = routing_rules.routing_rule_get_for_user(user=request.user, pk=pk)
        routing_rules.routing_rule_delete(rule=rule, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
