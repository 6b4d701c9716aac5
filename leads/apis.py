"""The leads API: capture, handoff and the lifecycle, as PRODUCT.md's public contract describes.

Each endpoint parses its input with an explicit input serializer, calls one service or selector,
and renders an output serializer. Domain errors become 400/403/404/409 in `alignment.api`.
"""

from collections import Counter
from decimal import Decimal

from django.conf import settings
from django.core import validators
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from alignment.api import (
    CursorPagination,
    ErrorOutputSerializer,
    InputSerializer,
    IsMarketerOrManager,
    IsRep,
    ReasonCodeField,
)
from alignment.errors import InvalidInput, NotAllowed, NotFound
from alignment.idempotency import IDEMPOTENCY_KEY, idempotent
from alignment.models import User
from alignment.parsers import FormParser, JSONParser
from leads.imports import ImportTooLarge, import_job_create, import_job_get_for_user, import_max_bytes
from leads.models import (
    ACTIVITY_KINDS,
    Campaign,
    CaptureChannel,
    Handoff,
    ImportStatus,
    Lead,
    LeadEvent,
    LeadStatus,
)
from leads.selectors import (
    campaign_list,
    lead_get_for_user,
    lead_latest_handoff,
    lead_list_for_user,
    lead_overlap_warnings,
)
from leads.services import (
    lead_accept,
    lead_capture,
    lead_hand_off,
    lead_log_activity,
    lead_lose,
    lead_normalise_email,
    lead_qualify,
    lead_recycle,
    lead_reject,
    lead_snooze,
    lead_win,
)

BULK_MAX = 1000


# --- output serializers (reused by other endpoints that render leads) --------------------------


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


class CampaignRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class LeadOutputSerializer(serializers.ModelSerializer):
    """A lead in a list: contact fields, status, owner, campaign, touches, the waterfall, snooze.

    Reads only the lead and its select_related owner, campaign and industry: no query per row.
    """

    owner = UserRefSerializer(allow_null=True)
    campaign = CampaignRefSerializer()
    industry = serializers.CharField(source="industry.name", allow_null=True, default=None)

    class Meta:
        model = Lead
        fields = [
            "id",
            "email",
            "name",
            "company",
            "title",
            "phone",
            "country",
            "region",
            "industry",
            "estimated_value",
            "source",
            "notes",
            "pain_points",
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
        ]
        read_only_fields = fields


class TimelineEventOutputSerializer(serializers.ModelSerializer):
    actor = UserRefSerializer(allow_null=True)

    class Meta:
        model = LeadEvent
        fields = ["kind", "from_status", "to_status", "actor", "note", "at"]
        read_only_fields = fields


class HandoffOutputSerializer(serializers.ModelSerializer):
    by = UserRefSerializer()
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
        ]
        read_only_fields = fields


class LeadDetailOutputSerializer(LeadOutputSerializer):
    """One lead with its timeline, its latest handoff (and why it went to that rep) and overlaps.

    Expects the lead from `lead_get_for_user`, which prefetches events and handoffs.
    """

    lost_reason = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    captured_by = UserRefSerializer(allow_null=True)
    timeline = TimelineEventOutputSerializer(source="events", many=True)
    latest_handoff = serializers.SerializerMethodField()
    overlap_warnings = serializers.SerializerMethodField()

    class Meta(LeadOutputSerializer.Meta):
        fields = [
            *LeadOutputSerializer.Meta.fields,
            "lost_reason",
            "captured_by",
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


class LeadCaptureOutputSerializer(LeadOutputSerializer):
    """A captured lead; `duplicate` is true when the email was already known (a touch was recorded)."""

    duplicate = serializers.BooleanField()

    class Meta(LeadOutputSerializer.Meta):
        fields = [*LeadOutputSerializer.Meta.fields, "duplicate"]
        read_only_fields = fields


class CampaignOutputSerializer(serializers.ModelSerializer):
    owner = UserRefSerializer()
    allowed_origins = serializers.SerializerMethodField()

    class Meta:
        model = Campaign
        fields = ["id", "name", "source", "owner", "cost", "form_key", "allowed_origins", "active", "created_at"]
        read_only_fields = fields

    def get_allowed_origins(self, campaign) -> list[str]:
        return [line.strip() for line in campaign.allowed_origins.splitlines() if line.strip()]


# --- input serializers -------------------------------------------------------------------------
# Each lists its fields; none accepts a status, an owner or a date the server sets.


class LeadContactInputSerializer(InputSerializer):
    email = serializers.CharField(max_length=254)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    company = serializers.CharField(max_length=200, required=False, allow_blank=True)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=50, required=False, allow_blank=True)
    country = serializers.CharField(max_length=2, required=False, allow_blank=True, help_text="ISO 3166 alpha-2.")
    region = serializers.CharField(max_length=100, required=False, allow_blank=True)
    industry = serializers.CharField(max_length=100, required=False, allow_blank=True, help_text="The vertical.")
    estimated_value = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    notes = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    pain_points = serializers.CharField(required=False, allow_blank=True, max_length=10_000)

    # The service checks these too; checking them here as well lets one answer name every bad field
    # (a bad email beside a missing campaign), not only the first the serializer stops at.
    def validate_email(self, value):
        try:
            validators.validate_email(lead_normalise_email(value))
        except DjangoValidationError:
            raise serializers.ValidationError("Enter a valid email address.") from None
        return value

    def validate_country(self, value):
        if value and not (len(value) == 2 and value.isalpha()):
            raise serializers.ValidationError("Use a two-letter country code, e.g. DE.")
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
    # Pagination's own parameters.
    cursor = serializers.CharField(required=False)
    page_size = serializers.IntegerField(required=False, min_value=1)


