from datetime import timedelta

import pytest
from django.utils import timezone

from alignment.sla import sla_settings_get
from feedback.models import FeedbackItem, FeedbackReply, FeedbackStatus, ReasonCode, Verdict
from feedback.rollup import reason_days_rebuild
from feedback.services import feedback_request, verdict_give
from leads.models import Lead, LeadStatus
from leads.rollup import lead_days_rebuild
from leads.services import lead_qualify
from tests.alignment.factories import MarketerFactory
from tests.feedback.factories import accepted_lead, handed_off_lead, verdict_after
from tests.feedback.test_apis import _bulk_items
from tests.leads.test_views import assert_form_came_back


def _bad_item(marketer, rep, **fields):
    lead = accepted_lead(marketer=marketer, rep=rep, **fields)
    verdict_give(lead=lead, by=rep, verdict="bad", reason="no_budget", note="Frozen budget.")
    return FeedbackItem.objects.get(lead=lead)


def test_queue_page_flags_items_older_than_the_response_threshold(client, marketer, rep):
    old = _bad_item(marketer, rep)
    FeedbackItem.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=4))
    fresh = _bad_item(marketer, rep)
    client.force_login(marketer)

    html = client.get("/feedback/").content.decode()

    assert html.index(f"/feedback/{old.pk}/") < html.index(f"/feedback/{fresh.pk}/")
    assert html.count('data-testid="overdue"') == 1


def test_queue_page_threshold_comes_from_the_sla_settings(client, marketer, rep):
    item = _bad_item(marketer, rep)
    FeedbackItem.objects.filter(pk=item.pk).update(created_at=timezone.now() - timedelta(days=2))
    policy = sla_settings_get()
    policy.feedback_response_days = 1
    policy.save()
    client.force_login(marketer)

    assert 'data-testid="overdue"' in client.get("/feedback/").content.decode()


def test_queue_page_filters_come_from_the_url(client, marketer, rep):
    item = _bad_item(marketer, rep)
    client.force_login(marketer)

    assert f"/feedback/{item.pk}/" in client.get("/feedback/?reason=no_budget").content.decode()
    assert f"/feedback/{item.pk}/" not in client.get("/feedback/?reason=spam").content.decode()
    assert f"/feedback/{item.pk}/" not in client.get("/feedback/?status=resolved").content.decode()
    assert client.get("/feedback/?campaign=abc&person=x&after=nonsense").status_code == 200


@pytest.mark.parametrize("n", [10, 1000])
def test_queue_page_query_count_does_not_grow_with_the_queue(client, marketer, rep, django_assert_num_queries, n):
    _bulk_items(marketer, rep, n)
    sla_settings_get()
    client.force_login(marketer)

    # 1. the session  2. the user  3. the SLA settings (response threshold)
    # 4. the page of items with everything shown joined  5. campaigns  6. reason codes
    # 7. people to filter by  8. the unread-notification count in the header
    with django_assert_num_queries(8):
        response = client.get("/feedback/")

    assert response.status_code == 200
    assert response.content.decode().count('data-testid="feedback-row"') == min(n, 50)


def test_queue_pages_on_by_keyset(client, marketer, rep):
    _bulk_items(marketer, rep, 60)
    client.force_login(marketer)

    first = client.get("/feedback/")
    next_link = first.context["next_query"]
    second = client.get(f"/feedback/?{next_link}")

    first_ids = {item.pk for item in first.context["items"]}
    second_ids = {item.pk for item in second.context["items"]}
    assert len(first_ids) == 50 and len(second_ids) == 10
    assert not first_ids & second_ids


def test_item_page_is_scoped(client, marketer, rep, other_rep):
    item = _bad_item(marketer, rep)

    client.force_login(other_rep)
    assert client.get(f"/feedback/{item.pk}/").status_code == 404
    client.force_login(MarketerFactory())
    assert client.get(f"/feedback/{item.pk}/").status_code == 404
    client.force_login(rep)
    assert client.get(f"/feedback/{item.pk}/").status_code == 200


def test_reply_and_resolve_through_the_pages(client, marketer, rep):
    item = _bad_item(marketer, rep)
    client.force_login(marketer)

    response = client.post(f"/feedback/{item.pk}/reply/", {"body": "Which budget?"})
    assert response.status_code == 302
    empty = client.post(f"/feedback/{item.pk}/reply/", {"body": " "})
    assert empty.status_code == 400
    assert FeedbackReply.objects.filter(item=item).count() == 1

    bad = client.post(f"/feedback/{item.pk}/resolve/", {"resolution": "disputed"})
    assert bad.status_code == 400
    done = client.post(f"/feedback/{item.pk}/resolve/", {"resolution": "recycled", "reason": "Next year"})
    assert done.status_code == 302
    item.refresh_from_db()
    assert item.status == FeedbackStatus.RESOLVED
    assert Lead.objects.get(pk=item.lead_id).status == LeadStatus.NURTURE


