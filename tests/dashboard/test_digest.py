"""The weekly alignment digest: its agenda, its page, and one email per member per week."""

import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core import mail
from django.urls import reverse

from alignment.errors import InvalidInput
from alignment.models import Notification, NotificationKind, User
from dashboard import tasks
from dashboard.digest import digest_agenda, digest_send_weekly, digest_week_parse
from dashboard.figures import dashboard_figures
from dashboard.models import DigestDelivery
from dashboard.periods import DashboardFilters, dashboard_filters_parse
from dashboard.services import revenue_goal_set
from feedback.models import FeedbackItem, FeedbackKind, FeedbackStatus, ReasonCode, Resolution
from leads.models import ColdEpisode, ColdReason, Handoff, HandoffOutcome, LeadStatus
from leads.rollup import lead_days_rebuild
from tests.alignment.factories import ManagerFactory, MarketerFactory, RepFactory, UserFactory
from tests.leads.factories import CampaignFactory, LeadFactory

WEEK = date(2026, 11, 16)  # a Monday
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # the Monday after, at 08:00


def at(day, hour=10):
    return datetime(2026, 11, day, hour, tzinfo=UTC)


@pytest.fixture
def team(db):
    marketer, rep, manager = MarketerFactory(), RepFactory(), ManagerFactory()
    UserFactory(username="left", is_active=False)  # no longer works here: no digest
    campaign = CampaignFactory(name="Webinar", owner=marketer)
    return {"marketer": marketer, "rep": rep, "manager": manager, "campaign": campaign}


def _lead(campaign, **fields):
    """A lead of `campaign` captured on 2 Nov."""
    captured = at(2)
    return LeadFactory(
        campaign=campaign, captured_at=captured, last_touch_at=captured, last_activity_at=captured, **fields
    )


def _rejected_on_monday(lead, team):
    """The rep turned `lead` down on Monday 16 Nov, as spam."""
    Handoff.objects.create(
        lead=lead,
        by=team["marketer"],
        to_rep=team["rep"],
        note="story",
        created_at=at(16),
        sla_due_at=at(17),
        outcome=HandoffOutcome.REJECTED,
        ended_at=at(16, 15),
        reject_reason=ReasonCode.objects.get(code="spam"),
    )


@pytest.fixture
def week_of_work(team):
    """In the week of 16 Nov: two marketing leads won, one sales-sourced win, a rejection, a lead gone cold."""
    marketer, rep, campaign = team["marketer"], team["rep"], team["campaign"]

    def lead(**fields):
        return _lead(campaign, **fields)

    lead(name="Big win", status=LeadStatus.WON, owner=rep, won_at=at(17), won_amount=Decimal("9000"))
    lead(name="Small win", status=LeadStatus.WON, owner=rep, won_at=at(20), won_amount=Decimal("1000"))
    lead(name="Rep's own", captured_by=rep, status=LeadStatus.WON, owner=rep, won_at=at(18), won_amount=Decimal("5"))
    lead(name="Monday's win", status=LeadStatus.WON, owner=rep, won_at=at(23, 7), won_amount=Decimal("3000"))
    lead(name="Last week's win", status=LeadStatus.WON, owner=rep, won_at=at(10), won_amount=Decimal("777"))
    rejected = lead(name="Rejected one", status=LeadStatus.REJECTED, owner=rep, handed_off_at=at(16))
    _rejected_on_monday(rejected, team)
    cold = lead(name="Gone cold", status=LeadStatus.WORKING, owner=rep)
    ColdEpisode.objects.create(lead=cold, reason=ColdReason.NO_ACTIVITY, cold_since=at(18), opened_at=at(19))
    FeedbackItem.objects.create(lead=rejected, kind=FeedbackKind.REJECTED, assignee=marketer, created_at=at(16, 16))
    revenue_goal_set(period="quarter", starts_on=date(2026, 10, 1), amount="20000", by=team["manager"])
    # Built by hand, behind the services' back: roll the leads up as `rebuild_dashboard` does.
    lead_days_rebuild()
    return team


