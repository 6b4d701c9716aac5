"""What the feedback endpoints share: the error responses they document and the feedback item as
they show it (with its lead, verdict, reason and replies)."""

from django.utils import timezone
from rest_framework import serializers

from alignment.rest import ErrorOutputSerializer, UserRefSerializer
from feedback.models import FeedbackItem, FeedbackKind, FeedbackReply, FeedbackStatus, Resolution
from feedback.selectors import feedback_item_is_overdue, feedback_overdue_cutoff

ERRORS = dict.fromkeys((400, 401, 403, 404, 409, 422), ErrorOutputSerializer)


def _item_context() -> dict:
    now = timezone.now()
    return {"overdue_cutoff": feedback_overdue_cutoff(now=now), "now": now}


class ReasonOutputSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    active = serializers.BooleanField()


class FeedbackLeadOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField()
    company = serializers.CharField()
    status = serializers.CharField()
    campaign = serializers.SerializerMethodField()
    recycle_count = serializers.IntegerField()

    def get_campaign(self, lead) -> dict:
        return {"id": lead.campaign_id, "name": lead.campaign.name}


class FeedbackReplyOutputSerializer(serializers.ModelSerializer):
    author = UserRefSerializer()

    class Meta:
        model = FeedbackReply
        fields = ["id", "author", "body", "created_at"]
        read_only_fields = fields


class FeedbackItemOutputSerializer(serializers.ModelSerializer):
    """An item in the queue. Reads only the item and its select_related rows: no query per item."""

    lead = FeedbackLeadOutputSerializer()
    kind = serializers.ChoiceField(choices=FeedbackKind.choices)
    status = serializers.ChoiceField(choices=FeedbackStatus.choices)
    resolution = serializers.ChoiceField(choices=[("", "Not resolved"), *Resolution.choices])
    reason = ReasonOutputSerializer(allow_null=True)
    assignee = UserRefSerializer()
    marketer = UserRefSerializer(allow_null=True)
    rep = UserRefSerializer(allow_null=True)
    verdict = serializers.CharField(source="verdict.verdict", allow_null=True, default=None)
    age_hours = serializers.SerializerMethodField(help_text="How long the item has been open (or was, once resolved).")
    overdue = serializers.SerializerMethodField(
        help_text="Open for longer than the loop's response threshold (ALIGNMENT_FEEDBACK_RESPONSE_DAYS)."
    )

    def _now(self):
        return self.context.get("now") or timezone.now()

    def get_age_hours(self, item) -> float:
        end = item.resolved_at or self._now()
        return round((end - item.created_at).total_seconds() / 3600, 1)

    def get_overdue(self, item) -> bool:
        cutoff = self.context.get("overdue_cutoff")
        return cutoff is not None and feedback_item_is_overdue(item, cutoff=cutoff)

    class Meta:
        model = FeedbackItem
        fields = [
            "id",
            "lead",
            "kind",
            "status",
            "assignee",
            "marketer",
            "rep",
            "verdict",
            "reason",
            "note",
            "resolution",
            "resolution_note",
            "resolved_at",
            "created_at",
            "last_reply_at",
            "age_hours",
            "overdue",
        ]
        read_only_fields = fields


class FeedbackItemDetailOutputSerializer(FeedbackItemOutputSerializer):
    replies = FeedbackReplyOutputSerializer(many=True)
    resolved_by = UserRefSerializer(allow_null=True)

    class Meta(FeedbackItemOutputSerializer.Meta):
        fields = [*FeedbackItemOutputSerializer.Meta.fields, "resolved_by", "replies"]
        read_only_fields = fields


def _item_detail(item) -> dict:
    context = _item_context()
    return FeedbackItemDetailOutputSerializer(item, context=context).data
