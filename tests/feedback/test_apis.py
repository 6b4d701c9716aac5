from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from alignment.sla import sla_settings_get
from feedback.models import FeedbackItem, FeedbackKind, FeedbackReply, FeedbackStatus, ReasonCode, Verdict
from feedback.rollup import reason_days_rebuild
from feedback.services import feedback_request, verdict_give
from leads.models import Lead, LeadStatus
from leads.rollup import lead_days_rebuild
from tests.alignment.factories import MarketerFactory
from tests.feedback.factories import accepted_lead
from tests.leads.factories import CampaignFactory, LeadFactory


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def _bad_item(marketer, rep, **fields):
    lead = accepted_lead(marketer=marketer, rep=rep, **fields)
    verdict_give(lead=lead, by=rep, verdict="bad", reason="no_budget", note="No money.")
    return FeedbackItem.objects.get(lead=lead)


# --- verdict ----------------------------------------------------------------------------------


def test_the_owning_rep_posts_a_verdict(marketer, rep):
    lead = accepted_lead(marketer=marketer, rep=rep)

    response = client_for(rep).post(
        f"/api/leads/{lead.pk}/verdict/",
        {"verdict": "bad", "reason": "not_icp", "note": "Agency.", "pain_points": "Manual reporting"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["verdict"] == "bad" and body["reason"]["code"] == "not_icp" and body["current"] is True
    assert FeedbackItem.objects.filter(lead=lead, kind=FeedbackKind.BAD_VERDICT).count() == 1


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"verdict": "bad", "reason": "nope"}, "reason"),
        ({"verdict": "bad"}, "reason"),
        ({"verdict": "maybe", "reason": "no_need"}, "verdict"),
        ({"verdict": "good", "status": "won"}, "status"),
    ],
)
def test_verdict_bad_input_is_a_400_naming_the_field(marketer, rep, payload, field):
    lead = accepted_lead(marketer=marketer, rep=rep)

    response = client_for(rep).post(f"/api/leads/{lead.pk}/verdict/", payload, format="json")

    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not Verdict.objects.exists()


def test_verdict_permissions(marketer, rep, other_rep):
    lead = accepted_lead(marketer=marketer, rep=rep)
    payload = {"verdict": "bad", "reason": "no_need"}

    assert client_for(marketer).post(f"/api/leads/{lead.pk}/verdict/", payload, format="json").status_code == 403
    assert client_for(other_rep).post(f"/api/leads/{lead.pk}/verdict/", payload, format="json").status_code == 404
    assert client_for(rep).post("/api/leads/999999/verdict/", payload, format="json").status_code == 404
    assert APIClient().post(f"/api/leads/{lead.pk}/verdict/", payload, format="json").status_code in (401, 403)
    assert not Verdict.objects.exists()


