"""`GET /api/events/` as the WSGI app answers it, when no ASGI process is in front (see
`alignment.live`): the caller's events since `Last-Event-ID`, then the stream closes and the
browser reconnects after `retry`. The ASGI app serves the same URL as a long-lived stream."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.views import APIView

from alignment.live import RETRY_MS, live_events_since, live_last_id, parse_last_event_id, sse_format
from alignment.rest import ErrorOutputSerializer


class EventStreamRenderer(BaseRenderer):
    """Lets a browser's `Accept: text/event-stream` through content negotiation; the view writes
    the stream itself."""

    media_type = "text/event-stream"
    format = "sse"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class LiveEventsApi(APIView):
    renderer_classes = [JSONRenderer, EventStreamRenderer]

    @extend_schema(
        summary="Your live events (Server-Sent Events)",
        description=(
            "A `text/event-stream` of the caller's own events: `handoff` (a lead handed or offered to "
            "you: `{lead, handoff, message, url}`) and `notification` (a new notification for the "
            "bell: `{id, kind, lead, message}`) and `inbox` (an offer of yours lapsed and moved on: "
            "`{lead, handoff}`). Each event's `id` resumes a reconnected stream through "
            "the `Last-Event-ID` header (or `?last_event_id=`); a comment line is a heartbeat."
        ),
        parameters=[
            OpenApiParameter("Last-Event-ID", OpenApiTypes.INT, OpenApiParameter.HEADER, required=False),
            OpenApiParameter("last_event_id", OpenApiTypes.INT, required=False),
        ],
        responses={
            (200, "text/event-stream"): OpenApiResponse(OpenApiTypes.STR, description="The event stream."),
            401: ErrorOutputSerializer,
        },
    )
    def get(self, request):
        resume = request.headers.get("Last-Event-ID") or request.query_params.get("last_event_id") or ""
        last = parse_last_event_id(resume) if resume else None
        body = [f"retry: {RETRY_MS * 2}\n\n".encode()]
        if last is None:
            body.append(f"id: {live_last_id(user_id=request.user.id)}\n\n".encode())
        else:
            body += [sse_format(*row) for row in live_events_since(user_id=request.user.id, after=last)]
        response = HttpResponse(b"".join(body), content_type="text/event-stream; charset=utf-8")
        response["Cache-Control"] = "no-cache, no-store"
        return response
