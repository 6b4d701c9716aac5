"""Capturing leads through the API: one at a time, in bulk, and the campaigns to capture into.

Each endpoint parses its input with an explicit input serializer, calls one service or selector,
and renders an output serializer. Domain errors become 400/403/404/409 in `alignment.rest`.
"""

import re
from collections import Counter
from decimal import Decimal

from django.core import validators
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from alignment.countries import country_code
from alignment.errors import InvalidInput, NotFound
from alignment.idempotency import IDEMPOTENCY_KEY, idempotent
from alignment.parsers import FormParser, JSONParser
from alignment.rest import (
    CursorPagination,
    InputSerializer,
    InvalidCursor,
    IsMarketerOrManager,
    represented,
    validated_data,
)
from leads.apis.common import (
    BULK_MAX,
    ERRORS,
    CampaignOutputSerializer,
    LeadDetailOutputSerializer,
    LeadOutputSerializer,
    lead_detail_data,
    paginated,
)
from leads.capture import lead_capture, lead_capture_rows, lead_normalise_email
from leads.models import (
    Campaign,
    CaptureChannel,
    LeadStatus,
    Source,
)
from leads.selectors import (
    SCORE_ORDERING,
    campaign_get_for_capture,
    campaign_list,
    campaigns_by_id,
    lead_list_for_user,
    lead_summary_get_for_user,
)


class LeadCaptureOutputSerializer(LeadOutputSerializer):
    """A captured lead; `duplicate` is true when the email was already known (a touch was recorded)."""

    duplicate = serializers.BooleanField()

    class Meta(LeadOutputSerializer.Meta):
        fields = [*LeadOutputSerializer.Meta.fields, "duplicate"]
        read_only_fields = fields


class LeadContactInputSerializer(InputSerializer):
    email = serializers.CharField(max_length=254)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    company = serializers.CharField(max_length=200, required=False, allow_blank=True)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=50, required=False, allow_blank=True)
    country = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        help_text="An ISO 3166 code (DE, de, DEU) or the English name (Germany, any case); stored as the alpha-2 code.",
    )
    region = serializers.CharField(max_length=100, required=False, allow_blank=True)
    industry = serializers.CharField(max_length=100, required=False, allow_blank=True, help_text="The vertical.")
    estimated_value = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    notes = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    pain_points = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    source = serializers.ChoiceField(
        choices=Source.choices,
        required=False,
        allow_blank=True,
        help_text="Where the lead came from; by default the campaign's source.",
    )

    # The service checks these too; checking them here as well lets one answer name every bad field
    # (a bad email beside a missing campaign), not only the first the serializer stops at.
    def validate_email(self, value):
        try:
            validators.validate_email(lead_normalise_email(value))
        except DjangoValidationError:
            raise serializers.ValidationError("Enter a valid email address.") from None
        return value

    def validate_country(self, value):
        try:
            country_code(value)
        except ValueError as error:
            raise serializers.ValidationError(str(error)) from None
        return value


class LeadCaptureInputSerializer(LeadContactInputSerializer):
    campaign = serializers.IntegerField(help_text="The campaign's id.")


class LeadBulkInputSerializer(InputSerializer):
    leads = serializers.ListField(
        # Any value, null too: an item that is not a lead object is that item's error, not the batch's.
        child=serializers.JSONField(allow_null=True),
        allow_empty=False,
        max_length=BULK_MAX,
        help_text=f"Up to {BULK_MAX:,} leads, each shaped like the body of POST /api/leads/.",
        error_messages={"max_length": f"At most {BULK_MAX:,} leads per request: split the list."},
    )


class LeadFilterInputSerializer(InputSerializer):
    status = serializers.ChoiceField(choices=LeadStatus.choices, required=False)
    owner = serializers.IntegerField(required=False, min_value=1)
    campaign = serializers.IntegerField(required=False, min_value=1)
    cold = serializers.BooleanField(required=False, allow_null=True, default=None)
    q = serializers.CharField(required=False, max_length=200)
    ordering = serializers.ChoiceField(
        choices=[SCORE_ORDERING], required=False, help_text="-score: the best score first (unscored last)."
    )
    # Pagination's own parameters.
    cursor = serializers.CharField(required=False)
    page_size = serializers.IntegerField(required=False, min_value=1)


class LeadBulkItemResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["created", "duplicate", "error"])
    id = serializers.IntegerField(allow_null=True)
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)


class LeadBulkOutputSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    errors = serializers.IntegerField()
    results = LeadBulkItemResultSerializer(many=True)


class ScoreCursorPagination(CursorPagination):
    """`?ordering=-score`: keyset on the score's rank (the `lead_score` index), ties by DRF's offset."""

    ordering = ("-score_rank", "-id")

    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None:
            try:
                float(cursor.position)
            except ValueError:
                raise InvalidCursor() from None
        return cursor


def _campaign_for_capture(campaign_id) -> Campaign:
    try:
        return campaign_get_for_capture(pk=campaign_id)
    except NotFound:
        raise InvalidInput("No such campaign.", fields={"campaign": ["No such campaign."]}) from None


class LeadListApi(APIView):
    """Leads you may see, newest first (cursor-paginated); or capture one."""

    parser_classes = [JSONParser, FormParser]

    def get_permissions(self):
        if self.request.method == "POST":
            return [IsMarketerOrManager()]
        return super().get_permissions()

    @extend_schema(
        operation_id="leads_list",
        parameters=[LeadFilterInputSerializer],
        responses={200: paginated(LeadOutputSerializer), **ERRORS},
    )
    def get(self, request):
        # A plain dict: a QueryDict would read a missing `cold` as false.
        filters = LeadFilterInputSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        leads = lead_list_for_user(user=request.user, filters=filters.validated_data)
        paginator = ScoreCursorPagination() if filters.validated_data.get("ordering") else CursorPagination()
        page = paginator.paginate_queryset(leads, request, view=self)
        return paginator.get_paginated_response(LeadOutputSerializer(page, many=True).data)

    @extend_schema(
        request=LeadCaptureInputSerializer,
        responses={201: LeadCaptureOutputSerializer, 200: LeadCaptureOutputSerializer, **ERRORS},
        parameters=[IDEMPOTENCY_KEY],
        description="Capture a lead. A known email answers 200 with `duplicate: true` and the existing "
        "lead (a touch is recorded on it); a new lead answers 201.",
    )
    @idempotent
    def post(self, request):
        fields = dict(validated_data(LeadCaptureInputSerializer, request.data))
        campaign = _campaign_for_capture(fields.pop("campaign"))
        lead, created = lead_capture(data=fields, campaign=campaign, by=request.user, channel=CaptureChannel.API)
        if not created:
            # A known lead: its owner, its first campaign and its industry, as the list shows them.
            # (Whoever may capture sees every lead.) A new lead comes back from the capture whole.
            lead = lead_summary_get_for_user(user=request.user, pk=lead.pk)
        lead.duplicate = not created
        body = represented(LeadCaptureOutputSerializer, lead)
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class LeadBulkApi(APIView):
    """Capture up to 1,000 leads in one request; each gets its own result, bad ones never block good ones."""

    permission_classes = [IsMarketerOrManager]
    parser_classes = [JSONParser]
    throttle_scope = "bulk"

    @extend_schema(
        request=LeadBulkInputSerializer,
        responses={200: LeadBulkOutputSerializer, **ERRORS},
        parameters=[IDEMPOTENCY_KEY],
    )
    @idempotent
    def post(self, request):
        data = LeadBulkInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        items = data.validated_data["leads"]
        # One query for every campaign the items name, not one per item.
        campaign_ids = {_as_id(item.get("campaign")) for item in items if isinstance(item, dict)} - {None}
        campaigns = campaigns_by_id(campaign_ids)
        results = [_bulk_item_parse(index, item, campaigns) for index, item in enumerate(items)]
        valid = [result for result in results if "item" in result]
        captured = lead_capture_rows(
            items=[result.pop("item") for result in valid], by=request.user, channel=CaptureChannel.API
        )
        for result, outcome in zip(valid, captured, strict=True):
            if isinstance(outcome, InvalidInput):
                result.update(status="error", errors=outcome.fields or {"": [outcome.message]})
            elif isinstance(outcome, DatabaseError):
                result.update(status="error", errors={"non_field_errors": ["The lead could not be stored."]})
            else:
                result.update(status="created" if outcome[1] else "duplicate", id=outcome[0].pk)
        counts = Counter(result["status"] for result in results)
        # The body is already in LeadBulkOutputSerializer's shape, of plain values: rendering a
        # thousand results through it again cost more than capturing them.
        return Response(
            {
                "created": counts["created"],
                "duplicates": counts["duplicate"],
                "errors": counts["error"],
                "results": results,
            }
        )


