"""Where a page's server time goes, in one process: each page read right after an in-place status change of
one of its organisation's actions (a cache miss, as bench/run.py's miss run makes it), the floors read back
to back with it, so their ratio survives a busy machine.

Run against a database bench/run.py (or seed_demo) seeded, with the benchmark's settings:

    export DEBUG=false SECRET_KEY=... ALLOWED_HOSTS=testserver SECURE_SSL_REDIRECT=false SECURE_COOKIES=false \\
      DJANGO_SETTINGS_MODULE=bench.settings SQLITE_PATH=bench/results/bench-1000x10x1.sqlite3 STATIC_ROOT=/tmp/s
    .venv/bin/python manage.py collectstatic --noinput -v0
    .venv/bin/python bench/profile_pages.py --requests 50 [--large] [--profile dashboard]

Each request goes through Django's WSGI handler (the whole middleware stack, as gunicorn calls it) with the
demo owner's session cookie; the CPU is this process's (time.process_time). --large measures the large
organisation's pages too, as one of its owners (bench/large_organisation.py builds it the first time). --profile PAGE prints that page's miss profile (cProfile, top 25 by cumulative time); --sql each page's
miss queries.
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import time

import django

# The checkout it is run from (another checkout's code can be measured with this script: A/B on one machine).
sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
django.setup()

# Django is set up above: models can be imported only after it.
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.client import RequestFactory  # noqa: E402

from bench.large_organisation import build_large_organisation  # noqa: E402
from evidence.models import Theme  # noqa: E402
from peerplan.models import (  # noqa: E402
    Checklist,
    Membership,
    Mitigation,
    Organisation,
    Role,
)
from peerplan.operations.mitigations import update_mitigation  # noqa: E402

PAGES = [
    ("floor", "/bench/floor", False),
    ("signed-in floor", "/bench/signed-in-floor/{slug}/", True),
    ("evidence index", "/evidence/", False),
    ("theme page", "/evidence/themes/{theme}/", False),
    ("start page", "/app/", True),
    ("organisation", "/app/orgs/{slug}/", True),
    ("dashboard", "/app/orgs/{slug}/dashboard/", True),
    ("coverage", "/app/orgs/{slug}/coverage/", True),
    ("checklist", "/app/checklists/{checklist}/", True),
    ("my actions", "/app/my-actions/", True),
    ("action list", "/app/orgs/{slug}/actions/", True),
    ("item", "/app/items/{item}/", True),
    ("export csv", "/app/checklists/{checklist}/export.csv", True),
]


def targets(slug):
    checklist = Checklist.objects.filter(organisation__slug=slug, status="active").order_by("pk").first()
    item = checklist.items.filter(applies=True, mitigations__isnull=False).order_by("pk").first()
    theme = Theme.objects.annotate(n=Count("findings__perspectives")).order_by("-n", "pk").first()
    return {"slug": slug, "checklist": checklist.pk, "item": item.pk, "theme": theme.slug}


def large_organisation_owner():
    """One of the large organisation's owners (bench/run.py signs in as the same one), built the first time."""
    organisation = Organisation.objects.filter(slug="large-trust").first() or build_large_organisation()
    return Membership.objects.filter(organisation=organisation, role=Role.OWNER).order_by("pk").first().user


class Writer:
    """The write before each read, as bench/run.py's miss run makes it: an in-place status change (between in
    progress and planned) of the first action of the organisation's first active checklist, by the reader. A
    real change, so kept fragments that show the action are drawn again, as after a person's change."""

    def __init__(self, slug, user):
        checklist = Checklist.objects.filter(organisation__slug=slug, status="active").order_by("pk").first()
        self.action_id = checklist.mitigations.order_by("pk").values_list("pk", flat=True).first()
        self.user = user

    def write(self):
        action = Mitigation.objects.get(pk=self.action_id)
        status = "planned" if action.status == "in_progress" else "in_progress"
        update_mitigation(mitigation_id=action.pk, changes={"status": status}, version=action.version, by=self.user)


def reader_for(user):
    client = Client()
    client.force_login(user, backend=settings.AUTHENTICATION_BACKENDS[1])
    client.get("/accounts/login/")  # the CSRF cookie, as a browser holds it
    return Reader({name: morsel.value for name, morsel in client.cookies.items()})


# Where a request's time goes: (what, file, function) whose cumulative time is reported per request. They
# overlap (a query run while rendering counts in both), so they do not add up to the whole.
PARTS = [
    ("whole request", "django/core/handlers/wsgi.py", "__call__"),
    ("queries (SQL run, rows fetched)", "django/db/backends/utils.py", "_execute_with_wrappers"),
    ("queries compiled (as_sql)", "django/db/models/sql/compiler.py", "as_sql"),
    ("querysets built (filter/annotate)", "django/db/models/query.py", "_filter_or_exclude"),
    ("model instances made (from_db)", "django/db/models/base.py", "from_db"),
    ("templates rendered", "django/template/base.py", "render"),
    ("URLs reversed", "django/urls/base.py", "reverse"),
    ("static URLs", "django/templatetags/static.py", "handle_simple"),
    ("page cache (cached_body, render included)", "peerplan/pages/page_cache.py", "cached_body"),
    ("cache reads", "django/core/cache/backends/db.py", "get_many"),
    ("cache writes", "django/core/cache/backends/db.py", "set"),
    ("body compression", "zlib", "compress"),
    ("session read", "django/contrib/sessions/backends/base.py", "_get_session"),
    ("the person (auth get_user)", "django/contrib/auth/__init__.py", "get_user"),
    ("unread count", "peerplan/notify/context.py", "unread_count"),
    ("two-factor rule", "peerplan/models/organisations.py", "shuts_out"),
    ("forms built", "django/forms/forms.py", "__init__"),
]


