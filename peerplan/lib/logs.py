"""Logs as an event stream (README "Running it"): the request id every line of a request carries, and the
JSON lines LOG_FORMAT=json writes, one object per line.

The request id lives in a context variable, set by peerplan.middleware.RequestId for the length of a
request, so a line logged anywhere below a view (an operation, the cache, Django itself) carries it without
being handed the request."""

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


def request_id_from(incoming):
    """The id a request is known by: the proxy's when it sent a sane one, else a new one."""
    if incoming and SANE_REQUEST_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Gives every record the id of the request it was logged in (None outside a request: a command)."""

    def filter(self, record):
        record.request_id = request_id.get()
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
