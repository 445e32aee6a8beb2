"""The people every test can use: in organisation A an owner, a manager, a planner and a viewer;
in organisation B an outsider. Plus a curator. Then organisation A's planning, the same in every module: a
draft checklist, an active one with an item and an action; the API tests' plan and token; and the fixtures
made from tests/worlds.py (a module asks for them by name and never imports a fixture)."""

import os

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from tests.factories import make_member, make_user

# Playwright's sync API runs an asyncio loop in the test thread; without this, ORM calls in browser
# tests (and live_server's database set-up) raise SynchronousOnlyOperation.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _fast_and_quiet(settings, tmp_path_factory):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SECURE_SSL_REDIRECT = False
    # Attachments go to a directory of the test's own, never the checkout's media/.
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))
    # live_server serves /static/ from the finders (unhashed names); the manifest storage would emit
    # hashed URLs that 404 there, and would need collectstatic before every run.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def pytest_collection_modifyitems(config, items):
    """Refuse a test outside tests/browser/ that takes a Playwright fixture's name (`page`, `browser`, even as
    a parametrize argument): Playwright parametrizes it by browser, and pytest then runs it in one group with
    the browser tests, which moves those live-server tests, whose teardown empties the database, in among the
    ordinary tests that expect the published evidence to be there."""
    strays = [
        item.nodeid
        for item in items
        if "browser_name" in getattr(getattr(item, "callspec", None), "params", {})
        and "/browser/" not in item.nodeid.replace("\\", "/")
    ]
    if strays:
        raise pytest.UsageError(
            "Tests outside tests/browser/ use a Playwright fixture name (page, browser, context ...); rename the "
            "argument: " + ", ".join(strays[:5])
        )


@pytest.fixture(autouse=True)
def _a_cache_of_its_own(request, settings):
    """Each test starts with an empty cache. The database cache is emptied with each test's transaction;
    Redis (CACHE_URL, CI's PostgreSQL pass) is not, so it is emptied here: nothing one test cached or
    counted (pages, rate limits) reaches the next. Tests that pin query counts use the database cache even
    then, since their pins count the database cache's queries (tests/settings.py keeps its table)."""
    from evidence.cache import forget_kept_pages

    forget_kept_pages()  # this process's copies of whole evidence pages go with the cache they came from
    if "database" not in settings.CACHES:
        return
    if "django_assert_num_queries" in request.fixturenames:
        settings.CACHES = {**settings.CACHES, "default": settings.CACHES["database"]}
        return
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def org_a(db):
    from peerplan.models import Organisation

    return Organisation.objects.create(name="Northside Mental Health Service", slug="northside")


@pytest.fixture
def org_b(db):
    from peerplan.models import Organisation

    return Organisation.objects.create(name="Southside Trust", slug="southside")


@pytest.fixture
def owner(org_a):
    return make_member(org_a, "olive", "owner", "Olive")


@pytest.fixture
def manager(org_a):
    return make_member(org_a, "maya", "manager", "Maya")


@pytest.fixture
def planner(org_a):
    return make_member(org_a, "pat", "planner", "Pat")


@pytest.fixture
def viewer(org_a):
    return make_member(org_a, "vic", "viewer", "Vic")


@pytest.fixture
def outsider(org_b):
    return make_member(org_b, "otto", "owner", "Otto")


@pytest.fixture
def coordinator(db):
    return make_user("cody", "Cody")


@pytest.fixture
def network(coordinator):
    """A network with one coordinator and no members yet."""
    from peerplan.models import Network

    network = Network.objects.create(name="North East peer support network", slug="north-east")
    network.coordinators.add(coordinator)
    return network


