"""Writes shared by both departments: people, notifications, and forgetting old idempotency keys."""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import timezone

from alignment.audit import audit_diff, audit_record, audit_snapshot
from alignment.enqueue import task_send
from alignment.errors import InvalidInput, NotFound
from alignment.live import LiveRow, live_publish
from alignment.models import (
    CHAT_KINDS,
    AuditArea,
    IdempotencyRecord,
    Notification,
    NotificationKind,
    Role,
    Territory,
    Vertical,
    WebhookEndpoint,
)
from alignment.webhooks.outbox import chat_posts_emit

logger = logging.getLogger(__name__)

User = get_user_model()

# The task that emails one notification (`alignment.tasks`), sent by name.
NOTIFICATION_EMAIL_TASK = "alignment.tasks.notification_email_send"


MEMBER_AUDITED_FIELDS = ("role", "team", "territories", "verticals")


@transaction.atomic
def member_add(*, username, role, password=None, email="", territories=(), verticals=(), team=None) -> User:
    """Create or update a member. Territories are "DE" or "DE/Bavaria"; verticals are names.

    Without a password the account gets an unusable one and must be given a password through the
    set-password link (never a prompt: this runs in scripts).
    """
    if role not in Role.values:
        raise InvalidInput(f"Unknown role {role!r}: choose one of {', '.join(Role.values)}.", fields={"role": [role]})
    username = username.strip()
    if not username:
        raise InvalidInput("A username is required.", fields={"username": ["required"]})
    user, created = User.objects.get_or_create(username=username, defaults={"role": role, "email": email})
    before = {} if created else audit_snapshot(user, MEMBER_AUDITED_FIELDS)
    user.role = role
    if email:
        user.email = email
    if team is not None:
        user.team = team
    if password:
        user.set_password(password)
    elif created:
        user.set_unusable_password()
    user.save()
    for spec in territories:
        country, _, region = spec.partition("/")
        country = country.strip().upper()
        if len(country) != 2 or not country.isalpha():
            raise InvalidInput(f"Territory {spec!r} must start with a two-letter country code, e.g. DE or DE/Bavaria.")
        territory, _ = Territory.objects.get_or_create(country=country, region=region.strip())
        user.territories.add(territory)
    for name in verticals:
        vertical, _ = Vertical.objects.get_or_create(name=name.strip())
        user.verticals.add(vertical)
    changes = audit_diff(before, audit_snapshot(user, MEMBER_AUDITED_FIELDS))
    audit_record(
        actor=None, area=AuditArea.ROLE, action="created" if created else "changed", target=user, changes=changes
    )
    return user


@transaction.atomic
def user_preferences_update(*, user, email_notifications: bool, chat_notifications: bool) -> User:
    """A person turns email and chat on or off for themselves; in-app notifications are always on.
    Emails not sent yet and chat posts from now on follow the new choice."""
    user.email_notifications = bool(email_notifications)
    user.chat_notifications = bool(chat_notifications)
    user.save(update_fields=["email_notifications", "chat_notifications"])
    return user


# --- notifications ---------------------------------------------------------------------------
# A notification is the in-app notice; its email is a separate idempotent task enqueued when the
# transaction commits. If the broker is down the enqueue is logged and skipped: the notification
# stays unsent in the database and the next cold-lead sweep enqueues its email again.


def _bell_event(pk, recipient_id, kind, lead_id, message) -> LiveRow:
    """The live event that rings the recipient's bell on every page they have open."""
    return LiveRow(recipient_id, "notification", {"id": pk, "kind": kind, "lead": lead_id, "message": message})


def notification_create(*, recipient, kind, message, lead=None, url="", actor=None) -> Notification:
    """One notice to one person; `actor` is who did what it tells of, when someone did."""
    notification = Notification.objects.create(
        recipient=recipient, kind=kind, message=message, lead=lead, url=url, actor=actor
    )
    live_publish(rows=[_bell_event(notification.id, recipient.id, kind, notification.lead_id, message)])
    if kind in CHAT_NOTIFICATION_KINDS:
        chat_post_many(rows=[NotificationRow(recipient.id, kind, notification.lead_id, message, url)])
    transaction.on_commit(lambda: notification_emails_enqueue([notification.id]))
    return notification


