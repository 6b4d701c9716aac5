"""The leads app's URLs: its pages under /leads/ (the list, capture, import, a lead and the actions
on it) and its API (`api_urlpatterns`, mounted under /api/ by the project's URLs). The lead pages
that reach into feedback (outcomes that tell marketing, bulk actions, merge) are feedback's URLs.
"""

from django.urls import path

from leads import import_views, routing_rule_views, views
from leads.apis import capture, imports, lifecycle, public_form, routing_rules

app_name = "leads"

urlpatterns = [
    path("", views.lead_list, name="list"),
    path("new/", views.lead_create, name="new"),
    path("import/", import_views.lead_import, name="import"),
    path("import/<int:pk>/", import_views.lead_import_detail, name="import-detail"),
    path("import/<int:pk>/progress/", import_views.lead_import_progress, name="import-progress"),
    path("import/<int:pk>/retry/", import_views.lead_import_retry, name="import-retry"),
    path("import/<int:pk>/failed-rows.csv", import_views.lead_import_failed_rows, name="import-failed-rows"),
    path("routing-rules/", routing_rule_views.routing_rule_list, name="routing-rules"),
    path("routing-rules/<int:pk>/", routing_rule_views.routing_rule_edit, name="routing-rule-edit"),
    path("routing-rules/<int:pk>/delete/", routing_rule_views.routing_rule_delete, name="routing-rule-delete"),
    path("<int:pk>/", views.lead_detail, name="detail"),
    path("<int:pk>/edit/", views.lead_edit, name="edit"),
    path("<int:pk>/handoff/", views.lead_hand_off, name="hand-off"),
    path("<int:pk>/accept/", views.lead_accept, name="accept"),
    path("<int:pk>/activity/", views.lead_log_activity, name="activity"),
    path("<int:pk>/qualify/", views.lead_qualify, name="qualify"),
    path("<int:pk>/recycle/", views.lead_recycle, name="recycle"),
    path("<int:pk>/snooze/", views.lead_snooze, name="snooze"),
]

api_urlpatterns = [
    path("leads/", capture.LeadListApi.as_view(), name="lead-list"),
    path("leads/bulk/", capture.LeadBulkApi.as_view(), name="lead-bulk"),
    path("leads/import/", imports.ImportJobCreateApi.as_view(), name="import-create"),
    path("leads/import/<int:pk>/", imports.ImportJobDetailApi.as_view(), name="import-detail"),
    path("leads/import/<int:pk>/failed-rows/", imports.ImportFailedRowsApi.as_view(), name="import-failed-rows"),
    path("leads/<int:pk>/", capture.LeadDetailApi.as_view(), name="lead-detail"),
    path("leads/<int:pk>/handoff/", lifecycle.LeadHandOffApi.as_view(), name="lead-hand-off"),
    path("leads/<int:pk>/accept/", lifecycle.LeadAcceptApi.as_view(), name="lead-accept"),
    path("leads/<int:pk>/activity/", lifecycle.LeadActivityApi.as_view(), name="lead-activity"),
    path("leads/<int:pk>/qualify/", lifecycle.LeadQualifyApi.as_view(), name="lead-qualify"),
    path("leads/<int:pk>/recycle/", lifecycle.LeadRecycleApi.as_view(), name="lead-recycle"),
    path("leads/<int:pk>/snooze/", lifecycle.LeadSnoozeApi.as_view(), name="lead-snooze"),
    path("campaigns/", capture.CampaignListApi.as_view(), name="campaign-list"),
    path("routing-rules/", routing_rules.RoutingRuleListApi.as_view(), name="routing-rule-list"),
    path("routing-rules/<int:pk>/", routing_rules.RoutingRuleDetailApi.as_view(), name="routing-rule-detail"),
    path("capture/<str:form_key>/", public_form.PublicCaptureApi.as_view(), name="capture"),
]
