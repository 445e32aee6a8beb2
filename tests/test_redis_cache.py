"""Redis as the shared cache (CACHE_URL): the setting, an outage that degrades instead of failing, and two
"hosts" sharing one Redis. Every test here that needs Redis starts a throwaway redis-server of its own
(tests/redis_server.py), so they run on both passes of CI, whatever CACHE_URL the suite itself has."""

import json
import logging
import re
import threading
import time
from html.parser import HTMLParser

import pyotp
import pytest
from django.test import Client

from evidence.models import Perspective
from peerplan.lib import cache_backends
from peerplan.models import Invitation
from tests.api_helpers import call, token_for
from tests.factories import PASSWORD, make_checklist
from tests.production import Browser, gunicorn, manage, production_env, unexpected_tracebacks
from tests.redis_server import redis_server
from tests.worlds import SECRET as TWO_FACTOR_SECRET
from tests.worlds import turn_on_two_factor

BACKEND = "peerplan.lib.cache_backends.RedisCache"
SHOW_CACHE = """
import json
from django.conf import settings
print(json.dumps({"cache": settings.CACHES["default"], "sessions": settings.SESSION_ENGINE}))
"""


# The setting ---------------------------------------------------------------------------------------------


def test_cache_url_switches_the_cache_to_redis_and_sessions_are_kept_in_the_database_too():
    result = manage("shell", "-c", SHOW_CACHE, env=production_env(CACHE_URL="redis://10.0.0.5:6380/2"))

    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout.strip().splitlines()[-1])
    assert shown["cache"]["BACKEND"] == BACKEND
    assert shown["cache"]["LOCATION"] == "redis://10.0.0.5:6380/2"
    assert shown["cache"]["OPTIONS"] == {"socket_connect_timeout": 0.5, "socket_timeout": 1.0}
    # Read from the cache, kept in the database too: a Redis restart must not sign anyone out.
    assert shown["sessions"] == "django.contrib.sessions.backends.cached_db"


def test_without_cache_url_the_database_cache_is_the_default():
    result = manage("shell", "-c", SHOW_CACHE, env=production_env())

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])["cache"]["BACKEND"] == (
        "peerplan.lib.cache_backends.DatabaseCache"
    )


@pytest.mark.parametrize(
    "url, message",
    [
        ("memcached://cache:s3cret@10.0.0.5:11211", "CACHE_URL must be a redis://, rediss:// or unix:// URL"),
        ("10.0.0.5:6379", "CACHE_URL must be a redis://, rediss:// or unix:// URL"),
        ("redis://:s3cret@10.0.0.5:port/0", "CACHE_URL has a port that is not a number"),
        ("redis://:s3cret@10.0.0.5:6379/cache", "CACHE_URL's path must be a database number"),
        ("redis:///0", "CACHE_URL needs a host"),
    ],
)
def test_a_cache_url_that_is_not_redis_stops_start_up_with_a_clear_message(url, message):
    result = manage("check", env=production_env(CACHE_URL=url))

    assert result.returncode != 0
    assert message in result.stderr
    assert "s3cret" not in result.stderr  # the message never repeats a password
    assert "Traceback" not in result.stderr.split("ImproperlyConfigured")[-1]


def test_check_deploy_is_clean_with_redis_as_the_cache():
    """Start-up reads the URL without connecting: a Redis started after PeerPlan is fine."""
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(CACHE_URL="redis://10.0.0.5/0"))

    assert result.returncode == 0, result.stdout + result.stderr


# An outage, in-process through the test client -------------------------------------------------------------


@pytest.fixture
def redis(settings, tmp_path, monkeypatch):
    """The default cache on a throwaway Redis; the backend tries again 0.2 s after a failure (5 s in
    production) and starts with nothing known about that server."""
    monkeypatch.setattr(cache_backends, "_HEALTH", {})
    monkeypatch.setattr(cache_backends.RedisCache, "RETRY_AFTER", 0.2)
    with redis_server(tmp_path) as server:
        settings.CACHES = {
            **settings.CACHES,
            "default": {
                "BACKEND": BACKEND,
                "LOCATION": server.url,
                "TIMEOUT": None,
                "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
            },
        }
        yield server


def sign_in(client, user):
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content[:2000]
    return response


def warnings(caplog, text):
    return [r.getMessage() for r in caplog.records if r.name == "peerplan.cache" and text in r.getMessage()]


