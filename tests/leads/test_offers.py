"""Offers: a lead handed off by rules moves on by itself when its rep does not take it in time."""

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from alignment.errors import TransitionNotAllowed
from alignment.models import AuditEntry, LiveEvent, Notification, NotificationKind
from alignment.sla import sla_settings_get, sla_settings_update
from leads.models import EventKind, Handoff, HandoffOffer, LeadDay, LeadEvent, LeadStatus, OfferOutcome
from leads.offers import offers_sweep
from leads.rollup import lead_days_rebuild
from leads.services import lead_accept, lead_hand_off, lead_reject
from tests.alignment.factories import ManagerFactory, MarketerFactory, RepFactory
from tests.leads.factories import LeadFactory, RoutingRuleFactory

pytestmark = pytest.mark.django_db

QUERIES = 19


@pytest.fixture
def offers_on(settings):
    settings.ALIGNMENT_OFFER_MINUTES = 5
    return 5


@pytest.fixture
def team():
    marketer = MarketerFactory(username="mia")
    anna, ben, cleo = RepFactory(username="anna"), RepFactory(username="ben"), RepFactory(username="cleo")
    rule = RoutingRuleFactory(name="Germany", country="DE", reps=[anna, ben, cleo])
    return marketer, rule, (anna, ben, cleo)


def _hand_off(marketer, **lead):
    return lead_hand_off(lead=LeadFactory(**lead), note="Asked for a demo.", by=marketer)


def _later(handoff, minutes):
    return handoff.created_at + timedelta(minutes=minutes)


def _offers(handoff):
    return list(
        HandoffOffer.objects.filter(handoff=handoff).order_by("position").values_list("rep__username", "outcome")
    )


def test_with_offers_off_a_rule_handoff_is_no_offer_and_never_moves(team):
    marketer, _, (anna, _, _) = team
    # when
    handoff = _hand_off(marketer)
    result = offers_sweep(now=_later(handoff, 60 * 24 * 30))
    # then
    handoff.refresh_from_db()
    assert handoff.to_rep == anna
    assert _offers(handoff) == []
    assert result.lapsed == 0


def test_a_rule_handoff_is_an_offer_to_one_rep_for_the_configured_minutes(team, offers_on):
    marketer, _, (anna, _, _) = team
    # when
    handoff = _hand_off(marketer)
    # then
    offer = HandoffOffer.objects.get(handoff=handoff)
    assert (offer.rep, offer.outcome, offer.position) == (anna, OfferOutcome.OPEN, 1)
    assert offer.due_at - offer.offered_at == timedelta(minutes=5)
    assert handoff.routing_reason.startswith("Offer 1, for 5 minutes: Rule “Germany”")
    assert handoff.lead.owner == anna
    # The SLA clock is the handoff's, unchanged by the offer.
    assert handoff.sla_due_at - handoff.created_at == timedelta(hours=24)


