"""Errors to Sentry, or any service that speaks its protocol (GlitchTip, a self-hosted Sentry), when
SENTRY_DSN is set (README "Running it"). settings.py imports this module only then: without a DSN nothing of
sentry-sdk is loaded and nothing is sent.

An error report leaves the organisation's hands, so it carries no person's data: no user, cookies or
client address (send_default_pii=False), no request body or query string (they hold what people typed:
comments, names, emails), no local variables of the stack (a comment's text is a local variable of the code
that saves it), no data of breadcrumbs (a query's parameters) and no log record's extras; and every email
address left anywhere in the report (an exception's message, a log line) is replaced. What stays says
where it failed: the exception, the stack's files and lines, the view, the request's method and path (with
invitation and unsubscribe tokens hidden), and the request id, which the person's response carried."""

import re

import sentry_sdk
from sentry_sdk.integrations.django import DjangoIntegration

from peerplan.lib import logs

EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
HIDDEN = "[hidden]"
# Request fields that hold what a person sent; the URL (path) and method stay.
REQUEST_FIELDS_DROPPED = ("data", "cookies", "query_string", "env")


def start(dsn, *, environment, release=None, transport=None):
    """Send errors to `dsn` from now on (`transport`: where envelopes go instead of the network, for tests)."""
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release or None,
        integrations=[DjangoIntegration()],
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        before_send=scrub,
        before_breadcrumb=scrub_breadcrumb,
        transport=transport,
    )


def _without_emails(value):
    """Every string without email addresses, nor credentials in an address it quotes (a log line's path)."""
    if isinstance(value, str):
        return logs.hide_credentials(EMAIL.sub(HIDDEN, value))
    if isinstance(value, dict):
        return {key: _without_emails(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_without_emails(item) for item in value]
    return value


def _frames(event):
    for holder in (event.get("exception") or {}).get("values") or [], (event.get("threads") or {}).get("values") or []:
        for value in holder:
            yield from (value.get("stacktrace") or {}).get("frames") or []


def scrub(event, hint):
    """before_send: the report without anything a person typed or is known by (the module's docstring)."""
    request = event.get("request") or {}
    for field in REQUEST_FIELDS_DROPPED:
        request.pop(field, None)
    if isinstance(request.get("url"), str):
        request["url"] = logs.hide_credentials(request["url"])
    headers = request.get("headers") or {}
    for header in list(headers):
        if header.lower() in ("referer", "cookie", "authorization", "x-forwarded-for", "x-real-ip"):
            del headers[header]
    for frame in _frames(event):
        frame.pop("vars", None)
    event.pop("extra", None)
    event.pop("user", None)
    for breadcrumb in (event.get("breadcrumbs") or {}).get("values") or []:
        breadcrumb.pop("data", None)
    request_id = logs.request_id.get()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    return _without_emails(event)


def scrub_breadcrumb(breadcrumb, hint):
    """A breadcrumb (a log line, a query) keeps its message without email addresses, and none of its data."""
    breadcrumb.pop("data", None)
    return _without_emails(breadcrumb)
