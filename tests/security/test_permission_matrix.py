"""Who may reach what, proven from outside, for every route the URL configuration has.

The route table below is walked against `alignment.urls`: a route without a rule here fails the test,
so a new endpoint cannot ship without saying who may use it. Each route is requested by anonymous,
two marketers, two reps and a manager, on objects that belong to marketer A and rep A ("own" for
them, someone else's for marketer B and rep B). Writes carry a body that would be valid and run in a
savepoint that is rolled back, so every actor meets the same fresh objects.

Expectations per actor, in the order marketer A, marketer B, rep A, rep B, manager:
`ok` is a 2xx or a redirect that is not to the login page, `login` a redirect to it; `403` and
`404` are those statuses exactly. Anonymous is derived: a 401/403 JSON answer under /api/, a redirect to the login page
elsewhere, unless the route is on the public allow-list with its own expectation.
"""

import io
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from feedback.models import PainTheme

ACTORS = ("marketer_a", "marketer_b", "rep_a", "rep_b", "manager")
LOGIN = reverse("login")


def csv_upload():
    upload = io.BytesIO(b"email,name\nnew.person@prospect.test,New Person\n")
    upload.name = "leads.csv"
    return upload


@dataclass
class Rule:
    """How to call one route, and what each actor gets. `expect` lists marketer A, marketer B,
    rep A, rep B and manager; `anonymous` is set only for public routes."""

    method: str
    url: object  # World -> str
    expect: str
    body: object = None  # World -> dict, a valid body
    anonymous: str | None = None  # the outcome for anonymous, on public routes only
    json: bool = True
    fmt: str = "json"

    def expected(self):
        return dict(zip(ACTORS, self.expect.split(), strict=True))


def api(method, url, expect, body=None, **kwargs):
    return Rule(method, url, expect, body, **kwargs)


def page(method, url, expect, body=None, **kwargs):
    return Rule(method, url, expect, body, json=False, fmt="form", **kwargs)


def empty(w):
    return {}


def lead_url(attr, suffix=""):
    return lambda w, prefix="/api/leads/": f"{prefix}{getattr(w, attr).pk}/{suffix}"


# Routes whose only guard is Django's admin (staff only): one rule covers the whole admin site.
ADMIN_PREFIX = "admin/"

