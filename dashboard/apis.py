"""`GET /api/dashboard/`: the dashboard's figures, from the same service as the page."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from alignment.rest import ErrorOutputSerializer
from dashboard.figures import dashboard_as_json, dashboard_figures
from dashboard.periods import PERIOD_KINDS, dashboard_filters_parse
from leads.models import Source


class DashboardApi(APIView):
    """The same figures for every role. Money is a number, dates are ISO 8601, shares are 0–1, and a
    figure with nothing to measure (a rate of an empty period) is null."""

    @extend_schema(
        parameters=[
            OpenApiParameter("period", str, enum=list(PERIOD_KINDS), description="Default: quarter."),
            OpenApiParameter(
                "start",
                OpenApiTypes.DATE,
                description="A day in the month or quarter (default: today), or the custom period's first day.",
            ),
            OpenApiParameter("end", OpenApiTypes.DATE, description="The custom period's last day (included)."),
            OpenApiParameter("campaign", int, description="A campaign id."),
            OpenApiParameter("source", str, enum=list(Source.values)),
            OpenApiParameter(
                "team", int, description="A team id: leads owned by one of its members or captured by one."
            ),
        ],
        responses={200: OpenApiTypes.OBJECT, 400: ErrorOutputSerializer, 401: ErrorOutputSerializer},
    )
    def get(self, request):
        filters = dashboard_filters_parse(request.query_params)
        return Response(dashboard_as_json(dashboard_figures(filters=filters)))
