"""The plan's monthly roll-up of leads by segment stays equal to the leads, whichever path writes
them: PostgreSQL's triggers keep it (elsewhere the plan groups the leads and there is no roll-up)."""

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection

from alignment.models import Vertical
from feedback.rollup import figures_rebuild, lead_bad_reasons_refresh
from feedback.services import lead_reject_with_feedback, verdict_give
from leads.capture import lead_capture, lead_capture_many, lead_update
from leads.merge import lead_merge
from leads.models import Lead, SegmentMonth
from leads.services import lead_hand_off
from planning.evidence import segment_evidence
from planning.plan import plan_for
from tests.alignment.factories import VerticalFactory
from tests.feedback.factories import accepted_lead
from tests.leads.factories import LeadFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the roll-up is PostgreSQL's"),
]


def rollup() -> Counter:
    """The roll-up's non-zero figures by key."""
    rows = Counter()
    for row in SegmentMonth.objects.all():
        for column in ("leads", "judged", "good", "bad"):
            key = (row.month, row.vertical, row.country, row.region, row.theme, row.reason, column)
            rows[key] += getattr(row, column)
    return +rows


def reference() -> Counter:
    """The same figures counted lead by lead: each lead once for its place, once for each theme its
    verdict names and once for each bad reason held against it."""
    rows = Counter()
    for lead in Lead.objects.filter(merged_into__isnull=True):
        place = (
            lead.captured_at.astimezone(UTC).date().replace(day=1),
            lead.industry_id or 0,
            lead.country,
            lead.region,
        )
        themes = [(int(pk), 0) for pk in filter(None, lead.verdict_themes.split(","))]
        reasons = [(0, int(pk)) for pk in filter(None, lead.bad_reasons.split(","))]
        for theme, reason in [(0, 0), *themes, *reasons]:
            rows[(*place, theme, reason, "leads")] += 1
            if lead.verdict:
                rows[(*place, theme, reason, "judged")] += 1
                rows[(*place, theme, reason, lead.verdict)] += 1
    return rows


def test_the_roll_up_follows_every_path_that_writes_a_lead(marketer, rep, campaign):
    retail = VerticalFactory(name="Retail")
    with time_machine.travel(datetime(2026, 10, 31, 23, 30, tzinfo=UTC), tick=False):
        # captured one at a time (one statement on PostgreSQL), again (a touch), and in a batch
        first, _ = lead_capture(
            data={"email": "ada@example.com", "industry": "Retail", "country": "DE"}, campaign=campaign, by=marketer
        )
        lead_capture(data={"email": "ada@example.com"}, campaign=campaign, by=marketer)
        lead_capture_many(
            items=[
                ({"email": f"b{n}@example.com", "industry": "Banking", "country": "AT"}, campaign) for n in range(3)
            ],
            by=marketer,
        )
    assert rollup() == reference() and reference()
    # a verdict with themes, revised; a rejection that holds a bad reason against its lead
    judged = accepted_lead(marketer=marketer, rep=rep, industry=retail, country="DE", region="Bavaria")
    verdict_give(lead=judged, by=rep, verdict="bad", reason="no_budget", pain_themes=["price"])
    verdict_give(lead=judged, by=rep, verdict="good", pain_themes=["price", "security_compliance"])
    rejected = LeadFactory(captured_by=marketer, industry=retail, country="DE")
    lead_hand_off(lead=rejected, rep=rep, note="Asked for pricing.", by=marketer)
    lead_reject_with_feedback(lead=rejected, by=rep, reason="not_icp")
    assert Lead.objects.get(pk=rejected.pk).bad_reasons
    assert rollup() == reference()
    # marketing moves a lead to another place
    lead_update(lead=first, data={"country": "FR", "region": "Brittany"}, by=marketer)
    assert rollup() == reference()
    # a merge takes the other lead out of the figures
    other = LeadFactory(captured_by=marketer, industry=retail, country="DE", phone="+49 30 1234")
    lead_merge(survivor=judged, other=other, by=marketer)
    assert rollup() == reference()
    # a set-based refresh of the carried texts, and deletes
    Lead.objects.filter(pk=rejected.pk).update(bad_reasons="")
    lead_bad_reasons_refresh()
    Lead.objects.filter(country="AT").delete()
    assert rollup() == reference()

    kept = rollup()
    figures_rebuild()
    assert rollup() == kept


@pytest.mark.parametrize("day", [8, 28], ids=["early in its month", "late in its month"])
def test_the_plan_counts_the_year_to_the_hour_from_the_roll_up(marketer, rep, day):
    """The roll-up holds whole months; the part of the year's first month it misses (or holds too
    much of) comes from the leads, so the plan's brief counts exactly the leads a request's
    evidence counts, themes and reasons included."""
    retail = VerticalFactory(name="Retail")
    rep.verticals.add(retail)
    rep.territories.create(country="DE", region="")
    now = datetime(2026, 12, day, 12, 0, tzinfo=UTC)
    since = now - timedelta(days=365)
    # just outside the year, with a verdict naming a theme; then inside it
    outside = accepted_lead(
        marketer=marketer, rep=rep, industry=retail, country="DE", captured_at=since - timedelta(hours=1)
    )
    verdict_give(lead=outside, by=rep, verdict="bad", reason="no_budget", pain_themes=["price"])
    inside = accepted_lead(
        marketer=marketer, rep=rep, industry=retail, country="DE", captured_at=since + timedelta(hours=1)
    )
    verdict_give(lead=inside, by=rep, verdict="good", pain_themes=["security_compliance"])
    for captured_at in (since + timedelta(days=40), now):
        LeadFactory(industry=retail, country="DE", captured_at=captured_at)
    LeadFactory(industry=Vertical.objects.create(name="Banking"), country="DE", captured_at=now)

    [proposal] = plan_for(now=now)

    evidence = segment_evidence(vertical_id=retail.pk, country="DE", now=now)
    assert proposal.evidence["leads"] == evidence["leads"] == 3
    assert proposal.evidence["good"] == evidence["good"] == 1 and proposal.evidence["bad"] == 0
    assert (
        proposal.evidence["pain_themes"]
        == evidence["pain_themes"]
        == [{"code": "security_compliance", "label": "Security and compliance", "count": 1}]
    )
    assert proposal.evidence["top_bad_reasons"] == evidence["top_bad_reasons"] == []