def test_a_lapsed_offer_moves_round_robin_to_the_next_rep_and_then_to_the_managers(team, offers_on):
    marketer, _, (anna, ben, cleo) = team
    manager = ManagerFactory(username="max")
    handoff = _hand_off(marketer)

    # Not yet: the offer has time left.
    assert offers_sweep(now=_later(handoff, 4)).lapsed == 0
    # when: its five minutes pass
    result = offers_sweep(now=_later(handoff, 5))
    # then
    handoff.refresh_from_db()
    handoff.lead.refresh_from_db()
    assert (result.lapsed, result.moved) == (1, 1)
    assert _offers(handoff) == [("anna", "lapsed"), ("ben", "open")]
    assert handoff.to_rep == ben and handoff.lead.owner == ben
    assert handoff.outcome == "open" and handoff.lead.status == LeadStatus.HANDED_OFF
    assert handoff.routing_reason.startswith("Offer 2: The offer to anna lapsed after 5 minutes")
    assert "turn 2" in handoff.routing_reason
    event = LeadEvent.objects.filter(lead=handoff.lead, kind=EventKind.OFFER).get()
    assert "Offered to ben (offer 2)" in event.note
    assert LiveEvent.objects.filter(recipient=ben, kind="handoff", data__lead=handoff.lead_id).exists()
    assert LiveEvent.objects.filter(recipient=anna, kind="inbox", data__lead=handoff.lead_id).exists()

    offers_sweep(now=_later(handoff, 10))
    assert _offers(handoff) == [("anna", "lapsed"), ("ben", "lapsed"), ("cleo", "open")]
    # when: the last rep lets it lapse too
    result = offers_sweep(now=_later(handoff, 15))
    # then: nobody is left, it waits for the managers, who are told
    handoff.refresh_from_db()
    handoff.lead.refresh_from_db()
    assert result.to_managers == 1
    assert _offers(handoff) == [("anna", "lapsed"), ("ben", "lapsed"), ("cleo", "lapsed")]
    assert handoff.to_rep is None and handoff.lead.owner is None
    assert "managers' queue" in handoff.routing_reason
    notice = Notification.objects.get(recipient=manager)
    assert notice.kind == NotificationKind.ESCALATION and notice.lead_id == handoff.lead_id
    assert LiveEvent.objects.filter(recipient=manager, kind="notification").exists()
    # ...and nothing moves it again.
    assert offers_sweep(now=_later(handoff, 60)).lapsed == 0


def test_the_next_offer_skips_reps_out_of_office_at_capacity_or_who_rejected_the_lead(team, offers_on):
    marketer, _, (anna, ben, cleo) = team
    dora = RepFactory(username="dora")
    team[1].reps.add(dora)
    lead = LeadFactory()
    # dora turned this lead down once before.
    first = lead_hand_off(lead=lead, rep=dora, note="By hand.", by=marketer)
    lead_reject(lead=lead, by=dora, reason=_reason())
    ben.available = False
    ben.save()
    cleo.monthly_capacity = 1
    cleo.save()
    lead_hand_off(lead=LeadFactory(), rep=cleo, note="Her one lead this month.", by=marketer)
    # when
    handoff = lead_hand_off(lead=lead, note="Back from marketing, better qualified.", by=marketer)
    assert handoff.to_rep == anna and first.id != handoff.id
    result = offers_sweep(now=_later(handoff, 5))
    # then: ben is away, cleo full, dora said no: nobody is left
    handoff.refresh_from_db()
    assert result.to_managers == 1
    assert handoff.to_rep is None


def _reason():
    from leads.models import ReasonCode

    return ReasonCode.objects.get_or_create(code="not-a-fit", defaults={"label": "Not a fit"})[0]


def test_a_rep_who_let_an_offer_lapse_is_not_offered_the_lead_again_on_a_new_handoff(team, offers_on):
    marketer, _, (anna, ben, cleo) = team
    manager = ManagerFactory()
    handoff = _hand_off(marketer)
    offers_sweep(now=_later(handoff, 5))  # anna lapsed → ben
    lead_reject(lead=handoff.lead, by=ben, reason=_reason())
    # when: marketing hands it off again by the rules
    again = lead_hand_off(lead=handoff.lead, note="Second try.", by=manager)
    # then: anna (lapsed) and ben (rejected) are skipped
    assert again.to_rep == cleo
    assert "anna (turned this lead down or let an offer of it lapse)" in again.routing_reason


def test_a_handoff_to_a_named_rep_is_not_an_offer(team, offers_on):
    marketer, _, (anna, _, _) = team
    # when
    handoff = lead_hand_off(lead=LeadFactory(), rep=anna, note="By hand.", by=marketer)
    # then
    assert _offers(handoff) == []
    assert offers_sweep(now=_later(handoff, 60)).lapsed == 0


