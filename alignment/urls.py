"""The project's URLs: the base floor's own pages and API (sign-in, health, notifications, webhooks,
the API schema and docs), and every app's URLs mounted where they live: /leads/, /feedback/, the
top floor's pages at the root, and each app's API under /api/.
"""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from alignment import apis, live_apis, live_views, notification_apis, notification_views, oidc, views
from alignment.rest import api_not_found
from alignment.webhooks import apis as webhook_apis
from alignment.webhooks import views as webhook_views
from dashboard import urls as dashboard_urls
from feedback import urls as feedback_urls
from leads import urls as leads_urls
from planning import urls as planning_urls
from scoring import urls as scoring_urls

api_patterns = [
    path("auth/token/", apis.TokenObtainApi.as_view(), name="token"),
    path("me/", apis.MeApi.as_view(), name="api-me"),
    # Served by the ASGI app as a long-lived stream (alignment.asgi); this is the WSGI answer.
    path("events/", live_apis.LiveEventsApi.as_view(), name="api-events"),
    path("webhooks/", webhook_apis.WebhookListApi.as_view(), name="api-webhooks"),
    path("webhooks/<int:pk>/", webhook_apis.WebhookDetailApi.as_view(), name="api-webhook"),
    path("webhooks/<int:pk>/ping/", webhook_apis.WebhookPingApi.as_view(), name="api-webhook-ping"),
    path("webhooks/<int:pk>/deliveries/", webhook_apis.WebhookDeliveryListApi.as_view(), name="api-webhook-deliveries"),
    path(
        "webhooks/<int:pk>/deliveries/<int:delivery_pk>/redeliver/",
        webhook_apis.WebhookRedeliverApi.as_view(),
        name="api-webhook-redeliver",
    ),
    path("notifications/", notification_apis.NotificationListApi.as_view(), name="api-notifications"),
    path("notifications/<int:pk>/read/", notification_apis.NotificationReadApi.as_view(), name="api-notification-read"),
    path("", include((dashboard_urls.api_urlpatterns, "dashboard"), namespace="dashboard-api")),
    # Planning first: its `campaigns/` adds POST to the leads floor's list.
    path("", include((planning_urls.api_urlpatterns, "planning"), namespace="planning-api")),
    path("", include((leads_urls.api_urlpatterns, "leads"), namespace="leads-api")),
    path("", include((feedback_urls.api_urlpatterns, "feedback"), namespace="feedback-api")),
    path("", include((scoring_urls.api_urlpatterns, "scoring"), namespace="scoring-api")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    # Last: any other /api/ URL answers the JSON 404, even with DEBUG on.
    re_path(r"^.*$", api_not_found),
]

# The base's own pages, under the `alignment:` namespace.
alignment_pages = [
    path("notifications/", notification_views.notification_list, name="notifications"),
    path("notifications/bell/", live_views.notification_bell, name="notifications-bell"),
    path("notifications/read-all/", notification_views.notification_read_all, name="notifications-read-all"),
    path("notifications/<int:pk>/read/", notification_views.notification_read, name="notification-read"),
    path("notifications/<int:pk>/open/", notification_views.notification_open, name="notification-open"),
    path("settings/webhooks/", webhook_views.webhook_settings, name="webhook-settings"),
    path("settings/webhooks/<int:pk>/delete/", webhook_views.webhook_delete, name="webhook-delete"),
    path("settings/webhooks/<int:pk>/ping/", webhook_views.webhook_ping, name="webhook-ping"),
    path(
        "settings/webhooks/<int:pk>/deliveries/<int:delivery_pk>/",
        webhook_views.webhook_ping_status,
        name="webhook-ping-status",
    ),
    path(
        "settings/webhooks/<int:pk>/deliveries/<int:delivery_pk>/redeliver/",
        webhook_views.webhook_redeliver,
        name="webhook-redeliver",
    ),
    path("settings/audit/", views.audit_log, name="audit-log"),
    path("settings/sla/", notification_views.sla_settings_edit, name="sla-settings"),
    path("account/preferences/", notification_views.preferences_edit, name="preferences"),
]

# Feedback's pages under one namespace, `feedback:`: its own under /feedback/, and the lead outcomes
# that tell marketing on the lead pages' URLs (`feedback:lead-reject` is /leads/<id>/reject/).
feedback_pages = [
    path("leads/", include(feedback_urls.lead_urlpatterns)),
    path("feedback/", include(feedback_urls.urlpatterns)),
]

# Django's and the libraries' names stay un-namespaced: login, logout, password_*, the OIDC views
# (mozilla-django-oidc reverses them by these names), admin, schema and docs.
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/login/", views.admin_login),
    path("admin/", admin.site.urls),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("oidc/authenticate/", oidc.SignOnStartView.as_view(), name="oidc_authentication_init"),
    path("oidc/callback/", oidc.SignOnCallbackView.as_view(), name="oidc_authentication_callback"),
    path("api/", include(api_patterns)),
    path("leads/", include(leads_urls)),
    path("", include((feedback_pages, "feedback"))),
    path("scoring/", include(scoring_urls)),
    path("", include(planning_urls)),
    path("", include((alignment_pages, "alignment"))),
    # The role homes at "/" and the dashboard's pages (`dashboard:home`, `dashboard:dashboard`, …).
    path("", include(dashboard_urls)),
]

# Unknown URLs and crashes under /api/ answer in the API's JSON error shape.
handler404 = "alignment.rest.not_found"
handler500 = "alignment.rest.server_error"
