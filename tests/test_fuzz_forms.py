"""Bad input never reaches a 500: hypothesis throws generated input at the main forms and filters through
the Django test client — over-long fields, wrong types, dates out of range, unknown choices, NUL bytes and
odd unicode, repeated fields, forged ids of another organisation's objects — and every answer is a 2xx,
3xx or 4xx. When the answer is a rejection (a 4xx, or the form shown again) the database is unchanged.

Runs against whichever database the suite runs on (SQLite, or PostgreSQL in CI), where NUL bytes and
integers out of range behave differently. `HYPOTHESIS_PROFILE=thorough` runs ten times the examples.
"""

import os

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from peerplan.models import ChecklistStatus, Membership, Mitigation
from tests.factories import item_for, make_checklist, make_mitigation

settings.register_profile(
    "peerplan",
    max_examples=40,
    deadline=None,
    database=None,  # nothing written into the checkout; a failure prints the example to reproduce it
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("thorough", parent=settings.get_profile("peerplan"), max_examples=400)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "peerplan"))

NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "\u202eevil",
    "\ufeff",
    "\u200b",
    "𝕳𝖊𝖑𝖑𝖔",
    "e\u0301",
    "🙂🙂🙂",
    "Ω≈ç√",
    "' OR 1=1 --",
    "%s%n%x",
    "{{ 7*7 }}",
    "\r\n",
    "\t",
    "NaN",
    "-1",
    "0",
    "1.5",
    "1e309",
    "99999999999999999999",
    "9" * 5000,  # more digits than Python's int() accepts
    "true",
    "null",
]
LONG = st.builds(
    lambda character, length: character * length,
    st.sampled_from(["a", "é", "🙂", "\x00", "9", " "]),
    st.sampled_from([149, 150, 151, 199, 200, 201, 254, 255, 2000, 2001, 4000, 4001, 10000]),
)
TEXT = st.one_of(st.text(max_size=40), st.sampled_from(NASTY), LONG)
DATES = st.one_of(
    st.sampled_from(
        [
            "99999-01-01",
            "0000-00-00",
            "2026-02-30",
            "2026-13-01",
            "0001-01-01",
            "9999-12-31",
            "31/12/2026",
            "31/12/99999",
            "31 Dec 2026",
            "1/1/1",
            "2026-01-01T00:00",
            "-2026-01-01",
            "20260101",
        ]
    ),
    st.dates().map(str),
    TEXT,
)


def value(*good):
    """A good value now and then, else anything: text, a nasty value, or the field sent several times."""
    single = st.one_of(st.sampled_from([str(g) for g in good]), TEXT)
    return st.one_of(single, single, single, st.lists(single, min_size=2, max_size=3))


def form(**fields):
    """Any subset of the fields (a missing field is bad input too)."""
    return st.fixed_dictionaries({}, optional=fields)


def snapshot():
    """Every row of every planning table (with their history) and of the users."""
    models = [*apps.get_app_config("peerplan").get_models(), get_user_model()]
    return {model._meta.label: list(model.objects.order_by("pk").values()) for model in models}


def check(response, before, *, method="POST", accepted_status=302):
    """Never a 5xx; a rejection changes nothing."""
    assert response.status_code < 500, response.content[:2000]
    rejected = response.status_code >= 400 or (method == "POST" and response.status_code != accepted_status)
    if rejected or method == "GET":
        assert snapshot() == before, f"the database changed on a {response.status_code} answer"


# Each field in turn gets each of these while the others are good, so the bad value reaches as far into
# the code as a value can; then hypothesis mixes everything.
EXTREMES = [
    "\x00",
    "a\x00b",
    "9" * 5000,
    "99999999999999999999",
    "-1",
    "x" * 10001,
    "🙂\u202e\u0301",
    "99999-01-01",
    "0000-00-00",
    ["1", "2"],
]


def one_bad_field(good):
    """Every field with each extreme value and every field missing, the other fields good."""
    for name in good:
        for bad in EXTREMES:
            yield {**good, name: bad}
        yield {key: value for key, value in good.items() if key != name}
    yield dict(good)


def fuzz(good, fields, send, target=None, **check_options):
    """Run `send(data)` (or `send(target, data)` on the target and on forged ones) for the one-bad-field
    examples and for generated data; assert on each answer."""

    def run_one(data, pk=None):
        before = snapshot()
        check(send(data) if target is None else send(pk, data), before, **check_options)

    if target is None:
        strategy = st.tuples(form(**fields), st.none())
    else:
        strategy = st.tuples(form(**fields), st.sampled_from(target))

    run = given(strategy)(lambda args: run_one(*args))
    for data in one_bad_field(good):
        run = example((data, None if target is None else target[0]))(run)
    run()


