"""API plumbing every endpoint shares: one error shape, cursor pagination, role permissions."""

import base64
import logging
import sys
import threading
from datetime import datetime

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, RequestDataTooBig
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.template import loader
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.views import csrf, defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, pagination, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from alignment.errors import DomainError
from alignment.models import Role

logger = logging.getLogger(__name__)


def error_response(status_code, code, message, fields=None, headers=None):
    body = {"detail": message, "code": code}
    if fields:
        body["fields"] = fields
    return Response(body, status=status_code, headers=headers)


def _first_message(detail):
    if isinstance(detail, dict):
        for key, value in detail.items():
            return f"{key}: {_first_message(value)}" if key != "non_field_errors" else _first_message(value)
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


def _flat_messages(detail) -> list[str]:
    """A field's messages as a flat list: a list's item or a nested object's field says which."""
    if isinstance(detail, dict):
        return [f"{key}: {message}" for key, value in detail.items() for message in _flat_messages(value)]
    if isinstance(detail, list):
        return [message for item in detail for message in _flat_messages(item)]
    return [str(detail)]


def exception_handler(exc, context):
    """Every error is `{"detail": message, "code": code, "fields"?: {field: [messages]}}`."""
    if isinstance(exc, DomainError):
        return error_response(exc.status_code, exc.code, exc.message, exc.fields)
    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else None
        message = "; ".join(exc.messages)
        return error_response(status.HTTP_400_BAD_REQUEST, "invalid", message, fields)
    if isinstance(exc, RequestDataTooBig):
        return error_response(413, "too_large", "The request body is too large (1 MB at most).")
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        fields = {name: _flat_messages(value) for name, value in detail.items()}
        return error_response(400, "invalid", _first_message(detail) or "Invalid input.", fields, response.headers)
    code = getattr(exc, "default_code", "error")
    if isinstance(exc.detail, dict | list):
        message = _first_message(exc.detail)
    else:
        message = str(exc.detail)
        code = getattr(exc.detail, "code", code)
    response.data = {"detail": message, "code": code}
    return response


