"""Django admin for the revenue goals and the digest's deliveries."""

from django.contrib import admin

from dashboard.models import DigestDelivery, RevenueGoal


@admin.register(RevenueGoal)
class RevenueGoalAdmin(admin.ModelAdmin):
    list_display = ["period", "starts_on", "team", "amount", "current", "set_by", "set_at"]
    list_filter = ["period", "current", "team"]
    list_select_related = ["set_by", "team"]
    raw_id_fields = ["set_by"]


@admin.register(DigestDelivery)
class DigestDeliveryAdmin(admin.ModelAdmin):
    list_display = ["week", "member", "claimed_at", "sent_at"]
    list_filter = ["week"]
    list_select_related = ["member"]
    search_fields = ["member__username"]
    raw_id_fields = ["member"]