# Route (its name, namespaced, or its pattern when it has none) -> the rule.
RULES = {
    # --- public: anyone may call them -----------------------------------------------------
    "healthz": Rule("GET", lambda w: "/healthz", "ok ok ok ok ok", anonymous="ok", json=True),
    "login": page("GET", lambda w: LOGIN, "ok ok ok ok ok", anonymous="ok"),
    "logout": page("POST", lambda w: reverse("logout"), "login login login login login", anonymous="login"),
    "password_reset": page("GET", lambda w: reverse("password_reset"), "ok ok ok ok ok", anonymous="ok"),
    "password_reset_done": page("GET", lambda w: reverse("password_reset_done"), "ok ok ok ok ok", anonymous="ok"),
    "password_reset_confirm": page(
        "GET",
        lambda w: reverse("password_reset_confirm", args=["MQ", "set-password"]),
        "ok ok ok ok ok",
        anonymous="ok",
    ),
    "password_reset_complete": page(
        "GET", lambda w: reverse("password_reset_complete"), "ok ok ok ok ok", anonymous="ok"
    ),
    "token": api(
        "POST",
        lambda w: "/api/auth/token/",
        "ok ok ok ok ok",
        lambda w: {"username": w.users["rep_a"].username, "password": "pw"},
        anonymous="ok",
    ),
    "leads-api:capture": api(
        "POST",
        lambda w: f"/api/capture/{w.campaign.form_key}/",
        "ok ok ok ok ok",
        lambda w: {"email": "web.form@prospect.test"},
        anonymous="ok",
    ),
    "schema": api("GET", lambda w: "/api/schema/", "ok ok ok ok ok", anonymous="ok"),
    "docs": page("GET", lambda w: "/api/docs/", "ok ok ok ok ok", anonymous="ok"),
    # The catch-all under /api/: a JSON 404 for anyone.
    "^.*$": api("GET", lambda w: "/api/no-such-endpoint/", "404 404 404 404 404", anonymous="404"),
    # --- signed in -----------------------------------------------------------------------
    "password_change": page("GET", lambda w: reverse("password_change"), "ok ok ok ok ok"),
    "password_change_done": page("GET", lambda w: reverse("password_change_done"), "ok ok ok ok ok"),
    "api-me": api("GET", lambda w: "/api/me/", "ok ok ok ok ok"),
    "api-events": api("GET", lambda w: "/api/events/", "ok ok ok ok ok"),
    "leads-api:routing-rule-list": api("GET", lambda w: "/api/routing-rules/", "403 403 403 403 ok"),
    "leads-api:routing-rule-detail": api(
        "GET", lambda w: f"/api/routing-rules/{w.routing_rule.pk}/", "403 403 403 403 ok"
    ),
    "dashboard-api:dashboard": api("GET", lambda w: "/api/dashboard/", "ok ok ok ok ok"),
    "api-notifications": api("GET", lambda w: "/api/notifications/", "ok ok ok ok ok"),
    "api-notification-read": api(
        "POST", lambda w: f"/api/notifications/{w.notification.pk}/read/", "404 404 ok 404 404", lambda w: {}
    ),
    # webhooks: managers only
    "api-webhooks": api("GET", lambda w: "/api/webhooks/", "403 403 403 403 ok"),
    "api-webhook": api(
        "PATCH", lambda w: f"/api/webhooks/{w.webhook.pk}/", "403 403 403 403 ok", lambda w: {"description": "CRM"}
    ),
    "api-webhook-ping": api(
        "POST", lambda w: f"/api/webhooks/{w.webhook.pk}/ping/", "403 403 403 403 ok", lambda w: {}
    ),
    "api-webhook-deliveries": api("GET", lambda w: f"/api/webhooks/{w.webhook.pk}/deliveries/", "403 403 403 403 ok"),
    "api-webhook-redeliver": api(
        "POST",
        lambda w: f"/api/webhooks/{w.webhook.pk}/deliveries/{w.delivery.pk}/redeliver/",
        "403 403 403 403 ok",
        empty,
    ),
    # leads
    "leads-api:lead-list": api(
        "POST",
        lambda w: "/api/leads/",
        "ok ok 403 403 ok",
        lambda w: {"campaign": w.campaign.pk, "email": "captured@prospect.test"},
    ),
    "leads-api:lead-bulk": api(
        "POST",
        lambda w: "/api/leads/bulk/",
        "ok ok 403 403 ok",
        lambda w: {"leads": [{"campaign": w.campaign.pk, "email": "bulk@prospect.test"}]},
    ),
    "leads-api:import-create": api(
        "POST",
        lambda w: "/api/leads/import/",
        "ok ok 403 403 ok",
        lambda w: {"campaign": w.campaign.pk, "file": csv_upload()},
        fmt="multipart",
    ),
    "leads-api:import-detail": api("GET", lambda w: f"/api/leads/import/{w.job.pk}/", "ok 404 404 404 ok"),
    "leads-api:import-failed-rows": api(
        "GET", lambda w: f"/api/leads/import/{w.job.pk}/failed-rows/", "ok 404 404 404 ok"
    ),
    "leads-api:lead-detail": api("GET", lead_url("accepted_lead"), "ok ok ok 404 ok"),
    "leads-api:lead-hand-off": api(
        "POST", lead_url("new_lead", "handoff/"), "ok ok 403 403 ok", lambda w: {"note": "Wants a demo."}
    ),
    "leads-api:lead-accept": api("POST", lead_url("handed_lead", "accept/"), "403 403 ok 404 403", empty),
    "feedback-api:lead-reject": api(
        "POST", lead_url("handed_lead", "reject/"), "403 403 ok 404 403", lambda w: {"reason": "not_icp"}
    ),
    "leads-api:lead-activity": api(
        "POST", lead_url("accepted_lead", "activity/"), "403 403 ok 404 403", lambda w: {"kind": "call"}
    ),
    "leads-api:lead-qualify": api("POST", lead_url("accepted_lead", "qualify/"), "403 403 ok 404 403", empty),
    "leads-api:lead-snooze": api(
        "POST",
        lead_url("accepted_lead", "snooze/"),
        "403 403 ok 404 403",
        lambda w: {"until": (timezone.now() + timedelta(days=30)).isoformat(), "reason": "On leave."},
    ),
    "feedback-api:lead-won": api(
        "POST", lead_url("qualified_lead", "won/"), "403 403 ok 404 403", lambda w: {"amount": "1000.00"}
    ),
    "feedback-api:lead-lost": api(
        "POST", lead_url("accepted_lead", "lost/"), "403 403 ok 404 403", lambda w: {"reason": "no_budget"}
    ),
    "feedback-api:verdict": api(
        "POST",
        lead_url("accepted_lead", "verdict/"),
        "403 403 ok 404 403",
        lambda w: {"verdict": "bad", "reason": "no_budget"},
    ),
    "leads-api:lead-recycle": api(
        "POST", lead_url("accepted_lead", "recycle/"), "ok ok 403 403 ok", lambda w: {"reason": "Next year."}
    ),
    "feedback-api:request": api(
        "POST",
        lead_url("accepted_lead", "feedback-request/"),
        "ok ok 403 403 403",
        lambda w: {"note": "How did it go?"},
    ),
    "leads-api:campaign-list": api("GET", lambda w: "/api/campaigns/", "ok ok 403 403 ok"),
    # feedback
    "feedback-api:queue": api("GET", lambda w: "/api/feedback/", "ok ok ok ok ok"),
    "feedback-api:campaigns": api("GET", lambda w: "/api/feedback/campaigns/", "ok ok 403 403 ok"),
    "feedback-api:insights": api("GET", lambda w: "/api/feedback/insights/", "ok ok 403 403 ok"),
    "feedback-api:reasons": api("GET", lambda w: "/api/feedback/reasons/", "ok ok ok ok ok"),
    "feedback-api:item": api("GET", lambda w: f"/api/feedback/{w.item.pk}/", "ok 404 ok 404 ok"),
    "feedback-api:replies": api(
        "POST", lambda w: f"/api/feedback/{w.item.pk}/replies/", "ok 404 ok 404 ok", lambda w: {"body": "Thanks."}
    ),
    "feedback-api:resolve": api(
        "POST",
        lambda w: f"/api/feedback/{w.item.pk}/resolve/",
        "ok 404 403 403 ok",
        lambda w: {"resolution": "disputed", "note": "They are in our ICP."},
    ),
    # --- pages -----------------------------------------------------------------------------
    "dashboard:home": page("GET", lambda w: "/", "ok ok ok ok ok"),
    "leads:list": page("GET", lambda w: "/leads/", "ok ok ok ok ok"),
    "leads:routing-rules": page(
        "POST", lambda w: "/leads/routing-rules/", "403 403 403 403 ok", lambda w: {"name": "Nordics", "active": "on"}
    ),
    "leads:routing-rule-edit": page(
        "POST",
        lambda w: f"/leads/routing-rules/{w.routing_rule.pk}/",
        "403 403 403 403 ok",
        lambda w: {"name": "Renamed rule", "countries": "DE"},
    ),
    "leads:routing-rule-delete": page(
        "POST", lambda w: f"/leads/routing-rules/{w.routing_rule.pk}/delete/", "403 403 403 403 ok", empty
    ),
    "leads:new": page(
        "POST",
        lambda w: "/leads/new/",
        "ok ok 403 403 ok",
        lambda w: {"campaign": w.campaign.pk, "source": "web", "email": "page@prospect.test"},
    ),
    "leads:import": page("GET", lambda w: "/leads/import/", "ok ok 403 403 ok"),
    "leads:import-detail": page("GET", lambda w: f"/leads/import/{w.job.pk}/", "ok 404 404 404 ok"),
    "leads:import-progress": page("GET", lambda w: f"/leads/import/{w.job.pk}/progress/", "ok 404 404 404 ok"),
    "leads:import-retry": page("POST", lambda w: f"/leads/import/{w.job.pk}/retry/", "ok 404 404 404 ok", empty),
    "leads:import-failed-rows": page("GET", lambda w: f"/leads/import/{w.job.pk}/failed-rows.csv", "ok 404 404 404 ok"),
    "leads:detail": page("GET", lambda w: f"/leads/{w.accepted_lead.pk}/", "ok ok ok 404 ok"),
    "leads:edit": page("GET", lambda w: f"/leads/{w.accepted_lead.pk}/edit/", "ok ok 403 404 ok"),
    "leads:hand-off": page(
        "POST", lambda w: f"/leads/{w.new_lead.pk}/handoff/", "ok ok 404 404 ok", lambda w: {"note": "Wants a demo."}
    ),
    "leads:accept": page("POST", lambda w: f"/leads/{w.handed_lead.pk}/accept/", "403 403 ok 404 403", empty),
    "feedback:lead-reject": page(
        "POST", lambda w: f"/leads/{w.handed_lead.pk}/reject/", "403 403 ok 404 403", lambda w: {"reason": "not_icp"}
    ),
    "leads:activity": page(
        "POST", lambda w: f"/leads/{w.accepted_lead.pk}/activity/", "403 403 ok 404 403", lambda w: {"kind": "call"}
    ),
    "leads:qualify": page("POST", lambda w: f"/leads/{w.accepted_lead.pk}/qualify/", "403 403 ok 404 403", empty),
    "leads:snooze": page(
        "POST",
        lambda w: f"/leads/{w.accepted_lead.pk}/snooze/",
        "403 403 ok 404 403",
        lambda w: {
            "until": (timezone.localtime() + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M"),
            "reason": "On leave.",
        },
    ),
    "feedback:lead-won": page(
        "POST", lambda w: f"/leads/{w.qualified_lead.pk}/won/", "403 403 ok 404 403", lambda w: {"amount": "1000.00"}
    ),
    "feedback:lead-lost": page(
        "POST", lambda w: f"/leads/{w.accepted_lead.pk}/lost/", "403 403 ok 404 403", lambda w: {"reason": "no_budget"}
    ),
    "feedback:verdict": page(
        "POST",
        lambda w: f"/feedback/leads/{w.accepted_lead.pk}/verdict/",
        "403 403 ok 404 403",
        lambda w: {"verdict": "bad", "reason": "no_budget"},
    ),
    "leads:recycle": page(
        "POST", lambda w: f"/leads/{w.accepted_lead.pk}/recycle/", "ok ok 403 404 ok", lambda w: {"reason": "Later."}
    ),
    "feedback:request": page(
        "POST",
        lambda w: f"/feedback/leads/{w.accepted_lead.pk}/request/",
        "ok ok 403 404 403",
        lambda w: {"note": "How did it go?"},
    ),
    "feedback:queue": page("GET", lambda w: "/feedback/", "ok ok ok ok ok"),
    "feedback:item": page("GET", lambda w: f"/feedback/{w.item.pk}/", "ok 404 ok 404 ok"),
    "feedback:reply": page(
        "POST", lambda w: f"/feedback/{w.item.pk}/reply/", "ok 404 ok 404 ok", lambda w: {"body": "Thanks."}
    ),
    "feedback:resolve": page(
        "POST",
        lambda w: f"/feedback/{w.item.pk}/resolve/",
        "ok 404 403 403 ok",
        lambda w: {"resolution": "disputed", "note": "They are in our ICP."},
    ),
    "feedback:campaigns": page("GET", lambda w: "/feedback/campaigns/", "ok ok 403 403 ok"),
    "feedback:insights": page("GET", lambda w: "/feedback/insights/", "ok ok 403 403 ok"),
    "feedback:reasons": page("GET", lambda w: "/feedback/reasons/", "403 403 403 403 ok"),
    "feedback:pain-themes": page("GET", lambda w: "/feedback/pain-themes/", "403 403 403 403 ok"),
    "feedback:pain-theme-edit": page(
        "POST",
        lambda w: f"/feedback/pain-themes/{PainTheme.objects.get(code='price').pk}/",
        "403 403 403 403 ok",
        lambda w: {"action": "rename", "label": "Price and budget"},
    ),
    "feedback:reason-edit": page(
        "POST",
        lambda w: f"/feedback/reasons/{w.reason.pk}/",
        "403 403 403 403 ok",
        lambda w: {"action": "rename", "label": "No budget this year"},
    ),
    "alignment:notifications": page("GET", lambda w: "/notifications/", "ok ok ok ok ok"),
    "alignment:notifications-read-all": page("POST", lambda w: "/notifications/read-all/", "ok ok ok ok ok", empty),
    "alignment:notification-read": page(
        "POST", lambda w: f"/notifications/{w.notification.pk}/read/", "404 404 ok 404 404", empty
    ),
    "alignment:webhook-settings": page("GET", lambda w: "/settings/webhooks/", "403 403 403 403 ok"),
    "alignment:webhook-delete": page(
        "POST", lambda w: f"/settings/webhooks/{w.webhook.pk}/delete/", "403 403 403 403 ok", empty
    ),
    "alignment:webhook-redeliver": page(
        "POST",
        lambda w: f"/settings/webhooks/{w.webhook.pk}/deliveries/{w.delivery.pk}/redeliver/",
        "403 403 403 403 ok",
        empty,
    ),
    "alignment:webhook-ping": page(
        "POST", lambda w: f"/settings/webhooks/{w.webhook.pk}/ping/", "403 403 403 403 ok", empty
    ),
    "alignment:webhook-ping-status": page(
        "GET", lambda w: f"/settings/webhooks/{w.webhook.pk}/deliveries/{w.delivery.pk}/", "403 403 403 403 ok"
    ),
    "alignment:sla-settings": page("GET", lambda w: "/settings/sla/", "403 403 403 403 ok"),
    "alignment:audit-log": page("GET", lambda w: "/settings/audit/", "403 403 403 403 ok"),
    "alignment:preferences": page("GET", lambda w: "/account/preferences/", "ok ok ok ok ok"),
    "alignment:notifications-bell": page("GET", lambda w: "/notifications/bell/", "ok ok ok ok ok"),
    "dashboard:home-awaiting": page("GET", lambda w: "/inbox/awaiting/", "403 403 ok ok 403"),
    "alignment:notification-open": page(
        "GET", lambda w: f"/notifications/{w.notification.pk}/open/", "404 404 ok 404 404"
    ),
    "feedback:lead-personal-data": page(
        "GET", lambda w: f"/leads/{w.accepted_lead.pk}/personal-data/", "403 403 403 403 ok"
    ),
    "feedback:lead-erase": page("GET", lambda w: f"/leads/{w.accepted_lead.pk}/erase/", "403 403 403 403 ok"),
    "feedback:lead-bulk": page(
        "POST",
        lambda w: "/leads/bulk/",
        "ok ok 403 403 ok",
        lambda w: {"action": "hand_off", "ids": [w.new_lead.pk], "note": "Webinar attendees."},
    ),
    "feedback:lead-merge": page(
        "POST",
        lambda w: f"/leads/{w.accepted_lead.pk}/merge/",
        "ok ok 403 403 ok",
        lambda w: {"email": w.new_lead.email},
    ),
    "feedback-api:lead-bulk-action": api(
        "POST",
        lambda w: "/api/leads/bulk-action/",
        "ok ok 403 403 ok",
        lambda w: {"action": "hand_off", "ids": [w.new_lead.pk], "note": "Webinar attendees."},
    ),
    "feedback-api:lead-merge": api(
        "POST",
        lead_url("accepted_lead", "merge/"),
        "ok ok 403 403 ok",
        lambda w: {"other": w.new_lead.pk},
    ),
    # Single sign-on is not configured here: both ends answer 404 to everyone.
    "oidc_authentication_init": page("GET", lambda w: "/oidc/authenticate/", "404 404 404 404 404", anonymous="404"),
    "oidc_authentication_callback": page("GET", lambda w: "/oidc/callback/", "404 404 404 404 404", anonymous="404"),
    "dashboard:dashboard": page("GET", lambda w: "/dashboard/", "ok ok ok ok ok"),
    "dashboard:export": page("GET", lambda w: "/dashboard/export/funnel.csv", "ok ok ok ok ok"),
    "dashboard:goal": page(
        "POST",
        lambda w: "/dashboard/goal/",
        "403 403 403 403 ok",
        lambda w: {"period": "quarter", "starts_on": "2026-10-01", "amount": "100000"},
    ),
    "dashboard:digest": page("GET", lambda w: "/dashboard/digest/", "ok ok ok ok ok"),
    # the lead score: each lead's explanation for whoever sees the lead, the model for managers
    "scoring-api:lead-score": api("GET", lead_url("accepted_lead", "score/"), "ok ok ok 404 ok"),
    "scoring:lead-panel": page("GET", lambda w: f"/scoring/leads/{w.accepted_lead.pk}/", "ok ok ok 404 ok"),
    "scoring-api:model": api("GET", lambda w: "/api/scoring/", "403 403 403 403 ok"),
    "scoring:model": page("GET", lambda w: "/scoring/", "403 403 403 403 ok"),
    # campaign requests: reps and managers file; reps see their own, marketing and managers all
    "planning-api:requests": api(
        "POST",
        lambda w: "/api/campaign-requests/",
        "403 403 ok ok ok",
        lambda w: {
            "title": "Chains",
            "vertical": w.campaign_request.vertical_id,
            "territory": "DE",
            "goal_leads": 10,
            "needed_by": (timezone.localdate() + timedelta(days=9)).isoformat(),
        },
    ),
    "planning-api:request": api("GET", lambda w: f"/api/campaign-requests/{w.campaign_request.pk}/", "ok ok ok 404 ok"),
    "planning-api:request-accept": api(
        "POST", lambda w: f"/api/campaign-requests/{w.campaign_request.pk}/accept/", "ok ok 403 403 ok", empty
    ),
    "planning-api:request-decline": api(
        "POST",
        lambda w: f"/api/campaign-requests/{w.campaign_request.pk}/decline/",
        "ok ok 403 403 ok",
        lambda w: {"reason": "Covered already."},
    ),
    "planning-api:request-start": api(
        "POST", lambda w: f"/api/campaign-requests/{w.accepted_request.pk}/start/", "ok ok 403 403 ok", empty
    ),
    "planning-api:request-deliver": api(
        "POST",
        lambda w: f"/api/campaign-requests/{w.started_request.pk}/deliver/",
        "ok ok 403 403 ok",
        lambda w: {"campaign": w.campaign.pk},
    ),
    "planning-api:campaigns": api(
        "POST", lambda w: "/api/campaigns/", "ok ok 403 403 ok", lambda w: {"name": "Made here", "source": "web"}
    ),
    "planning:requests": page("GET", lambda w: "/requests/", "ok ok ok ok ok"),
    "planning:request-new": page("GET", lambda w: "/requests/new/", "403 403 ok ok ok"),
    "planning:request": page("GET", lambda w: f"/requests/{w.campaign_request.pk}/", "ok ok ok 404 ok"),
    "planning:request-action": page(
        "POST", lambda w: f"/requests/{w.campaign_request.pk}/accept/", "ok ok 403 403 ok", empty
    ),
    "planning:campaign-new": page("GET", lambda w: "/campaigns/new/", "ok ok 403 403 ok"),
    "planning:campaign-plan": page("GET", lambda w: "/campaigns/plan/", "ok ok 403 403 ok"),
    "planning:campaign-plan-launch": page(
        "POST", lambda w: "/campaigns/plan/launch/", "ok ok 403 403 ok", lambda w: {"key": "0:0:DE"}
    ),
    "planning-api:campaign-plan": api("GET", lambda w: "/api/campaigns/plan/", "ok ok 403 403 ok"),
    # meetings: everyone takes part; an action item is changed by its owner or a manager
    "dashboard:meetings": page("GET", lambda w: "/meetings/", "ok ok ok ok ok"),
    "dashboard:meeting-current": page("GET", lambda w: "/meetings/current/", "ok ok ok ok ok"),
    "dashboard:meeting": page("GET", lambda w: f"/meetings/{w.meeting.pk}/", "ok ok ok ok ok"),
    "dashboard-api:meeting": api("GET", lambda w: f"/api/meetings/{w.meeting.pk}/", "ok ok ok ok ok"),
    "planning-api:meetings": api("POST", lambda w: "/api/meetings/", "ok ok ok ok ok", empty),
    "planning-api:meeting-items": api(
        "POST",
        lambda w: f"/api/meetings/{w.meeting.pk}/items/",
        "ok ok ok ok ok",
        lambda w: {"kind": "note", "text": "x"},
    ),
    "planning:meeting-item-add": page(
        "POST", lambda w: f"/meetings/{w.meeting.pk}/items/", "ok ok ok ok ok", lambda w: {"kind": "note", "text": "x"}
    ),
    "planning-api:action-items": api(
        "POST",
        lambda w: "/api/action-items/",
        "ok ok ok ok ok",
        lambda w: {"title": "Follow up", "owner": w.users["rep_a"].pk, "due": timezone.localdate().isoformat()},
    ),
    "planning:action-item-add": page(
        "POST",
        lambda w: f"/meetings/{w.meeting.pk}/action-items/",
        "ok ok ok ok ok",
        lambda w: {"title": "Follow up", "owner": w.users["rep_a"].pk, "due": timezone.localdate().isoformat()},
    ),
    "planning-api:action-item": api(
        "PATCH", lambda w: f"/api/action-items/{w.action_item.pk}/", "403 403 ok 403 ok", lambda w: {"done": True}
    ),
    "planning:action-items": page("GET", lambda w: "/action-items/", "ok ok ok ok ok"),
    "planning:action-item-done": page(
        "POST", lambda w: f"/action-items/{w.action_item.pk}/done/", "403 403 ok 403 ok", lambda w: {"done": "true"}
    ),
    "feedback:themes": page("GET", lambda w: "/feedback/insights/themes/", "ok ok 403 403 ok"),
    "feedback:theme-leads": page(
        "GET", lambda w: "/feedback/insights/themes/leads/?theme=price&country=DE", "ok ok 403 403 ok"
    ),
}

# The same object through the page and through the API: both allow or both refuse, for everyone.
PAGE_AND_API = [
    ("leads:detail", "leads-api:lead-detail"),
    ("leads:new", "leads-api:lead-list"),
    ("leads:import", "leads-api:import-create"),
    ("leads:import-detail", "leads-api:import-detail"),
    ("leads:import-failed-rows", "leads-api:import-failed-rows"),
    ("leads:accept", "leads-api:lead-accept"),
    ("feedback:lead-reject", "feedback-api:lead-reject"),
    ("leads:activity", "leads-api:lead-activity"),
    ("leads:qualify", "leads-api:lead-qualify"),
    ("leads:snooze", "leads-api:lead-snooze"),
    ("feedback:lead-won", "feedback-api:lead-won"),
    ("feedback:lead-lost", "feedback-api:lead-lost"),
    ("feedback:verdict", "feedback-api:verdict"),
    ("leads:hand-off", "leads-api:lead-hand-off"),
    ("leads:recycle", "leads-api:lead-recycle"),
    ("feedback:request", "feedback-api:request"),
    ("feedback:queue", "feedback-api:queue"),
    ("feedback:item", "feedback-api:item"),
    ("feedback:reply", "feedback-api:replies"),
    ("feedback:resolve", "feedback-api:resolve"),
    ("feedback:campaigns", "feedback-api:campaigns"),
    ("feedback:insights", "feedback-api:insights"),
    ("alignment:notifications", "api-notifications"),
    ("alignment:notification-read", "api-notification-read"),
    ("alignment:webhook-settings", "api-webhooks"),
    ("alignment:webhook-redeliver", "api-webhook-redeliver"),
    ("alignment:webhook-ping", "api-webhook-ping"),
    ("dashboard:dashboard", "dashboard-api:dashboard"),
    ("scoring:lead-panel", "scoring-api:lead-score"),
    ("scoring:model", "scoring-api:model"),
    ("planning:request", "planning-api:request"),
    ("planning:request-action", "planning-api:request-accept"),
    ("planning:request-new", "planning-api:requests"),
    ("planning:action-item-done", "planning-api:action-item"),
    ("dashboard:meeting", "dashboard-api:meeting"),
]


def route_names(patterns=None, prefix="", namespace=""):
    """(name, pattern) of every route under `alignment.urls`, with namespaces joined."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from route_names(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            yield (f"{namespace}{entry.name}" if entry.name else str(entry.pattern)), route


def test_every_route_has_a_rule():
    routes = [(name, route) for name, route in route_names() if not route.startswith(ADMIN_PREFIX)]
    missing = sorted(route for name, route in routes if name not in RULES)
    stale = sorted(set(RULES) - {name for name, _ in routes})
    assert not missing, f"routes without a permission rule: {missing}"
    assert not stale, f"rules for routes that no longer exist: {stale}"


def test_the_page_and_the_api_agree_on_every_object():
    for page_name, api_name in PAGE_AND_API:
        pages = {actor: RULES[page_name].expected()[actor] == "ok" for actor in ACTORS}
        apis = {actor: RULES[api_name].expected()[actor] == "ok" for actor in ACTORS}
        assert pages == apis, (page_name, api_name)


def outcome(response) -> str:
    if response.status_code < 400:
        location = response.get("Location", "")
        return "login" if location.startswith((LOGIN, "/admin/login/")) else "ok"
    return str(response.status_code)


def detail(response) -> str:
    if response["Content-Type"].startswith("application/json"):
        return response.json().get("detail", "") if isinstance(response.json(), dict) else ""
    return ""


def call(rule, w, user):
    client = APIClient()
    if user is not None:
        client.force_login(user)
    body = rule.body(w) if rule.body else None
    method = getattr(client, rule.method.lower())
    if body is None:
        return method(rule.url(w))
    return method(rule.url(w), body, format=rule.fmt if rule.fmt != "form" else None)


@pytest.mark.parametrize("name", sorted(RULES))
def test_route_answers_each_actor_as_its_rule_says(name, world, db):
    rule = RULES[name]
    wrong = []
    for actor in (None, *ACTORS):
        # Each actor meets the objects as they were: what one actor's write did is rolled back.
        with transaction.atomic():
            response = call(rule, world, world.users[actor] if actor else None)
            transaction.set_rollback(True)
        got = outcome(response)
        if actor is None:
            if rule.anonymous is not None:
                expected = rule.anonymous
            elif rule.json:
                expected = "401|403"
                if got in ("401", "403") and not response["Content-Type"].startswith("application/json"):
                    got = f"{got} (not JSON)"
            else:
                expected = "login"
            if got not in expected.split("|"):
                wrong.append(f"anonymous: {got}, expected {expected}")
            continue
        expected = rule.expected()[actor]
        if got != expected:
            wrong.append(f"{actor}: {got}, expected {expected} {detail(response)}")
    assert not wrong, wrong


def test_admin_is_for_staff_only(world, db, client):
    for actor in ACTORS:
        client.force_login(world.users[actor])
        assert outcome(client.get("/admin/")) == "login", actor
        assert outcome(client.get("/admin/leads/lead/")) == "login", actor


def test_lists_hold_only_the_rows_each_actor_may_see(world, db):
    """Marketer B and rep B see none of marketer A's and rep A's own rows, in the API and on the pages."""
    own_lead, item, notification = world.accepted_lead, world.item, world.notification
    seen = {}
    for actor in ACTORS:
        client = APIClient()
        client.force_login(world.users[actor])
        seen[actor] = {
            "leads": {row["id"] for row in client.get("/api/leads/?page_size=200").json()["results"]},
            "leads page": own_lead.email in client.get("/leads/").content.decode(),
            "feedback": {row["id"] for row in client.get("/api/feedback/").json()["results"]},
            "feedback page": f"/feedback/{item.pk}/" in client.get("/feedback/").content.decode(),
            "notifications": {row["id"] for row in client.get("/api/notifications/").json()["results"]},
        }

    everything = {world.new_lead.pk, world.handed_lead.pk, own_lead.pk, world.qualified_lead.pk}
    for actor in ("marketer_a", "marketer_b", "manager"):
        assert everything <= seen[actor]["leads"], actor  # marketing and managers see every lead
    assert (
        seen["rep_a"]["leads"] >= {world.handed_lead.pk, own_lead.pk}
        and world.new_lead.pk not in seen["rep_a"]["leads"]
    )
    assert seen["rep_b"]["leads"] == set() and not seen["rep_b"]["leads page"]
    assert seen["rep_a"]["leads page"]
    for actor, sees in {
        "marketer_a": True,
        "marketer_b": False,
        "rep_a": True,
        "rep_b": False,
        "manager": True,
    }.items():
        assert (item.pk in seen[actor]["feedback"]) is sees, actor
        assert seen[actor]["feedback page"] is sees, actor
        assert (notification.pk in seen[actor]["notifications"]) is (actor == "rep_a"), actor
