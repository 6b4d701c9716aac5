import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest
import time_machine
from django.db import connection, connections

from alignment.models import Notification, NotificationKind
from alignment.sla import sla_settings_get
from leads.cold import cold_leads_sweep
from leads.models import ColdEpisode, ColdReason, Handoff, Lead, LeadStatus, Reminder
from leads.services import lead_accept, lead_hand_off, lead_log_activity, lead_snooze
from tests.alignment.factories import ManagerFactory, MarketerFactory, RepFactory
from tests.leads.factories import CampaignFactory, LeadFactory

# A Monday.
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def at(moment):
    return time_machine.travel(moment, tick=False)


def handed_off_lead(*, marketer, rep, when=T0, **fields):
    with at(when):
        lead = LeadFactory(campaign__owner=marketer, captured_at=when, **fields)
        lead_hand_off(lead=lead, rep=rep, note="Asked for a demo at the fair.", by=marketer)
    lead.refresh_from_db()
    return lead


def working_lead(*, marketer, rep, when=T0):
    lead = handed_off_lead(marketer=marketer, rep=rep, when=when)
    with at(when + timedelta(minutes=5)):
        lead_accept(lead=lead, by=rep)
        lead_log_activity(lead=lead, by=rep, kind="call", note="Left a voicemail.")
    lead.refresh_from_db()
    return lead


def sweep(moment):
    with at(moment):
        return cold_leads_sweep()


def notices(**filters):
    return list(Notification.objects.filter(**filters).order_by("id"))


def test_sweep_reminds_the_rep_and_the_marketer_once_when_a_handoff_is_not_accepted_in_time(marketer, rep):
    # given: handed off at T0 with the default 24-hour SLA
    lead = handed_off_lead(marketer=marketer, rep=rep, name="Ada Lovelace", company="Engines")

    # when: the clock has not run out yet
    assert sweep(T0 + timedelta(hours=23, minutes=59)).reminders == 0
    assert not ColdEpisode.objects.exists()

    # when: it has
    result = sweep(T0 + timedelta(hours=25))

    # then: one episode, one reminder, one notice to each side, naming the lead and the other side
    episode = ColdEpisode.objects.get()
    assert (episode.lead, episode.reason, episode.cold_since) == (lead, ColdReason.NOT_ACCEPTED, T0)
    assert result.episodes_opened == 1 and result.reminders == 1
    to_rep, to_marketer = notices(recipient=rep), notices(recipient=marketer)
    assert len(to_rep) == 1 and len(to_marketer) == 1
    assert to_rep[0].kind == NotificationKind.REMINDER and to_rep[0].lead == lead
    assert "Ada Lovelace (Engines)" in to_rep[0].message
    assert "1 day 1 hour" in to_rep[0].message
    assert "Accept it, or reject it" in to_rep[0].message
    assert marketer.display_name in to_rep[0].message
    assert rep.display_name in to_marketer[0].message
    assert to_rep[0].url == f"/leads/{lead.id}/"

    # when: the sweep runs again, and again
    sweep(T0 + timedelta(hours=26))
    sweep(T0 + timedelta(hours=27))

    # then: nothing more
    assert Reminder.objects.count() == 1
    assert Notification.objects.count() == 2


def test_sweep_escalates_to_the_managers_once_after_the_escalation_threshold(marketer, rep, manager):
    other_manager = ManagerFactory()
    handed_off_lead(marketer=marketer, rep=rep)
    first = T0 + timedelta(hours=25)
    sweep(first)
    assert notices(recipient=manager) == []  # level 1 is for the rep and the marketer

    # 24 hours after the level-1 reminder, not one minute before
    assert sweep(first + timedelta(hours=23, minutes=59)).escalations == 0
    assert sweep(first + timedelta(hours=24)).escalations == 1
    sweep(first + timedelta(hours=30))

    for boss in (manager, other_manager):
        (escalation,) = notices(recipient=boss)
        assert escalation.kind == NotificationKind.ESCALATION
        assert rep.display_name in escalation.message and marketer.display_name in escalation.message
    assert list(Reminder.objects.order_by("level").values_list("level", flat=True)) == [1, 2]
    assert len(notices(recipient=rep)) == 1 and len(notices(recipient=marketer)) == 1