def test_accepting_in_time_wins_and_accepting_after_the_lapse_is_a_conflict(team, offers_on):
    marketer, _, (anna, ben, _) = team
    first = _hand_off(marketer)
    second = _hand_off(marketer)  # to ben, next in the round-robin
    # when: ben accepts in time (even after the five minutes, before any sweep), anna does not
    lead_accept(lead=second.lead, by=ben)
    offers_sweep(now=_later(first, 5))
    # then
    assert _offers(second) == [("ben", "accepted")]
    assert _offers(first) == [("anna", "lapsed"), ("cleo", "open")]
    with pytest.raises(TransitionNotAllowed, match="Your offer of this lead lapsed: it went to cleo"):
        lead_accept(lead=first.lead, by=anna)


def test_accepting_after_the_lapse_answers_409_over_the_api(team, offers_on):
    marketer, _, (anna, _, _) = team
    handoff = _hand_off(marketer)
    offers_sweep(now=_later(handoff, 5))
    client = APIClient()
    client.force_authenticate(anna)
    # when
    response = client.post(f"/api/leads/{handoff.lead_id}/accept/", {}, format="json")
    # then
    assert response.status_code == 409, response.content
    assert "lapsed" in response.json()["detail"]


def test_business_minutes_stop_an_offer_over_the_weekend(team, offers_on, time_machine):
    marketer, _, (anna, ben, _) = team
    policy = sla_settings_get()
    policy.business_hours = "Mon-Fri 09:00-17:00 UTC"
    policy.save()
    # Friday 16:58: two business minutes left that day.
    time_machine.move_to(datetime(2026, 12, 4, 16, 58, tzinfo=UTC), tick=False)
    handoff = _hand_off(marketer)
    offer = HandoffOffer.objects.get(handoff=handoff)
    assert offer.due_at == datetime(2026, 12, 7, 9, 3, tzinfo=UTC)
    # when: Saturday, Sunday pass
    assert offers_sweep(now=datetime(2026, 12, 6, 23, 0, tzinfo=UTC)).lapsed == 0
    # then: Monday 09:03 it moves
    assert offers_sweep(now=datetime(2026, 12, 7, 9, 3, tzinfo=UTC)).moved == 1
    assert _offers(handoff) == [("anna", "lapsed"), ("ben", "open")]


def test_the_offer_json_shows_each_offer_to_the_marketer(team, offers_on):
    marketer, _, (anna, ben, _) = team
    handoff = _hand_off(marketer)
    offers_sweep(now=_later(handoff, 5))
    client = APIClient()
    client.force_authenticate(marketer)
    # when
    data = client.get(f"/api/leads/{handoff.lead_id}/").json()
    # then
    offers = data["latest_handoff"]["offers"]
    assert [(o["rep"]["username"], o["outcome"]) for o in offers] == [("anna", "lapsed"), ("ben", "open")]
    assert offers[0]["ended_at"] is not None and offers[1]["ended_at"] is None
    assert data["owner"]["username"] == "ben"
    assert data["latest_handoff"]["to_rep"]["username"] == "ben"
    assert any(event["kind"] == "offer" for event in data["timeline"])


def test_the_dashboard_roll_up_follows_the_offer(team, offers_on):
    marketer, _, (anna, ben, _) = team
    handoff = _hand_off(marketer)
    # when
    offers_sweep(now=_later(handoff, 5))
    # then: the roll-up the sweep kept in step equals one rebuilt from the leads
    kept = sorted(LeadDay.objects.filter(handed_off__gt=0).values_list("rep", "handed_off"))
    lead_days_rebuild()
    rebuilt = sorted(LeadDay.objects.filter(handed_off__gt=0).values_list("rep", "handed_off"))
    assert kept == rebuilt == [(ben.id, 1)]


