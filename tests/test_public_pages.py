"""The evidence pages for a reader who is not signed in come whole from the cache, before the work a
signed-in request needs (peerplan.middleware.PublicPagesForEveryone): the same page with the same headers
as the view gives, one cache read and nothing else, and never an out-of-date page or anyone's own page."""

import gzip
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware
from django.test import Client
from django.urls import URLResolver, get_resolver

from evidence import cache, views
from evidence.models import Theme
from peerplan.middleware import PublicPagesForEveryone

PAGES = ["/evidence/", "/evidence/themes/workload/"]


def through_the_view(url):
    """The page as the view answers it to a reader who is not signed in (a session cookie that names no
    session takes the whole way)."""
    reader = Client()
    reader.cookies[settings.SESSION_COOKIE_NAME] = "no-such-session"
    return reader.get(url)


def headers(response):
    return {name: value for name, value in response.headers.items() if name != "X-Request-ID"}


@pytest.mark.parametrize("url", PAGES)
def test_a_reader_who_is_not_signed_in_gets_the_views_page_with_its_headers(client, db, url):
    built = through_the_view(url)  # built and stored by the view
    with mock.patch.object(SessionMiddleware, "process_request", wraps=None) as session:
        served = client.get(url)
    session.assert_not_called()  # answered before the session was looked at
    assert served.status_code == built.status_code == 200
    assert served.content == built.content
    assert headers(served) == headers(built)
    assert served["Vary"] == "Cookie, Accept-Encoding" and "frame-ancestors 'none'" in served["Content-Security-Policy"]


@pytest.mark.parametrize("url", PAGES)
def test_a_browser_that_takes_gzip_gets_the_page_compressed_as_it_was_stored(client, db, url):
    built = through_the_view(url)
    served = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert served["Content-Encoding"] == "gzip" and served["Vary"] == "Cookie, Accept-Encoding"
    assert gzip.decompress(served.content) == built.content
    assert int(served["Content-Length"]) == len(served.content) < len(built.content) / 2


@pytest.mark.parametrize("url", PAGES)
def test_it_costs_one_cache_read_and_nothing_else(client, db, url, django_assert_num_queries):
    client.get(url)
    # the evidence generation and the whole page, in one read of the (database) cache
    with django_assert_num_queries(1):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("url", PAGES)
def test_a_page_not_cached_yet_is_built_by_the_view(client, db, url):
    with mock.patch.object(views, "_render_theme", wraps=views._render_theme) as theme_view:
        assert client.get(url).status_code == 200
    assert theme_view.called == ("themes" in url)


def test_a_page_changed_since_it_was_cached_is_never_served(client, db):
    for _ in range(2):  # built, then served from the cache (and kept by this process)
        assert "Workload" in client.get("/evidence/themes/workload/").content.decode()
    Theme.objects.filter(slug="workload").update(name="Workload and time")
    cache.bump()  # what every write to the evidence does (evidence/cache.py)
    assert "Workload and time" in client.get("/evidence/themes/workload/").content.decode()


def test_a_signed_in_reader_gets_their_own_page(client, planner):
    client.get("/evidence/")
    client.force_login(planner)
    page = client.get("/evidence/").content.decode()
    assert "Sign out" in page and "Sign in" not in page


def test_a_filtered_index_goes_to_the_view(client, db):
    client.get("/evidence/")
    page = client.get("/evidence/?valence=nonsense").content.decode()
    assert "Some filters could not be used." in page


def test_an_unknown_theme_is_still_a_404(client, db):
    assert client.get("/evidence/themes/no-such-theme/").status_code == 404
    assert client.get("/evidence/themes/no-such-theme/").status_code == 404


def test_every_page_offered_for_everyone_is_where_the_middleware_looks():
    offered = []

    def walk(patterns, prefix):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif hasattr(pattern.callback, "page_for_everyone"):
                offered.append("/" + prefix + str(pattern.pattern))

    walk(get_resolver().url_patterns, "")
    assert len(offered) == 2
    assert all(path.startswith(PublicPagesForEveryone.PREFIXES) for path in offered)
