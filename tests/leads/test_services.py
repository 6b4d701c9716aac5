from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from alignment.errors import InvalidInput, NotAllowed, TransitionNotAllowed
from alignment.models import Territory
from leads.capture import lead_capture, lead_update
from leads.lifecycle import TRANSITIONS
from leads.models import CaptureChannel, EventKind, Handoff, HandoffOutcome, Lead, LeadStatus, Touch
from leads.services import (
    lead_accept,
    lead_hand_off,
    lead_log_activity,
    lead_lose,
    lead_qualify,
    lead_recycle,
    lead_reject,
    lead_snooze,
    lead_win,
)
from tests.alignment.factories import RepFactory, VerticalFactory
from tests.leads.factories import LeadFactory, RoutingRuleFactory


def test_lifecycle_table_is_exactly_the_agreed_one():
    # The whole lifecycle, spelled out: changing who may move a lead where is a deliberate change here.
    expected = {
        "new": {"handed_off", "nurture"},
        "handed_off": {"accepted", "rejected", "handed_off", "nurture"},
        "accepted": {"working", "qualified", "lost", "handed_off", "nurture"},
        "working": {"qualified", "lost", "handed_off", "nurture"},
        "qualified": {"won", "lost", "handed_off", "nurture"},
        "rejected": {"handed_off", "nurture"},
        "lost": {"nurture"},
        "nurture": {"handed_off"},
        "won": set(),
    }

    assert expected == TRANSITIONS
    assert set(TRANSITIONS) == set(LeadStatus.values)


def test_lead_capture_normalises_email_and_records_the_capture(marketer, campaign):
    lead, created = lead_capture(data={"email": "  Ada@Example.COM ", "name": "Ada"}, campaign=campaign, by=marketer)

    assert created
    assert lead.email == "ada@example.com"
    assert lead.status == LeadStatus.NEW
    assert lead.captured_by == marketer
    assert lead.captured_at is not None
    assert lead.touch_count == 1
    assert list(lead.events.values_list("kind", flat=True)) == [EventKind.CAPTURED]


def test_lead_capture_of_a_known_email_records_a_touch_and_overwrites_nothing(marketer, campaign):
    first, _ = lead_capture(data={"email": "ada@example.com", "name": "Ada"}, campaign=campaign, by=marketer)

    again, created = lead_capture(
        data={"email": "ADA@example.com ", "name": "Someone else", "company": "Analytical Engines"},
        campaign=campaign,
        by=marketer,
        channel=CaptureChannel.API,
    )

    assert not created
    assert again.pk == first.pk
    assert Lead.objects.count() == 1
    again.refresh_from_db()
    assert again.touch_count == 2
    assert again.name == "Ada"
    assert again.company == "Analytical Engines"
    assert Touch.objects.filter(lead=again).count() == 2


def test_lead_capture_rejects_bad_input_with_every_field_named(marketer, campaign):
    with pytest.raises(InvalidInput) as error:
        lead_capture(
            data={"email": "not-an-email", "country": "Atlantis", "estimated_value": "-5"},
            campaign=campaign,
            by=marketer,
        )

    assert set(error.value.fields) == {"email", "country", "estimated_value"}
    assert Lead.objects.count() == 0


def test_a_rep_cannot_capture(rep, campaign):
    with pytest.raises(NotAllowed):
        lead_capture(data={"email": "a@b.test"}, campaign=campaign, by=rep)


def test_hand_off_by_hand_records_who_whom_note_and_starts_the_sla_clock(marketer, rep):
    lead = LeadFactory(captured_by=marketer)

    handoff = lead_hand_off(lead=lead, rep=rep, note="Asked for a demo at the fair.", by=marketer)

    lead.refresh_from_db()
    assert lead.status == LeadStatus.HANDED_OFF
    assert lead.owner == rep
    assert lead.handed_off_at == handoff.created_at
    assert handoff.by == marketer and handoff.to_rep == rep and handoff.outcome == HandoffOutcome.OPEN
    assert handoff.sla_due_at == handoff.created_at + timedelta(hours=24)
    assert "by hand" in handoff.routing_reason


