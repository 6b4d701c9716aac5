import json
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from alignment.models import IdempotencyRecord
from leads.models import EventKind, Handoff, Lead, LeadStatus, Touch
from leads.services import lead_accept, lead_hand_off, lead_log_activity
from tests.alignment.factories import RepFactory
from tests.leads.factories import CampaignFactory, LeadFactory, RoutingRuleFactory


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    # Throttle counts live in the shared cache (Redis when configured): start every test at zero.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api():
    return APIClient()


def as_user(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def handed_off(lead, *, rep, by):
    lead_hand_off(lead=lead, rep=rep, note="Asked for a demo twice.", by=by)
    lead.refresh_from_db()
    return lead


def accepted(lead, *, rep, by):
    handed_off(lead, rep=rep, by=by)
    lead_accept(lead=lead, by=rep)
    lead.refresh_from_db()
    return lead


def working(lead, *, rep, by):
    accepted(lead, rep=rep, by=by)
    lead_log_activity(lead=lead, by=rep, kind=EventKind.CALL, note="Intro call.")
    lead.refresh_from_db()
    return lead


def snapshot():
    """What a bad request must leave untouched."""
    return (
        list(Lead.objects.order_by("id").values()),
        Touch.objects.count(),
        Handoff.objects.count(),
        IdempotencyRecord.objects.count(),
    )


# --- capture ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["marketer", "manager"])
def test_capture_creates_a_lead_for_marketers_and_managers(request, role, campaign):
    user = request.getfixturevalue(role)

    response = as_user(user).post(
        "/api/leads/",
        {"campaign": campaign.id, "email": " Ada@Example.COM ", "name": "Ada", "country": "de"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["duplicate"] is False
    assert body["email"] == "ada@example.com"
    assert body["status"] == "new"
    assert body["owner"] is None
    assert body["campaign"] == {"id": campaign.id, "name": campaign.name}
    assert body["touch_count"] == 1
    assert body["captured_at"] is not None
    assert Lead.objects.get().country == "DE"


def test_capture_is_forbidden_to_reps(rep, campaign):
    response = as_user(rep).post("/api/leads/", {"campaign": campaign.id, "email": "a@b.test"}, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not Lead.objects.exists()


def test_anonymous_callers_are_refused(api, campaign):
    response = api.post("/api/leads/", {"campaign": campaign.id, "email": "a@b.test"}, format="json")

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Token"
    assert response.json()["code"] == "not_authenticated"
    assert api.get("/api/leads/").status_code == 401


def test_capture_of_a_known_email_answers_200_with_the_existing_lead(marketer, campaign):
    client = as_user(marketer)
    first = client.post("/api/leads/", {"campaign": campaign.id, "email": "ada@example.com"}, format="json").json()
    other_campaign = CampaignFactory(owner=marketer)

    response = client.post(
        "/api/leads/", {"campaign": other_campaign.id, "email": "ADA@example.com", "company": "AE"}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["duplicate"] is True
    assert body["id"] == first["id"]
    assert body["touch_count"] == 2
    assert body["company"] == "AE"
    assert Lead.objects.count() == 1


def test_capture_stores_formula_like_cells_as_plain_text(marketer, campaign):
    formula = '=HYPERLINK("http://evil.test","x")'

    response = as_user(marketer).post(
        "/api/leads/",
        {"campaign": campaign.id, "email": "f@x.test", "name": formula, "company": "+1 Corp", "notes": "@here"},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["name"] == formula
    lead = Lead.objects.get()
    assert (lead.name, lead.company, lead.notes) == (formula, "+1 Corp", "@here")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": ["a@b.test"]}, "email"),
        ({"email": "a@b.test", "estimated_value": "lots"}, "estimated_value"),
        ({"email": "a@b.test", "estimated_value": -5}, "estimated_value"),
        ({"email": "a@b.test", "name": {"first": "Ada"}}, "name"),
        ({"email": "a@b.test", "country": "Atlantis"}, "country"),
        ({"email": "a@b.test", "name": "x" * 201}, "name"),
        ({"email": "a@b.test", "status": "won"}, "status"),
        ({"email": "a@b.test", "owner": 1}, "owner"),
        ({"email": "a@b.test", "captured_at": "2020-01-01T00:00:00Z"}, "captured_at"),
        ({"email": "a@b.test", "id": 7}, "id"),
    ],
)
def test_capture_refuses_bad_input_naming_the_field_and_changes_nothing(marketer, campaign, body, field):
    LeadFactory(campaign=campaign, email="a@b.test", name="Kept")
    before = snapshot()

    response = as_user(marketer).post("/api/leads/", {"campaign": campaign.id, **body}, format="json")

    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "invalid"
    assert field in response.json()["fields"]
    assert snapshot() == before


def test_capture_names_every_unknown_field(marketer, campaign):
    response = as_user(marketer).post(
        "/api/leads/", {"campaign": campaign.id, "email": "a@b.test", "stage": "x", "score": 9}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"stage", "score"}
    assert "Unknown field" in response.json()["fields"]["stage"][0]


def test_capture_into_an_unknown_campaign_is_a_400(marketer):
    response = as_user(marketer).post("/api/leads/", {"campaign": 999999, "email": "a@b.test"}, format="json")

    assert response.status_code == 400
    assert "campaign" in response.json()["fields"]
    assert not Lead.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [b'{"email": "a@b.test",', b"[1, 2, 3]", b'"just a string"', b"\xff\xfe not utf-8", b"NaN"],
)
def test_malformed_json_is_a_400_and_changes_nothing(marketer, campaign, raw):
    before = snapshot()

    response = as_user(marketer).post("/api/leads/", raw, content_type="application/json")

    assert response.status_code == 400
    assert set(response.json()) >= {"detail", "code"}
    assert snapshot() == before


def test_a_json_body_over_one_megabyte_is_a_413(marketer, campaign):
    body = json.dumps({"campaign": campaign.id, "email": "big@x.test", "notes": "x" * (1024 * 1024)})

    response = as_user(marketer).post("/api/leads/", body, content_type="application/json")

    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert not Lead.objects.exists()


def test_a_form_body_over_one_megabyte_is_a_413(marketer, campaign):
    body = f"campaign={campaign.id}&email=big%40x.test&notes=" + "x" * (1024 * 1024)

    response = as_user(marketer).post("/api/leads/", body, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert not Lead.objects.exists()


def test_an_unsupported_content_type_is_a_415(marketer, campaign):
    response = as_user(marketer).post("/api/leads/", b"email=a@b.test", content_type="text/plain")

    assert response.status_code == 415
    assert not Lead.objects.exists()


# --- idempotency --------------------------------------------------------------------------------


def test_a_retried_capture_with_the_same_key_replays_the_first_answer(marketer, campaign):
    client = as_user(marketer)
    body = {"campaign": campaign.id, "email": "ada@example.com", "name": "Ada"}

    first = client.post("/api/leads/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    retry = client.post("/api/leads/", dict(reversed(body.items())), format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    lead = Lead.objects.get()
    assert lead.touch_count == 1
    assert Touch.objects.count() == 1


def test_the_same_key_with_a_different_body_is_a_422(marketer, campaign):
    client = as_user(marketer)
    client.post("/api/leads/", {"campaign": campaign.id, "email": "a@x.test"}, format="json", HTTP_IDEMPOTENCY_KEY="k")

    response = client.post(
        "/api/leads/", {"campaign": campaign.id, "email": "b@x.test"}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert list(Lead.objects.values_list("email", flat=True)) == ["a@x.test"]


def test_keys_are_per_user(marketer, manager, campaign):
    body = {"campaign": campaign.id, "email": "a@x.test"}
    as_user(marketer).post("/api/leads/", body, format="json", HTTP_IDEMPOTENCY_KEY="shared")

    response = as_user(manager).post("/api/leads/", body, format="json", HTTP_IDEMPOTENCY_KEY="shared")

    assert response.status_code == 200
    assert response.json()["duplicate"] is True
    assert Lead.objects.get().touch_count == 2


def test_a_failed_attempt_is_not_remembered_so_its_key_can_be_retried(marketer, rep, campaign):
    lead = LeadFactory(campaign=campaign)
    client = as_user(marketer)
    url = f"/api/leads/{lead.id}/handoff/"

    failed = client.post(url, {"rep": rep.id, "note": ""}, format="json", HTTP_IDEMPOTENCY_KEY="h")
    fixed = client.post(url, {"rep": rep.id, "note": "Story."}, format="json", HTTP_IDEMPOTENCY_KEY="h")
    replay = client.post(url, {"rep": rep.id, "note": "Story."}, format="json", HTTP_IDEMPOTENCY_KEY="h")

    assert failed.status_code == 400
    assert fixed.status_code == replay.status_code == 200
    assert replay.json() == fixed.json()
    assert Handoff.objects.count() == 1


def test_an_overlong_idempotency_key_is_a_400(marketer, campaign):
    response = as_user(marketer).post(
        "/api/leads/", {"campaign": campaign.id, "email": "a@x.test"}, format="json", HTTP_IDEMPOTENCY_KEY="k" * 256
    )

    assert response.status_code == 400
    assert not Lead.objects.exists()


# --- list and detail ----------------------------------------------------------------------------


def test_marketers_and_managers_list_every_lead_and_a_rep_only_theirs(marketer, manager, rep, other_rep, campaign):
    mine = handed_off(LeadFactory(campaign=campaign), rep=rep, by=marketer)
    theirs = handed_off(LeadFactory(campaign=campaign), rep=other_rep, by=marketer)
    unassigned = LeadFactory(campaign=campaign)

    def ids(user):
        response = as_user(user).get("/api/leads/")
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}

    assert ids(marketer) == ids(manager) == {mine.id, theirs.id, unassigned.id}
    assert ids(rep) == {mine.id}
    assert ids(other_rep) == {theirs.id}


def test_the_list_filters_by_status_owner_campaign_and_cold(marketer, rep, other_rep, campaign):
    other_campaign = CampaignFactory(owner=marketer)
    handed = handed_off(LeadFactory(campaign=campaign), rep=rep, by=marketer)
    elsewhere = LeadFactory(campaign=other_campaign)
    cold = handed_off(LeadFactory(campaign=campaign), rep=other_rep, by=marketer)
    cold.cold_episodes.create(reason="not_accepted", cold_since=timezone.now(), opened_at=timezone.now())
    client = as_user(marketer)

    def ids(query):
        response = client.get("/api/leads/" + query)
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert ids("?status=handed_off") == {handed.id, cold.id}
    assert ids(f"?owner={rep.id}") == {handed.id}
    assert ids(f"?campaign={other_campaign.id}") == {elsewhere.id}
    assert ids("?cold=true") == {cold.id}
    assert ids("?cold=false") == {handed.id, elsewhere.id}
    assert ids("") == {handed.id, elsewhere.id, cold.id}


@pytest.mark.parametrize("query", ["?status=sleeping", "?owner=abc", "?cold=maybe", "?campaign=-1", "?colour=red"])
def test_bad_list_filters_are_a_400(marketer, query):
    response = as_user(marketer).get("/api/leads/" + query)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_the_list_paginates_by_cursor(marketer, campaign):
    leads = LeadFactory.create_batch(5, campaign=campaign)
    client = as_user(marketer)

    first = client.get("/api/leads/?page_size=3").json()
    second = client.get(first["next"]).json()

    assert [row["id"] for row in first["results"]] == [lead.id for lead in reversed(leads)][:3]
    assert [row["id"] for row in second["results"]] == [lead.id for lead in reversed(leads)][3:]
    assert "cursor=" in first["next"]
    assert second["next"] is None


@pytest.mark.parametrize("role", ["marketer", "rep"])
@pytest.mark.parametrize("count", [5, 50])
def test_the_list_runs_the_same_queries_for_5_or_50_leads(
    django_assert_num_queries, request, marketer, rep, campaign, count, role
):
    from rest_framework.authtoken.models import Token

    from tests.alignment.factories import VerticalFactory

    vertical = VerticalFactory(name="Fintech")
    leads = LeadFactory.create_batch(count, campaign=campaign, industry=vertical)
    for lead in leads:
        handed_off(lead, rep=rep, by=marketer)
    token = Token.objects.create(user=request.getfixturevalue(role))
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")

    # 1. the token and its user
    # 2. the page of leads the user may see, with owner, campaign and industry joined
    with django_assert_num_queries(2):
        response = client.get("/api/leads/")

    assert response.status_code == 200
    rows = response.json()["results"]
    assert len(rows) == count
    assert {row["owner"]["id"] for row in rows} == {rep.id}
    assert {row["industry"] for row in rows} == {"Fintech"}


def test_the_detail_carries_the_timeline_and_the_latest_handoff(marketer, rep, campaign):
    rule = RoutingRuleFactory(name="Germany", country="DE", reps=[rep])
    lead = LeadFactory(campaign=campaign, country="DE")
    client = as_user(marketer)
    client.post(f"/api/leads/{lead.id}/handoff/", {"note": "Asked for pricing."}, format="json")

    response = as_user(rep).get(f"/api/leads/{lead.id}/")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "handed_off"
    assert body["owner"] == {"id": rep.id, "username": rep.username}
    transition = body["timeline"][-1]
    assert transition["kind"] == "transition"
    assert (transition["from_status"], transition["to_status"]) == ("new", "handed_off")
    assert transition["actor"] == {"id": marketer.id, "username": marketer.username}
    assert transition["at"]
    handoff = body["latest_handoff"]
    assert handoff["outcome"] == "open"
    assert handoff["to_rep"]["id"] == rep.id
    assert handoff["routing_rule"] == rule.name
    assert "Germany" in handoff["routing_reason"]
    assert handoff["sla_due_at"]
    assert body["overlap_warnings"] == []


def test_the_detail_warns_of_overlapping_open_work(marketer, rep, other_rep, campaign):
    handed_off(
        LeadFactory(campaign=campaign, company="Initech", email="peter@initech.test"), rep=other_rep, by=marketer
    )
    lead = LeadFactory(campaign=campaign, company="Initech", email="bill@initech.test")

    body = as_user(marketer).get(f"/api/leads/{lead.id}/").json()

    assert len(body["overlap_warnings"]) == 1
    assert "Initech" in body["overlap_warnings"][0]


def test_a_lead_another_rep_holds_is_a_404(marketer, rep, other_rep, campaign):
    lead = handed_off(LeadFactory(campaign=campaign), rep=other_rep, by=marketer)

    response = as_user(rep).get(f"/api/leads/{lead.id}/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert as_user(rep).get("/api/leads/999999/").status_code == 404


# --- actions: every endpoint × role -------------------------------------------------------------
# Snoozes reach a year ahead at most and re-engage dates three years: dates a few months out.
SNOOZE_UNTIL = (timezone.now() + timedelta(days=60)).strftime("%Y-%m-%dT09:00:00Z")
REENGAGE_AFTER = (timezone.now() + timedelta(days=90)).date().isoformat()
# (path, body, how to prepare the lead, the status it ends in)
REP_ACTIONS = [
    ("accept", {}, handed_off, LeadStatus.ACCEPTED),
    ("reject", {"reason": "not_icp", "note": "Student."}, handed_off, LeadStatus.REJECTED),
    ("activity", {"kind": "call", "note": "Intro."}, accepted, LeadStatus.WORKING),
    ("qualify", {}, working, LeadStatus.QUALIFIED),
    ("lost", {"reason": "no_budget", "note": "Froze spend."}, working, LeadStatus.LOST),
    ("snooze", {"until": SNOOZE_UNTIL, "reason": "Back from leave in Q3."}, working, LeadStatus.WORKING),
]


@pytest.fixture
def reason_codes(db):
    from feedback.models import ReasonCode

    return set(ReasonCode.objects.filter(active=True).values_list("code", flat=True))


@pytest.mark.parametrize(("action", "body", "prepare", "to_status"), REP_ACTIONS)
def test_rep_actions_are_allowed_to_the_rep_holding_the_lead(
    marketer, rep, campaign, reason_codes, action, body, prepare, to_status
):
    if action in ("reject", "lost"):
        assert body["reason"] in reason_codes, "the test uses a code that is not seeded"
    lead = prepare(LeadFactory(campaign=campaign), rep=rep, by=marketer)

    response = as_user(rep).post(f"/api/leads/{lead.id}/{action}/", body, format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == to_status
    lead.refresh_from_db()
    assert lead.status == to_status


@pytest.mark.parametrize(("action", "body", "prepare", "to_status"), REP_ACTIONS)
def test_rep_actions_on_another_reps_lead_are_a_404(
    marketer, rep, other_rep, campaign, action, body, prepare, to_status
):
    lead = prepare(LeadFactory(campaign=campaign), rep=rep, by=marketer)
    before = snapshot()

    response = as_user(other_rep).post(f"/api/leads/{lead.id}/{action}/", body, format="json")

    assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("role", ["marketer", "manager"])
@pytest.mark.parametrize(("action", "body", "prepare", "to_status"), REP_ACTIONS)
def test_rep_actions_are_forbidden_to_marketers_and_managers(
    request, marketer, rep, campaign, role, action, body, prepare, to_status
):
    lead = prepare(LeadFactory(campaign=campaign), rep=rep, by=marketer)
    before = snapshot()

    response = as_user(request.getfixturevalue(role)).post(f"/api/leads/{lead.id}/{action}/", body, format="json")

    assert response.status_code == 403
    assert snapshot() == before


def test_won_records_the_amount(marketer, rep, campaign):
    lead = working(LeadFactory(campaign=campaign), rep=rep, by=marketer)
    lead_qualify_url = f"/api/leads/{lead.id}/qualify/"
    client = as_user(rep)
    client.post(lead_qualify_url, {}, format="json")

    response = client.post(f"/api/leads/{lead.id}/won/", {"amount": "12500.50"}, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "won"
    assert response.json()["won_amount"] == "12500.50"
    assert response.json()["won_at"] is not None


@pytest.mark.parametrize("amount", ["", "abc", "-3", "0", None, [1]])
def test_won_with_a_bad_amount_is_a_400(marketer, rep, campaign, amount):
    lead = working(LeadFactory(campaign=campaign), rep=rep, by=marketer)
    as_user(rep).post(f"/api/leads/{lead.id}/qualify/", {}, format="json")
    before = snapshot()

    response = as_user(rep).post(f"/api/leads/{lead.id}/won/", {"amount": amount}, format="json")

    assert response.status_code == 400
    assert "amount" in response.json()["fields"]
    assert snapshot() == before


def test_won_is_forbidden_to_others_and_invisible_to_other_reps(marketer, rep, other_rep, campaign):
    lead = working(LeadFactory(campaign=campaign), rep=rep, by=marketer)

    assert as_user(marketer).post(f"/api/leads/{lead.id}/won/", {"amount": 5}, format="json").status_code == 403
    assert as_user(other_rep).post(f"/api/leads/{lead.id}/won/", {"amount": 5}, format="json").status_code == 404


def test_an_unknown_reason_code_is_a_400(marketer, rep, campaign):
    lead = handed_off(LeadFactory(campaign=campaign), rep=rep, by=marketer)
    before = snapshot()

    response = as_user(rep).post(f"/api/leads/{lead.id}/reject/", {"reason": "vibes"}, format="json")

    assert response.status_code == 400
    assert "reason" in response.json()["fields"]
    assert snapshot() == before


def test_an_unknown_activity_kind_is_a_400(marketer, rep, campaign):
    lead = accepted(LeadFactory(campaign=campaign), rep=rep, by=marketer)

    response = as_user(rep).post(f"/api/leads/{lead.id}/activity/", {"kind": "telepathy"}, format="json")

    assert response.status_code == 400
    assert "kind" in response.json()["fields"]


def test_a_transition_the_state_does_not_allow_is_a_409(marketer, rep, campaign):
    lead = accepted(LeadFactory(campaign=campaign), rep=rep, by=marketer)
    before = snapshot()

    response = as_user(rep).post(f"/api/leads/{lead.id}/accept/", {}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert response.json()["detail"]
    assert snapshot() == before


@pytest.mark.parametrize("until", [timezone.now() - timedelta(days=1), timezone.now() + timedelta(days=800)])
def test_snooze_in_the_past_or_years_ahead_is_a_400(marketer, rep, campaign, until):
    lead = working(LeadFactory(campaign=campaign), rep=rep, by=marketer)

    response = as_user(rep).post(
        f"/api/leads/{lead.id}/snooze/", {"until": until.isoformat(), "reason": "x"}, format="json"
    )

    assert response.status_code == 400
    assert "until" in response.json()["fields"]


def test_snooze_shows_on_the_lead(marketer, rep, campaign):
    lead = working(LeadFactory(campaign=campaign), rep=rep, by=marketer)

    body = (
        as_user(rep)
        .post(f"/api/leads/{lead.id}/snooze/", {"until": SNOOZE_UNTIL, "reason": "On leave."}, format="json")
        .json()
    )

    assert body["snoozed_until"].startswith(SNOOZE_UNTIL.removesuffix("Z"))
    assert body["snooze_reason"] == "On leave."


# --- handoff and recycle (marketers and managers) ------------------------------------------------


@pytest.mark.parametrize("role", ["marketer", "manager"])
def test_handoff_to_a_chosen_rep(request, rep, campaign, role):
    lead = LeadFactory(campaign=campaign)

    response = as_user(request.getfixturevalue(role)).post(
        f"/api/leads/{lead.id}/handoff/", {"rep": rep.id, "note": "Wants a demo."}, format="json"
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "handed_off"
    assert body["owner"]["id"] == rep.id
    assert body["latest_handoff"]["note"] == "Wants a demo."
    assert "by hand" in body["latest_handoff"]["routing_reason"]


def test_handoff_without_a_rep_routes_by_the_rules(marketer, campaign):
    reps = [RepFactory(), RepFactory()]
    RoutingRuleFactory(name="DACH", country="DE", reps=reps)
    leads = LeadFactory.create_batch(2, campaign=campaign, country="DE")
    client = as_user(marketer)

    owners = [
        client.post(f"/api/leads/{lead.id}/handoff/", {"note": "Routed."}, format="json").json()["owner"]["id"]
        for lead in leads
    ]

    assert owners == [reps[0].id, reps[1].id]


def test_handoff_with_no_eligible_rep_goes_to_the_managers_queue(marketer, campaign):
    lead = LeadFactory(campaign=campaign, country="FR")

    body = as_user(marketer).post(f"/api/leads/{lead.id}/handoff/", {"note": "Routed."}, format="json").json()

    assert body["owner"] is None
    assert "managers' queue" in body["latest_handoff"]["routing_reason"]


def test_handoff_is_forbidden_to_reps(rep, campaign):
    lead = LeadFactory(campaign=campaign)

    response = as_user(rep).post(f"/api/leads/{lead.id}/handoff/", {"rep": rep.id, "note": "x"}, format="json")

    assert response.status_code == 403
    assert not Handoff.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [({"rep": "someone", "note": "x"}, "rep"), ({"note": ""}, "note"), ({"rep": 999999, "note": "x"}, "rep")],
)
def test_handoff_with_bad_input_is_a_400(marketer, campaign, body, field):
    lead = LeadFactory(campaign=campaign)

    response = as_user(marketer).post(f"/api/leads/{lead.id}/handoff/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not Handoff.objects.exists()


def test_handoff_to_a_marketer_is_a_400(marketer, campaign):
    lead = LeadFactory(campaign=campaign)

    response = as_user(marketer).post(
        f"/api/leads/{lead.id}/handoff/", {"rep": marketer.id, "note": "x"}, format="json"
    )

    assert response.status_code == 400
    assert "rep" in response.json()["fields"]


def test_handoff_of_an_unknown_lead_is_a_404(marketer, rep):
    response = as_user(marketer).post("/api/leads/424242/handoff/", {"rep": rep.id, "note": "x"}, format="json")

    assert response.status_code == 404


def test_reassigning_needs_a_manager(marketer, manager, rep, other_rep, campaign):
    lead = handed_off(LeadFactory(campaign=campaign), rep=rep, by=marketer)
    url = f"/api/leads/{lead.id}/handoff/"

    refused = as_user(marketer).post(url, {"rep": other_rep.id, "note": "Again."}, format="json")
    done = as_user(manager).post(url, {"rep": other_rep.id, "note": "Rep is away."}, format="json")

    assert refused.status_code == 403
    assert done.status_code == 200
    assert done.json()["owner"]["id"] == other_rep.id


@pytest.mark.parametrize("role", ["marketer", "manager"])
def test_recycle_sends_a_rejected_lead_back_to_nurture(request, rep, marketer, campaign, role):
    lead = handed_off(LeadFactory(campaign=campaign), rep=rep, by=marketer)
    as_user(rep).post(f"/api/leads/{lead.id}/reject/", {"reason": "timing"}, format="json")

    response = as_user(request.getfixturevalue(role)).post(
        f"/api/leads/{lead.id}/recycle/",
        {"reason": "Try after budget season.", "reengage_after": REENGAGE_AFTER},
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "nurture"
    assert body["recycle_count"] == 1
    assert body["reengage_after"] == REENGAGE_AFTER


def test_recycle_is_forbidden_to_reps(marketer, rep, campaign):
    lead = handed_off(LeadFactory(campaign=campaign), rep=rep, by=marketer)

    response = as_user(rep).post(f"/api/leads/{lead.id}/recycle/", {"reason": "x"}, format="json")

    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.status == LeadStatus.HANDED_OFF


@pytest.mark.parametrize(
    "body",
    [
        {"reason": ""},
        {"reason": "x", "reengage_after": "next week"},
        {"reason": "x", "reengage_after": "2001-01-01"},
        {"reason": "x", "reengage_after": "2999-03-01"},
    ],
)
def test_recycle_with_bad_input_is_a_400(marketer, campaign, body):
    lead = LeadFactory(campaign=campaign)

    response = as_user(marketer).post(f"/api/leads/{lead.id}/recycle/", body, format="json")

    assert response.status_code == 400
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW


def test_recycling_a_won_lead_is_a_409(marketer, rep, campaign):
    lead = working(LeadFactory(campaign=campaign), rep=rep, by=marketer)
    client = as_user(rep)
    client.post(f"/api/leads/{lead.id}/qualify/", {}, format="json")
    client.post(f"/api/leads/{lead.id}/won/", {"amount": 10}, format="json")

    response = as_user(marketer).post(f"/api/leads/{lead.id}/recycle/", {"reason": "x"}, format="json")

    assert response.status_code == 409


# --- bulk ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["marketer", "manager"])
def test_bulk_capture_answers_per_item(request, campaign, role):
    LeadFactory(campaign=campaign, email="known@x.test")
    items = [
        {"campaign": str(campaign.id), "email": "new@x.test", "name": "New"},
        {"campaign": campaign.id, "email": "KNOWN@x.test"},
        {"campaign": campaign.id, "email": "broken"},
        {"campaign": 999999, "email": "nocampaign@x.test"},
        {"campaign": campaign.id, "email": "x@x.test", "status": "won"},
        "not an object",
    ]

    response = as_user(request.getfixturevalue(role)).post("/api/leads/bulk/", {"leads": items}, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["created"], body["duplicates"], body["errors"]) == (1, 1, 4)
    results = body["results"]
    assert [r["index"] for r in results] == list(range(6))
    assert [r["status"] for r in results] == ["created", "duplicate", "error", "error", "error", "error"]
    assert "email" in results[2]["errors"]
    assert "campaign" in results[3]["errors"]
    assert "status" in results[4]["errors"]
    assert set(Lead.objects.values_list("email", flat=True)) == {"known@x.test", "new@x.test"}
    assert Lead.objects.get(email="known@x.test").touch_count == 2


def test_bulk_capture_names_every_bad_field_of_an_item(marketer, campaign):
    items = [{"email": "bad"}, {"campaign": campaign.id, "email": "bad", "country": "Atlantis"}]

    response = as_user(marketer).post("/api/leads/bulk/", {"leads": items}, format="json")

    assert response.status_code == 200, response.json()
    first, second = response.json()["results"]
    assert set(first["errors"]) == {"campaign", "email"}
    assert first["errors"]["email"] == ["Enter a valid email address."]
    assert set(second["errors"]) == {"email", "country"}
    assert not Lead.objects.exists()


def test_bulk_capture_answers_an_item_that_is_not_an_object_with_its_own_error(marketer, campaign):
    items = [
        None,
        {"campaign": campaign.id, "email": "a@x.test"},
        5,
        "x",
        [],
        {"campaign": campaign.id, "email": "b@x.test"},
    ]

    response = as_user(marketer).post("/api/leads/bulk/", {"leads": items}, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["created"], body["duplicates"], body["errors"]) == (2, 0, 4)
    assert [r["status"] for r in body["results"]] == ["error", "created", "error", "error", "error", "created"]
    for index in (0, 2, 3, 4):
        assert body["results"][index]["errors"] == {"non_field_errors": ["Send a JSON object."]}
    assert set(Lead.objects.values_list("email", flat=True)) == {"a@x.test", "b@x.test"}


def test_capture_names_every_bad_field(marketer):
    response = as_user(marketer).post("/api/leads/", {"email": "bad"}, format="json")

    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"campaign", "email"}
    assert not Lead.objects.exists()


def test_bulk_capture_is_forbidden_to_reps(rep, campaign):
    response = as_user(rep).post(
        "/api/leads/bulk/", {"leads": [{"campaign": campaign.id, "email": "a@x.test"}]}, format="json"
    )

    assert response.status_code == 403
    assert not Lead.objects.exists()


def test_bulk_capture_takes_exactly_1000_leads(marketer, campaign):
    items = [{"campaign": campaign.id, "email": f"p{i}@x.test"} for i in range(1000)]

    response = as_user(marketer).post("/api/leads/bulk/", {"leads": items}, format="json")

    assert response.status_code == 200
    assert response.json()["created"] == 1000
    assert Lead.objects.count() == 1000


def test_bulk_capture_refuses_more_than_1000_leads(marketer, campaign):
    items = [{"campaign": campaign.id, "email": f"p{i}@x.test"} for i in range(1001)]

    response = as_user(marketer).post("/api/leads/bulk/", {"leads": items}, format="json")

    assert response.status_code == 400
    assert "1,000" in response.json()["detail"]
    assert not Lead.objects.exists()


@pytest.mark.parametrize("body", [{}, {"leads": []}, {"leads": "everyone"}, {"leads": [], "campaign": 1}])
def test_bulk_capture_with_a_bad_envelope_is_a_400(marketer, body):
    response = as_user(marketer).post("/api/leads/bulk/", body, format="json")

    assert response.status_code == 400


def test_bulk_capture_replays_with_its_idempotency_key(marketer, campaign):
    client = as_user(marketer)
    body = {"leads": [{"campaign": campaign.id, "email": "a@x.test"}, {"campaign": campaign.id, "email": "b@x.test"}]}

    first = client.post("/api/leads/bulk/", body, format="json", HTTP_IDEMPOTENCY_KEY="batch-7")
    retry = client.post("/api/leads/bulk/", body, format="json", HTTP_IDEMPOTENCY_KEY="batch-7")

    assert retry.json() == first.json()
    assert retry.json()["created"] == 2
    assert sum(Lead.objects.values_list("touch_count", flat=True)) == 2


# --- campaigns ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["marketer", "manager"])
def test_campaigns_list_with_their_form_keys(request, campaign, role):
    campaign.allowed_origins = "https://www.example.com\nhttps://shop.example.com"
    campaign.save()

    response = as_user(request.getfixturevalue(role)).get("/api/campaigns/")

    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["id"] == campaign.id
    assert row["form_key"] == campaign.form_key
    assert row["allowed_origins"] == ["https://www.example.com", "https://shop.example.com"]


def test_campaigns_are_forbidden_to_reps(rep, campaign):
    assert as_user(rep).get("/api/campaigns/").status_code == 403


# --- the public web form ------------------------------------------------------------------------


def test_public_capture_needs_no_login_and_accepts_form_posts(api, campaign):
    response = api.post(
        f"/api/capture/{campaign.form_key}/",
        "email=Visitor%40Example.com&name=Vi&company=Acme",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 201
    lead = Lead.objects.get()
    assert lead.email == "visitor@example.com"
    assert lead.campaign == campaign
    assert lead.captured_by == campaign.owner
    assert lead.touches.get().channel == "web_form"


def test_public_capture_ignores_csrf_and_accepts_json(campaign):
    client = APIClient(enforce_csrf_checks=True)

    response = client.post(f"/api/capture/{campaign.form_key}/", {"email": "v@example.com"}, format="json")

    assert response.status_code == 201
    assert Lead.objects.filter(email="v@example.com").exists()


def test_public_capture_of_a_known_email_answers_the_same_and_records_a_touch(api, campaign):
    LeadFactory(campaign=campaign, email="v@example.com")
    url = f"/api/capture/{campaign.form_key}/"

    response = api.post(url, {"email": "v@example.com"}, format="json")

    assert response.status_code == 201
    assert "duplicate" not in response.json()
    assert Lead.objects.get().touch_count == 2


def test_public_capture_honeypot_answers_as_accepted_and_stores_nothing(api, campaign):
    response = api.post(
        f"/api/capture/{campaign.form_key}/",
        {"email": "bot@spam.test", "website": "http://spam.test"},
        format="json",
    )

    assert response.status_code == 201
    assert (
        response.json() == api.post(f"/api/capture/{campaign.form_key}/", {"email": "h@x.test"}, format="json").json()
    )
    assert not Lead.objects.filter(email="bot@spam.test").exists()


def test_public_capture_on_an_unknown_or_inactive_form_is_a_404(api, campaign):
    inactive = CampaignFactory(active=False)

    assert api.post("/api/capture/nope/", {"email": "a@x.test"}, format="json").status_code == 404
    assert api.post(f"/api/capture/{inactive.form_key}/", {"email": "a@x.test"}, format="json").status_code == 404
    assert not Lead.objects.exists()


def test_public_capture_with_bad_input_is_a_400(api, campaign):
    url = f"/api/capture/{campaign.form_key}/"

    assert api.post(url, {"email": "nope"}, format="json").status_code == 400
    assert api.post(url, b"{broken", content_type="application/json").status_code == 400
    assert api.post(url, {"email": "a@x.test", "campaign": 3}, format="json").status_code == 400
    big = "email=a%40x.test&notes=" + "x" * (1024 * 1024 + 10)
    assert api.post(url, big, content_type="application/x-www-form-urlencoded").status_code == 413
    assert not Lead.objects.exists()


def test_public_capture_is_throttled_per_client_address(api, campaign, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "capture", "3/minute")
    url = f"/api/capture/{campaign.form_key}/"

    answers = [
        api.post(url, {"email": f"p{i}@x.test"}, format="json", REMOTE_ADDR="203.0.113.7").status_code for i in range(4)
    ]
    elsewhere = api.post(url, {"email": "q@x.test"}, format="json", REMOTE_ADDR="198.51.100.9")

    assert answers == [201, 201, 201, 429]
    assert elsewhere.status_code == 201
    assert Lead.objects.count() == 4


def test_public_capture_429_has_the_error_shape(api, campaign, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "capture", "1/minute")
    url = f"/api/capture/{campaign.form_key}/"
    api.post(url, {"email": "p@x.test"}, format="json")

    response = api.post(url, {"email": "q@x.test"}, format="json")

    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert "Retry-After" in response


@pytest.mark.parametrize(
    ("site_wide", "campaign_origins", "origin", "allowed"),
    [
        (["*"], "", "https://anyone.test", True),
        (["https://www.example.com"], "", "https://www.example.com", True),
        (["https://www.example.com"], "https://shop.example.com", "https://shop.example.com", True),
        (["https://www.example.com"], "https://shop.example.com", "https://evil.test", False),
        ([], "", "https://evil.test", False),
    ],
)
def test_public_capture_allows_configured_origins(
    api, settings, campaign, site_wide, campaign_origins, origin, allowed
):
    settings.ALIGNMENT_CAPTURE_ALLOWED_ORIGINS = site_wide
    campaign.allowed_origins = campaign_origins
    campaign.save()
    url = f"/api/capture/{campaign.form_key}/"

    preflight = api.options(
        url,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )
    response = api.post(url, {"email": "v@example.com"}, format="json", HTTP_ORIGIN=origin)

    if allowed:
        assert preflight.status_code == 204
        assert preflight["Access-Control-Allow-Origin"] == origin
        assert "POST" in preflight["Access-Control-Allow-Methods"]
        assert "content-type" in preflight["Access-Control-Allow-Headers"].lower()
        assert response.status_code == 201
        assert response["Access-Control-Allow-Origin"] == origin
        assert Lead.objects.exists()
    else:
        assert preflight.status_code == 403
        assert "Access-Control-Allow-Origin" not in preflight
        assert response.status_code == 403
        assert "Access-Control-Allow-Origin" not in response
        assert not Lead.objects.exists()


def test_public_capture_without_an_origin_header_is_a_server_post_and_allowed(api, settings, campaign):
    settings.ALIGNMENT_CAPTURE_ALLOWED_ORIGINS = []

    response = api.post(f"/api/capture/{campaign.form_key}/", {"email": "v@example.com"}, format="json")

    assert response.status_code == 201


def test_a_forged_forwarded_for_header_does_not_escape_the_throttle(api, campaign, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "capture", "2/minute")
    url = f"/api/capture/{campaign.form_key}/"

    answers = [
        api.post(
            url, {"email": f"p{i}@x.test"}, format="json", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}"
        ).status_code
        for i in range(3)
    ]

    assert answers == [201, 201, 429]


# --- the error shape everywhere under /api/ -----------------------------------------------------


@pytest.mark.parametrize("path", ["/api/leads/abc/", "/api/nowhere/", "/api/leads/1/fly/"])
def test_unknown_api_urls_answer_in_the_error_shape(marketer, path):
    response = as_user(marketer).get(path)

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_a_multipart_body_to_a_json_endpoint_is_a_415(marketer, campaign):
    response = as_user(marketer).post("/api/leads/", {"campaign": campaign.id, "email": "m@x.test"}, format="multipart")

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    assert not Lead.objects.exists()


def test_a_wrong_method_is_a_405_in_the_error_shape(marketer):
    response = as_user(marketer).delete("/api/leads/")

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
