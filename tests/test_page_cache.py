"""Cached bodies of the organisation, dashboard, checklist, action list, my actions and item pages (peerplan/pages/page_cache.py): every write
path moves the organisation's generation (and, where it writes what the rows kept across a change to an action
are read from, theirs: tests/test_kept_without_actions.py), a body is never served to another organisation or
role, each person's forms carry their own CSRF token, and overdue changes at midnight.

The test's transaction never commits, so `committed()` runs what waits for the commit, as a commit would.
"""

import json
import re
import tempfile
from datetime import date, timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.core import serializers
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command, get_commands
from django.db import connection
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver, reverse
from django.utils import timezone

from evidence import cache as evidence_cache
from evidence.interchange import import_evidence
from evidence.models import Valence
from peerplan.figures import tracking
from peerplan.lib import generations as lib_generations
from peerplan.models import (
    CheckIn,
    Checklist,
    ChecklistStatus,
    ImplementationPhase,
    Item,
    Membership,
    Mitigation,
    MitigationStatus,
    NetworkMembership,
    Organisation,
    SuggestedMitigation,
    organisation_generations,
)
from peerplan.operations import checklists, mitigations, networks, organisations, releases
from peerplan.pages import dashboard, page_cache
from tests.api_helpers import call, token_for
from tests.factories import PASSWORD, make_checklist, make_mitigation, make_user
from tests.kept_rows import tables_read_without_actions
from tests.worlds import committed, framework, kwargs_for, planning_urls, turn_on_two_factor, version_2

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def generations(organisation_id):
    """What a body of this organisation is keyed by, besides the role, the day and the page."""
    return organisation_generations.generation(organisation_id), evidence_cache.generation()


def kept_rows_generations(organisation_id):
    """What the rows its pages keep across a change to an action are kept by (page_cache._Keeper)."""
    key = organisation_generations.besides_actions_key(organisation_id)
    return lib_generations.generation(key), evidence_cache.generation()


WRITE = re.compile(r'^\s*(?:INSERT INTO|UPDATE|DELETE FROM)\s+"?(\w+)"?', re.IGNORECASE)


def checklist_counts(organisation_id):
    """What the dashboard counts of each active checklist and keeps per checklist (pages/checklist_counts.py), of
    every checklist of the organisation, whatever its status (the walks' actions are mostly a draft's):
    {checklist id: its rows of progress and of the grid}, read afresh."""
    today = tracking.today()
    soon = today + timedelta(days=tracking.DUE_SOON_DAYS)
    actions = Mitigation.objects.filter(checklist__organisation_id=organisation_id)
    items = Item.objects.filter(checklist__organisation_id=organisation_id)
    found = {}
    for row in [
        *tracking.counted_by_index(actions, today, dashboard._totals(today, soon)),
        *tracking.coverage_grid_rows(items),
    ]:
        found.setdefault(row[0], []).append(row)
    return {pk: sorted(rows, key=repr) for pk, rows in found.items()}


def checklist_generations(organisation_id, checklist_ids):
    return {pk: lib_generations.generation(organisation_generations.checklist_actions_key(pk)) for pk in checklist_ids}


class KeptRowsFollow:
    """Around a write: if it wrote a table the kept rows are read from, their generation must have moved; and if it
    changed what is counted of a checklist, the generation of its actions or that of the rest of the organisation's
    data must have moved (what each checklist's counts are kept by)."""

    def __init__(self, organisation_id, what):
        self.organisation_id, self.what = organisation_id, what

    def __enter__(self):
        self.before = kept_rows_generations(self.organisation_id)
        self.counts_before = checklist_counts(self.organisation_id)
        self.checklists_before = checklist_generations(self.organisation_id, self.counts_before)
        self.queries = CaptureQueriesContext(connection).__enter__()
        return self

    def __exit__(self, *exc):
        self.queries.__exit__(*exc)
        if exc[0] is None:
            written = {m.group(1) for q in self.queries.captured_queries if (m := WRITE.match(q["sql"]))}
            self.written = written & tables_read_without_actions()

    def check(self):
        """Call once the write has committed (committed())."""
        moved = kept_rows_generations(self.organisation_id) != self.before
        assert moved or not self.written, f"{self.what} wrote {sorted(self.written)} and left the kept rows"
        counts = checklist_counts(self.organisation_id)
        changed = {pk for pk in {*counts, *self.counts_before} if counts.get(pk) != self.counts_before.get(pk)}
        now = checklist_generations(self.organisation_id, changed)
        left = sorted(pk for pk in changed if now[pk] == self.checklists_before.get(pk))
        assert moved or not left, f"{self.what} changed the counts of checklists {left} and left what they are kept by"


# Every POST of the planning namespace ------------------------------------------------------------------


def _second_item(ctx):
    mitigation = Mitigation.objects.get(pk=ctx.world["mitigation"])
    return mitigation.checklist.items.challenges().exclude(mitigations=mitigation).first()


def _check_in_settings(ctx):
    """A check-in's settings for the world's checklist, made active (by update(): no generation moves) as a
    check-in needs."""
    Checklist.objects.filter(pk=ctx.world["checklist"]).update(status=ChecklistStatus.ACTIVE)
    return {
        "items": [ctx.world["item"]],
        "emails": "a@example.org b@example.org c@example.org d@example.org e@example.org",
        "every_weeks": "8",
        "open_days": "14",
        "threshold": "5",
    }