def test_verdict_before_accepting_is_a_409(marketer, rep):
    lead = LeadFactory(captured_by=marketer)
    from leads.services import lead_hand_off

    lead_hand_off(lead=lead, rep=rep, note="Story.", by=marketer)

    response = client_for(rep).post(
        f"/api/leads/{lead.pk}/verdict/", {"verdict": "bad", "reason": "no_need"}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"


def test_verdict_with_an_idempotency_key_is_given_once(marketer, rep):
    lead = accepted_lead(marketer=marketer, rep=rep)
    client = client_for(rep)
    payload = {"verdict": "bad", "reason": "no_need"}

    first = client.post(f"/api/leads/{lead.pk}/verdict/", payload, format="json", HTTP_IDEMPOTENCY_KEY="v-1")
    again = client.post(f"/api/leads/{lead.pk}/verdict/", payload, format="json", HTTP_IDEMPOTENCY_KEY="v-1")

    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Verdict.objects.filter(lead=lead).count() == 1


# --- feedback request -------------------------------------------------------------------------


def test_marketer_requests_feedback_and_the_rep_sees_it(marketer, rep):
    lead = accepted_lead(marketer=marketer, rep=rep)

    response = client_for(marketer).post(
        f"/api/leads/{lead.pk}/feedback-request/", {"note": "How was the call?"}, format="json"
    )

    assert response.status_code == 201
    item_id = response.json()["id"]
    queue = client_for(rep).get("/api/feedback/").json()["results"]
    assert [item["id"] for item in queue] == [item_id]
    assert queue[0]["kind"] == "request"
    again = client_for(marketer).post(f"/api/leads/{lead.pk}/feedback-request/", {"note": "And?"}, format="json")
    assert again.status_code == 409
    assert (
        client_for(rep).post(f"/api/leads/{lead.pk}/feedback-request/", {"note": "?"}, format="json").status_code == 403
    )
    empty = client_for(marketer).post(f"/api/leads/{lead.pk}/feedback-request/", {"note": ""}, format="json")
    assert empty.status_code == 400


# --- the queue and its scoping ----------------------------------------------------------------


def test_queue_is_scoped_per_role_and_an_invisible_item_is_a_404(marketer, rep, other_rep, manager):
    mine = _bad_item(marketer, rep)
    other_marketer = MarketerFactory()
    theirs = _bad_item(other_marketer, other_rep)

    def ids(user):
        return [item["id"] for item in client_for(user).get("/api/feedback/").json()["results"]]

    assert ids(marketer) == [mine.pk]
    assert ids(rep) == [mine.pk]
    assert ids(other_rep) == [theirs.pk]
    assert ids(manager) == [mine.pk, theirs.pk]
    assert client_for(marketer).get(f"/api/feedback/{theirs.pk}/").status_code == 404
    assert client_for(rep).get(f"/api/feedback/{theirs.pk}/").status_code == 404
    assert client_for(rep).post(f"/api/feedback/{theirs.pk}/replies/", {"body": "hi"}, format="json").status_code == 404
    assert client_for(manager).get(f"/api/feedback/{theirs.pk}/").status_code == 200


def test_queue_is_oldest_first_and_filters(marketer, rep, other_rep):
    old = _bad_item(marketer, rep)
    FeedbackItem.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=5))
    lead = accepted_lead(marketer=marketer, rep=other_rep, campaign=CampaignFactory(owner=marketer))
    verdict_give(lead=lead, by=other_rep, verdict="bad", reason="spam")
    new = FeedbackItem.objects.get(lead=lead)
    client = client_for(marketer)

    def ids(query=""):
        response = client.get(f"/api/feedback/{query}")
        assert response.status_code == 200, response.json()
        return [item["id"] for item in response.json()["results"]]

    assert ids() == [old.pk, new.pk]
    flags = {item["id"]: item["overdue"] for item in client.get("/api/feedback/").json()["results"]}
    assert flags == {old.pk: True, new.pk: False}
    assert ids("?reason=spam") == [new.pk]
    assert ids(f"?campaign={lead.campaign_id}") == [new.pk]
    assert ids(f"?person={rep.pk}") == [old.pk]
    assert ids("?status=resolved") == []
    assert client.get("/api/feedback/?status=bogus").status_code == 400
    assert client.get("/api/feedback/?campaign=abc").status_code == 400


def _bulk_items(marketer, rep, n):
    """`n` open bad-verdict items on `n` leads, written in bulk (the queue's read is what is measured)."""
    campaign = CampaignFactory(owner=marketer)
    now = timezone.now()
    leads = Lead.objects.bulk_create(
        [
            Lead(
                email=f"bulk{i}@company{i}.test",
                campaign=campaign,
                captured_by=marketer,
                owner=rep,
                status=LeadStatus.WORKING,
                captured_at=now,
                last_touch_at=now,
                last_activity_at=now,
                handed_off_at=now,
                accepted_at=now,
                verdict="bad",  # the current verdict, as the verdict service leaves it on the lead
                verdict_at=now,
                verdict_wait=timedelta(0),
            )
            for i in range(n)
        ]
    )
    reason = ReasonCode.objects.get(code="no_need")
    verdicts = Verdict.objects.bulk_create(
        [Verdict(lead=lead, rep=rep, verdict="bad", reason=reason, created_at=now) for lead in leads]
    )
    FeedbackItem.objects.bulk_create(
        [
            FeedbackItem(
                lead=lead,
                kind=FeedbackKind.BAD_VERDICT,
                assignee=marketer,
                marketer=marketer,
                rep=rep,
                opened_by=rep,
                verdict=verdict,
                reason=reason,
                status=FeedbackStatus.OPEN,
                created_at=now - timedelta(minutes=i),
            )
            for i, (lead, verdict) in enumerate(zip(leads, verdicts, strict=True))
        ]
    )


@pytest.mark.parametrize("n", [10, 1000])
def test_queue_api_query_count_does_not_grow_with_the_queue(marketer, rep, django_assert_num_queries, n):
    _bulk_items(marketer, rep, n)
    sla_settings_get()  # the settings row exists in any running install
    client = client_for(marketer)

    # 1. the page of items with lead, campaign, owner, reason, assignee, marketer, rep, verdict joined
    # 2. the SLA settings (the response threshold that flags overdue items)
    with django_assert_num_queries(2):
        response = client.get("/api/feedback/")

    assert response.status_code == 200
    assert len(response.json()["results"]) == min(n, 50)