def test_hand_off_needs_a_note(marketer, rep):
    lead = LeadFactory()

    with pytest.raises(InvalidInput):
        lead_hand_off(lead=lead, rep=rep, note="  ", by=marketer)

    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW


def test_routing_goes_round_robin_and_skips_reps_out_of_office_or_at_capacity(marketer):
    software = VerticalFactory(name="Software")
    anna, ben, cleo = RepFactory(), RepFactory(available=False), RepFactory(monthly_capacity=1)
    RoutingRuleFactory(name="DACH software", country="DE", vertical=software, reps=[anna, ben, cleo])
    leads = [LeadFactory(country="DE", industry=software) for _ in range(4)]

    handoffs = [lead_hand_off(lead=lead, note="Story.", by=marketer) for lead in leads]

    assert [h.to_rep for h in handoffs] == [anna, cleo, anna, anna]
    assert [h.routing_turn for h in handoffs] == [1, 2, 3, 4]
    assert "DACH software" in handoffs[0].routing_reason
    assert "out of office" in handoffs[0].routing_reason
    assert "at capacity" in handoffs[2].routing_reason


def test_routing_with_no_matching_rule_falls_back_to_the_managers_queue(marketer, rep):
    RoutingRuleFactory(country="FR", reps=[rep])
    lead = LeadFactory(country="DE")

    handoff = lead_hand_off(lead=lead, note="Story.", by=marketer)

    assert handoff.to_rep is None
    assert "managers' queue" in handoff.routing_reason
    lead.refresh_from_db()
    assert lead.owner is None and lead.status == LeadStatus.HANDED_OFF


def test_accept_is_for_the_assigned_rep_only(marketer, rep, other_rep):
    lead = LeadFactory()
    lead_hand_off(lead=lead, rep=rep, note="Story.", by=marketer)

    with pytest.raises(NotAllowed):
        lead_accept(lead=lead, by=other_rep)
    lead_accept(lead=lead, by=rep)

    lead.refresh_from_db()
    assert lead.status == LeadStatus.ACCEPTED
    assert lead.accepted_at is not None
    assert Handoff.objects.get(lead=lead).outcome == HandoffOutcome.ACCEPTED
    with pytest.raises(TransitionNotAllowed):
        lead_accept(lead=lead, by=rep)


def test_reject_needs_a_known_reason_and_returns_the_lead_to_marketing(marketer, rep):
    lead = LeadFactory()
    lead_hand_off(lead=lead, rep=rep, note="Story.", by=marketer)

    with pytest.raises(InvalidInput):
        lead_reject(lead=lead, by=rep, reason="made_up", note="")
    lead_reject(lead=lead, by=rep, reason="not_icp", note="Two people, no budget.")

    lead.refresh_from_db()
    handoff = Handoff.objects.get(lead=lead)
    assert lead.status == LeadStatus.REJECTED and lead.owner is None
    assert handoff.outcome == HandoffOutcome.REJECTED and handoff.reject_reason.code == "not_icp"


def test_a_rejected_lead_handed_off_again_keeps_its_first_waterfall_date(marketer, manager, rep, other_rep):
    lead = LeadFactory()
    first = lead_hand_off(lead=lead, rep=rep, note="Story.", by=marketer)
    lead_reject(lead=lead, by=rep, reason="timing")

    second = lead_hand_off(lead=lead, rep=other_rep, note="Disputed: they do need us.", by=marketer)

    lead.refresh_from_db()
    assert lead.handed_off_at == first.created_at
    assert second.created_at > first.created_at
    assert lead.handoffs.count() == 2


