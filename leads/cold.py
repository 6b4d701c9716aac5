"""Going cold: the sweep that finds leads nobody is working and wakes both departments up.

A lead is cold when it was handed off and not accepted by its SLA deadline, or when it is accepted
or working and nobody logged activity on it for `cold_after_days` (counted in business hours when
they are configured). A cold lead gets one open **cold episode**; any activity, acceptance,
transition or snooze closes it (see `leads.services`). Per episode:

- level 1 reminds the rep who holds the lead *and* the marketer who captured it;
- level 2, `escalate_after_hours` after level 1 and still cold, escalates to the managers.

Every step is one set-based statement, so the number of queries does not grow with the number of
leads, and every "exactly once" stands on a unique constraint: an episode per lead
(`cold_episode_one_open_per_lead`), a reminder per episode and level (`reminder_once_per_level`).
Reminders are inserted with `ON CONFLICT DO NOTHING ... RETURNING`, and notifications are created
only for the rows this sweep inserted — two sweeps running at the same moment cannot both win.

The same sweep reminds whoever a feedback item waits on when it stayed open longer than
`feedback_response_days` (once per item, claimed by an atomic UPDATE), and re-enqueues the emails
of notifications whose enqueue failed (a broker that was down): the database is the source of
truth, the broker only carries work.
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from alignment.models import Notification, NotificationKind, Role, User
from alignment.services import notification_create_many, notification_emails_enqueue
from alignment.sla import duration_describe, sla_settings_get, sla_start_before
from leads.models import ColdEpisode, ColdReason, Handoff, HandoffOutcome, Lead, LeadStatus, Reminder

logger = logging.getLogger(__name__)

# The statuses whose clock is "some activity every cold_after_days".
WORKED_STATUSES = (LeadStatus.ACCEPTED, LeadStatus.WORKING)
# A notification still unsent this long after it was created lost its email task (the broker was
# down when it was enqueued); the next sweep enqueues it again. The sent-at guard makes a late
# duplicate task harmless.
EMAIL_REENQUEUE_AFTER = timedelta(minutes=1)
# ...but not forever: an address that bounces for two days is not retried every five minutes.
EMAIL_REENQUEUE_WITHIN = timedelta(days=2)
EMAIL_REENQUEUE_BATCH = 500


@dataclass
class SweepResult:
    episodes_opened: int = 0
    episodes_closed: int = 0
    reminders: int = 0
    escalations: int = 0
    feedback_reminders: int = 0
    notification_ids: list = field(default_factory=list)
    emails_reenqueued: int = 0


def _tables():
    from feedback.models import FeedbackItem

    return {
        "lead": Lead._meta.db_table,
        "handoff": Handoff._meta.db_table,
        "episode": ColdEpisode._meta.db_table,
        "reminder": Reminder._meta.db_table,
        "feedback": FeedbackItem._meta.db_table,
    }


def _execute(sql, params, *, returning=False):
    with connection.cursor() as cursor:
        cursor.execute(sql.format(**_tables()), params)
        if returning:
            return [row[0] for row in cursor.fetchall()]
        return cursor.rowcount


def _close_stale_episodes(*, now, activity_cutoff) -> int:
    """Close open episodes whose lead is no longer cold for their reason: snoozed, moved on without
    a service closing it, or no longer past the threshold because a manager raised it."""
    sql = """
        UPDATE {episode} SET closed_at = %s
        WHERE closed_at IS NULL AND EXISTS (
            SELECT 1 FROM {lead} l WHERE l.id = {episode}.lead_id AND (
                (l.snoozed_until IS NOT NULL AND l.snoozed_until > %s)
                OR ({episode}.reason = %s AND l.status <> %s)
                OR ({episode}.reason = %s AND (l.status NOT IN (%s, %s) OR l.last_activity_at > %s))
            )
        )
    """
    params = [
        now,
        now,
        ColdReason.NOT_ACCEPTED,
        LeadStatus.HANDED_OFF,
        ColdReason.NO_ACTIVITY,
        *WORKED_STATUSES,
        activity_cutoff,
    ]
    return _execute(sql, params)


def _open_episodes(*, now, activity_cutoff) -> int:
    """Open an episode for each lead that is cold now and has none open. `cold_since` is when the
    lead last moved (the handoff, or its last activity): how long it has waited counts from there."""
    not_snoozed_and_no_open_episode = """
        AND (l.snoozed_until IS NULL OR l.snoozed_until <= %s)
        AND NOT EXISTS (SELECT 1 FROM {episode} e WHERE e.lead_id = l.id AND e.closed_at IS NULL)
    """
    not_accepted = (
        """
        INSERT INTO {episode} (lead_id, reason, cold_since, opened_at)
        SELECT l.id, %s, h.created_at, %s
        FROM {handoff} h JOIN {lead} l ON l.id = h.lead_id
        WHERE h.outcome = %s AND h.sla_due_at <= %s AND l.status = %s
        """
        + not_snoozed_and_no_open_episode
        + " ON CONFLICT DO NOTHING"
    )
    opened = _execute(
        not_accepted, [ColdReason.NOT_ACCEPTED, now, HandoffOutcome.OPEN, now, LeadStatus.HANDED_OFF, now]
    )
    no_activity = (
        """
        INSERT INTO {episode} (lead_id, reason, cold_since, opened_at)
        SELECT l.id, %s, l.last_activity_at, %s
        FROM {lead} l
        WHERE l.status IN (%s, %s) AND l.last_activity_at <= %s
        """
        + not_snoozed_and_no_open_episode
        + " ON CONFLICT DO NOTHING"
    )
    opened += _execute(no_activity, [ColdReason.NO_ACTIVITY, now, *WORKED_STATUSES, activity_cutoff, now])
    return opened


def _insert_reminders(*, level, now, escalate_cutoff=None) -> list:
    """Insert this level's reminder for every open episode due one; return the episodes whose
    reminder *this* statement inserted (a concurrent sweep's rows are skipped, not returned)."""
    if level == 1:
        sql = """
            INSERT INTO {reminder} (episode_id, level, created_at)
            SELECT e.id, 1, %s FROM {episode} e
            WHERE e.closed_at IS NULL
              AND NOT EXISTS (SELECT 1 FROM {reminder} r WHERE r.episode_id = e.id AND r.level = 1)
            ON CONFLICT DO NOTHING
            RETURNING episode_id
        """
        return _execute(sql, [now], returning=True)
    sql = """
        INSERT INTO {reminder} (episode_id, level, created_at)
        SELECT e.id, 2, %s FROM {episode} e
        JOIN {reminder} first ON first.episode_id = e.id AND first.level = 1
        WHERE e.closed_at IS NULL AND first.created_at <= %s
          AND NOT EXISTS (SELECT 1 FROM {reminder} r WHERE r.episode_id = e.id AND r.level = 2)
        ON CONFLICT DO NOTHING
        RETURNING episode_id
    """
    return _execute(sql, [now, escalate_cutoff], returning=True)


def _lead_label(lead) -> str:
    label = lead.name or lead.email
    return f"{label} ({lead.company})" if lead.company else label


def _reminder_notifications(episodes, *, now, managers) -> list:
    """Level 1: the rep side (the rep, or the managers while the lead waits in their queue) and the
    marketer who captured the lead, each told what the other side is waiting for."""
    notifications = []
    for episode in episodes:
        lead = episode.lead
        label = _lead_label(lead)
        waited = duration_describe(now - episode.cold_since)
        rep, marketer = lead.owner, lead.captured_by
        rep_name = rep.display_name if rep else "the managers' queue"
        marketer_name = marketer.display_name if marketer else "marketing"
        url = f"/leads/{lead.id}/"
        if episode.reason == ColdReason.NOT_ACCEPTED:
            to_rep = (
                f"{label} has waited {waited} since {marketer_name} handed it off, and the SLA to accept it "
                f"has run out. Accept it, or reject it with a reason, so {marketer_name} knows where it stands."
            )
            to_marketer = (
                f"{label}, which you handed to {rep_name}, has waited {waited} without being accepted. "
                f"Check in with {rep_name}; managers are told if it stays this way."
            )
        else:
            to_rep = (
                f"{label} has had no activity for {waited}. Log a call, email, meeting or note — or snooze it "
                f"with a reason — so {marketer_name}, who sent it, sees it is being worked."
            )
            to_marketer = (
                f"{label}, which {rep_name} holds, has had no activity for {waited}. "
                f"Ask {rep_name} where it stands; managers are told if it stays this way."
            )
        rep_side = [rep] if rep else managers
        for person in rep_side:
            notifications.append(
                Notification(recipient=person, kind=NotificationKind.REMINDER, lead=lead, message=to_rep, url=url)
            )
        if marketer is not None and marketer not in rep_side:
            notifications.append(
                Notification(
                    recipient=marketer, kind=NotificationKind.REMINDER, lead=lead, message=to_marketer, url=url
                )
            )
    return notifications


def _escalation_notifications(episodes, *, now, managers) -> list:
    notifications = []
    for episode in episodes:
        lead = episode.lead
        label = _lead_label(lead)
        waited = duration_describe(now - episode.cold_since)
        rep = lead.owner.display_name if lead.owner else "nobody (the managers' queue)"
        marketer = lead.captured_by.display_name if lead.captured_by else "marketing"
        why = "not accepted within the SLA" if episode.reason == ColdReason.NOT_ACCEPTED else "no activity"
        message = (
            f"{label} is still cold after {waited} ({why}). {rep} holds it and {marketer} sent it; both were "
            f"reminded and nothing happened. Step in: talk to them, or reassign the lead."
        )
        for manager in managers:
            notifications.append(
                Notification(
                    recipient=manager,
                    kind=NotificationKind.ESCALATION,
                    lead=lead,
                    message=message,
                    url=f"/leads/{lead.id}/",
                )
            )
    return notifications


def _feedback_notifications(*, now, cutoff) -> list:
    """Remind whoever an open feedback item waits on, once per item (the UPDATE claims it)."""
    from feedback.models import FeedbackItem, FeedbackStatus

    sql = """
        UPDATE {feedback} SET overdue_reminded_at = %s
        WHERE status = %s AND overdue_reminded_at IS NULL AND created_at <= %s
        RETURNING id
    """
    ids = _execute(sql, [now, FeedbackStatus.OPEN, cutoff], returning=True)
    if not ids:
        return []
    items = FeedbackItem.objects.filter(id__in=ids).select_related("lead", "assignee", "opened_by")
    notifications = []
    for item in items:
        waited = duration_describe(now - item.created_at)
        other = item.opened_by.display_name if item.opened_by else "sales"
        if item.assignee.role == Role.REP:
            expected = f"{other} asked for your verdict on this lead: give it, or reply."
        else:
            expected = f"{other} is waiting for marketing's answer: reply, or resolve the item."
        message = (
            f"Feedback on {_lead_label(item.lead)} ({item.get_kind_display().lower()}) has waited {waited}. {expected}"
        )
        notifications.append(
            Notification(
                recipient=item.assignee,
                kind=NotificationKind.FEEDBACK,
                lead=item.lead,
                message=message,
                url=f"/feedback/{item.id}/",
            )
        )
    return notifications


def _reenqueue_unsent_emails(*, now) -> int:
    ids = list(
        Notification.objects.filter(
            email_sent_at__isnull=True,
            created_at__lte=now - EMAIL_REENQUEUE_AFTER,
            created_at__gte=now - EMAIL_REENQUEUE_WITHIN,
        )
        .order_by("created_at")
        .values_list("id", flat=True)[:EMAIL_REENQUEUE_BATCH]
    )
    if ids:
        transaction.on_commit(lambda: notification_emails_enqueue(ids))
    return len(ids)


@transaction.atomic
def cold_leads_sweep(*, now=None) -> SweepResult:
    """Find cold leads, open and close cold episodes, send each reminder exactly once.

    The database work is done when this returns; the emails are enqueued when it commits.
    """
    now = now or timezone.now()
    policy = sla_settings_get()
    activity_cutoff = sla_start_before(end=now, hours=policy.cold_after_days * 24, policy=policy)
    escalate_cutoff = sla_start_before(end=now, hours=policy.escalate_after_hours, policy=policy)
    feedback_cutoff = sla_start_before(end=now, hours=policy.feedback_response_days * 24, policy=policy)
    result = SweepResult()

    result.episodes_closed = _close_stale_episodes(now=now, activity_cutoff=activity_cutoff)
    result.episodes_opened = _open_episodes(now=now, activity_cutoff=activity_cutoff)
    escalated = _insert_reminders(level=2, now=now, escalate_cutoff=escalate_cutoff)
    reminded = _insert_reminders(level=1, now=now)
    result.reminders, result.escalations = len(reminded), len(escalated)

    notifications = []
    if reminded or escalated:
        episodes = {
            e.id: e
            for e in ColdEpisode.objects.filter(id__in=[*reminded, *escalated]).select_related(
                "lead__owner", "lead__captured_by"
            )
        }
        managers = list(User.objects.filter(role=Role.MANAGER, is_active=True).order_by("id"))
        notifications += _reminder_notifications([episodes[i] for i in reminded], now=now, managers=managers)
        notifications += _escalation_notifications([episodes[i] for i in escalated], now=now, managers=managers)
    feedback = _feedback_notifications(now=now, cutoff=feedback_cutoff)
    result.feedback_reminders = len(feedback)
    notifications += feedback

    result.emails_reenqueued = _reenqueue_unsent_emails(now=now)
    created = notification_create_many(notifications=notifications)
    result.notification_ids = [n.id for n in created]
    logger.info(
        "Cold-lead sweep: %s episodes opened, %s closed, %s reminders, %s escalations, %s feedback reminders, "
        "%s emails enqueued again",
        result.episodes_opened,
        result.episodes_closed,
        result.reminders,
        result.escalations,
        result.feedback_reminders,
        result.emails_reenqueued,
    )
    return result
