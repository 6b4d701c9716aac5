"""How a form posted from a page is answered, the same way on every page.

A form that fails re-renders where it stood, with what was typed and each error beside its field:
htmx swaps the form alone (422, which `htmx-config` in base.html lets it swap); without JavaScript
the whole page comes back (400) and the form's action carries the form's own anchor, so the
browser opens the page at the form. A form that succeeds, or a move the state no longer allows,
ends in a redirect with a message, as a plain post always did (htmx is told to load that page).
"""

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import redirect

from alignment.errors import DomainError, InvalidInput, NotAllowed


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def redirect_after_post(request, url: str) -> HttpResponse:
    """htmx follows a plain redirect itself and would swap the page it finds into the form, so it
    is told to navigate instead. A plain post's redirect names the top of the page: the browser
    would otherwise keep the form's anchor and open the page scrolled away from the message."""
    if is_htmx(request):
        response = HttpResponse(headers={"HX-Redirect": url})
        target, current = urlsplit(url), urlsplit(request.headers.get("HX-Current-URL", ""))
        if target.fragment and (target.path, target.query) == (current.path, current.query):
            # Only the anchor differs: the browser would scroll, not load the page again.
            response["HX-Refresh"] = "true"
        return response
    return redirect(url if "#" in url else f"{url}#top")


def form_post(
    request,
    *,
    form: Form,
    save: Callable[[dict], Any],
    success: str | Callable[[Any], str],
    done_url: str,
    render_form: Callable[[Form], HttpResponse],
    render_page: Callable[[Form], HttpResponse],
    render_done: Callable[[str], HttpResponse] | None = None,
) -> HttpResponse:
    """Validate `form` and `save` its cleaned data (a service call). On success a redirect to
    `done_url` with the `success` message (or the message made from what `save` returned); on bad
    input the form with its errors, alone for htmx (`render_form`, 422) or in its page
    (`render_page`, 400); a service's NotAllowed is a 403; a move the state does not allow is a
    message on `done_url`. With `render_done`, an htmx post that succeeds is answered in place
    instead: `render_done(message)` is the piece that replaces the one that posted (the rep's inbox
    row), and the message goes there rather than to the next page."""
    if form.is_valid():
        try:
            result = save(form.cleaned_data)
        except NotAllowed:
            raise PermissionDenied from None
        except InvalidInput as error:
            form.add_service_errors(error)
        except DomainError as error:  # the state does not allow it (already done, or moved on)
            messages.error(request, error.message)
            return redirect_after_post(request, done_url)
        else:
            message = success(result) if callable(success) else success
            if render_done is not None and is_htmx(request):
                return render_done(message)
            messages.success(request, message)
            return redirect_after_post(request, done_url)
    if is_htmx(request):
        response = render_form(form)
        response.status_code = 422
    else:
        response = render_page(form)
        response.status_code = 400
    return response