def test_accepting_the_lead_ends_the_episode_and_nobody_is_escalated_to(marketer, rep, manager):
    lead = handed_off_lead(marketer=marketer, rep=rep)
    sweep(T0 + timedelta(hours=25))

    with at(T0 + timedelta(hours=26)):
        lead_accept(lead=lead, by=rep)
    sweep(T0 + timedelta(hours=60))

    episode = ColdEpisode.objects.get()
    assert episode.closed_at == T0 + timedelta(hours=26)
    assert notices(recipient=manager) == []


def test_a_lead_without_activity_goes_cold_after_the_threshold_and_activity_ends_the_episode(marketer, rep):
    lead = working_lead(marketer=marketer, rep=rep)
    last = T0 + timedelta(minutes=5)

    assert sweep(last + timedelta(days=7) - timedelta(minutes=1)).episodes_opened == 0
    sweep(last + timedelta(days=7))
    episode = ColdEpisode.objects.get()
    assert (episode.reason, episode.cold_since) == (ColdReason.NO_ACTIVITY, last)
    (to_rep,) = notices(recipient=rep)
    assert "no activity for 7 days" in to_rep.message and "snooze" in to_rep.message

    # when: the rep logs a call, the episode ends; seven quiet days later a new one begins
    with at(last + timedelta(days=8)):
        lead_log_activity(lead=lead, by=rep, kind="call")
    episode.refresh_from_db()
    assert episode.closed_at == last + timedelta(days=8)
    assert sweep(last + timedelta(days=14)).episodes_opened == 0
    sweep(last + timedelta(days=15))

    assert ColdEpisode.objects.count() == 2
    assert Reminder.objects.filter(level=1).count() == 2
    assert len(notices(recipient=rep)) == 2 and len(notices(recipient=marketer)) == 2


def test_a_snoozed_lead_is_skipped_until_its_date_and_then_goes_cold_again(marketer, rep, manager):
    lead = working_lead(marketer=marketer, rep=rep)
    cold_day = T0 + timedelta(days=8)
    sweep(cold_day)
    assert ColdEpisode.objects.filter(closed_at__isnull=True).count() == 1

    with at(cold_day + timedelta(hours=1)):
        lead_snooze(lead=lead, by=rep, until=T0 + timedelta(days=30), reason="Customer asked to call back in April.")

    # snoozed: no new episode, and the closed one is not escalated
    sweep(T0 + timedelta(days=20))
    sweep(T0 + timedelta(days=29, hours=23))
    assert ColdEpisode.objects.filter(closed_at__isnull=True).count() == 0
    assert notices(recipient=manager) == []

    # after the date the lead is cold again: a new episode and new reminders to both sides
    sweep(T0 + timedelta(days=30, minutes=1))
    assert ColdEpisode.objects.filter(closed_at__isnull=True).count() == 1
    assert len(notices(recipient=rep)) == 2 and len(notices(recipient=marketer)) == 2


def test_a_snooze_set_while_the_episode_is_open_stops_the_escalation(marketer, rep, manager):
    lead = working_lead(marketer=marketer, rep=rep)
    sweep(T0 + timedelta(days=8))
    # snoozed behind the services' back (e.g. by an admin): the sweep itself closes the episode
    Lead.objects.filter(pk=lead.pk).update(snoozed_until=T0 + timedelta(days=20), snooze_reason="Holidays.")

    result = sweep(T0 + timedelta(days=10))

    assert result.episodes_closed == 1 and result.escalations == 0
    assert notices(recipient=manager) == []


def test_a_lead_in_the_managers_queue_reminds_the_managers_and_the_marketer(marketer, manager):
    with at(T0):
        lead = LeadFactory(campaign__owner=marketer)
        handoff = lead_hand_off(lead=lead, rep=None, note="No rule fits this one.", by=marketer)
    assert handoff.to_rep is None

    sweep(T0 + timedelta(hours=25))

    (to_manager,) = notices(recipient=manager)
    (to_marketer,) = notices(recipient=marketer)
    assert to_manager.kind == NotificationKind.REMINDER
    assert "the managers' queue" in to_marketer.message


