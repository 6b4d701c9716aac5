"""What the managers' pages of reason codes and pain themes share: a row's rename, retire and
restore, answered with a message on the list's page. The caller has checked the manager and found
the row; the list's `CodeList` does the change."""

from django.contrib import messages
from django.shortcuts import redirect

from alignment.code_lists import CodeList
from alignment.errors import InvalidInput


def code_list_edit(request, *, codes: CodeList, row, back: str, restored: str):
    """`restored` says what a restored code is again ("in use again", "offered again")."""
    action = request.POST.get("action")
    try:
        if action == "rename":
            codes.rename(row=row, label=request.POST.get("label", ""), by=request.user)
            messages.success(request, f"Renamed to “{row.label}”.")
        elif action in ("retire", "restore"):
            codes.set_active(row=row, active=action == "restore", by=request.user)
            messages.success(request, f"“{row.label}” is {restored if row.active else 'retired'}.")
        else:
            messages.error(request, "Choose rename, retire or restore.")
    except InvalidInput as error:
        messages.error(request, error.message)
    return redirect(back)
