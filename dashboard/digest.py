"""The weekly alignment digest: the agenda of the joint sales-and-marketing meeting, and its sending.

The agenda is about one week (Monday to Sunday in the company's time zone). The beat schedule sends
last week's on Monday morning to every active member, once: a `DigestDelivery` row per week and
member (unique) is claimed before its email goes out, so a second beat process, a retried task or a
second run finds nothing left to send.
"""

import logging
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Count, Q, Sum
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from alignment.errors import InvalidInput
from alignment.models import Notification, NotificationKind, Role, User
from dashboard.figures import revenue_goal_for_period
from dashboard.models import DigestDelivery, GoalPeriod
from dashboard.periods import LAST_DAY, company_tz, dashboard_filters_parse, date_parse
from feedback.models import FeedbackItem, FeedbackStatus
from leads.models import OPEN_STATUSES, ColdEpisode, Handoff, HandoffOutcome, Lead

logger = logging.getLogger(__name__)

AGENDA_LIMIT = 10
# A claim older than this whose email never went out (a worker died mid-send) may be taken again.
STALE_CLAIM = timedelta(hours=1)


def digest_week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def digest_week_parse(value, *, today: date | None = None) -> date:
    """The Monday of the week containing `value` (YYYY-MM-DD); no value means last week."""
    today = today or timezone.localdate(timezone=company_tz())
    if not value:
        return digest_week_start(today) - timedelta(days=7)
    try:
        day = date_parse(value)
    except ValueError as error:
        raise InvalidInput(f"Choose the week by a day in it. {error}", fields={"week": [str(error)]}) from error
    return digest_week_start(day)


def digest_agenda(*, week: date, now: datetime | None = None) -> dict:
    """What the joint meeting goes through for the week starting on Monday `week`."""
    now = now or timezone.now()
    tz = company_tz()
    start = datetime.combine(week, time.min, tzinfo=tz)
    end = start + timedelta(days=7)

    marketing_wins = Lead.objects.filter(
        won_at__gte=start, won_at__lt=end, captured_by__role=Role.MARKETER
    ).select_related("campaign", "captured_by", "owner")
    wins_total = marketing_wins.aggregate(count=Count("id"), revenue=Sum("won_amount"))

    # Revenue against the goal: the quarter the week ends in, won up to the week's end, so the digest
    # of a past week reads as it did that Monday.
    # (The last week a digest may show ends after LAST_DAY: its quarter is then LAST_DAY's.)
    last_day = min(week + timedelta(days=6), LAST_DAY)
    quarter = dashboard_filters_parse({"period": "quarter", "start": last_day.isoformat()})
    goal = revenue_goal_for_period(start=quarter.start, end=quarter.end, kind=GoalPeriod.QUARTER)
    won = Lead.objects.filter(won_at__gte=quarter.start_at, won_at__lt=min(end, quarter.end_at)).aggregate(
        revenue=Sum("won_amount")
    )["revenue"] or Decimal("0.00")
    pipeline = Lead.objects.filter(status__in=OPEN_STATUSES).aggregate(value=Sum("estimated_value"), count=Count("id"))
    remaining = max(goal.amount - won, Decimal("0.00")) if goal else None
    days_left = (quarter.end - last_day).days
    revenue = {
        "label": quarter.label,
        "goal": goal.amount if goal else None,
        "won_revenue": won,
        "attainment": round(float(won) / float(goal.amount), 4) if goal and goal.amount else None,
        "remaining": remaining,
        "needed_per_week": (remaining * 7 / days_left).quantize(Decimal("0.01")) if goal and days_left > 0 else None,
        "pipeline_value": pipeline["value"] or Decimal("0.00"),
        "pipeline_count": pipeline["count"],
    }

    reasons = list(
        Handoff.objects.filter(outcome=HandoffOutcome.REJECTED, ended_at__gte=start, ended_at__lt=end)
        .values("reject_reason__label")
        .annotate(count=Count("id"))
        .order_by("-count", "reject_reason__label")[:5]
    )
    went_cold = ColdEpisode.objects.filter(opened_at__gte=start, opened_at__lt=end)
    cold_total = went_cold.aggregate(count=Count("id"), still_cold=Count("id", filter=Q(closed_at__isnull=True)))
    waiting = FeedbackItem.objects.filter(status=FeedbackStatus.OPEN, created_at__lt=end)
    return {
        "week": week,
        "week_end": week + timedelta(days=6),
        "wins": list(marketing_wins.order_by("-won_amount", "won_at", "id")[:AGENDA_LIMIT]),
        "wins_count": wins_total["count"],
        "wins_revenue": wins_total["revenue"] or 0,
        "quarter": revenue,
        "rejection_reasons": [
            {"label": row["reject_reason__label"] or "No reason given", "count": row["count"]} for row in reasons
        ],
        "went_cold": list(
            went_cold.select_related("lead", "lead__owner", "lead__captured_by").order_by("opened_at", "id")[
                :AGENDA_LIMIT
            ]
        ),
        "went_cold_count": cold_total["count"],
        "still_cold_count": cold_total["still_cold"],
        "feedback_waiting": list(
            waiting.select_related("lead", "assignee").order_by("created_at", "id")[:AGENDA_LIMIT]
        ),
        "feedback_waiting_count": waiting.count(),
        "now": now,
    }


