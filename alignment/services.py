"""Writes shared by both departments: people and notifications."""

from django.contrib.auth import get_user_model
from django.db import transaction

from alignment.errors import InvalidInput
from alignment.models import Notification, Role, Territory, Vertical

User = get_user_model()


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
    return user


def notification_create(*, recipient, kind, message, lead=None, url="") -> Notification:
    return Notification.objects.create(recipient=recipient, kind=kind, message=message, lead=lead, url=url)