def test_with_redis_killed_every_page_answers_uncached_and_people_still_sign_in(
    redis, client, planner, owner, manager, org_a, caplog
):
    caplog.set_level(logging.WARNING, logger="peerplan.cache")
    checklist = make_checklist(org_a, "Peer support plan", by=planner)
    theme = Perspective.objects.select_related("finding__theme").first().finding.theme
    pages = [
        "/",
        "/evidence/",
        "/evidence/?valence=challenge",
        f"/evidence/themes/{theme.slug}/",
        "/app/",
        f"/app/orgs/{org_a.slug}/",
        f"/app/checklists/{checklist.pk}/",
    ]
    sign_in(client, planner)
    seen = {}
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        seen[page] = response.content.decode()
    assert redis.keys("*evidence:page:*"), "the evidence pages were cached in Redis"
    assert redis.keys("*evidence:generation")

    redis.kill()

    for _ in range(3):
        for page in pages:
            response = client.get(page)
            assert response.status_code == 200, page  # still signed in: sessions are in the database
            assert theme.name in response.content.decode() or page in ("/", "/app/", f"/app/orgs/{org_a.slug}/")
    assert client.get(f"/evidence/themes/{theme.slug}/").content.decode().count(theme.name) == seen[
        f"/evidence/themes/{theme.slug}/"
    ].count(theme.name)
    # Signing in works (the lock-out counts in the database); so do the limits that count in the cache,
    # which let requests through while it is down.
    newcomer = Client()
    sign_in(newcomer, planner)
    assert newcomer.get("/app/").status_code == 200
    signup = Client().post(
        "/accounts/signup/",
        {
            "name": "Sam",
            "email": "sam@example.org",
            "password1": "a-long-pass-phrase-9",
            "password2": "a-long-pass-phrase-9",
        },
    )
    assert signup.status_code == 302 and signup["Location"] == "/accounts/confirm-email/"
    assert Client().post("/accounts/password/reset/", {"email": planner.email}).status_code == 302
    secret = token_for(planner, org_a)
    assert call(Client(), "GET", "/api/organisations/", secret).status_code == 200
    inviter = Client()
    inviter.force_login(owner)
    invited = inviter.post(f"/app/orgs/{org_a.slug}/members/invite/", {"email": "new@example.org", "role": "planner"})
    assert invited.status_code == 302 and Invitation.objects.filter(email="new@example.org").exists()
    # Two-factor sign-in too (allauth notes each code used in the cache, to refuse it a second time).
    turn_on_two_factor(manager)
    second_factor = Client()
    assert sign_in(second_factor, manager)["Location"] == "/accounts/2fa/authenticate/"
    answer = second_factor.post("/accounts/2fa/authenticate/", {"code": pyotp.TOTP(TWO_FACTOR_SECRET).now()})
    assert answer.status_code == 302 and answer["Location"] == "/app/"
    assert second_factor.get("/app/").status_code == 200
    # One warning for the whole outage so far, not one per cache call (there were dozens).
    assert len(warnings(caplog, "is failing")) == 1, caplog.text
    assert f"127.0.0.1:{redis.port}/0" in warnings(caplog, "is failing")[0]

    redis.start()  # empty, as a Redis restarted without persistence
    time.sleep(0.3)

    assert client.get(f"/evidence/themes/{theme.slug}/").status_code == 200
    assert redis.keys("*evidence:page:*"), "caching resumed"
    assert len(warnings(caplog, "answers again after")) == 1
    assert client.get("/app/").status_code == 200


