"""What the dashboard counts of each active checklist, kept by this process per checklist: its actions by status,
overdue and in the dashboard's totals (pages.dashboard.PROGRESS), and its challenges per theme (the coverage
grid, GRID). After an action's status, owner or due date is changed, the dashboard counts that action's
checklist again, not every checklist of the organisation: a large organisation's fifty checklists' counts were
two thirds of its dashboard's SQL.

A checklist's rows are kept with the generation of its actions (organisation_generations.checklist_actions_key,
replaced by every write to one of them), the generation of its organisation's data besides its actions (replaced
by every other write to it: its items, the checklist itself), the evidence generation and this connection's own
uncommitted writes, for the same values (today). The generations are read in one cache read for all the
checklists. The checklists whose rows are not kept are counted in one query: up to SOME of them by their ids,
more by the organisation's query for all of them; a page runs at most one query per part whatever its size.
tests/test_page_cache.py's walks check that every write that changes a checklist's counts replaces one of
these generations.
"""

from dataclasses import dataclass

from django.core.cache import cache

from peerplan.lib import generations
from peerplan.lib.kept_rows import KeptRows
from peerplan.lib.prepared import PreparedQuery
from peerplan.models.organisation_generations import besides_actions_key, checklist_actions_key, pending_changes

# How many checklists are counted by their ids (the query of some): one action changed, or a few by a bulk change.
SOME = 8

# Two parts for each active checklist of the busiest organisations (a few kilobytes each), for today.
KEPT = KeptRows(most=4096)


def some_of(checklist_ids):
    """The values of `PerChecklist.of_some`'s query: the ids, padded to SOME with 0 (no checklist's id)."""
    ids = [*checklist_ids, *[0] * (SOME - len(checklist_ids))]
    return {f"checklist_{n}": pk for n, pk in enumerate(ids)}


@dataclass(frozen=True)
class PerChecklist:
    """A query counted per checklist: rows whose first column is a checklist's id. `of_all(organisation_id,
    **values)` reads those of every active checklist of the organisation, `of_some(organisation_id,
    checklist_0, ..., **values)` those of the checklists whose ids it is given (some_of)."""

    name: str
    of_all: PreparedQuery
    of_some: PreparedQuery


def generations_of(organisation_id, checklist_ids, evidence_generation):
    """{checklist id: the generation its rows are kept in}, in one cache read. A generation missing from the cache
    (first use, culled) is made: a new token, so nothing kept before matches it."""
    keys = [besides_actions_key(organisation_id), *(checklist_actions_key(pk) for pk in checklist_ids)]
    found = cache.get_many(keys)
    missing = {key: generations.new_token() for key in keys if key not in found}
    if missing:
        # Not cache.add as generations.current does: a worker's token overwriting another's, or a write's, makes
        # only misses, since no token is ever used again.
        cache.set_many(missing, timeout=None)
        found |= missing
    pending = pending_changes()
    own_writes = pending.token if pending is not None else ""
    besides = found[keys[0]]
    return {
        pk: (besides, found[key], evidence_generation, own_writes)
        for pk, key in zip(checklist_ids, keys[1:], strict=True)
    }


def rows(part, organisation_id, kept_in, **values):
    """`part`'s rows for the checklists of `kept_in` ({checklist id: generation}, generations_of): those kept in
    the same generation and for the same values, the rest read now (in one query) and kept."""
    shared = tuple(sorted(values.items()))
    found, missing = [], []
    for pk, generation in kept_in.items():
        kept = KEPT.get((part.name, pk, shared), generation)
        if kept is None:
            missing.append(pk)
        else:
            found.extend(kept)
    if not missing:
        return found
    if len(missing) <= SOME:
        read = part.of_some(organisation_id=organisation_id, **some_of(missing), **values)
    else:
        read = part.of_all(organisation_id=organisation_id, **values)
    by_checklist = {pk: [] for pk in missing}
    for row in read:
        if row[0] in by_checklist:
            by_checklist[row[0]].append(row)
    for pk, its_rows in by_checklist.items():
        KEPT.keep((part.name, pk, shared), kept_in[pk], tuple(its_rows))
        found.extend(its_rows)
    return found
