"""Worlds more than one test module builds on, and the helpers that go with them. Not a test module.

The small shared fixtures (people, `draft_checklist`, `active_checklist`, `item`, `action`) live in
tests/conftest.py; the fixtures made from the worlds here (`database_env`, `one_of_everything`) are registered
there too, so a test module asks for them by name and never imports a fixture."""

import json
import os
import shutil
import uuid
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import dj_database_url
import pyotp
import pytest
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import get_resolver

from evidence.models import Perspective, Source
from peerplan.models import (
    Attachment,
    CheckIn,
    CheckInRecipient,
    Checklist,
    Comment,
    Invitation,
    Item,
    Membership,
    Mitigation,
    Network,
    NetworkMembership,
    Organisation,
    OrganisationExport,
    SuggestedMitigation,
)
from peerplan.notify import events
from peerplan.operations import attachments, checklists, comments, mitigations, networks, organisations
from tests.factories import make_own_source
from tests.production import clean_env, manage

# The invented second source (tests/fixtures/example_framework.json), never real evidence --------------------

FRAMEWORK = Path(__file__).resolve().parent / "fixtures" / "example_framework.json"


def framework(version=1):
    data = json.loads(FRAMEWORK.read_text(encoding="utf-8"))
    data["sources"][0]["version"] = version
    return data


def version_2():
    """Version 2 of the fixture: the barrier of the first theme changes, the second theme is retired,
    and a theme with a barrier and a facilitator is added."""
    data = framework(version=2)
    themes = data["sources"][0]["categories"][0]["themes"]
    themes[0]["findings"][0]["samples"][0]["summary"] += " Revised."
    themes.pop(1)
    themes.append(
        {
            "name": "Peer career pathway",
            "related": [],
            "findings": [
                {
                    "kind": "barrier",
                    "references": [1],
                    "samples": [
                        {"group": "PSWs", "references": [1], "summary": "Fixture text: no route to promotion."}
                    ],
                },
                {
                    "kind": "facilitator",
                    "references": [2],
                    "samples": [{"group": "PSWs", "references": [2], "summary": "Fixture text: a senior peer post."}],
                },
            ],
        }
    )
    return data


def new_source():
    """A second invented source (the framework under another id and name, its themes renamed), never loaded
    by the fixtures: a new source in a release."""
    data = framework(version=1)
    source = data["sources"][0]
    source.update(id="invented-survey", name="Invented survey (test fixture)")
    source["categories"][0]["themes"] = [
        {**theme, "name": f"{theme['name']} (survey)"} for theme in source["categories"][0]["themes"]
    ]
    return data


def item_on(checklist, theme, kind="barrier"):
    """The checklist's item for a finding of the framework (a barrier unless told)."""
    return checklist.items.select_related("finding__theme__category__source").get(
        finding__theme__name=theme, finding__valence=kind
    )


# Two-factor sign-in ------------------------------------------------------------------------------------------

SECRET = pyotp.random_base32()


def turn_on_two_factor(user, secret=SECRET):
    """The person has set up an authenticator app with `secret`; returns their unused recovery codes."""
    TOTP.activate(user, secret)
    return RecoveryCodes.activate(user).get_unused_codes()


# A database of its own for tests that run manage.py and gunicorn in other processes -------------------------


