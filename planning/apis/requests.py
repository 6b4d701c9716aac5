"""The campaign request API: reps and managers file, marketing triages and delivers.

Permissions: a rep or a manager files; a rep sees their own requests, marketers and managers all;
marketers and managers accept, decline, start and deliver. Domain errors map to 400/403/404/409
in `alignment.rest`.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from alignment.idempotency import IDEMPOTENCY_KEY, idempotent
from alignment.rest import CursorPagination, EmptyInputSerializer, InputSerializer, IsMarketerOrManager
from feedback.apis.scorecard import OutcomeOutputSerializer
from feedback.theme_fields import PainThemeCodeField
from leads.apis.common import ERRORS, paginated
from planning import selectors, services
from planning.models import RequestStatus


@extend_schema_field(OpenApiTypes.INT)
class _AnyIntegerField(serializers.Field):
    """An integer the service checks, so its error comes with every other field's."""

    def to_internal_value(self, data):
        return data


@extend_schema_field(OpenApiTypes.DATE)
class _AnyDateField(serializers.Field):
    def to_internal_value(self, data):
        return data


class CampaignRequestInputSerializer(InputSerializer):
    title = serializers.CharField(max_length=10_000, required=False, allow_blank=True)
    vertical = serializers.CharField(max_length=100, required=False, allow_blank=True, help_text="Id or name.")
    territory = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="DE, or DE/Bavaria (as add_member writes it)."
    )
    pain_themes = serializers.ListField(child=PainThemeCodeField(), max_length=50, required=False)
    goal_leads = _AnyIntegerField(required=False, help_text="How many leads the campaign should bring.")
    needed_by = _AnyDateField(required=False, help_text="A date in the future.")
    note = serializers.CharField(max_length=10_000, required=False, allow_blank=True, help_text="Why.")


class DeclineInputSerializer(InputSerializer):
    reason = serializers.CharField(max_length=10_000, required=False, allow_blank=True, help_text="Required.")


class DeliverInputSerializer(InputSerializer):
    campaign = serializers.IntegerField(help_text="The id of the campaign the request became.")


class RequesterOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="display_name")


class RefOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CountOutputSerializer(serializers.Serializer):
    code = serializers.CharField()
    # Evidence frozen on delivery before labels were kept has none: read the code then.
    label = serializers.CharField(required=False, help_text="The reason or theme as people read it.")
    count = serializers.IntegerField()


class EvidenceOutputSerializer(serializers.Serializer):
    leads = serializers.IntegerField()
    judged = serializers.IntegerField()
    good = serializers.IntegerField()
    bad = serializers.IntegerField()
    top_bad_reasons = CountOutputSerializer(many=True)
    lost_reasons = CountOutputSerializer(many=True)
    pain_themes = CountOutputSerializer(many=True)
    since = serializers.DateField(help_text="The first day counted: twelve months back.")


class CampaignRequestOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=RequestStatus.choices)
    requester = RequesterOutputSerializer()
    vertical = RefOutputSerializer()
    territory = serializers.CharField()
    pain_themes = serializers.SerializerMethodField()
    goal_leads = serializers.IntegerField()
    needed_by = serializers.DateField()
    note = serializers.CharField()
    decline_reason = serializers.CharField()
    evidence = EvidenceOutputSerializer()
    campaign = RefOutputSerializer(allow_null=True)
    outcome = OutcomeOutputSerializer(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_pain_themes(self, row) -> list[str]:
        return [theme.code for theme in row.pain_themes.all()]


class RequestPagination(CursorPagination):
    def get_ordering(self, request, queryset, view):
        return ("id",) if request.query_params.get("sort") == "oldest" else ("-id",)


def _detail(request_row) -> dict:
    return CampaignRequestOutputSerializer(selectors.campaign_request_with_live_figures(request_row)).data


LIST_PARAMETERS = [
    OpenApiParameter("status", str, enum=RequestStatus.values, required=False),
    OpenApiParameter("vertical", int, required=False),
    OpenApiParameter("territory", str, required=False, description="DE or DE/Bavaria"),
    OpenApiParameter("requester", int, required=False),
    OpenApiParameter("sort", str, enum=["newest", "oldest"], required=False),
]


class CampaignRequestListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="campaign_requests_list",
        parameters=LIST_PARAMETERS,
        responses={200: paginated(CampaignRequestOutputSerializer), **ERRORS},
    )
    def get(self, request):
        filters = {name: request.query_params.get(name, "") for name in selectors.REQUEST_FILTERS}
        qs = selectors.campaign_request_list_for_user(user=request.user, filters=filters)
        paginator = RequestPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(CampaignRequestOutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="campaign_requests_create",
        request=CampaignRequestInputSerializer,
        responses={201: CampaignRequestOutputSerializer, **ERRORS},
        parameters=[IDEMPOTENCY_KEY],
        description="File a campaign request (a rep or a manager); its evidence is attached at once.",
    )
    @idempotent
    def post(self, request):
        data = CampaignRequestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = services.campaign_request_file(by=request.user, **_filing_kwargs(data.validated_data))
        row = selectors.campaign_request_get_for_user(user=request.user, pk=row.pk)
        return Response(CampaignRequestOutputSerializer(row).data, status=status.HTTP_201_CREATED)


def _filing_kwargs(data: dict) -> dict:
    names = ("title", "vertical", "territory", "goal_leads", "needed_by")
    return {
        **{name: data.get(name) for name in names},
        "pain_themes": data.get("pain_themes", ()),
        "note": data.get("note", ""),
    }


class CampaignRequestDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: CampaignRequestOutputSerializer, **ERRORS})
    def get(self, request, pk):
        return Response(_detail(selectors.campaign_request_get_for_user(user=request.user, pk=pk)))


class _RequestActionApi(APIView):
    permission_classes = [IsMarketerOrManager]
    input_serializer = EmptyInputSerializer

    def perform(self, *, row, by, data):
        raise NotImplementedError

    @idempotent
    def post(self, request, pk):
        data = self.input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = selectors.campaign_request_get_for_user(user=request.user, pk=pk)
        self.perform(row=row, by=request.user, data=data.validated_data)
        return Response(_detail(selectors.campaign_request_get_for_user(user=request.user, pk=pk)))


def _action_schema(serializer, description):
    return extend_schema(
        request=serializer,
        responses={200: CampaignRequestOutputSerializer, **ERRORS},
        parameters=[IDEMPOTENCY_KEY],
        description=description,
    )


class CampaignRequestAcceptApi(_RequestActionApi):
    @_action_schema(EmptyInputSerializer, "Accept a new request (marketer, manager).")
    def post(self, request, pk):
        return super().post(request, pk)

    def perform(self, *, row, by, data):
        services.campaign_request_accept(request=row, by=by)


class CampaignRequestDeclineApi(_RequestActionApi):
    input_serializer = DeclineInputSerializer

    @_action_schema(DeclineInputSerializer, "Decline a new request, saying why (marketer, manager).")
    def post(self, request, pk):
        return super().post(request, pk)

    def perform(self, *, row, by, data):
        services.campaign_request_decline(request=row, by=by, reason=data.get("reason", ""))


class CampaignRequestStartApi(_RequestActionApi):
    @_action_schema(EmptyInputSerializer, "Start work on an accepted request (marketer, manager).")
    def post(self, request, pk):
        return super().post(request, pk)

    def perform(self, *, row, by, data):
        services.campaign_request_start(request=row, by=by)


class CampaignRequestDeliverApi(_RequestActionApi):
    input_serializer = DeliverInputSerializer

    @_action_schema(DeliverInputSerializer, "Deliver a request in progress as a campaign (marketer, manager).")
    def post(self, request, pk):
        return super().post(request, pk)

    def perform(self, *, row, by, data):
        services.campaign_request_deliver(request=row, by=by, campaign=data["campaign"])
