"""The top floor's pages (namespace `dashboard:`; `dashboard:home` is the role home at "/") and its
API (`dashboard-api:`)."""

from django.urls import path

from dashboard import apis, live_views, views

app_name = "dashboard"

urlpatterns = [
    path("", views.home, name="home"),
    path("inbox/awaiting/", live_views.home_awaiting, name="home-awaiting"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/export/<slug:table>.csv", views.dashboard_export, name="export"),
    path("dashboard/goal/", views.revenue_goal, name="goal"),
    path("dashboard/digest/", views.dashboard_digest, name="digest"),
]

api_urlpatterns = [
    path("dashboard/", apis.DashboardApi.as_view(), name="dashboard"),
]
