"""Reads shared by both departments, scoped to the asking user."""

from django.db.models import F, QuerySet, Value
from django.db.models.functions import Coalesce, Concat, NullIf, Trim

from alignment.errors import NotAllowed, NotFound
from alignment.models import AuditArea, AuditEntry, Notification, Role, Team, User


def notification_list_for_user(*, user: User, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's own notifications, newest first. Nobody reads anyone else's."""
    qs = Notification.objects.filter(recipient=user).select_related("lead", "lead__owner", "actor")
    if unread_only:
        qs = qs.filter(read=False)
    return qs.order_by("-id")


def notification_unread_count(*, user: User) -> int:
    """How many of the user's notifications are unread: the bell on every page."""
    return Notification.objects.filter(recipient=user, read=False).count()


def notification_has_unread(*, user: User) -> bool:
    return Notification.objects.filter(recipient=user, read=False).exists()


def notification_get_for_user(*, user: User, pk) -> Notification:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound("No such notification.") from None
    notification = Notification.objects.filter(recipient=user, pk=pk).first()
    if notification is None:
        raise NotFound("No such notification.")
    return notification


def team_list() -> QuerySet[Team]:
    return Team.objects.order_by("name")


def audit_list(*, user: User, area: str = ""):
    """The entries a manager may read, newest first."""
    if user.role != Role.MANAGER:
        raise NotAllowed("Only managers read the audit log.")
    qs = AuditEntry.objects.select_related("actor").order_by("-id")
    if area in AuditArea.values:
        qs = qs.filter(area=area)
    return qs


def user_display_name_expression(prefix: str = ""):
    """`User.display_name` in SQL (the full name, or the username when there is none), for
    figures that name people by the thousand. `prefix` reaches the user from another model."""
    full_name = Trim(Concat(F(f"{prefix}first_name"), Value(" "), F(f"{prefix}last_name")))
    return Coalesce(NullIf(full_name, Value("")), F(f"{prefix}username"))
