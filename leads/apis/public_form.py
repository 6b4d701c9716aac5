"""The public web form of a campaign: no login, throttled, honeypot, allowed origins."""

from django.conf import settings
from django.utils.cache import patch_vary_headers
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from alignment.errors import NotAllowed, NotFound
from alignment.parsers import FormParser, JSONParser
from alignment.rest import ErrorOutputSerializer
from leads.apis.capture import LeadContactInputSerializer
from leads.apis.common import (
    ERRORS,
)
from leads.capture import lead_capture
from leads.models import Campaign, CaptureChannel
from leads.selectors import campaign_for_form_key


class PublicCaptureInputSerializer(LeadContactInputSerializer):
    website = serializers.CharField(
        required=False, allow_blank=True, max_length=1000, help_text="Leave empty: a trap for bots."
    )


class PublicCaptureOutputSerializer(serializers.Serializer):
    detail = serializers.CharField()


def capture_origin_allowed(origin: str, campaign: Campaign | None) -> bool:
    """Site-wide ALIGNMENT_CAPTURE_ALLOWED_ORIGINS plus the campaign's own list ("*" allows any)."""
    allowed = {o.strip().rstrip("/") for o in settings.ALIGNMENT_CAPTURE_ALLOWED_ORIGINS if o.strip()}
    if campaign is not None:
        allowed |= {o.strip().rstrip("/") for o in campaign.allowed_origins.splitlines() if o.strip()}
    return "*" in allowed or origin.rstrip("/") in allowed


class PublicCaptureApi(APIView):
    """A campaign's public web form posts here: no login, no CSRF, throttled per client address.

    The answer is the same whether the lead is new, already known, or the `website` honeypot was
    filled (a bot): a visitor learns nothing about who else is in the database.
    """

    authentication_classes = []
    permission_classes = [AllowAny]
    # Counted per client address (REMOTE_ADDR, or X-Forwarded-For behind NUM_PROXIES proxies) in
    # the cache, so every web process shares the count.
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "capture"
    parser_classes = [JSONParser, FormParser]
    campaign = None
    THANKS = {"detail": "Thank you: we have your details and will be in touch."}

    def initial(self, request, *args, **kwargs):
        self.campaign = campaign_for_form_key(kwargs.get("form_key", ""))
        super().initial(request, *args, **kwargs)

    def get_throttles(self):
        return [] if self.request.method == "OPTIONS" else super().get_throttles()

    def _origin(self, request):
        return request.headers.get("Origin", "")

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        origin = self._origin(request)
        if origin and self.campaign is not None and capture_origin_allowed(origin, self.campaign):
            response["Access-Control-Allow-Origin"] = origin
            response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
            response["Access-Control-Allow-Headers"] = "Content-Type"
            response["Access-Control-Max-Age"] = "86400"
        patch_vary_headers(response, ["Origin"])
        return response

    def _check_campaign_and_origin(self, request):
        if self.campaign is None:
            raise NotFound("No such form.")
        origin = self._origin(request)
        if origin and not capture_origin_allowed(origin, self.campaign):
            raise NotAllowed(f"Posting this form from {origin} is not allowed.")

    @extend_schema(request=None, responses={204: None, 403: ErrorOutputSerializer, 404: ErrorOutputSerializer})
    def options(self, request, form_key):
        """The browser's CORS preflight."""
        self._check_campaign_and_origin(request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request={
            "application/json": PublicCaptureInputSerializer,
            "application/x-www-form-urlencoded": PublicCaptureInputSerializer,
        },
        responses={201: PublicCaptureOutputSerializer, **ERRORS},
        auth=[],
    )
    def post(self, request, form_key):
        self._check_campaign_and_origin(request)
        if hasattr(request.data, "get") and request.data.get("website"):
            return Response(self.THANKS, status=status.HTTP_201_CREATED)  # a bot: store nothing, say nothing
        data = PublicCaptureInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        fields.pop("website", None)
        lead_capture(data=fields, campaign=self.campaign, by=None, channel=CaptureChannel.WEB_FORM)
        return Response(self.THANKS, status=status.HTTP_201_CREATED)
