from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from alignment.errors import InvalidInput, NotAllowed, TransitionNotAllowed
from alignment.models import Notification, WebhookEvent
from feedback.models import FeedbackItem, Verdict
from feedback.services import lead_lose_with_feedback, lead_win_with_feedback, verdict_give
from leads.models import Handoff, Lead
from leads.services import lead_hand_off, lead_qualify
from planning.evidence import request_outcome, segment_evidence
from planning.models import CampaignRequest, RequestStatus
from planning.services import (
    campaign_request_accept,
    campaign_request_decline,
    campaign_request_deliver,
    campaign_request_refresh,
    campaign_request_start,
)
from tests.alignment.factories import MarketerFactory, VerticalFactory
from tests.feedback.factories import accepted_lead
from tests.leads.factories import CampaignFactory, LeadFactory, RoutingRuleFactory
from tests.planning.factories import file_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def retail(db):
    return VerticalFactory(name="Retail")


def _segment_rows(marketer, rep, retail):
    """A segment's year: judged, rejected-like and lost leads, plus some outside it."""
    old = timezone.now() - timedelta(days=400)
    for n in range(3):
        lead = accepted_lead(marketer=marketer, rep=rep, industry=retail, country="DE", region="Bavaria")
        verdict_give(lead=lead, by=rep, verdict="bad", reason="no_budget" if n else "timing", pain_themes=["price"])
    good = accepted_lead(marketer=marketer, rep=rep, industry=retail, country="DE")
    verdict_give(lead=good, by=rep, verdict="good", pain_themes=["price", "integration"])
    lost = accepted_lead(marketer=marketer, rep=rep, industry=retail, country="DE")
    lead_lose_with_feedback(lead=lost, by=rep, reason="competitor")
    LeadFactory(industry=retail, country="DE")  # captured, not judged
    LeadFactory(industry=retail, country="DE", captured_at=old, last_touch_at=old, last_activity_at=old)
    LeadFactory(industry=retail, country="FR")
    LeadFactory(industry=VerticalFactory(name="Banking"), country="DE")


def _reference_evidence(retail, *, region=""):
    """The evidence counted by hand from the rows."""
    since = timezone.now() - timedelta(days=365)
    leads = [
        lead
        for lead in Lead.objects.all()
        if lead.industry_id == retail.pk
        and lead.country == "DE"
        and (not region or lead.region == region)
        and lead.captured_at >= since
    ]
    ids = {lead.pk for lead in leads}
    bad_reasons = Counter(
        item.reason.code
        for item in FeedbackItem.objects.filter(lead_id__in=ids, kind__in=["bad_verdict", "rejected", "lost"])
        if item.reason_id
    )
    themes = Counter(
        theme.code
        for verdict in Verdict.objects.filter(lead_id__in=ids, current=True)
        for theme in verdict.pain_themes.all()
    )
    return {
        "leads": len(leads),
        "judged": sum(1 for lead in leads if lead.verdict),
        "good": sum(1 for lead in leads if lead.verdict == "good"),
        "bad": sum(1 for lead in leads if lead.verdict == "bad"),
        "top_bad_reasons": dict(bad_reasons),
        "lost_reasons": dict(Counter(lead.lost_reason.code for lead in leads if lead.lost_reason_id)),
        "pain_themes": dict(themes),
    }


def _as_dicts(evidence):
    return {
        **{key: evidence[key] for key in ("leads", "judged", "good", "bad")},
        **{
            key: {row["code"]: row["count"] for row in evidence[key]}
            for key in ("top_bad_reasons", "lost_reasons", "pain_themes")
        },
    }


def test_filing_attaches_the_segments_evidence_equal_to_a_count_of_the_rows(marketer, rep, retail):
    _segment_rows(marketer, rep, retail)

    whole = file_request(by=rep, vertical=retail, territory="DE")
    bavaria = file_request(by=rep, vertical=retail, territory="de/bavaria")

    assert _as_dicts(whole.evidence) == _reference_evidence(retail)
    assert _as_dicts(bavaria.evidence) == _reference_evidence(retail, region="Bavaria")
    assert whole.evidence["leads"] == 6 and bavaria.evidence["leads"] == 3
    assert (bavaria.country, bavaria.region, bavaria.territory) == ("DE", "bavaria", "DE/bavaria")


def test_a_segments_evidence_is_three_queries(marketer, rep, retail, django_assert_num_queries):
    _segment_rows(marketer, rep, retail)

    # 1. the segment's leads counted by lost reason and the pain themes their current verdicts name
    # (the totals are their sums), 2. the bad reasons of its leads' feedback items, 3. the themes' codes
    with django_assert_num_queries(3):
        evidence = segment_evidence(vertical_id=retail.pk, country="DE")

    assert _as_dicts(evidence) == _reference_evidence(retail)
    assert evidence["lost_reasons"] == [{"code": "competitor", "label": "Competitor", "count": 1}]