def test_the_sweep_takes_the_same_number_of_queries_for_three_or_thirty_lapsed_offers(team, offers_on):
    marketer, _, _ = team
    ManagerFactory()
    few = [_hand_off(marketer) for _ in range(3)]
    many = [_hand_off(marketer) for _ in range(30)]

    def count(handoffs):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            result = offers_sweep(now=_later(handoffs[-1], 5))
        assert result.moved == len(handoffs)
        return len(queries)

    HandoffOffer.objects.filter(handoff__in=many).update(due_at=_later(many[-1], 60))
    three = count(few)
    HandoffOffer.objects.filter(handoff__in=many).update(due_at=_later(many[-1], 1))
    thirty = count(many)
    # 1. the atomic block's savepoint, 2. the SLA settings (offers on?), 3.–4. take the lapsed offers
    # with their leads locked (SKIP LOCKED) and mark them lapsed: on PostgreSQL JIT off for the
    # transaction, then one statement; elsewhere a read and an update, 5. the reps who may not have
    # each lead again (lapsed or rejected offers and rejected handoffs, one UNION), 6. lock the
    # rules, 7. the rules' reps, 8. the reps, 9. their territories, 10. their verticals (nobody has a
    # monthly capacity: no count of their handoffs this month), 11. insert the next offers, 12. move
    # the handoffs, 13. move the leads' owners, 14. the roll-up upsert, 15. the timeline entries,
    # 16. the rules' turns, 17. the reps' chat webhooks, 18. the live events, 19. the release.
    assert thirty == three == QUERIES
    assert HandoffOffer.objects.filter(outcome=OfferOutcome.LAPSED).count() == 33
    assert LiveEvent.objects.filter(kind="inbox").count() == 33


def test_sweep_cold_leads_also_moves_lapsed_offers(team, offers_on, time_machine):
    marketer, _, _ = team
    handoff = _hand_off(marketer)
    time_machine.move_to(_later(handoff, 6), tick=False)
    # when
    out = io.StringIO()
    call_command("sweep_cold_leads", stdout=out)
    # then
    assert _offers(handoff) == [("anna", "lapsed"), ("ben", "open")]
    assert "1 offers lapsed, 1 offered to the next rep" in out.getvalue()


def test_the_sla_settings_page_sets_the_offer_minutes_and_the_change_is_audited(team, client):
    marketer, _, (anna, _, _) = team
    manager = ManagerFactory(username="boss")
    policy = sla_settings_get()
    data = {
        "sla_accept_hours": "24",
        "cold_after_days": "7",
        "escalate_after_hours": "24",
        "feedback_response_days": "3",
        "business_hours": "",
        "holidays": "",
    }
    # when
    sla_settings_update(data={**data, "offer_minutes": "0.1"}, by=manager)
    # then
    policy.refresh_from_db()
    assert policy.offer_minutes == Decimal("0.1")
    entry = AuditEntry.objects.filter(area="sla").latest("id")
    assert "offer_minutes" in str(entry.changes)
    handoff = _hand_off(marketer)
    offer = HandoffOffer.objects.get(handoff=handoff)
    assert offer.due_at - offer.offered_at == timedelta(seconds=6)

    client.force_login(manager)
    page = client.get("/settings/sla/")
    assert b'name="offer_minutes"' in page.content and b'value="0.1"' in page.content
    bad = client.post("/settings/sla/", {**data, "offer_minutes": "-1"})
    assert bad.status_code == 400 and b"greater than 0" in bad.content
    assert Handoff.objects.count() == 1


def test_turning_offers_off_leaves_each_lead_with_the_rep_it_is_offered_to(team, offers_on, settings):
    marketer, _, (anna, _, _) = team
    handoff = _hand_off(marketer)
    # when: offers are turned off while anna's is open, and its time passes
    settings.ALIGNMENT_OFFER_MINUTES = 0
    result = offers_sweep(now=_later(handoff, 60))
    # then: anna keeps it
    handoff.refresh_from_db()
    assert result.lapsed == 0 and handoff.to_rep == anna
