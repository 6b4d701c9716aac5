"""Middleware of the project's own: the headers Django does not set by itself."""

from django.conf import settings


def permissions_policy(get_response):
    """`Permissions-Policy` on every response: the browser features the app never uses stay off."""

    def middleware(request):
        response = get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response

    return middleware
