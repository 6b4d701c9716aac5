"""What both demo commands do with people: refuse to make known passwords on what looks like
production, and find or make a demo user by username."""

from django.conf import settings
from django.core.management.base import CommandError

from alignment.models import Role, User


def demo_refuse_without_debug(command: str, *, force: bool) -> None:
    """The demo commands create users with a known password: with DEBUG off only when forced."""
    if not settings.DEBUG and not force:
        raise CommandError(
            f"DEBUG is off: this looks like production. {command} creates users with a known password; "
            "run it with --force if you really mean it."
        )


def demo_user(username: str, *, role: str, first_name: str, last_name: str, **fields) -> tuple[User, bool]:
    """The demo user `username`, and whether it is new: a new one is made (not saved) with its
    demo email, managers as staff, and `fields`; an existing one is left as somebody may have
    changed it."""
    user = User.objects.filter(username=username).first()
    if user is not None:
        return user, False
    user = User(
        username=username,
        role=role,
        first_name=first_name,
        last_name=last_name,
        email=f"{username}@alignment.example",
        is_staff=role == Role.MANAGER,
        **fields,
    )
    return user, True
