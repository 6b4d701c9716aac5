"""A person's data on request: `export_person` gives everything held about them; `forget_person` and
the managers' page erase it everywhere while every figure stays the same."""

import json
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import models
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone

from alignment.models import IdempotencyRecord, Notification, User, WebhookEvent
from alignment.services import notification_create
from dashboard.figures import dashboard_figures
from dashboard.periods import DashboardFilters
from feedback.models import FeedbackItem, ReasonDay
from feedback.scorecard import campaign_scorecard, scorecard_period
from feedback.services import feedback_reply, verdict_give
from leads.capture import lead_capture
from leads.models import ImportJob, Lead, LeadDay
from leads.services import lead_accept, lead_hand_off, lead_log_activity

pytestmark = pytest.mark.django_db

SECRETS = ("ada.person@example.com", "Ada Person", "Personcorp", "+49 170 5550199", "likes sailing")


@pytest.fixture
def person(marketer, rep, campaign, webhook):
    lead, _ = lead_capture(
        data={
            "email": "Ada.Person@example.com",
            "name": "Ada Person",
            "company": "Personcorp",
            "phone": "+49 170 5550199",
            "notes": "Met at the fair, likes sailing.",
        },
        campaign=campaign,
        by=marketer,
    )
    lead_hand_off(lead=lead, rep=rep, note="Ada Person wants a demo.", by=marketer)
    lead_accept(lead=lead, by=rep)
    lead_log_activity(lead=lead, by=rep, kind="call", note="Called Ada Person on +49 170 5550199.")
    verdict = verdict_give(lead=lead, by=rep, verdict="bad", reason="no_budget", note="Personcorp has no budget.")
    item = FeedbackItem.objects.get(lead=lead, verdict=verdict)
    feedback_reply(item=item, by=marketer, body="Ada Person said otherwise at the fair.")
    notification_create(recipient=rep, kind="reminder", message="Ada Person (Personcorp) is going cold.", lead=lead)
    ImportJob.objects.create(
        by=marketer,
        campaign=campaign,
        filename="fair.csv",
        total_bytes=10,
        errors=[{"line": 2, "reason": "Bad country"}, {"line": 3, "reason": "Bad country"}],
        failed_rows=[
            {"line": 2, "values": ["ada.person@example.com", "Ada Person", "Atlantis"]},
            {"line": 3, "values": ["bo@example.com", "Bo", "Atlantis"]},
        ],
        header=["email", "name", "country"],
    )
    IdempotencyRecord.objects.create(
        user=marketer,
        key="k1",
        method="POST",
        path="/api/leads/",
        request_hash="x",
        response_status=201,
        response_body={"id": lead.id, "email": "ada.person@example.com"},
    )
    return Lead.objects.get(pk=lead.pk)


def _rows_mentioning(text):
    """Every (model, field) of the product's tables (people's accounts aside) with a row holding `text`."""
    found = []
    for model in apps.get_models():
        if model._meta.app_label not in {"alignment", "leads", "feedback", "dashboard"} or model is User:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, (models.CharField, models.TextField, models.JSONField)):
                qs = model.objects.annotate(_text=Cast(field.name, models.TextField()))
                if qs.filter(_text__icontains=text).exists():
                    found.append(f"{model._meta.label}.{field.name}")
    return found


def _figures(now):
    today = timezone.localdate()
    filters = DashboardFilters(kind="custom", start=today - timedelta(days=30), end=today + timedelta(days=1))
    figures = dashboard_figures(filters=filters, now=now)
    period = scorecard_period("90d", today=today)
    cards = [
        (row.campaign.pk, row.captured, row.good, row.bad, row.median_time_to_verdict, row.top_bad_reasons)
        for row in campaign_scorecard(period=period)
    ]
    days = list(LeadDay.objects.order_by("pk").values()) + list(ReasonDay.objects.order_by("pk").values())
    return json.dumps(figures, default=str, sort_keys=True), cards, days