def _a_check_in_round_due():
    """send_notifications with the world's check-in's first round due (by update(), which moves no generation,
    so the command's own writes are what is walked)."""
    checklist = Checklist.objects.get(title="Northside plan")
    Checklist.objects.filter(pk=checklist.pk).update(status=ChecklistStatus.ACTIVE)
    CheckIn.objects.filter(checklist=checklist).update(next_round_on=tracking.today())
    committed()
    before = generations(checklist.organisation_id)
    call_command("send_notifications", verbosity=0)
    committed()
    assert generations(checklist.organisation_id) != before, "opening a check-in round changes the pages"


def _benefit(ctx):
    return Item.objects.filter(checklist_id=ctx.world["checklist"], finding__valence=Valence.BENEFIT).first()


def _unadopted_suggestion(ctx):
    item = Item.objects.select_related("finding").get(pk=ctx.world["item"])
    suggestions = SuggestedMitigation.objects.filter(is_published=True, themes=item.finding.theme_id)
    return suggestions.exclude(pk=ctx.world["suggestion"]).first() or suggestions.first()


def _mitigation_data(ctx, **changes):
    mitigation = Mitigation.objects.get(pk=ctx.world["mitigation"])
    data = {"action": mitigation.action, "status": mitigation.status, "version": mitigation.version}
    return {**data, **changes}


def _tick_second(ctx):
    """The action's form with one more challenge ticked and nothing else changed: the items alone are the
    write (a change of the fields is walked by mitigation_quick, through the same update)."""
    mitigation = Mitigation.objects.get(pk=ctx.world["mitigation"])
    ticked = [*mitigation.items.values_list("pk", flat=True), _second_item(ctx).pk]
    return _mitigation_data(ctx, challenges=ticked)


def _duplicate(ctx):
    item = Item.objects.get(pk=ctx.world["item"])
    other = make_mitigation(item, "The same again")
    return {"others": [other.pk]}


def _retire(ctx):
    """An item of a checklist on a source whose next release retires its finding."""
    import_evidence(framework())
    checklist = checklists.create_checklist_from_evidence(organisation=ctx.org, title="Ward 4", by=ctx.owner)
    item = checklist.items.get(finding__theme__name="Protected time for reflection", finding__valence="barrier")
    import_evidence(version_2())
    return {"pk": item.pk}


def _offer(ctx):
    import_evidence(framework())
    checklist = checklists.create_checklist_from_evidence(
        organisation=ctx.org, title="Ward 4", by=ctx.owner, status="active"
    )
    import_evidence(version_2())
    ctx.checklist_pk = checklist.pk
    return {"finding": [f.pk for offer in releases.offers(checklist) for f in offer.findings][:1]}


def _own_release(ctx):
    client = Client()
    client.force_login(ctx.owner)
    exported = json.loads(
        client.get(f"/app/orgs/northside/evidence/{ctx.world['own_source']}/export.json").content.decode()
    )
    exported["sources"][0]["version"] = 2
    return {"release": SimpleUploadedFile("survey.json", json.dumps(exported).encode())}


def _upload(ctx):
    return {"file": SimpleUploadedFile("notes.txt", b"Notes of the meeting")}


def _selected(ctx):
    mitigation = Mitigation.objects.get(pk=ctx.world["mitigation"])
    return {"ids": [f"{mitigation.pk}:{mitigation.version}"], "status": MitigationStatus.BLOCKED}


def _restore(ctx):
    mitigation = Mitigation.objects.get(pk=ctx.world["mitigation"])
    mitigations.update_mitigation(
        mitigation_id=mitigation.pk, changes={"status": MitigationStatus.DONE}, version=mitigation.version, by=ctx.owner
    )
    mitigation.refresh_from_db()
    return {"version": mitigation.version}


def _accept(ctx):
    ctx.person = make_user("new")  # the invitation in `world` is for new@example.org
    return {}


def _two_factor(ctx):
    turn_on_two_factor(ctx.owner)
    return {"require_two_factor": "on"}


def _deleted(ctx):
    organisations.delete_organisation(organisation=ctx.org, typed_name=ctx.org.name, by=ctx.owner)
    return {}


def _purge_a_deleted_organisation():
    """Organisation A, deleted 30 days ago (written with update(), which moves no generation), purged: its rows
    go, and the anonymous figures are recomputed."""
    Organisation.objects.filter(slug="northside").update(deleted_at=timezone.now() - timedelta(days=30))
    call_command("purge_deleted_organisations", verbosity=0)


def _left_the_network(ctx):
    """Organisation A leaves the world's network, so it can be invited again."""
    membership = NetworkMembership.objects.get(pk=ctx.world["network_membership"])
    networks.leave_network(membership=membership, by=ctx.owner)
    return membership


def _invited_again(ctx):
    membership = _left_the_network(ctx)
    networks.invite_organisation(network=membership.network, organisation=ctx.org, by=ctx.owner)
    return {"pk": membership.pk, "answer": "accept"}


# name: what to post (a dict, or a function of the context returning one; "pk" in it overrides the URL's).
def _delete_account(ctx):
    """Pat, a planner of A, deletes his account (after confirming it is him, as allauth asks first)."""
    pat = Membership.objects.select_related("user").get(pk=ctx.world["membership"]).user
    ctx.person = pat
    ctx.client.force_login(pat)
    assert ctx.client.post("/accounts/reauthenticate/", {"password": PASSWORD}).status_code == 302
    return {"email": pat.email}