def test_reassigning_an_open_lead_is_for_managers_and_ends_the_old_handoff(marketer, manager, rep, other_rep):
    lead = LeadFactory()
    first = lead_hand_off(lead=lead, rep=rep, note="Story.", by=marketer)

    with pytest.raises(NotAllowed):
        lead_hand_off(lead=lead, rep=other_rep, note="Again.", by=marketer)
    lead_hand_off(lead=lead, rep=other_rep, note="Rep is on leave.", by=manager)

    first.refresh_from_db()
    assert first.outcome == HandoffOutcome.REASSIGNED
    lead.refresh_from_db()
    assert lead.owner == other_rep


def test_the_full_lifecycle_to_won_stamps_each_waterfall_date_once(marketer, rep):
    lead = LeadFactory()
    lead_hand_off(lead=lead, rep=rep, note="Story.", by=marketer)
    lead_accept(lead=lead, by=rep)

    lead_log_activity(lead=lead, by=rep, kind=EventKind.CALL, note="Discovery call.")
    lead.refresh_from_db()
    assert lead.status == LeadStatus.WORKING
    lead_qualify(lead=lead, by=rep)
    lead_win(lead=lead, by=rep, amount="12000")

    lead.refresh_from_db()
    assert lead.status == LeadStatus.WON
    assert lead.won_amount == Decimal("12000.00")
    assert lead.events.filter(to_status=LeadStatus.WON).get().note == "Won: 12,000.00"
    assert lead.handed_off_at <= lead.accepted_at <= lead.qualified_at <= lead.won_at
    transitions = list(lead.events.filter(kind=EventKind.TRANSITION).values_list("from_status", "to_status"))
    assert transitions == [
        ("new", "handed_off"),
        ("handed_off", "accepted"),
        ("accepted", "working"),
        ("working", "qualified"),
        ("qualified", "won"),
    ]


def test_a_disallowed_move_is_refused_and_changes_nothing(marketer, rep):
    lead = LeadFactory()
    lead_hand_off(lead=lead, rep=rep, note="Story.", by=marketer)
    lead_accept(lead=lead, by=rep)

    with pytest.raises(TransitionNotAllowed):
        lead_win(lead=lead, by=rep, amount="100")

    lead.refresh_from_db()
    assert lead.status == LeadStatus.ACCEPTED
    assert lead.won_at is None and lead.won_amount is None


def test_only_the_owner_rep_works_the_lead(marketer, rep, other_rep):
    lead = LeadFactory()
    lead_hand_off(lead=lead, rep=rep, note="Story.", by=marketer)
    lead_accept(lead=lead, by=rep)

    with pytest.raises(NotAllowed):
        lead_log_activity(lead=lead, by=other_rep, kind="call")
    with pytest.raises(NotAllowed):
        lead_lose(lead=lead, by=other_rep, reason="no_budget")


def test_recycle_sends_the_lead_to_nurture_with_count_and_date(marketer, rep):
    lead = LeadFactory()
    lead_hand_off(lead=lead, rep=rep, note="Story.", by=marketer)
    lead_reject(lead=lead, by=rep, reason="timing")
    later = timezone.localdate() + timedelta(days=90)

    lead_recycle(lead=lead, by=marketer, reason="Budget in Q3", reengage_after=later)

    lead.refresh_from_db()
    assert lead.status == LeadStatus.NURTURE
    assert lead.recycle_count == 1 and lead.reengage_after == later and lead.recycle_reason == "Budget in Q3"


def test_snooze_is_for_the_owner_and_needs_a_future_time_and_reason(marketer, rep):
    lead = LeadFactory()
    lead_hand_off(lead=lead, rep=rep, note="Story.", by=marketer)
    lead_accept(lead=lead, by=rep)

    with pytest.raises(InvalidInput):
        lead_snooze(lead=lead, by=rep, until=timezone.now() - timedelta(hours=1), reason="x")
    lead_snooze(lead=lead, by=rep, until=timezone.now() + timedelta(days=30), reason="Call back in January")

    lead.refresh_from_db()
    assert lead.snooze_reason == "Call back in January"


