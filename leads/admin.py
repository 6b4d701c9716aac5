"""Django admin for campaigns, leads and their records.

A lead's status, owner, attribution (campaign, source, marketer) and waterfall dates change only
through the services (the lifecycle's one table of transitions, which also keeps the dashboard's
daily roll-up in step), so here they are read-only, and deleting leads takes them out of the
roll-up. Handoffs, timeline events, touches, imports, cold episodes and reminders are records of
what happened and are read-only too.
"""

from django.contrib import admin
from django.db import transaction
from django.db.models.functions import Length

from alignment.admin import AuditedAdmin
from alignment.countries import CountrySelectAdmin
from alignment.models import AuditArea
from leads.models import (
    LEAD_DATA_FIELDS,
    Campaign,
    ColdEpisode,
    Handoff,
    ImportChunk,
    ImportJob,
    Lead,
    LeadEvent,
    ReasonCode,
    Reminder,
    RoutingRule,
    Touch,
)
from leads.rollup import lead_days_remove
from leads.theme_rollup import theme_day_rows, theme_days_apply, theme_days_remove


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "source", "owner", "cost", "active", "created_at"]
    list_filter = ["source", "active"]
    list_select_related = ["owner"]
    search_fields = ["name"]
    autocomplete_fields = ["owner"]
    readonly_fields = ["form_key", "created_at"]


class HandoffInline(ReadOnlyInline):
    model = Handoff
    fk_name = "lead"
    fields = ["created_at", "by", "to_rep", "outcome", "sla_due_at", "ended_at", "routing_reason"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by", "to_rep")


class LeadEventInline(ReadOnlyInline):
    model = LeadEvent
    fields = ["at", "kind", "from_status", "to_status", "actor", "note"]
    readonly_fields = fields
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.register(Lead)
class LeadAdmin(CountrySelectAdmin):
    list_display = ["email", "name", "company", "status", "owner", "campaign", "touch_count", "captured_at"]
    list_filter = ["status", "source", "campaign", "country"]
    list_select_related = ["owner", "campaign"]
    search_fields = ["email", "name", "company"]
    autocomplete_fields = ["industry"]
    date_hierarchy = "captured_at"
    show_full_result_count = False
    # Only the lead's data (`LEAD_DATA_FIELDS`) is edited here; the rest is the services' to change.
    # (The merge fields stay editable, as they always were.)
    readonly_fields = [
        field.name
        for field in Lead._meta.concrete_fields
        if field.name not in {"id", "merged_into", "merged_at", *LEAD_DATA_FIELDS}
    ]
    inlines = [HandoffInline, LeadEventInline]

    def has_add_permission(self, request):
        # Capture goes through the form, the import, the API or the public form: it dedupes.
        return False

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        # A new vertical, country or region (or a merge set here) moves the lead's pain themes in
        # voice of sales' roll-up, as `lead_update` does.
        before = theme_day_rows(Lead.objects.select_for_update().get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        if before is not None:
            theme_days_apply(before=before, after=theme_day_rows(obj))

    @transaction.atomic
    def delete_model(self, request, obj):
        lead_days_remove(Lead.objects.filter(pk=obj.pk))
        theme_days_remove(Lead.objects.filter(pk=obj.pk))
        super().delete_model(request, obj)

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        lead_days_remove(queryset)
        theme_days_remove(queryset)
        super().delete_queryset(request, queryset)


@admin.register(Touch)
class TouchAdmin(ReadOnlyAdmin):
    list_display = ["lead", "campaign", "channel", "by", "at"]
    list_filter = ["channel", "campaign"]
    list_select_related = ["lead", "campaign", "by"]
    search_fields = ["lead__email"]
    raw_id_fields = ["lead", "by"]
    date_hierarchy = "at"
    show_full_result_count = False


@admin.register(RoutingRule)
class RoutingRuleAdmin(AuditedAdmin, CountrySelectAdmin):
    audit_area = AuditArea.ROUTING
    audit_fields = ("name", "priority", "country", "region", "vertical", "reps", "active")
    list_display = ["name", "priority", "country", "region", "vertical", "active", "turns", "last_rep"]
    list_editable = ["priority", "active"]
    list_filter = ["active", "country", "vertical"]
    list_select_related = ["vertical", "last_rep"]
    search_fields = ["name"]
    autocomplete_fields = ["vertical", "reps"]
    readonly_fields = ["turns", "last_rep"]


@admin.register(Handoff)
class HandoffAdmin(ReadOnlyAdmin):
    list_display = ["lead", "by", "to_rep", "outcome", "created_at", "sla_due_at", "routing_rule"]
    list_filter = ["outcome", "routing_rule"]
    list_select_related = ["lead", "by", "to_rep", "routing_rule"]
    search_fields = ["lead__email", "lead__company", "note"]
    raw_id_fields = ["lead", "by", "to_rep"]
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(LeadEvent)
class LeadEventAdmin(ReadOnlyAdmin):
    list_display = ["lead", "kind", "from_status", "to_status", "actor", "at"]
    list_filter = ["kind", "to_status"]
    list_select_related = ["lead", "actor"]
    search_fields = ["lead__email", "note"]
    raw_id_fields = ["lead", "actor"]
    date_hierarchy = "at"
    show_full_result_count = False


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = ["filename", "campaign", "by", "status", "rows_created", "rows_duplicate", "rows_failed"]
    list_display += ["created_at", "finished_at"]
    list_filter = ["status", "campaign"]
    list_select_related = ["campaign", "by"]
    search_fields = ["filename", "by__username"]
    raw_id_fields = ["by", "campaign"]
    show_full_result_count = False


@admin.register(ImportChunk)
class ImportChunkAdmin(ReadOnlyAdmin):
    list_display = ["job", "seq", "size"]
    list_select_related = ["job"]
    raw_id_fields = ["job"]
    exclude = ["data"]
    show_full_result_count = False

    def get_queryset(self, request):
        # The chunk's bytes stay in the database: only their length is read.
        return super().get_queryset(request).defer("data").annotate(size_bytes=Length("data"))

    @admin.display(description="bytes", ordering="size_bytes")
    def size(self, obj):
        return obj.size_bytes


@admin.register(ColdEpisode)
class ColdEpisodeAdmin(ReadOnlyAdmin):
    list_display = ["lead", "reason", "cold_since", "opened_at", "closed_at"]
    list_filter = ["reason"]
    list_select_related = ["lead"]
    search_fields = ["lead__email"]
    raw_id_fields = ["lead"]
    date_hierarchy = "opened_at"
    show_full_result_count = False


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = ["episode", "level", "created_at"]
    list_filter = ["level"]
    list_select_related = ["episode", "episode__lead"]
    raw_id_fields = ["episode"]
    show_full_result_count = False


@admin.register(ReasonCode)
class ReasonCodeAdmin(AuditedAdmin):
    audit_area = AuditArea.REASON_CODE
    audit_fields = ("code", "label", "active")
    list_display = ["label", "code", "active", "position"]
    list_editable = ["active", "position"]
    search_fields = ["label", "code"]

    def has_delete_permission(self, request, obj=None):
        # Verdicts, rejections and losses point at their code: retire it instead.
        return False