WRITES = {
    "member_invite": {"email": "sam@example.org", "role": "planner"},
    "member_role": {"role": "manager"},
    "member_remove": {},
    "organisation_two_factor": _two_factor,
    "organisation_delete": lambda ctx: {"name": ctx.org.name},
    "organisation_restore": _deleted,
    "invitation_revoke": {},
    "invitation_accept": _accept,
    "checklist_create": {"title": "Ward 5 plan", "status": "draft"},
    "checklist_edit": {"title": "Renamed plan", "status": "active"},
    "checklist_archive": {},
    "checklist_activate": {},
    "checklist_unarchive": {},
    "checklist_delete": {},
    "checklist_adopt": lambda ctx: {"suggestion_pk": _unadopted_suggestion(ctx).pk},
    "item_review": {"applies": "no", "not_applicable_reason": "Not in this service", "go": "next"},
    "item_decide": {"applies": "no", "not_applicable_reason": "Not in this service"},
    "item": {"applies": "no", "not_applicable_reason": "Not in this service", "priority": "high"},
    "item_outcome": lambda ctx: {"pk": _benefit(ctx).pk, "applies": "yes"},
    "item_reviewed": {},
    "item_retired": lambda ctx: {**_retire(ctx), "choice": "close"},
    "own_source_create": {"name": "Exit interviews", "title": "Our exit interviews", "year": 2026, "heading": "Topic"},
    "own_source": {"heading": "Support", "theme": "Rotas", "kind": "challenge", "group": "PSWs", "summary": "New."},
    "own_source_import": _own_release,
    "checklist_add_evidence": lambda ctx: {**_offer(ctx), "pk": ctx.checklist_pk},
    "mitigation_create": lambda ctx: {
        "action": "Set up supervision",
        "status": "planned",
        "version": 1,
        "challenges": [ctx.world["item"]],
    },
    "suggestion_adopt": lambda ctx: {"suggestion_pk": _unadopted_suggestion(ctx).pk},
    "mitigation_edit": _tick_second,
    "mitigation_merge": _duplicate,
    "mitigation_quick": lambda ctx: _mitigation_data(ctx, status=MitigationStatus.BLOCKED),
    "actions_bulk": _selected,
    "mitigation_restore": _restore,
    "item_comment": {"body": "A comment on the challenge"},
    "item_attachment_add": _upload,
    "mitigation_discussion": {"body": "A comment on the action"},
    "mitigation_attachment_add": _upload,
    "comment_edit": {"body": "An edited comment"},
    "comment_delete": {},
    "comment_hide": {"reason": "Off topic"},
    "attachment_delete": {},
    "network_invite": lambda ctx: {"organisation": _left_the_network(ctx).organisation.slug},
    "organisation_network": _invited_again,
    "organisation_network_leave": {},
    "organisation_network_check_ins": {"share_check_ins": "yes"},
    "organisation_sharing": {"share_anonymously": "on"},
    "account_delete": _delete_account,
    "check_in_set_up": _check_in_settings,
    "own_statements": lambda ctx: {
        "theme": Item.objects.get(pk=ctx.world["item"]).finding.theme_id,
        "text": "I get time with other peer workers.",
    },
}
# POSTs that write nothing a cached page shows, and why.
NO_PAGE_CHANGES = {
    "organisation_create": "a new organisation: no page of it has been cached",
    "organisation_import": "a new organisation: no page of it has been cached (it marks its pages changed itself)",
    "organisation_export": "a download, or a request for an archive (shown only on the export page, never cached)",
    "member_unlock": "lifts a sign-in lock-out (django-axes' records), no organisation data",
    "notifications_read_all": "a person's own notifications: shown only in the navigation, never cached",
    "notification_read": "a person's own notifications",
    "notification_open": "a person's own notifications",
    "notification_preferences": "a person's own settings",
}


class Context:
    def __init__(self, objects, org, owner, client=None):
        self.world, self.org, self.owner, self.person, self.client = objects, org, owner, owner, client


def test_the_walk_covers_every_url_of_the_planning_namespace():
    names = {name for name, _ in planning_urls()}
    assert set(WRITES) <= names and set(NO_PAGE_CHANGES) <= names
    assert not set(WRITES) & set(NO_PAGE_CHANGES)


@pytest.mark.parametrize(("name", "route"), planning_urls(), ids=[name for name, _ in planning_urls()])
def test_every_write_moves_the_organisations_generation(client, one_of_everything, org_a, owner, name, route):
    ctx = Context(one_of_everything, org_a, owner, client)
    url_kwargs = kwargs_for(route, one_of_everything)
    if name in NO_PAGE_CHANGES:
        return
    if name not in WRITES:
        # Not a write: a page or a download. A URL that takes POST needs an entry above.
        client.force_login(owner)
        assert client.post(reverse(f"peerplan:{name}", kwargs=url_kwargs)).status_code == 405, (
            f"{name} takes POST: add it to WRITES (or NO_PAGE_CHANGES, with why)"
        )
        return
    data = WRITES[name]
    data = dict(data(ctx) if callable(data) else data)
    for key in ("pk", "suggestion_pk"):
        if key in data:
            url_kwargs[key] = data.pop(key)
    committed()
    before = generations(org_a.pk)
    client.force_login(ctx.person)
    with KeptRowsFollow(org_a.pk, f"POST {name}") as kept:
        response = client.post(reverse(f"peerplan:{name}", kwargs=url_kwargs), data)
    assert response.status_code in (200, 302), f"POST {name}: {response.status_code}"
    assert not re.search(r'class="[^"]*\b(invalid-feedback|alert-danger)', response.content.decode()), name
    committed()
    assert generations(org_a.pk) != before, f"POST {name} left the cached pages of the organisation as they were"
    kept.check()


