import re
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from feedback.models import ReasonCode
from feedback.services import lead_reject_with_feedback, lead_win_with_feedback
from leads.models import Handoff, HandoffOutcome, Lead, LeadStatus, Touch
from leads.services import lead_accept, lead_hand_off, lead_qualify, lead_snooze
from tests.leads.factories import LeadFactory, RoutingRuleFactory

pytestmark = pytest.mark.django_db


def handed_off(lead, *, rep, by, note="Asked for a demo at the fair."):
    lead_hand_off(lead=lead, rep=rep, note=note, by=by)
    lead.refresh_from_db()
    return lead


def accepted(lead, *, rep, by):
    handed_off(lead, rep=rep, by=by)
    lead_accept(lead=lead, by=rep)
    lead.refresh_from_db()
    return lead


def reason():
    return ReasonCode.objects.filter(active=True).first()


# --- the list ---------------------------------------------------------------------------------


def test_lead_list_sends_anonymous_visitors_to_log_in(client):
    response = client.get(reverse("leads:list"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_lead_list_shows_a_marketer_every_lead(client, marketer, campaign):
    LeadFactory(campaign=campaign, name="Ada Lovelace")
    LeadFactory(campaign=campaign, name="Grace Hopper")
    client.force_login(marketer)

    response = client.get(reverse("leads:list"))

    assert response.status_code == 200
    assert b"Ada Lovelace" in response.content
    assert b"Grace Hopper" in response.content


def test_lead_list_shows_a_rep_only_leads_handed_to_them(client, marketer, rep, campaign):
    handed_off(LeadFactory(campaign=campaign, name="Mine Only"), rep=rep, by=marketer)
    LeadFactory(campaign=campaign, name="Not Handed")
    client.force_login(rep)

    response = client.get(reverse("leads:list"))

    assert b"Mine Only" in response.content
    assert b"Not Handed" not in response.content


def test_lead_list_filters_by_status_and_search_from_the_url(client, marketer, rep, campaign):
    handed_off(LeadFactory(campaign=campaign, name="Handed Ada"), rep=rep, by=marketer)
    LeadFactory(campaign=campaign, name="Fresh Grace", company="Navy")
    client.force_login(marketer)

    by_status = client.get(reverse("leads:list"), {"status": "handed_off"})
    by_search = client.get(reverse("leads:list"), {"q": "navy"})

    assert b"Handed Ada" in by_status.content and b"Fresh Grace" not in by_status.content
    assert b"Fresh Grace" in by_search.content and b"Handed Ada" not in by_search.content


def test_lead_list_ignores_a_nonsense_filter_instead_of_failing(client, marketer, campaign):
    LeadFactory(campaign=campaign, name="Still Listed")
    client.force_login(marketer)

    response = client.get(reverse("leads:list"), {"status": "bogus", "campaign": "x'; drop", "after": "abc"})

    assert response.status_code == 200
    assert b"Still Listed" in response.content


def test_lead_list_pages_by_cursor(client, marketer, campaign):
    leads = LeadFactory.create_batch(53, campaign=campaign)
    client.force_login(marketer)

    first = client.get(reverse("leads:list"))
    second = client.get(reverse("leads:list"), {"after": first.context["leads"][-1].id})

    assert [lead.id for lead in first.context["leads"]] == [lead.id for lead in reversed(leads)][:50]
    assert first.context["next_query"] == f"after={leads[3].id}"
    assert [lead.id for lead in second.context["leads"]] == [leads[2].id, leads[1].id, leads[0].id]
    assert second.context["next_query"] is None


def test_lead_list_answers_htmx_with_the_results_only(client, marketer, campaign):
    LeadFactory(campaign=campaign, name="Partial Ada")
    client.force_login(marketer)

    response = client.get(reverse("leads:list"), headers={"HX-Request": "true"})

    assert b"Partial Ada" in response.content
    assert b"<html" not in response.content
    assert "HX-Request" in response["Vary"]


def test_lead_list_answers_an_htmx_history_restore_with_the_whole_page(client, marketer):
    client.force_login(marketer)

    response = client.get(
        reverse("leads:list"), {"q": "ada"}, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )

    assert b"<html" in response.content


def test_lead_list_empty_state_says_what_to_do(client, marketer):
    client.force_login(marketer)

    response = client.get(reverse("leads:list"))

    assert b"Capture the first one" in response.content


@pytest.mark.parametrize("count", [5, 50])
def test_lead_list_query_count_does_not_grow_with_the_leads(
    client, django_assert_num_queries, marketer, campaign, count
):
    for lead in LeadFactory.create_batch(count, campaign=campaign):
        lead.owner = marketer  # any owner: the row shows its name
        lead.save(update_fields=["owner"])
    client.force_login(marketer)

    # 1. the session
    # 2. the user
    # 3. campaigns for the campaign filter
    # 4. reps for the owner filter
    # 5. the page of leads with owner and campaign joined
    # 6. how many leads match (a count that stops past 10,000)
    # 7. unread notifications for the bell
    with django_assert_num_queries(7):
        response = client.get(reverse("leads:list"))

    assert len(response.context["leads"]) == count


# --- capture ----------------------------------------------------------------------------------


def test_lead_create_is_forbidden_to_reps(client, rep, campaign):
    client.force_login(rep)

    assert client.get(reverse("leads:new")).status_code == 403
    response = client.post(reverse("leads:new"), {"campaign": campaign.pk, "email": "x@example.com"})
    assert response.status_code == 403
    assert not Lead.objects.exists()


def test_lead_create_captures_a_lead_and_shows_it(client, marketer, campaign):
    client.force_login(marketer)

    response = client.post(
        reverse("leads:new"),
        {"campaign": campaign.pk, "email": " Ada@Example.com ", "name": "Ada", "country": "de"},
        follow=True,
    )

    lead = Lead.objects.get()
    assert lead.email == "ada@example.com" and lead.country == "DE"
    assert response.redirect_chain[-1][0] == reverse("leads:detail", args=[lead.pk])
    assert "Lead Ada captured" in response.content.decode()


def test_lead_create_of_a_known_email_records_a_touch_and_goes_to_that_lead(client, marketer, campaign):
    existing = LeadFactory(campaign=campaign, email="ada@example.com")
    client.force_login(marketer)

    response = client.post(reverse("leads:new"), {"campaign": campaign.pk, "email": "ADA@example.com"}, follow=True)

    assert Lead.objects.count() == 1
    assert Touch.objects.filter(lead=existing).count() == 1
    assert response.redirect_chain[-1][0] == reverse("leads:detail", args=[existing.pk])
    assert "already captured: recorded a new touch" in response.content.decode()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": ""}, "email"),
        ({"email": "a@example.com", "country": "Atlantis"}, "country"),
        ({"email": "a@example.com", "estimated_value": "lots"}, "estimated_value"),
        ({"email": "a@example.com", "campaign": "999999"}, "campaign"),
    ],
)
def test_lead_create_with_bad_input_shows_the_error_and_stores_nothing(client, marketer, campaign, data, field):
    client.force_login(marketer)

    response = client.post(reverse("leads:new"), {"campaign": campaign.pk, **data})

    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Lead.objects.exists()


