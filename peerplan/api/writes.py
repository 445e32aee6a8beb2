"""Changes through the API go through the pages' forms (their rules and messages) and the planning
operations (their transactions, optimistic locking and history), never around them.

JSON is turned into the form data a browser would post: a PATCH starts from what is saved and overlays what
was sent, so a field left out keeps its value.
"""

import re

from django.db import transaction
from rest_framework import status

from peerplan.api.errors import ApiError, bad_input, form_errors
from peerplan.api.etags import item_etag, mitigation_etag
from peerplan.forms.checklists import ItemDecisionForm
from peerplan.forms.mitigations import MitigationForm
from peerplan.lib.errors import Conflict, Refused
from peerplan.lib.text import normalise_text
from peerplan.models import Item, Mitigation
from peerplan.operations import checklists, mitigations

PRECONDITION_REQUIRED = (
    "Send the etag you read as an If-Match header (or the mitigation's version in the body), so a change "
    "someone else saved meanwhile is not overwritten."
)
STALE = "Someone else saved this since you read it, so nothing was changed. `current` is what is saved now."


ETAG_FORMAT = (
    'An ETag is sent as it was read, in double quotes, e.g. "mitigation-42-v3" (several may be sent, '
    "separated by commas)."
)
NOT_STAR = "Send the ETag you read, not *, so a change saved since is not overwritten."
QUOTED = re.compile(r'"[^"]*"')


def if_match(request):
    """The ETags of the If-Match header, or None when there is none. `*` (which would match whatever is saved)
    and anything that is not a list of quoted strong ETags are a 400 naming the header, never a 412."""
    header = request.headers.get("If-Match")
    if header is None:
        return None
    parts = [part.strip() for part in header.split(",")]
    if parts == ["*"]:
        raise bad_input([{"field": "If-Match", "message": NOT_STAR}])
    if not all(QUOTED.fullmatch(part) for part in parts):
        raise bad_input([{"field": "If-Match", "message": ETAG_FORMAT}])
    return parts


def _matches(tags, current):
    return current in tags


# Form data ---------------------------------------------------------------------------------------


