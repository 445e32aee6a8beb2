"""Everything an organisation holds, as one archive its owners download: the `peerplan-organisation/1`
document (peerplan/organisation_archive.md, with its JSON Schema beside it), the attached files themselves,
CSV files a spreadsheet opens, and a manifest of every member's sha256 (peerplan/lib/organisation_archive.py).

Written row by row into the zip, each section read with `iterator()`, so memory stays flat however large
the organisation is (tests/test_organisation_export_memory.py measures it on the benchmark's large
organisation). Each attached file is read twice, once for its sha256 in the document and once into the zip,
so that the document, written first, can name every file's hash.
People are named by their email address, never by id: that is what matches them on another PeerPlan. Never a
password hash, a token, a session or a two-factor secret, and nothing of another organisation: each section
is read through the organisation alone.

Check-ins come as their settings, recipients and rounds with only the figures every page may show
(peerplan/figures/check_ins.py): never an open round's answers, a count below the threshold, a link or who
was sent one.

A later section plugs into SECTIONS: a name and a function giving its rows. The schema accepts
further sections as arrays of objects, and an import refuses a section it does not know rather than drop it.
"""

import hashlib
import json
import logging
import tempfile

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from evidence.interchange import export_evidence
from evidence.models import Finding, Source, Statement
from peerplan.figures.check_ins import rounds_with_figures
from peerplan.lib.backup_format import Encoder
from peerplan.lib.organisation_archive import CHUNK, DOCUMENT, FORMAT, ArchiveWriter
from peerplan.models import (
    FORMER_MEMBER,
    FORMER_MEMBER_USERNAME,
    SCALE,
    Answer,
    Attachment,
    CheckIn,
    Checklist,
    Comment,
    ImplementationPhase,
    Invitation,
    Item,
    Membership,
    Mitigation,
    OrganisationExport,
    SuggestedMitigation,
)
from peerplan.models.organisation_exports import HISTORY, exported_fields, finding_key
from peerplan.operations import organisation_exports
from peerplan.pages.exports import csv_stream

log = logging.getLogger(__name__)

# Every kind of row an organisation holds (what its purge removes), and where the archive has it or why
# not. tests/test_organisation_export.py fails when the purge finds a model this does not name.
COVERAGE = {
    "peerplan.organisation": "organisation",
    "peerplan.membership": "members",
    "peerplan.invitation": "invitations (pending ones; never their tokens)",
    "peerplan.checklist": "checklists",
    "peerplan.item": "items",
    "peerplan.mitigation": "actions",
    "peerplan.mitigation_items": "actions (their items)",
    "peerplan.comment": "comments",
    "peerplan.comment_mentions": "comments (their mentions)",
    "peerplan.attachment": "attachments, and the files under files/",
    "peerplan.historicalchecklist": "history",
    "peerplan.historicalitem": "history",
    "peerplan.historicalmitigation": "history",
    "peerplan.historicalcomment": "history",
    "peerplan.historicalattachment": "history",
    "evidence.source": "own_evidence (its current release, in peerplan-evidence/2)",
    "evidence.category": "own_evidence",
    "evidence.theme": "own_evidence",
    "evidence.theme_related": "own_evidence (related themes)",
    "evidence.finding": "own_evidence",
    "evidence.finding_references": "own_evidence",
    "evidence.reference": "own_evidence",
    "evidence.perspective": "own_evidence",
    "evidence.perspective_references": "own_evidence",
    "evidence.historicalsource": "left out: own evidence comes as its current release",
    "evidence.historicalcategory": "left out: own evidence comes as its current release",
    "evidence.historicaltheme": "left out: own evidence comes as its current release",
    "evidence.historicalfinding": "left out: own evidence comes as its current release",
    "evidence.historicalfinding_references": "left out: own evidence comes as its current release",
    "evidence.historicalperspective": "left out: own evidence comes as its current release",
    "evidence.historicalperspective_references": "left out: own evidence comes as its current release",
    "evidence.historicalreference": "left out: own evidence comes as its current release",
    "evidence.change": "left out: own evidence comes as its current release",
    "peerplan.signondomain": "left out: a site administrator's setting for this PeerPlan, not the organisation's",
    "peerplan.notification": "left out: each person's own, in their own download (peerplan-person/1)",
    "peerplan.reminder": "left out: a record that a reminder was sent, of this PeerPlan's mail",
    "peerplan.networkmembership": "left out: a place in a network of this PeerPlan, which another does not have",
    "evidence.statement": "statements (the organisation's own check-in statements; the published bank's are named)",
    "evidence.historicalstatement": "left out: own statements come as they are now",
    "peerplan.checkin": "check_ins",
    "peerplan.checkin_items": "check_ins (the items each asks about)",
    "peerplan.checkinrecipient": "check_ins (recipients: the organisation's own list, as members' emails are)",
    "peerplan.round": "check_ins (rounds: an open one's number and dates only)",
    "peerplan.roundstatement": "check_ins (the statements each closed round asked, as worded then)",
    "peerplan.roundtally": "check_ins (a closed round's figures as the thresholded figures give them; "
    "never a count below the threshold or of an open round)",
    "peerplan.roundcomment": "check_ins (a closed round's comments, only where the rules show them)",
    "peerplan.roundtoken": "left out: an invitation's link is a secret, and works on this PeerPlan only",
    "peerplan.rounddelivery": "left out: who was sent which round's invitation is this PeerPlan's mail, not the "
    "organisation's record to move (a round's asked_count is)",
    "api.accesstoken": "left out: tokens are secrets, and each works on this PeerPlan only",
    "peerplan.organisationexport": "left out: the archives themselves",
}


