"""The audit log: each change to roles, SLA settings, routing rules, goals, webhooks and reason codes
is one entry (who, when, before → after), wherever it was made; only managers read it."""

from datetime import date

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from alignment.models import AuditEntry, Role
from alignment.sla import sla_settings_get
from dashboard.services import revenue_goal_set
from leads.reason_codes import reason_code_create, reason_code_rename, reason_code_set_active
from tests.alignment.factories import ManagerFactory, RepFactory
from tests.leads.factories import RoutingRuleFactory

pytestmark = pytest.mark.django_db


def _entries(area):
    return list(AuditEntry.objects.filter(area=area).order_by("id"))


def _sla_form(**changes):
    policy = sla_settings_get()
    data = {
        "sla_accept_hours": "24",
        "cold_after_days": "7",
        "escalate_after_hours": "24",
        "feedback_response_days": "3",
        "business_hours": policy.business_hours,
        "holidays": policy.holidays,
    }
    data.update(changes)
    return data


def test_sla_settings_change_is_logged_with_before_and_after(client, manager):
    client.force_login(manager)
    client.post(reverse("alignment:sla-settings"), _sla_form())  # the defaults: nothing changes
    assert _entries("sla") == []
    client.post(reverse("alignment:sla-settings"), _sla_form(cold_after_days="2.5"))
    (entry,) = _entries("sla")
    assert entry.actor == manager
    assert entry.action == "changed"
    assert entry.changes == {"cold_after_days": ["7", "2.5"]}

    page = client.get(reverse("alignment:audit-log"))
    assert page.status_code == 200
    assert b"cold_after_days: 7 \xe2\x86\x92 2.5" in page.content


def test_only_managers_read_the_audit_log(client, marketer, rep):
    for user in (marketer, rep):
        client.force_login(user)
        assert client.get(reverse("alignment:audit-log")).status_code == 403
    client.logout()
    assert client.get(reverse("alignment:audit-log")).status_code == 302


def test_refused_change_is_not_logged(client, manager):
    client.force_login(manager)
    response = client.post(reverse("alignment:sla-settings"), _sla_form(cold_after_days="-1"))
    assert response.status_code == 400
    assert _entries("sla") == []


def test_webhook_lifecycle_is_logged_without_the_secret(manager, private_webhooks):
    api = APIClient()
    api.force_authenticate(manager)
    created = api.post("/api/webhooks/", {"url": "http://127.0.0.1:9/a", "events": ["lead.won"]}, format="json")
    assert created.status_code == 201, created.content
    hook = created.json()
    api.patch(f"/api/webhooks/{hook['id']}/", {"events": ["lead.won", "lead.lost"]}, format="json")
    api.delete(f"/api/webhooks/{hook['id']}/")

    first, second, third = _entries("webhook")
    assert (first.action, second.action, third.action) == ("created", "changed", "deleted")
    assert first.changes["url"] == [None, "http://127.0.0.1:9/a"]
    assert second.changes == {"events": [["lead.won"], ["lead.lost", "lead.won"]]}
    assert third.target == "http://127.0.0.1:9/a"
    for entry in (first, second, third):
        assert hook["secret"] not in str(entry.changes)


def test_reason_code_changes_are_logged(manager):
    reason = reason_code_create(label="Too small", by=manager)
    reason_code_rename(reason=reason, label="Company too small", by=manager)
    reason_code_set_active(reason=reason, active=False, by=manager)
    reason_code_set_active(reason=reason, active=False, by=manager)  # no change, no entry
    created, renamed, retired = _entries("reason_code")
    assert created.changes == {"code": [None, "too_small"], "label": [None, "Too small"]}
    assert renamed.changes == {"label": ["Too small", "Company too small"]}
    assert retired.changes == {"active": [True, False]}
    assert {e.actor for e in (created, renamed, retired)} == {manager}


def test_goal_changes_are_logged(manager):
    revenue_goal_set(period="quarter", starts_on=date(2026, 11, 5), amount="100000", by=manager)
    revenue_goal_set(period="quarter", starts_on=date(2026, 10, 1), amount="120000.50", by=manager)
    first, second = _entries("goal")
    assert (first.action, first.changes) == ("created", {"amount": [None, "100000.00"]})
    assert (second.action, second.changes) == ("changed", {"amount": ["100000.00", "120000.50"]})
    assert second.target == "Quarter from 2026-10-01"


def test_role_change_in_the_admin_is_logged(client):
    staff = ManagerFactory(is_staff=True, is_superuser=True)
    person = RepFactory(first_name="Ada", last_name="Rep")
    client.force_login(staff)
    url = reverse("admin:alignment_user_change", args=[person.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        {
            "username": person.username,
            "role": Role.MANAGER,
            "date_joined_0": person.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": person.date_joined.strftime("%H:%M:%S"),
            "territories": [],
            "verticals": [],
            "groups": [],
            "user_permissions": [],
            "monthly_capacity": "",
        }
    )
    data.pop("last_login", None)
    data.pop("password", None)
    data = {k: v for k, v in data.items() if not isinstance(v, bool) or v}
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    (entry,) = _entries("role")
    assert entry.actor == staff
    assert entry.target == person.username
    assert entry.changes["role"] == [Role.REP, Role.MANAGER]


def test_routing_rule_reps_change_in_the_admin_is_logged(client, rep, other_rep):
    staff = ManagerFactory(is_staff=True, is_superuser=True)
    rule = RoutingRuleFactory(name="EMEA", reps=[rep])
    client.force_login(staff)
    response = client.post(
        reverse("admin:leads_routingrule_change", args=[rule.pk]),
        {
            "name": "EMEA",
            "priority": "100",
            "country": "",
            "region": "",
            "reps": [rep.pk, other_rep.pk],
            "active": "on",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    (entry,) = _entries("routing")
    assert entry.target == "EMEA"
    assert entry.changes == {"reps": [[str(rep)], sorted([str(rep), str(other_rep)])]}

    client.post(reverse("admin:leads_routingrule_delete", args=[rule.pk]), {"post": "yes"})
    assert [e.action for e in _entries("routing")] == ["changed", "deleted"]


def test_add_member_command_is_logged():
    call_command("add_member", "newrep", "--role", "rep")
    call_command("add_member", "newrep", "--role", "manager", "--territory", "DE/Bavaria")
    created, changed = _entries("role")
    assert created.action == "created" and created.actor is None
    assert created.changes["role"] == [None, "rep"]
    assert set(changed.changes) == {"role", "territories"}
    assert changed.changes["role"] == ["rep", "manager"]
    assert changed.changes["territories"][0] == []
    assert "Bavaria" in changed.changes["territories"][1][0]