@dataclass(frozen=True, slots=True)
class NotificationRow:
    """A notification to insert in bulk, without the cost of a model instance per row."""

    recipient_id: int
    kind: str
    lead_id: int | None
    message: str
    url: str = ""
    actor_id: int | None = None


def notification_create_many(*, rows: list[NotificationRow]) -> list[int]:
    """Insert many notifications in one statement and enqueue their emails on commit; returns ids.

    The cold-lead sweep can create tens of thousands at once: on PostgreSQL the rows go in as arrays
    through `unnest` (one query, no per-row model instance); elsewhere through `bulk_create`.
    """
    if not rows:
        return []
    now = timezone.now()
    if connection.vendor == "postgresql":
        table = Notification._meta.db_table
        sql = f"""
            INSERT INTO {table} (recipient_id, kind, lead_id, message, url, actor_id, read, created_at)
            SELECT r, k, l, m, u, a, false, %s
            FROM unnest(%s::bigint[], %s::text[], %s::bigint[], %s::text[], %s::text[], %s::bigint[])
                AS t(r, k, l, m, u, a)
            RETURNING id
        """
        columns = [
            [row.recipient_id for row in rows],
            [row.kind for row in rows],
            [row.lead_id for row in rows],
            [row.message for row in rows],
            [row.url for row in rows],
            [row.actor_id for row in rows],
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, [now, *columns])
            ids = [row[0] for row in cursor.fetchall()]
    else:
        created = Notification.objects.bulk_create(
            Notification(
                recipient_id=row.recipient_id,
                kind=row.kind,
                lead_id=row.lead_id,
                message=row.message,
                url=row.url,
                actor_id=row.actor_id,
            )
            for row in rows
        )
        ids = [n.id for n in created]
    live_publish(
        rows=[
            _bell_event(pk, row.recipient_id, row.kind, row.lead_id, row.message)
            for pk, row in zip(ids, rows, strict=True)
        ]
    )
    chat_post_many(rows=[row for row in rows if row.kind in CHAT_NOTIFICATION_KINDS])
    transaction.on_commit(lambda: notification_emails_enqueue(ids))
    return ids


# --- chat -----------------------------------------------------------------------------------
# The notifications that also go to chat; a handoff posts to the rep's chat too (its in-app side is
# the rep's inbox), as kind "handoff". A campaign request's status change goes to its requester's.
CHAT_NOTIFICATION_KINDS = frozenset(
    {NotificationKind.REMINDER, NotificationKind.ESCALATION, NotificationKind.FEEDBACK, NotificationKind.REQUEST}
)
CHAT_HANDOFF = "handoff"


def chat_post_many(*, rows: list[NotificationRow]) -> int:
    """Post each row to its recipient's chat webhook — their own, else their team's — unless they
    turned chat off; returns how many posts were written.

    One query finds every recipient's webhook; the posts go into the webhook outbox in the caller's
    transaction (two INSERTs), so they are sent, retried and checked like any webhook delivery.
    """
    if not rows:
        return 0
    chat = WebhookEndpoint.objects.filter(active=True, kind__in=CHAT_KINDS)
    people = {
        pk: (username, " ".join(filter(None, (first, last))) or username, webhook)
        for pk, username, first, last, webhook in User.objects.filter(
            id__in={row.recipient_id for row in rows}, is_active=True, chat_notifications=True
        )
        .annotate(
            webhook=Coalesce(
                Subquery(chat.filter(user_id=OuterRef("id")).values("id")),
                Subquery(chat.filter(team_id=OuterRef("team_id")).values("id")),
            )
        )
        .filter(webhook__isnull=False)
        .values_list("id", "username", "first_name", "last_name", "webhook")
    }
    base = settings.ALIGNMENT_BASE_URL.rstrip("/")
    posts = []
    for row in rows:
        if row.recipient_id not in people:
            continue
        username, name, webhook = people[row.recipient_id]
        data = {
            "kind": row.kind,
            "recipient": {"id": row.recipient_id, "username": username, "name": name},
            "message": row.message,
            "link": base + (row.url or "/notifications/"),
        }
        posts.append((data, webhook))
    return len(chat_posts_emit(posts=posts))


