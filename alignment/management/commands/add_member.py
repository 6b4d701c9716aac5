"""`manage.py add_member USERNAME --role marketer|rep|manager [--territory DE/Bavaria ...] [--vertical ...]`

Never prompts, so it runs in scripts: with `--password` the member can log in at once; without
one, an existing member keeps theirs and a new member gets a link to set a password.
"""

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from alignment.errors import DomainError
from alignment.models import Role, User
from alignment.services import member_add


def password_set_link(user: User) -> str:
    """A one-time link to Django's password-reset-confirm page (valid PASSWORD_RESET_TIMEOUT)."""
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return settings.ALIGNMENT_BASE_URL.rstrip("/") + path


class Command(BaseCommand):
    help = "Add a member (or update one) with a role, and for reps their territories and verticals."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument(
            "--territory",
            dest="territories",
            action="extend",
            nargs="+",
            default=[],
            metavar="CC[/REGION]",
            help="A country code, optionally with a region: DE or DE/Bavaria. Repeat or list several.",
        )
        parser.add_argument(
            "--vertical",
            dest="verticals",
            action="extend",
            nargs="+",
            default=[],
            metavar="NAME",
            help="An industry, e.g. Software. Repeat or list several.",
        )
        parser.add_argument("--password", help="Set this password (checked against the password rules).")
        parser.add_argument("--email", default="")

    def handle(self, *args, username, role, territories, verticals, password, email, **options):
        if password is not None:
            try:
                validate_password(password, user=User(username=username, email=email))
            except ValidationError as error:
                raise CommandError("The password is too weak: " + " ".join(error.messages)) from None
        try:
            user = member_add(
                username=username,
                role=role,
                password=password,
                email=email,
                territories=territories,
                verticals=verticals,
            )
        except DomainError as error:
            raise CommandError(error.message) from None
        details = [user.get_role_display()]
        if territories:
            details.append("territories " + ", ".join(str(t) for t in user.territories.all()))
        if verticals:
            details.append("verticals " + ", ".join(v.name for v in user.verticals.all()))
        self.stdout.write(self.style.SUCCESS(f"{user.username}: " + "; ".join(details) + "."))
        if password:
            self.stdout.write("The password is set.")
        elif not user.has_usable_password():
            self.stdout.write(f"No password yet. Send {user.username} this link to set one:\n{password_set_link(user)}")
        else:
            self.stdout.write("The password is unchanged.")