def test_resolve_page_fixes_only_changed_fields(client, marketer, rep):
    item = _bad_item(marketer, rep, phone="000", title="CEO")
    lead = item.lead
    client.force_login(marketer)

    fields = {name: getattr(lead, name) for name in ("email", "name", "company", "title", "phone", "country", "region")}
    response = client.post(f"/feedback/{item.pk}/resolve/", {"resolution": "fixed_data", **fields, "phone": "+1 555"})

    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.phone, lead.title) == ("+1 555", "CEO")


def test_a_rep_cannot_resolve_through_the_page(client, marketer, rep):
    item = _bad_item(marketer, rep)
    client.force_login(rep)

    assert (
        client.post(f"/feedback/{item.pk}/resolve/", {"resolution": "campaign_changed", "note": "x"}).status_code == 403
    )


def test_verdict_from_the_lead_page(client, marketer, rep):
    lead = accepted_lead(marketer=marketer, rep=rep)
    client.force_login(rep)

    page = client.get(f"/leads/{lead.pk}/").content.decode()
    assert 'data-testid="verdict-form"' in page

    bad = client.post(f"/feedback/leads/{lead.pk}/verdict/", {"verdict": "bad", "reason": ""})
    assert bad.status_code == 400 and not Verdict.objects.exists()
    ok = client.post(
        f"/feedback/leads/{lead.pk}/verdict/", {"verdict": "bad", "reason": "no_need", "note": "Has a tool."}
    )
    assert ok.status_code == 302
    assert Verdict.objects.get(lead=lead).reason.code == "no_need"
    assert "No need" in client.get(f"/leads/{lead.pk}/").content.decode()


def test_verdict_on_someone_elses_lead_is_refused(client, marketer, rep, other_rep):
    lead = accepted_lead(marketer=marketer, rep=rep)

    client.force_login(other_rep)
    assert client.post(f"/feedback/leads/{lead.pk}/verdict/", {"verdict": "good"}).status_code == 404
    client.force_login(marketer)
    assert client.post(f"/feedback/leads/{lead.pk}/verdict/", {"verdict": "good"}).status_code == 403
    assert not Verdict.objects.exists()


def test_requests_appear_in_the_rep_inbox_with_a_verdict_form(client, marketer, rep):
    lead = accepted_lead(marketer=marketer, rep=rep)
    feedback_request(lead=lead, by=marketer, note="How was the demo?")
    client.force_login(rep)

    html = client.get("/").content.decode()

    assert "How was the demo?" in html
    assert f"/feedback/leads/{lead.pk}/verdict/" in html


def test_marketer_requests_feedback_from_the_lead_page(client, marketer, rep):
    lead = accepted_lead(marketer=marketer, rep=rep)
    client.force_login(marketer)

    assert f"/feedback/leads/{lead.pk}/request/" in client.get(f"/leads/{lead.pk}/").content.decode()
    response = client.post(f"/feedback/leads/{lead.pk}/request/", {"note": "Any news?"})

    assert response.status_code == 302
    assert FeedbackItem.objects.get(lead=lead).assignee == rep


def test_scorecard_and_insights_pages(client, marketer, rep):
    lead = accepted_lead(marketer=marketer, rep=rep)
    verdict_give(lead=lead, by=rep, verdict="bad", reason="no_budget", pain_points="Too many spreadsheets")
    client.force_login(marketer)

    scorecard = client.get("/feedback/campaigns/?period=30d&sort=-bad_share")
    assert scorecard.status_code == 200
    assert lead.campaign.name in scorecard.content.decode()
    assert "100%" in scorecard.content.decode()
    insights = client.get("/feedback/insights/?q=spreadsheet&group_by=campaign")
    assert "Too many spreadsheets" in insights.content.decode()
    assert "Too many spreadsheets" not in client.get("/feedback/insights/?q=pricing").content.decode()

    client.force_login(rep)
    assert client.get("/feedback/campaigns/").status_code == 403
    assert client.get("/feedback/insights/").status_code == 403


