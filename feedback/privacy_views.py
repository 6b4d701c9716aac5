"""Managers' pages for a person's data: the JSON export and erasure on request, on the lead's page."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import redirect, render

from alignment.errors import NotAllowed
from alignment.models import Role
from feedback.privacy import person_export, person_forget
from leads.views import lead_or_404


def _manager_lead(request, pk):
    if request.user.role != Role.MANAGER:
        raise PermissionDenied("Only managers export or erase a person's data.")
    return lead_or_404(request.user, pk)


@login_required
def lead_personal_data(request, pk):
    lead = _manager_lead(request, pk)
    body = json.dumps(person_export(email=lead.email), cls=DjangoJSONEncoder, indent=2)
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="lead-{lead.pk}-personal-data.json"'
    return response


@login_required
def lead_erase(request, pk):
    """Erasing takes the person's email typed again: it cannot be undone."""
    lead = _manager_lead(request, pk)
    error = ""
    if request.method == "POST":
        if request.POST.get("confirm_email", "").strip().lower() != lead.email:
            error = "Type the lead's email address exactly to confirm."
        else:
            try:
                person_forget(email=lead.email, by=request.user)
            except NotAllowed as refusal:
                raise PermissionDenied(str(refusal)) from None
            messages.success(request, "The person's data is erased; the lead's figures stay.")
            return redirect("leads:detail", pk=lead.pk)
    status = 400 if error else 200
    return render(request, "feedback/lead_erase.html", {"lead": lead, "error": error}, status=status)