def test_item_detail_carries_the_conversation(marketer, rep):
    item = _bad_item(marketer, rep)
    client_for(marketer).post(f"/api/feedback/{item.pk}/replies/", {"body": "Really?"}, format="json")
    client_for(rep).post(f"/api/feedback/{item.pk}/replies/", {"body": "Really."}, format="json")

    body = client_for(rep).get(f"/api/feedback/{item.pk}/").json()

    assert [(r["author"]["id"], r["body"]) for r in body["replies"]] == [(marketer.pk, "Really?"), (rep.pk, "Really.")]
    assert body["reason"]["code"] == "no_budget"
    assert body["lead"]["id"] == item.lead_id


def test_empty_reply_is_a_400_and_changes_nothing(marketer, rep):
    item = _bad_item(marketer, rep)

    response = client_for(marketer).post(f"/api/feedback/{item.pk}/replies/", {"body": "   "}, format="json")

    assert response.status_code == 400
    assert "body" in response.json()["fields"]
    assert not FeedbackReply.objects.exists()


# --- resolve ----------------------------------------------------------------------------------


def test_resolve_recycled_over_the_api(marketer, rep):
    item = _bad_item(marketer, rep)
    later = (timezone.localdate() + timedelta(days=30)).isoformat()

    response = client_for(marketer).post(
        f"/api/feedback/{item.pk}/resolve/",
        {"resolution": "recycled", "reason": "Budget next quarter", "reengage_after": later},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "resolved" and response.json()["resolution"] == "recycled"
    lead = Lead.objects.get(pk=item.lead_id)
    assert lead.status == LeadStatus.NURTURE and lead.recycle_count == 1
    again = client_for(marketer).post(
        f"/api/feedback/{item.pk}/resolve/", {"resolution": "recycled", "reason": "x"}, format="json"
    )
    assert again.status_code == 409


def test_resolve_fixed_data_over_the_api(marketer, rep):
    item = _bad_item(marketer, rep, phone="000")

    response = client_for(marketer).post(
        f"/api/feedback/{item.pk}/resolve/",
        {"resolution": "fixed_data", "data": {"phone": "+1 555 0100", "title": "CTO"}},
        format="json",
    )

    assert response.status_code == 200, response.json()
    lead = Lead.objects.get(pk=item.lead_id)
    assert (lead.phone, lead.title) == ("+1 555 0100", "CTO")


def test_resolve_recycled_without_a_reason_takes_the_items_own(marketer, rep):
    # given a bad verdict for "no budget"
    item = _bad_item(marketer, rep)

    # when marketing recycles it saying nothing more
    response = client_for(marketer).post(f"/api/feedback/{item.pk}/resolve/", {"resolution": "recycled"}, format="json")

    # then the lead goes to nurture with the verdict's reason
    assert response.status_code == 200, response.json()
    lead = Lead.objects.get(pk=item.lead_id)
    assert lead.status == LeadStatus.NURTURE
    assert lead.recycle_reason == ReasonCode.objects.get(code="no_budget").label


def test_resolve_recycled_without_any_reason_at_all_is_a_400(marketer, rep):
    item = _bad_item(marketer, rep)
    FeedbackItem.objects.filter(pk=item.pk).update(reason=None, note="")

    response = client_for(marketer).post(f"/api/feedback/{item.pk}/resolve/", {"resolution": "recycled"}, format="json")

    assert response.status_code == 400
    assert "reason" in response.json()["fields"]
    assert Lead.objects.get(pk=item.lead_id).status == LeadStatus.ACCEPTED


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"resolution": "shrugged"}, "resolution"),
        ({"resolution": "fixed_data", "data": {"owner": 3}}, "data"),
        ({"resolution": "fixed_data"}, "data"),
        ({"resolution": "disputed"}, "note"),
        ({"resolution": "answered"}, "resolution"),
        ({"resolution": "recycled", "reason": "x", "reengage_after": "yesterday"}, "reengage_after"),
    ],
)
def test_resolve_bad_input_is_a_400_and_changes_nothing(marketer, rep, payload, field):
    item = _bad_item(marketer, rep)

    response = client_for(marketer).post(f"/api/feedback/{item.pk}/resolve/", payload, format="json")

    assert response.status_code == 400, response.json()
    assert field in response.json()["fields"]
    item.refresh_from_db()
    assert item.status == FeedbackStatus.OPEN
    assert Lead.objects.get(pk=item.lead_id).status == LeadStatus.ACCEPTED


def test_resolve_permissions(marketer, rep, manager):
    item = _bad_item(marketer, rep)
    payload = {"resolution": "campaign_changed", "note": "Narrowed the audience."}

    assert client_for(rep).post(f"/api/feedback/{item.pk}/resolve/", payload, format="json").status_code == 403
    other = MarketerFactory()
    assert client_for(other).post(f"/api/feedback/{item.pk}/resolve/", payload, format="json").status_code == 404
    assert client_for(manager).post(f"/api/feedback/{item.pk}/resolve/", payload, format="json").status_code == 200


