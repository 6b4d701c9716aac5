"""Body parsers that refuse anything over DATA_UPLOAD_MAX_MEMORY_SIZE with a 413.

Django checks that limit only when it reads `request.body` or `request.POST` itself; DRF's parsers
read the stream directly, so without this a 5 MB JSON body would be parsed in full.
"""

import io

from django.conf import settings
from rest_framework import exceptions, parsers


class RequestTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "The request body is too large (1 MB at most)."
    default_code = "too_large"


def _read_limited(stream) -> bytes:
    """Read at most the limit plus one byte: more is a 413, whatever Content-Length claimed."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is None:
        return stream.read()
    body = stream.read(limit + 1)
    if len(body) > limit:
        raise RequestTooLarge()
    return body


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return super().parse(io.BytesIO(_read_limited(stream)), media_type, parser_context)


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return super().parse(io.BytesIO(_read_limited(stream)), media_type, parser_context)
