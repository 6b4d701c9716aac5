"""The CSV import's pages: choose a campaign and a file, then watch the import run in a worker,
fix its failed rows and run it again. Thin, as every page: the work is in `leads.imports`."""

import csv
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from alignment.errors import InvalidInput, NotAllowed, NotFound
from alignment.models import Role
from leads import forms, imports, selectors
from leads.bulk import BULK_MAX
from leads.models import ImportStatus


def _import_form(*args):
    return forms.LeadImportForm(*args, campaigns=selectors.campaign_list(active_only=True))


def _import_too_large(request) -> bool:
    """Judge the size from Content-Length before the body is read, so a huge upload is refused at
    once instead of being spooled to disk first. Room is left for the form's own fields."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > imports.import_max_bytes() + 64 * 1024


def _import_job_or_404(user, pk):
    try:
        return imports.import_job_get_for_user(user=user, job_id=pk)
    except NotFound:
        raise Http404("No such import.") from None


@csrf_exempt  # the size check must come before the CSRF middleware reads (and spools) the body
@login_required
def lead_import(request):
    """Choose a campaign and a CSV file; the import runs in a worker and its page shows progress."""
    if request.user.role not in (Role.MARKETER, Role.MANAGER):
        raise PermissionDenied
    if request.method == "POST" and _import_too_large(request):
        context = {**_import_context(request, _import_form()), "error": _import_limit()}
        return render(request, "leads/import_form.html", context, status=413)
    return _lead_import_checked(request)


def _import_limit() -> str:
    return f"The file is too large: {imports.import_max_bytes() // (1024 * 1024)} MB at most."


@csrf_protect
def _lead_import_checked(request):
    if request.method == "POST":
        form = _import_form(request.POST, request.FILES)
        if form.is_valid():
            try:
                job = imports.import_job_create(
                    by=request.user, campaign=form.cleaned_data["campaign"], upload=form.cleaned_data["file"]
                )
            except imports.ImportTooLarge as error:
                form.add_error("file", error.message)
                return render(request, "leads/import_form.html", _import_context(request, form), status=413)
            except InvalidInput as error:
                for name, problems in error.fields.items():
                    for problem in problems:
                        form.add_error(name if name in form.fields else None, problem)
            else:
                return redirect("leads:import-detail", pk=job.pk)
        return render(request, "leads/import_form.html", _import_context(request, form), status=400)
    return render(request, "leads/import_form.html", _import_context(request, _import_form()))


def _import_context(request, form):
    return {"form": form, "jobs": imports.import_job_list_for_user(user=request.user)}


@login_required
def lead_import_detail(request, pk):
    job = _import_job_or_404(request.user, pk)
    return render(request, "leads/import_detail.html", {"job": job, **_import_progress_context(job)})


@login_required
def lead_import_progress(request, pk):
    """The progress partial htmx polls every second until the import has finished."""
    job = _import_job_or_404(request.user, pk)
    response = render(request, "leads/_import_progress.html", {"job": job, **_import_progress_context(job)})
    response["Cache-Control"] = "no-store"
    return response


def _import_progress_context(job):
    finished = job.status in (ImportStatus.DONE, ImportStatus.FAILED)
    values = {row["line"]: row["values"] for row in job.failed_rows or []}
    # Each bad row as it was in the file, so it can be recognised and fixed.
    errors = [{**error, "content": _csv_line(values.get(error["line"]))} for error in job.errors or []]
    return {
        "finished": finished,
        "errors": errors,
        "more_errors": max(0, job.rows_failed - len(job.errors or [])),
        "has_failed_rows": any(values.values()),
        # Offered once it has finished: hand the leads it created, still new, to sales by the rules.
        "new_leads": imports.import_new_leads(job).count() if job.status == ImportStatus.DONE else 0,
        "bulk_max": BULK_MAX,
    }


def _csv_line(values) -> str:
    if not values:
        return ""
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(values)
    return out.getvalue()


@login_required
def lead_import_failed_rows(request, pk):
    """The failed rows of an import as a CSV file, to fix and import again."""
    return imports.import_failed_rows_response(_import_job_or_404(request.user, pk))


@login_required
@require_POST
def lead_import_retry(request, pk):
    job = _import_job_or_404(request.user, pk)
    try:
        started = imports.import_job_retry(job=job, by=request.user)
    except NotAllowed:
        raise PermissionDenied from None
    except InvalidInput as error:
        messages.info(request, error.message)
    else:
        if started:
            messages.success(request, "The import is queued again.")
        else:
            messages.error(request, "The task queue is still not answering. Try again in a moment.")
    return redirect("leads:import-detail", pk=job.pk)