def test_lead_update_records_what_changed_and_refuses_a_taken_email(marketer):
    lead = LeadFactory(email="a@x.test")
    LeadFactory(email="b@x.test")

    lead_update(lead=lead, data={"phone": "+49 30 1234"}, by=marketer)
    with pytest.raises(InvalidInput):
        lead_update(lead=lead, data={"email": "B@x.test"}, by=marketer)

    lead.refresh_from_db()
    assert lead.phone == "+49 30 1234" and lead.email == "a@x.test"
    assert lead.events.filter(kind=EventKind.EDIT).count() == 1


def test_snooze_and_reengage_dates_far_in_the_future_are_refused(marketer, rep):
    lead = LeadFactory()
    lead_hand_off(lead=lead, rep=rep, note="Story.", by=marketer)
    lead_accept(lead=lead, by=rep)

    with pytest.raises(InvalidInput):
        lead_snooze(lead=lead, by=rep, until=timezone.now() + timedelta(days=400), reason="Typo in the year")
    lead.refresh_from_db()
    assert lead.snoozed_until is None

    with pytest.raises(InvalidInput):
        lead_recycle(lead=lead, by=marketer, reason="Later", reengage_after=timezone.localdate() + timedelta(days=4000))
    lead.refresh_from_db()
    assert lead.status == LeadStatus.ACCEPTED and lead.recycle_count == 0


# --- routing by the territories and verticals reps cover --------------------------------------


def _rep_covering(*, country="", region="", vertical=None):
    rep = RepFactory()
    if country:
        rep.territories.add(Territory.objects.get_or_create(country=country, region=region)[0])
    if vertical is not None:
        rep.verticals.add(vertical)
    return rep


def test_a_territory_rule_without_reps_routes_to_the_reps_who_cover_the_lead(marketer):
    # given reps for Germany, for Bavaria only and for France, and a rule for Germany naming nobody
    germany, bavaria = _rep_covering(country="DE"), _rep_covering(country="DE", region="Bavaria")
    france = _rep_covering(country="FR")
    RoutingRuleFactory(name="Germany", country="DE")

    # when leads from Berlin and from Bavaria are handed off by the rules
    berlin = lead_hand_off(lead=LeadFactory(country="DE", region="Berlin"), note="Story.", by=marketer)
    munich = [lead_hand_off(lead=LeadFactory(country="DE", region="bavaria"), note="Story.", by=marketer) for _ in "ab"]

    # then Berlin goes to the rep for all of Germany, Bavaria round-robins between both, France gets none
    assert berlin.to_rep == germany
    assert {h.to_rep for h in munich} == {germany, bavaria}
    assert france not in {berlin.to_rep, *(h.to_rep for h in munich)}


def test_a_rules_own_rep_list_narrows_the_reps_who_cover_the_lead(marketer):
    # given a rule for Germany listing a French rep and a rep who declared no territory
    france, anywhere = _rep_covering(country="FR"), RepFactory()
    RoutingRuleFactory(name="Germany", country="DE", reps=[france, anywhere])

    handoffs = [lead_hand_off(lead=LeadFactory(country="DE"), note="Story.", by=marketer) for _ in "abc"]

    # then only the rep who covers Germany (declaring nothing covers everything) gets the leads
    assert {h.to_rep for h in handoffs} == {anywhere}


def test_a_vertical_rule_routes_to_the_reps_of_that_vertical(marketer):
    software, retail = VerticalFactory(name="Software"), VerticalFactory(name="Retail")
    seller = _rep_covering(vertical=software)
    _rep_covering(vertical=retail)
    RoutingRuleFactory(name="Software", vertical=software)

    handoff = lead_hand_off(lead=LeadFactory(industry=software), note="Story.", by=marketer)

    assert handoff.to_rep == seller
    assert "Software" in handoff.routing_reason


def test_a_lead_nobody_covers_waits_in_the_managers_queue(marketer):
    _rep_covering(country="FR")
    RoutingRuleFactory(name="Germany", country="DE")

    handoff = lead_hand_off(lead=LeadFactory(country="DE"), note="Story.", by=marketer)

    assert handoff.to_rep is None
    assert "managers' queue" in handoff.routing_reason