def where_the_time_goes(stats, requests):
    lines = []
    for label, filename, function in PARTS:
        cumulative = max(
            (
                ct
                for (file, _line, func), (_cc, _nc, _tt, ct, _callers) in stats.stats.items()
                # A C function is listed as ("~", 0, "<built-in method zlib.compress>").
                if (func == function and filename in file) or func == f"<built-in method {filename}.{function}>"
            ),
            default=0.0,
        )
        lines.append(f"  {label:<45} {cumulative / requests * 1000:7.2f} ms")
    return "\n".join(lines)


class Reader:
    """GETs through the WSGI handler with a fixed set of cookies, as wrk sends them."""

    def __init__(self, cookies):
        self.handler = get_wsgi_application()
        self.factory = RequestFactory()
        self.cookies = cookies

    def get(self, path, signed_in):
        environ = self.factory._base_environ(PATH_INFO=path, REQUEST_METHOD="GET", QUERY_STRING="")
        if signed_in:
            environ["HTTP_COOKIE"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        status = []
        body = self.handler(environ, lambda s, headers, exc_info=None: status.append(s))
        size = sum(len(chunk) for chunk in body)
        if hasattr(body, "close"):
            body.close()
        if not status[0].startswith("200"):
            raise SystemExit(f"{path}: {status[0]}")
        return size


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=30, help="reads of each page (default 30)")
    parser.add_argument("--large", action="store_true", help="the large organisation's pages too")
    parser.add_argument("--profile", help="a page's name: print its miss profile")
    parser.add_argument("--only", action="append", help="measure only these pages (and the floors)")
    parser.add_argument(
        "--sql", action="store_true", help="print each page's miss queries (their first 160 characters)"
    )
    args = parser.parse_args(argv)

    owner = get_user_model().objects.get(email="owner@demo.peerplan.test")
    readers = {"benchmark": reader_for(owner)}
    writers = {"benchmark": Writer("riverside-demo", owner)}
    sizes = [("benchmark", "riverside-demo")]
    if args.large:
        large_owner = large_organisation_owner()
        readers["large"] = reader_for(large_owner)
        writers["large"] = Writer("large-trust", large_owner)
        sizes.append(("large", "large-trust"))
    pages = [
        (size, name, template.format(**targets(slug)), signed_in)
        for size, slug in sizes
        for name, template, signed_in in PAGES
        if not args.only or name in args.only or "floor" in name
        if size == "benchmark" or signed_in
    ]
    for size, _name, path, signed_in in pages:  # warm every cache, template and connection
        readers[size].get(path, signed_in)

    cpu = {(size, name): 0.0 for size, name, *_ in pages}
    queries = {}
    for _ in range(args.requests):
        for size, name, path, signed_in in pages:
            writers[size].write()
            before = time.process_time()
            readers[size].get(path, signed_in)
            cpu[size, name] += time.process_time() - before
    for size, name, path, signed_in in pages:
        writers[size].write()
        connection.force_debug_cursor = True
        connection.queries_log.clear()
        readers[size].get(path, signed_in)
        queries[size, name] = len(connection.queries_log)
        connection.force_debug_cursor = False
        if args.sql:
            print(f"== {size}: {name}")
            for query in connection.queries_log:
                print(f"  {query['time']:>6} {query['sql'][:160]}")

    floor = cpu["benchmark", "floor"] / args.requests * 1000
    signed_in_floor = cpu["benchmark", "signed-in floor"] / args.requests * 1000
    print(f"{'size':<10} {'page':<18} {'miss ms':>8} {'÷ floor':>8} {'÷ signed-in':>12} {'queries':>8}")
    for size, name, *_ in pages:
        ms = cpu[size, name] / args.requests * 1000
        print(f"{size:<10} {name:<18} {ms:8.2f} {ms / floor:8.2f} {ms / signed_in_floor:12.2f} {queries[size, name]:8}")

    if args.profile:
        for size, name, path, signed_in in pages:
            if name != args.profile:
                continue
            profile = cProfile.Profile()
            for _ in range(args.requests):
                writers[size].write()
                profile.enable()
                readers[size].get(path, signed_in)
                profile.disable()
            out = io.StringIO()
            stats = pstats.Stats(profile, stream=out)
            stats.sort_stats("cumulative").print_stats(25)
            print(f"\n== {size}: {name} miss, {args.requests} requests ==")
            print(where_the_time_goes(stats, args.requests))
            print(out.getvalue())


if __name__ == "__main__":
    main()
