"""The dashboard reads the roll-up the services keep, and `rebuild_dashboard` restores it."""

import io
from datetime import UTC, datetime
from decimal import Decimal

from django.core.management import call_command

from dashboard.figures import dashboard_figures
from dashboard.periods import dashboard_filters_parse
from feedback.services import lead_win_with_feedback, verdict_give
from leads.models import LeadDay
from leads.services import (
    lead_accept,
    lead_hand_off,
    lead_qualify,
)
from tests.leads.test_rollup import at, capture, rollup


def test_dashboard_counts_what_the_services_did_without_a_rebuild(marketer, rep, campaign):
    # given a lead captured, handed off, accepted, judged, qualified and won through the services
    with at(10, 1):
        lead = capture("ada@example.com", campaign, marketer)
        lead_hand_off(lead=lead, rep=rep, note="Wants a demo.", by=marketer)
    with at(10, 2):
        lead_accept(lead=lead, by=rep)
        verdict_give(lead=lead, by=rep, verdict="good")
        lead_qualify(lead=lead, by=rep)
    with at(11, 3):
        lead_win_with_feedback(lead=lead, by=rep, amount="900")

    # when the quarter's dashboard is read
    figures = dashboard_figures(
        filters=dashboard_filters_parse({"period": "quarter", "start": "2026-10-01"}),
        now=datetime(2026, 11, 23, tzinfo=UTC),
    )

    # then every step, the revenue and the verdict are there
    assert [step["count"] for step in figures["funnel"]["steps"]] == [1, 1, 1, 1, 1]
    assert figures["won_revenue"] == Decimal("900.00")
    assert figures["cohort_funnel"]["won_revenue"] == Decimal("900.00")
    assert [(r["name"], r["revenue"]) for r in figures["revenue_by_rep"]] == [(rep.username, Decimal("900.00"))]
    assert [(r["name"], r["won"]) for r in figures["revenue_by_marketer"]] == [(marketer.username, 1)]
    assert [(q["campaign"], q["good"], q["bad"]) for q in figures["quality_by_campaign"]] == [(campaign.name, 1, 0)]


def test_rebuild_dashboard_command_restores_the_roll_up(marketer, campaign):
    # given a lead whose roll-up rows were lost (changed by hand in the database, say)
    with at(10, 1):
        capture("ada@example.com", campaign, marketer)
    kept = rollup()
    LeadDay.objects.all().delete()
    out = io.StringIO()

    # when the command runs
    call_command("rebuild_dashboard", stdout=out)

    # then the figures are back, and it says so
    assert rollup() == kept != {}
    assert "Dashboard roll-up rebuilt: 1 rows" in out.getvalue()
