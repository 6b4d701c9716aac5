"""`GET /api/dashboard/`: the dashboard's figures, from the same service as the page."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from alignment.rest import ErrorOutputSerializer
from dashboard.figures import dashboard_as_json, dashboard_figures
from dashboard.periods import PERIOD_KINDS, dashboard_filters_parse
from leads.models import Source


class PeriodOutputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=PERIOD_KINDS)
    label = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField(help_text="The period's last day (included).")


class SpeedFiguresOutputSerializer(serializers.Serializer):
    p50_seconds = serializers.FloatField(allow_null=True, help_text="Median time to the first answer.")
    p90_seconds = serializers.FloatField(allow_null=True)
    within_5_minutes = serializers.FloatField(allow_null=True, help_text="Share (0–1) of the answered handoffs.")
    within_1_hour = serializers.FloatField(allow_null=True)
    answered = serializers.IntegerField(help_text="Handoffs made in the period and answered; the others are left out.")


class SpeedRepOutputSerializer(SpeedFiguresOutputSerializer):
    class RepSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        name = serializers.CharField(help_text="The full name, or the username when there is none.")

    rep = RepSerializer()


class SpeedToLeadOutputSerializer(SpeedFiguresOutputSerializer):
    clock = serializers.CharField(help_text="Which hours count: every hour, or the business hours.")
    by_rep = SpeedRepOutputSerializer(many=True)


class GoalDetailOutputSerializer(serializers.Serializer):
    class TeamSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        name = serializers.CharField()

    period = serializers.ChoiceField(choices=["month", "quarter"])
    starts_on = serializers.DateField()
    team = TeamSerializer(allow_null=True, help_text="The team whose goal it is; null for the company's.")
    basis = serializers.ChoiceField(
        choices=["set", "quarter_prorated", "team_sum"],
        help_text="set: a goal of this period and scope; quarter_prorated: a month takes its quarter's goal, "
        "prorated to its days; team_sum: the company has no goal of its own and sums its teams'.",
    )
    text = serializers.CharField(help_text="Which goal applies, in a sentence.")
    set_by = serializers.CharField(allow_null=True)
    set_at = serializers.DateTimeField(allow_null=True)


class DashboardOutputSerializer(serializers.Serializer):
    """The contract's figures; the others sit beside them under their own keys."""

    period = PeriodOutputSerializer()
    currency = serializers.CharField(help_text="The ISO 4217 code of every amount, e.g. EUR.")
    goal = serializers.FloatField(
        allow_null=True, help_text="The goal of the filter's scope: the team's with `team`, else the company's."
    )
    goal_detail = GoalDetailOutputSerializer(allow_null=True)
    won_revenue = serializers.FloatField()
    pipeline_value = serializers.FloatField()
    funnel = serializers.DictField(help_text="captured, handed_off, accepted, qualified, won; and the steps.")
    speed_to_lead = SpeedToLeadOutputSerializer(
        help_text="From a handoff made in the period to the rep's first answer (accept or reject), on the "
        "SLA clock: business hours only when they are configured."
    )


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
        responses={200: DashboardOutputSerializer, 400: ErrorOutputSerializer, 401: ErrorOutputSerializer},
    )
    def get(self, request):
        filters = dashboard_filters_parse(request.query_params)
        return Response(dashboard_as_json(dashboard_figures(filters=filters)))