@pytest.fixture
def curator(db):
    user = make_user("cora", "Cora")
    user.is_staff = True
    user.save()
    user.groups.add(Group.objects.get(name="Curators"))
    return user


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Tests on a transactional database (live server, concurrency) start from a flushed database, which
    has lost what the data migrations loaded; put the published evidence back for them."""
    if not {"transactional_db", "live_server"} & set(request.fixturenames):
        return
    request.getfixturevalue("transactional_db")
    from tests.reference_data import ensure_reference_data

    ensure_reference_data()


# Organisation A's planning. Each fixture's defaults are the same everywhere; a module that needs something else
# builds it from these (or from tests/factories.py, tests/worlds.py) under a name of its own.
@pytest.fixture
def draft_checklist(org_a, owner):
    """A draft "Northside plan" by the owner, as the product starts one: every challenge, none decided."""
    from peerplan.operations import checklists

    return checklists.create_checklist_from_evidence(organisation=org_a, title="Northside plan", by=owner)


@pytest.fixture
def active_checklist(org_a, owner):
    """An active "Community team plan" by the owner: the checklist whose work is tracked."""
    from tests.factories import make_checklist

    return make_checklist(org_a, "Community team plan", by=owner)


@pytest.fixture
def item(active_checklist):
    """The active checklist's challenge "Role ambiguity"."""
    from tests.factories import item_for

    return item_for(active_checklist, "Role ambiguity")


@pytest.fixture
def role_statement(item):
    """The starter bank's first statement about the item's challenge (Role ambiguity)."""
    from evidence.models import Statement

    return Statement.objects.filter(theme=item.finding.theme).first()


@pytest.fixture
def check_in(active_checklist, owner):
    """The active checklist's check-in, set up by the owner with the factory's defaults: every applicable
    challenge, five people asked, comments off, the site's threshold."""
    from tests.factories import make_check_in

    return make_check_in(active_checklist, by=owner)


@pytest.fixture
def action(item, planner):
    """A planned action on the item, "Write the PSW job description", owned by the planner."""
    from tests.factories import make_mitigation

    return make_mitigation(item, "Write the PSW job description", owner=planner)


# The API tests' world: the active checklist's item with the planner's action, and the planner's read-write
# token (tests/test_api*.py; a module with a `plan` of its own keeps it).
@pytest.fixture
def plan(active_checklist, item, planner):
    from datetime import date

    from tests.factories import make_mitigation

    mitigation = make_mitigation(item, "Write a role description", owner=planner, due_date=date(2026, 1, 15))
    return {"checklist": active_checklist, "item": item, "mitigation": mitigation}


@pytest.fixture
def secret(planner, org_a):
    from tests.api_helpers import token_for

    return token_for(planner, org_a)


# Made from tests/worlds.py ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def database_template(tmp_path_factory):
    """A migrated database of the run's kind that `database_env` copies (migrated once a session)."""
    from tests import worlds

    yield from worlds.database_template(tmp_path_factory)


@pytest.fixture(scope="module")
def database_env(database_template, tmp_path_factory):
    """Environment variables naming a fresh, migrated database of the same kind as this test run's, one per
    module (its manage.py and gunicorn processes share it)."""
    from tests import worlds

    yield from worlds.fresh_database_env(database_template, tmp_path_factory)


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory):
    """STATIC_ROOT with `collectstatic`'s output under production settings (compressed, fingerprinted), made
    once a session for the modules that serve PeerPlan through gunicorn; they only read it."""
    from tests.production import manage, production_env

    root = tmp_path_factory.mktemp("static")
    result = manage("collectstatic", "--noinput", "-v0", env=production_env(STATIC_ROOT=root))
    assert result.returncode == 0, result.stderr
    return root


@pytest.fixture
def table6(db):
    """Table 6 as published (loaded by the migrations)."""
    from evidence.models import Source

    return Source.objects.get(slug="cooper-2024-table-6")


@pytest.fixture
def example(db):
    """The invented second source (tests/fixtures/example_framework.json) at version 1."""
    from evidence.interchange import import_evidence
    from evidence.models import Source
    from tests import worlds

    import_evidence(worlds.framework())
    return Source.objects.get(slug="example-framework")


@pytest.fixture
def one_of_everything(org_a, owner, planner, viewer, outsider):
    """One of everything in organisation A, as the ids its planning URLs take (the isolation walks)."""
    from tests import worlds

    return worlds.one_of_everything(org_a, owner, planner)


@pytest.fixture
def server_client():
    """A client that answers as the server would (a 500 page, the API's JSON error) instead of raising the
    view's exception in the test."""
    return Client(raise_request_exception=False)
