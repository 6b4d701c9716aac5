from django.conf import settings
from django.shortcuts import resolve_url

from alignment.selectors import notification_unread_count


def navigation(request):
    """The signed-in user's unread notification count, for the bell on every page, and their home
    (where logging in lands, LOGIN_REDIRECT_URL), which a page of any floor may link to without
    naming the floor that serves it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_notifications": notification_unread_count(user=user),
        "home_url": resolve_url(settings.LOGIN_REDIRECT_URL),
    }