def test_digest_agenda_lists_the_week(week_of_work):
    agenda = digest_agenda(week=WEEK, now=NOW)

    # Wins from marketing leads only (not the rep's own), biggest first, this week only.
    assert [lead.name for lead in agenda["wins"]] == ["Big win", "Small win"]
    assert agenda["wins_count"] == 2
    assert agenda["wins_revenue"] == Decimal("10000.00")
    assert agenda["quarter"]["label"] == "Q4 2026"
    # Won in Q4 by the end of that week (a win after it would not count), against the quarter's goal.
    assert agenda["quarter"]["won_revenue"] == Decimal("10782.00")
    assert agenda["quarter"]["goal"] == Decimal("20000.00")
    assert agenda["quarter"]["remaining"] == Decimal("9218.00")
    assert agenda["quarter"]["needed_per_week"] == Decimal("1654.51")  # 39 days left
    assert agenda["rejection_reasons"] == [{"label": "Spam", "count": 1}]
    assert [e.lead.name for e in agenda["went_cold"]] == ["Gone cold"]
    assert agenda["cold_now_count"] == 1
    assert [item.lead.name for item in agenda["feedback_waiting"]] == ["Rejected one"]


def test_digest_reads_its_figures_as_the_dashboard_counts_them(week_of_work):
    # given, besides the week's work, a lead cold since October and a cold lead snoozed until December
    campaign, rep = week_of_work["campaign"], week_of_work["rep"]
    old = LeadFactory(campaign=campaign, name="Cold since October", status=LeadStatus.WORKING, owner=rep)
    ColdEpisode.objects.create(
        lead=old,
        reason=ColdReason.NO_ACTIVITY,
        cold_since=at(1) - timedelta(days=30),
        opened_at=at(1) - timedelta(days=30),
    )
    snoozed = LeadFactory(
        campaign=campaign, name="Snoozed", status=LeadStatus.WORKING, owner=rep, snoozed_until=NOW + timedelta(days=9)
    )
    ColdEpisode.objects.create(lead=snoozed, reason=ColdReason.NO_ACTIVITY, cold_since=at(18), opened_at=at(19))
    lead_days_rebuild()

    # when the digest and the dashboard are read on the same data
    agenda = digest_agenda(week=WEEK, now=NOW)
    week = dashboard_figures(filters=DashboardFilters(kind="custom", start=WEEK, end=date(2026, 11, 22)), now=NOW)
    quarter = dashboard_figures(
        filters=DashboardFilters(kind="custom", start=date(2026, 10, 1), end=date(2026, 11, 22)), now=NOW
    )

    # then they agree: cold now is every open episode of a lead not snoozed, whenever it went cold
    assert agenda["cold_now_count"] == quarter["cold"]["now"] == 2
    assert agenda["went_cold_count"] == 2  # the week's own episodes, the snoozed lead's among them
    assert agenda["quarter"]["won_revenue"] == quarter["won_revenue"]
    assert agenda["quarter"]["pipeline_value"] == quarter["pipeline_value"]
    marketer = week_of_work["marketer"]
    (credited,) = [row for row in week["revenue_by_marketer"] if row["user_id"] == marketer.pk]
    assert (agenda["wins_count"], agenda["wins_revenue"]) == (credited["won"], credited["revenue"]) == (2, 10000)


