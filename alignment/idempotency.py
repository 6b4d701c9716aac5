"""`Idempotency-Key` on API writes: a retried request gets the first response, never a second write.

Decorate an APIView's `post` (or `put`/`patch`/`delete`) with `@idempotent`:

    class LeadListApi(APIView):
        @idempotent
        def post(self, request): ...

How it holds under concurrency: the view runs inside one transaction that first *inserts* the
key's IdempotencyRecord. The unique constraint on (user, key) makes a concurrent retry's insert
wait for the first transaction; when that commits, the retry's insert fails and it replays the
stored response; when it rolls back (the first attempt failed), the retry runs as if it were first.
So two requests with one key never both execute, and a failed attempt leaves no record behind.

Keys are per user. Requests without the header, and anonymous requests (the public web form has
no user to key on), run as usual. A daily task forgets the keys after a day
(`idempotency_records_prune` in `alignment/services.py`).
"""

import functools
import hashlib
import json

from django.db import IntegrityError, transaction
from drf_spectacular.utils import OpenApiParameter
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from alignment.models import IdempotencyRecord
from alignment.rest import error_response

HEADER = "Idempotency-Key"

# The header as the OpenAPI schema documents it on every idempotent write.
IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER,
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Retrying with the same key and body replays the first answer; a different body answers 422.",
)
MAX_KEY_LENGTH = 255
REPLAY_HEADER = "Idempotent-Replayed"


class _Discard(Exception):
    """Raised inside the transaction to roll the record back while keeping the view's response."""

    def __init__(self, response):
        self.response = response


def request_fingerprint(request) -> str:
    """SHA-256 of method, path and the parsed body, so key order and whitespace do not matter."""
    data = request.data
    if hasattr(data, "lists"):  # a QueryDict from a form body
        data = dict(data.lists())
    body = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    raw = f"{request.method}\n{request.path}\n{body}"
    return hashlib.sha256(raw.encode()).hexdigest()


def _replay(record, fingerprint):
    if record.request_hash != fingerprint:
        return error_response(
            422,
            "idempotency_key_reused",
            f"This {HEADER} was already used with a different request; use a new key for a new request.",
        )
    return Response(record.response_body, status=record.response_status, headers={REPLAY_HEADER: "true"})


def idempotent(method):
    """Make an APIView write method replay its first successful response for a repeated key."""

    @functools.wraps(method)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        user = request.user
        if key is None or not (user and user.is_authenticated):
            return method(self, request, *args, **kwargs)
        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            return error_response(
                400, "invalid", f"{HEADER} must be 1 to {MAX_KEY_LENGTH} characters.", {HEADER: ["Invalid key."]}
            )
        fingerprint = request_fingerprint(request)
        try:
            with transaction.atomic():
                try:
                    with transaction.atomic():
                        record = IdempotencyRecord.objects.create(
                            user=user, key=key, method=request.method, path=request.path[:500], request_hash=fingerprint
                        )
                except IntegrityError:
                    # Someone else holds the key and has committed: replay their answer.
                    record = IdempotencyRecord.objects.get(user=user, key=key)
                    return _replay(record, fingerprint)
                response = method(self, request, *args, **kwargs)
                if response.status_code >= 400:
                    # Only a success is remembered; a failed attempt may be retried with the same key.
                    raise _Discard(response)
                record.response_status = response.status_code
                record.response_body = json.loads(JSONRenderer().render(response.data) or b"null")
                record.save(update_fields=["response_status", "response_body"])
                return response
        except _Discard as discarded:
            return discarded.response

    return wrapper