# The API's writes ----------------------------------------------------------------------------------------


def _api_writes():
    _, resolver = get_resolver().namespace_dict["api"]
    found = set()
    for pattern in resolver.url_patterns:
        methods = set(getattr(getattr(pattern.callback, "cls", None), "http_method_names", ()))
        # (The schema and its docs are read-only pages whatever their class allows.)
        if pattern.name not in {"not_found", "schema", "docs"} and methods & {"post", "put", "patch", "delete"}:
            found.add(pattern.name)
    return found


def test_every_api_write_moves_the_organisations_generation(client, one_of_everything, org_a, owner):
    assert _api_writes() == {"item", "item_mitigations", "mitigation"}, "a new API write needs a walk below"
    secret = token_for(owner, org_a)
    item, mitigation = one_of_everything["item"], one_of_everything["mitigation"]
    writes = [
        ("POST", f"/api/items/{item}/mitigations/", {"action": "Set up supervision"}, {}),
        ("PATCH", f"/api/mitigations/{mitigation}/", {"status": "done"}, {"HTTP_IF_MATCH": None}),
        ("PATCH", f"/api/items/{item}/", {"priority": "high"}, {"HTTP_IF_MATCH": None}),
    ]
    for method, url, body, headers in writes:
        if headers:
            headers = {"HTTP_IF_MATCH": call(client, "GET", url, secret)["ETag"]}
        committed()
        before = generations(org_a.pk)
        with KeptRowsFollow(org_a.pk, f"{method} {url}") as kept:
            response = call(client, method, url, secret, body, **headers)
        assert response.status_code in (200, 201), (url, response.content)
        committed()
        assert generations(org_a.pk) != before, f"{method} {url}"
        kept.check()


# Management commands --------------------------------------------------------------------------------------

# Commands of PeerPlan's apps that write, each with a run that writes; and those that do not, with why.
WRITING_COMMANDS = {
    "seed_demo": lambda: call_command("seed_demo", verbosity=0),
    "loaddata": lambda: _load_a_fixture(),
    "import_evidence": lambda: call_command("import_evidence", str(FIXTURES / "example_framework.json"), verbosity=0),
    # The anonymous figures re-rank every checklist's suggestions.
    "compute_shared_learning": lambda: call_command("compute_shared_learning", verbosity=0),
    "purge_deleted_organisations": _purge_a_deleted_organisation,
    # Check-in rounds opened and closed show on the checklist and item pages.
    "send_notifications": _a_check_in_round_due,
}


def _load_a_fixture():
    fixture = Path(tempfile.mkdtemp()) / "phases.json"
    fixture.write_text(serializers.serialize("json", ImplementationPhase.objects.all()))
    call_command("loaddata", str(fixture), verbosity=0)


NOT_WRITING_COMMANDS = {
    "export_evidence": "reads only",
    "backup": "reads only",
    "analyze_database": "updates the query planner's statistics only",
    "send_reminders": "reminders and notifications: never in a cached body",
    "purge_expired": "old sign-in records, notifications and expired sessions: never in a cached body",
    "restore": "empties every cache after loading (tested in test_restore_empties_the_cache)",
    "build_organisation_exports": "archives and their progress: shown only on the export page, never cached",
    "import_organisation": "a new organisation: no page of it has been cached (it marks its pages changed itself)",
    "build_site_css": "writes static/css/site.css, a file of the checkout: never the database or the cache",
}


def test_every_command_that_writes_is_walked():
    ours = {name for name, app in get_commands().items() if app in ("peerplan", "evidence")}
    assert ours == set(WRITING_COMMANDS) | set(NOT_WRITING_COMMANDS)


@pytest.mark.parametrize("command", sorted(WRITING_COMMANDS))
def test_every_writing_command_moves_the_generations(one_of_everything, org_a, command):
    committed()
    before = generations(org_a.pk)
    with KeptRowsFollow(org_a.pk, command) as kept:
        WRITING_COMMANDS[command]()
    committed()
    assert generations(org_a.pk) != before
    kept.check()


def test_the_public_check_in_writes_are_walked(client, org_a, owner):
    """The check-in's pages outside the planning namespace (no sign-in: the token is the credential). Answering
    changes no page while the round is open (nothing of an open round shows), so it moves nothing; stopping
    the emails changes the check-in's recipients, so it does."""
    from peerplan.operations import check_ins
    from tests.factories import make_check_in

    checklist = make_checklist(org_a, "Check-in plan", by=owner)
    check_in = make_check_in(checklist, by=owner)
    round_ = check_ins.open_round(check_in=check_in, today=tracking.today())
    (token,) = check_ins.issue_tokens(round_=round_, count=1)
    committed()
    before = generations(org_a.pk)
    assert client.post(f"/check-in/{token}/", {}).status_code == 200
    committed()
    assert generations(org_a.pk) == before
    from peerplan.notify import deliver

    stop = deliver.check_in_unsubscribe_token(check_in.recipients.first())
    assert client.post(f"/check-in/{stop}/stop/").status_code == 200
    committed()
    assert generations(org_a.pk) != before