def test_business_hours_stop_the_sla_clock_over_the_weekend(marketer, rep):
    policy = sla_settings_get()
    policy.business_hours = "Mon-Fri 09:00-17:00 UTC"
    policy.sla_accept_hours = Decimal("8")
    policy.holidays = "2026-03-09\n"
    policy.save()
    friday_4pm = datetime(2026, 3, 6, 16, 0, tzinfo=UTC)

    handed_off_lead(marketer=marketer, rep=rep, when=friday_4pm)

    # one hour on Friday; Monday the 9th is a holiday; seven more hours on Tuesday
    handoff = Handoff.objects.get()
    assert handoff.sla_due_at == datetime(2026, 3, 10, 16, 0, tzinfo=UTC)
    assert sweep(datetime(2026, 3, 9, 23, 0, tzinfo=UTC)).episodes_opened == 0
    assert sweep(datetime(2026, 3, 10, 15, 59, tzinfo=UTC)).episodes_opened == 0
    assert sweep(datetime(2026, 3, 10, 16, 0, tzinfo=UTC)).episodes_opened == 1


def test_business_hours_count_the_no_activity_threshold_in_working_days(marketer, rep):
    policy = sla_settings_get()
    policy.business_hours = "Mon-Fri 09:00-17:00 UTC"
    policy.cold_after_days = Decimal("1")  # 24 working hours: three working days
    policy.save()
    working_lead(marketer=marketer, rep=rep, when=T0)  # Monday 10:00, last activity 10:05

    assert sweep(datetime(2026, 3, 5, 10, 4, tzinfo=UTC)).episodes_opened == 0  # Thursday
    assert sweep(datetime(2026, 3, 5, 10, 5, tzinfo=UTC)).episodes_opened == 1


def test_managers_raising_the_threshold_ends_episodes_that_are_no_longer_cold(marketer, rep):
    working_lead(marketer=marketer, rep=rep)
    sweep(T0 + timedelta(days=8))
    policy = sla_settings_get()
    policy.cold_after_days = Decimal("14")
    policy.save()

    result = sweep(T0 + timedelta(days=9))

    assert result.episodes_closed == 1
    assert not ColdEpisode.objects.filter(closed_at__isnull=True).exists()