class LeadHandOffInputSerializer(InputSerializer):
    rep = serializers.IntegerField(required=False, allow_null=True, help_text="A rep's user id; empty = routing.")
    note = serializers.CharField(max_length=10_000, help_text="The lead's story.")


class LeadRejectInputSerializer(InputSerializer):
    reason = ReasonCodeField()
    note = serializers.CharField(max_length=10_000, required=False, allow_blank=True)


class LeadActivityInputSerializer(InputSerializer):
    kind = serializers.ChoiceField(choices=[(kind.value, kind.label) for kind in ACTIVITY_KINDS])
    note = serializers.CharField(max_length=10_000, required=False, allow_blank=True)


class LeadWinInputSerializer(InputSerializer):
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))


class LeadLoseInputSerializer(InputSerializer):
    reason = ReasonCodeField()
    note = serializers.CharField(max_length=10_000, required=False, allow_blank=True)


class LeadRecycleInputSerializer(InputSerializer):
    reason = serializers.CharField(max_length=10_000, help_text="Why the lead goes back to nurture.")
    reengage_after = serializers.DateField(required=False, allow_null=True)


class LeadSnoozeInputSerializer(InputSerializer):
    until = serializers.DateTimeField(help_text="Going cold pauses until then.")
    reason = serializers.CharField(max_length=10_000)


class EmptyInputSerializer(InputSerializer):
    pass


class PublicCaptureInputSerializer(LeadContactInputSerializer):
    website = serializers.CharField(
        required=False, allow_blank=True, max_length=1000, help_text="Leave empty: a trap for bots."
    )


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


class PublicCaptureOutputSerializer(serializers.Serializer):
    detail = serializers.CharField()


# --- endpoints ---------------------------------------------------------------------------------

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


def _campaign_for_capture(campaign_id) -> Campaign:
    campaign = Campaign.objects.filter(pk=campaign_id).select_related("owner").first()
    if campaign is None:
        raise InvalidInput("No such campaign.", fields={"campaign": ["No such campaign."]})
    return campaign


def _lead_detail(request, pk) -> dict:
    return LeadDetailOutputSerializer(lead_get_for_user(user=request.user, pk=pk)).data


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
        paginator = CursorPagination()
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
        data = LeadCaptureInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        campaign = _campaign_for_capture(fields.pop("campaign"))
        lead, created = lead_capture(data=fields, campaign=campaign, by=request.user, channel=CaptureChannel.API)
        lead = Lead.objects.select_related("owner", "campaign", "industry").get(pk=lead.pk)
        lead.duplicate = not created
        body = LeadCaptureOutputSerializer(lead).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class LeadBulkApi(APIView):
    """Capture up to 1,000 leads in one request; each gets its own result, bad ones never block good ones."""

    permission_classes = [IsMarketerOrManager]
    parser_classes = [JSONParser]

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
        campaigns = Campaign.objects.select_related("owner").in_bulk(campaign_ids)
        results = []
        for index, item in enumerate(items):
            results.append(_bulk_capture_one(index, item, campaigns, request.user))
        counts = Counter(result["status"] for result in results)
        body = {
            "created": counts["created"],
            "duplicates": counts["duplicate"],
            "errors": counts["error"],
            "results": results,
        }
        return Response(LeadBulkOutputSerializer(body).data)