def database_template(tmp_path_factory):
    """Yields environment variables naming a database of the same kind as this test run's (an SQLite file, or
    a PostgreSQL database of its own, dropped afterwards), migrated once: the modules that run manage.py and
    gunicorn in other processes each start from a copy of it (`fresh_database_env`) instead of migrating
    their own, which took 10 seconds of CPU a module. The `database_template` fixture, one a session."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        env = {"SQLITE_PATH": str(tmp_path_factory.mktemp("template") / "db.sqlite3")}
        _migrate(env)
        yield env
        return
    with _postgres_database(url, "peerplan_template") as env:
        _migrate(env)
        yield env


def fresh_database_env(template, tmp_path_factory):
    """Yields environment variables naming a fresh, migrated database of the same kind as this test run's: a
    copy of `template` (an SQLite file, or a PostgreSQL database made from it and dropped afterwards). The
    `database_env` fixture."""
    if "SQLITE_PATH" in template:
        path = tmp_path_factory.mktemp("load") / "db.sqlite3"
        shutil.copyfile(template["SQLITE_PATH"], path)
        yield {"SQLITE_PATH": str(path)}
        return
    # PostgreSQL copies a database that nobody is connected to: the template's migrate has exited.
    template_name = template["DATABASE_URL"].rsplit("/", 1)[1]
    with _postgres_database(template["DATABASE_URL"], "peerplan_load", template=template_name) as env:
        yield env


def _migrate(env):
    result = manage("migrate", "--noinput", "-v0", env=clean_env(DEBUG="true", **env), timeout=600)
    assert result.returncode == 0, result.stderr


@contextmanager
def _postgres_database(url, prefix, template=None):
    """A PostgreSQL database of its own on the server `url` names (from `template` if given), dropped after."""
    import psycopg

    config = dj_database_url.parse(url)
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    server = {
        "host": config["HOST"],
        "port": config["PORT"] or 5432,
        "user": config["USER"],
        "dbname": "postgres",
    }
    if config["PASSWORD"]:
        server["password"] = config["PASSWORD"]
    with psycopg.connect(**server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    try:
        yield {"DATABASE_URL": url.rsplit("/", 1)[0] + "/" + name}
    finally:
        with psycopg.connect(**server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# The load tests' organisation (tests/test_concurrency.py, tests/test_faults.py), made by `manage.py shell -c`:
# an owner, {clients} planners load0@example.org ... with {password}, a checklist "Load", and {shared}
# mitigations on its first challenge. Prints the ids of three challenges and of the shared mitigations.
LOAD_TEST_SET_UP = """
import json
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from evidence.models import Valence
from peerplan.operations import checklists, organisations
from peerplan.models import Membership, Mitigation
User = get_user_model()
owner = User.objects.create_user("load-owner", "load-owner@example.org", "{password}")
organisation = organisations.create_organisation(name="Load Test Service", by=owner)
for number in range({clients}):
    user = User.objects.create_user(f"load{{number}}", f"load{{number}}@example.org", "{password}")
    Membership.objects.create(organisation=organisation, user=user, role="planner")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
checklist = checklists.create_checklist_from_evidence(organisation=organisation, title="Load", by=owner)
items = list(checklist.items.filter(finding__valence=Valence.CHALLENGE).order_by("pk")[:3])
shared = [
    Mitigation.objects.create(checklist=checklist, action=f"shared-{{n}}", created_by=owner)
    for n in range({shared})
]
for mitigation in shared:
    mitigation.items.add(items[0])