# --- detail -----------------------------------------------------------------------------------


def test_lead_detail_is_a_404_for_a_rep_it_was_never_handed_to(client, marketer, rep, other_rep, campaign):
    lead = handed_off(LeadFactory(campaign=campaign), rep=rep, by=marketer)
    client.force_login(other_rep)

    assert client.get(reverse("leads:detail", args=[lead.pk])).status_code == 404
    assert client.post(reverse("leads:accept", args=[lead.pk])).status_code == 404
    lead.refresh_from_db()
    assert lead.status == LeadStatus.HANDED_OFF


def test_lead_detail_shows_timeline_handoff_story_and_routing_reason(client, marketer, rep, campaign):
    RoutingRuleFactory(name="Germany", country="DE", reps=[rep])
    lead = LeadFactory(campaign=campaign, country="DE")
    lead_hand_off(lead=lead, rep=None, note="Wants pricing for 40 seats.", by=marketer)
    client.force_login(marketer)

    response = client.get(reverse("leads:detail", args=[lead.pk]))

    page = response.content.decode()
    assert "Wants pricing for 40 seats." in page
    assert "Rule “Germany”" in page
    assert "Status change" in page
    assert response.context["timeline"][-1].to_status == LeadStatus.HANDED_OFF


def test_lead_detail_and_rep_inbox_call_a_handoff_overdue_from_its_deadline_on(client, marketer, rep, campaign):
    # given a handoff whose SLA runs out at its deadline
    lead = handed_off(LeadFactory(campaign=campaign), rep=rep, by=marketer)
    due = Handoff.objects.get(lead=lead).sla_due_at

    for moment, overdue in ((due - timedelta(seconds=1), False), (due, True)):
        with time_machine.travel(moment, tick=False):
            # when the marketer reads the lead and the rep their inbox
            client.force_login(marketer)
            page = client.get(reverse("leads:detail", args=[lead.pk])).content.decode()
            client.force_login(rep)
            (waiting,) = client.get(reverse("dashboard:home")).context["awaiting"]

        # then both say the same, the second before it not yet, at the deadline itself overdue
        assert ("SLA overdue" in page) is overdue, moment
        assert waiting["overdue"] is overdue, moment


