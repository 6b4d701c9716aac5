"""seed_demo builds a believable demo, once."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count
from django.utils import timezone

from alignment.days import company_today
from alignment.models import Notification, Role, Team, User
from dashboard.digest import digest_agenda, digest_week_parse
from dashboard.figures import dashboard_figures
from dashboard.models import RevenueGoal
from dashboard.periods import dashboard_filters_parse
from dashboard.views import marketer_home_context
from feedback.models import FeedbackItem, FeedbackStatus, Verdict
from leads.models import Campaign, Handoff, Lead, LeadEvent, LeadStatus, RoutingRule, Touch


def _run(*args, **options):
    out = StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


@pytest.mark.django_db
def test_seed_demo_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="--force"):
        _run("seed_demo")

    assert not User.objects.exists()


def _counts():
    return {
        model.__name__: model.objects.count()
        for model in (User, Campaign, RoutingRule, Lead, Touch, LeadEvent, Handoff, Verdict, FeedbackItem)
    }


@pytest.mark.django_db
def test_seed_demo_builds_the_demo_through_the_services_and_a_second_run_changes_nothing(settings, monkeypatch, client):
    settings.DEBUG = False
    monkeypatch.setenv("DEMO_PASSWORD", "open-sesame")

    _run("seed_demo", "--force")
    first = _counts()
    leads_before = list(Lead.objects.order_by("pk").values())
    output = _run("seed_demo", "--force")

    # running it twice changes nothing
    assert _counts() == first
    assert list(Lead.objects.order_by("pk").values()) == leads_before
    assert "nothing to add" in output
    # the demo team, who can log in with the demo password
    roles = dict(User.objects.values_list("username", "role"))
    assert {name: roles[name] for name in ("marketer", "rep", "rep2", "manager")} == {
        "marketer": "marketer",
        "rep": "rep",
        "rep2": "rep",
        "manager": "manager",
    }
    assert sum(1 for role in roles.values() if role == Role.MARKETER) >= 2
    assert client.login(username="rep2", password="open-sesame")
    assert 4 <= first["Campaign"] <= 8
    # campaign requests in every status, the delivered one measured; last week's meeting decided
    # things and left an overdue action item; this week's has an agenda point
    from planning.models import ActionItem, CampaignRequest, Meeting, MeetingItem

    assert set(CampaignRequest.objects.values_list("status", flat=True)) == {
        "new",
        "accepted",
        "declined",
        "in_progress",
        "delivered",
    }
    delivered = CampaignRequest.objects.get(status="delivered")
    assert delivered.outcome["leads"] == 6 and delivered.outcome["judged"] == 4
    assert Verdict.objects.filter(pain_themes__isnull=False).exists()
    assert Meeting.objects.count() == 2 and MeetingItem.objects.filter(kind="decision").exists()
    assert ActionItem.objects.filter(done=False, due__lt=timezone.localdate()).count() == 1
    assert Campaign.objects.filter(cost__isnull=False).exists()
    assert first["RoutingRule"] >= 3
    # a few hundred leads in every state, with real timelines and handoffs
    assert 200 <= first["Lead"] <= 500
    by_status = dict(Lead.objects.values_list("status").annotate(n=Count("id")))
    assert set(by_status) == set(LeadStatus.values)
    assert Handoff.objects.filter(to_rep__isnull=True).exists()  # some wait in the managers' queue
    assert Handoff.objects.exclude(routing_reason="").count() == first["Handoff"]
    assert first["Verdict"] > 0 and first["FeedbackItem"] > 0
    won = Lead.objects.filter(status=LeadStatus.WON).first()
    assert list(won.events.values_list("to_status", flat=True).exclude(to_status="")) == [
        "new",
        "handed_off",
        "accepted",
        "working",
        "qualified",
        "won",
    ]
    # spread over the last six months, each story in order and in the past
    now = timezone.now()
    oldest = Lead.objects.order_by("captured_at").first().captured_at
    assert now - timedelta(days=200) < oldest < now - timedelta(days=90)
    for lead in Lead.objects.filter(status=LeadStatus.WON):
        assert lead.captured_at <= lead.handed_off_at <= lead.accepted_at <= lead.qualified_at <= lead.won_at < now
    events = list(won.events.values_list("at", flat=True))
    assert events == sorted(events)
    # each judged lead waited for its first verdict as long as its moved story says, and carries the
    # verdict's moved date
    first_verdicts = {}
    for lead_id, at in Verdict.objects.order_by("created_at").values_list("lead", "created_at"):
        first_verdicts.setdefault(lead_id, at)
    judged = Lead.objects.exclude(verdict="")
    assert judged.exists()
    for lead in judged:
        assert lead.verdict_wait == first_verdicts[lead.pk] - lead.handed_off_at, lead.pk
        assert lead.verdict_at == lead.verdicts.get(current=True).created_at, lead.pk
    assert abs(events[0] - won.captured_at) < timedelta(seconds=5)
    # leads left untouched in the story are cold already, with their reminders, and no demo mail goes out
    cold = Lead.objects.filter(cold_episodes__closed_at__isnull=True)
    assert cold.exists()
    assert Notification.objects.filter(kind="reminder", lead__in=cold).exists()
    assert not Notification.objects.filter(email_sent_at__isnull=True).exists()

    # the goal line and the Team filter show something: a goal for this quarter, two teams of the demo
    figures = dashboard_figures(filters=dashboard_filters_parse({}))
    assert figures["goal"] is not None and figures["goal"] > figures["won_revenue"] > 0
    teams = dict(
        User.objects.filter(username__in=["rep", "rep2", "marketer", "marketer2"]).values_list("username", "team__name")
    )
    assert teams == {"marketer": "North", "rep": "North", "marketer2": "South", "rep2": "South"}
    north = Team.objects.get(name="North")
    by_team = dashboard_figures(filters=dashboard_filters_parse({"team": str(north.pk)}))
    assert 0 < by_team["funnel"]["captured"] < figures["funnel"]["captured"]
    # with the Team filter on, the figures read that team's own goal: half the company's, set once
    assert by_team["goal"] == figures["goal"] / 2
    assert RevenueGoal.objects.filter(team=north, current=True).count() == 1

    # a first login shows a handful of new notifications, not the whole made-up history
    marketer = User.objects.get(username="marketer")
    assert Notification.objects.filter(recipient=marketer).count() > 20
    assert 0 < Notification.objects.filter(recipient=marketer, read=False).count() <= 5
    # and so does the first login after the beat's first sweep, for every role
    call_command("sweep_cold_leads", stdout=StringIO())
    unread = {
        user.username: Notification.objects.filter(recipient=user, read=False).count()
        for user in User.objects.filter(username__in=["marketer", "marketer2", "rep", "rep2", "manager"])
    }
    assert all(count <= 5 for count in unread.values()), unread
    assert Notification.objects.filter(recipient=marketer, read=False).exists()

    # "Your recent leads" on the marketer's home: newest first
    recent = marketer_home_context(user=marketer, now=timezone.now())["recent"]
    assert len(recent) == 10
    assert [lead.captured_at for lead in recent] == sorted((lead.captured_at for lead in recent), reverse=True)


@pytest.mark.django_db
def test_the_demo_digest_and_dashboard_count_the_same_backlog_cold_leads_and_pipeline(settings):
    # given the demo, read at one moment
    settings.DEBUG = True
    _run("seed_demo")
    now = timezone.now()
    week = digest_week_parse(None, today=company_today(now))

    # when last week's digest and the dashboard of the quarter it ends in are read
    agenda = digest_agenda(week=week, now=now)
    quarter = dashboard_figures(
        filters=dashboard_filters_parse({"period": "quarter", "start": (week + timedelta(days=6)).isoformat()}), now=now
    )

    # then they show the same open backlog (every open item, however recent), cold leads and pipeline
    open_items = FeedbackItem.objects.filter(status=FeedbackStatus.OPEN).count()
    assert agenda["feedback_waiting_count"] == quarter["feedback_backlog"]["open"] == open_items > 0
    assert agenda["cold_now_count"] == quarter["cold"]["now"] > 0
    assert agenda["quarter"]["pipeline_value"] == quarter["pipeline_value"]
    assert agenda["quarter"]["pipeline_count"] == quarter["pipeline_count"]