@pytest.fixture
def world(org_a, org_b, owner, manager, planner, viewer, outsider):
    """Organisation A (where the owner acts) and organisation B (whose ids are forged), each with a
    checklist, an item and a mitigation."""
    mine = make_checklist(org_a, "Ours", by=owner)
    theirs = make_checklist(org_b, "Theirs", by=outsider)
    my_item, their_item = item_for(mine, "Role ambiguity"), item_for(theirs, "Role ambiguity")
    my_mitigation = make_mitigation(my_item, action="Our action", owner=planner)
    their_mitigation = make_mitigation(their_item, action="Secret action of organisation B", owner=outsider)
    client = Client()
    client.force_login(owner)
    return {
        "client": client,
        "checklist": mine,
        "their_checklist": theirs,
        "item": my_item,
        "their_item": their_item,
        "mitigation": my_mitigation,
        "their_mitigation": their_mitigation,
        "members": [owner, manager, planner, viewer],
        "outsider": outsider,
        "memberships": list(Membership.objects.filter(organisation=org_a).order_by("pk")),
        "their_membership": Membership.objects.get(user=outsider),
    }


def ids(*objects):
    return [obj.pk for obj in objects]


def fields_from(good, **more_good):
    """Generated values for each field: its good value now and then, anything else mostly."""
    return {name: value(good_value, *more_good.get(name, ())) for name, good_value in good.items()}


def test_sign_up_never_fails_with_a_server_error(db):
    client = Client()
    good = {
        "name": "Alex Example",
        "email": "alex@example.org",
        "password1": "a-long-enough-password-1",
        "password2": "a-long-enough-password-1",
    }

    def send(data):
        client.logout()
        return client.post("/accounts/signup/", data)

    fuzz(good, fields_from(good, email=["olive@example.org"]), send)


def test_sign_in_never_fails_with_a_server_error(owner, settings):
    settings.AXES_FAILURE_LIMIT = 10_000  # the pause has its own tests; here every attempt is looked at
    client = Client()
    good = {"login": "olive@example.org", "password": "wrong password"}
    people = get_user_model().objects.order_by("pk").values("pk", "username", "email", "password", "is_active")

    def send(data):
        before = list(people)
        response = client.post("/accounts/login/", data)
        client.logout()
        # Failed attempts are recorded by axes; nobody's account is touched.
        assert list(people) == before
        return response

    fuzz(good, fields_from(good, login=["olive"]), send, method="GET")  # sign-in writes its own records


def test_organisation_create_never_fails_with_a_server_error(world):
    client = world["client"]
    good = {"name": "Eastside Recovery Team"}
    fuzz(good, fields_from(good), lambda data: client.post("/app/orgs/new/", data))


CHECKLIST = {
    "title": "Peer support 2026",
    "service": "Community team",
    "description": "Why we are doing this",
    "status": "active",
    "review_date": "2027-01-31",
}
CHECKLIST_MORE = {"status": ChecklistStatus.values, "review_date": ["31/01/2027"]}


def test_checklist_create_never_fails_with_a_server_error(world):
    client = world["client"]
    fuzz(
        CHECKLIST,
        fields_from(CHECKLIST, **CHECKLIST_MORE),
        lambda data: client.post("/app/orgs/northside/checklists/new/", data),
    )


def forged_is_not_found(world, kind, path, client=None):
    """send(pk, data): POST to the path; the other organisation's object answers 404."""
    client = client or world["client"]

    def send(pk, data):
        response = client.post(path.format(pk=pk), data)
        if pk == world[f"their_{kind}"].pk:
            assert response.status_code == 404
        return response

    return send


def test_checklist_edit_never_fails_with_a_server_error(world):
    fuzz(
        CHECKLIST,
        fields_from(CHECKLIST, **CHECKLIST_MORE),
        forged_is_not_found(world, "checklist", "/app/checklists/{pk}/edit/"),
        target=ids(world["checklist"], world["their_checklist"]),
    )


def test_item_decision_never_fails_with_a_server_error(world):
    good = {
        "applies": "no",
        "not_applicable_reason": "We have no such ward",
        "rereview_on": "2027-06-30",
        "priority": "high",
        "note": "A note",
    }
    fuzz(
        good,
        fields_from(good, applies=["yes"], priority=["medium", "low"]),
        forged_is_not_found(world, "item", "/app/items/{pk}/"),
        target=ids(world["item"], world["their_item"]),
    )


MITIGATION = {
    "action": "Write a role description",
    "owner": "",
    "owner_name": "Sam Lee, HR",
    "due_date": "2026-12-31",
    "status": "in_progress",
    "phase": "",
    "notes": "Notes",
    "co_produced": "on",
    "lived_experience_led": "on",
    "version": "CURRENT",
}


def mitigation_more(world):
    return {
        "owner": [*ids(*world["members"]), world["outsider"].pk],  # a member of B is a forged owner
        "due_date": ["31/12/2026"],
        "status": ["planned", "done", "blocked", "dropped"],
        "phase": [1, 2, 3, 4, 999],
        "version": [1, 2],
    }


def with_current_version(send):
    """ "CURRENT" stands for the version saved now, so that good edits reach the save, not a conflict."""

    def send_current(pk, data):
        if data.get("version") == "CURRENT":
            saved = Mitigation.objects.filter(pk=pk).values_list("version", flat=True).first()
            data = {**data, "version": str(saved or 1)}
        return send(pk, data)

    return send_current