class _Forms(HTMLParser):
    """The fields a browser would send for each POST form of a page (no submit buttons, no files)."""

    def __init__(self):
        super().__init__()
        self.forms, self._select, self._textarea = [], None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self.forms.append([])
        if not self.forms or "disabled" in attrs:
            return
        fields = self.forms[-1]
        if tag == "input" and attrs.get("name"):
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind not in ("submit", "button", "file", "image"):
                fields.append((attrs["name"], attrs.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select":
            self._select = attrs.get("name")
        elif tag == "option" and self._select and "selected" in attrs:
            fields.append((self._select, attrs.get("value", "")))
        elif tag == "textarea":
            self._textarea = attrs.get("name")
            fields.append((self._textarea, ""))

    def handle_data(self, data):
        if self._textarea:
            name, value = self.forms[-1][-1]
            self.forms[-1][-1] = (name, value + data)

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            name, value = self.forms[-1][-1]
            self.forms[-1][-1] = (name, value[1:] if value.startswith("\n") else value)  # as a browser drops it
            self._textarea = None


def admin_form(page, **changes):
    """What a browser sends for the admin's change form (the page's form with these fields), with `changes`
    typed over it."""
    parser = _Forms()
    parser.feed(page)
    form = next(fields for fields in parser.forms if set(changes) <= {name for name, _ in fields})
    return [*((name, changes.get(name, value)) for name, value in form), ("_save", "Save")]


def as_dict(pairs):
    data = {}
    for name, value in pairs:
        data.setdefault(name, []).append(value)
    return data


def test_a_write_lost_while_redis_was_down_is_not_served_stale_when_it_comes_back_with_its_old_data(
    redis, client, curator, caplog
):
    """Redis goes down holding a cached theme page (and saved it to disk, as a Redis with persistence
    does); a curator changes a finding meanwhile, so the new evidence generation cannot be stored; Redis
    comes back with the old generation and the old page. Readers must get the new text, not the page
    Redis still holds: the backend empties Redis before using it again."""
    caplog.set_level(logging.WARNING, logger="peerplan.cache")
    perspective = Perspective.objects.select_related("finding__theme").first()
    url = f"/evidence/themes/{perspective.finding.theme.slug}/"
    reader = Client()
    assert reader.get(url).status_code == 200  # cached
    client.force_login(curator)
    change = f"/admin/evidence/perspective/{perspective.pk}/change/"
    form = admin_form(client.get(change).content.decode(), summary="Revised after the curators' review.")
    form.append(("change_kind", "minor"))  # a change of the text is minor or major
    redis.kill(snapshot=True)

    response = client.post(change, as_dict(form))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert "Revised after the curators&#x27; review." in reader.get(url).content.decode()  # uncached

    redis.start()
    assert redis.keys("*evidence:page:*"), "Redis came back with the page cached before the change"
    time.sleep(0.3)

    assert "Revised after the curators&#x27; review." in reader.get(url).content.decode()
    assert warnings(caplog, "emptied it, since writes were lost meanwhile")
    assert "Revised after the curators&#x27; review." in reader.get(url).content.decode()  # now from Redis
    assert redis.keys("*evidence:page:*")


def test_a_long_outage_is_logged_again_each_minute_with_the_calls_it_cost(redis, client, db, caplog, monkeypatch):
    """While Redis stays down, one more warning a minute (WARN_EVERY), saying how many cache calls were
    answered as misses meanwhile; nothing in between. On a clock of the test's own."""
    now = [1000.0]
    monkeypatch.setattr(cache_backends, "clock", lambda: now[0])
    caplog.set_level(logging.WARNING, logger="peerplan.cache")
    redis.kill()
    for _ in range(5):
        assert client.get("/evidence/").status_code == 200
    now[0] += 30
    assert client.get("/evidence/").status_code == 200
    assert len(warnings(caplog, "is failing")) == 1 and not warnings(caplog, "still failing")

    now[0] += 31
    assert client.get("/evidence/").status_code == 200

    [again] = warnings(caplog, "still failing")
    assert "is still failing after 61 s (Error 111" in again, again
    calls = int(re.search(r": (\d+) cache calls answered as misses in the last 61 s", again).group(1))
    assert calls > 6, again


def test_a_hung_redis_costs_one_socket_timeout_now_and_then_not_one_per_cache_call(redis, client, db, monkeypatch):
    """Redis paused: it accepts connections and answers nothing. The first cache call waits for the
    socket timeout (1 s); the backend then leaves Redis alone for RETRY_AFTER (5 s), answering misses."""
    monkeypatch.setattr(cache_backends.RedisCache, "RETRY_AFTER", 5.0)
    pages = ["/evidence/", "/evidence/?valence=challenge", "/evidence/?valence=benefit", "/accounts/login/"]

    def read_every_page_three_times():
        started = time.monotonic()
        for _ in range(3):
            for page in pages:
                assert client.get(page).status_code == 200
        return time.monotonic() - started

    usual = read_every_page_three_times()  # with Redis answering (and the pages cached)
    redis.pause()
    try:
        hung = read_every_page_three_times()
    finally:
        redis.resume()
    # At least the one timeout; at most a few (one more each 5 s if this machine is slow), not one per call:
    # a dozen pages make dozens of cache calls, 46 s of timeouts without the pause between tries.
    assert hung > 0.9, (hung, usual)
    assert hung < usual + 3.5, (hung, usual)


# Over real HTTP: gunicorn with production settings ---------------------------------------------------------

SET_UP = """
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group, User
from peerplan.models import Membership, Organisation
org = Organisation.objects.create(name="Hillside Trust", slug="hillside")
for name, staff in (("curator", True), ("planner", False)):
    user = User.objects.create_user(name, f"{name}@example.org", "{password}", is_staff=staff)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    if staff:
        user.groups.add(Group.objects.get(name="Curators"))
    else:
        Membership.objects.create(organisation=org, user=user, role="planner")
"""
SITE_PASSWORD = "a-long-site-password-7"


@pytest.fixture(scope="module")
def site_env(database_env, collected_static):
    """Production settings over plain HTTP on a migrated database (of the run's kind) with a curator and a
    planner of "hillside"; each test adds the CACHE_URL of its own Redis."""
    env = production_env(
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        SECURE_COOKIES="false",
        STATIC_ROOT=collected_static,
        AXES_FAILURE_LIMIT="1000",
        **database_env,
    )
    result = manage("shell", "-c", SET_UP.replace("{password}", SITE_PASSWORD), env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    return env


def browser_signed_in(url, login):
    browser = Browser(url)
    status, _, page = browser.request("/accounts/login/")
    assert status == 200
    data = {"login": login, "password": SITE_PASSWORD, "csrfmiddlewaretoken": browser.csrf_token(page)}
    status, headers, _ = browser.request("/accounts/login/", data)
    assert status == 302, status
    return browser


def test_gunicorn_keeps_serving_when_redis_is_killed_mid_run_and_caches_again_when_it_is_back(site_env, tmp_path):
    with redis_server(tmp_path) as redis:
        env = {**site_env, "CACHE_URL": redis.url}
        with gunicorn(env, tmp_path / "gunicorn.log", workers=2) as server:
            planner = browser_signed_in(server.url, "planner@example.org")
            pages = [
                "/evidence/",
                "/evidence/?valence=challenge",
                "/app/",
                "/app/orgs/hillside/",
                "/api/evidence/",
                "/healthz",
            ]
            for page in pages:
                assert planner.request(page)[0] == 200, page
            assert redis.keys("*evidence:page:*")

            answers, stop = [], threading.Event()

            def reader():
                anonymous = Browser(server.url)
                while not stop.is_set():
                    answers.append(anonymous.request("/evidence/?group=Service+users")[0])

            thread = threading.Thread(target=reader)
            thread.start()
            try:
                time.sleep(0.5)
                redis.kill()
                killed_at = len(answers)
                time.sleep(1.5)
                for page in pages:
                    assert planner.request(page)[0] == 200, page  # still signed in
                newcomer = browser_signed_in(server.url, "curator@example.org")
                assert newcomer.request("/app/curation/")[0] == 200  # a curator's home
                status, _, _ = Browser(server.url).request("/accounts/password/reset/")
                assert status == 200
            finally:
                stop.set()
                thread.join(timeout=30)
            assert len(answers) > killed_at + 3, "the reader kept going through the outage"
            assert set(answers) == {200}, sorted(set(answers))
            log = server.log()
            failing = re.findall(r"The Redis cache at redis://127\.0\.0\.1:\d+/0 is failing", log)
            assert 1 <= len(failing) <= 2, log  # once per worker, not once per cache call

            redis.start()
            deadline = time.monotonic() + 20  # each worker tries Redis again 5 s after its last failure
            while not redis.keys("*evidence:page:*") and time.monotonic() < deadline:
                assert planner.request("/evidence/")[0] == 200
                time.sleep(0.2)
            assert redis.keys("*evidence:page:*"), "caching resumed"
            assert "answers again" in server.log()
            assert unexpected_tracebacks(server.log()) == []


def test_two_hosts_sharing_redis_see_a_write_through_one_on_the_next_read_through_the_other(site_env, tmp_path):
    """Two gunicorn servers (two "hosts": their own processes and ports) on one database and one Redis. A
    reader has the theme page cached through host B; a curator changes a finding through host A's admin;
    the reader's next request to host B shows the change. Had each host its own cache, B would still serve
    the page it cached."""
    with redis_server(tmp_path) as redis:
        env = {**site_env, "CACHE_URL": redis.url}
        found = manage(
            "shell",
            "-c",
            "from evidence.models import Perspective; p = Perspective.objects.select_related('finding__theme')"
            ".first(); print(p.pk, p.finding.theme.slug)",
            env=env,
        )
        pk, slug = found.stdout.split()[-2:]
        with (
            gunicorn(env, tmp_path / "a.log", workers=1) as host_a,
            gunicorn(env, tmp_path / "b.log", workers=1) as host_b,
        ):
            reader = Browser(host_b.url)
            status, _, before = reader.request(f"/evidence/themes/{slug}/")
            assert status == 200
            assert redis.keys("*evidence:page:*"), "host B cached the page in the shared Redis"
            assert reader.request(f"/evidence/themes/{slug}/")[2] == before  # and serves it from there

            curator = browser_signed_in(host_a.url, "curator@example.org")
            change = f"/admin/evidence/perspective/{pk}/change/"
            status, _, page = curator.request(change)
            assert status == 200
            text = "Revised on host A by the curators."
            form = [*admin_form(page.decode(), summary=text), ("change_kind", "minor")]
            status, _, answer = curator.request(change, form)
            assert status == 302, answer.decode()[:3000]

            status, _, after = reader.request(f"/evidence/themes/{slug}/")
            assert status == 200
            assert text in after.decode()
            assert text not in before.decode()
            logs = host_a.log() + host_b.log()
        assert unexpected_tracebacks(logs) == []
        assert "peerplan.cache" not in logs and "is failing" not in logs
