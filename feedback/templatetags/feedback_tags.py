"""The loop's panels on other apps' pages: the lead page and the rep's inbox include a partial
that calls one of these tags, so those pages need no knowledge of feedback to show it."""

from django import template

from alignment.models import Role
from feedback import forms, selectors
from feedback.models import FeedbackKind, FeedbackStatus
from feedback.themes import pain_theme_list
from leads.lifecycle import lead_action_refusal
from leads.selectors import reason_code_list

register = template.Library()


@register.inclusion_tag("feedback/_lead_panel_body.html", takes_context=True)
def feedback_lead_panel(context, lead):
    """Verdicts, the conversations about the lead, and the forms its viewer may use. Four queries:
    the verdicts, the items (with reply counts), the reason codes (only for the owning rep) and
    the open-request check (only for marketers)."""
    user = context["request"].user
    items = selectors.feedback_items_for_lead(user=user, lead=lead)
    can_verdict = lead_action_refusal(lead=lead, user=user, action="verdict") is None
    can_request = lead_action_refusal(lead=lead, user=user, action="request_feedback") is None and not any(
        i.kind == FeedbackKind.REQUEST and i.status == FeedbackStatus.OPEN for i in items
    )
    verdicts = selectors.verdict_history_for_lead(lead=lead)
    # The lead page passes back a verdict form that came back with errors, to show as it was typed.
    verdict_form = context.get("forms", {}).get("verdict") or forms.VerdictForm(
        reasons=reason_code_list() if can_verdict else (),
        themes=pain_theme_list() if can_verdict else (),
        auto_id=f"id_verdict_{lead.pk}_%s",
    )
    return {
        "lead": lead,
        "user": user,
        "csrf_token": context.get("csrf_token"),
        "verdicts": verdicts,
        "items": items,
        "can_verdict": can_verdict,
        "can_request": can_request,
        "verdict_form": verdict_form,
        "request_form": forms.FeedbackRequestForm(auto_id=f"id_request_{lead.pk}_%s"),
    }


@register.inclusion_tag("feedback/_rep_requests_body.html", takes_context=True)
def feedback_rep_requests(context):
    """Marketing's open questions to the rep, each with a verdict form, and the accepted leads
    still without a verdict, each with a one-click "good" (a bad verdict needs a reason: that form
    is on the lead page). One query, plus the reason codes when there is a question to answer."""
    user = context["request"].user
    if user.role != Role.REP:
        return {"requests": [], "unjudged": []}
    leads = selectors.feedback_inbox_for_rep(user=user)
    requests = [lead for lead in leads if lead.request_id is not None]
    unjudged = [lead for lead in leads if lead.request_id is None]
    reasons = list(reason_code_list()) if requests else []
    themes = list(pain_theme_list()) if requests else []
    for lead in requests:
        lead.verdict_form = forms.VerdictForm(reasons=reasons, themes=themes, auto_id=f"id_verdict_{lead.pk}_%s")
    return {
        "requests": requests,
        "unjudged": unjudged,
        "csrf_token": context.get("csrf_token"),
        "request": context["request"],
    }


@register.filter
def verdict_time(value) -> str:
    """A time to verdict as people read it: hours under two days ("5.5 h"), days beyond
    ("7.6 days"); a dash when there is none."""
    if value is None:
        return "—"
    hours = value.total_seconds() / 3600
    if hours < 48:
        amount, unit = hours, "h"
    else:
        amount, unit = hours / 24, "days"
    text = f"{amount:.1f}".removesuffix(".0")
    return f"{text} {unit}"
