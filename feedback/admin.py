from django.contrib import admin

from feedback.models import FeedbackItem, FeedbackReply, Verdict


@admin.register(Verdict)
class VerdictAdmin(admin.ModelAdmin):
    list_display = ["lead", "verdict", "reason", "rep", "current", "created_at"]
    list_filter = ["verdict", "current", "reason"]
    list_select_related = ["lead", "reason", "rep"]
    raw_id_fields = ["lead", "rep"]
    search_fields = ["lead__email", "lead__company", "note", "pain_points"]


class FeedbackReplyInline(admin.TabularInline):
    model = FeedbackReply
    extra = 0
    raw_id_fields = ["author"]


@admin.register(FeedbackItem)
class FeedbackItemAdmin(admin.ModelAdmin):
    list_display = ["lead", "kind", "status", "resolution", "marketer", "rep", "created_at"]
    list_filter = ["status", "kind", "resolution"]
    list_select_related = ["lead", "marketer", "rep"]
    raw_id_fields = ["lead", "assignee", "marketer", "rep", "opened_by", "verdict", "resolved_by"]
    search_fields = ["lead__email", "lead__company", "note"]
    inlines = [FeedbackReplyInline]