def test_lead_detail_offers_only_the_actions_the_viewer_may_use(client, marketer, rep, campaign):
    lead = handed_off(LeadFactory(campaign=campaign), rep=rep, by=marketer)

    client.force_login(rep)
    assert client.get(reverse("leads:detail", args=[lead.pk])).context["actions"] == {"accept", "reject"}
    client.force_login(marketer)
    assert client.get(reverse("leads:detail", args=[lead.pk])).context["actions"] == {"edit", "recycle", "merge"}


def test_lead_detail_warns_before_handing_off_a_prospect_another_rep_works(client, marketer, rep, campaign):
    handed_off(LeadFactory(campaign=campaign, email="one@initech.test", company="Initech"), rep=rep, by=marketer)
    lead = LeadFactory(campaign=campaign, email="two@initech.test", company="Initech")
    client.force_login(marketer)

    response = client.get(reverse("leads:detail", args=[lead.pk]))

    assert response.context["overlap_warnings"]
    assert "Someone may already be working this prospect" in response.content.decode()


# --- actions ----------------------------------------------------------------------------------


def test_hand_off_by_hand_starts_the_sla_and_says_so(client, marketer, rep, campaign):
    lead = LeadFactory(campaign=campaign)
    client.force_login(marketer)

    response = client.post(
        reverse("leads:hand-off", args=[lead.pk]), {"rep": rep.pk, "note": "Budget approved."}, follow=True
    )

    lead.refresh_from_db()
    assert lead.status == LeadStatus.HANDED_OFF and lead.owner == rep
    assert f"Handed off to {rep.display_name}" in response.content.decode()


def test_hand_off_without_a_note_shows_the_error_and_changes_nothing(client, marketer, rep, campaign):
    lead = LeadFactory(campaign=campaign)
    client.force_login(marketer)

    response = client.post(reverse("leads:hand-off", args=[lead.pk]), {"rep": rep.pk, "note": "  "})

    assert response.status_code == 400
    assert response.context["forms"]["hand_off"].errors["note"]
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW
    assert not Handoff.objects.exists()


def test_hand_off_is_forbidden_to_reps(client, marketer, rep, campaign):
    lead = handed_off(LeadFactory(campaign=campaign), rep=rep, by=marketer)
    client.force_login(rep)

    response = client.post(reverse("leads:hand-off", args=[lead.pk]), {"note": "Mine now"})

    assert response.status_code == 403
    assert Handoff.objects.count() == 1