def test_a_segment_without_leads_has_zero_evidence(rep, retail):
    request = file_request(by=rep, vertical=retail, territory="NO")

    assert request.evidence["leads"] == 0
    assert request.evidence["pain_themes"] == [] and request.evidence["top_bad_reasons"] == []


def test_every_field_error_comes_at_once(rep):
    with pytest.raises(InvalidInput) as error:
        file_request(
            by=rep,
            title="",
            vertical="No such vertical",
            territory="Germany",
            goal_leads=0,
            needed_by=timezone.localdate(),
            pain_themes=["made_up"],
        )

    assert set(error.value.fields) == {"title", "vertical", "territory", "goal_leads", "needed_by", "pain_themes"}
    assert not CampaignRequest.objects.exists()


def test_only_reps_and_managers_file(marketer, manager, retail):
    with pytest.raises(NotAllowed):
        file_request(by=marketer, vertical=retail)

    assert file_request(by=manager, vertical=retail).requester == manager


def test_a_new_request_tells_every_marketer_and_emits_a_webhook_event(marketer, rep, retail, webhook):
    other = MarketerFactory()

    request = file_request(by=rep, vertical=retail)

    told = Notification.objects.filter(kind="request").values_list("recipient_id", flat=True)
    assert sorted(told) == sorted([marketer.pk, other.pk])
    event = WebhookEvent.objects.get(type="campaign_request.created")
    assert event.data["campaign_request"]["id"] == request.pk
    assert event.data["campaign_request"]["territory"] == "DE"
    assert event.data["actor"]["id"] == rep.pk


def test_the_state_machine_moves_forward_and_tells_the_requester_each_time(marketer, rep, retail, webhook):
    request = file_request(by=rep, vertical=retail)
    campaign = CampaignFactory(owner=marketer)

    campaign_request_accept(request=request, by=marketer)
    campaign_request_start(request=request, by=marketer)
    delivered = campaign_request_deliver(request=request, by=marketer, campaign=campaign)

    assert delivered.status == RequestStatus.DELIVERED and delivered.campaign == campaign
    told = list(
        Notification.objects.filter(recipient=rep, kind="request").order_by("id").values_list("message", flat=True)
    )
    assert len(told) == 3
    assert "accepted" in told[0] and "started" in told[1] and campaign.name in told[2]
    updates = WebhookEvent.objects.filter(type="campaign_request.updated").order_by("created_at")
    assert [e.data["campaign_request"]["status"] for e in updates] == ["accepted", "in_progress", "delivered"]


@pytest.mark.parametrize(
    ("moves", "refused"),
    [
        ([], "start"),
        ([], "deliver"),
        (["accept"], "accept"),
        (["accept"], "decline"),
        (["accept"], "deliver"),
        (["decline"], "accept"),
        (["decline"], "start"),
        (["accept", "start"], "start"),
        (["accept", "start"], "accept"),
        (["accept", "start", "deliver"], "deliver"),
        (["accept", "start", "deliver"], "decline"),
    ],
)
def test_any_other_move_is_a_conflict(marketer, rep, retail, moves, refused):
    request = file_request(by=rep, vertical=retail)
    campaign = CampaignFactory(owner=marketer)
    act = {
        "accept": lambda: campaign_request_accept(request=request, by=marketer),
        "decline": lambda: campaign_request_decline(request=request, by=marketer, reason="No budget this quarter."),
        "start": lambda: campaign_request_start(request=request, by=marketer),
        "deliver": lambda: campaign_request_deliver(request=request, by=marketer, campaign=campaign),
    }
    for move in moves:
        act[move]()
    before = CampaignRequest.objects.get(pk=request.pk).status

    with pytest.raises(TransitionNotAllowed):
        act[refused]()

    assert CampaignRequest.objects.get(pk=request.pk).status == before


def test_declining_needs_a_reason_and_keeps_it(marketer, rep, retail):
    request = file_request(by=rep, vertical=retail)

    with pytest.raises(InvalidInput) as error:
        campaign_request_decline(request=request, by=marketer, reason="  ")
    declined = campaign_request_decline(request=request, by=marketer, reason="Covered by the spring campaign.")

    assert "reason" in error.value.fields
    assert declined.status == "declined" and declined.decline_reason == "Covered by the spring campaign."
    assert "Covered by the spring campaign." in Notification.objects.get(recipient=rep, kind="request").message