print(json.dumps({{"items": [i.pk for i in items], "shared": [m.pk for m in shared]}}))
"""


# The isolation walks: one of everything in organisation A, and every planning URL filled from it -----------


def walk_urls(patterns, prefix=""):
    """(name, route) of every URL below `patterns`, following includes."""
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if hasattr(pattern, "url_patterns"):
            yield from walk_urls(pattern.url_patterns, route)
        else:
            yield pattern.name, route


def urls_of(namespace):
    """(name, route) of every URL in `namespace`, straight from the resolver."""
    _, resolver = get_resolver().namespace_dict[namespace]
    return sorted(set(walk_urls(resolver.url_patterns)))


def planning_urls():
    """(name, route) of every URL in the `peerplan` namespace."""
    return urls_of("peerplan")


def one_of_everything(org_a, owner, planner):
    """One of everything in organisation A: the ids and keys a planning URL takes (the `one_of_everything`
    fixture)."""
    checklist = checklists.create_checklist_from_evidence(organisation=org_a, title="Northside plan", by=owner)
    item = checklist.items.challenges().select_related("finding__theme").first()
    suggestion = SuggestedMitigation.objects.filter(themes=item.finding.theme_id, is_published=True).first()
    mitigation = mitigations.adopt_suggestion(item=item, suggestion=suggestion, by=owner)
    invitation = organisations.invite(organisation=org_a, email="new@example.org", role="planner", by=owner)
    own_source = make_own_source(org_a, summary="Ours.", theme="Supervision", title="Our survey")
    comment = comments.post_comment(body="A comment by Olive", by=owner, organisation=org_a, mitigation=mitigation)
    # A check-in of the checklist (made directly: the operation wants an active checklist), so its pages
    # load one and the walks see any change to it.
    check_in = CheckIn.objects.create(checklist=checklist, threshold=5, next_round_on=date(2026, 1, 5))
    check_in.items.add(item)
    CheckInRecipient.objects.create(check_in=check_in, email="psw@example.org")
    attachment = attachments.add_attachment(
        upload=SimpleUploadedFile("minutes.txt", b"Minutes of the meeting"), by=owner, organisation=org_a, item=item
    )
    # A network the owner coordinates, which organisation A joined: its pages are the coordinators' only.
    network = Network.objects.create(name="North East network", slug="north-east")
    network.coordinators.add(owner)
    network_membership = networks.invite_organisation(network=network, organisation=org_a, by=owner)
    networks.answer_invitation(membership=network_membership, accept=True, by=owner)
    # An archive of the organisation, ready to download (its owners only).
    export = OrganisationExport.objects.create(organisation=org_a, requested_by=owner)
    export.file.save("northside.zip", SimpleUploadedFile("northside.zip", b"PK\x05\x06" + bytes(18)), save=False)
    export.finished_at = export.requested_at
    export.save()
    return {
        "organisation_export": export.pk,
        "network": network.slug,
        "network_membership": network_membership.pk,
        "slug": org_a.slug,
        "checklist": checklist.pk,
        "item": item.pk,
        "mitigation": mitigation.pk,
        "membership": Membership.objects.get(user=planner).pk,
        "invitation": invitation.pk,
        "suggestion": suggestion.pk,
        "token": invitation.token,
        "history_id": mitigation.history.earliest().history_id,
        "own_source": own_source.pk,
        "comment": comment.pk,
        "attachment": attachment.pk,
        "notification": events.record(recipient=owner, kind="assigned", organisation=org_a).pk,
    }


# What a URL's <int:pk> is, by the path segment before it (tests/test_one_gate.py reads this table too).
PK_OWNERS = {
    "checklists": "checklist",
    "items": "item",
    "mitigations": "mitigation",
    "members": "membership",
    "invitations": "invitation",
    "evidence": "own_source",
    "comments": "comment",
    "attachments": "attachment",
    "notifications": "notification",
    "networks": "network_membership",
    "exports": "organisation_export",
}


def kwargs_for(route, world):
    """Fill each URL parameter from what the route says it is about; an unknown one fails the test."""
    kwargs = {}
    for part in route.split("/"):
        if not part.startswith("<"):
            continue
        converter_and_name = part.strip("<>")
        name = converter_and_name.split(":")[-1]
        if name == "network":
            kwargs[name] = world["network"]
        elif name == "slug":
            kwargs[name] = world["slug"]
        elif name == "token":
            kwargs[name] = world["token"]
        elif name == "suggestion_pk":
            kwargs[name] = world["suggestion"]
        elif name == "history_id":
            kwargs[name] = world["history_id"]
        elif name == "pk":
            owner_of_pk = route.split("<int:pk>")[0].rstrip("/").split("/")[-1]
            if owner_of_pk not in PK_OWNERS:
                pytest.fail(f"isolation test does not know what the pk in {route!r} is: add it to PK_OWNERS")
            kwargs[name] = world[PK_OWNERS[owner_of_pk]]
        else:
            pytest.fail(f"isolation test does not know how to fill <{converter_and_name}> in {route!r}")
    return kwargs


def snapshot():
    """What must not change when someone is refused."""
    return {
        "checklists": list(Checklist.objects.order_by("pk").values_list("pk", "title", "status", "review_date")),
        "items": list(Item.objects.order_by("pk").values_list("pk", "applies", "not_applicable_reason", "priority")),
        "mitigations": list(
            Mitigation.objects.order_by("pk").values_list("pk", "action", "status", "owner_id", "version")
        ),
        "memberships": list(Membership.objects.order_by("pk").values_list("pk", "user_id", "role")),
        "invitations": list(Invitation.objects.order_by("pk").values_list("pk", "accepted_at")),
        "check_ins": list(
            CheckIn.objects.order_by("pk").values_list("pk", "every_weeks", "open_days", "comments_on", "paused")
        ),
        "check_in_recipients": list(CheckInRecipient.objects.order_by("pk").values_list("pk", "email")),
        "own_evidence": list(
            Perspective.objects.filter(finding__theme__category__source__organisation__isnull=False)
            .order_by("pk")
            .values_list("pk", "summary")
        ),
        "sources": list(Source.objects.order_by("pk").values_list("pk", "version", "name")),
        "comments": list(Comment.objects.order_by("pk").values_list("pk", "body", "hidden_at")),
        "attachments": list(Attachment.objects.order_by("pk").values_list("pk", "file")),
        "networks": list(NetworkMembership.objects.order_by("pk").values_list("pk", "organisation_id", "state")),
        "sharing": list(Organisation.objects.order_by("pk").values_list("pk", "share_anonymously")),
    }


def committed():
    """What a commit does for the caches: run (and forget) the callbacks waiting for it. (A test's
    transaction never commits; django_capture_on_commit_callbacks runs them but leaves them waiting.)"""
    waiting, connection.run_on_commit = connection.run_on_commit, []
    for _sids, callback, _robust in waiting:
        callback()
