"""What PeerPlan does once for every page, so no view can forget it: private caching headers, a refused
operation answered as a page, and what the people who run it see of each request (its id, its log line, its
metrics)."""

import gzip
import logging
import time
from contextlib import ExitStack

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import connections
from django.http import HttpResponse
from django.middleware.gzip import GZipMiddleware, re_accepts_gzip
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils.cache import patch_cache_control, patch_vary_headers
from django_prometheus.middleware import PrometheusAfterMiddleware
from prometheus_client import Histogram

from peerplan.api.errors import is_api
from peerplan.lib import logs
from peerplan.lib.errors import NoLongerMember, Refused

request_log = logging.getLogger("peerplan.request")

# Per request, by view: a page whose count climbs with the data is an N+1 the query pins missed. The sum
# over all requests is the number of queries served.
REQUEST_QUERIES = Histogram(
    "peerplan_http_request_database_queries",
    "Database queries made while answering one request, by view.",
    ["view"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500),
)


def view_name(request):
    """The view's name for a label ("peerplan:checklist"): never the address, which holds ids and tokens."""
    match = getattr(request, "resolver_match", None)
    return (match.view_name if match is not None else None) or "<unnamed view>"


class _QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


class RequestId:
    """Every request has an id: the proxy's X-Request-ID when it sent a sane one, else a new one. Every log
    line written while answering carries it (peerplan/lib/logs.py), the response returns it in X-Request-ID,
    and an error report is tagged with it, so a person's "it failed at 10:02" leads to the lines and the
    report. When the request is answered it logs one line at INFO on `peerplan.request` (method, path,
    view, status, duration, queries), which LOG_FORMAT=json shows, and counts its database queries."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Set when Django started the request (peerplan/lib/logs.py); else (no request signal) set here.
        outside_a_started_request = logs.request_id.get() is None
        request.request_id = logs.request_id.get() or logs.request_id_from(request.headers.get("X-Request-ID"))
        context = logs.request_id.set(request.request_id)
        started = time.perf_counter()
        queries = _QueryCounter()
        try:
            with ExitStack() as stack:
                for connection in connections.all():
                    stack.enter_context(connection.execute_wrapper(queries))
                response = self.get_response(request)
            response["X-Request-ID"] = request.request_id
            view = view_name(request)
            REQUEST_QUERIES.labels(view=view).observe(queries.count)
            path = logs.hide_credentials(request.path)
            request_log.info(
                "%s %s %s",
                request.method,
                path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": path,
                    "view": view,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "queries": queries.count,
                },
            )
            return response
        finally:
            if outside_a_started_request:
                logs.request_id.reset(context)


class RequestMetrics(PrometheusAfterMiddleware):
    """django-prometheus's request metrics (counts by view, method and status; latency by view and method),
    with the method label held to the real methods: a client can send any word as its method, and each
    would otherwise become a series of its own."""

    METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

    def label_metric(self, metric, request, response=None, **labels):
        if "method" in labels and labels["method"] not in self.METHODS:
            labels["method"] = "<invalid method>"
        return super().label_metric(metric, request, response, **labels)


class PrivatePages:
    """`Cache-Control: private, no-store` on every planning page (the `peerplan` namespace: organisation
    data, CSV, Excel and the printable report, whatever their status) and on every answer to a signed-in
    person: neither a shared computer's browser nor a proxy may keep a copy of an organisation's plans."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        user = getattr(request, "user", None)
        if (match is not None and "peerplan" in match.namespaces) or (user is not None and user.is_authenticated):
            patch_cache_control(response, private=True, no_store=True)
        return response


class PublicPagesGZip(GZipMiddleware):
    """Gzip for the pages anyone may read (the evidence, the landing page): an HTML answer to a person who is
    not signed in, with no CSRF token in it. Those hold no secret for BREACH to guess at (an attacker who
    can make a page reflect what they send and watch the compressed length learns a secret on the same page,
    one character at a time). Pages with a person's plans or a form's token are sent as they are: README,
    "Running it", says why, and that a proxy in front must not compress them either. Static files come
    already compressed from WhiteNoise."""

    def process_response(self, request, response):
        user = getattr(request, "user", None)
        if (
            (user is not None and user.is_authenticated)
            or "CSRF_COOKIE_NEEDS_UPDATE" in request.META  # a CSRF token was put in the page
            or not response.get("Content-Type", "").startswith("text/html")
        ):
            return response
        return super().process_response(request, response)


def accepts_gzip(request):
    # As Django's GZipMiddleware reads Accept-Encoding.
    return bool(re_accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", "")))


class PublicPagesForEveryone:
    """The pages that are the same for every reader who is not signed in (the evidence index and its theme
    pages, at their plain addresses), served whole from the cache before the work a signed-in request needs:
    the session, the person, CSRF, messages, htmx, history, allauth, two-factor and lock-out checks. A view
    offers its page by a `page_for_everyone(**url_kwargs)` that answers the cached page, gzip-compressed, or
    None when it is not cached and current (the request then goes the whole way, and the view builds and stores it).

    Only for a GET or HEAD with no query string and no session or messages cookie: anyone signed in, or with
    a message waiting, or asking for a filtered page gets their page from the view as before. Listed after
    the middleware whose headers every page carries (security, frame and content-security policies, the
    request id, compression), so this page carries them too; it varies by Cookie, as the view's does.
    tests/test_public_pages.py holds its answer to the view's, header for header, and pins its work."""

    SKIPPED_IF_SENT = {settings.SESSION_COOKIE_NAME, CookieStorage.cookie_name}
    # Where the views that offer a page for everyone are (peerplan/urls.py), so no other request pays for
    # resolving its address twice (tests/test_public_pages.py checks that every such view is under one).
    PREFIXES = ("/evidence/",)

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.path_info.startswith(self.PREFIXES)
            and request.method in ("GET", "HEAD")
            and not request.META.get("QUERY_STRING")
            and self.SKIPPED_IF_SENT.isdisjoint(request.COOKIES)
        ):
            try:
                match = resolve(request.path_info)
            except Resolver404:
                return self.get_response(request)
            page_for_everyone = getattr(match.func, "page_for_everyone", None)
            page = page_for_everyone(*match.args, **match.kwargs) if page_for_everyone is not None else None
            if page is not None:
                request.resolver_match = match  # for the log line and metrics, which name the view
                # The page comes gzip-compressed: sent so to a browser that takes it (no secret in it for
                # BREACH, as PublicPagesGZip says), else as it is.
                if accepts_gzip(request):
                    response = HttpResponse(page)
                    response.headers["Content-Encoding"] = "gzip"
                else:
                    response = HttpResponse(gzip.decompress(page))
                response.headers["Content-Length"] = str(len(response.content))
                patch_vary_headers(response, ("Cookie", "Accept-Encoding"))
                return response
        return self.get_response(request)


class Refusals:
    """A refused operation (peerplan.lib.errors) that its view did not show where the person works: a page
    that says why, at the refusal's status (400, 403 or 409), with nothing changed. The API answers its
    own refusals in JSON (peerplan.api.errors)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, Refused) or is_api(request):
            return None
        if isinstance(exception, NoLongerMember):
            context = {"organisation_name": exception.organisation_name, "problem": exception}
            return render(request, "peerplan/no_longer_member.html", context, status=exception.status)
        return render(request, "peerplan/refused.html", {"problem": exception}, status=exception.status)
