"""The top floor's pages and API. Included without a namespace: their names (`home`, `dashboard`, …)
are the ones every page links to."""

from django.urls import path

from dashboard import apis, live_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("inbox/awaiting/", live_views.home_awaiting, name="home-awaiting"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/export/<slug:table>.csv", views.dashboard_export, name="dashboard-export"),
    path("dashboard/goal/", views.revenue_goal, name="dashboard-goal"),
    path("dashboard/digest/", views.dashboard_digest, name="dashboard-digest"),
]

api_urlpatterns = [
    path("dashboard/", apis.DashboardApi.as_view(), name="api-dashboard"),
]