def _as_id(value) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _bulk_capture_one(index, item, campaigns, by) -> dict:
    if not isinstance(item, dict):
        return {"index": index, "status": "error", "id": None, "errors": {"non_field_errors": ["Send a JSON object."]}}
    item_data = LeadCaptureInputSerializer(data=item)
    if not item_data.is_valid():
        return {"index": index, "status": "error", "id": None, "errors": item_data.errors}
    fields = dict(item_data.validated_data)
    campaign = campaigns.get(fields.pop("campaign"))
    if campaign is None:
        return {"index": index, "status": "error", "id": None, "errors": {"campaign": ["No such campaign."]}}
    try:
        lead, created = lead_capture(data=fields, campaign=campaign, by=by, channel=CaptureChannel.API)
    except InvalidInput as error:
        return {"index": index, "status": "error", "id": None, "errors": error.fields or {"": [error.message]}}
    return {"index": index, "status": "created" if created else "duplicate", "id": lead.pk}


class LeadDetailApi(APIView):
    @extend_schema(responses={200: LeadDetailOutputSerializer, **ERRORS})
    def get(self, request, pk):
        return Response(_lead_detail(request, pk))


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
        return Response(_lead_detail(request, pk))


def _action_schema(input_serializer, description):
    return extend_schema(
        request=input_serializer,
        responses={200: LeadDetailOutputSerializer, **ERRORS},
        parameters=[IDEMPOTENCY_KEY],
        description=description,
    )


@extend_schema_view(
    post=_action_schema(
        LeadHandOffInputSerializer,
        "Hand the lead to a rep with its story; without `rep` the routing rules choose (marketer, manager).",
    )
)
class LeadHandOffApi(LeadActionApi):
    input_serializer = LeadHandOffInputSerializer
    permission_classes = [IsMarketerOrManager]

    def perform(self, *, lead, by, data):
        rep = None
        if data.get("rep") is not None:
            rep = User.objects.filter(pk=data["rep"]).first()
            if rep is None:
                raise InvalidInput("No such rep.", fields={"rep": ["Choose a sales rep."]})
        lead_hand_off(lead=lead, rep=rep, note=data["note"], by=by)


@extend_schema_view(post=_action_schema(EmptyInputSerializer, "Accept a lead handed to you (the assigned rep)."))
class LeadAcceptApi(LeadActionApi):
    def perform(self, *, lead, by, data):
        lead_accept(lead=lead, by=by)


@extend_schema_view(
    post=_action_schema(LeadRejectInputSerializer, "Turn a lead handed to you down, with a reason code.")
)
class LeadRejectApi(LeadActionApi):
    input_serializer = LeadRejectInputSerializer

    def perform(self, *, lead, by, data):
        lead_reject(lead=lead, by=by, reason=data["reason"], note=data.get("note", ""))


@extend_schema_view(post=_action_schema(LeadActivityInputSerializer, "Log a call, email, meeting or note (owner rep)."))
class LeadActivityApi(LeadActionApi):
    input_serializer = LeadActivityInputSerializer

    def perform(self, *, lead, by, data):
        lead_log_activity(lead=lead, by=by, kind=data["kind"], note=data.get("note", ""))


@extend_schema_view(post=_action_schema(EmptyInputSerializer, "Mark the lead qualified (owner rep)."))
class LeadQualifyApi(LeadActionApi):
    def perform(self, *, lead, by, data):
        lead_qualify(lead=lead, by=by)


@extend_schema_view(
    post=_action_schema(LeadWinInputSerializer, "Mark the lead won, with the deal's amount (owner rep).")
)
class LeadWinApi(LeadActionApi):
    input_serializer = LeadWinInputSerializer

    def perform(self, *, lead, by, data):
        lead_win(lead=lead, by=by, amount=data["amount"])