def test_managers_manage_reason_codes_on_a_page(client, manager, marketer):
    client.force_login(marketer)
    assert client.get("/feedback/reasons/").status_code == 403

    client.force_login(manager)
    assert client.get("/feedback/reasons/").status_code == 200
    assert client.post("/feedback/reasons/", {"label": "Wrong region"}).status_code == 302
    code = ReasonCode.objects.get(code="wrong_region")
    client.post(f"/feedback/reasons/{code.pk}/", {"action": "rename", "label": "Outside our regions"})
    client.post(f"/feedback/reasons/{code.pk}/", {"action": "retire"})

    code.refresh_from_db()
    assert (code.label, code.active) == ("Outside our regions", False)
    assert client.post("/feedback/reasons/", {"label": ""}).status_code == 400


def test_rep_gives_a_verdict_from_the_inbox_and_returns_to_it(client, marketer, rep):
    lead = accepted_lead(marketer=marketer, rep=rep)
    client.force_login(rep)

    inbox = client.get("/").content.decode()
    assert f'action="/feedback/leads/{lead.pk}/verdict/"' in inbox
    assert f'href="/leads/{lead.pk}/#verdict"' in inbox

    response = client.post(f"/feedback/leads/{lead.pk}/verdict/", {"verdict": "good", "next": "/"})

    assert response.status_code == 302 and response.url == "/#top"
    assert Verdict.objects.get(lead=lead).verdict == "good"
    assert f'action="/feedback/leads/{lead.pk}/verdict/"' not in client.get("/").content.decode()


# --- the scorecard's figures, as the page shows them -------------------------------------------


def _row(html, campaign):
    start = html.index(f'data-campaign="{campaign.pk}"')
    return html[start : html.index("</tr>", start)]


def _cell(row, testid):
    start = row.index(f'data-testid="{testid}">') + len(f'data-testid="{testid}">')
    return " ".join(row[start : row.index("</td>", start)].split())


def test_scorecard_page_shows_won_revenue_and_cost_per_won_deal(client, marketer, rep):
    from feedback.services import lead_win_with_feedback
    from leads.services import lead_qualify
    from tests.leads.factories import CampaignFactory

    paid = CampaignFactory(owner=marketer, name="Trade fair", cost="3000.00")
    for amount in ("5000", "1250.50"):
        lead = accepted_lead(marketer=marketer, rep=rep, campaign=paid)
        lead_qualify(lead=lead, by=rep)
        lead_win_with_feedback(lead=lead, by=rep, amount=amount)
    accepted_lead(marketer=marketer, rep=rep, campaign=paid)  # still being worked: no revenue yet
    free = CampaignFactory(owner=marketer, name="Newsletter", cost=None)
    accepted_lead(marketer=marketer, rep=rep, campaign=free)
    client.force_login(marketer)

    html = client.get("/feedback/campaigns/?period=30d").content.decode()

    assert "Won revenue" in html and "Cost per won deal" in html
    assert _cell(_row(html, paid), "won-revenue") == '€6,250.50 <small class="muted">(2 won)</small>'
    assert _cell(_row(html, paid), "cost-per-won") == "€1,500"
    assert _cell(_row(html, free), "won-revenue") == "€0"
    assert "no cost set" in _cell(_row(html, free), "cost-per-won")
    by_revenue = client.get("/feedback/campaigns/?period=30d&sort=-won_revenue").content.decode()
    assert by_revenue.index("Trade fair") < by_revenue.index("Newsletter")


def test_scorecard_page_shows_time_to_verdict_in_hours_then_days(client, marketer, rep):
    from tests.leads.factories import CampaignFactory

    quick, slow = CampaignFactory(owner=marketer), CampaignFactory(owner=marketer)
    for campaign, hours in ((quick, 5.5), (slow, 183)):
        lead = accepted_lead(marketer=marketer, rep=rep, campaign=campaign)
        verdict_after(lead=lead, rep=rep, hours=hours)
    client.force_login(marketer)

    html = client.get("/feedback/campaigns/?period=30d").content.decode()

    assert _cell(_row(html, quick), "time-to-verdict") == "5.5 h"
    assert _cell(_row(html, slow), "time-to-verdict") == "7.6 days"


@pytest.mark.parametrize(
    ("hours", "shown"),
    [(None, "—"), (0.25, "0.2 h"), (36, "36 h"), (47.9, "47.9 h"), (48, "2 days"), (183, "7.6 days")],
)
def test_time_to_verdict_reads_in_hours_under_two_days_and_days_beyond(hours, shown):
    from feedback.templatetags.feedback_tags import verdict_time

    assert verdict_time(None if hours is None else timedelta(hours=hours)) == shown