def test_reps_do_not_triage(rep, other_rep, retail):
    request = file_request(by=rep, vertical=retail)

    with pytest.raises(NotAllowed):
        campaign_request_accept(request=request, by=rep)


def _delivered(marketer, rep, retail, *, territory="DE"):
    request = file_request(by=rep, vertical=retail, territory=territory)
    campaign = CampaignFactory(owner=marketer, name="Retail DE spring")
    campaign_request_accept(request=request, by=marketer)
    campaign_request_start(request=request, by=marketer)
    return campaign_request_deliver(request=request, by=marketer, campaign=campaign), campaign


def test_a_delivered_campaigns_leads_in_the_segment_go_to_the_requester_with_the_request_named(
    marketer, rep, other_rep, retail
):
    RoutingRuleFactory(name="Everyone", reps=[other_rep])
    request, campaign = _delivered(marketer, rep, retail)
    in_segment = LeadFactory(campaign=campaign, industry=retail, country="DE", captured_by=marketer)
    elsewhere = LeadFactory(campaign=campaign, industry=retail, country="FR", captured_by=marketer)
    other_campaign = LeadFactory(industry=retail, country="DE", captured_by=marketer)

    handoffs = [
        lead_hand_off(lead=lead, note="From the spring campaign.", by=marketer)
        for lead in (in_segment, elsewhere, other_campaign)
    ]

    assert [h.to_rep for h in handoffs] == [rep, other_rep, other_rep]
    assert f"Request #{request.pk}" in handoffs[0].routing_reason
    assert "campaign Retail DE spring" in handoffs[0].routing_reason


def test_while_the_requester_is_away_the_usual_rules_apply(marketer, rep, other_rep, retail):
    RoutingRuleFactory(name="Everyone", reps=[other_rep])
    _, campaign = _delivered(marketer, rep, retail)
    rep.available = False
    rep.save(update_fields=["available"])
    lead = LeadFactory(campaign=campaign, industry=retail, country="DE", captured_by=marketer)

    handoff = lead_hand_off(lead=lead, note="From the spring campaign.", by=marketer)

    assert handoff.to_rep == other_rep
    assert "out of office" in handoff.routing_reason


def test_the_outcome_equals_a_count_of_the_rows_beside_the_segments_baseline(marketer, rep, retail):
    request, campaign = _delivered(marketer, rep, retail)
    other = CampaignFactory(owner=marketer)
    ours = [
        accepted_lead(marketer=marketer, rep=rep, campaign=campaign, industry=retail, country="DE") for _ in range(4)
    ]
    theirs = [
        accepted_lead(marketer=marketer, rep=rep, campaign=other, industry=retail, country="DE") for _ in range(3)
    ]
    for lead, verdict in zip(ours[:3], ["good", "good", "bad"], strict=True):
        verdict_give(lead=lead, by=rep, verdict=verdict, reason="no_need" if verdict == "bad" else None)
    for lead, verdict in zip(theirs, ["good", "bad", "bad"], strict=True):
        verdict_give(lead=lead, by=rep, verdict=verdict, reason="no_need" if verdict == "bad" else None)
    lead_qualify(lead=ours[0], by=rep)
    lead_win_with_feedback(lead=ours[0], by=rep, amount=Decimal("1200.50"))
    accepted_lead(marketer=marketer, rep=rep, campaign=campaign, industry=retail, country="FR")  # not the segment

    outcome = campaign_request_refresh(request=request).outcome

    # the reference, from the rows
    segment = [lead for lead in Lead.objects.all() if lead.industry_id == retail.pk and lead.country == "DE"]
    mine = [lead for lead in segment if lead.campaign_id == campaign.pk]
    base = [lead for lead in segment if lead.campaign_id != campaign.pk and lead.verdict]
    assert outcome["leads"] == len(mine) == 4
    assert outcome["judged"] == sum(1 for lead in mine if lead.verdict) == 3
    assert outcome["good"] == 2
    assert outcome["good_share"] == round(2 / 3, 4)
    assert outcome["baseline_good_share"] == round(sum(1 for lead in base if lead.verdict == "good") / len(base), 4)
    assert outcome["won"] == 1 and outcome["won_revenue"] == "1200.50"


def test_the_outcome_is_null_until_delivered(rep, retail):
    request = file_request(by=rep, vertical=retail)

    assert request_outcome(request=request) is None
    assert campaign_request_refresh(request=request).outcome is None


def test_refreshing_keeps_the_evidence_current_until_delivery(marketer, rep, retail):
    request = file_request(by=rep, vertical=retail)
    LeadFactory(industry=retail, country="DE")

    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        refreshed = campaign_request_refresh(request=request)

    assert refreshed.evidence["leads"] == 1
    assert refreshed.evidence == segment_evidence(vertical_id=retail.pk, country="DE") | {
        "since": refreshed.evidence["since"]
    }
    assert Handoff.objects.count() == 0