def _as_id(value) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _bulk_item_parse(index, item, campaigns) -> dict:
    """An item's result when it is already an error, or the `(data, campaign)` to capture.

    An item whose values are plainly valid (`_plain_item_fields`) is not run through the input
    serializer at all; any other is (`validated_data`: one serializer for every item, building one
    per item cost more than the capture), and the serializer's own messages are the item's errors."""
    result = {"index": index, "status": "", "id": None}
    if not isinstance(item, dict):
        return {**result, "status": "error", "errors": {"non_field_errors": ["Send a JSON object."]}}
    fields = _plain_item_fields(item)
    if fields is None:
        try:
            fields = dict(validated_data(LeadCaptureInputSerializer, item))
        except serializers.ValidationError as error:
            return {**result, "status": "error", "errors": error.detail}
    campaign = campaigns.get(fields.pop("campaign"))
    if campaign is None:
        return {**result, "status": "error", "errors": {"campaign": ["No such campaign."]}}
    return {**result, "item": (fields, campaign)}


def _plain_item_fields(item: dict) -> dict | None:
    """What LeadCaptureInputSerializer validates `item` to when every value is plainly valid: a
    known field; a string (or a number) within its field's length, without NUL or lone surrogate
    characters, stripped; an email the email check accepts and a country `country_code` knows; the
    campaign a whole number; the value a plain amount (at most 10 digits and 2 decimals); a known
    source. None when anything is less plain: the serializer then decides, and says why."""
    limits = _PLAIN_TEXT_LIMITS
    if "email" not in item or "campaign" not in item:
        return None
    fields = {}
    for name, value in item.items():
        kind = type(value)
        if name == "campaign":
            if kind is int:
                fields[name] = value
            elif kind is str and len(value) <= 18 and value.strip().isdigit() and value.isascii():
                fields[name] = int(value)
            else:
                return None
        elif name == "estimated_value":
            if value is None or (kind is str and not value.strip()):
                fields[name] = None
            elif kind in (str, int, float) and _PLAIN_AMOUNT.fullmatch(str(value).strip()):
                fields[name] = Decimal(str(value).strip()).quantize(Decimal("0.01"))
            else:
                return None
        elif name == "source":
            if kind is not str or value not in _PLAIN_SOURCES:
                return None
            fields[name] = value
        elif name in limits:
            if kind is not str:
                if kind not in (int, float):
                    return None
                value = str(value)
            value = value.strip()
            if len(value) > limits[name] or "\x00" in value or not (value.isascii() or _encodable(value)):
                return None
            if not value and name == "email":  # the one text field that may not be blank
                return None
            if name == "email" and not _plain_email(value):
                return None
            if name == "country" and value and not _plain_country(value):
                return None
            fields[name] = value
        else:
            return None
    return fields


# The text fields' limits and the sources, as the input serializer declares them.
_PLAIN_TEXT_LIMITS = {
    name: field.max_length
    for name, field in LeadCaptureInputSerializer().fields.items()
    if type(field) is serializers.CharField
}
_PLAIN_SOURCES = {"", *Source.values}
_PLAIN_AMOUNT = re.compile(r"[0-9]{1,10}(\.[0-9]{1,2})?")


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, which the serializer refuses
        return False
    return True


def _plain_email(value: str) -> bool:
    try:
        validators.validate_email(lead_normalise_email(value))
    except DjangoValidationError:
        return False
    return True


def _plain_country(value: str) -> bool:
    try:
        country_code(value)
    except ValueError:
        return False
    return True


class LeadDetailApi(APIView):
    @extend_schema(responses={200: LeadDetailOutputSerializer, **ERRORS})
    def get(self, request, pk):
        return Response(lead_detail_data(request, pk))


class CampaignListApi(APIView):
    permission_classes = [IsMarketerOrManager]

    @extend_schema(operation_id="campaigns_list", responses={200: paginated(CampaignOutputSerializer), **ERRORS})
    def get(self, request):
        paginator = CursorPagination()
        page = paginator.paginate_queryset(campaign_list(), request, view=self)
        return paginator.get_paginated_response(CampaignOutputSerializer(page, many=True).data)
