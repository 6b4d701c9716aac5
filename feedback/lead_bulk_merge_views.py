"""Lead pages that reach into feedback: bulk actions from the lead list and the import page (one of
them requests feedback), and merging two leads (their feedback moves too)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from alignment.errors import DomainError, InvalidInput, NotAllowed, NotFound
from alignment.models import Role
from alignment.pages import is_htmx
from feedback.bulk import lead_bulk_action_run
from feedback.merge import lead_merge_preview_with_feedback, lead_merge_with_feedback
from leads import forms as lead_forms
from leads import selectors as lead_selectors
from leads.bulk import BULK_MAX, DONE, bulk_action_choices
from leads.imports import import_job_get_for_user, import_new_leads
from leads.lifecycle import lead_action_refusal
from leads.views import lead_or_404


def _bulk_ids(request, user) -> tuple[list[int], int | None]:
    """The ids to act on: the ticked rows, or every lead matching the list's filter (resolved here,
    from the same filter the list used), at most BULK_MAX. Also how many matched, when capped."""
    if request.POST.get("all_matching"):
        query = QueryDict(request.POST.get("filter", ""))
        filters = lead_forms.LeadFilterForm(
            query, campaigns=list(lead_selectors.campaign_list()), owners=list(lead_selectors.rep_list())
        ).filters()
        ids = lead_selectors.lead_ids_for_user(user=user, filters=filters, limit=BULK_MAX + 1)
        return ids[:BULK_MAX], (len(ids) if len(ids) > BULK_MAX else None)
    if request.POST.get("import_job"):
        try:
            job = import_job_get_for_user(user=user, job_id=request.POST["import_job"])
        except NotFound:
            raise Http404("No such import.") from None
        ids = list(import_new_leads(job).values_list("id", flat=True)[: BULK_MAX + 1])
        return ids[:BULK_MAX], (len(ids) if len(ids) > BULK_MAX else None)
    ids = [int(value) for value in request.POST.getlist("ids") if value.isdigit()]
    return ids, None


BULK_FIELDS = ("action", "rep", "reason", "note")


@login_required
@require_POST
def lead_bulk(request):
    """Run a bulk action and show what happened to each lead, done or refused and why (a handoff:
    to whom, and the routing reason). From the lead list through htmx it answers in place: input
    it refuses brings the action bar back with the error beside its field (422) and the list, its
    filter and its ticks untouched; the results go below the bar and the list reloads."""
    user = request.user
    if user.role not in (Role.MARKETER, Role.MANAGER):
        raise PermissionDenied
    ids, capped = _bulk_ids(request, user)
    error = results = None
    errors = {}
    try:
        results = lead_bulk_action_run(
            action=request.POST.get("action", ""),
            ids=ids,
            by=user,
            note=request.POST.get("note", ""),
            rep_id=request.POST.get("rep"),
            reason=request.POST.get("reason", ""),
        )
    except InvalidInput as invalid:
        error, errors = invalid.message, invalid.fields or {}
    results_ids = [result["id"] for result in results or []]
    leads = lead_selectors.lead_list_for_user(user=user).in_bulk(results_ids)
    handoffs = lead_selectors.lead_latest_handoffs(ids=results_ids) if results else {}
    for result in results or []:
        result["lead"] = leads.get(result["id"])
        result["handoff"] = handoffs.get(result["id"]) if request.POST.get("action") in HANDOFF_ACTIONS else None
    done = sum(result["result"] == DONE for result in results or [])
    context = {
        "results": results,
        "error": error,
        "done": done,
        "refused": len(results or []) - done,
        "capped": capped,
        "bulk_max": BULK_MAX,
        "back": reverse("leads:list") + ("?" + request.POST["filter"] if request.POST.get("filter") else ""),
    }
    if is_htmx(request):
        return _bulk_in_place(request, context, errors)
    return render(request, "leads/lead_bulk_results.html", context, status=400 if error else 200)


# The actions whose results name the rep who has the lead now and why (the handoff's routing reason).
HANDOFF_ACTIONS = {"hand_off", "reassign"}


def _bulk_in_place(request, context, errors):
    if context["error"]:
        # A refusal before any lead changed names a field when it can ("note"); else it is the bar's.
        fields = {name: problems for name, problems in errors.items() if name in BULK_FIELDS}
        bar = {
            "bulk_actions": bulk_action_choices(request.user),
            "reps": list(lead_selectors.rep_list()),
            "bulk_values": {name: request.POST.get(name, "") for name in BULK_FIELDS},
            "bulk_errors": fields,
            "bulk_error": "" if fields else context["error"],
        }
        return render(request, "leads/_bulk_form.html", bar, status=422)
    response = render(request, "leads/_bulk_outcome.html", context)
    response["HX-Retarget"] = "#bulk-outcome"
    response["HX-Reswap"] = "innerHTML"
    # The list below shows the leads as they are now (their status and owner changed).
    response["HX-Trigger"] = "leads-changed"
    return response


@login_required
def lead_merge(request, pk):
    """Merge another lead into this one (marketers and managers: a rep is refused before any lead
    is looked up, as by the API). A GET (or a post without `other`) with the other lead's email
    shows what the merge would do and asks to confirm; the confirmation posts that lead's id, so
    what merges is what was shown."""
    if lead_action_refusal(lead=None, user=request.user, action="merge"):
        raise PermissionDenied
    survivor = lead_or_404(request.user, pk)
    visible = lead_selectors.lead_list_for_user(user=request.user)
    if request.method == "POST" and request.POST.get("other", "").isdigit():
        other = visible.filter(pk=int(request.POST["other"])).first()
        if other is None:
            raise Http404("No such lead.")
        try:
            lead_merge_with_feedback(survivor=survivor, other=other, by=request.user)
        except NotAllowed:
            raise PermissionDenied from None
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"{other.email} merged into this lead.")
        return redirect("leads:detail", pk=survivor.pk)
    data = request.POST if request.method == "POST" else request.GET
    email = data.get("email", "").strip().lower()
    other = visible.filter(email=email).first() if email else None
    if other is None:
        messages.error(request, f"No lead has the email {email!r}." if email else "Enter the other lead's email.")
        return redirect("leads:detail", pk=survivor.pk)
    preview = lead_merge_preview_with_feedback(survivor=survivor, other=other)
    context = {"lead": survivor, "other": other, "preview": preview}
    return render(request, "feedback/lead_merge_preview.html", context, status=409 if preview["refusal"] else 200)