def test_action_pages_only_answer_posts(client, marketer, campaign):
    lead = LeadFactory(campaign=campaign)
    client.force_login(marketer)

    assert client.get(reverse("leads:hand-off", args=[lead.pk])).status_code == 405


def test_accept_from_the_inbox_returns_to_the_inbox(client, marketer, rep, campaign):
    lead = handed_off(LeadFactory(campaign=campaign, name="Ada"), rep=rep, by=marketer)
    client.force_login(rep)

    response = client.post(reverse("leads:accept", args=[lead.pk]), {"next": reverse("dashboard:home")})

    # The top of the page, not the form's anchor, so the message is in view.
    assert response.status_code == 302 and response["Location"] == reverse("dashboard:home") + "#top"
    lead.refresh_from_db()
    assert lead.status == LeadStatus.ACCEPTED


def test_accept_never_redirects_off_site(client, marketer, rep, campaign):
    lead = handed_off(LeadFactory(campaign=campaign), rep=rep, by=marketer)
    client.force_login(rep)

    response = client.post(reverse("leads:accept", args=[lead.pk]), {"next": "https://evil.test/"})

    assert response["Location"] == reverse("leads:detail", args=[lead.pk]) + "#top"


def test_accept_twice_says_why_not_and_changes_nothing(client, marketer, rep, campaign):
    lead = accepted(LeadFactory(campaign=campaign), rep=rep, by=marketer)
    events_before = lead.events.count()
    client.force_login(rep)

    response = client.post(reverse("leads:accept", args=[lead.pk]), follow=True)

    assert "This lead is not waiting to be accepted." in response.content.decode()
    assert lead.events.count() == events_before


def test_accept_is_forbidden_to_the_marketer(client, marketer, rep, campaign):
    lead = handed_off(LeadFactory(campaign=campaign), rep=rep, by=marketer)
    client.force_login(marketer)

    assert client.post(reverse("leads:accept", args=[lead.pk])).status_code == 403
    lead.refresh_from_db()
    assert lead.status == LeadStatus.HANDED_OFF


def test_reject_needs_a_reason_code(client, marketer, rep, campaign):
    lead = handed_off(LeadFactory(campaign=campaign), rep=rep, by=marketer)
    client.force_login(rep)

    response = client.post(reverse("feedback:lead-reject", args=[lead.pk]), {"reason": "", "note": "meh"})

    assert response.status_code == 400
    assert response.context["forms"]["reject"].errors["reason"]
    lead.refresh_from_db()
    assert lead.status == LeadStatus.HANDED_OFF


def test_reject_with_a_reason_sends_the_lead_back(client, marketer, rep, campaign):
    lead = handed_off(LeadFactory(campaign=campaign), rep=rep, by=marketer)
    client.force_login(rep)

    response = client.post(
        reverse("feedback:lead-reject", args=[lead.pk]), {"reason": reason().code, "note": "Student"}
    )

    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.status == LeadStatus.REJECTED
    assert Handoff.objects.get().outcome == HandoffOutcome.REJECTED


def test_log_activity_moves_an_accepted_lead_to_working(client, marketer, rep, campaign):
    lead = accepted(LeadFactory(campaign=campaign), rep=rep, by=marketer)
    client.force_login(rep)

    client.post(reverse("leads:activity", args=[lead.pk]), {"kind": "call", "note": "Left a voicemail"})

    lead.refresh_from_db()
    assert lead.status == LeadStatus.WORKING
    assert lead.events.filter(kind="call", note="Left a voicemail").exists()


def test_log_activity_with_an_unknown_kind_changes_nothing(client, marketer, rep, campaign):
    lead = accepted(LeadFactory(campaign=campaign), rep=rep, by=marketer)
    client.force_login(rep)

    response = client.post(reverse("leads:activity", args=[lead.pk]), {"kind": "telepathy"})

    assert response.status_code == 400
    lead.refresh_from_db()
    assert lead.status == LeadStatus.ACCEPTED


