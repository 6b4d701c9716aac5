from django.urls import path

from planning import campaign_views, meeting_views, plan_views, views
from planning.apis import campaigns as campaign_apis
from planning.apis import meetings as meeting_apis
from planning.apis import plan as plan_apis
from planning.apis import requests as request_apis

app_name = "planning"

urlpatterns = [
    path("requests/", views.request_list, name="requests"),
    path("requests/new/", views.request_new, name="request-new"),
    path("requests/<int:pk>/", views.request_detail, name="request"),
    path("requests/<int:pk>/<slug:action>/", views.request_action, name="request-action"),
    path("campaigns/new/", campaign_views.campaign_new, name="campaign-new"),
    path("campaigns/plan/", plan_views.campaign_plan, name="campaign-plan"),
    path("campaigns/plan/launch/", plan_views.campaign_plan_launch, name="campaign-plan-launch"),
    path("meetings/<int:pk>/items/", meeting_views.meeting_item_add, name="meeting-item-add"),
    path("meetings/<int:pk>/action-items/", meeting_views.action_item_add, name="action-item-add"),
    path("action-items/", meeting_views.action_item_list, name="action-items"),
    path("action-items/<int:pk>/done/", meeting_views.action_item_done, name="action-item-done"),
]

api_urlpatterns = [
    # Served before the leads floor's list of the same path, which this view extends with POST.
    path("campaigns/", campaign_apis.CampaignListCreateApi.as_view(), name="campaigns"),
    path("campaigns/plan/", plan_apis.CampaignPlanApi.as_view(), name="campaign-plan"),
    path("meetings/", meeting_apis.MeetingListApi.as_view(), name="meetings"),
    path("meetings/<int:pk>/items/", meeting_apis.MeetingItemCreateApi.as_view(), name="meeting-items"),
    path("action-items/", meeting_apis.ActionItemListApi.as_view(), name="action-items"),
    path("action-items/<int:pk>/", meeting_apis.ActionItemDetailApi.as_view(), name="action-item"),
    path("campaign-requests/", request_apis.CampaignRequestListApi.as_view(), name="requests"),
    path("campaign-requests/<int:pk>/", request_apis.CampaignRequestDetailApi.as_view(), name="request"),
    path("campaign-requests/<int:pk>/accept/", request_apis.CampaignRequestAcceptApi.as_view(), name="request-accept"),
    path(
        "campaign-requests/<int:pk>/decline/", request_apis.CampaignRequestDeclineApi.as_view(), name="request-decline"
    ),
    path("campaign-requests/<int:pk>/start/", request_apis.CampaignRequestStartApi.as_view(), name="request-start"),
    path(
        "campaign-requests/<int:pk>/deliver/", request_apis.CampaignRequestDeliverApi.as_view(), name="request-deliver"
    ),
]