def test_export_holds_everything_about_the_person(person, tmp_path):
    out = tmp_path / "ada.json"
    call_command("export_person", "ADA.person@example.com", "--output", str(out))
    data = json.loads(out.read_text())
    (held,) = data["leads"]
    assert held["lead"]["name"] == "Ada Person"
    assert held["lead"]["notes"] == "Met at the fair, likes sailing."
    assert [h["note"] for h in held["handoffs"]] == ["Ada Person wants a demo."]
    assert "Called Ada Person on +49 170 5550199." in [e["note"] for e in held["timeline"]]
    assert held["verdicts"][0]["note"] == "Personcorp has no budget."
    assert any(r["body"] == "Ada Person said otherwise at the fair." for f in held["feedback"] for r in f["replies"])
    assert len(held["touches"]) == 1


def test_forget_leaves_nothing_about_the_person_and_every_figure_the_same(person, rep):
    assert WebhookEvent.objects.filter(data__lead__id=person.id).exists()
    now = timezone.now()
    before = _figures(now)
    for secret in SECRETS:
        assert _rows_mentioning(secret), secret  # the fixture really holds it

    call_command("forget_person", "ada.person@example.com")

    for secret in SECRETS:
        assert _rows_mentioning(secret) == [], secret
    assert _figures(now) == before
    lead = Lead.objects.get(pk=person.pk)
    assert (lead.status, lead.owner, lead.campaign_id, lead.verdict) == (
        person.status,
        person.owner,
        person.campaign_id,
        person.verdict,
    )
    assert lead.email == f"erased-{lead.pk}@erased.invalid"
    assert lead.events.filter(note="Personal data erased on request.").exists()
    job = ImportJob.objects.get()
    assert [row["line"] for row in job.failed_rows] == [3] and [e["line"] for e in job.errors] == [3]
    assert Notification.objects.filter(lead=lead, message__endswith="is going cold.").get().message == (
        "[erased] ([erased]) is going cold."
    )
    assert not IdempotencyRecord.objects.exists()


def test_forget_an_unknown_email_says_so():
    with pytest.raises(CommandError, match="No lead has the email nobody@example.com"):
        call_command("forget_person", "nobody@example.com")


def test_only_managers_see_and_use_the_erase_page(client, person, marketer, rep):
    for user in (marketer, rep):
        client.force_login(user)
        assert client.get(reverse("feedback:lead-erase", args=[person.pk])).status_code == 403
        assert client.get(reverse("feedback:lead-personal-data", args=[person.pk])).status_code == 403
        assert b"personal-data-erase" not in client.get(reverse("leads:detail", args=[person.pk])).content
    assert Lead.objects.get(pk=person.pk).name == "Ada Person"


def test_manager_erases_from_the_lead_page_after_typing_the_email(client, person, manager):
    client.force_login(manager)
    page = client.get(reverse("leads:detail", args=[person.pk]))
    assert b"personal-data-erase" in page.content

    export = client.get(reverse("feedback:lead-personal-data", args=[person.pk]))
    assert export["Content-Type"] == "application/json"
    assert json.loads(export.content)["leads"][0]["lead"]["company"] == "Personcorp"

    wrong = client.post(reverse("feedback:lead-erase", args=[person.pk]), {"confirm_email": "someone@example.com"})
    assert wrong.status_code == 400
    assert b"Type the lead&#x27;s email address exactly" in wrong.content
    assert Lead.objects.get(pk=person.pk).name == "Ada Person"

    done = client.post(reverse("feedback:lead-erase", args=[person.pk]), {"confirm_email": " Ada.Person@example.com "})
    assert done.status_code == 302
    assert Lead.objects.get(pk=person.pk).name == ""
    assert _rows_mentioning("Ada Person") == []
    assert client.get(reverse("leads:detail", args=[person.pk])).status_code == 200


def test_forget_follows_a_merge_to_every_email_of_the_person(person, marketer, campaign):
    from feedback.merge import lead_merge_with_feedback

    other, _ = lead_capture(data={"email": "ada@personcorp.test", "name": "Ada P."}, campaign=campaign, by=marketer)
    lead_merge_with_feedback(survivor=person, other=other, by=marketer)

    # given the merged-away email, forget finds the survivor, the merged record and the alias
    call_command("forget_person", "ada@personcorp.test")

    for secret in (*SECRETS, "ada@personcorp.test", "Ada P."):
        assert _rows_mentioning(secret) == [], secret