def notification_emails_enqueue(notification_ids) -> int:
    """Publish one email task per notification; returns how many were published.

    Never raises: a broker that is down must not fail the request or the sweep that created the
    notifications. The first failure stops the loop (each attempt would wait for the same dead
    broker) and the rest wait, unsent, for the next sweep.
    """
    if not notification_ids:
        return 0
    # Some arrive stamped already (the digest mails itself; made-up demo history): no task for those.
    notification_ids = list(
        Notification.objects.filter(id__in=notification_ids, email_sent_at__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)
    )
    published = 0
    for notification_id in notification_ids:
        if not task_send(NOTIFICATION_EMAIL_TASK, notification_id):
            logger.warning(
                "Could not enqueue the email of notification %s (and %s more): the broker is unavailable; "
                "the next sweep enqueues them again.",
                notification_id,
                len(notification_ids) - published - 1,
            )
            break
        published += 1
    return published


def _email_subject(notification) -> str:
    lead = notification.lead
    about = f": {lead.name or lead.email}" if lead is not None else ""
    return {
        NotificationKind.REMINDER: "Going cold",
        NotificationKind.ESCALATION: "Escalation — still cold",
        NotificationKind.FEEDBACK: "Feedback",
        NotificationKind.DIGEST: "Weekly alignment digest",
    }.get(notification.kind, "Alignment") + about


def notification_email_send(*, notification_id: int) -> bool:
    """Send one notification's email unless it went out already; True when this call sent it.

    The row is locked (`FOR UPDATE SKIP LOCKED`) and `email_sent_at` checked and set in the same
    transaction as the send, so two deliveries of the task cannot both send: the second finds the
    row locked or already stamped. A worker killed mid-send rolls the transaction back and the
    redelivered task sends it. An SMTP error propagates (nothing is stamped) for the task to retry.
    """
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient", "lead")
            .filter(id=notification_id, email_sent_at__isnull=True)
            .first()
        )
        if notification is None:
            return False
        now = timezone.now()
        address = notification.recipient.email
        if not notification.recipient.email_notifications:
            logger.info("Notification %s: %s turned email off; nothing sent.", notification_id, notification.recipient)
            Notification.objects.filter(id=notification_id).update(email_sent_at=now)
            return False
        if not address or not notification.recipient.is_active:
            logger.info(
                "Notification %s: %s has no email address; nothing sent.", notification_id, notification.recipient
            )
            Notification.objects.filter(id=notification_id).update(email_sent_at=now)
            return False
        link = settings.ALIGNMENT_BASE_URL.rstrip("/") + (notification.url or "/notifications/")
        context = {"notification": notification, "recipient": notification.recipient, "link": link}
        message = EmailMultiAlternatives(
            subject=_email_subject(notification),
            body=render_to_string("emails/notification.txt", context),
            to=[address],
        )
        message.attach_alternative(render_to_string("emails/notification.html", context), "text/html")
        message.send()
        Notification.objects.filter(id=notification_id).update(email_sent_at=now)
    return True


@transaction.atomic
def notification_mark_read(*, notification: Notification, by) -> Notification:
    if notification.recipient_id != by.id:
        raise NotFound("No such notification.")
    if not notification.read:
        notification.read = True
        notification.save(update_fields=["read"])
    return notification


@transaction.atomic
def notification_mark_all_read(*, by) -> int:
    return Notification.objects.filter(recipient=by, read=False).update(read=True)


# --- idempotency keys -------------------------------------------------------------------------
# A client retries within minutes; a day covers a retry after an outage, and keeps the table small.
KEEP_IDEMPOTENCY_RECORDS_FOR = timedelta(days=1)


def idempotency_records_prune(*, now=None) -> int:
    """Forget the `Idempotency-Key`s (`alignment.idempotency`) older than a day; returns how many
    were deleted."""
    cutoff = (now or timezone.now()) - KEEP_IDEMPOTENCY_RECORDS_FOR
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