def digest_members():
    """Everybody who works in Alignment: both departments and their managers."""
    return User.objects.filter(is_active=True, role__in=Role.values).exclude(email="").order_by("id")


def digest_send_weekly(*, week: date | None = None, now: datetime | None = None) -> int:
    """Email the agenda of `week` (by default last week) to every active member who has not had it.

    Returns how many emails this call sent. Safe to run any number of times, concurrently: each
    member's row is claimed with a conditional UPDATE, so exactly one caller sends each email; an
    email that fails to send releases its claim for the next run.
    """
    now = now or timezone.now()
    week = week or digest_week_parse(None, today=timezone.localdate(now, timezone=company_tz()))
    DigestDelivery.objects.bulk_create(
        [DigestDelivery(week=week, member=member) for member in digest_members()], ignore_conflicts=True
    )
    pending = list(
        DigestDelivery.objects.filter(week=week, sent_at__isnull=True, member__is_active=True)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - STALE_CLAIM))
        .select_related("member")
        .order_by("member_id")
    )
    if not pending:
        return 0
    agenda = digest_agenda(week=week, now=now)
    url = settings.ALIGNMENT_BASE_URL.rstrip("/") + reverse("dashboard-digest") + f"?week={week.isoformat()}"
    subject = f"Alignment digest: the week of {week:%d %B %Y}"
    sent = 0
    for delivery in pending:
        claimed = (
            DigestDelivery.objects.filter(pk=delivery.pk, sent_at__isnull=True)
            .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - STALE_CLAIM))
            .update(claimed_at=timezone.now())
        )
        if not claimed:
            continue  # another process has it
        member = delivery.member
        context = {**agenda, "member": member, "url": url, "base_url": settings.ALIGNMENT_BASE_URL.rstrip("/")}
        try:
            message = EmailMultiAlternatives(
                subject=subject,
                body=render_to_string("emails/digest.txt", context),
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[member.email],
            )
            message.attach_alternative(render_to_string("emails/digest.html", context), "text/html")
            message.send()
        except Exception:
            logger.exception("The weekly digest could not be sent to %s", member.email)
            DigestDelivery.objects.filter(pk=delivery.pk).update(claimed_at=None)
            continue
        sent_at = timezone.now()
        DigestDelivery.objects.filter(pk=delivery.pk).update(sent_at=sent_at)
        Notification.objects.create(
            recipient=member,
            kind=NotificationKind.DIGEST,
            message=f"The alignment digest for the week of {week:%d %B} is ready.",
            url=reverse("dashboard-digest") + f"?week={week.isoformat()}",
            email_sent_at=sent_at,
        )
        sent += 1
    return sent