def test_qualify_then_win_with_an_amount(client, marketer, rep, campaign):
    lead = accepted(LeadFactory(campaign=campaign), rep=rep, by=marketer)
    client.force_login(rep)

    client.post(reverse("leads:qualify", args=[lead.pk]))
    bad = client.post(reverse("feedback:lead-won", args=[lead.pk]), {"amount": "-5"})
    client.post(reverse("feedback:lead-won", args=[lead.pk]), {"amount": "12000.50"})

    assert bad.status_code == 400
    lead.refresh_from_db()
    assert lead.status == LeadStatus.WON
    assert lead.won_amount == Decimal("12000.50")


def test_lose_records_the_reason(client, marketer, rep, campaign):
    lead = accepted(LeadFactory(campaign=campaign), rep=rep, by=marketer)
    code = reason()
    client.force_login(rep)

    client.post(reverse("feedback:lead-lost", args=[lead.pk]), {"reason": code.code})

    lead.refresh_from_db()
    assert lead.status == LeadStatus.LOST and lead.lost_reason == code


def test_recycle_needs_a_future_reengage_date(client, marketer, rep, campaign):
    lead = handed_off(LeadFactory(campaign=campaign), rep=rep, by=marketer)
    client.force_login(marketer)
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()

    bad = client.post(reverse("leads:recycle", args=[lead.pk]), {"reason": "Not now", "reengage_after": yesterday})
    lead.refresh_from_db()
    assert bad.status_code == 400 and lead.status == LeadStatus.HANDED_OFF

    client.post(reverse("leads:recycle", args=[lead.pk]), {"reason": "Not now"})
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NURTURE and lead.recycle_count == 1


