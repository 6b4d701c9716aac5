"""The ASGI app: the live stream (`/api/events/`, `alignment.live`) and, for `make run`, the rest
of the site through Django's ASGI handler. Production serves the site from the WSGI app (gunicorn)
and routes only `/api/events/` here (docker-compose.yml)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alignment.settings")

django_application = get_asgi_application()

from alignment.live import events_app  # noqa: E402 - needs the apps loaded

EVENTS_PATH = "/api/events/"


async def application(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] == "http" and scope["path"] == EVENTS_PATH:
        return await events_app(scope, receive, send)
    return await django_application(scope, receive, send)
