from django.apps import AppConfig


class AlignmentConfig(AppConfig):
    name = "alignment"

    def ready(self):
        # Imported here, not at the top: these modules import models, which exist once the apps are loaded.
        from django.contrib.auth.signals import user_logged_in

        from alignment import checks  # noqa: F401  (registers the system checks)
        from alignment.caching import cache_receivers_connect
        from alignment.middleware import session_seen_at_login

        # Auth plumbing, not business logic: every login, however it happens, starts the idle clock.
        user_logged_in.connect(session_seen_at_login, dispatch_uid="alignment-session-seen-at-login")
        cache_receivers_connect()