@pytest.mark.parametrize("n", [10, 1000])
def test_scorecard_page_query_count_does_not_grow_with_leads(client, marketer, rep, django_assert_num_queries, n):
    _bulk_items(marketer, rep, n)
    Lead.objects.filter(pk__in=Lead.objects.order_by("id").values("id")[: n // 2]).update(
        status=LeadStatus.WON, won_at=timezone.now(), won_amount=100
    )
    lead_days_rebuild()  # won behind the services' back: rolled up as `rebuild_dashboard` does
    reason_days_rebuild()
    client.force_login(marketer)

    # 1. the session  2. the user  3. the campaigns with their owners
    # 4. per campaign from the roll-up: leads captured / handed off / accepted / won, won revenue and
    #    their current verdicts  5. median time to first verdict, per campaign
    # 6. bad reasons per campaign  7. the delivered requests the campaigns answer, with their outcomes
    # 8. the unread-notification count in the header
    with django_assert_num_queries(8):
        response = client.get("/feedback/campaigns/?period=all&sort=-won_revenue")

    assert response.status_code == 200
    assert f"€{n // 2 * 100:,}" in response.content.decode()


# --- the lead page's verdict panel ----------------------------------------------------------------


def test_lead_page_shows_the_pain_points_given_with_the_verdict(client, marketer, rep, manager):
    lead = accepted_lead(marketer=marketer, rep=rep)
    verdict_give(lead=lead, by=rep, verdict="good", note="Strong fit.", pain_points="Reports take two days\nNo CRM")
    verdict_give(lead=lead, by=rep, verdict="bad", reason="timing", pain_points="Budget moved to next year")

    for user in (rep, marketer, manager):
        client.force_login(user)
        html = client.get(f"/leads/{lead.pk}/").content.decode()
        panel = html[html.index('data-testid="verdict-pain-points"') :]
        assert "Budget moved to next year" in panel[: panel.index("</div>")]
        # The earlier verdict keeps its pain points in the history.
        assert "Reports take two days<br>No CRM" in html


def test_lead_page_escapes_pain_points(client, marketer, rep):
    lead = accepted_lead(marketer=marketer, rep=rep)
    verdict_give(lead=lead, by=rep, verdict="good", pain_points="<script>alert(1)</script>")
    client.force_login(marketer)

    html = client.get(f"/leads/{lead.pk}/").content.decode()

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html


def test_queue_page_searches_the_leads_name_email_and_company(client, marketer, rep):
    ada = _bad_item(marketer, rep, name="Ada Lovelace", email="ada@engines.test", company="Analytical Engines")
    grace = _bad_item(marketer, rep, name="Grace Hopper", email="grace@navy.test", company="US Navy")
    client.force_login(marketer)

    html = client.get("/feedback/?q=engines").content.decode()

    assert f"/feedback/{ada.pk}/" in html and f"/feedback/{grace.pk}/" not in html
    assert 'value="engines"' in html
    assert "No feedback items match" in client.get("/feedback/?q=nobody").content.decode()


def test_queue_pages_next_to_newer_items_and_previous_to_older_ones(client, marketer, rep):
    _bulk_items(marketer, rep, 60)
    client.force_login(marketer)

    # given the first page: the oldest 50, with a way on to the newer ones and none back
    first = client.get("/feedback/?kind=bad_verdict")
    html = first.content.decode()
    assert "Next: newer items" in html and "Previous" not in html

    # when the reader goes on, then back
    second = client.get(f"/feedback/?{first.context['next_query']}")
    back = client.get(f"/feedback/?{second.context['previous_query']}")

    # then the next page holds the 10 newer items, with no next and a previous link back
    oldest = [item.pk for item in first.context["items"]]
    newer = [item.pk for item in second.context["items"]]
    assert len(newer) == 10
    assert min(item.created_at for item in second.context["items"]) >= max(
        item.created_at for item in first.context["items"]
    )
    assert "Previous: older items" in second.content.decode() and "Next:" not in second.content.decode()
    assert "kind=bad_verdict" in second.context["previous_query"]
    assert [item.pk for item in back.context["items"]] == oldest
    assert back.context["previous_query"] is None


def test_queue_filters_through_htmx_answer_the_results_alone(client, marketer, rep, django_assert_num_queries):
    item = _bad_item(marketer, rep, company="Analytical Engines")
    sla_settings_get()
    client.force_login(marketer)

    # 1. the session  2. the user  3. the SLA settings (response threshold)
    # 4. the page of items with everything shown joined  5. the unread-notification count in the header
    with django_assert_num_queries(5):
        response = client.get("/feedback/?q=engines&status=open", headers={"HX-Request": "true"})

    html = response.content.decode()
    assert f"/feedback/{item.pk}/" in html
    assert "<form" not in html and "<html" not in html
    assert "HX-Request" in response["Vary"]


# --- a form with errors comes back where it stood -----------------------------------------------


def _form_errors_case(case, marketer, rep):
    """(who posts, url, data, form id, field id, what they typed, how to tell nothing changed)."""
    if case in ("reply", "resolve"):
        item = _bad_item(marketer, rep)
        if case == "reply":
            long_reply = "Which budget? " + "x" * 10_000
            return (
                marketer,
                f"/feedback/{item.pk}/reply/",
                {"body": long_reply},
                f"reply-form-{item.pk}",
                (f"id_reply_{item.pk}_body"),
                long_reply,
                lambda: not FeedbackReply.objects.exists(),
            )
        data = {"resolution": "fixed_data", "email": "not-an-email", "company": "Analytical Engines Ltd"}
        return (
            marketer,
            f"/feedback/{item.pk}/resolve/",
            data,
            f"resolve-form-{item.pk}",
            (f"id_resolve_{item.pk}_email"),
            "Analytical Engines Ltd",
            lambda: FeedbackItem.objects.get(pk=item.pk).status == FeedbackStatus.OPEN,
        )
    lead = accepted_lead(marketer=marketer, rep=rep)
    if case == "reject":
        lead = handed_off_lead(marketer=marketer, rep=rep)
        data, field, typed = (
            {"reason": "", "note": "A student writing a thesis"},
            "reason",
            "A student writing a thesis",
        )
    elif case == "won":
        lead_qualify(lead=lead, by=rep)
        lead.refresh_from_db()
        data, field, typed = {"amount": "-5"}, "amount", 'value="-5"'
    elif case == "lost":
        data, field, typed = {"reason": "", "note": "Chose a rival"}, "reason", "Chose a rival"
    else:
        data, field, typed = (
            {"verdict": "bad", "reason": "", "note": "Budget frozen until Q3"},
            "reason",
            ("Budget frozen until Q3"),
        )
    status = lead.status
    url = f"/feedback/leads/{lead.pk}/verdict/" if case == "verdict" else f"/leads/{lead.pk}/{case}/"
    return (
        rep,
        url,
        data,
        f"{case}-form-{lead.pk}",
        f"id_{case}_{lead.pk}_{field}",
        typed,
        lambda: Lead.objects.get(pk=lead.pk).status == status and not Verdict.objects.filter(lead=lead).exists(),
    )


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
@pytest.mark.parametrize("case", ["reject", "won", "lost", "verdict", "reply", "resolve"])
def test_a_feedback_form_with_errors_comes_back_in_place_with_what_was_typed(client, marketer, rep, case, htmx):
    who, url, data, form_id, field_id, typed, unchanged = _form_errors_case(case, marketer, rep)
    client.force_login(who)

    response = client.post(url, data, headers={"HX-Request": "true"} if htmx else {})

    assert_form_came_back(response, form_id=form_id, field_id=field_id, typed=typed, htmx=htmx)
    assert unchanged()


def test_a_bad_verdict_on_the_lead_page_opens_the_verdict_form_even_after_an_earlier_verdict(client, marketer, rep):
    lead = accepted_lead(marketer=marketer, rep=rep)
    verdict_give(lead=lead, by=rep, verdict="good", note="Keen.")
    client.force_login(rep)
    assert '<details id="verdict">' in client.get(f"/leads/{lead.pk}/").content.decode()

    response = client.post(f"/feedback/leads/{lead.pk}/verdict/", {"verdict": "bad", "note": "Changed my mind"})

    assert response.status_code == 400
    assert '<details id="verdict" open>' in response.content.decode()


def test_a_verdict_from_the_inbox_by_htmx_returns_to_the_inbox(client, marketer, rep):
    lead = accepted_lead(marketer=marketer, rep=rep)
    client.force_login(rep)

    response = client.post(
        f"/feedback/leads/{lead.pk}/verdict/", {"verdict": "good", "next": "/"}, headers={"HX-Request": "true"}
    )

    assert response["HX-Redirect"] == "/"
    assert Verdict.objects.get(lead=lead).verdict == "good"


def test_a_reply_by_htmx_reloads_the_item_page_at_the_end_of_the_conversation(client, marketer, rep):
    item = _bad_item(marketer, rep)
    client.force_login(marketer)
    page = f"http://testserver/feedback/{item.pk}/"

    response = client.post(
        f"/feedback/{item.pk}/reply/", {"body": "Which budget?"}, headers={"HX-Request": "true", "HX-Current-URL": page}
    )

    # Going to the same page with an anchor would only scroll: the page is loaded again.
    assert response["HX-Redirect"] == f"/feedback/{item.pk}/#conversation-end"
    assert response["HX-Refresh"] == "true"
