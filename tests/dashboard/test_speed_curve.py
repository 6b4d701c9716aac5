"""`speed_to_lead.by_response`: the good-verdict and won shares by time to first response, from the
company's own handoffs, on the SLA clock."""

from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from alignment.sla import sla_settings_get
from dashboard.figures import dashboard_figures
from dashboard.periods import dashboard_filters_parse
from leads.models import Handoff, HandoffOutcome, Lead, LeadStatus
from tests.alignment.factories import ManagerFactory, MarketerFactory, RepFactory
from tests.leads.factories import CampaignFactory

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)  # a Monday
NOVEMBER = {"period": "month", "start": "2026-11-01"}


def _answered(marketer, rep, campaign, *, after, verdict="", won=False, n=1):
    for _ in range(n):
        lead = Lead.objects.create(
            email=f"p{Lead.objects.count()}@x.test",
            campaign=campaign,
            captured_by=marketer,
            owner=rep,
            status=LeadStatus.WON if won else LeadStatus.WORKING,
            captured_at=DAY,
            last_touch_at=DAY,
            last_activity_at=DAY,
            verdict=verdict,
            verdict_at=DAY + after if verdict else None,
            won_at=DAY + timedelta(days=5) if won else None,
        )
        Handoff.objects.create(
            lead=lead,
            by=marketer,
            to_rep=rep,
            note="story",
            created_at=DAY,
            sla_due_at=DAY + timedelta(hours=24),
            outcome=HandoffOutcome.ACCEPTED,
            ended_at=DAY + after,
        )


@pytest.fixture
def curve_data():
    marketer, rep = MarketerFactory(), RepFactory()
    campaign = CampaignFactory(owner=marketer)
    # within 5 minutes: 3 good of 4 judged, 2 won of 5 answered
    _answered(marketer, rep, campaign, after=timedelta(minutes=2), verdict="good", n=3, won=False)
    _answered(marketer, rep, campaign, after=timedelta(minutes=4), verdict="bad")
    _answered(marketer, rep, campaign, after=timedelta(minutes=5), won=True, n=1)
    _answered(marketer, rep, campaign, after=timedelta(minutes=1), won=True, verdict="good")
    # within an hour: 1 good of 2
    _answered(marketer, rep, campaign, after=timedelta(minutes=30), verdict="good")
    _answered(marketer, rep, campaign, after=timedelta(minutes=59), verdict="bad")
    # later than a day: 0 good of 2
    _answered(marketer, rep, campaign, after=timedelta(hours=30), verdict="bad", n=2)
    return marketer, rep


def test_the_curve_counts_verdicts_and_wins_by_time_to_first_response(curve_data):
    # when
    curve = dashboard_figures(filters=dashboard_filters_parse(NOVEMBER))["speed_to_lead"]["by_response"]
    # then: every bucket, in order, empty ones with zeros
    assert curve == [
        {"bucket": "within_5_minutes", "answered": 6, "judged": 5, "good": 4, "good_share": 0.8,
         "won": 2, "won_share": 0.3333},
        {"bucket": "within_1_hour", "answered": 2, "judged": 2, "good": 1, "good_share": 0.5,
         "won": 0, "won_share": 0.0},
        {"bucket": "within_24_hours", "answered": 0, "judged": 0, "good": 0, "good_share": None,
         "won": 0, "won_share": None},
        {"bucket": "later", "answered": 2, "judged": 2, "good": 0, "good_share": 0.0,
         "won": 0, "won_share": 0.0},
    ]  # fmt: skip


def test_the_curve_counts_business_hours_when_they_are_configured(curve_data):
    policy = sla_settings_get()
    policy.business_hours = "Mon-Fri 09:00-17:00 UTC"
    policy.save()
    # when: 30 hours from Monday 10:00 is Tuesday 16:00, 14 business hours
    curve = dashboard_figures(filters=dashboard_filters_parse(NOVEMBER))["speed_to_lead"]["by_response"]
    # then
    buckets = {b["bucket"]: b["answered"] for b in curve}
    assert buckets == {"within_5_minutes": 6, "within_1_hour": 2, "within_24_hours": 2, "later": 0}


def test_the_curve_is_in_the_dashboard_json_and_on_the_page(curve_data, client):
    manager = ManagerFactory()
    api = APIClient()
    api.force_authenticate(manager)
    data = api.get("/api/dashboard/", NOVEMBER).json()
    assert [b["bucket"] for b in data["speed_to_lead"]["by_response"]] == [
        "within_5_minutes",
        "within_1_hour",
        "within_24_hours",
        "later",
    ]
    client.force_login(manager)
    page = client.get("/dashboard/", NOVEMBER).content.decode()
    assert 'id="chart-speed-curve"' in page
    assert "Verdicts by time to first response" in page
    assert "80.0%" in page or "80%" in page
