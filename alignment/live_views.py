"""The bell as it is now, for the live channel to swap in place (static/js/live.js)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def notification_bell(request):
    # The count comes from the navigation context processor, as on every page.
    return render(request, "alignment/_bell.html")
