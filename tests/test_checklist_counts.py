"""What the dashboard counts of each checklist, kept per checklist (peerplan/pages/checklist_counts.py): after a
change to one checklist's actions only that checklist is counted again, in at most one query per part, and the
page is the one a fresh count makes after every kind of change. (tests/test_page_cache.py's walks check that
every write path replaces what the counts are kept by.)"""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model

from peerplan.figures import tracking
from peerplan.models import Mitigation, MitigationStatus, organisation_generations
from peerplan.operations.mitigations import update_mitigation
from peerplan.pages import checklist_counts, dashboard
from tests.factories import make_checklist, make_mitigation
from tests.worlds import committed

DASHBOARD = "/app/orgs/northside/dashboard/"
# Coverage by theme: the same kept counts of challenges per theme as the dashboard's cards, drawn as a grid.
COVERAGE = "/app/orgs/northside/coverage/"


class Spied:
    """A prepared query that records the values of every call."""

    def __init__(self, query):
        self.query, self.calls = query, []

    def __call__(self, **values):
        self.calls.append(values)
        return self.query(**values)


@pytest.fixture
def spied(monkeypatch):
    parts = {}
    for name in ("PROGRESS", "GRID"):
        part = getattr(dashboard, name)
        spy = checklist_counts.PerChecklist(part.name, Spied(part.of_all), Spied(part.of_some))
        monkeypatch.setattr(dashboard, name, spy)
        parts[name] = spy
    return parts


def _ids(values):
    """The checklists a query of some was asked for (checklist_counts.some_of's values, without the padding)."""
    return [values[f"checklist_{n}"] for n in range(checklist_counts.SOME) if values[f"checklist_{n}"]]


def _forget(spied):
    for part in spied.values():
        part.of_all.calls.clear()
        part.of_some.calls.clear()


@pytest.fixture
def three_checklists(org_a, owner):
    made = []
    for title in ("Community team", "Crisis team", "Inpatient ward"):
        checklist = make_checklist(org_a, title, owner)
        for n, item in enumerate(checklist.items.challenges()[:3]):
            make_mitigation(item, f"{title} action {n}", MitigationStatus.PLANNED)
        made.append(checklist)
    return made


def test_after_an_action_changes_only_its_checklist_is_counted_again(client, org_a, owner, three_checklists, spied):
    client.force_login(owner)
    committed()
    client.get(DASHBOARD)
    # The first read counts every checklist, each part in one query (of the three by their ids: fewer than SOME).
    for part in spied.values():
        assert part.of_all.calls == []
        (values,) = part.of_some.calls
        assert sorted(_ids(values)) == sorted(c.pk for c in three_checklists)
    _forget(spied)
    changed = three_checklists[1]
    action = changed.mitigations.first()
    update_mitigation(mitigation_id=action.pk, changes={"status": "blocked"}, version=action.version, by=owner)
    committed()
    page = client.get(DASHBOARD).content.decode()
    assert 'id="blocked-count">1<' in page
    for part in spied.values():
        assert part.of_all.calls == []
        (values,) = part.of_some.calls
        assert _ids(values) == [changed.pk]
    # Nothing changed since: nothing is counted at all (the dashboard's figures, as the API reads them).
    _forget(spied)
    figures = dashboard.dashboard(org_a, tracking.today())
    assert all(not part.of_all.calls and not part.of_some.calls for part in spied.values())
    assert figures["blocked"].count == 1


def test_a_change_to_the_rest_of_the_organisation_counts_every_checklist_again(
    client, org_a, owner, three_checklists, spied
):
    client.force_login(owner)
    committed()
    client.get(DASHBOARD)
    _forget(spied)
    item = three_checklists[0].items.challenges().exclude(mitigations__isnull=False).first()
    item.applies = False
    item.save()
    committed()
    client.get(DASHBOARD)
    for part in spied.values():
        (values,) = part.of_some.calls
        assert sorted(_ids(values)) == sorted(c.pk for c in three_checklists)


def _without_tokens(page):
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)


def _fresh(client, organisation, url=DASHBOARD):
    """The page counted afresh: nothing kept, the body rebuilt."""
    checklist_counts.KEPT.clear()
    organisation_generations.organisation_changed(organisation)
    committed()
    return _without_tokens(client.get(url).content.decode())