@pytest.fixture
def quarter_to_the_week(team):
    """Q4 up to the week of 16 Nov, with nothing won since: two wins, a lead in the pipeline, a lead
    gone cold, a rejection, and feedback opened before the week, in it, and on the Monday after."""
    marketer, rep, campaign = team["marketer"], team["rep"], team["campaign"]

    def lead(**fields):
        return _lead(campaign, **fields)

    lead(name="October win", status=LeadStatus.WON, owner=rep, won_at=at(1) - timedelta(days=20), won_amount=700)
    lead(name="Week's win", status=LeadStatus.WON, owner=rep, won_at=at(18), won_amount=Decimal("4000"))
    working = lead(name="Working", status=LeadStatus.WORKING, owner=rep, estimated_value=Decimal("2500"))
    ColdEpisode.objects.create(lead=working, reason=ColdReason.NO_ACTIVITY, cold_since=at(18), opened_at=at(19))
    rejected = lead(name="Rejected", status=LeadStatus.REJECTED, handed_off_at=at(16))
    _rejected_on_monday(rejected, team)
    for opened in (at(3), at(16, 16), at(23, 7)):  # the last one after the week's end
        FeedbackItem.objects.create(lead=rejected, kind=FeedbackKind.REJECTED, assignee=marketer, created_at=opened)
    FeedbackItem.objects.create(
        lead=rejected,
        kind=FeedbackKind.REJECTED,
        assignee=marketer,
        created_at=at(4),
        status=FeedbackStatus.RESOLVED,
        resolution=Resolution.DISPUTED,
        resolved_at=at(5),
    )
    revenue_goal_set(period="quarter", starts_on=date(2026, 10, 1), amount="20000", by=team["manager"])
    lead_days_rebuild()
    return team


def test_digest_and_dashboard_agree_on_every_figure_both_show(quarter_to_the_week):
    # when the digest of the week is read on the Monday after, beside the dashboard's quarter and week
    agenda = digest_agenda(week=WEEK, now=NOW)
    quarter = dashboard_figures(filters=dashboard_filters_parse({"period": "quarter", "start": "2026-10-01"}), now=NOW)
    week = dashboard_figures(filters=DashboardFilters(kind="custom", start=WEEK, end=date(2026, 11, 22)), now=NOW)

    # then revenue against the goal and its pace are the same figures
    revenue = agenda["quarter"]
    assert revenue["goal"] == quarter["goal"] == Decimal("20000.00")
    assert revenue["won_revenue"] == quarter["won_revenue"] == Decimal("4700.00")
    assert revenue["attainment"] == quarter["attainment"] == 0.235
    assert revenue["remaining"] == quarter["remaining"] == Decimal("15300.00")
    # 15,300 over the 39 days left, today's included
    assert revenue["needed_per_week"] == quarter["pace"]["needed_per_week"] == Decimal("2746.15")
    assert revenue["pipeline_value"] == quarter["pipeline_value"] == Decimal("2500.00")
    assert revenue["pipeline_count"] == quarter["pipeline_count"] == 1
    # and so are what is true now: cold leads and the open feedback backlog, whenever it was opened
    assert agenda["cold_now_count"] == quarter["cold"]["now"] == 1
    assert agenda["feedback_waiting_count"] == quarter["feedback_backlog"]["open"] == 3
    assert [item.created_at for item in agenda["feedback_waiting"]] == [at(3), at(16, 16), at(23, 7)]
    # and the week's rejections
    assert agenda["rejection_reasons"] == [
        {"label": row["label"], "count": row["count"]} for row in week["rejection_reasons"]
    ]


