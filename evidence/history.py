"""The evidence's history read for people: what curators changed in a published source since its last release
(the curation home lists it), with who and when; a release's own writes are the release's, not an edit."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q
from django.urls import reverse

from evidence.models import Category, Finding, Perspective, Reference, Source, Theme
from evidence.release_preview import EARLIER_RELEASE_REASON, RELEASE_REASON, last_release_at

# What the first load of Table 6 wrote as each row's first version (evidence/migrations/0002_load_table6.py).
LOADED_REASON = "Loaded from the published table"


def not_by_a_release_q():
    """History records a person wrote (in the admin), not a release or the first load: the queryset form of
    `release_preview.is_release_reason`."""
    release = Q(history_change_reason__startswith=RELEASE_REASON.split("{name}")[0]) | Q(
        history_change_reason__startswith=EARLIER_RELEASE_REASON
    )
    return ~release & ~Q(history_change_reason=LOADED_REASON) | Q(history_change_reason__isnull=True)


@dataclass
class EditedRow:
    """One row of a source that curators changed since its last release: what it is, in words, where its
    history is, who changed it and when last."""

    what: str
    history_url: str
    last: datetime
    people: list = field(default_factory=list)
    reasons: list = field(default_factory=list)


def _person(user):
    return (user.get_full_name() or user.get_username()) if user is not None else "someone"


# For each evidence model: the path from its history to its source, the parents its label needs, and its label.
_EDITED = [
    (Source, "id", [], lambda r: "The source's details (citation, provenance, caveat)"),
    (Category, "source_id", [], lambda r: f"Heading “{r.name}”"),
    (Theme, "category__source_id", [], lambda r: f"Theme “{r.name}”"),
    (Finding, "theme__category__source_id", ["theme"], lambda r: f"Finding “{r.theme.name}: {r.valence or 'finding'}”"),
    (
        Perspective,
        "finding__theme__category__source_id",
        ["finding__theme"],
        lambda r: f"Sample {r.position} of “{r.finding.theme.name}: {r.finding.valence or 'finding'}”",
    ),
    (Reference, "source_id", [], lambda r: f"Reference [{r.number}]"),
]


def edits_since_release(source):
    """The rows of `source` that curators changed since its last release, most recent first, each once with
    everyone who changed it. (A removed row's later history is still listed when its parents remain.)
    Six queries and one for the last release."""
    since = last_release_at(source, Source)
    rows = {}
    for model, path, parents, label in _EDITED:
        records = model.history.filter(not_by_a_release_q(), **{path: source.pk})
        if since is not None:
            records = records.filter(history_date__gt=since)
        for record in records.select_related("history_user", *parents).order_by("-history_date", "-history_id"):
            key = (model, record.id)
            if key not in rows:
                name = model._meta.model_name
                rows[key] = EditedRow(
                    label(record), reverse(f"admin:evidence_{name}_history", args=[record.id]), record.history_date
                )
            row = rows[key]
            who = _person(record.history_user)
            if who not in row.people:
                row.people.append(who)
            if record.history_change_reason and record.history_change_reason not in row.reasons:
                row.reasons.append(record.history_change_reason)
    return since, sorted(rows.values(), key=lambda row: row.last, reverse=True)
