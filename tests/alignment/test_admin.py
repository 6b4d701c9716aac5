"""The admin: every list and change page of alignment and leads renders, and no list runs a query
per row (the count of queries stays the same when the rows double)."""

import pytest
from django.contrib import admin
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from alignment.models import IdempotencyRecord, Notification, SlaSettings
from alignment.services import member_add
from feedback.services import verdict_give
from leads.capture import lead_capture
from leads.models import ColdEpisode, ImportChunk, ImportJob, Lead, LeadDay, Reminder, Touch
from leads.rollup import COLUMNS
from leads.services import lead_accept, lead_hand_off, lead_log_activity
from tests.alignment.factories import ManagerFactory, MarketerFactory, RepFactory, TeamFactory, VerticalFactory
from tests.leads.factories import CampaignFactory, RoutingRuleFactory

APPS = ("alignment", "leads")


def _world():
    """One of everything, made the way the app makes it."""
    marketer, rep, manager = MarketerFactory(team=TeamFactory()), RepFactory(), ManagerFactory()
    rep.territories.create(country="DE", region=f"R{rep.pk}")
    rep.verticals.add(VerticalFactory())
    campaign = CampaignFactory(owner=marketer)
    RoutingRuleFactory(reps=[rep], vertical=VerticalFactory(), last_rep=rep)
    lead, _ = lead_capture(
        data={"email": f"lead{rep.pk}@example.com", "industry": "Software"}, campaign=campaign, by=marketer
    )
    lead_capture(data={"email": lead.email}, campaign=campaign, by=marketer)
    lead_hand_off(lead=lead, rep=rep, note="Asked for a demo.", by=marketer)
    lead_accept(lead=lead, by=rep)
    lead_log_activity(lead=lead, by=rep, kind="call", note="Good call.")
    job = ImportJob.objects.create(by=marketer, campaign=campaign, filename="leads.csv", total_bytes=6)
    ImportChunk.objects.create(job=job, seq=0, data=b"email\n")
    episode = ColdEpisode.objects.create(
        lead=lead, reason="no_activity", cold_since=timezone.now(), opened_at=timezone.now()
    )
    Reminder.objects.create(episode=episode, level=1, created_at=timezone.now())
    Notification.objects.create(recipient=rep, kind="reminder", message="Cold.", lead=lead)
    member_add(username=f"member{rep.pk}", role="rep")  # an audit entry
    IdempotencyRecord.objects.create(
        user=marketer, key=f"k{rep.pk}", method="POST", path="/api/leads/", request_hash="x"
    )
    if not SlaSettings.objects.exists():
        SlaSettings.objects.create(
            sla_accept_hours=24,
            cold_after_days=7,
            escalate_after_hours=24,
            feedback_response_days=3,
            updated_by=manager,
        )
    return lead


def _model_admins():
    return [
        (model, model_admin) for model, model_admin in admin.site._registry.items() if model._meta.app_label in APPS
    ]


def _changelist(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries)


@pytest.mark.django_db
def test_admin_lists_run_the_same_queries_however_many_rows(client):
    staff = ManagerFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    _world()
    before = {model: _queries(client, _changelist(model)) for model, _ in _model_admins()}

    _world()
    _world()
    after = {model: _queries(client, _changelist(model)) for model, _ in _model_admins()}

    assert {m._meta.label: n for m, n in after.items()} == {m._meta.label: n for m, n in before.items()}
    assert {Touch, ImportChunk, Reminder} <= set(before)


@pytest.mark.django_db
def test_admin_change_pages_render_for_every_model(client):
    staff = ManagerFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    _world()

    for model, _ in _model_admins():
        obj = model.objects.order_by("pk").first()
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.pk])
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_admin_keeps_the_lead_lifecycle_read_only(client):
    staff = ManagerFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    lead = _world()

    page = client.get(reverse("admin:leads_lead_change", args=[lead.pk])).content.decode()

    assert 'name="status"' not in page
    assert 'name="owner"' not in page
    assert 'name="campaign"' not in page
    assert 'name="source"' not in page
    assert 'name="verdict_wait"' not in page  # set once, by the verdict service
    assert 'name="email"' in page
    assert client.get(reverse("admin:leads_lead_add")).status_code == 403


@pytest.mark.django_db
def test_admin_deleting_leads_takes_them_out_of_the_dashboard(client):
    # given two leads, one judged good, both counted in the dashboard's roll-up
    staff = ManagerFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    lead = _world()
    lead.refresh_from_db()
    verdict_give(lead=lead, by=lead.owner, verdict="good")
    other = _world()
    assert LeadDay.objects.aggregate(captured=Sum("captured"), good=Sum("good")) == {"captured": 2, "good": 1}

    # when one is deleted from its page and the other with the list's action
    client.post(reverse("admin:leads_lead_delete", args=[lead.pk]), {"post": "yes"})
    client.post(
        reverse("admin:leads_lead_changelist"),
        {"action": "delete_selected", "_selected_action": [other.pk], "post": "yes"},
    )

    # then nothing of them is left in the figures
    assert not Lead.objects.exists()
    figures = LeadDay.objects.aggregate(**{column: Sum(column) for column in COLUMNS})
    assert set(figures.values()) == {0}