def test_sweep_enqueues_the_emails_of_its_notifications_when_it_commits(
    marketer, rep, django_capture_on_commit_callbacks
):
    handed_off_lead(marketer=marketer, rep=rep)

    with (
        mock.patch("alignment.enqueue.app.send_task") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        result = sweep(T0 + timedelta(hours=25))

    assert sorted(call.kwargs["args"][0] for call in delay.call_args_list) == sorted(result.notification_ids)
    assert len(result.notification_ids) == 2


def test_sweep_enqueues_again_the_emails_that_never_left(marketer, rep, django_capture_on_commit_callbacks):
    # given: a reminder whose enqueue failed (the broker was down)
    handed_off_lead(marketer=marketer, rep=rep)
    with (
        mock.patch("alignment.enqueue.app.send_task", side_effect=OSError("Connection refused")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        result = sweep(T0 + timedelta(hours=25))
    assert Notification.objects.filter(email_sent_at__isnull=True).count() == 2
    Notification.objects.filter(id=result.notification_ids[0]).update(email_sent_at=T0 + timedelta(hours=25))

    # when: the next sweep runs, the broker is back
    with (
        mock.patch("alignment.enqueue.app.send_task") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        again = sweep(T0 + timedelta(hours=25, minutes=5))

    # then: the unsent one is enqueued again; the sent one is not
    assert again.emails_reenqueued == 1
    assert [call.kwargs["args"][0] for call in delay.call_args_list] == [result.notification_ids[1]]


def _cold_leads(count, *, marketer, rep):
    campaign = CampaignFactory(owner=marketer)
    with at(T0):
        for _ in range(count):
            lead = LeadFactory(campaign=campaign)
            lead_hand_off(lead=lead, rep=rep, note="Story.", by=marketer)


@pytest.mark.parametrize("count", [10, 200])
def test_sweep_query_count_does_not_grow_with_the_number_of_cold_leads(
    count, marketer, rep, manager, django_assert_num_queries
):
    if connection.vendor != "postgresql":
        pytest.skip("The pinned count is PostgreSQL's; SQLite splits a bulk insert by its variable limit.")
    _cold_leads(count, marketer=marketer, rep=rep)
    sweep(T0 + timedelta(hours=25))  # level 1 for all; the next sweep escalates them all

    # 1. SAVEPOINT (the sweep's transaction)
    # 2. SET LOCAL jit = off (PostgreSQL only)
    # 3. the SLA settings row
    # 4. close the episodes no longer cold (UPDATE)
    # 5. open episodes: handoffs not accepted in time (INSERT ... SELECT)
    # 6. open episodes: no activity (INSERT ... SELECT)
    # 7. level-2 reminders (INSERT ... SELECT ... RETURNING)
    # 8. level-1 reminders (INSERT ... SELECT ... RETURNING)
    # 9. the episodes reminded, with their leads, reps and marketers
    # 10. the managers
    # 11. the active webhook endpoints (none here: no lead is serialised for webhooks)
    # 12. unsent emails to enqueue again
    # 13. the notifications (one INSERT)
    # 14. their events for the recipients' live bells (one INSERT)
    # 15. the recipients with chat on and a chat webhook (none here: no post is written)
    # 16. RELEASE SAVEPOINT
    # (Overdue feedback items are reminded by feedback's own sweep now.)
    with django_assert_num_queries(16), at(T0 + timedelta(hours=49, minutes=1)):
        result = cold_leads_sweep()

    assert result.escalations == count
    assert Notification.objects.filter(kind=NotificationKind.ESCALATION).count() == count


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_the_same_moment_create_each_reminder_once():
    if connection.vendor != "postgresql":
        pytest.skip("Concurrent writers need PostgreSQL; SQLite serialises them anyway.")
    marketer, rep = MarketerFactory(), RepFactory()
    ManagerFactory()
    _cold_leads(20, marketer=marketer, rep=rep)
    barrier = threading.Barrier(4)
    errors = []

    def run(moment):
        try:
            barrier.wait(timeout=10)
            cold_leads_sweep(now=moment)
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            connections.close_all()

    for moment in (T0 + timedelta(hours=25), T0 + timedelta(hours=50)):
        threads = [threading.Thread(target=run, args=(moment,)) for _ in range(4)]
        with mock.patch("alignment.enqueue.app.send_task"):
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)

    assert errors == []
    assert ColdEpisode.objects.count() == 20
    assert Reminder.objects.filter(level=1).count() == 20
    assert Reminder.objects.filter(level=2).count() == 20
    assert Notification.objects.filter(kind=NotificationKind.REMINDER).count() == 40
    assert Notification.objects.filter(kind=NotificationKind.ESCALATION).count() == 20


def test_leads_that_moved_on_are_left_alone(marketer, rep):
    lead = handed_off_lead(marketer=marketer, rep=rep)
    Lead.objects.filter(pk=lead.pk).update(status=LeadStatus.WON)

    assert sweep(T0 + timedelta(days=30)).episodes_opened == 0


def test_the_lead_page_shows_the_marketer_the_cold_episode_and_the_snooze_with_its_reason(client, marketer, rep):
    lead = working_lead(marketer=marketer, rep=rep)
    client.force_login(marketer)

    with at(T0 + timedelta(days=8)):
        cold_leads_sweep()
        page = client.get(f"/leads/{lead.id}/").content.decode()
    assert 'data-testid="cold-badge"' in page and "No activity" in page

    with at(T0 + timedelta(days=8, hours=1)):
        lead_snooze(lead=lead, by=rep, until=T0 + timedelta(days=30), reason="Customer asked to call back in April.")
        page = client.get(f"/leads/{lead.id}/").content.decode()
    assert 'data-testid="cold-badge"' not in page
    assert 'data-testid="snooze-badge"' in page and "Customer asked to call back in April." in page
