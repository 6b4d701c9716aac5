"""What every API endpoint shares: one error shape, cursor pagination, role permissions."""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, pagination, permissions, status
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
        return error_response(400, "invalid", _first_message(detail) or "Invalid input.", detail, response.headers)
    code = getattr(exc, "default_code", "error")
    if isinstance(exc.detail, dict | list):
        message = _first_message(exc.detail)
    else:
        message = str(exc.detail)
        code = getattr(exc.detail, "code", code)
    response.data = {"detail": message, "code": code}
    return response


class CursorPagination(pagination.CursorPagination):
    """Keyset pagination on the id: stable under inserts and never a deep OFFSET."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


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
