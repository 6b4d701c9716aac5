from django.contrib import admin

from planning.models import CampaignRequest


@admin.register(CampaignRequest)
class CampaignRequestAdmin(admin.ModelAdmin):
    """For looking things up: requests change state through the pages and the API, which tell
    the requester and the webhooks."""

    list_display = ["title", "status", "requester", "vertical", "country", "region", "created_at"]
    list_filter = ["status", "vertical"]
    list_select_related = ["requester", "vertical"]
    search_fields = ["title", "note"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