def test_snooze_by_the_owner_pauses_the_lead(client, marketer, rep, campaign):
    lead = accepted(LeadFactory(campaign=campaign), rep=rep, by=marketer)
    client.force_login(rep)
    later = (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")

    past = client.post(reverse("leads:snooze", args=[lead.pk]), {"until": "2000-01-01T10:00", "reason": "Holiday"})
    client.post(reverse("leads:snooze", args=[lead.pk]), {"until": later, "reason": "On holiday until Monday"})

    assert past.status_code == 400
    lead.refresh_from_db()
    assert lead.snoozed_until > timezone.now()
    assert lead.snooze_reason == "On holiday until Monday"


def test_a_rep_who_once_had_the_lead_sees_it_but_may_not_close_it(client, marketer, rep, other_rep, campaign):
    lead = handed_off(LeadFactory(campaign=campaign), rep=rep, by=marketer)
    lead_reject_with_feedback(lead=lead, by=rep, reason=reason())
    lead_hand_off(lead=lead, rep=other_rep, note="Second try", by=marketer)
    lead_accept(lead=lead, by=other_rep)
    lead_qualify(lead=lead, by=other_rep)
    client.force_login(rep)

    assert client.get(reverse("leads:detail", args=[lead.pk])).context["actions"] == set()
    assert client.post(reverse("feedback:lead-won", args=[lead.pk]), {"amount": "10"}).status_code == 403
    lead.refresh_from_db()
    assert lead.status == LeadStatus.QUALIFIED


# --- edit -------------------------------------------------------------------------------------


def test_edit_saves_contact_data_and_records_it(client, marketer, campaign):
    lead = LeadFactory(campaign=campaign, email="ada@example.com", name="Ada")
    client.force_login(marketer)

    response = client.post(reverse("leads:edit", args=[lead.pk]), {"email": "ada@example.com", "name": "Ada L."})

    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.name == "Ada L."
    assert lead.events.filter(kind="edit").exists()


def test_edit_to_an_email_another_lead_has_shows_the_error(client, marketer, campaign):
    LeadFactory(campaign=campaign, email="taken@example.com")
    lead = LeadFactory(campaign=campaign, email="ada@example.com")
    client.force_login(marketer)

    response = client.post(reverse("leads:edit", args=[lead.pk]), {"email": "taken@example.com"})

    assert response.status_code == 400
    assert response.context["form"].errors["email"] == ["Already captured."]
    lead.refresh_from_db()
    assert lead.email == "ada@example.com"


def test_edit_is_forbidden_to_reps(client, marketer, rep, campaign):
    lead = handed_off(LeadFactory(campaign=campaign), rep=rep, by=marketer)
    client.force_login(rep)

    assert client.get(reverse("leads:edit", args=[lead.pk])).status_code == 403


def test_won_lead_page_shows_no_empty_actions_heading_to_a_manager(client, marketer, rep, manager, campaign):
    lead = accepted(LeadFactory(campaign=campaign, estimated_value=Decimal("300000")), rep=rep, by=marketer)
    lead_qualify(lead=lead, by=rep)
    lead_win_with_feedback(lead=lead, by=rep, amount="416000")
    client.force_login(manager)

    response = client.get(reverse("leads:detail", args=[lead.pk]))

    page = response.content.decode()
    # merging a duplicate into it is all that is left: the heading has that form under it
    assert response.context["actions"] == {"edit", "merge"}
    assert "What you can do" in page and "Merge a duplicate" in page
    assert "Edit contact data" in page


def test_lead_detail_shows_amounts_with_separators_and_dates_with_the_year(client, marketer, rep, campaign):
    lead = accepted(LeadFactory(campaign=campaign, estimated_value=Decimal("1004000")), rep=rep, by=marketer)
    until = timezone.now() + timedelta(days=3)
    lead_snooze(lead=lead, by=rep, until=until, reason="Back from holiday")
    client.force_login(rep)

    page = client.get(reverse("leads:detail", args=[lead.pk])).content.decode()

    assert "€1,004,000" in page
    assert f"snoozed until {timezone.localtime(until):%-d %b %Y, %H:%M}" in page


def test_lead_list_shows_estimated_values_with_separators(client, marketer, campaign):
    LeadFactory(campaign=campaign, estimated_value=Decimal("416000"))
    client.force_login(marketer)

    page = client.get(reverse("leads:list")).content.decode()

    assert "€416,000" in page
    assert "416000" not in page


def test_lead_create_says_which_fields_are_required(client, marketer, campaign):
    client.force_login(marketer)

    page = client.get(reverse("leads:new")).content.decode()

    assert "Only the campaign and the email are required." in page
    assert "Only the email is required" not in page


# --- a form with errors comes back where it stood -----------------------------------------------


def _bad_post(client, url, data, *, htmx):
    return client.post(url, data, headers={"HX-Request": "true"} if htmx else {})


def assert_form_came_back(response, *, form_id, field_id, typed, htmx):
    """What a user sees: the form (alone for htmx, else in its page, opened at its anchor), the
    typed text still in it, and the error right under the field that has it."""
    html = response.content.decode()
    if htmx:
        assert response.status_code == 422
        assert html.lstrip().startswith("<form") and "<html" not in html
    else:
        assert response.status_code == 400
        assert "<html" in html
        assert f'action="{response.request["PATH_INFO"]}#{form_id}"' in html
    assert f'id="{form_id}"' in html
    assert typed in html
    # The field is marked invalid and its errors follow it in its own block (_field.html).
    field = re.search(rf'<(input|select|textarea)[^>]*id="{field_id}"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in field
    after = html[html.index(field) :]
    assert re.match(rf'(?s)(.(?!<div class="field))*<ul class="errorlist" id="{field_id}_errors">', after)


LEAD_FORM_ERRORS = {
    # action: (url name, who, lead state, data, field with the error, text the user typed)
    "hand_off": (
        "leads:hand-off",
        "marketer",
        "new",
        {"rep": "999999", "note": "Met at the fair"},
        "rep",
        "Met at the fair",
    ),
    "activity": (
        "leads:activity",
        "rep",
        "accepted",
        {"kind": "telepathy", "note": "Left a voicemail"},
        "kind",
        "Left a voicemail",
    ),
    "recycle": (
        "leads:recycle",
        "marketer",
        "handed_off",
        {"reason": "Budget next year", "reengage_after": "2000-01-01"},
        "reengage_after",
        "Budget next year",
    ),
    "snooze": (
        "leads:snooze",
        "rep",
        "accepted",
        {"until": "2000-01-01T10:00", "reason": "On holiday until Monday"},
        "until",
        "On holiday until Monday",
    ),
}


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
@pytest.mark.parametrize("action", LEAD_FORM_ERRORS)
def test_a_lead_form_with_errors_comes_back_in_place_with_what_was_typed(client, marketer, rep, campaign, action, htmx):
    url_name, who, state, data, field, typed = LEAD_FORM_ERRORS[action]
    lead = LeadFactory(campaign=campaign)
    if state == "handed_off":
        handed_off(lead, rep=rep, by=marketer)
    elif state == "accepted":
        accepted(lead, rep=rep, by=marketer)
    events = lead.events.count()
    client.force_login(marketer if who == "marketer" else rep)

    response = _bad_post(client, reverse(url_name, args=[lead.pk]), data, htmx=htmx)

    form_id = f"{action.replace('_', '-')}-form-{lead.pk}"
    assert_form_came_back(response, form_id=form_id, field_id=f"id_{action}_{lead.pk}_{field}", typed=typed, htmx=htmx)
    lead.refresh_from_db()
    assert lead.status == state and lead.events.count() == events


def test_an_htmx_action_that_succeeds_loads_the_page_it_returns_to(client, marketer, rep, campaign):
    lead = handed_off(LeadFactory(campaign=campaign), rep=rep, by=marketer)
    client.force_login(rep)

    response = client.post(
        reverse("leads:accept", args=[lead.pk]), {"next": reverse("dashboard:home")}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200 and response["HX-Redirect"] == reverse("dashboard:home")
    assert "It is in your working list now." in client.get(reverse("dashboard:home")).content.decode()


def test_an_htmx_move_the_state_no_longer_allows_says_why_on_the_lead_page(client, marketer, rep, campaign):
    lead = accepted(LeadFactory(campaign=campaign), rep=rep, by=marketer)
    client.force_login(rep)

    response = client.post(reverse("leads:accept", args=[lead.pk]), headers={"HX-Request": "true"})

    assert response["HX-Redirect"] == reverse("leads:detail", args=[lead.pk])
    page = client.get(response["HX-Redirect"]).content.decode()
    assert 'class="message message-error"' in page


def test_every_lead_page_form_is_swapped_in_place_by_htmx(client, marketer, rep, campaign):
    lead = accepted(LeadFactory(campaign=campaign), rep=rep, by=marketer)
    client.force_login(rep)

    page = client.get(reverse("leads:detail", args=[lead.pk])).content.decode()

    for name in ("activity", "qualify", "lost", "snooze", "verdict"):
        assert f'id="{name}-form-{lead.pk}"' in page
    assert page.count('hx-target="this" hx-swap="outerHTML"') == page.count('method="post"') - 1  # all but log out


def test_a_form_that_comes_back_by_htmx_renders_only_the_form(
    client, django_assert_num_queries, marketer, rep, campaign
):
    lead = handed_off(LeadFactory(campaign=campaign), rep=rep, by=marketer)
    client.force_login(rep)
    url = reverse("feedback:lead-reject", args=[lead.pk])

    # 1 the session, 2 the user, 3-5 the lead with its timeline and handoffs (the scoped selector),
    # 6 the reason codes for the form's select, 7 the unread count (the context processor runs on
    # every render); nothing of the rest of the lead page.
    with django_assert_num_queries(7):
        response = client.post(url, {"reason": "", "note": "A student"}, headers={"HX-Request": "true"})

    assert response.status_code == 422
