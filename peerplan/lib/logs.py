"""Logs as an event stream (README "Running it"): the request id every line of a request carries, and the
JSON lines LOG_FORMAT=json writes, one object per line.

The request id lives in a context variable, set from the moment Django starts a request to the moment it
is finished (start_request and end_request, on Django's request signals: Django logs an answer's "Not Found"
or "Internal Server Error" after every middleware has returned), so a line logged anywhere while answering
(a view, an operation, the cache, Django itself) carries it without being handed the request.
peerplan.middleware.RequestId gives it to the request and the response."""

import contextvars
import json
import logging
import re
import uuid
from datetime import UTC, datetime

request_id = contextvars.ContextVar("request_id", default=None)

# What a proxy may hand us as its request id: short, and only characters that cannot break a log line or
# a header (no spaces, quotes, newlines). Anything else is replaced by our own.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@+=-]{8,128}")

# The request's own fields the JSON line carries when a record has them (peerplan.middleware.RequestId).
REQUEST_FIELDS = ("method", "path", "view", "status", "duration_ms", "queries")


# Addresses with a credential in their path: PeerPlan's unsubscribe, invitation and check-in links, allauth's password
# reset (/key/<uidb36>-<key>/) and email confirmation links. A log or an error report keeps the shape of the
# address, never the credential.
CREDENTIAL_IN_PATH = re.compile(r"/(unsubscribe|invitations|key|confirm-email|check-in)/[^/\s?#\"']+")


def hide_credentials(text):
    return CREDENTIAL_IN_PATH.sub(lambda match: f"/{match.group(1)}/[hidden]", text)


def request_id_from(incoming):
    """The id a request is known by: the proxy's when it sent a sane one, else a new one."""
    if incoming and SANE_REQUEST_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def start_request(sender, environ=None, **kwargs):
    """request_started: the id of the request Django starts (WSGI: from its environ)."""
    request_id.set(request_id_from((environ or {}).get("HTTP_X_REQUEST_ID")))


def end_request(sender, **kwargs):
    """request_finished: lines after it belong to no request."""
    request_id.set(None)


class RequestIdFilter(logging.Filter):
    """Gives every record the id of the request it was logged in (None outside a request: a command)."""

    def filter(self, record):
        record.request_id = request_id.get()
        return True


class HideCredentials(logging.Filter):
    """Takes the credential out of any address a line quotes (Django's "Not Found: /unsubscribe/<token>/")."""

    def filter(self, record):
        message = record.getMessage()
        hidden = hide_credentials(message)
        if hidden != message:
            record.msg, record.args = hidden, ()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request id, the request's
    fields for a request's own line, and the traceback of an exception."""

    def format(self, record):
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for field in REQUEST_FIELDS:
            if hasattr(record, field):
                line[field] = getattr(record, field)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)