class _Encoding:
    """How one row's fields are written: people by email, evidence by finding_key, curated rows by name,
    files by their place in the zip, rows of the organisation by their id in this document."""

    def __init__(self, organisation):
        self.organisation = organisation
        self.emails = {}
        self.findings = {}
        self.phases = dict(ImplementationPhase.objects.values_list("pk", "name"))
        self.suggestions = {}
        self.attachments = set(Attachment.objects.filter(organisation=organisation).values_list("pk", flat=True))

    def email(self, user_id):
        if user_id is None:
            return None
        if user_id not in self.emails:
            person = get_user_model().objects.filter(pk=user_id).values("username", "email").first() or {}
            # What a deleted person did is the former members' (no email): named so, it stays theirs on import.
            former = person.get("username") == FORMER_MEMBER_USERNAME
            self.emails[user_id] = FORMER_MEMBER if former else person.get("email") or None
        return self.emails[user_id]

    def finding(self, finding_id):
        if finding_id not in self.findings:
            finding = Finding.objects.select_related("theme__category__source").get(pk=finding_id)
            self.findings[finding_id] = finding_key(finding)
        return self.findings[finding_id]

    def suggestion(self, suggestion_id):
        if suggestion_id not in self.suggestions:
            self.suggestions[suggestion_id] = (
                SuggestedMitigation.objects.filter(pk=suggestion_id).values_list("title", flat=True).first()
            )
        return self.suggestions[suggestion_id]

    def fields(self, row, model_fields):
        out = {}
        for field in model_fields:
            value = getattr(row, field.attname)
            if field.name == "file":
                # Its place in the zip; none for a file deleted before the export (only its history is left).
                value = f"files/{row.id}" if value and row.id in self.attachments else None
            elif field.many_to_one or field.one_to_one:
                value = self._related(field, value)
            out[field.name] = value
        return out

    def _related(self, field, value):
        if value is None:
            return None
        target = field.related_model
        if target is get_user_model():
            return self.email(value)
        if target is Finding:
            return self.finding(value)
        if target is ImplementationPhase:
            return self.phases.get(value)
        if target is SuggestedMitigation:
            return self.suggestion(value)
        return value  # a checklist, item or action of this organisation: its id in this document


def _organisation(organisation):
    return {
        "name": organisation.name,
        "slug": organisation.slug,
        "created_at": organisation.created_at,
        "require_two_factor": organisation.require_two_factor,
        "share_anonymously": organisation.share_anonymously,
    }


def _members(organisation, encoding):
    memberships = Membership.objects.filter(organisation=organisation).select_related("user").order_by("pk")
    for membership in memberships.iterator(chunk_size=500):
        user = membership.user
        yield {
            "email": user.email or None,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "role": membership.role,
            "joined_at": membership.joined_at,
        }


def _invitations(organisation, encoding):
    for invitation in Invitation.objects.filter(organisation=organisation).pending().order_by("pk"):
        yield {"email": invitation.email, "role": invitation.role, "expires_at": invitation.expires_at}


def _rows(model, queryset, encoding, extra=None):
    fields = exported_fields(model)
    for row in queryset.order_by("pk").iterator(chunk_size=500):
        out = encoding.fields(row, fields)
        if extra:
            out |= extra(row)
        yield out


def _checklists(organisation, encoding):
    yield from _rows(Checklist, Checklist.objects.filter(organisation=organisation), encoding)


