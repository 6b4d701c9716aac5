"""The top floor's pages (namespace `dashboard:`; `dashboard:home` is the role home at "/") and its
API (`dashboard-api:`)."""

from django.urls import path

from dashboard import apis, live_views, meetings, views

app_name = "dashboard"

urlpatterns = [
    path("", views.home, name="home"),
    path("inbox/awaiting/", live_views.home_awaiting, name="home-awaiting"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/export/<slug:table>.csv", views.dashboard_export, name="export"),
    path("dashboard/goal/", views.revenue_goal, name="goal"),
    path("dashboard/digest/", views.dashboard_digest, name="digest"),
    path("meetings/", meetings.meeting_list, name="meetings"),
    path("meetings/current/", meetings.meeting_current, name="meeting-current"),
    path("meetings/<int:pk>/", meetings.meeting_detail, name="meeting"),
]

api_urlpatterns = [
    path("dashboard/", apis.DashboardApi.as_view(), name="dashboard"),
    path("meetings/<int:pk>/", meetings.MeetingDetailApi.as_view(), name="meeting"),
]
