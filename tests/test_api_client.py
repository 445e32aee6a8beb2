"""Issue 32's "done means": a client generated in one command from the live schema does what the pages do for
actions and decisions, with nothing hand-written.

The test fetches /api/schema/ from a live server, generates a client with openapi-python-client (pinned in
requirements.lock's test extra; no download at test time) into a temporary directory, and runs SCRIPT with the
suite's Python and that directory on sys.path (nothing installed). The script makes no HTTP request of its own:
only the generated client's functions and models. It lists organisations, checklists, items and actions
(every page), filters by a theme whose id it found in a response and by each quick view, creates an action for
two challenges, links and unlinks a third (`items` on update), changes status and owner with If-Match, shows a
stale write's 412 with a typed `current`, and reads a 429's Retry-After (a header the schema declares). It
prints what it saw as JSON; the test checks that against the database and the model's own rules.
"""

import ast
import json
import os
import subprocess
import sys
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest

from peerplan.figures import tracking
from peerplan.models import Mitigation, MitigationStatus
from tests.api_helpers import token_for
from tests.factories import challenge_theme_names, item_for, make_checklist, make_mitigation

GENERATOR = Path(sys.executable).with_name("openapi-python-client")
PACKAGE = "peerplan_client"

SCRIPT = '''
import json
import sys

from peerplan_client import AuthenticatedClient, Client
from peerplan_client.api.checklists import list_items
from peerplan_client.api.evidence import get_evidence_theme
from peerplan_client.api.items import create_action
from peerplan_client.api.mitigations import get_action, update_action
from peerplan_client.api.organisations import list_actions, list_checklists, list_members, list_organisations
from peerplan_client.api.organisations import list_themes
from peerplan_client.models import (
    Error,
    ListActionsView,
    ListItemsValence,
    Mitigation,
    MitigationConflict,
    MitigationCreateRequest,
    MitigationStatusEnum,
    PatchedMitigationWriteRequest,
    RoleEnum,
)

base_url, token = sys.argv[1], sys.argv[2]
client = AuthenticatedClient(base_url=base_url, token=token, raise_on_unexpected_status=True)
seen = {}


def every_page(operation, *args, **filters):
    """Follow the pages by number, as a typed client can: page 1, 2, ... until `next` is null."""
    results, page = [], 1
    while True:
        answer = operation.sync(*args, client=client, page=page, page_size=2, **filters)
        assert not isinstance(answer, Error), answer
        results.extend(answer.results)
        if answer.next_ is None:
            assert len(results) == answer.count, (len(results), answer.count)
            return results, page
        page += 1


def challenges(mitigation):
    return sorted(ref.item for ref in mitigation.challenges)


[organisation] = list_organisations.sync(client=client)
slug = organisation.slug
seen["organisation"] = slug

checklists, seen["checklist_pages"] = every_page(list_checklists, slug)
seen["checklists"] = sorted(c.id for c in checklists)

seen["items"] = {}
for checklist in checklists:
    items, _ = every_page(list_items, checklist.id, valence=ListItemsValence.CHALLENGE)
    seen["items"][str(checklist.id)] = sorted(i.id for i in items)

actions, seen["action_pages"] = every_page(list_actions, slug)
seen["actions"] = sorted(a.id for a in actions)

# The theme filter takes an id found in a response: a challenge's theme_id, one of the organisation's themes.
theme_id = actions[0].challenges[0].theme_id
assert theme_id in {theme.id for theme in list_themes.sync(slug, client=client)}
seen["theme"] = theme_id
seen["theme_actions"] = sorted(a.id for a in every_page(list_actions, slug, theme=theme_id)[0])

seen["views"] = {}
for view in ListActionsView:
    seen["views"][view.value] = sorted(a.id for a in every_page(list_actions, slug, view=view)[0])

# One action for two challenges, then a third linked and unlinked again through `items` on update.
first, second, third = seen["items"][str(checklists[0].id)][:3]
made = create_action.sync_detailed(
    first, client=client, body=MitigationCreateRequest(action="Agree a supervision rota", items=[second])
)
assert made.status_code == 201, made.content
action = made.parsed
assert isinstance(action, Mitigation) and challenges(action) == [first, second]
assert made.headers["ETag"] == action.etag
assert made.headers["Location"].endswith(f"/api/mitigations/{action.id}/")
seen["created"] = {"id": action.id, "challenges": challenges(action)}

linked = update_action.sync(
    action.id, client=client, body=PatchedMitigationWriteRequest(items=[first, second, third]), if_match=action.etag
)
assert isinstance(linked, Mitigation), linked
seen["linked"] = challenges(linked)
unlinked = update_action.sync(
    action.id, client=client, body=PatchedMitigationWriteRequest(items=[first, second]), if_match=linked.etag
)
assert isinstance(unlinked, Mitigation), unlinked
seen["unlinked"] = challenges(unlinked)

# Status and owner with If-Match: the ETag of the last read.
read = get_action.sync_detailed(action.id, client=client)
assert read.headers["ETag"] == read.parsed.etag == unlinked.etag
someone = next(m for m in list_members.sync(slug, client=client) if m.role == RoleEnum.MANAGER)
changed = update_action.sync(
    action.id,
    client=client,
    body=PatchedMitigationWriteRequest(status=MitigationStatusEnum.IN_PROGRESS, owner=someone.id),
    if_match=read.parsed.etag,
)
assert isinstance(changed, Mitigation), changed
assert changed.status == MitigationStatusEnum.IN_PROGRESS and changed.owner.id == someone.id
seen["changed"] = {"status": changed.status.value, "owner": changed.owner.id, "version": changed.version}

# A stale write: the ETag read before the change above. 412, nothing saved, and `current` is a Mitigation.
stale = update_action.sync_detailed(
    action.id,
    client=client,
    body=PatchedMitigationWriteRequest(status=MitigationStatusEnum.DONE),
    if_match=read.parsed.etag,
)
assert stale.status_code == 412, stale.content
assert isinstance(stale.parsed, MitigationConflict), stale.parsed
assert isinstance(stale.parsed.current, Mitigation)
seen["stale"] = {
    "detail": stale.parsed.detail,
    "current_status": stale.parsed.current.status.value,
    "current_version": stale.parsed.current.version,
    "current_etag": stale.parsed.current.etag,
}

# The public evidence is limited per address (the test sets a low rate): call until a 429, then Retry-After.
public = Client(base_url=base_url, raise_on_unexpected_status=True)
for attempt in range(1, 11):
    answer = get_evidence_theme.sync_detailed(sys.argv[3], client=public)
    if answer.status_code == 429:
        assert isinstance(answer.parsed, Error), answer.parsed
        seen["throttled"] = {"after": attempt, "retry_after": int(answer.headers["Retry-After"])}
        break
    assert answer.status_code == 200, answer.content

print(json.dumps(seen))
'''


