def navigation(request):
    """The signed-in user's unread notification count, for the bell on every page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": user.notifications.filter(read=False).count()}