def test_digest_of_a_week_across_a_quarters_start_counts_its_wins_and_the_quarters_revenue_apart(team):
    # given the week of Monday 28 Sep, whose last four days open Q4: a marketing lead won on the
    # Tuesday (Q3), another and the rep's own on Friday 2 Oct (Q4)
    marketer, rep, campaign = team["marketer"], team["rep"], team["campaign"]
    monday, sunday = date(2026, 9, 28), date(2026, 10, 4)

    def won(name, day, amount, **fields):
        captured = datetime(2026, 9, 1, 10, tzinfo=UTC)
        LeadFactory(
            campaign=campaign,
            name=name,
            status=LeadStatus.WON,
            owner=rep,
            captured_at=captured,
            last_touch_at=captured,
            last_activity_at=captured,
            won_at=datetime(2026, day.month, day.day, 12, tzinfo=UTC),
            won_amount=Decimal(amount),
            **fields,
        )

    won("Tuesday's win", date(2026, 9, 29), "4000")
    won("Friday's win", date(2026, 10, 2), "1000")
    won("Rep's own", date(2026, 10, 2), "5", captured_by=rep)
    lead_days_rebuild()
    monday_after = datetime(2026, 10, 5, 8, tzinfo=UTC)

    # when its digest is read beside the dashboard's week and Q4 up to that Sunday
    agenda = digest_agenda(week=monday, now=monday_after)
    week = dashboard_figures(filters=DashboardFilters(kind="custom", start=monday, end=sunday), now=monday_after)
    to_date = dashboard_figures(
        filters=DashboardFilters(kind="custom", start=date(2026, 10, 1), end=sunday), now=monday_after
    )

    # then the wins are the whole week's marketing wins, the revenue against the goal Q4's alone
    (credited,) = [row for row in week["revenue_by_marketer"] if row["user_id"] == marketer.pk]
    assert (agenda["wins_count"], agenda["wins_revenue"]) == (credited["won"], credited["revenue"]) == (2, 5000)
    assert agenda["quarter"]["label"] == "Q4 2026"
    assert agenda["quarter"]["won_revenue"] == to_date["won_revenue"] == Decimal("1005.00")


def test_digest_sent_twice_for_the_same_week_emails_each_member_once(week_of_work):
    members = [week_of_work[k] for k in ("marketer", "rep", "manager")]

    first = digest_send_weekly(week=WEEK, now=NOW)
    second = digest_send_weekly(week=WEEK, now=NOW)

    assert (first, second) == (3, 0)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(m.email for m in members)
    assert all("Big win" in m.body and "Spam: 1" in m.body for m in mail.outbox)
    assert DigestDelivery.objects.filter(week=WEEK, sent_at__isnull=False).count() == 3
    assert Notification.objects.filter(kind=NotificationKind.DIGEST).count() == 3


def test_digest_names_people_and_writes_amounts_in_the_currency(week_of_work):
    User.objects.filter(pk=week_of_work["marketer"].pk).update(first_name="Mia", last_name="Marketing")

    digest_send_weekly(week=WEEK, now=NOW)

    body = mail.outbox[0].body
    assert "Big win" in body and ": €9,000, captured by Mia Marketing, won by " in body
    assert "worth €10,000" in body
    html = mail.outbox[0].alternatives[0][0]
    assert "<td>Mia Marketing</td>" in html and "€9,000" in html


def test_digest_defaults_to_last_week(week_of_work):
    digest_send_weekly(now=NOW)

    assert set(DigestDelivery.objects.values_list("week", flat=True)) == {WEEK}
    assert "16 Nov 2026" in mail.outbox[0].subject


def test_digest_skips_a_member_another_process_is_sending_to(week_of_work):
    rep = week_of_work["rep"]
    DigestDelivery.objects.create(week=WEEK, member=rep, claimed_at=NOW - timedelta(minutes=1))

    assert digest_send_weekly(week=WEEK, now=NOW) == 2
    assert rep.email not in [m.to[0] for m in mail.outbox]


def test_digest_retakes_a_claim_abandoned_long_ago(week_of_work):
    rep = week_of_work["rep"]
    DigestDelivery.objects.create(week=WEEK, member=rep, claimed_at=NOW - timedelta(hours=2))

    assert digest_send_weekly(week=WEEK, now=NOW) == 3


def test_digest_that_fails_to_send_is_sent_by_the_next_run(week_of_work):
    with mock.patch("dashboard.digest.EmailMultiAlternatives.send", side_effect=ConnectionError("down")):
        assert digest_send_weekly(week=WEEK, now=NOW) == 0
    assert DigestDelivery.objects.filter(claimed_at__isnull=True, sent_at__isnull=True).count() == 3

    assert digest_send_weekly(week=WEEK, now=NOW) == 3
    assert len(mail.outbox) == 3