@pytest.fixture
def demo(org_a, owner, planner, manager):
    """A small organisation like the demo's: two active checklists and a draft, actions in every quick view."""
    today = tracking.today()
    themes = challenge_theme_names()[:3]
    plan = make_checklist(org_a, "Community team plan", by=owner)
    make_checklist(org_a, "Outreach plan", by=owner)
    make_checklist(org_a, "Next year", by=owner, status="draft")
    role, workload, other = (item_for(plan, name) for name in themes)
    made = [
        make_mitigation(role, "Overdue", owner=planner, due_date=today - timedelta(days=30)),
        make_mitigation(role, "Due soon", owner=planner, due_date=today + timedelta(days=3)),
        make_mitigation(workload, "Blocked", owner=manager, status=MitigationStatus.BLOCKED),
        make_mitigation(workload, "Nobody's", due_date=today + timedelta(days=60)),
        make_mitigation(other, "Done", owner=planner, status=MitigationStatus.DONE),
    ]
    return {"plan": plan, "made": made, "theme": role.finding.theme}


def test_the_script_makes_no_http_request_of_its_own():
    """Nothing hand-written between the script and the API: it imports the generated client, json and sys."""
    imported = set()
    for node in ast.walk(ast.parse(SCRIPT)):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module.split(".")[0])
    assert imported == {"json", "sys", PACKAGE}


def fetch_schema(url):
    with urllib.request.urlopen(f"{url}/api/schema/?format=json", timeout=30) as response:
        return json.load(response)


def test_a_client_generated_from_the_live_schema_does_the_pages_work_for_actions(
    live_server, demo, planner, manager, org_a, tmp_path, monkeypatch
):
    from peerplan.api.throttling import AddressRateThrottle

    schema = fetch_schema(live_server.url)
    # The 429's Retry-After is a header the schema declares, so a client developer finds it there.
    throttled = schema["paths"]["/api/evidence/themes/{slug}/"]["get"]["responses"]["429"]
    assert "Retry-After" in throttled["headers"]
    (tmp_path / "schema.json").write_text(json.dumps(schema))

    # openapi-python-client formats what it writes with ruff, which it finds on PATH (the suite's venv).
    env = {**os.environ, "PATH": f"{GENERATOR.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    generated = subprocess.run(
        [str(GENERATOR), "generate", "--path", "schema.json", "--output-path", PACKAGE, "--meta", "none"]
        + ["--fail-on-warning"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    (tmp_path / "script.py").write_text(SCRIPT)

    monkeypatch.setattr(AddressRateThrottle, "rate", "3/minute", raising=False)
    secret = token_for(planner, org_a)
    ran = subprocess.run(
        [sys.executable, "script.py", live_server.url, secret, demo["theme"].slug],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    seen = json.loads(ran.stdout.strip().splitlines()[-1])

    plan = demo["plan"]
    checklists = sorted(org_a.checklists.values_list("pk", flat=True))
    assert seen["organisation"] == "northside"
    assert seen["checklists"] == checklists and seen["checklist_pages"] == 2
    assert seen["items"][str(plan.pk)] == sorted(plan.items.challenges().values_list("pk", flat=True))
    assert seen["actions"] == sorted(m.pk for m in demo["made"]) and seen["action_pages"] == 3
    assert seen["theme"] == demo["theme"].pk
    assert seen["theme_actions"] == sorted(m.pk for m in demo["made"][:2])

    # Each quick view as the model's rules give it (nothing made since but the new action, which comes later).
    actions = Mitigation.objects.in_organisation(org_a).exclude(pk=seen["created"]["id"])
    for view in tracking.QUICK_VIEWS:
        expected = sorted(
            tracking.quick_view(actions, view, today=tracking.today(), user=planner).values_list("pk", flat=True)
        )
        assert seen["views"][view] == expected, view
    assert set(seen["views"]) == set(tracking.QUICK_VIEWS)
    assert all(seen["views"][view] for view in ("overdue", "due_soon", "blocked", "no_owner", "mine"))

    created = Mitigation.objects.get(pk=seen["created"]["id"])
    first, second, third = seen["linked"]
    assert seen["created"]["challenges"] == [first, second] and seen["unlinked"] == [first, second]
    assert sorted(created.items.values_list("pk", flat=True)) == [first, second]
    assert created.status == MitigationStatus.IN_PROGRESS and created.owner == manager
    assert seen["changed"] == {"status": "in_progress", "owner": manager.pk, "version": created.version}
    assert seen["stale"]["current_status"] == "in_progress" and seen["stale"]["current_version"] == created.version
    assert seen["throttled"]["after"] <= 4 and 0 < seen["throttled"]["retry_after"] <= 60