def owner_from_elsewhere_is_never_saved(world, send):
    def checked(pk, data):
        response = send(pk, data)
        assert not Mitigation.objects.filter(owner=world["outsider"], checklist=world["checklist"]).exists()
        return response

    return checked


def test_mitigation_create_never_fails_with_a_server_error(world):
    send = forged_is_not_found(world, "item", "/app/items/{pk}/mitigations/new/")
    fuzz(
        MITIGATION,
        fields_from(MITIGATION, **mitigation_more(world)),
        owner_from_elsewhere_is_never_saved(world, send),
        target=ids(world["item"], world["their_item"]),
    )


def test_mitigation_edit_never_fails_with_a_server_error(world):
    send = forged_is_not_found(world, "mitigation", "/app/mitigations/{pk}/edit/")
    fuzz(
        MITIGATION,
        fields_from(MITIGATION, **mitigation_more(world)),
        owner_from_elsewhere_is_never_saved(world, with_current_version(send)),
        target=ids(world["mitigation"], world["their_mitigation"]),
    )


def test_member_invite_never_fails_with_a_server_error(world):
    client = world["client"]
    good = {"email": "new.person@example.org", "role": "planner"}
    fuzz(
        good,
        fields_from(good, role=["owner", "manager", "viewer"]),
        lambda data: client.post("/app/orgs/northside/members/invite/", data),
    )


def test_member_role_change_never_fails_with_a_server_error(world):
    client = world["client"]
    roles = {"owner", "manager", "planner", "viewer"}
    # The others' memberships: the owner who acts keeps the role that lets them act.
    mine = [m.pk for m in world["memberships"] if m.user_id != world["members"][0].pk]

    def send(pk, data):
        before = snapshot()
        response = client.post(f"/app/orgs/northside/members/{pk}/role/", data)
        if pk not in mine:
            assert response.status_code == 404
        # Anything but one of the roles changes nothing, though the answer is a redirect with the error
        # (a field sent twice counts as its last value, as Django reads it).
        sent = data.get("role")
        sent = sent[-1] if isinstance(sent, list) else sent
        if sent not in roles:
            assert snapshot() == before
        return response

    good = {"role": "planner"}
    fuzz(
        good,
        fields_from(good, role=roles),
        send,
        target=[*mine, world["their_membership"].pk, 99999],
    )


def test_action_list_filters_never_fail_with_a_server_error(world):
    client = world["client"]
    good = {
        "checklist": str(world["checklist"].pk),
        "owner": str(world["members"][2].pk),
        "status": "planned",
        "theme": str(world["item"].finding.theme_id),
        "due_after": "2026-01-01",
        "due_before": "2026-12-31",
        "page": "1",
    }
    more = {
        "checklist": [world["their_checklist"].pk],  # forged: organisation B's checklist
        "owner": [*ids(*world["members"]), world["outsider"].pk],
        "status": ["in_progress", "done", "blocked", "dropped"],
        "due_after": ["99999-01-01", "0000-00-00"],
        "due_before": ["31/12/2026"],
        "page": [2, -1, 0, "last"],
    }
    fields = {**fields_from(good, **more), "due_after": DATES, "due_before": DATES}

    def send(data):
        response = client.get("/app/orgs/northside/actions/", data)
        assert response.status_code == 200
        assert b"Secret action of organisation B" not in response.content
        return response

    fuzz(good, fields, send, method="GET")


def test_evidence_filters_never_fail_with_a_server_error(db):
    client = Client()
    good = {"q": "workload", "valence": "challenge", "group": "Service users", "ref": "23"}
    more = {"valence": ["benefit", "none"], "group": ["PSWs", "Mixed"], "ref": [64, 0, -1]}

    def send(data):
        response = client.get("/evidence/", data)
        assert response.status_code == 200
        return response

    fuzz(good, fields_from(good, **more), send, method="GET")


def test_a_planning_post_without_a_csrf_token_is_refused_and_changes_nothing(world, planner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(planner)
    item = world["item"]
    before = snapshot()

    response = client.post(
        f"/app/items/{item.pk}/mitigations/new/", {"action": "Forged from another site", "status": "planned"}
    )

    assert response.status_code == 403
    assert snapshot() == before
    assert not Mitigation.objects.filter(action="Forged from another site").exists()


def test_the_same_post_with_its_csrf_token_is_accepted(world, planner):
    """The refusal above is the missing token, not something else about the request."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(planner)
    item = world["item"]
    page = client.get(f"/app/items/{item.pk}/mitigations/new/")
    token = page.context["csrf_token"]

    response = client.post(
        f"/app/items/{item.pk}/mitigations/new/",
        {
            "action": "Planned here",
            "status": "planned",
            "version": "1",
            "challenges": [item.pk],
            "csrfmiddlewaretoken": str(token),
        },
    )

    assert response.status_code == 302
    assert Mitigation.objects.filter(action="Planned here", items=item).exists()
