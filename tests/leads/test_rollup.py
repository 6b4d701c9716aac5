"""The dashboard's daily roll-up stays in step with the leads as the services change them."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import time_machine
from django.db.models import Sum

from feedback.services import verdict_give
from leads.capture import lead_capture
from leads.models import Lead, LeadDay
from leads.rollup import COLUMNS, lead_days_rebuild, lead_days_remove
from leads.services import lead_accept, lead_hand_off, lead_lose, lead_qualify, lead_recycle, lead_reject, lead_win
from tests.alignment.factories import RepFactory


def at(month, day, hour=10):
    return time_machine.travel(datetime(2026, month, day, hour, tzinfo=UTC), tick=False)


def rollup():
    """The roll-up's non-zero figures by key: what the dashboard can read from it."""
    rows = {}
    for row in LeadDay.objects.all():
        figures = {column: getattr(row, column) for column in COLUMNS if getattr(row, column)}
        if figures:
            rows[(row.day, row.campaign_id, row.source, row.marketer, row.rep)] = figures
    return rows


def capture(email, campaign, marketer):
    lead, _ = lead_capture(data={"email": email}, campaign=campaign, by=marketer)
    return lead


def test_lead_days_follow_every_service_and_match_a_rebuild(marketer, rep, manager, campaign):
    other = RepFactory()
    # given leads taken through every change that moves a figure, on different days
    with at(10, 1):
        won = capture("won@example.com", campaign, marketer)
        lost = capture("lost@example.com", campaign, marketer)
        recycled = capture("recycled@example.com", campaign, marketer)
        lead_hand_off(lead=won, rep=rep, note="Wants a demo.", by=marketer)
        lead_hand_off(lead=lost, rep=rep, note="Budget next year.", by=marketer)
        lead_hand_off(lead=recycled, rep=other, note="Came to the booth.", by=marketer)
    with at(10, 2):
        lead_reject(lead=won, by=rep, reason="not_icp")
        lead_accept(lead=lost, by=rep)
        lead_accept(lead=recycled, by=other)
        verdict_give(lead=recycled, by=other, verdict="bad", reason="no_budget")
    with at(10, 5):
        lead_hand_off(lead=won, rep=other, note="Second try: new champion.", by=marketer)
        lead_accept(lead=won, by=other)
        verdict_give(lead=won, by=other, verdict="bad", reason="no_budget")
        verdict_give(lead=won, by=other, verdict="good")  # revised
        # a manager moves an accepted lead, with its verdict, to another rep
        lead_hand_off(lead=recycled, rep=rep, note="Other rep's territory.", by=manager)
    with at(10, 6):
        lead_qualify(lead=won, by=other)
        lead_lose(lead=lost, by=rep, reason="no_budget")
        lead_recycle(lead=recycled, by=marketer, reason="Not ready this year.")
    with at(11, 3):
        lead_win(lead=won, by=other, amount="1234.50")
    kept = rollup()

    # when the roll-up is recomputed from the leads
    lead_days_rebuild()

    # then nothing differs: the services kept it exact
    assert rollup() == kept
    day = {d: datetime(2026, *d).date() for d in ((10, 1), (10, 2), (10, 5), (10, 6), (11, 3))}

    def key(d, owner):
        return (day[d], campaign.pk, campaign.source, marketer.pk, owner.pk if owner else 0)

    reached_accepted = {"captured": 1, "handed_off": 1, "cohort_handed_off": 1, "cohort_accepted": 1}
    assert kept == {
        # the won lead counts under the rep who won it, from its first handoff on
        key((10, 1), other): reached_accepted
        | {"cohort_qualified": 1, "cohort_won": 1, "cohort_won_revenue": Decimal("1234.50"), "cohort_good": 1},
        key((10, 5), other): {"accepted": 1, "good": 1},  # its revised verdict alone
        key((10, 6), other): {"qualified": 1},
        key((11, 3), other): {"won": 1, "won_revenue": Decimal("1234.50")},
        key((10, 1), rep): reached_accepted,  # the lost lead
        key((10, 2), rep): {"accepted": 1},
        # the recycled lead, with its verdict, belongs to nobody now
        key((10, 1), None): reached_accepted | {"cohort_bad": 1},  # its cohort counts its verdict too
        key((10, 2), None): {"accepted": 1, "bad": 1},
    }


def test_lead_days_count_a_day_in_the_company_time_zone(settings, marketer, campaign):
    # given a company in New York and a lead captured at 02:00 UTC on 1 October: 30 September there
    settings.TIME_ZONE = "America/New_York"
    with at(10, 1, hour=2):
        capture("late@example.com", campaign, marketer)

    # then the roll-up, kept by the service and rebuilt alike, counts it on 30 September
    september_30 = datetime(2026, 9, 30).date()
    assert list(LeadDay.objects.values_list("day", "captured")) == [(september_30, 1)]
    lead_days_rebuild()
    assert list(LeadDay.objects.values_list("day", "captured")) == [(september_30, 1)]


def test_lead_days_remove_takes_out_many_leads_at_once(marketer, campaign):
    # given 4,000 leads captured on as many days: several statements' worth of roll-up rows
    first = datetime(2015, 1, 1, 12, tzinfo=UTC)
    Lead.objects.bulk_create(
        Lead(
            email=f"lead{i}@example.com",
            campaign=campaign,
            source=campaign.source,
            captured_by=marketer,
            captured_at=first + timedelta(days=i),
            last_touch_at=first,
            last_activity_at=first,
        )
        for i in range(4000)
    )
    lead_days_rebuild()
    assert LeadDay.objects.aggregate(captured=Sum("captured")) == {"captured": 4000}

    # when they are all taken out, as the admin does before deleting them
    lead_days_remove(Lead.objects.all())

    # then the roll-up counts none of them
    assert LeadDay.objects.filter(captured__gt=0).count() == 0
