"""Endpoints on leads that reach into feedback: bulk actions (one of them requests feedback) and
merging two leads (their verdicts and feedback items move too)."""

from collections import Counter

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from alignment.errors import InvalidInput, NotFound
from alignment.idempotency import IDEMPOTENCY_KEY, idempotent
from alignment.parsers import JSONParser
from alignment.rest import InputSerializer, IsMarketerOrManager
from feedback.bulk import lead_bulk_action_run
from feedback.merge import lead_merge_with_feedback
from leads.apis.common import ERRORS, LeadDetailOutputSerializer, lead_detail_data
from leads.bulk import BULK_ACTIONS, BULK_MAX, DONE, REFUSED
from leads.selectors import lead_get_for_user


class LeadBulkActionInputSerializer(InputSerializer):
    action = serializers.ChoiceField(choices=list(BULK_ACTIONS))
    ids = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=BULK_MAX)
    note = serializers.CharField(
        max_length=10_000, required=False, allow_blank=True, help_text="The story (hand_off) or the question."
    )
    rep = serializers.IntegerField(
        required=False, allow_null=True, help_text="A rep's user id: hand_off to them, or reassign (required)."
    )
    reason = serializers.CharField(max_length=10_000, required=False, allow_blank=True, help_text="For recycle.")


class LeadBulkResultOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    result = serializers.ChoiceField(choices=[DONE, REFUSED])
    detail = serializers.CharField(help_text='Why it was refused ("not found" for an unknown or hidden lead).')


class LeadBulkActionOutputSerializer(serializers.Serializer):
    done = serializers.IntegerField()
    refused = serializers.IntegerField()
    results = LeadBulkResultOutputSerializer(many=True)


class LeadBulkActionApi(APIView):
    """Hand off, recycle, reassign or request feedback on up to 1,000 leads, each on its own."""

    permission_classes = [IsMarketerOrManager]
    parser_classes = [JSONParser]
    throttle_scope = "bulk"

    @extend_schema(
        request=LeadBulkActionInputSerializer,
        responses={200: LeadBulkActionOutputSerializer, **ERRORS},
        parameters=[IDEMPOTENCY_KEY],
        description="Each lead goes through the same service and rule as one at a time, in its own "
        'transaction: its result is "done" or "refused" with why. hand_off needs `note` (`rep` or the '
        "routing rules), recycle `reason`, reassign `rep` (managers), request_feedback `note` (marketers).",
    )
    @idempotent
    def post(self, request):
        data = LeadBulkActionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        results = lead_bulk_action_run(
            action=fields["action"],
            ids=fields["ids"],
            by=request.user,
            note=fields.get("note", ""),
            rep_id=fields.get("rep"),
            reason=fields.get("reason", ""),
        )
        counts = Counter(result["result"] for result in results)
        # Already in LeadBulkActionOutputSerializer's shape, of plain values: no second pass through it.
        return Response({"done": counts[DONE], "refused": counts[REFUSED], "results": results})


class LeadMergeInputSerializer(InputSerializer):
    other = serializers.IntegerField(help_text="The id of the lead merged into this one.")


class LeadMergeApi(APIView):
    permission_classes = [IsMarketerOrManager]
    parser_classes = [JSONParser]

    @extend_schema(
        request=LeadMergeInputSerializer,
        responses={200: LeadDetailOutputSerializer, **ERRORS},
        parameters=[IDEMPOTENCY_KEY],
        description="Merge the lead `other` into this one (marketer, manager): its touches, timeline, "
        "handoffs, verdicts and feedback move here, its email becomes this lead's alias. 409 for the "
        "same lead, a lead already merged, or two leads in different reps' open work.",
    )
    @idempotent
    def post(self, request, pk):
        data = LeadMergeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        survivor = lead_get_for_user(user=request.user, pk=pk)
        try:
            other = lead_get_for_user(user=request.user, pk=data.validated_data["other"])
        except NotFound:
            raise InvalidInput("No such lead.", fields={"other": ["No such lead."]}) from None
        lead_merge_with_feedback(survivor=survivor, other=other, by=request.user)
        return Response(lead_detail_data(request, pk))