def test_each_status_change_reaches_the_requester_in_app_by_email_and_in_chat_as_they_chose(
    marketer, rep, other_rep, retail, manager, private_webhooks, mailoutbox
):
    from alignment.services import notification_email_send
    from alignment.webhooks.services import webhook_endpoint_create
    from tests.alignment.test_chat import posts_to

    quiet = other_rep
    quiet.chat_notifications = False
    quiet.email_notifications = False
    quiet.save(update_fields=["chat_notifications", "email_notifications"])
    chat = webhook_endpoint_create(url="http://127.0.0.1:9/chat", kind="slack", user=rep, by=manager)
    quiet_chat = webhook_endpoint_create(url="http://127.0.0.1:9/quiet", kind="slack", user=quiet, by=manager)
    mine, theirs = file_request(by=rep, vertical=retail), file_request(by=quiet, vertical=retail)

    campaign_request_accept(request=mine, by=marketer)
    campaign_request_decline(request=theirs, by=marketer, reason="No budget this quarter.")

    told = Notification.objects.filter(kind="request", recipient__in=[rep, quiet]).order_by("id")
    assert [(n.recipient_id, "accepted" in n.message or "declined" in n.message) for n in told] == [
        (rep.id, True),
        (quiet.id, True),
    ]
    assert [(p["kind"], p["recipient"]["id"]) for p in posts_to(chat)] == [("request", rep.id)]
    assert "accepted" in posts_to(chat)[0]["message"]
    assert posts_to(quiet_chat) == []
    sent = [notification_email_send(notification_id=n.id) for n in told]
    assert sent == [True, False]
    assert [m.to for m in mailoutbox] == [[rep.email]]


def test_the_scorecard_shows_what_a_delivered_request_brought_on_its_campaigns_row(marketer, rep, retail, client):
    from rest_framework.test import APIClient

    request, campaign = _delivered(marketer, rep, retail)
    other = CampaignFactory(owner=marketer, name="Other")
    ours = [
        accepted_lead(marketer=marketer, rep=rep, campaign=campaign, industry=retail, country="DE") for _ in range(2)
    ]
    theirs = [
        accepted_lead(marketer=marketer, rep=rep, campaign=other, industry=retail, country="DE") for _ in range(2)
    ]
    verdict_give(lead=ours[0], by=rep, verdict="good")
    verdict_give(lead=ours[1], by=rep, verdict="bad", reason="no_need")
    verdict_give(lead=theirs[0], by=rep, verdict="bad", reason="no_need")
    verdict_give(lead=theirs[1], by=rep, verdict="bad", reason="no_need")
    lead_qualify(lead=ours[0], by=rep)
    lead_win_with_feedback(lead=ours[0], by=rep, amount=Decimal("900.00"))
    outcome = campaign_request_refresh(request=request).outcome

    api = APIClient()
    api.force_authenticate(marketer)
    body = api.get("/api/feedback/campaigns/", {"period": "all"}).json()
    rows = {row["campaign"]["name"]: row for row in body["campaigns"]}
    assert rows["Other"]["requests"] == []
    [shown] = rows["Retail DE spring"]["requests"]
    assert shown["id"] == request.pk and shown["title"] == request.title
    assert shown["outcome"] == {key: outcome[key] for key in shown["outcome"]}
    assert (shown["outcome"]["leads"], shown["outcome"]["judged"], shown["outcome"]["good"]) == (2, 2, 1)
    assert (shown["outcome"]["good_share"], shown["outcome"]["baseline_good_share"]) == (0.5, 0.0)
    assert (shown["outcome"]["won"], shown["outcome"]["won_revenue"]) == (1, "900.00")

    client.force_login(marketer)
    page = client.get("/feedback/campaigns/?period=all").content.decode()
    assert f"For the request “{request.title}”" in page
    assert "2 leads in the segment, 2 judged, 1 good (50% good beside 0% for the segment" in page
    # one query for every campaign's requests, however many were delivered
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries():
        with CaptureQueriesContext(connection) as seen:
            assert api.get("/api/feedback/campaigns/", {"period": "all"}).status_code == 200
        return len(seen.captured_queries)

    one = queries()
    for n in range(3):
        more = file_request(by=rep, vertical=retail)
        campaign_request_accept(request=more, by=marketer)
        campaign_request_start(request=more, by=marketer)
        campaign_request_deliver(request=more, by=marketer, campaign=CampaignFactory(owner=marketer, name=f"More {n}"))
    assert queries() == one
