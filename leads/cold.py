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

The same sweep re-enqueues the emails of notifications whose enqueue failed (a broker that was
down): the database is the source of truth, the broker only carries work.
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from alignment.models import Notification, NotificationKind, Role, User
from alignment.services import NotificationRow, notification_create_many, notification_emails_enqueue
from alignment.sla import duration_describe, sla_settings_get, sla_start_before
from alignment.webhooks.outbox import webhook_endpoints_active
from leads.models import SLA_OVERDUE_SQL, ColdEpisode, ColdReason, Handoff, HandoffOutcome, Lead, LeadStatus, Reminder
from leads.webhooks import lead_events_emit_many

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
    notification_ids: list = field(default_factory=list)
    emails_reenqueued: int = 0


def _tables():
    return {
        "lead": Lead._meta.db_table,
        "handoff": Handoff._meta.db_table,
        "episode": ColdEpisode._meta.db_table,
        "reminder": Reminder._meta.db_table,
        # The handoff `h`'s SLA has run out (`leads.models.sla_overdue`).
        "sla_overdue": SLA_OVERDUE_SQL.format(column="h.sla_due_at"),
    }


def _execute(sql, params, *, returning=False):
    with connection.cursor() as cursor:
        cursor.execute(sql.format(**_tables()), params)
        if returning:
            return [row[0] for row in cursor.fetchall()]
        return cursor.rowcount


