"""Every API error is JSON of one shape: a sentence for people (`detail`) and, for bad input, each problem
with the field it is about (`errors`: [{field, message}], field null when it is about the whole request).

That holds for what Django refuses before (or instead of) DRF too: the root URLconf's handler400, 403, 404
and 500 answer in this shape for addresses under /api/, and the site's pages everywhere else."""

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from peerplan.lib.errors import Refused

NOT_FOUND = "Not found. It does not exist, or this token may not see it."
BAD_INPUT = "Some of what was sent is not valid. Each problem is listed with its field."
BAD_REQUEST = "The request could not be read."
FORBIDDEN = "You may not do this."
SERVER_ERROR = "Something went wrong on the server. It has been logged; please try again."
UNAVAILABLE = "The service is briefly unavailable. Please try again in a minute."


def too_big():
    return f"The body is larger than the {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes the API accepts."


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
    if isinstance(exc, RequestDataTooBig):
        return Response({"detail": too_big(), "errors": []}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, Refused):  # an operation's refusal no endpoint answered more precisely
        return Response({"detail": str(exc), "errors": []}, status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(NOT_FOUND)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or FORBIDDEN)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real server error: Django's 500 handling and logging
    if isinstance(exc, exceptions.ValidationError):
        response.data = {"detail": BAD_INPUT, "errors": field_errors(exc.detail)}
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else response.data
        response.data = {"detail": str(detail), "errors": []}
    return response


# Django's handlers (peerplan/urls.py) -------------------------------------------------------------


def is_api(request):
    return request.path_info == "/api" or request.path_info.startswith("/api/")


def json_error(status_code, detail):
    return JsonResponse({"detail": detail, "errors": []}, status=status_code)


def bad_request(request, exception):
    """handler400: a body over DATA_UPLOAD_MAX_MEMORY_SIZE, a host not in ALLOWED_HOSTS and other
    SuspiciousOperations."""
    if not is_api(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return json_error(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, too_big())
    return json_error(status.HTTP_400_BAD_REQUEST, BAD_REQUEST)


def permission_denied(request, exception):
    if not is_api(request):
        return defaults.permission_denied(request, exception)
    return json_error(status.HTTP_403_FORBIDDEN, FORBIDDEN)


def page_not_found(request, exception):
    if not is_api(request):
        return defaults.page_not_found(request, exception)
    return json_error(status.HTTP_404_NOT_FOUND, NOT_FOUND)


def server_error(request, exception):
    """For handler500 (peerplan.views.home.server_error) under /api/: nothing of the error is told, and an
    unreachable database is a 503 to retry, as on the pages."""
    if isinstance(exception, OperationalError | InterfaceError):
        response = json_error(status.HTTP_503_SERVICE_UNAVAILABLE, UNAVAILABLE)
        response["Retry-After"] = "60"
        return response
    return json_error(status.HTTP_500_INTERNAL_SERVER_ERROR, SERVER_ERROR)
