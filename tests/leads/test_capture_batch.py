"""Capture as a batch: one capture and a thousand run the same few statements, and a batch means
exactly what the same captures one at a time would."""

import pytest
from django.db import connection
from django.db.models import signals
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from alignment.webhooks.services import webhook_endpoint_create
from leads.capture import lead_capture, lead_capture_many
from leads.models import CaptureChannel, EventKind, Lead, LeadDay, LeadScore, Touch
from tests.alignment.factories import VerticalFactory
from tests.leads.factories import CampaignFactory, LeadFactory

POSTGRES = connection.vendor == "postgresql"


def token_client(user):
    return APIClient(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")


def test_one_api_capture_is_one_statement_on_postgresql(django_assert_num_queries, marketer, campaign):
    # given: the token, the campaign, the verticals and the webhook endpoints have been read once
    VerticalFactory(name="Fintech")
    client = token_client(marketer)
    client.post("/api/leads/", {"email": "first@x.test", "campaign": campaign.id, "industry": "Fintech"}, format="json")

    # PostgreSQL: the lead's upsert, the roll-up, its score row, the touch and the captured event in
    # one statement, atomic by itself. Elsewhere: the transaction's start (a savepoint inside the
    # test's transaction), which of the emails are known already, the upsert, the roll-up, the score
    # row, the touch and the event, and the transaction's end.
    with django_assert_num_queries(1 if POSTGRES else 8):
        response = client.post(
            "/api/leads/",
            {"email": "Ann@X.test", "campaign": campaign.id, "industry": "fintech", "name": "Ann"},
            format="json",
        )

    assert response.status_code == 201
    body = response.json()
    assert (body["email"], body["name"], body["industry"], body["touch_count"]) == ("ann@x.test", "Ann", "Fintech", 1)
    assert body["campaign"] == {"id": campaign.id, "name": campaign.name}
    assert body["owner"] is None and body["duplicate"] is False
    lead = Lead.objects.get(email="ann@x.test")
    assert [e.kind for e in lead.events.all()] == [EventKind.CAPTURED]
    assert lead.touches.count() == 1
    assert LeadDay.objects.get(campaign=campaign).captured == 2


def test_a_known_email_through_the_api_reads_the_lead_back_once(django_assert_num_queries, marketer, rep, campaign):
    LeadFactory(email="known@x.test", campaign=campaign, owner=rep, name="Known", company="", touch_count=3)
    client = token_client(marketer)
    client.post("/api/leads/", {"email": "warm@x.test", "campaign": campaign.id}, format="json")

    # PostgreSQL: the capture's one statement; elsewhere savepoint, known emails, upsert, touch,
    # touch event, release. Then the lead read back with its owner, first campaign and industry.
    with django_assert_num_queries(2 if POSTGRES else 7):
        response = client.post(
            "/api/leads/", {"email": "KNOWN@x.test", "campaign": campaign.id, "company": "Acme"}, format="json"
        )

    assert response.status_code == 200
    body = response.json()
    assert body["duplicate"] is True and body["touch_count"] == 4
    assert body["owner"] == {"id": rep.id, "username": rep.username}
    assert (body["name"], body["company"]) == ("Known", "Acme")
    # a touch on its timeline, and nothing more captured in the roll-up than the warm-up's lead
    lead = Lead.objects.get(email="known@x.test")
    assert [(e.kind, e.note) for e in lead.events.all()] == [
        (EventKind.TOUCH, f"Captured again via API ({campaign.name}).")
    ]
    assert lead.touches.get().channel == CaptureChannel.API
    assert sum(LeadDay.objects.filter(campaign=campaign).values_list("captured", flat=True)) == 1


def test_a_capture_naming_a_new_industry_files_the_lead_under_a_new_vertical(marketer, campaign):
    client = token_client(marketer)

    response = client.post(
        "/api/leads/", {"email": "vi@x.test", "campaign": campaign.id, "industry": "Agritech"}, format="json"
    )

    assert response.status_code == 201 and response.json()["industry"] == "Agritech"
    lead = Lead.objects.get(email="vi@x.test")
    assert lead.industry.name == "Agritech"
    assert [e.kind for e in lead.events.all()] == [EventKind.CAPTURED] and lead.touches.count() == 1
    assert LeadDay.objects.get(campaign=campaign).captured == 1


@pytest.mark.parametrize("count", [5, 200])
def test_bulk_capture_runs_the_same_statements_for_5_or_200_leads(django_assert_num_queries, marketer, count):
    campaign = CampaignFactory(owner=marketer)
    client = token_client(marketer)
    client.post("/api/leads/", {"email": "warm@x.test", "campaign": campaign.id}, format="json")
    items = [{"email": f"p{n}@x.test", "campaign": campaign.id, "industry": "Retail"} for n in range(count)]

    # 1. the campaigns the items name
    # 2. savepoint (the transaction), 3. savepoint (the batch, for a row the database refuses)
    # 4. the verticals (none is "Retail" yet: it is created, 5., and the verticals read again, 6.)
    # 7. (SQLite: which emails are known) 8. the upsert 9. roll-up + score rows + touches + events
    # (4 on SQLite) 10., 11. the savepoints released
    with django_assert_num_queries(10 if POSTGRES else 14):
        response = client.post("/api/leads/bulk/", {"leads": items}, format="json")

    assert response.json()["created"] == count
    assert Touch.objects.filter(lead__email__startswith="p").count() == count


def test_a_batch_means_what_the_same_captures_one_at_a_time_mean(marketer):
    # given: one lead already known, and a batch that captures it again and a new person twice
    campaign = CampaignFactory(owner=marketer, source="event")
    other = CampaignFactory(owner=marketer)
    LeadFactory(email="known@x.test", campaign=other, name="", company="Old Co", touch_count=1)
    items = [
        ({"email": "New@x.test", "name": "", "company": "New Co"}, campaign),
        ({"email": "known@x.test", "name": "Kim", "company": "Other Co"}, campaign),
        ({"email": "not an email"}, campaign),
        ({"email": " new@x.test ", "name": "Nia", "company": "Ignored Co", "source": "referral"}, other),
    ]

    # when
    results = lead_capture_many(items=items, by=marketer, channel=CaptureChannel.IMPORT)

    # then: per item, the lead and whether it was created, or what is wrong with it
    new, known = Lead.objects.get(email="new@x.test"), Lead.objects.get(email="known@x.test")
    assert [(r[0].pk, r[1]) for r in (results[0], results[1], results[3])] == [
        (new.pk, True),
        (known.pk, False),
        (new.pk, False),
    ]
    assert results[2].fields == {"email": ["Enter a valid email address."]}
    # the new lead: the first capture's values, its blanks filled by the second, the first's source
    assert (new.name, new.company, new.source, new.campaign_id, new.touch_count) == (
        "Nia",
        "New Co",
        "event",
        campaign.id,
        2,
    )
    # the known lead: a blank filled in, nothing overwritten, its campaign kept
    assert (known.name, known.company, known.campaign_id, known.touch_count) == ("Kim", "Old Co", other.id, 2)
    assert [e.kind for e in new.events.order_by("at", "id")] == [EventKind.CAPTURED, EventKind.TOUCH]
    assert [e.kind for e in known.events.all()] == [EventKind.TOUCH]
    assert sorted(t.campaign_id for t in new.touches.all()) == sorted([campaign.id, other.id])
    # the roll-up counts one capture, on the campaign and source it was captured from
    assert list(LeadDay.objects.filter(captured__gt=0).values_list("campaign_id", "source", "captured")) == [
        (campaign.id, "event", 1)
    ]


def test_a_batch_emits_one_captured_event_per_new_lead(marketer, manager, private_webhooks):
    from alignment.models import WebhookEvent

    webhook_endpoint_create(url="http://127.0.0.1:9/hook", events=["lead.captured"], by=manager)
    campaign = CampaignFactory(owner=marketer)
    items = [({"email": "a@x.test"}, campaign), ({"email": "b@x.test"}, campaign), ({"email": "a@x.test"}, campaign)]

    lead_capture_many(items=items, by=marketer, channel=CaptureChannel.API)

    events = WebhookEvent.objects.filter(type="lead.captured").order_by("data__lead__email")
    assert [e.data["lead"]["email"] for e in events] == ["a@x.test", "b@x.test"]
    assert events[0].data["lead"]["campaign"] == {"id": campaign.id, "name": campaign.name}
    assert events[0].data["actor"] == {"id": marketer.id, "username": marketer.username}
    assert events[0].data["channel"] == "api"


def _state(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


@pytest.mark.parametrize("listening", [False, True], ids=["built from the row", "through the ORM"])
def test_the_leads_a_batch_hands_back_are_the_rows_it_wrote(marketer, campaign, listening):
    # given: a known lead, and (in the second case) something listening to the models' post_init
    LeadFactory(email="known@x.test", campaign=campaign, company="Old Co")
    seen = []

    def listener(sender, instance, **kwargs):
        seen.append(sender)

    if listening:
        signals.post_init.connect(listener, sender=Lead)
    try:
        items = [({"email": "new@x.test"}, campaign), ({"email": "known@x.test", "name": "Kim"}, campaign)]
        results = lead_capture_many(items=items, by=marketer, channel=CaptureChannel.IMPORT)
    finally:
        signals.post_init.disconnect(listener, sender=Lead)

    # then: each lead as the database holds it, saved, its campaign and a new lead's score row at hand
    for lead, _created in results:
        assert _state(lead) == _state(Lead.objects.get(pk=lead.pk))
        assert not lead._state.adding and lead._state.db == "default"
        assert lead.campaign == campaign
    new = results[0][0]
    assert results[0][1] and _state(new.scored) == _state(LeadScore.objects.get(pk=new.pk))
    assert new.scored.lead is new and new.score is None
    assert (Lead in seen) == listening


def test_a_renamed_campaign_is_read_again_by_the_next_capture(marketer, campaign):
    client = token_client(marketer)
    client.post("/api/leads/", {"email": "a@x.test", "campaign": campaign.id}, format="json")

    campaign.name = "Spring fair"
    campaign.save()
    response = client.post("/api/leads/", {"email": "b@x.test", "campaign": campaign.id}, format="json")

    assert response.json()["campaign"]["name"] == "Spring fair"


def test_a_deactivated_user_or_a_deleted_token_is_refused_at_once(marketer, campaign):
    token = Token.objects.create(user=marketer)
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/me/").status_code == 200  # the token is in the cache now

    marketer.is_active = False
    marketer.save()
    refused_inactive = client.get("/api/me/").status_code
    marketer.is_active = True
    marketer.save()
    allowed_again = client.get("/api/me/").status_code
    token.delete()
    refused_deleted = client.get("/api/me/").status_code

    assert (refused_inactive, allowed_again, refused_deleted) == (401, 200, 401)


def test_a_role_change_is_seen_by_the_next_request(marketer, campaign):
    client = token_client(marketer)
    assert client.post("/api/leads/", {"email": "a@x.test", "campaign": campaign.id}, format="json").status_code == 201

    marketer.role = "rep"
    marketer.save(update_fields=["role"])

    assert client.post("/api/leads/", {"email": "b@x.test", "campaign": campaign.id}, format="json").status_code == 403


def test_a_single_capture_raises_what_is_wrong(marketer, campaign):
    from alignment.errors import InvalidInput

    with pytest.raises(InvalidInput) as error:
        lead_capture(data={"email": "nope"}, campaign=campaign, by=marketer)

    assert error.value.fields == {"email": ["Enter a valid email address."]}
    assert not Lead.objects.exists()