def test_restore_empties_the_cache():
    # restore itself needs PostgreSQL for its round trip (tests/test_backup.py); what it does to the cache:
    source = Path(page_cache.__file__).resolve().parents[1] / "management" / "commands" / "restore.py"
    assert "caches[alias].clear()" in source.read_text()


def test_a_bulk_insert_calls_the_helper_itself(one_of_everything, org_a):
    committed()
    before = generations(org_a.pk)
    with mock.patch.object(
        organisation_generations, "organisation_changed", wraps=organisation_generations.organisation_changed
    ) as spy:
        import_evidence(framework())
        checklist = checklists.create_checklist_from_evidence(organisation=org_a, title="W", by=None, status="active")
        import_evidence(version_2())
        committed()
        before = generations(org_a.pk)
        releases.add_offered_findings(
            checklist=checklist,
            finding_ids=[f.pk for offer in releases.offers(checklist) for f in offer.findings],
            by=None,
        )
    assert spy.called
    committed()
    assert generations(org_a.pk) != before


# What a person sees ------------------------------------------------------------------------------------------


def test_the_dashboard_shows_a_change_right_after_it_is_made(client, org_a, owner):
    checklist = make_checklist(org_a, "Community team", owner)
    item = checklist.items.challenges().first()
    action = make_mitigation(item, "Write the role description")
    client.force_login(owner)
    committed()
    assert 'id="blocked-count">0<' in client.get("/app/orgs/northside/dashboard/").content.decode()
    assert 'id="blocked-count">0<' in client.get("/app/orgs/northside/dashboard/").content.decode()  # a hit
    client.post(f"/app/mitigations/{action.pk}/quick/", {"status": "blocked", "version": action.version})
    committed()
    assert 'id="blocked-count">1<' in client.get("/app/orgs/northside/dashboard/").content.decode()


def test_the_organisation_and_checklist_pages_show_a_change_right_after_it_is_made(client, org_a, owner):
    checklist = make_checklist(org_a, "Community team", owner)
    client.force_login(owner)
    committed()
    assert "Community team" in client.get("/app/orgs/northside/").content.decode()
    assert "Community team" in client.get(f"/app/checklists/{checklist.pk}/").content.decode()
    client.post(f"/app/checklists/{checklist.pk}/edit/", {"title": "Inpatient wards", "status": "active"})
    committed()
    assert "Inpatient wards" in client.get("/app/orgs/northside/").content.decode()
    item = checklist.items.challenges().first()
    client.post(f"/app/items/{item.pk}/decide/", {"applies": "no", "not_applicable_reason": "No wards here"})
    committed()
    page = client.get(f"/app/checklists/{checklist.pk}/").content.decode()
    assert "No wards here" in page or "1 of" in page
    assert "Inpatient wards" in page


def test_deleting_an_account_rebuilds_the_pages_of_an_organisation_the_person_left_that_showed_them(
    client, org_a, org_b, owner, outsider
):
    """Their name is on organisation B's pages (a comment) though they are no longer a member there: no
    membership's deletion moves B's generation, so the deletion itself does."""
    from peerplan.operations.comments import post_comment
    from peerplan.operations.organisations import remove_member

    pat = make_user("pat", "Pat")
    Membership.objects.create(organisation=org_b, user=pat, role="planner")
    checklist = make_checklist(org_b, "Southside plan", by=outsider)
    action = make_mitigation(checklist.items.challenges().first(), "Set up supervision")
    post_comment(body="Done by Friday", by=pat, organisation=org_b, mitigation=action)
    remove_member(membership=Membership.objects.get(user=pat), by=outsider)
    client.force_login(pat)
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    committed()
    before = generations(org_b.pk)

    assert client.post("/app/account/delete/", {"email": "pat@example.org"}).status_code == 302

    committed()
    assert generations(org_b.pk) != before


def test_a_change_of_a_members_name_shows_on_the_pages(client, org_a, owner):
    checklist = make_checklist(org_a, "Community team", owner)
    item = checklist.items.challenges().first()
    make_mitigation(item, "Write the role description", owner=owner, due_date=tracking.today() - timedelta(days=1))
    client.force_login(owner)
    committed()
    assert "Olive" in client.get("/app/orgs/northside/dashboard/").content.decode()
    owner.first_name = "Olivia"
    owner.save()
    committed()
    assert "Olivia" in client.get("/app/orgs/northside/dashboard/").content.decode()


# CSRF ------------------------------------------------------------------------------------------------------