@extend_schema_view(post=_action_schema(LeadLoseInputSerializer, "Mark the lead lost, with a reason code (owner rep)."))
class LeadLoseApi(LeadActionApi):
    input_serializer = LeadLoseInputSerializer

    def perform(self, *, lead, by, data):
        lead_lose(lead=lead, by=by, reason=data["reason"], note=data.get("note", ""))


@extend_schema_view(
    post=_action_schema(LeadRecycleInputSerializer, "Take the lead back to nurture (marketer, manager).")
)
class LeadRecycleApi(LeadActionApi):
    input_serializer = LeadRecycleInputSerializer
    permission_classes = [IsMarketerOrManager]

    def perform(self, *, lead, by, data):
        lead_recycle(lead=lead, by=by, reason=data["reason"], reengage_after=data.get("reengage_after"))


@extend_schema_view(post=_action_schema(LeadSnoozeInputSerializer, "Pause going cold until a moment (owner rep)."))
class LeadSnoozeApi(LeadActionApi):
    input_serializer = LeadSnoozeInputSerializer

    def perform(self, *, lead, by, data):
        lead_snooze(lead=lead, by=by, until=data["until"], reason=data["reason"])


class CampaignListApi(APIView):
    permission_classes = [IsMarketerOrManager]

    @extend_schema(operation_id="campaigns_list", responses={200: paginated(CampaignOutputSerializer), **ERRORS})
    def get(self, request):
        paginator = CursorPagination()
        page = paginator.paginate_queryset(campaign_list(), request, view=self)
        return paginator.get_paginated_response(CampaignOutputSerializer(page, many=True).data)


# --- the public web form -------------------------------------------------------------------------


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
        self.campaign = Campaign.objects.filter(form_key=kwargs.get("form_key", ""), active=True).first()
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


# --- CSV import -------------------------------------------------------------------------------


class ImportJobCreateInputSerializer(InputSerializer):
    file = serializers.FileField(help_text="A UTF-8 CSV file with a header row and an `email` column.")
    campaign = serializers.IntegerField(help_text="The id of an active campaign.")


class ImportJobOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ImportStatus.choices)
    filename = serializers.CharField()
    percent = serializers.IntegerField()
    rows_created = serializers.IntegerField()
    rows_duplicate = serializers.IntegerField()
    rows_failed = serializers.IntegerField()
    errors = serializers.ListField(
        child=serializers.DictField(), help_text="The first 500 bad rows: `{line, reason}`; all are counted."
    )
    message = serializers.CharField()
    url = serializers.SerializerMethodField(help_text="Where to poll the import's progress.")

    def get_url(self, job) -> str:
        return reverse("leads-api:import-detail", args=[job.pk])


class ImportJobCreateApi(APIView):
    """Upload a CSV file of leads: 202 with the import job; poll its `url` for progress.

    The file streams to disk and into the database in chunks (never held in memory) and is imported
    by a worker. Files over ALIGNMENT_IMPORT_MAX_BYTES answer 413.
    """

    permission_classes = [IsMarketerOrManager]
    parser_classes = [MultiPartParser]

    def initial(self, request, *args, **kwargs):
        # Before authentication reads (and spools) the body: refuse a file that is too large at once.
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if request.method == "POST" and length > import_max_bytes() + 64 * 1024:
            raise ImportTooLarge(f"The file is too large: {import_max_bytes() // (1024 * 1024)} MB at most.")
        super().initial(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": ImportJobCreateInputSerializer},
        responses={202: ImportJobOutputSerializer, **ERRORS},
        parameters=[IDEMPOTENCY_KEY],
    )
    @idempotent
    def post(self, request):
        data = ImportJobCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        campaign = Campaign.objects.filter(pk=data.validated_data["campaign"], active=True).first()
        if campaign is None:
            raise InvalidInput("Choose an active campaign.", fields={"campaign": ["No active campaign with this id."]})
        job = import_job_create(by=request.user, campaign=campaign, upload=data.validated_data["file"])
        return Response(ImportJobOutputSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class ImportJobDetailApi(APIView):
    """An import's progress and, once done, its per-row error report. Visible to its creator and managers."""

    @extend_schema(responses={200: ImportJobOutputSerializer, 404: ErrorOutputSerializer})
    def get(self, request, pk):
        job = import_job_get_for_user(user=request.user, job_id=pk)
        return Response(ImportJobOutputSerializer(job).data)
