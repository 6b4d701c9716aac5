"""Campaigns made in the product (`POST /api/campaigns/`), beside the list the leads floor serves."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from alignment.errors import InvalidInput, NotFound
from alignment.idempotency import IDEMPOTENCY_KEY, idempotent
from alignment.rest import InputSerializer
from leads.apis.capture import CampaignListApi
from leads.apis.common import ERRORS, CampaignOutputSerializer
from leads.models import Source
from planning import selectors
from planning.campaigns import campaign_create


class CampaignCreateInputSerializer(InputSerializer):
    name = serializers.CharField(max_length=10_000, required=False, allow_blank=True)
    source = serializers.ChoiceField(choices=Source.choices, required=False)
    vertical = serializers.CharField(max_length=100, required=False, allow_blank=True, help_text="Id or name.")
    territory = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="DE or DE/Bavaria: the segment it is for."
    )
    request = serializers.IntegerField(
        required=False, allow_null=True, help_text="A campaign request in progress, which this campaign delivers."
    )


class CampaignListCreateApi(CampaignListApi):
    """GET lists campaigns with their `form_key`; POST makes one (marketers, managers)."""

    @extend_schema(
        operation_id="campaigns_create",
        request=CampaignCreateInputSerializer,
        responses={201: CampaignOutputSerializer, **ERRORS},
        parameters=[IDEMPOTENCY_KEY],
        description="Make a campaign, optionally for a segment and as the delivery of a campaign request.",
    )
    @idempotent
    def post(self, request):
        data = CampaignCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        campaign_request = None
        if fields.get("request") is not None:
            try:
                campaign_request = selectors.campaign_request_get_for_user(user=request.user, pk=fields["request"])
            except NotFound:
                raise InvalidInput("No such campaign request.", fields={"request": ["Unknown request."]}) from None
        campaign = campaign_create(
            by=request.user,
            name=fields.get("name", ""),
            source=fields.get("source", Source.WEB),
            vertical=fields.get("vertical"),
            territory=fields.get("territory", ""),
            request=campaign_request,
        )
        return Response(CampaignOutputSerializer(campaign).data, status=status.HTTP_201_CREATED)