def _changes(three_checklists, owner):
    """Every kind of change to a checklist's counts, one after another."""
    first, second, third = three_checklists
    today = tracking.today()

    def status():
        action = first.mitigations.first()
        update_mitigation(mitigation_id=action.pk, changes={"status": "done"}, version=action.version, by=owner)

    def overdue():
        action = second.mitigations.first()
        update_mitigation(
            mitigation_id=action.pk,
            changes={"due_date": today - timedelta(days=3)},
            version=action.version,
            by=owner,
        )

    def due_soon():
        action = third.mitigations.last()
        update_mitigation(
            mitigation_id=action.pk,
            changes={"due_date": today + timedelta(days=2)},
            version=action.version,
            by=owner,
        )

    def new_action():
        make_mitigation(second.items.challenges()[5], "A new action", MitigationStatus.BLOCKED)

    def another_challenge():
        second.mitigations.get(action="A new action").items.add(second.items.challenges()[6])

    def dropped():
        Mitigation.objects.get(action="Community team action 1").delete()

    def not_applicable():
        item = third.items.challenges()[8]
        item.applies = False
        item.save()

    return [status, overdue, due_soon, new_action, another_challenge, dropped, not_applicable]


def test_after_every_kind_of_change_the_page_is_the_one_a_fresh_count_makes(client, org_a, owner, three_checklists):
    client.force_login(owner)
    committed()
    before = _without_tokens(client.get(DASHBOARD).content.decode())
    grids = set()
    for change in _changes(three_checklists, owner):
        change()
        committed()
        # Coverage by theme first: it reads the kept counts before the dashboard has counted anything again.
        grid = _without_tokens(client.get(COVERAGE).content.decode())
        kept = _without_tokens(client.get(DASHBOARD).content.decode())
        assert grid == _fresh(client, org_a, COVERAGE), change.__name__
        assert kept != before, f"{change.__name__} changed nothing on the page"
        assert kept == _fresh(client, org_a), change.__name__
        before = kept
        grids.add(grid)
    # Not every change shows on the grid (a due date does not), but most do.
    assert len(grids) >= 4


class FakePart:
    """A part whose rows are (checklist id, n): checklist 1's rows count 1, and so on."""

    def __init__(self, checklist_ids):
        self.name = "fake"
        self.ids = checklist_ids
        self.of_all = Spied(lambda organisation_id: [(pk, pk) for pk in self.ids])
        self.of_some = Spied(lambda organisation_id, **some: [(pk, pk) for pk in some.values() if pk in self.ids])


def test_the_checklists_not_kept_are_read_in_one_query_whatever_their_number(org_a):
    checklist_counts.KEPT.clear()
    ids = list(range(1, 21))
    part = FakePart(ids)
    kept_in = {pk: ("besides", f"actions of {pk}") for pk in ids}
    assert sorted(checklist_counts.rows(part, org_a.pk, kept_in)) == [(pk, pk) for pk in ids]
    assert len(part.of_all.calls) == 1 and part.of_some.calls == []
    # Two checklists' actions changed: those two alone, by their ids.
    kept_in |= {3: ("besides", "new"), 7: ("besides", "new")}
    assert sorted(checklist_counts.rows(part, org_a.pk, kept_in)) == [(pk, pk) for pk in ids]
    (some,) = part.of_some.calls
    assert sorted(_ids(some)) == [3, 7]
    # More than SOME: the organisation's query again.
    kept_in = {pk: ("besides", "newer") for pk in ids[: checklist_counts.SOME + 1]} | {
        pk: kept_in[pk] for pk in ids[checklist_counts.SOME + 1 :]
    }
    assert sorted(checklist_counts.rows(part, org_a.pk, kept_in)) == [(pk, pk) for pk in ids]
    assert len(part.of_all.calls) == 2 and len(part.of_some.calls) == 1
    # All kept: no query.
    assert sorted(checklist_counts.rows(part, org_a.pk, kept_in)) == [(pk, pk) for pk in ids]
    assert len(part.of_all.calls) == 2 and len(part.of_some.calls) == 1


def test_the_counts_of_a_days_values_are_kept_apart(org_a):
    checklist_counts.KEPT.clear()
    part = FakePart([1])
    part.of_some = Spied(lambda organisation_id, today, **some: [(1, today)])
    kept_in = {1: ("besides", "actions")}
    today = tracking.today()
    assert checklist_counts.rows(part, org_a.pk, kept_in, today=today) == [(1, today)]
    tomorrow = today + timedelta(days=1)
    assert checklist_counts.rows(part, org_a.pk, kept_in, today=tomorrow) == [(1, tomorrow)]


def test_in_the_admin_an_action_stays_on_its_checklist_and_addresses_its_items_alone(client, three_checklists):
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "x")
    client.force_login(admin)
    first, second, _ = three_checklists
    action = first.mitigations.first()
    url = f"/admin/peerplan/mitigation/{action.pk}/change/"
    page = client.get(url).content.decode()
    assert 'name="checklist"' not in page  # shown, not editable
    response = client.post(
        url,
        {
            "action": action.action,
            "status": action.status,
            "items": f"{first.items.challenges().first().pk},{second.items.challenges().first().pk}",
            "version": action.version,
        },
    )
    assert "An action addresses items of its own checklist only." in response.content.decode()
    assert list(action.items.values_list("checklist_id", flat=True)) == [first.pk]
