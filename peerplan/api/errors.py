"""Every API error is JSON of one shape: a sentence for people (`detail`) and, for bad input, each problem
with the field it is about (`errors`: [{field, message}], field null when it is about the whole request)."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

NOT_FOUND = "Not found. It does not exist, or this token may not see it."
BAD_INPUT = "Some of what was sent is not valid. Each problem is listed with its field."


class ApiError(exceptions.APIException):
    """An answer with a status, a sentence and (optionally) field errors, raised from a view."""

    def __init__(self, status_code, detail, errors=None, headers=None, data=None):
        self.status_code = status_code
        self.errors = errors or []
        self.headers = headers or {}
        self.data = data
        super().__init__(detail)


def field_errors(detail, field=None):
    """DRF's nested error dict/list as a flat list of {field, message}."""
    if isinstance(detail, dict):
        out = []
        for name, value in detail.items():
            name = None if name in ("non_field_errors", "__all__") else name
            prefix = f"{field}.{name}" if field and name else (name or field)
            out.extend(field_errors(value, prefix))
        return out
    if isinstance(detail, list):
        out = []
        for value in detail:
            out.extend(field_errors(value, field))
        return out
    return [{"field": field, "message": str(detail)}]


def form_errors(form):
    """A Django form's errors, each with its field (null for the form as a whole)."""
    return [
        {"field": None if name == "__all__" else name, "message": str(message)}
        for name, messages in form.errors.items()
        for message in messages
    ]


def bad_input(errors):
    return ApiError(status.HTTP_400_BAD_REQUEST, BAD_INPUT, errors)


def exception_handler(exc, context):
    if isinstance(exc, ApiError):
        body = {"detail": str(exc.detail), "errors": exc.errors}
        if exc.data is not None:
            body["current"] = exc.data
        return Response(body, status=exc.status_code, headers=exc.headers)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(NOT_FOUND)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or "You may not do this.")
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real server error: Django's 500 handling and logging
    if isinstance(exc, exceptions.ValidationError):
        response.data = {"detail": BAD_INPUT, "errors": field_errors(exc.detail)}
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else response.data
        response.data = {"detail": str(detail), "errors": []}
    return response