def test_request_resolved_by_verdict_then_resolve_is_409(marketer, rep):
    lead = accepted_lead(marketer=marketer, rep=rep)
    request = feedback_request(lead=lead, by=marketer, note="News?")
    verdict_give(lead=lead, by=rep, verdict="good")

    response = client_for(marketer).post(
        f"/api/feedback/{request.pk}/resolve/", {"resolution": "answered"}, format="json"
    )

    assert response.status_code == 409


# --- scorecard, insights, schema --------------------------------------------------------------


def test_scorecard_reports_quality_per_campaign(marketer, rep):
    campaign = CampaignFactory(owner=marketer, cost="1000.00")
    good = accepted_lead(marketer=marketer, rep=rep, campaign=campaign)
    verdict_give(lead=good, by=rep, verdict="good")
    for _ in range(3):
        bad = accepted_lead(marketer=marketer, rep=rep, campaign=campaign)
        verdict_give(lead=bad, by=rep, verdict="bad", reason="no_budget")
    from feedback.services import lead_win_with_feedback
    from leads.services import lead_qualify

    lead_qualify(lead=good, by=rep)
    lead_win_with_feedback(lead=good, by=rep, amount="5000")
    lead_days_rebuild()  # the leads were stored by the factory, not captured: roll them up

    body = client_for(marketer).get(f"/api/feedback/campaigns/?campaign={campaign.pk}").json()

    (row,) = body["campaigns"]
    assert row["campaign"]["id"] == campaign.pk
    assert (row["captured"], row["handed_off"], row["accepted"]) == (4, 4, 4)
    assert row["acceptance_rate"] == 1.0
    assert (row["good"], row["bad"], row["good_share"], row["bad_share"]) == (1, 3, 0.25, 0.75)
    assert row["top_bad_reasons"] == [{"reason": "No budget", "count": 3}]
    assert row["won_revenue"] == "5000.00"
    assert row["cost_per_won"] == "1000.00"
    assert row["median_time_to_verdict_hours"] is not None
    assert client_for(rep).get("/api/feedback/campaigns/").status_code == 403
    assert client_for(marketer).get("/api/feedback/campaigns/?period=forever").status_code == 400


@pytest.mark.parametrize("n", [10, 1000])
def test_scorecard_query_count_does_not_grow_with_leads(marketer, rep, django_assert_num_queries, n):
    _bulk_items(marketer, rep, n)
    lead_days_rebuild()  # written in bulk, behind the services' back: rolled up as `rebuild_dashboard` does
    reason_days_rebuild()
    CampaignFactory.create_batch(3, owner=marketer)
    client = client_for(marketer)

    # 1. the campaigns with their owners
    # 2. per campaign from the roll-up: leads captured / handed off / accepted / won, revenue, and
    #    their current verdicts
    # 3. median time from handoff to first verdict, per campaign
    # 4. bad reasons per campaign
    # 5. the delivered campaign requests the campaigns answer, with their outcomes
    with django_assert_num_queries(5):
        response = client.get("/api/feedback/campaigns/?period=all&sort=-bad_share")

    assert response.status_code == 200
    assert response.json()["campaigns"][0]["bad"] == n


def test_insights_group_pain_points(marketer, rep):
    lead = accepted_lead(marketer=marketer, rep=rep)
    verdict_give(lead=lead, by=rep, verdict="good", pain_points="Spreadsheets everywhere")
    other = accepted_lead(marketer=marketer, rep=rep)
    verdict_give(lead=other, by=rep, verdict="bad", reason="timing", pain_points="Migration fatigue")

    body = client_for(marketer).get("/api/feedback/insights/?group_by=campaign&q=spreadsheet").json()

    assert [entry["pain_points"] for group in body["groups"] for entry in group["entries"]] == [
        "Spreadsheets everywhere"
    ]
    assert client_for(rep).get("/api/feedback/insights/").status_code == 403


def test_schema_lists_verdict_reason_and_resolution_enums(manager):
    response = client_for(manager).get("/api/schema/?format=json")

    schemas = response.json()["components"]["schemas"]
    text = str(schemas)
    assert "no_budget" in text
    assert "fixed_data" in text and "recycled" in text and "campaign_changed" in text and "disputed" in text
    assert "'good'" in text and "'bad'" in text
    paths = response.json()["paths"]
    for path in (
        "/api/leads/{id}/verdict/",
        "/api/leads/{id}/feedback-request/",
        "/api/feedback/",
        "/api/feedback/{id}/",
        "/api/feedback/{id}/replies/",
        "/api/feedback/{id}/resolve/",
        "/api/feedback/campaigns/",
    ):
        assert path in paths, path


def test_reason_codes_listed(rep):
    body = client_for(rep).get("/api/feedback/reasons/").json()

    assert len(body) == 12
    assert body[0] == {"code": "wrong_contact_data", "label": "Wrong contact data", "active": True}
