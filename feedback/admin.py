"""Django admin for verdicts and feedback items, and the lead admin's deletion as feedback sees it:
deleting leads deletes their feedback items, so their bad reasons leave the scorecard's roll-up."""

from collections import Counter

from django.contrib import admin
from django.db import transaction

from alignment.admin import AuditedAdmin
from alignment.models import AuditArea
from feedback.models import FeedbackItem, FeedbackReply, PainTheme, Verdict
from feedback.rollup import lead_bad_reasons_refresh, reason_day_rows_of, reason_days_apply
from leads.admin import LeadAdmin
from leads.models import Lead


class LeadWithFeedbackAdmin(LeadAdmin):
    """The leads floor's admin, whose deletion also takes the leads' items out of the scorecard's
    roll-up (the leads floor knows nothing of feedback, so the extension lives here). The items are
    read before the leads go, and taken out after the dashboard's roll-up, in the order the
    services write the two, so a deletion and a verdict never wait for each other's rows."""

    @transaction.atomic
    def delete_model(self, request, obj):
        items = reason_day_rows_of(FeedbackItem.objects.filter(lead=obj.pk))
        super().delete_model(request, obj)
        reason_days_apply(before=items, after=Counter())

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        items = reason_day_rows_of(FeedbackItem.objects.filter(lead__in=queryset))
        super().delete_queryset(request, queryset)
        reason_days_apply(before=items, after=Counter())


admin.site.unregister(Lead)
admin.site.register(Lead, LeadWithFeedbackAdmin)


@admin.register(PainTheme)
class PainThemeAdmin(AuditedAdmin):
    audit_area = AuditArea.PAIN_THEME
    audit_fields = ("code", "label", "active")
    list_display = ["label", "code", "active", "position"]
    list_editable = ["active", "position"]
    search_fields = ["label", "code"]

    def has_delete_permission(self, request, obj=None):
        # Verdicts point at their themes: retire a theme instead.
        return False


@admin.register(Verdict)
class VerdictAdmin(admin.ModelAdmin):
    list_display = ["lead", "verdict", "reason", "rep", "current", "created_at"]
    list_filter = ["verdict", "current", "reason"]
    list_select_related = ["lead", "reason", "rep"]
    raw_id_fields = ["lead", "rep"]
    search_fields = ["lead__email", "lead__company", "note", "pain_points"]
    # What the figures count — which lead, the verdict, its themes, whether it stands, its day — is
    # the verdict service's to change (the lead carries it and the roll-ups sum it); the rep's words
    # stay editable here.
    readonly_fields = ["lead", "rep", "verdict", "reason", "pain_themes", "current", "created_at"]

    def has_add_permission(self, request):
        return False


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

    # An item's lead, kind or reason changed here, or the item deleted: its count moves in the
    # scorecard's roll-up, and the leads it was and is on carry their bad reasons anew.
    @transaction.atomic
    def save_model(self, request, obj, form, change):
        stored = FeedbackItem.objects.filter(pk=obj.pk)
        was = stored.values_list("lead_id", flat=True).first() if change else None
        before = reason_day_rows_of(stored) if change else Counter()
        super().save_model(request, obj, form, change)
        # By its id now: an item added here had none before.
        reason_days_apply(before=before, after=reason_day_rows_of(FeedbackItem.objects.filter(pk=obj.pk)))
        lead_bad_reasons_refresh({obj.lead_id, was} - {None})

    @transaction.atomic
    def delete_model(self, request, obj):
        lead_id, before = obj.lead_id, reason_day_rows_of(FeedbackItem.objects.filter(pk=obj.pk))
        super().delete_model(request, obj)
        reason_days_apply(before=before, after=Counter())
        lead_bad_reasons_refresh([lead_id])

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        lead_ids = set(queryset.values_list("lead_id", flat=True))
        before = reason_day_rows_of(FeedbackItem.objects.filter(pk__in=queryset.values("pk")))
        super().delete_queryset(request, queryset)
        reason_days_apply(before=before, after=Counter())
        lead_bad_reasons_refresh(lead_ids)
