"""Django admin for people, teams, territories, verticals and the shared settings.

Staff manage people here. Lists select their foreign keys in the same query (no query per row);
big foreign keys use autocomplete or raw ids.
"""

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from alignment.audit import audit_diff, audit_record, audit_snapshot
from alignment.countries import CountrySelectAdmin
from alignment.models import (
    AuditArea,
    AuditEntry,
    IdempotencyRecord,
    Notification,
    Role,
    SlaSettings,
    Team,
    Territory,
    User,
    Vertical,
)


class AuditedAdmin(admin.ModelAdmin):
    """Changes made here land in the audit log like the same changes made on the product's pages:
    the fields in `audit_fields` before and after, many-to-many ones included (hence `save_related`)."""

    audit_area = ""
    audit_fields = ()

    def save_model(self, request, obj, form, change):
        before = audit_snapshot(type(obj).objects.get(pk=obj.pk), self.audit_fields) if change else {}
        super().save_model(request, obj, form, change)
        form._audit_before = before

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj = form.instance
        changes = audit_diff(getattr(form, "_audit_before", {}), audit_snapshot(obj, self.audit_fields))
        action = "changed" if change else "created"
        audit_record(actor=request.user, area=self.audit_area, action=action, target=obj, changes=changes)

    def delete_model(self, request, obj):
        audit_record(actor=request.user, area=self.audit_area, action="deleted", target=obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            audit_record(actor=request.user, area=self.audit_area, action="deleted", target=obj)
        super().delete_queryset(request, queryset)


@admin.register(User)
class UserAdmin(AuditedAdmin, DjangoUserAdmin):
    audit_area = AuditArea.ROLE
    audit_fields = (
        "role",
        "team",
        "is_active",
        "is_staff",
        "territories",
        "verticals",
        "available",
        "monthly_capacity",
    )
    list_display = ["username", "email", "first_name", "last_name", "role", "team", "available", "is_active"]
    list_filter = ["role", "team", "available", "is_active", "is_staff"]
    list_select_related = ["team"]
    search_fields = ["username", "email", "first_name", "last_name"]
    filter_horizontal = ["territories", "verticals", "groups", "user_permissions"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (
            "Alignment",
            {"fields": ("role", "team", "territories", "verticals", "available", "monthly_capacity")},
        ),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        ("Alignment", {"fields": ("role", "team", "email", "first_name", "last_name")}),
    )


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


@admin.register(Territory)
class TerritoryAdmin(CountrySelectAdmin):
    list_display = ["country", "region"]
    list_filter = ["country"]
    search_fields = ["country", "region"]


@admin.register(Vertical)
class VerticalAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


@admin.register(SlaSettings)
class SlaSettingsAdmin(AuditedAdmin):
    audit_area = AuditArea.SLA
    audit_fields = (
        "sla_accept_hours",
        "cold_after_days",
        "escalate_after_hours",
        "feedback_response_days",
        "business_hours",
        "holidays",
    )
    list_display = [
        "__str__",
        "sla_accept_hours",
        "cold_after_days",
        "escalate_after_hours",
        "updated_at",
        "updated_by",
    ]
    list_select_related = ["updated_by"]
    raw_id_fields = ["updated_by"]

    def has_add_permission(self, request):
        # One row: the thresholds everybody works to.
        return not SlaSettings.objects.exists()


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["recipient", "kind", "short_message", "read", "created_at", "email_sent_at"]
    list_filter = ["kind", "read"]
    list_select_related = ["recipient"]
    search_fields = ["message", "recipient__username"]
    raw_id_fields = ["recipient", "lead"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    @admin.display(description="message")
    def short_message(self, obj):
        return obj.message[:80]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the log is written by the changes themselves."""

    list_display = ["at", "actor", "area", "action", "target"]
    list_filter = ["area", "action"]
    list_select_related = ["actor"]
    search_fields = ["target", "actor__username"]
    date_hierarchy = "at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(admin.ModelAdmin):
    list_display = ["user", "key", "method", "path", "response_status", "created_at"]
    list_filter = ["method", "response_status"]
    list_select_related = ["user"]
    search_fields = ["key", "path", "user__username"]
    raw_id_fields = ["user"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- login lockouts -----------------------------------------------------------------------------
# Axes registers its access attempts for superusers; managers with staff status see them too and
# lift a lockout by deleting its attempt (or with the "delete selected" action).
admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class LockoutAdmin(AccessAttemptAdmin):
    def _is_manager(self, request):
        return request.user.is_active and request.user.is_staff and request.user.role == Role.MANAGER

    def has_module_permission(self, request):
        return self._is_manager(request) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._is_manager(request) or super().has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._is_manager(request) or super().has_delete_permission(request, obj)