def _items(organisation, encoding):
    yield from _rows(Item, Item.objects.filter(checklist__organisation=organisation), encoding)


def _actions(organisation, encoding):
    # The items each action addresses, one query per chunk of actions (prefetch works with iterator()).
    actions = Mitigation.objects.filter(checklist__organisation=organisation).prefetch_related(
        models.Prefetch("items", queryset=Item.objects.only("pk").order_by("pk"))
    )
    yield from _rows(Mitigation, actions, encoding, lambda action: {"items": [item.pk for item in action.items.all()]})


def _comments(organisation, encoding):
    comments = Comment.objects.filter(organisation=organisation).prefetch_related(
        models.Prefetch("mentions", queryset=get_user_model().objects.only("pk", "email").order_by("email"))
    )
    yield from _rows(
        Comment, comments, encoding, lambda comment: {"mentions": [user.email for user in comment.mentions.all()]}
    )


def _attachments(organisation, encoding):
    yield from _rows(
        Attachment,
        Attachment.objects.filter(organisation=organisation),
        encoding,
        lambda attachment: {"sha256": attachment_hashes(attachment)},
    )


def attachment_hashes(attachment):
    digest = hashlib.sha256()
    with attachment.file.open("rb") as stored:
        while chunk := stored.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _history(organisation, encoding):
    for name, model in HISTORY.items():
        history = model.history.model
        fields = exported_fields(history)
        rows = history._base_manager.filter(organisation_id=organisation.pk).order_by("history_date", "history_id")
        for row in rows.iterator(chunk_size=500):
            yield {
                "model": name,
                "type": row.history_type,
                "date": row.history_date,
                "by": encoding.email(row.history_user_id),
                "reason": row.history_change_reason,
                "fields": encoding.fields(row, fields),
            }


def _theme_key(theme):
    source = theme.category.source
    return {
        "source": source.slug,
        "own": source.organisation_id is not None,
        "category": theme.category.name,
        "theme": theme.name,
    }


def statement_key(statement):
    """How a check-in statement is found on another PeerPlan: its theme (as a finding's), its text in the bank,
    and whether it is the organisation's own (then it is in `statements`). Needs its theme's source loaded."""
    return {"theme": _theme_key(statement.theme), "text": statement.text, "own": statement.organisation_id is not None}


def _statements(organisation, encoding):
    """The organisation's own check-in statements, retired ones too (rounds that asked them keep them)."""
    statements = Statement.objects.filter(organisation=organisation).select_related("theme__category__source")
    for statement in statements.order_by("pk").iterator(chunk_size=500):
        yield {
            "theme": _theme_key(statement.theme),
            "text": statement.text,
            "position": statement.position,
            "retired": statement.retired,
        }


ANSWER_KEYS = {answer: Answer(answer).name.lower() for answer in SCALE}


def _round(figures):
    round_ = figures.round
    dates = {"number": round_.number, "opens_on": round_.opens_on, "closes_on": round_.closes_on}
    if not round_.is_closed:
        return dates | {"closed_at": None}  # an open round: nothing of its answers, not even how many
    return dates | {
        "closed_at": round_.closed_at,
        "threshold": round_.threshold,
        "asked_count": round_.asked_count,
        "answered": figures.answered,
        "statements": [
            {
                "statement": statement_key(asked.statement),
                "text": asked.text,
                "position": asked.position,
                "counts": None if asked.counts is None else {ANSWER_KEYS[a]: n for a, n in asked.counts.items()},
                "not_applicable": asked.not_applicable,
            }
            for asked in figures.statements
        ],
        "comments": figures.comments,
    }


def _check_ins(organisation, encoding):
    check_ins = CheckIn.objects.of_organisation(organisation).prefetch_related(
        models.Prefetch("items", queryset=Item.objects.only("pk").order_by("pk"))
    )
    for check_in in check_ins.order_by("pk"):
        yield {
            "id": check_in.pk,
            "checklist": check_in.checklist_id,
            "items": [item.pk for item in check_in.items.all()],
            "every_weeks": check_in.every_weeks,
            "open_days": check_in.open_days,
            "comments_on": check_in.comments_on,
            "comments_read_by": check_in.comments_read_by,
            "threshold": check_in.threshold,
            "paused": check_in.paused,
            "next_round_on": check_in.next_round_on,
            "created_by": encoding.email(check_in.created_by_id),
            "created_at": check_in.created_at,
            "recipients": [
                {"email": email, "unsubscribed_at": unsubscribed_at}
                for email, unsubscribed_at in check_in.recipients.order_by("email").values_list(
                    "email", "unsubscribed_at"
                )
            ],
            "rounds": [_round(figures) for figures in rounds_with_figures(check_in)],
        }


