"""The top floor's pages and API. Included without a namespace: their names (`home`, `dashboard`, …)
are the ones every page links to."""

from django.urls import path

from dashboard import apis, meetings, views

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/export/<slug:table>.csv", views.dashboard_export, name="dashboard-export"),
    path("dashboard/goal/", views.revenue_goal, name="dashboard-goal"),
    path("dashboard/digest/", views.dashboard_digest, name="dashboard-digest"),
    path("meetings/", meetings.meeting_list, name="meetings"),
    path("meetings/current/", meetings.meeting_current, name="meeting-current"),
    path("meetings/<int:pk>/", meetings.meeting_detail, name="meeting"),
]

api_urlpatterns = [
    path("dashboard/", apis.DashboardApi.as_view(), name="api-dashboard"),
    path("meetings/<int:pk>/", meetings.MeetingDetailApi.as_view(), name="api-meeting"),
]
