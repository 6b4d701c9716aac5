from decimal import Decimal
from io import StringIO
from urllib.parse import urlparse

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from alignment.models import Notification, NotificationKind
from alignment.templatetags.alignment_tags import currency

pytestmark = pytest.mark.django_db


def test_login_page_logs_a_user_in_and_lands_on_home(client, rep):
    response = client.post(reverse("login"), {"username": rep.username, "password": "pw"}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("dashboard:home")
    assert "Inbox" in response.content.decode()


def test_login_with_a_wrong_password_says_so(client, rep):
    response = client.post(reverse("login"), {"username": rep.username, "password": "nope"})

    assert response.status_code == 200
    assert "enter a correct username and password" in response.content.decode()


@pytest.mark.parametrize(
    ("who", "shown", "hidden"),
    [
        ("rep", ["Inbox", "Feedback", "Dashboard"], ["Import", "Insights", "New lead"]),
        ("marketer", ["New lead", "Import", "Campaigns", "Insights", "Dashboard"], ["Inbox"]),
        ("manager", ["New lead", "Import", "Insights", "Dashboard", "Queue"], ["Inbox"]),
    ],
)
def test_navigation_follows_the_role(client, request, who, shown, hidden):
    user = request.getfixturevalue(who)
    client.force_login(user)

    nav = client.get(reverse("leads:list")).content.decode().split("</nav>")[0]

    for label in shown:
        assert f">{label}</a>" in nav, label
    for label in hidden:
        assert f">{label}</a>" not in nav, label
    assert user.display_name in nav


def test_the_bell_counts_unread_notifications(client, rep):
    Notification.objects.create(recipient=rep, kind=NotificationKind.REMINDER, message="Cold lead")
    Notification.objects.create(recipient=rep, kind=NotificationKind.REMINDER, message="Old", read=True)
    client.force_login(rep)

    page = client.get(reverse("leads:list")).content.decode()

    assert 'data-testid="unread-count">1<' in page
    assert 'href="/notifications/"' in page


def test_log_out_is_a_post(client, rep):
    client.force_login(rep)

    client.post(reverse("logout"))

    assert client.get(reverse("dashboard:home")).status_code == 302


def test_manager_nav_links_every_setting_and_staff_get_the_admin(client, manager):
    manager.is_staff = True
    manager.save(update_fields=["is_staff"])
    client.force_login(manager)

    page = client.get(reverse("dashboard:home")).content.decode()

    for url in [
        reverse("alignment:sla-settings"),
        reverse("feedback:reasons"),
        reverse("dashboard:goal"),
        reverse("leads:routing-rules"),
        reverse("feedback:pain-themes"),
        reverse("admin:index"),
    ]:
        assert f'href="{url}"' in page, url


def test_nav_offers_no_settings_to_a_rep(client, rep):
    client.force_login(rep)

    page = client.get(reverse("dashboard:home")).content.decode()

    assert 'data-testid="settings-menu"' not in page
    assert reverse("alignment:sla-settings") not in page
    assert reverse("admin:index") not in page


@pytest.mark.parametrize(
    ("code", "value", "shown"),
    [
        ("EUR", Decimal("12500"), "€12,500"),
        ("EUR", Decimal("1004000.5"), "€1,004,000.50"),
        ("EUR", Decimal("0.005"), "€0.01"),
        ("USD", 12, "$12"),
        ("SEK", Decimal("12500"), "12,500\u00a0SEK"),
        ("EUR", None, ""),
        ("EUR", "n/a", "n/a"),
    ],
)
def test_currency_filter_writes_the_amount_in_the_currency(settings, code, value, shown):
    settings.ALIGNMENT_CURRENCY = code
    assert currency(value) == shown


def test_currency_filter_follows_the_locale(settings):
    settings.ALIGNMENT_CURRENCY = "EUR"
    with translation.override("de"):
        assert currency(Decimal("12500.5")) == "€12.500,50"


def test_new_member_set_password_link_opens_the_alignment_page_and_sets_it(client):
    # given a member added without a password
    out = StringIO()
    call_command("add_member", "nora", "--role", "rep", stdout=out)
    link = urlparse(out.getvalue().strip().splitlines()[-1]).path

    # when they open the link (Django swaps the token for a session and redirects)
    response = client.get(link, follow=True)

    # then they see Alignment's page, not the admin's
    assert [t.name for t in response.templates][:2] == ["registration/password_reset_confirm.html", "base.html"]
    page = response.content.decode()
    assert "Set your password" in page
    assert "Django administration" not in page

    response = client.post(
        response.redirect_chain[-1][0],
        {"new_password1": "a-long-Passphrase-42", "new_password2": "a-long-Passphrase-42"},
        follow=True,
    )

    assert [t.name for t in response.templates][:2] == ["registration/password_reset_complete.html", "base.html"]
    assert "Your password is set" in response.content.decode()
    assert client.login(username="nora", password="a-long-Passphrase-42")


def test_set_password_link_that_was_used_says_it_no_longer_works(client):
    out = StringIO()
    call_command("add_member", "nora", "--role", "rep", stdout=out)
    link = urlparse(out.getvalue().strip().splitlines()[-1]).path
    confirm_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(confirm_url, {"new_password1": "a-long-Passphrase-42", "new_password2": "a-long-Passphrase-42"})

    response = client.get(link, follow=True)

    assert "This link no longer works" in response.content.decode()