def _own_evidence(organisation):
    sources = Source.objects.of_organisation(organisation).order_by("pk")
    return export_evidence(sources=sources) if sources.exists() else None


# The document's sections of rows, in order. A later section plugs in here: its name and a function of
# (organisation, encoding) yielding its rows, plus its entry in the schema and in COVERAGE.
SECTIONS = [
    ("members", _members),
    ("invitations", _invitations),
    ("checklists", _checklists),
    ("items", _items),
    ("actions", _actions),
    ("comments", _comments),
    ("attachments", _attachments),
    ("history", _history),
    ("statements", _statements),
    ("check_ins", _check_ins),
]


def row_count(organisation):
    """How many rows the document holds, for 'N of M' while it is being prepared (a few counts)."""
    total = Membership.objects.filter(organisation=organisation).count()
    total += Invitation.objects.filter(organisation=organisation).pending().count()
    total += Checklist.objects.filter(organisation=organisation).count()
    total += Item.objects.filter(checklist__organisation=organisation).count()
    total += Mitigation.objects.filter(checklist__organisation=organisation).count()
    total += Comment.objects.filter(organisation=organisation).count()
    total += Attachment.objects.filter(organisation=organisation).count()
    total += Statement.objects.filter(organisation=organisation).count()
    total += CheckIn.objects.of_organisation(organisation).count()
    for model in HISTORY.values():
        total += model.history.model._base_manager.filter(organisation_id=organisation.pk).count()
    return total


def _schema_version():
    """The last of PeerPlan's migrations applied here: which shape of the data the archive was written from."""
    applied = MigrationRecorder.Migration.objects.filter(app="peerplan").order_by("-name")
    return applied.values_list("name", flat=True).first()


def _dumps(value):
    return json.dumps(value, cls=Encoder, ensure_ascii=False, sort_keys=True)


def write_archive(organisation, fileobj, *, now, progress=None):
    """Write the organisation's archive into `fileobj` (a file opened for binary writing). `progress(done)`
    is called every few hundred rows, with how many rows of the document are written."""
    encoding = _Encoding(organisation)
    archive = ArchiveWriter(fileobj)
    done = 0
    with archive.member(DOCUMENT) as out:
        exported = {"at": now, "by": settings.SITE_URL, "schema": _schema_version()}
        out.write('{"format": ' + _dumps(FORMAT) + ',\n"exported": ' + _dumps(exported))
        out.write(',\n"organisation": ' + _dumps(_organisation(organisation)))
        out.write(',\n"own_evidence": ' + _dumps(_own_evidence(organisation)))
        for name, rows in SECTIONS:
            out.write(f',\n"{name}": [')
            for index, row in enumerate(rows(organisation, encoding)):
                out.write(("\n" if index == 0 else ",\n") + _dumps(row))
                done += 1
                if progress and done % 500 == 0:
                    progress(done)
            out.write("]")
        out.write("}\n")
    for attachment in Attachment.objects.filter(organisation=organisation).order_by("pk").iterator(chunk_size=100):
        with archive.member(f"files/{attachment.pk}") as out, attachment.file.open("rb") as stored:
            while chunk := stored.read(CHUNK):
                out.write(chunk)
    for name, header, rows in CSV_FILES:
        with archive.member(name) as out:
            for line in csv_stream(header, rows(organisation)):
                out.write(line)
    archive.close()
    if progress:
        progress(done)


def _yes(value):
    return "Yes" if value else "No"


def _csv_checklists(organisation):
    for c in Checklist.objects.filter(organisation=organisation).order_by("pk").iterator(chunk_size=500):
        yield [c.pk, c.title, c.service, c.get_status_display(), c.review_date, c.description]


def _csv_items(organisation):
    items = Item.objects.filter(checklist__organisation=organisation).select_related(
        "checklist", "finding__theme__category__source", "decided_by"
    )
    for item in items.order_by("pk").iterator(chunk_size=500):
        theme = item.finding.theme
        yield [
            item.pk,
            item.checklist.title,
            theme.category.source.name,
            theme.category.name,
            theme.name,
            item.finding.get_valence_display(),
            _yes(item.applies),
            item.not_applicable_reason,
            item.get_priority_display(),
            item.note,
            item.decided_at,
            item.decided_by.email if item.decided_by else None,
            item.evidence_version,
        ]


