"""The weekly meeting's page and its detail in the API: the digest's figures for the week before
the meeting, then the planning side (requests to triage, request outcomes, action items carried
over, the items people added), then what was decided."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from alignment.errors import NotFound
from dashboard.digest import digest_agenda
from leads.apis.common import ERRORS
from planning import meetings
from planning.apis.meetings import ActionItemOutputSerializer, MeetingItemOutputSerializer
from planning.meeting_views import people_for_action_items
from planning.models import MeetingItemKind


def meeting_agenda(meeting) -> dict:
    """The digest of the week before the meeting's, beside the planning side of its agenda."""
    return {
        "digest": digest_agenda(week=meeting.week - timedelta(days=7)),
        **meetings.meeting_planning_agenda(meeting=meeting),
    }


@login_required
def meeting_list(request):
    this_week = meetings.meeting_get_or_create(week=timezone.localdate())
    rows = list(meetings.meeting_list()[:60])
    return render(request, "dashboard/meeting_list.html", {"meetings": rows, "this_week": this_week})


@login_required
def meeting_detail(request, pk):
    try:
        meeting = meetings.meeting_get(pk=pk)
    except NotFound:
        raise Http404("No such meeting.") from None
    context = {
        **meeting_agenda(meeting),
        "people": people_for_action_items(),
        "kinds": MeetingItemKind.choices,
        "today": timezone.localdate(),
        "base_url": "",
    }
    return render(request, "dashboard/meeting_detail.html", context)


@login_required
def meeting_current(request):
    return redirect("dashboard:meeting", pk=meetings.meeting_get_or_create(week=timezone.localdate()).pk)


def _agenda_list(agenda) -> list[dict]:
    digest = agenda["digest"]
    rows = [
        {
            "kind": "wins",
            "title": "Wins from marketing leads",
            "count": digest["wins_count"],
            "revenue": str(digest["wins_revenue"]),
        },
        {"kind": "bad_reasons", "title": "Top rejection reasons", "reasons": digest["rejection_reasons"]},
        {
            "kind": "cold",
            "title": "Leads gone cold",
            "count": digest["went_cold_count"],
            "now": digest["cold_now_count"],
        },
        {"kind": "open_feedback", "title": "Open feedback", "count": digest["feedback_waiting_count"]},
        {
            "kind": "new_requests",
            "title": "Campaign requests waiting for triage",
            "requests": [{"id": r.pk, "title": r.title} for r in agenda["new_requests"]],
        },
        {
            "kind": "request_outcomes",
            "title": "What delivered requests brought",
            "requests": [{"id": r.pk, "title": r.title, "outcome": r.outcome} for r in agenda["outcomes"]],
        },
        {
            "kind": "carried_over",
            "title": "Open action items from earlier meetings",
            "action_items": ActionItemOutputSerializer(agenda["carried_over"], many=True).data,
        },
    ]
    rows += [{"kind": "agenda", "title": item.text, "id": item.pk} for item in agenda["items"] if item.kind == "agenda"]
    return rows


class MeetingDetailOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    week = serializers.DateField()
    agenda = serializers.ListField(child=serializers.DictField())
    items = MeetingItemOutputSerializer(many=True)
    action_items = ActionItemOutputSerializer(many=True)


class MeetingDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: MeetingDetailOutputSerializer, **ERRORS})
    def get(self, request, pk):
        meeting = meetings.meeting_get(pk=pk)
        agenda = meeting_agenda(meeting)
        data = {
            "id": meeting.pk,
            "week": meeting.week,
            "agenda": _agenda_list(agenda),
            "items": agenda["items"],
            "action_items": agenda["action_items"],
        }
        return Response(MeetingDetailOutputSerializer(data).data)
