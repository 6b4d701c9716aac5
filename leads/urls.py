from django.urls import path

from leads import apis, views

app_name = "leads"

urlpatterns = [
    path("", views.lead_list, name="list"),
    path("new/", views.lead_create, name="new"),
    path("import/", views.lead_import, name="import"),
    path("import/<int:pk>/", views.lead_import_detail, name="import-detail"),
    path("import/<int:pk>/progress/", views.lead_import_progress, name="import-progress"),
    path("import/<int:pk>/retry/", views.lead_import_retry, name="import-retry"),
    path("<int:pk>/", views.lead_detail, name="detail"),
    path("<int:pk>/edit/", views.lead_edit, name="edit"),
    path("<int:pk>/handoff/", views.lead_hand_off, name="hand-off"),
    path("<int:pk>/accept/", views.lead_accept, name="accept"),
    path("<int:pk>/reject/", views.lead_reject, name="reject"),
    path("<int:pk>/activity/", views.lead_log_activity, name="activity"),
    path("<int:pk>/qualify/", views.lead_qualify, name="qualify"),
    path("<int:pk>/won/", views.lead_win, name="won"),
    path("<int:pk>/lost/", views.lead_lose, name="lost"),
    path("<int:pk>/recycle/", views.lead_recycle, name="recycle"),
    path("<int:pk>/snooze/", views.lead_snooze, name="snooze"),
]

api_urlpatterns = [
    path("leads/", apis.LeadListApi.as_view(), name="lead-list"),
    path("leads/bulk/", apis.LeadBulkApi.as_view(), name="lead-bulk"),
    path("leads/import/", apis.ImportJobCreateApi.as_view(), name="import-create"),
    path("leads/import/<int:pk>/", apis.ImportJobDetailApi.as_view(), name="import-detail"),
    path("leads/<int:pk>/", apis.LeadDetailApi.as_view(), name="lead-detail"),
    path("leads/<int:pk>/handoff/", apis.LeadHandOffApi.as_view(), name="lead-hand-off"),
    path("leads/<int:pk>/accept/", apis.LeadAcceptApi.as_view(), name="lead-accept"),
    path("leads/<int:pk>/reject/", apis.LeadRejectApi.as_view(), name="lead-reject"),
    path("leads/<int:pk>/activity/", apis.LeadActivityApi.as_view(), name="lead-activity"),
    path("leads/<int:pk>/qualify/", apis.LeadQualifyApi.as_view(), name="lead-qualify"),
    path("leads/<int:pk>/won/", apis.LeadWinApi.as_view(), name="lead-won"),
    path("leads/<int:pk>/lost/", apis.LeadLoseApi.as_view(), name="lead-lost"),
    path("leads/<int:pk>/recycle/", apis.LeadRecycleApi.as_view(), name="lead-recycle"),
    path("leads/<int:pk>/snooze/", apis.LeadSnoozeApi.as_view(), name="lead-snooze"),
    path("campaigns/", apis.CampaignListApi.as_view(), name="campaign-list"),
    path("capture/<str:form_key>/", apis.PublicCaptureApi.as_view(), name="capture"),
]
