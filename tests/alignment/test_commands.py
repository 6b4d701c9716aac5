"""The management commands: add_member never prompts."""

from io import StringIO
from urllib.parse import urlparse

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from alignment.models import Role, User


def _run(*args, **options):
    out = StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


# --- add_member -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_add_member_creates_a_rep_with_territories_and_verticals():
    output = _run(
        "add_member",
        "rita",
        "--role",
        "rep",
        "--territory",
        "DE/Bavaria",
        "AT",
        "--vertical",
        "Software",
        "--vertical",
        "Retail",
        "--password",
        "a-long-enough-password",
        "--email",
        "rita@example.com",
    )

    rita = User.objects.get(username="rita")
    assert rita.role == Role.REP
    assert rita.email == "rita@example.com"
    assert rita.check_password("a-long-enough-password")
    assert sorted(str(t) for t in rita.territories.all()) == ["AT", "DE/Bavaria"]
    assert sorted(v.name for v in rita.verticals.all()) == ["Retail", "Software"]
    assert "rita: Sales rep" in output
    assert "The password is set." in output


@pytest.mark.django_db
def test_add_member_without_a_password_prints_a_link_that_lets_the_member_set_one(client):
    output = _run("add_member", "mark", "--role", "marketer")

    mark = User.objects.get(username="mark")
    assert not mark.has_usable_password()
    link = next(line for line in output.splitlines() if "/accounts/reset/" in line)
    # when the member follows the link and chooses a password
    page = client.get(urlparse(link).path, follow=True)
    assert page.status_code == 200
    form_url = page.redirect_chain[-1][0]
    response = client.post(
        form_url, {"new_password1": "a-fresh-long-password", "new_password2": "a-fresh-long-password"}
    )
    # then they can log in with it
    assert response.status_code == 302
    mark.refresh_from_db()
    assert mark.check_password("a-fresh-long-password")


@pytest.mark.django_db
def test_add_member_on_an_existing_member_changes_the_role_and_keeps_the_password():
    _run("add_member", "sam", "--role", "rep", "--password", "a-long-enough-password")

    output = _run("add_member", "sam", "--role", "manager")

    sam = User.objects.get(username="sam")
    assert sam.role == Role.MANAGER
    assert sam.check_password("a-long-enough-password")
    assert "The password is unchanged." in output


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "boss"], "invalid choice"),
        (["--role", "rep", "--territory", "Germany"], "two-letter country code"),
        (["--role", "rep", "--password", "abc"], "too weak"),
    ],
)
def test_add_member_with_bad_input_fails_clearly_and_creates_nothing(args, message):
    with pytest.raises(CommandError, match=message):
        _run("add_member", "nobody", *args)

    assert not User.objects.filter(username="nobody").exists()
