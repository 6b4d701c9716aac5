from datetime import timedelta
from decimal import Decimal
from io import StringIO
from urllib.parse import urlparse

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from alignment.models import Notification, NotificationKind
from alignment.templatetags.alignment_tags import money
from feedback.services import lead_reject_with_feedback
from leads.models import Handoff, LeadStatus
from leads.services import lead_accept, lead_hand_off
from tests.alignment.factories import RepFactory
from tests.leads.factories import LeadFactory, RoutingRuleFactory

pytestmark = pytest.mark.django_db


def hand_off(lead, *, rep, by, note="Met at the fair; wants a demo."):
    lead_hand_off(lead=lead, rep=rep, note=note, by=by)
    lead.refresh_from_db()
    return lead


def test_home_sends_anonymous_visitors_to_log_in(client):
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_page_logs_a_user_in_and_lands_on_home(client, rep):
    response = client.post(reverse("login"), {"username": rep.username, "password": "pw"}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("home")
    assert "Inbox" in response.content.decode()


def test_login_with_a_wrong_password_says_so(client, rep):
    response = client.post(reverse("login"), {"username": rep.username, "password": "nope"})

    assert response.status_code == 200
    assert "enter a correct username and password" in response.content.decode()


def test_rep_home_is_the_inbox_with_time_left_and_overdue_flagged(client, marketer, rep, campaign):
    hand_off(LeadFactory(campaign=campaign, name="Fresh Fiona"), rep=rep, by=marketer)
    late = hand_off(LeadFactory(campaign=campaign, name="Late Larry"), rep=rep, by=marketer)
    Handoff.objects.filter(lead=late).update(sla_due_at=timezone.now() - timedelta(hours=3))
    working = hand_off(LeadFactory(campaign=campaign, name="Working Wanda"), rep=rep, by=marketer)
    lead_accept(lead=working, by=rep)
    client.force_login(rep)

    response = client.get(reverse("home"))

    page = response.content.decode()
    awaiting = response.context["awaiting"]
    assert [item["lead"].name for item in awaiting] == ["Late Larry", "Fresh Fiona"]  # soonest deadline first
    assert [item["overdue"] for item in awaiting] == [True, False]
    assert "Overdue by 3" in page
    assert "left to answer" in page
    assert [lead.name for lead in response.context["working"]] == ["Working Wanda"]


def test_rep_inbox_empty_state_says_what_happens_next(client, rep):
    client.force_login(rep)

    response = client.get(reverse("home"))

    assert "Nothing is waiting for you" in response.content.decode()


@pytest.mark.parametrize("count", [5, 50])
def test_rep_inbox_query_count_does_not_grow_with_the_leads(
    client, django_assert_num_queries, marketer, rep, campaign, count
):
    for lead in LeadFactory.create_batch(count, campaign=campaign):
        hand_off(lead, rep=rep, by=marketer)
    for lead in LeadFactory.create_batch(count, campaign=campaign):
        hand_off(lead, rep=rep, by=marketer)
        lead_accept(lead=lead, by=rep)
    client.force_login(rep)

    # 1. the session
    # 2. the user
    # 3. the active reason codes for every reject form
    # 4. open handoffs to the rep with lead, campaign and handing-off marketer joined
    # 5. the rep's accepted, working and qualified leads with their campaign
    # 6. unread notifications for the bell
    # 7. feedback requests waiting on the rep (the feedback panel)
    with django_assert_num_queries(7):
        response = client.get(reverse("home"))

    assert len(response.context["awaiting"]) == count
    assert len(response.context["working"]) == count


def test_marketer_home_lists_their_leads_and_what_sales_sent_back(client, marketer, rep, campaign):
    from feedback.models import ReasonCode

    LeadFactory(campaign=campaign, name="Recent Rita", captured_by=marketer)
    returned = hand_off(LeadFactory(campaign=campaign, name="Returned Rob", captured_by=marketer), rep=rep, by=marketer)
    lead_reject_with_feedback(lead=returned, by=rep, reason=ReasonCode.objects.first())
    client.force_login(marketer)

    response = client.get(reverse("home"))

    assert [lead.name for lead in response.context["returned"]] == ["Returned Rob"]
    assert {lead.name for lead in response.context["recent"]} == {"Recent Rita", "Returned Rob"}


def test_manager_home_is_the_queue_and_a_rep_can_be_chosen_there(client, marketer, manager, rep, campaign):
    out_of_office = RepFactory(available=False)
    RoutingRuleFactory(name="Everyone", reps=[out_of_office])
    lead = LeadFactory(campaign=campaign, name="Queued Quinn")
    lead_hand_off(lead=lead, rep=None, note="Big account", by=marketer)
    client.force_login(manager)

    page = client.get(reverse("home"))
    assert [item["lead"].name for item in page.context["queue"]] == ["Queued Quinn"]
    assert "out of office" in page.content.decode()

    response = client.post(
        reverse("leads:hand-off", args=[lead.pk]), {"rep": rep.pk, "note": "Big account", "next": reverse("home")}
    )

    assert response["Location"] == reverse("home")
    lead.refresh_from_db()
    assert lead.owner == rep and lead.status == LeadStatus.HANDED_OFF
    assert client.get(reverse("home")).context["queue"] == []


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

    assert client.get(reverse("home")).status_code == 302


def test_manager_nav_links_every_setting_and_staff_get_the_admin(client, manager):
    manager.is_staff = True
    manager.save(update_fields=["is_staff"])
    client.force_login(manager)

    page = client.get(reverse("home")).content.decode()

    for url in [
        reverse("sla-settings"),
        reverse("feedback:reasons"),
        reverse("dashboard-goal"),
        reverse("admin:leads_routingrule_changelist"),
        reverse("admin:index"),
    ]:
        assert f'href="{url}"' in page, url


def test_nav_offers_no_settings_to_a_rep(client, rep):
    client.force_login(rep)

    page = client.get(reverse("home")).content.decode()

    assert 'data-testid="settings-menu"' not in page
    assert reverse("sla-settings") not in page
    assert reverse("admin:index") not in page


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("416000"), "416,000.00"),
        (Decimal("1004000.5"), "1,004,000.50"),
        (Decimal("0.005"), "0.01"),
        (12, "12.00"),
        (None, ""),
        ("", ""),
        ("n/a", "n/a"),
    ],
)
def test_money_filter_groups_thousands_with_two_decimals(value, shown):
    assert money(value) == shown


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