def _form_secrets(text):
    """The secret behind each form's CSRF token on the page (each token is the secret, masked afresh)."""
    return {_unmask_cipher_token(token) for token in re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', text)}


def test_two_people_of_the_same_role_get_their_own_token_and_their_posts_succeed(org_a, owner, manager):
    Membership.objects.filter(user=manager).update(role="owner")
    checklist = make_checklist(org_a, "Community team", owner)
    item = checklist.items.challenges().first()
    committed()
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.force_login(owner)
    second.force_login(manager)
    page_one = first.get(f"/app/checklists/{checklist.pk}/").content.decode()
    page_two = second.get(f"/app/checklists/{checklist.pk}/").content.decode()  # the same cached body
    assert not re.search(r"csrf[0-9a-f]{32}", page_two)  # no placeholder left
    assert page_two.count('name="csrfmiddlewaretoken"') > 3  # the body's forms and the sign-out
    # Every form of each page carries the token of that person's own CSRF cookie.
    assert _form_secrets(page_one) == {first.cookies[settings.CSRF_COOKIE_NAME].value}
    assert _form_secrets(page_two) == {second.cookies[settings.CSRF_COOKIE_NAME].value}
    assert _form_secrets(page_one) != _form_secrets(page_two)
    second_token = re.search(rf'action="/app/items/{item.pk}/decide/">.*?value="([^"]+)"', page_two, re.S)[1]
    # Each person's token is their own: the second person's decision goes through with it.
    response = second.post(
        f"/app/items/{item.pk}/decide/",
        {"applies": "no", "not_applicable_reason": "Not here", "csrfmiddlewaretoken": second_token},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.applies is False


def _without_tokens(page):
    return re.sub(rb'value="[A-Za-z0-9]{64}"', b'value="token"', page)


@pytest.mark.parametrize("which", ["dashboard", "checklist", "my actions"])
def test_a_body_read_from_the_cache_is_the_page_that_was_built_whatever_its_characters(client, org_a, owner, which):
    # Text outside ASCII (and outside Latin-1: two bytes a character as Python text) in the body and around it.
    org_a.name = "Nørthside – Trust ✓"
    org_a.save()
    checklist = make_checklist(org_a, "Équipe communautaire – “Ünited” ✓", owner)
    item = checklist.items.challenges().first()
    mitigations.create_mitigation(items=[item], changes={"action": "Café rota → “débrief” ✓", "owner": owner}, by=owner)
    path, shown = {
        "dashboard": ("/app/orgs/northside/dashboard/", checklist.title),
        "checklist": (f"/app/checklists/{checklist.pk}/", checklist.title),
        "my actions": ("/app/my-actions/", "Café rota → “débrief” ✓"),
    }[which]
    client.force_login(owner)
    committed()
    built = client.get(path)
    with mock.patch.object(page_cache, "_render_body", wraps=page_cache._render_body) as rendered:
        read = client.get(path)
    assert rendered.call_count == 0  # read from the cache
    assert built.status_code == read.status_code == 200
    assert built["Content-Type"] == read["Content-Type"] == "text/html; charset=utf-8"
    text = read.content.decode()
    assert "Nørthside – Trust ✓" in text
    # Byte for byte the page that was built, but for each form's token (masked anew on every request).
    assert _without_tokens(read.content) == _without_tokens(built.content)
    assert text.count("<main") == 1 and shown in text[text.index("<main") : text.index("</main>")]
    assert "<!-- body " not in text  # the slot the body went into is filled


def test_a_page_that_does_not_show_its_body_is_refused_not_sent_without_it(rf, owner):
    request = rf.get("/")
    request.user = owner
    with pytest.raises(ImproperlyConfigured, match="does not show"):
        page_cache.page_around(request, "peerplan/refused.html", {"problem": "x"}, b"<p>the body</p>")


# Isolation ------------------------------------------------------------------------------------------------


def test_a_viewer_never_gets_the_owners_body(client, org_a, owner, viewer):
    checklist = make_checklist(org_a, "Community team", owner)
    committed()
    client.force_login(owner)
    owner_page = client.get(f"/app/checklists/{checklist.pk}/").content.decode()
    assert "Archive</button>" in owner_page
    assert "New checklist" in client.get("/app/orgs/northside/").content.decode()
    client.force_login(viewer)
    viewer_page = client.get(f"/app/checklists/{checklist.pk}/").content.decode()
    assert "Archive</button>" not in viewer_page
    assert "New checklist" not in client.get("/app/orgs/northside/").content.decode()


def test_an_outsider_gets_404_even_when_a_body_is_cached(client, org_a, owner, outsider):
    checklist = make_checklist(org_a, "Community team", owner)
    committed()
    item = checklist.items.challenges().first()
    make_mitigation(item, "Write the role description", owner=owner)
    urls = (
        "/app/orgs/northside/",
        "/app/orgs/northside/dashboard/",
        f"/app/checklists/{checklist.pk}/",
        "/app/orgs/northside/actions/",
        f"/app/items/{item.pk}/",
    )
    client.force_login(owner)
    for url in urls:
        assert client.get(url).status_code == 200
    assert "Write the role description" in client.get("/app/my-actions/").content.decode()
    client.force_login(outsider)
    for url in urls:
        assert client.get(url).status_code == 404
    assert "Write the role description" not in client.get("/app/my-actions/").content.decode()


def test_the_navigation_and_messages_are_the_requesters(client, org_a, owner, manager):
    make_checklist(org_a, "Community team", owner)
    committed()
    client.force_login(owner)
    client.get("/app/orgs/northside/dashboard/")
    from peerplan.notify import events

    events.record(recipient=manager, kind="assigned", organisation=org_a)
    committed()
    client.force_login(manager)
    page = client.get("/app/orgs/northside/dashboard/").content.decode()
    assert 'data-unread="1"' in page


# The action list, my actions and the item page ------------------------------------------------------------


def _rows(page):
    return re.findall(r'<a class="row-title[^"]*" id="title-\d+" href="[^"]*">([^<]+)</a>', page)


def test_each_filter_of_the_action_list_is_its_own_body_and_unknown_parameters_are_not_cached(
    client, org_a, owner, viewer
):
    checklist = make_checklist(org_a, "Community team", owner)
    items = list(checklist.items.challenges()[:2])
    make_mitigation(items[0], "Write the role description", MitigationStatus.BLOCKED)
    make_mitigation(items[1], "Book supervision")
    committed()
    client.force_login(owner)
    assert sorted(_rows(client.get("/app/orgs/northside/actions/").content.decode())) == [
        "Book supervision",
        "Write the role description",
    ]
    with mock.patch.object(page_cache.cache, "set", wraps=page_cache.cache.set) as stored:
        blocked = client.get("/app/orgs/northside/actions/?status=blocked").content.decode()
    assert [call for call in stored.call_args_list if call.args[0].startswith(page_cache.BODY_KEY_PREFIX)]
    assert _rows(blocked) == ["Write the role description"]
    assert 'name="next" value="/app/orgs/northside/actions/?status=blocked"' in blocked  # the address it was built for
    assert "Change the selected actions" in blocked
    with mock.patch.object(page_cache.cache, "set") as stored:
        page = client.get("/app/orgs/northside/actions/?status=blocked&made-up=1").content.decode()
    assert _rows(page) == ["Write the role description"]
    assert not [call for call in stored.call_args_list if call.args[0].startswith(page_cache.BODY_KEY_PREFIX)]
    # A viewer's body of the same address has no controls.
    client.force_login(viewer)
    viewer_page = client.get("/app/orgs/northside/actions/?status=blocked").content.decode()
    assert _rows(viewer_page) == ["Write the role description"]
    assert "Change the selected actions" not in viewer_page
    assert 'name="status"' not in viewer_page.split('<ul class="action-rows')[1]


def test_my_actions_are_each_persons_own_and_follow_every_organisation_they_belong_to(
    client, org_a, org_b, owner, manager, outsider
):
    Membership.objects.filter(user=manager).update(role="owner")  # the same organisation and role as the owner
    north = make_checklist(org_a, "Community team", owner)
    south = make_checklist(org_b, "Crisis team", outsider)
    mine = make_mitigation(north.items.challenges().first(), "Write the role description", owner=owner)
    make_mitigation(north.items.challenges().last(), "Book supervision", owner=manager)
    committed()
    client.force_login(owner)
    assert _rows(client.get("/app/my-actions/").content.decode()) == ["Write the role description"]
    client.force_login(manager)
    assert _rows(client.get("/app/my-actions/").content.decode()) == ["Book supervision"]
    # Joining another organisation, and a change in either organisation, show at once.
    Membership.objects.create(user=owner, organisation=org_b, role="planner")
    elsewhere = make_mitigation(south.items.challenges().first(), "Agree the pay band", owner=owner)
    committed()
    client.force_login(owner)
    assert sorted(_rows(client.get("/app/my-actions/").content.decode())) == [
        "Agree the pay band",
        "Write the role description",
    ]
    mitigations.update_mitigation(
        mitigation_id=mine.pk,
        changes={"action": "Write and agree the role description"},
        version=mine.version,
        by=owner,
    )
    elsewhere.action = "Agree the pay band with HR"
    elsewhere.save()
    committed()
    assert sorted(_rows(client.get("/app/my-actions/").content.decode())) == [
        "Agree the pay band with HR",
        "Write and agree the role description",
    ]
    # Leaving an organisation takes its actions off the list.
    Membership.objects.filter(user=owner, organisation=org_b).delete()
    committed()
    assert _rows(client.get("/app/my-actions/").content.decode()) == ["Write and agree the role description"]


def test_the_item_page_gives_each_person_their_own_comment_controls(client, org_a, owner, manager):
    from peerplan.operations.comments import post_comment

    Membership.objects.filter(user=manager).update(role="owner")
    checklist = make_checklist(org_a, "Community team", owner)
    item = checklist.items.challenges().first()
    post_comment(body="We need a job description first.", by=owner, organisation=org_a, item=item)
    committed()
    client.force_login(owner)
    page = client.get(f"/app/items/{item.pk}/").content.decode()
    assert 'Edit<span class="visually-hidden"> your comment' in page
    client.force_login(manager)
    page = client.get(f"/app/items/{item.pk}/").content.decode()
    assert "We need a job description first." in page
    assert "your comment" not in page
    assert f"<title>{item.finding.theme.name} · Community team · PeerPlan</title>" in page


def test_a_decision_that_is_not_saved_is_shown_as_typed_and_never_cached(client, org_a, owner):
    checklist = make_checklist(org_a, "Community team", owner)
    item = checklist.items.challenges().first()
    committed()
    client.force_login(owner)
    assert client.get(f"/app/items/{item.pk}/").status_code == 200
    refused = client.post(
        f"/app/items/{item.pk}/",
        {"applies": "no", "not_applicable_reason": "", "priority": "high", "note": "Ask the ward managers"},
    )
    assert refused.status_code == 400
    assert "Ask the ward managers" in refused.content.decode()
    again = client.get(f"/app/items/{item.pk}/").content.decode()
    assert "Ask the ward managers" not in again
    assert "is-invalid" not in again


# Overdue changes at midnight ------------------------------------------------------------------------------


def test_an_action_due_today_is_overdue_the_next_day(client, org_a, owner):
    checklist = make_checklist(org_a, "Community team", owner)
    item = checklist.items.challenges().first()
    make_mitigation(item, "Write the role description", due_date=date(2026, 3, 10))
    committed()
    client.force_login(owner)
    with mock.patch("django.utils.timezone.localdate", return_value=date(2026, 3, 10)):
        assert _overdue(client) == 0
        assert _overdue(client) == 0  # cached for the 10th
    with mock.patch("django.utils.timezone.localdate", return_value=date(2026, 3, 11)):
        assert _overdue(client) == 1


def _overdue(client):
    return int(
        re.search(r'id="overdue-count">(\d+)<', client.get("/app/orgs/northside/dashboard/").content.decode())[1]
    )


# Query budgets: a hit and a miss at two sizes -----------------------------------------------------------------


def _grow(org, by, copies):
    for n in range(copies):
        checklist = make_checklist(org, f"Plan {n}", by)
        for item in checklist.items.challenges()[:8]:
            make_mitigation(item, "Overdue", MitigationStatus.BLOCKED, due_date=tracking.today() - timedelta(days=2))
    return checklist


# the session (one cache read), the person with the bell's unread count (one cache read), the organisation
# and membership (one query; a checklist and membership: one too), the body and its generations (a cache read).
ORGANISATION_HIT, CHECKLIST_HIT = 4, 4


@pytest.mark.parametrize("copies", [1, 10])
@pytest.mark.parametrize(
    ("path", "hit", "miss"),
    [
        # ... plus the checklists, coverage, the networks it is in or invited to, and storing the body
        # (database cache: count, then the upsert in a savepoint: 4)
        ("/app/orgs/northside/", ORGANISATION_HIT, ORGANISATION_HIT + 3 + 4),
        # ... plus the dashboard's 7 queries and its checklists' generations (a cache read; tests/test_dashboard.py;
        # the check-ins: none here, so none read) and storing the body
        ("/app/orgs/northside/dashboard/", ORGANISATION_HIT, ORGANISATION_HIT + 8 + 4),
        # ... plus the coverage page's active checklists, their generations (a cache read) and their coverage by
        # theme, and storing the body
        ("/app/orgs/northside/coverage/", ORGANISATION_HIT, ORGANISATION_HIT + 3 + 4),
        # ... plus the checklist's 4 queries (items, live actions per phase with co-production, the suggestion each
        # action was adopted from (which the ranking leaves out, and none twice here, so no merge to offer),
        # its check-in (none here): the offers of new evidence are read only when the evidence has a finding it
        # lacks (none here; tests/test_evidence_releases.py), and the suggestions themselves, the phases, the
        # findings and the evidence facts are kept for the evidence generation, tests/test_checklists.py) and
        # storing the body
        ("checklist", CHECKLIST_HIT, CHECKLIST_HIT + 4 + 4),
    ],
)
def test_cached_pages_run_a_fixed_number_of_queries_on_a_hit_and_a_miss(
    client, org_a, owner, django_assert_num_queries, copies, path, hit, miss
):
    checklist = _grow(org_a, owner, copies)
    url = f"/app/checklists/{checklist.pk}/" if path == "checklist" else path
    client.force_login(owner)
    client.get(url)  # the generations, the evidence facts
    organisation_generations.organisation_changed(org_a)
    with django_assert_num_queries(miss):
        assert client.get(url).status_code == 200
    with django_assert_num_queries(hit):
        assert client.get(url).status_code == 200


# Real commits, outside the test's transaction -----------------------------------------------------------


def test_writes_that_really_commit_move_the_generation_with_or_without_a_transaction(
    transactional_db, client, org_a, owner
):
    # transactional_db, not the marker: tests/conftest.py puts the published evidence back for tests that
    # name it (a transactional test starts from a database another one emptied).
    checklist = make_checklist(org_a, "Community team", owner)
    action = make_mitigation(checklist.items.challenges().first(), "Write the role description")
    client.force_login(owner)
    assert 'id="blocked-count">0<' in client.get("/app/orgs/northside/dashboard/").content.decode()
    assert "Archived checklists" not in client.get("/app/orgs/northside/").content.decode()

    # In a transaction (mitigations.update_mitigation): replaced when it commits.
    before = organisation_generations.generation(org_a.pk)
    client.post(f"/app/mitigations/{action.pk}/quick/", {"status": "blocked", "version": action.version})
    assert organisation_generations.generation(org_a.pk) != before
    assert 'id="blocked-count">1<' in client.get("/app/orgs/northside/dashboard/").content.decode()

    # In autocommit (the archive view saves without a transaction of its own): replaced at once.
    before = organisation_generations.generation(org_a.pk)
    client.post(f"/app/checklists/{checklist.pk}/archive/")
    assert organisation_generations.generation(org_a.pk) != before
    assert "Archived checklists" in client.get("/app/orgs/northside/").content.decode()


def test_the_scheduled_run_closing_a_round_moves_the_generation(org_a, owner):
    """A round's figures show once it closes (the dashboard's lists, the report, the network page): the scheduled
    run's close is a write that moves the organisation's generation, though answering did not."""
    from peerplan.operations import check_ins
    from tests.factories import make_check_in

    check_in = make_check_in(make_checklist(org_a, "Check-in plan", by=owner), by=owner)
    check_ins.open_round(check_in=check_in, today=tracking.today() - timedelta(days=30))
    committed()
    before = generations(org_a.pk)
    call_command("send_notifications", verbosity=0)  # the round's last day has passed: it closes
    committed()
    assert check_in.rounds.get().is_closed
    assert generations(org_a.pk) != before
