"""The weekly alignment digest: the agenda of the joint sales-and-marketing meeting, and its sending.

The agenda is about one week (Monday to Sunday in the company's time zone). The beat schedule sends
last week's on Monday morning to every active member, once: a `DigestDelivery` row per week and
member (unique) is claimed before its email goes out, so a second beat process, a retried task or a
second run finds nothing left to send.
"""

import logging
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from alignment.days import company_today, company_tz
from alignment.errors import InvalidInput
from alignment.models import Notification, NotificationKind, Role, User
from dashboard.figures import digest_figures, goal_pace, revenue_goal_for_scope
from dashboard.models import DigestDelivery, GoalPeriod
from dashboard.periods import LAST_DAY, DashboardFilters, dashboard_filters_parse, date_parse
from feedback.selectors import feedback_backlog
from leads.models import ColdEpisode, Lead
from planning import meetings

logger = logging.getLogger(__name__)

AGENDA_LIMIT = 10
# A claim older than this whose email never went out (a worker died mid-send) may be taken again.
STALE_CLAIM = timedelta(hours=1)


def digest_week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def digest_week_parse(value, *, today: date | None = None) -> date:
    """The Monday of the week containing `value` (YYYY-MM-DD); no value means last week."""
    today = today or company_today()
    if not value:
        return digest_week_start(today) - timedelta(days=7)
    try:
        day = date_parse(value)
    except ValueError as error:
        raise InvalidInput(f"Choose the week by a day in it. {error}", fields={"week": [str(error)]}) from error
    return digest_week_start(day)


def digest_agenda(*, week: date, now: datetime | None = None) -> dict:
    """What the joint meeting goes through for the week starting on Monday `week`.

    Its figures are the dashboard's (`digest_figures`, each computed as `dashboard_figures` computes
    it), so the meeting and the dashboard never disagree: the week's, for the wins from marketing
    leads and the rejections, and the quarter's up to the week's end, for revenue against the goal,
    the pipeline and the leads cold now.
    """
    now = now or timezone.now()
    tz = company_tz()
    start = datetime.combine(week, time.min, tzinfo=tz)
    end = start + timedelta(days=7)
    week_end = week + timedelta(days=6)
    # The quarter the week ends in, up to the week's end, so the digest of a past week reads as it
    # did that Monday. (The last week a digest may show ends after LAST_DAY: its quarter is then LAST_DAY's.)
    last_day = min(week_end, LAST_DAY)
    quarter = dashboard_filters_parse({"period": "quarter", "start": last_day.isoformat()})
    # The week's figures and the quarter's, each only as far as the digest shows them.
    figures = digest_figures(
        week=DashboardFilters(kind="custom", start=week, end=week_end),
        to_date=DashboardFilters(kind="custom", start=quarter.start, end=last_day),
        now=now,
    )
    # Marketing's wins: the won revenue the dashboard credits to the marketers who captured the leads.
    # The biggest are chosen first, as a subquery, and only they are joined to their campaign and
    # people: sorting the week's wins with every joined column cost more than the rest of the query.
    wins_order = ("-won_amount", "won_at", "id")
    biggest_wins = Lead.objects.filter(
        won_at__gte=start, won_at__lt=end, captured_by__role=Role.MARKETER, merged_into__isnull=True
    ).order_by(*wins_order)[:AGENDA_LIMIT]
    marketing_wins = Lead.objects.filter(pk__in=biggest_wins.values("pk")).select_related(
        "campaign", "captured_by", "owner"
    )

    # Revenue against the goal: the quarter's (the company's), won up to the week's end.
    goal = revenue_goal_for_scope(kind=GoalPeriod.QUARTER, start=quarter.start, end=quarter.end)
    won = figures["won_revenue"]
    # The pace as on the Monday after the week: the dashboard's own definition, the week's days gone.
    pace = (
        goal_pace(amount=goal.amount, won=won, start=quarter.start, end=quarter.end, today=last_day + timedelta(days=1))
        if goal
        else {}
    )
    revenue = {
        "label": quarter.label,
        "goal": goal.amount if goal else None,
        "won_revenue": won,
        "attainment": pace.get("attainment"),
        "remaining": pace.get("remaining"),
        "needed_per_week": pace.get("needed_per_week"),
        "pipeline_value": figures["pipeline_value"],
        "pipeline_count": figures["pipeline_count"],
    }

    went_cold = ColdEpisode.objects.filter(opened_at__gte=start, opened_at__lt=end)
    # The open backlog as the dashboard counts it (`feedback_backlog`), whenever an item was opened.
    waiting = feedback_backlog()
    return {
        "week": week,
        "week_end": week_end,
        "wins": list(marketing_wins.order_by(*wins_order)),
        "wins_count": figures["marketing_wins"]["won"],
        "wins_revenue": figures["marketing_wins"]["revenue"],
        "quarter": revenue,
        "rejection_reasons": [
            {"label": row["label"], "count": row["count"]} for row in figures["rejection_reasons"][:5]
        ],
        "went_cold": list(
            went_cold.select_related("lead", "lead__owner", "lead__captured_by").order_by("opened_at", "id")[
                :AGENDA_LIMIT
            ]
        ),
        "went_cold_count": went_cold.count(),
        # Cold now, counted as the dashboard counts it: open cold episodes of leads not snoozed.
        "cold_now_count": figures["cold"]["now"],
        "feedback_waiting": list(
            waiting.select_related("lead", "assignee").order_by("created_at", "id")[:AGENDA_LIMIT]
        ),
        "feedback_waiting_count": figures["feedback_backlog"]["open"],
        "now": now,
    }


def digest_meeting(week: date) -> dict:
    """The digest's last part (its page and email, not the meeting's own page): the meeting that
    goes through it (the next week's) and the open action items."""
    meeting = meetings.meeting_get_or_create(week=week + timedelta(days=7))
    open_items = meetings.action_items_open_before(week=meeting.week + timedelta(days=7))
    return {
        "meeting": meeting,
        "meeting_path": reverse("dashboard:meeting", args=[meeting.pk]),
        "open_action_items": list(open_items[:AGENDA_LIMIT]),
        "open_action_items_count": open_items.count(),
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
    week = week or digest_week_parse(None, today=company_today(now))
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
    agenda = {**digest_agenda(week=week, now=now), **digest_meeting(week)}
    url = settings.ALIGNMENT_BASE_URL.rstrip("/") + reverse("dashboard:digest") + f"?week={week.isoformat()}"
    subject = f"Alignment digest: the week of {date_format(week)}"
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
                body=render_to_string("dashboard/digest_email.txt", context),
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[member.email],
            )
            message.attach_alternative(render_to_string("dashboard/digest_email.html", context), "text/html")
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
            message=f"The alignment digest for the week of {date_format(week)} is ready.",
            url=reverse("dashboard:digest") + f"?week={week.isoformat()}",
            email_sent_at=sent_at,
        )
        sent += 1
    return sent