def _csv_actions(organisation):
    actions = Mitigation.objects.filter(checklist__organisation=organisation).select_related(
        "checklist", "owner", "phase"
    )
    for action in actions.order_by("pk").iterator(chunk_size=500):
        yield [
            action.pk,
            action.checklist.title,
            action.action,
            action.details,
            action.owner.email if action.owner else action.owner_name,
            action.due_date,
            action.get_status_display(),
            action.phase.name if action.phase else None,
            _yes(action.co_produced),
            _yes(action.lived_experience_led),
            action.notes,
        ]


def _csv_members(organisation):
    memberships = Membership.objects.filter(organisation=organisation).select_related("user").order_by("pk")
    for membership in memberships.iterator(chunk_size=500):
        user = membership.user
        yield [user.get_full_name(), user.email, membership.get_role_display(), membership.joined_at]


def _csv_comments(organisation):
    comments = Comment.objects.filter(organisation=organisation).select_related("author")
    for comment in comments.order_by("pk").iterator(chunk_size=500):
        yield [
            comment.pk,
            f"item {comment.item_id}" if comment.item_id else f"action {comment.mitigation_id}",
            comment.author.email if comment.author else None,
            comment.created_at,
            comment.edited_at,
            comment.body,
            comment.hidden_reason,
        ]


CSV_FILES = [
    ("checklists.csv", ["Id", "Title", "Service or setting", "Status", "Review date", "Description"], _csv_checklists),
    (
        "items.csv",
        [
            "Id",
            "Checklist",
            "Source",
            "Category",
            "Theme",
            "Kind",
            "Applies",
            "Reason it does not apply",
            "Priority",
            "Note",
            "Decided at",
            "Decided by",
            "Evidence version",
        ],
        _csv_items,
    ),
    (
        "actions.csv",
        [
            "Id",
            "Checklist",
            "Action",
            "Details",
            "Owner",
            "Due date",
            "Status",
            "Phase",
            "Co-produced",
            "Lived-experience led",
            "Notes",
        ],
        _csv_actions,
    ),
    ("members.csv", ["Name", "Email", "Role", "Joined"], _csv_members),
    ("comments.csv", ["Id", "On", "Author", "Written", "Edited", "Text", "Reason hidden"], _csv_comments),
]


def build_waiting_exports(*, now=None):
    """Build every archive owners asked for, oldest first, recording progress as it goes. Returns how many
    were built; one that fails is marked so (its owner sees it and can ask again) and the rest go on."""
    built = 0
    for export in OrganisationExport.objects.waiting().select_related("organisation", "requested_by").order_by("pk"):
        export.started_at = timezone.now()
        organisation_exports.record_progress(export=export, rows_done=0)
        try:
            with tempfile.TemporaryFile() as archive:
                write_archive(
                    export.organisation,
                    archive,
                    now=now or timezone.now(),
                    progress=lambda done, export=export: organisation_exports.record_progress(
                        export=export, rows_done=done
                    ),
                )
                archive.seek(0)
                organisation_exports.finish_export(export=export, archive=archive)
        except Exception:
            log.exception("The export of organisation %s failed", export.organisation_id)
            organisation_exports.fail_export(export=export)
            continue
        built += 1
    return built


def is_large(organisation):
    """Whether the archive is built in the background rather than while the owner waits."""
    return row_count(organisation) > settings.ORGANISATION_EXPORT_BACKGROUND_ROWS


def export_page(organisation, now=None):
    """What the export page shows: the organisation's archives of the last days (ready, being prepared or
    failed), whether one is being prepared (the page then offers to check again), and whether a new one
    would be built while the owner waits."""
    exports = list(OrganisationExport.objects.filter(organisation=organisation).current(now))
    return {
        "exports": exports,
        "preparing": any(not export.is_ready and not export.is_failed for export in exports),
        "large": is_large(organisation),
        "days": settings.ORGANISATION_EXPORT_DAYS,
    }


def archive_now(organisation, now=None):
    """The archive of a small organisation, built while its owner waits: an open temporary file, at its
    start, removed once closed (a FileResponse closes it when it has been sent)."""
    archive = tempfile.TemporaryFile()
    write_archive(organisation, archive, now=now or timezone.now())
    archive.seek(0)
    return archive


def archive_filename(organisation, now=None):
    return f"{organisation.slug}-{timezone.localdate(now or timezone.now()):%Y-%m-%d}.zip"