def _close_stale_episodes(*, now, activity_cutoff) -> int:
    """Close open episodes whose lead is no longer cold for their reason: snoozed, moved on without
    a service closing it, or no longer past the threshold because a manager raised it. The lead is
    looked up per open episode by primary key (a scalar subquery: never a scan of every lead)."""
    sql = """
        UPDATE {episode} SET closed_at = %s
        WHERE closed_at IS NULL AND (
            SELECT CASE WHEN (l.snoozed_until IS NOT NULL AND l.snoozed_until > %s)
                          OR ({episode}.reason = %s AND l.status <> %s)
                          OR ({episode}.reason = %s AND (l.status NOT IN (%s, %s) OR l.last_activity_at > %s))
                   THEN 1 ELSE 0 END
            FROM {lead} l WHERE l.id = {episode}.lead_id
        ) = 1
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


# "Has no open episode" is `NOT IN (open episodes)`, which PostgreSQL runs as one hashed subplan over
# the (few) open episodes, and "has no reminder of this level" a scalar lookup on the unique index,
# rather than NOT EXISTS: right after a burst of new episodes the tables' statistics still say they
# are empty, and the anti-join planned from them compared every cold lead with every open episode
# (seconds at a million leads).


def _open_episodes(*, now, activity_cutoff) -> int:
    """Open an episode for each lead that is cold now and has none open. `cold_since` is when the
    lead last moved (the handoff, or its last activity): how long it has waited counts from there."""
    # Driven by the few open handoffs past their deadline (a partial index); the lead is looked up
    # per handoff by its primary key (a scalar subquery, which the planner cannot turn into a hash
    # of every handed-off lead).
    not_accepted = """
        INSERT INTO {episode} (lead_id, reason, cold_since, opened_at)
        SELECT h.lead_id, %s, h.created_at, %s
        FROM {handoff} h
        WHERE h.outcome = %s AND {sla_overdue}
          AND (SELECT CASE WHEN l.status = %s AND (l.snoozed_until IS NULL OR l.snoozed_until <= %s)
                      THEN 1 ELSE 0 END
               FROM {lead} l WHERE l.id = h.lead_id) = 1
          AND h.lead_id NOT IN (SELECT e.lead_id FROM {episode} e WHERE e.closed_at IS NULL)
        ON CONFLICT DO NOTHING
    """
    opened = _execute(
        not_accepted, [ColdReason.NOT_ACCEPTED, now, HandoffOutcome.OPEN, now, LeadStatus.HANDED_OFF, now]
    )
    no_activity = """
        INSERT INTO {episode} (lead_id, reason, cold_since, opened_at)
        SELECT l.id, %s, l.last_activity_at, %s
        FROM {lead} l
        WHERE l.status IN (%s, %s) AND l.last_activity_at <= %s AND l.merged_into_id IS NULL
          AND (l.snoozed_until IS NULL OR l.snoozed_until <= %s)
          AND l.id NOT IN (SELECT e.lead_id FROM {episode} e WHERE e.closed_at IS NULL)
        ON CONFLICT DO NOTHING
    """
    opened += _execute(no_activity, [ColdReason.NO_ACTIVITY, now, *WORKED_STATUSES, activity_cutoff, now])
    return opened


def _insert_reminders(*, level, now, escalate_cutoff=None) -> list:
    """Insert this level's reminder for every open episode due one; return the episodes whose
    reminder *this* statement inserted (a concurrent sweep's rows are skipped, not returned)."""
    if level == 1:
        # Episodes are opened only here, and get their level-1 reminder in the same transaction: the
        # ones to remind are those this sweep opened (a concurrent sweep with the same clock finds
        # them reminded already, and inserts nothing).
        sql = """
            INSERT INTO {reminder} (episode_id, level, created_at)
            SELECT e.id, 1, %s FROM {episode} e
            WHERE e.closed_at IS NULL AND e.opened_at = %s
              AND (SELECT r.id FROM {reminder} r WHERE r.episode_id = e.id AND r.level = 1) IS NULL
            ON CONFLICT DO NOTHING
            RETURNING episode_id
        """
        return _execute(sql, [now, now], returning=True)
    sql = """
        INSERT INTO {reminder} (episode_id, level, created_at)
        SELECT e.id, 2, %s FROM {episode} e
        JOIN {reminder} first ON first.episode_id = e.id AND first.level = 1
        WHERE e.closed_at IS NULL AND first.created_at <= %s
          AND (SELECT r.id FROM {reminder} r WHERE r.episode_id = e.id AND r.level = 2) IS NULL
        ON CONFLICT DO NOTHING
        RETURNING episode_id
    """
    return _execute(sql, [now, escalate_cutoff], returning=True)


@dataclass(frozen=True, slots=True)
class _Person:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class _ColdLead:
    episode_id: int
    reason: str
    cold_since: object
    lead_id: int
    label: str
    rep: _Person | None
    marketer: _Person | None


def _label(name, email, company) -> str:
    label = name or email
    return f"{label} ({company})" if company else label


def _person(pk, username, first_name, last_name) -> _Person | None:
    if pk is None:
        return None
    return _Person(pk, f"{first_name} {last_name}".strip() or username)


def _cold_leads(episode_ids) -> dict:
    """The reminded episodes with their lead, rep and marketer, as plain rows: tens of thousands of
    them after an outage, and model instances would cost more than the SQL."""
    rows = ColdEpisode.objects.filter(id__in=episode_ids).values_list(
        "id",
        "reason",
        "cold_since",
        "lead_id",
        "lead__name",
        "lead__email",
        "lead__company",
        "lead__owner_id",
        "lead__owner__username",
        "lead__owner__first_name",
        "lead__owner__last_name",
        "lead__captured_by_id",
        "lead__captured_by__username",
        "lead__captured_by__first_name",
        "lead__captured_by__last_name",
    )
    return {
        row[0]: _ColdLead(row[0], row[1], row[2], row[3], _label(*row[4:7]), _person(*row[7:11]), _person(*row[11:15]))
        for row in rows
    }


def _reminder_notifications(cold_leads, *, now, managers) -> list:
    """Level 1: the rep side (the rep, or the managers while the lead waits in their queue) and the
    marketer who captured the lead, each told what the other side is waiting for."""
    rows = []
    for cold in cold_leads:
        label = cold.label
        waited = duration_describe(now - cold.cold_since)
        rep, marketer = cold.rep, cold.marketer
        rep_name = rep.name if rep else "the managers' queue"
        marketer_name = marketer.name if marketer else "marketing"
        url = reverse("leads:detail", args=[cold.lead_id])
        if cold.reason == ColdReason.NOT_ACCEPTED:
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
            rows.append(NotificationRow(person.id, NotificationKind.REMINDER, cold.lead_id, to_rep, url))
        if marketer is not None and marketer.id not in {p.id for p in rep_side}:
            rows.append(NotificationRow(marketer.id, NotificationKind.REMINDER, cold.lead_id, to_marketer, url))
    return rows


def _escalation_notifications(cold_leads, *, now, managers) -> list:
    rows = []
    for cold in cold_leads:
        waited = duration_describe(now - cold.cold_since)
        rep = cold.rep.name if cold.rep else "nobody (the managers' queue)"
        marketer = cold.marketer.name if cold.marketer else "marketing"
        why = "not accepted within the SLA" if cold.reason == ColdReason.NOT_ACCEPTED else "no activity"
        message = (
            f"{cold.label} is still cold after {waited} ({why}). {rep} holds it and {marketer} sent it; both "
            f"were reminded and nothing happened. Step in: talk to them, or reassign the lead."
        )
        url = reverse("leads:detail", args=[cold.lead_id])
        for manager in managers:
            rows.append(NotificationRow(manager.id, NotificationKind.ESCALATION, cold.lead_id, message, url))
    return rows


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


def _emit_webhook_events(cold_leads, *, reminded, escalated) -> None:
    """`lead.cold` for each episode reminded, `lead.escalated` for each escalated: set-based, a few
    statements for the whole sweep (none at all while no webhook subscribes)."""
    endpoints = webhook_endpoints_active()
    if not endpoints:
        return
    for event_type, level, episode_ids in (("lead.cold", 1, reminded), ("lead.escalated", 2, escalated)):
        extras = {}
        for episode_id in episode_ids:
            cold = cold_leads[episode_id]
            episode = {"id": cold.episode_id, "reason": cold.reason, "cold_since": cold.cold_since.isoformat()}
            extras[cold.lead_id] = {"level": level, "episode": episode}
        lead_events_emit_many(event_type=event_type, extras=extras, endpoints=endpoints)


@transaction.atomic
def cold_leads_sweep(*, now=None) -> SweepResult:
    """Find cold leads, open and close cold episodes, send each reminder exactly once.

    The database work is done when this returns; the emails are enqueued when it commits.
    """
    now = now or timezone.now()
    if connection.vendor == "postgresql":
        # The statements below are short index-driven lookups whose cost estimates (per-row
        # subqueries) look large enough to trigger JIT compilation, which then costs more than
        # running them: half a second at a million leads.
        _execute("SET LOCAL jit = off", [])
    policy = sla_settings_get()
    activity_cutoff = sla_start_before(end=now, hours=policy.cold_after_days * 24, policy=policy)
    escalate_cutoff = sla_start_before(end=now, hours=policy.escalate_after_hours, policy=policy)
    result = SweepResult()

    result.episodes_closed = _close_stale_episodes(now=now, activity_cutoff=activity_cutoff)
    result.episodes_opened = _open_episodes(now=now, activity_cutoff=activity_cutoff)
    escalated = _insert_reminders(level=2, now=now, escalate_cutoff=escalate_cutoff)
    reminded = _insert_reminders(level=1, now=now)
    result.reminders, result.escalations = len(reminded), len(escalated)

    rows = []
    if reminded or escalated:
        cold_leads = _cold_leads([*reminded, *escalated])
        managers = [
            _person(*row)
            for row in User.objects.filter(role=Role.MANAGER, is_active=True)
            .order_by("id")
            .values_list("id", "username", "first_name", "last_name")
        ]
        rows += _reminder_notifications([cold_leads[i] for i in reminded], now=now, managers=managers)
        rows += _escalation_notifications([cold_leads[i] for i in escalated], now=now, managers=managers)
        _emit_webhook_events(cold_leads, reminded=reminded, escalated=escalated)

    result.emails_reenqueued = _reenqueue_unsent_emails(now=now)
    result.notification_ids = notification_create_many(rows=rows)
    logger.info(
        "Cold-lead sweep: %s episodes opened, %s closed, %s reminders, %s escalations, %s emails enqueued again",
        result.episodes_opened,
        result.episodes_closed,
        result.reminders,
        result.escalations,
        result.emails_reenqueued,
    )
    return result