class InvalidCursor(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "This cursor is not valid: follow the next and previous links, or start from the first page."
    default_code = "invalid_cursor"


class CursorPagination(pagination.CursorPagination):
    """Keyset pagination on the id: stable under inserts and never a deep OFFSET."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        """A cursor the server did not hand out is bad input (400), not a missing page (404); so is
        one whose position is not a value of the ordering field (it would fail in the query)."""
        encoded = request.query_params.get(self.cursor_query_param)
        try:
            if encoded is not None:
                # Strictly: DRF's own decoding skips characters outside base64, so "!!!" would be page one.
                base64.b64decode(encoded.encode("ascii"), validate=True)
            cursor = super().decode_cursor(request)
        except (exceptions.NotFound, ValueError):
            raise InvalidCursor() from None
        if cursor is not None and cursor.position is not None:
            try:
                field = self._model._meta.get_field(self.ordering[0].lstrip("-"))
            except FieldDoesNotExist:
                return cursor
            try:
                position = field.to_python(cursor.position)
            except (DjangoValidationError, TypeError, ValueError):
                raise InvalidCursor() from None
            # The server hands out aware times; a naive one would be read in the server's zone.
            if isinstance(position, datetime) and timezone.is_naive(position):
                raise InvalidCursor()
        return cursor


def role_permission(*roles):
    class HasRole(permissions.BasePermission):
        message = f"Only a {' or '.join(roles)} may do this."

        def has_permission(self, request, view):
            return bool(request.user and request.user.is_authenticated and request.user.role in roles)

    HasRole.__name__ = "Is" + "Or".join(r.capitalize() for r in roles)
    return HasRole


IsMarketerOrManager = role_permission(Role.MARKETER, Role.MANAGER)
IsRep = role_permission(Role.REP)
IsMarketer = role_permission(Role.MARKETER)
IsManager = role_permission(Role.MANAGER)


# --- input and output serializers ------------------------------------------------------------


# An input serializer that names unknown fields (400) instead of silently dropping them. (A comment,
# not a docstring: the schema would show it on every request body.)
class InputSerializer(serializers.Serializer):
    def to_internal_value(self, data):
        if not hasattr(data, "keys"):
            raise serializers.ValidationError({"non_field_errors": ["Send a JSON object."]}, code="invalid")
        # A browser form posting with its session carries Django's CSRF field: that one is expected.
        unknown = set(data.keys()) - set(self.fields) - {"csrfmiddlewaretoken"}
        errors = {name: ["Unknown field."] for name in sorted(unknown)}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({**exc.detail, **errors}) from None
        if errors:
            raise serializers.ValidationError(errors)
        return value


# Building a serializer's fields costs more than using them: a ModelSerializer of a lead reads the
# model's thirty fields into thirty DRF fields on every instance, a declared one deep-copies them.
# A hot endpoint (capture) keeps one instance of each of its serializers per thread instead. Only for
# serializers that keep no state between calls: no context, no instance, no save.
_reused = threading.local()


def _reused_serializer(serializer_class):
    serializers_by_class = _reused.__dict__.setdefault("serializers", {})
    serializer = serializers_by_class.get(serializer_class)
    if serializer is None:
        serializer = serializers_by_class[serializer_class] = serializer_class()
    return serializer


def validated_data(serializer_class, data) -> dict:
    """`serializer_class(data=data)`'s validated data, from the thread's one instance of it; bad
    data goes the usual way, so its ValidationError is exactly `is_valid(raise_exception=True)`'s."""
    try:
        return _reused_serializer(serializer_class).run_validation(data)
    except serializers.ValidationError:
        serializer = serializer_class(data=data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


def represented(serializer_class, instance) -> dict:
    """`serializer_class(instance).data`, from the thread's one instance of it."""
    return _reused_serializer(serializer_class).to_representation(instance)


class EmptyInputSerializer(InputSerializer):
    """The body of an action that takes none: anything sent is named as an unknown field."""


class ErrorOutputSerializer(serializers.Serializer):
    """The one error shape every endpoint answers with."""

    detail = serializers.CharField()
    code = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)


class UserRefSerializer(serializers.Serializer):
    """A person as every endpoint names one: a lead's owner, an item's assignee, a notice's actor."""

    id = serializers.IntegerField()
    username = serializers.CharField()


# --- errors outside any API view --------------------------------------------------------------


def not_found(request, exception=None):
    """An unknown URL under /api/ answers in the API's error shape; pages get the usual 404 page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
    return defaults.page_not_found(request, exception)


# Exempt: it changes nothing, and a token-authenticated POST to a mistyped URL deserves the JSON 404,
# not the CSRF failure page (CsrfViewMiddleware runs before any view, and this one is not DRF's).
@csrf_exempt
def api_not_found(request, *args, **kwargs):
    """The last route under /api/: whatever no endpoint matched answers the JSON 404, even with DEBUG on
    (where Django's technical 404 page would replace `handler404`). A GET without its trailing slash
    still redirects to the endpoint it names, as Django's APPEND_SLASH would."""
    if settings.APPEND_SLASH and request.method in ("GET", "HEAD") and not request.path_info.endswith("/"):
        try:
            match = resolve(request.path_info + "/", urlconf=getattr(request, "urlconf", None))
        except Resolver404:
            match = None
        if match is not None and match.func is not api_not_found:
            return HttpResponsePermanentRedirect(request.get_full_path(force_append_slash=True))
    return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)


def csrf_failure(request, reason=""):
    """`CSRF_FAILURE_VIEW`: a refused form post under /api/ answers in the API's error shape."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": f"CSRF Failed: {reason}", "code": "permission_denied"},
            status=403,
        )
    return csrf.csrf_failure(request, reason=reason)


# Seconds a client is asked to wait when the database cannot be reached.
UNAVAILABLE_RETRY_AFTER = 5


def server_error(request):
    """`handler500`. While the database cannot be reached (a restart, a failover) the answer is a 503
    to try again shortly, not a 500: the request's transaction was rolled back, nothing half-written,
    and the next request connects afresh. The 503 page needs no database (no user, no session)."""
    if isinstance(sys.exc_info()[1], (OperationalError, InterfaceError)):
        logger.warning("The database is unavailable: answered 503 to %s %s", request.method, request.path)
        if request.path.startswith("/api/"):
            response = JsonResponse(
                {"detail": "The database is unavailable for a moment: try again shortly.", "code": "unavailable"},
                status=503,
            )
        else:
            response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER)
        return response
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Something went wrong on our side.", "code": "server_error"}, status=500)
    return defaults.server_error(request)
