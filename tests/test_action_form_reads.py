"""What saving an action's form reads: the same rows and the same answers as its fields' querysets and the
operation always gave, with fewer queries (the challenges it already addresses are those read with it, its
owner and phase come from prepared queries, and its row is read once)."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from peerplan.forms.mitigations import ActionForm
from peerplan.models import ImplementationPhase, Mitigation, MitigationStatus, addressed_items
from peerplan.operations import mitigations
from tests.factories import item_for, make_checklist, make_mitigation


@pytest.fixture
def action(org_a, manager):
    checklist = make_checklist(org_a, "Community team", manager)
    made = make_mitigation(item_for(checklist, "Role ambiguity"), owner=manager)
    made.items.add(item_for(checklist, "Boundaries"))
    return _loaded(made)


def _loaded(action):
    """The action as the edit view loads it: with its organisation and the items it addresses."""
    return (
        Mitigation.objects.select_related("checklist__organisation", "owner", "phase", "suggestion")
        .prefetch_related(addressed_items())
        .get(pk=action.pk)
    )


def _sent(action, challenges, **changes):
    return {
        "action": action.action,
        "details": "",
        "owner": str(action.owner_id or ""),
        "owner_name": "",
        "due_date": "",
        "status": action.status,
        "phase": "",
        "notes": "",
        "version": str(action.version),
        "challenges": challenges,
        **changes,
    }


def _forms(action, sent):
    """The form as the view makes it, and the same form reading every choice through its fields' querysets."""
    made = []
    for plain in (False, True):
        form = ActionForm(
            sent,
            instance=_loaded(action),
            organisation=action.checklist.organisation,
            checklist=action.checklist,
            addressed=action.addressed,
        )
        if plain:
            form.fields["challenges"].known = None
            form.fields["owner"].lookup = form.fields["phase"].lookup = None
        made.append(form)
    return made


def _outcome(form):
    valid = form.is_valid()
    cleaned = {name: form.cleaned_data.get(name) for name in ("owner", "phase")}
    cleaned["challenges"] = [item.pk for item in form.cleaned_data.get("challenges") or []]
    return valid, form.errors.get_json_data(), cleaned


def test_ticking_the_challenges_it_addresses_reads_no_item_and_gives_what_the_queryset_gives(action):
    one, two = (str(item.pk) for item in action.addressed)
    for ticked in ([one, two], [two], [two, one, two]):
        form, plain = _forms(action, _sent(action, ticked))
        with CaptureQueriesContext(connection) as queries:
            outcome = _outcome(form)
        assert not [query for query in queries if "peerplan_item" in query["sql"]]
        assert outcome == _outcome(plain) and outcome[0]
        # The rows bring what the challenges' names need, as the queryset's do.
        with CaptureQueriesContext(connection) as queries:
            names = [item.finding.theme.name for item in form.cleaned_data["challenges"]]
        assert len(queries) == 0 and sorted(names) == sorted(
            item.finding.theme.name for item in plain.cleaned_data["challenges"]
        )


def test_any_other_challenge_is_checked_by_the_queryset_with_the_same_answer(action, org_b, outsider):
    one = str(action.addressed[0].pk)
    offered = str(item_for(action.checklist, "Workload").pk)
    elsewhere = str(item_for(make_checklist(org_b, "Wards", outsider), "Workload").pk)
    for ticked in ([one, offered], [elsewhere], [one, elsewhere], [f"0{one}"], ["x"], [one, "99999999999"], []):
        form, plain = _forms(action, _sent(action, ticked))
        assert _outcome(form) == _outcome(plain), ticked
    assert _outcome(_forms(action, _sent(action, [one, offered]))[0])[0]


def test_the_owner_and_phase_read_by_prepared_queries_are_what_their_querysets_give(action, manager, owner, outsider):
    phase = ImplementationPhase.objects.order_by("pk").first() or ImplementationPhase.objects.create(name="Preparation")
    for member in (manager, owner, outsider):
        for chosen_phase in (str(phase.pk), str(phase.pk + 1000), ""):
            sent = _sent(action, [str(action.addressed[0].pk)], owner=str(member.pk), phase=chosen_phase)
            form, plain = _forms(action, sent)
            assert _outcome(form) == _outcome(plain), (member, chosen_phase)
    for value in ("", "0", f"0{manager.pk}", f" {manager.pk}", "99999999999", "x", "١"):
        form, plain = _forms(action, _sent(action, [str(action.addressed[0].pk)], owner=value))
        assert _outcome(form) == _outcome(plain), value


def test_saving_the_fields_alone_reads_the_row_once_and_records_one_change(action, manager):
    items = list(action.addressed)
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        saved = mitigations.save_mitigation(
            mitigation_id=action.pk,
            changes={"status": MitigationStatus.IN_PROGRESS, "owner": manager},
            items=items,
            version=action.version,
            by=manager,
        )
    reads = [q for q in queries if q["sql"].startswith("SELECT") and 'FROM "peerplan_mitigation"' in q["sql"]]
    assert len(reads) == 1
    assert (saved.status, saved.version, saved.owner) == (MitigationStatus.IN_PROGRESS, action.version + 1, manager)
    assert Mitigation.objects.get(pk=action.pk).version == action.version + 1
    latest = action.history.order_by("-history_id").first()
    assert (latest.status, latest.history_user, latest.organisation_id) == (
        MitigationStatus.IN_PROGRESS,
        manager,
        action.checklist.organisation_id,
    )