def _form_value(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _mitigation_data(mitigation, sent):
    saved = {
        "action": mitigation.action,
        "details": mitigation.details,
        "owner": mitigation.owner_id,
        "owner_name": mitigation.owner_name,
        "due_date": mitigation.due_date,
        "status": mitigation.status,
        "phase": mitigation.phase_id,
        "notes": mitigation.notes,
        "co_produced": mitigation.co_produced,
        "lived_experience_led": mitigation.lived_experience_led,
    }
    saved.update({key: value for key, value in sent.items() if key in saved})
    return {key: _form_value(value) for key, value in saved.items()}


# Mitigations -------------------------------------------------------------------------------------


def create_mitigation(*, item, sent, by, items=None):
    """A new mitigation on the item (or on these items of its checklist), validated by the page's form."""
    data = _mitigation_data(Mitigation(checklist=item.checklist), sent)
    data["version"] = "1"
    form = MitigationForm(
        data,
        instance=Mitigation(checklist=item.checklist),
        organisation=item.checklist.organisation,
    )
    if not form.is_valid():
        raise bad_input(form_errors(form))
    return mitigations.create_mitigation(items=items or [item], changes=form.changes(), by=by)


def update_mitigation(*, mitigation, sent, tags, current_state, by=None, items=None):
    """Apply the PATCH if the version the client read is still the saved one; a 412 with what is saved
    now otherwise. `current_state(mitigation)` is the JSON representation for that answer. `items`, if given,
    are the items it addresses from now on; the fields and the items change together or not at all."""
    with transaction.atomic():
        saved = _update_fields(mitigation=mitigation, sent=sent, tags=tags, current_state=current_state, by=by)
        if items is not None:
            try:
                mitigations.set_items(mitigation=saved, items=items, by=by)
            except Refused as error:
                raise bad_input([{"field": "items", "message": str(error)}]) from None
    return saved


def _update_fields(*, mitigation, sent, tags, current_state, by):
    version = sent.get("version")
    if tags is None and version is None:
        raise ApiError(status.HTTP_428_PRECONDITION_REQUIRED, PRECONDITION_REQUIRED)
    if tags is not None:
        if not _matches(tags, mitigation_etag(mitigation)):
            raise _stale(mitigation, current_state)
        # A version in the body is checked as well: both must be the saved one.
        version = mitigation.version if version is None else version
    data = _mitigation_data(mitigation, sent)
    data["version"] = str(version)
    saved = {name: getattr(mitigation, name) for name in MitigationForm._meta.fields}
    form = MitigationForm(data, instance=mitigation, organisation=mitigation.checklist.organisation)
    if not form.is_valid():
        raise bad_input(form_errors(form))
    changes = _differences(form.changes(), saved)
    if not changes:
        # An edit that changes nothing saves nothing: no new version, no history row (as for items, whose
        # etag is their content), so other clients' etags stay good. A stale version is still a 412.
        if form.cleaned_data["version"] != mitigation.version:
            raise _stale(mitigation, current_state)
        return mitigation
    try:
        return mitigations.update_mitigation(
            mitigation_id=mitigation.pk, changes=changes, version=form.cleaned_data["version"], by=by
        )
    except Conflict as conflict:
        raise _stale(conflict.current, current_state) from None


def _differences(changes, saved):
    """Only the changes that differ from what is saved (text compared as planning saves it)."""
    return {
        name: value
        for name, value in changes.items()
        if (normalise_text(value) if isinstance(value, str) else value) != saved[name]
    }


def _stale(current, current_state):
    etag = mitigation_etag(current) if isinstance(current, Mitigation) else item_etag(current)
    return ApiError(
        status.HTTP_412_PRECONDITION_FAILED,
        STALE,
        headers={"ETag": etag},
        data=current_state(current),
    )


# Item decisions ----------------------------------------------------------------------------------


def decide_item(*, item, sent, tags, current_state, by=None):
    """Record a decision on the item if it is still as the client read it, validated by the page's form
    and saved by the same operation as the page."""
    if tags is None:
        raise ApiError(
            status.HTTP_428_PRECONDITION_REQUIRED,
            PRECONDITION_REQUIRED.replace(" (or the mitigation's version in the body)", ""),
        )
    with transaction.atomic():
        # Locked so two decisions sent at once cannot both pass the check.
        locked = (
            Item.objects.select_for_update(of=("self",))
            .select_related("checklist__organisation", "finding__theme__category")
            .get(pk=item.pk)
        )
        if not _matches(tags, item_etag(locked)):
            raise _stale(locked, current_state)
        saved = {
            "applies": "yes" if locked.applies else "no",
            "not_applicable_reason": locked.not_applicable_reason,
            "rereview_on": _form_value(locked.rereview_on),
            "priority": locked.priority,
            "note": locked.note,
        }
        for key, value in sent.items():
            saved[key] = ("yes" if value else "no") if key == "applies" else _form_value(value)
        before = {name: getattr(locked, name) for name in DECISION}
        form = ItemDecisionForm(saved, instance=locked)
        if not form.is_valid():
            raise bad_input(form_errors(form))
        cleaned = form.cleaned_data
        if locked.is_decided and _same_decision(before, cleaned):
            # Nothing to record: no history row, and who decided when stays as it was. (A first decision
            # that confirms the starting state is still recorded: deciding is the change.)
            return locked
        try:
            return checklists.decide_item(
                item=locked,
                applies=cleaned["applies"],
                reason=cleaned.get("not_applicable_reason", ""),
                rereview_on=cleaned.get("rereview_on"),
                priority=cleaned["priority"],
                note=cleaned["note"],
                by=by,
            )
        except Refused as error:
            raise bad_input([{"field": None, "message": str(error)}]) from None


DECISION = ("applies", "not_applicable_reason", "rereview_on", "priority", "note")


def _same_decision(before, cleaned):
    """Whether the decision sent is the one saved (`before`: read before the form wrote onto the item)."""
    cleaned = {**cleaned, "not_applicable_reason": (cleaned.get("not_applicable_reason") or "").strip()}
    return all(cleaned.get(name) == before[name] for name in DECISION)