def test_digest_task_sends_once(week_of_work):
    assert tasks.digest_send_weekly(week=WEEK.isoformat()) == 3
    assert tasks.digest_send_weekly(week=WEEK.isoformat()) == 0
    assert len(mail.outbox) == 3


def test_digest_beat_entry_is_monday_morning():
    entry = settings.CELERY_BEAT_SCHEDULE["weekly-alignment-digest"]

    assert entry["task"] == "dashboard.tasks.digest_send_weekly"
    assert entry["schedule"] == crontab(minute="0", hour="8", day_of_week="mon")


def test_digest_week_parse():
    assert digest_week_parse("2026-11-19") == WEEK
    assert digest_week_parse(None, today=date(2026, 11, 23)) == WEEK
    with pytest.raises(InvalidInput):
        digest_week_parse("19/11/2026")
    assert digest_week_parse("2000-01-01") == date(1999, 12, 27)  # the first week may start before 2000
    for day in ("0001-01-01", "1999-12-31", "2101-01-01", "9999-12-31"):
        with pytest.raises(InvalidInput) as error:
            digest_week_parse(day)
        assert error.value.fields == {"week": ["Choose a day between 1 Jan 2000 and 31 Dec 2100."]}


def test_digest_page_shows_any_week(week_of_work, client):
    client.force_login(week_of_work["rep"])

    response = client.get(reverse("dashboard:digest"), {"week": "2026-11-18"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "the week of 16 Nov 2026" in html
    assert "Big win" in html and "Gone cold" in html and "Spam" in html


def test_digest_page_with_a_bad_week_says_so(week_of_work, client):
    client.force_login(week_of_work["marketer"])

    response = client.get(reverse("dashboard:digest"), {"week": "soon"})

    assert response.status_code == 400
    assert "Enter a day such as 31 Dec 2026 (or 2026-12-31)." in response.content.decode()


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_digest_page_with_a_week_out_of_range_says_so(week_of_work, client, day):
    client.force_login(week_of_work["rep"])

    response = client.get(reverse("dashboard:digest"), {"week": day})

    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose a day between 1 Jan 2000 and 31 Dec 2100. Showing last week instead." in html
    assert 'min="2000-01-01" max="2100-12-31"' in html


@pytest.mark.parametrize(
    ("day", "previous", "next_"),
    [
        ("2000-01-01", None, "2000-01-03"),
        ("2000-01-05", "2000-01-01", "2000-01-10"),
        ("2100-12-31", "2100-12-20", None),
    ],
)
def test_digest_page_at_the_edge_of_the_range_links_only_inside_it(week_of_work, client, day, previous, next_):
    client.force_login(week_of_work["rep"])

    response = client.get(reverse("dashboard:digest"), {"week": day})

    assert response.status_code == 200
    html = response.content.decode()
    for testid, linked in (("previous-week", previous), ("next-week", next_)):
        if linked is None:
            assert f'data-testid="{testid}"' not in html
        else:
            assert f'href="?week={linked}" data-testid="{testid}"' in html
            assert client.get(reverse("dashboard:digest"), {"week": linked}).status_code == 200


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_digest_through_real_workers_twice_at_once_sends_each_member_once(celery_services):
    members = [MarketerFactory(), RepFactory(), ManagerFactory()]
    celery_services.env["EMAIL_URL"] = "consolemail://"  # the worker prints each email it sends
    worker = celery_services.start_worker(concurrency=2)

    tasks.digest_send_weekly.delay(WEEK.isoformat())
    tasks.digest_send_weekly.delay(WEEK.isoformat())

    deadline = time.monotonic() + 60
    while worker.log().count("digest_send_weekly") < 4 or worker.log().count("succeeded") < 2:
        assert time.monotonic() < deadline, worker.log()
        time.sleep(0.2)
    assert DigestDelivery.objects.filter(week=WEEK, sent_at__isnull=False).count() == len(members)
    assert worker.log().count("Subject: Alignment digest") == len(members)
