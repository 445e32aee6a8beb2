"""Importing an organisation archive (`peerplan-organisation/1`, peerplan/organisation_archive.md) as a new
organisation: by a site administrator (`manage.py import_organisation`, or the staff page), or, where sign-up
is open, by the person who will own it.

Everything is checked before anything is written: the manifest (a damaged or cut-short file), the format and
its version, the schema, every row's references within the document, every attached file against its sha256,
the organisation's own evidence as an evidence release, and every evidence reference resolved on this
PeerPlan. A finding this PeerPlan does not have refuses the whole import, listing each one: an item cannot
exist without its finding, and leaving its decision, actions and comments behind would drop part of the plan
without anyone choosing to (load the evidence release it needs first, then import again). Then everything is
written in one transaction, with the files removed again if it rolls back, so a refused or failed import
leaves the database as it was.

Check-ins come with their items, recipients and rounds, and a closed round with the figures the archive
holds, which are only those its pages showed: a statement too few answered comes without counts, and comments
hidden when it was exported come not at all, so nothing hidden there can show here. A round open at the export
is closed at the import with no figures and no links (its answers stay on the PeerPlan it was answered on; the
report says so). A check-in statement is found as a finding is: one of the published bank by its theme and
text, one of the organisation's own in the archive's `statements`; one this PeerPlan lacks refuses the import.

People come by email: one with that verified email here becomes a member in their role; anyone else gets an
invitation with it. Where a row names a person who is not a member here (who decided, who wrote), it names
nobody, as for a person who deleted their account.
"""

import json
import uuid
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify

from evidence.interchange import EvidenceFormatError, import_evidence, validate
from evidence.models import Finding, Statement, Theme
from peerplan.lib.errors import Refused
from peerplan.lib.organisation_archive import MANIFEST, ArchiveError, open_verified, read_document, schema
from peerplan.models import (
    FORMER_MEMBER,
    SCALE,
    Answer,
    Attachment,
    CheckIn,
    CheckInRecipient,
    Checklist,
    Comment,
    ImplementationPhase,
    Invitation,
    Item,
    Membership,
    Mitigation,
    Organisation,
    Role,
    Round,
    RoundComment,
    RoundStatement,
    RoundTally,
    SuggestedMitigation,
    display_name,
    former_member,
)
from peerplan.models.collaboration import storage_name
from peerplan.models.organisation_exports import HISTORY, exported_fields
from peerplan.models.organisation_generations import organisation_changed
from peerplan.notify import deliver, events

# The sections this PeerPlan reads are those its schema names; those the schema does not require came later in
# version 1, so an archive made before them has none.
KNOWN_SECTIONS = set(schema()["properties"])
LATER_SECTIONS = sorted(KNOWN_SECTIONS.difference(schema()["required"]))
ANSWERS = {Answer(answer).name.lower(): answer for answer in SCALE}


# Slugs the organisation URLs take for themselves (/app/orgs/new/, /app/orgs/import/).
RESERVED_SLUGS = {"new", "import"}


class ImportRefused(Refused):
    """The archive cannot be imported; `problems` lists every reason (each missing finding, for one)."""

    def __init__(self, message, problems=()):
        super().__init__(message)
        self.problems = list(problems)


@dataclass
class ImportReport:
    """What an import did, for the person who ran it."""

    organisation: Organisation = None
    members: list = field(default_factory=list)  # emails that became members
    invited: list = field(default_factory=list)  # emails sent an invitation instead
    invitations: list = field(default_factory=list)
    notes: list = field(default_factory=list)  # what came differently (a phase or suggestion not here)
    counts: dict = field(default_factory=dict)


def import_organisation(*, fileobj, owner=None, name=None, by_site_administrator=True):
    """Import the archive in `fileobj` as a new organisation, `owner` (when given) its owner. Returns an
    ImportReport; raises ImportRefused with the database unchanged.

    Only a site administrator's import makes the archive's people members, and names them on what they wrote:
    anyone may write an archive, so one imported by someone else (where sign-up is open) must not put a person
    of this PeerPlan into an organisation, or under words, they never chose. There, everyone but the importer
    is invited instead, and what they wrote is kept without their name."""
    try:
        archive = open_verified(fileobj)
        document = read_document(archive)
    except ArchiveError as error:
        raise ImportRefused(str(error), [str(error)]) from error
    for section in LATER_SECTIONS:
        document.setdefault(section, [])
    plan = _check(document, archive)
    verified = _verified_users(document)
    if not by_site_administrator:
        verified = {email: user for email, user in verified.items() if owner is not None and user.pk == owner.pk}
    owners = [m for m in document["members"] if m["role"] == Role.OWNER and (m["email"] or "").lower() in verified]
    if owner is None and not owners:
        raise ImportRefused(
            "No owner of this organisation has a confirmed email address on this PeerPlan: name its owner.",
            ["no owner"],
        )
    saved = []
    try:
        with transaction.atomic():
            report = _write(document, archive, plan, verified, owner, name, saved)
    except BaseException:
        for stored in saved:
            default_storage.delete(stored)
        raise
    # Emailed once the organisation exists, as `organisations.invite` does (the link must work when it lands).
    for invitation in report.invitations:
        deliver.send_invitation(invitation, inviter_name=display_name(invitation.invited_by))
    return report


# Checking ------------------------------------------------------------------------------------------------


@dataclass
class _Plan:
    findings: dict  # json key of a published finding -> its id here
    own_keys: set  # own findings (category, theme, kind) the document's own evidence holds
    notes: list
    themes: dict = field(default_factory=dict)  # (source, category, theme) of a published theme -> its id here
    statements: dict = field(default_factory=dict)  # _statement_key of a published statement -> its id here


def _key(finding):
    return (finding["source"], finding["own"], finding["category"], finding["theme"], finding["kind"])


def _check(document, archive):
    problems = []
    unknown = set(document) - KNOWN_SECTIONS
    if unknown:
        raise ImportRefused(
            "This archive has parts this PeerPlan does not know (it was made by a newer version): "
            + ", ".join(sorted(unknown))
            + ". Update PeerPlan, then import it again.",
            sorted(unknown),
        )
    checklists = {row["id"] for row in document["checklists"]}
    item_checklist = {row["id"]: row["checklist"] for row in document["items"]}
    actions = {row["id"]: row for row in document["actions"]}
    for row in document["items"]:
        if row["checklist"] not in checklists:
            problems.append(f"Item {row['id']} belongs to checklist {row['checklist']}, which is not in the archive.")
    for row in document["actions"]:
        if row["checklist"] not in checklists:
            problems.append(f"Action {row['id']} belongs to a checklist that is not in the archive.")
        for item in row["items"]:
            if item_checklist.get(item) != row["checklist"]:
                problems.append(f"Action {row['id']} addresses item {item}, which is not an item of its checklist.")
    for section in ("comments", "attachments"):
        for row in document[section]:
            on_item, on_action = row.get("item"), row.get("mitigation")
            if (on_item is None) == (on_action is None) or (
                on_item not in item_checklist if on_item is not None else on_action not in actions
            ):
                problems.append(f"A row of {section} ({row['id']}) is not on one item or action of the archive.")
    names = set(archive.namelist())
    hashes = _manifest_hashes(archive)
    for row in document["attachments"]:
        if row["file"] not in names or hashes.get(row["file"]) != row["sha256"]:
            problems.append(f"The file of attachment {row['id']} ({row['name']}) is missing or not the one exported.")
    own_keys = set()
    if document["own_evidence"] is not None:
        try:
            validate(document["own_evidence"])
        except EvidenceFormatError as error:
            problems.append(f"The organisation's own evidence is not a valid evidence release: {error}")
        else:
            own_keys = _own_finding_keys(document["own_evidence"])
    findings, notes = _resolve_findings(document, own_keys, problems)
    themes, statements = _check_check_ins(document, item_checklist, checklists, problems)
    if problems:
        raise ImportRefused(
            f"This archive cannot be imported: {len(problems)} problem{'s' if len(problems) != 1 else ''} "
            "(listed below). Nothing was imported.",
            problems,
        )
    return _Plan(findings=findings, own_keys=own_keys, notes=notes, themes=themes, statements=statements)


def _theme_key(theme):
    return (theme["source"], theme["category"], theme["theme"])


def _statement_key(statement):
    return (statement["own"], statement["theme"]["own"], *_theme_key(statement["theme"]), statement["text"])


def _own_theme_keys(release):
    if release is None:
        return set()
    return {
        (source["id"], category["name"], theme["name"])
        for source in release["sources"]
        for category in source["categories"]
        for theme in category["themes"]
    }


def _check_check_ins(document, item_checklist, checklists, problems):
    """({published theme key: id}, {published statement key: id}) for the check-ins' statements; a check-in
    whose checklist or items are not the archive's, a theme or published statement this PeerPlan lacks, or an
    own statement the archive does not hold is a problem."""
    own_themes = _own_theme_keys(document["own_evidence"])
    published_themes = {}
    for theme in Theme.objects.filter(category__source__organisation__isnull=True).select_related("category__source"):
        published_themes.setdefault((theme.category.source.slug, theme.category.name, theme.name), theme.pk)
    themes, missing = {}, set()

    def theme_here(theme):
        key = _theme_key(theme)
        if theme["own"]:
            found = key in own_themes
        else:
            found = key in published_themes
            if found:
                themes[key] = published_themes[key]
        if not found and key not in missing:
            missing.add(key)
            problems.append(
                f"This PeerPlan does not have the theme “{theme['theme']}” ({theme['category']}) in "
                f"{'the organisation’s own evidence' if theme['own'] else 'the source'} {theme['source']}."
            )
        return found

    own_statements = set()
    for row in document["statements"]:
        theme_here(row["theme"])
        own_statements.add(_statement_key({"own": True, "theme": row["theme"], "text": row["text"]}))
    wanted = {}
    seen_checklists = set()
    for row in document["check_ins"]:
        if row["checklist"] not in checklists or row["checklist"] in seen_checklists:
            problems.append(f"Check-in {row['id']} is not the one check-in of a checklist in the archive.")
        seen_checklists.add(row["checklist"])
        for item in row["items"]:
            if item_checklist.get(item) != row["checklist"]:
                problems.append(f"Check-in {row['id']} asks about item {item}, which is not an item of its checklist.")
        for round_ in row["rounds"]:
            for asked in round_.get("statements", []):
                key = _statement_key(asked["statement"])
                if asked["statement"]["own"]:
                    if key not in own_statements:
                        problems.append(
                            f"Check-in {row['id']} round {round_['number']} asked “{asked['text']}”, a statement "
                            "of the organisation’s own that the archive does not hold."
                        )
                elif theme_here(asked["statement"]["theme"]):
                    wanted.setdefault(key, asked["statement"])
    statements = {}
    here = {}
    for statement in Statement.objects.published().filter(theme_id__in=list(themes.values())).order_by("pk"):
        here.setdefault((statement.theme_id, statement.text), statement.pk)
    for key, statement in wanted.items():
        found = here.get((themes[_theme_key(statement["theme"])], statement["text"]))
        if found is None:
            problems.append(
                f"This PeerPlan does not have the check-in statement “{statement['text']}” of the theme "
                f"“{statement['theme']['theme']}” ({statement['theme']['category']}) in the source "
                f"{statement['theme']['source']}."
            )
        else:
            statements[key] = found
    return themes, statements


def _manifest_hashes(archive):
    return json.loads(archive.read(MANIFEST))["files"]


def _own_finding_keys(release):
    keys = set()
    for source in release["sources"]:
        for category in source["categories"]:
            for theme in category["themes"]:
                for finding in theme["findings"]:
                    keys.add((source["id"], True, category["name"], theme["name"], finding["kind"]))
    return keys


def _finding_keys_used(document):
    for row in document["items"]:
        yield row["finding"]
    for row in document["history"]:
        if row["model"] == "item" and row["fields"].get("finding"):
            yield row["fields"]["finding"]


def _resolve_findings(document, own_keys, problems):
    """{key: finding id} for every published finding the document names; every one not found here, and
    every own finding the document's own evidence lacks, is a problem."""
    wanted = {}
    for finding in _finding_keys_used(document):
        wanted.setdefault(_key(finding), finding)
    found, notes, missing = {}, [], []
    candidates = (
        Finding.objects.filter(theme__category__source__organisation__isnull=True)
        .select_related("theme__category__source")
        .order_by("retired_in_version", "pk")
    )
    here = {}
    for finding in candidates:
        theme = finding.theme
        key = (theme.category.source.slug, False, theme.category.name, theme.name, finding.valence or None)
        here.setdefault(key, finding)
    for key, finding in wanted.items():
        if finding["own"]:
            if key not in own_keys:
                missing.append(finding)
            continue
        match = here.get(key)
        if match is None:
            missing.append(finding)
            continue
        found[key] = match.pk
        source = match.theme.category.source
        if source.version != finding["version"]:
            notes.append(
                f"{source.name}: the archive was made with version {finding['version']}, this PeerPlan has "
                f"version {source.version}; its items come with the version they were decided against."
            )
    for finding in missing:
        kind = finding["kind"] or "finding of no kind"
        problems.append(
            f"This PeerPlan does not have the {kind} of “{finding['theme']}” ({finding['category']}) in "
            f"{'the organisation’s own evidence' if finding['own'] else 'the source'} {finding['source']} "
            f"version {finding['version']}."
        )
    return found, sorted(set(notes))


def _verified_users(document):
    """{lower-case email: user} for each member the document names who has that email verified here."""
    emails = {member["email"].lower() for member in document["members"] if member["email"]}
    addresses = (
        EmailAddress.objects.annotate(lower=Lower("email"))
        .filter(verified=True, lower__in=emails)
        .select_related("user")
        .order_by("pk")
    )
    return {address.lower: address.user for address in addresses}


# Writing -------------------------------------------------------------------------------------------------


class _Ids:
    """Each archive id's row here, per model; an id only history knows (a row deleted before the export) gets
    a negative id of its own, which no row here ever has, so its history stays together and apart."""

    def __init__(self):
        self.ids = {}
        self.next_gone = -1

    def set(self, model, old, new):
        self.ids.setdefault(model, {})[old] = new

    def get(self, model, old):
        if old is None:
            return None
        known = self.ids.setdefault(model, {})
        if old not in known:
            known[old] = self.next_gone
            self.next_gone -= 1
        return known[old]


class _Decoder:
    def __init__(self, organisation, people, plan, ids, files, report):
        self.organisation, self.people, self.plan, self.ids, self.files = organisation, people, plan, ids, files
        self.phases = dict(ImplementationPhase.objects.values_list("name", "pk"))
        self.suggestions = {}
        self.own = {}
        self.report = report

    def person(self, email):
        if email == FORMER_MEMBER:
            return former_member().pk
        user = self.people.get((email or "").lower())
        return user.pk if user else None

    def finding(self, key):
        if key["own"]:
            k = _key(key)
            if k not in self.own:
                self.own[k] = (
                    Finding.objects.filter(
                        theme__category__source__organisation=self.organisation,
                        theme__category__source__slug=key["source"],
                        theme__category__name=key["category"],
                        theme__name=key["theme"],
                        valence=key["kind"] or "",
                    )
                    .values_list("pk", flat=True)
                    .first()
                )
            return self.own[k]
        return self.plan.findings[_key(key)]

    def suggestion(self, title):
        if title not in self.suggestions:
            self.suggestions[title] = (
                SuggestedMitigation.objects.filter(title=title).order_by("pk").values_list("pk", flat=True).first()
            )
            if self.suggestions[title] is None:
                self.report.notes.append(
                    f"The suggested action “{title}” is not on this PeerPlan; actions say so no more."
                )
        return self.suggestions[title]

    def values(self, model, fields, row):
        """{attname: value} of the row's fields as this PeerPlan stores them."""
        out = {}
        for f in fields:
            if f.name not in row:
                continue
            value = row[f.name]
            if f.name == "file":
                out[f.attname] = self.files.get(value, "") if value else ""
            elif f.many_to_one:
                out[f.attname] = self._related(f.related_model, value)
            elif f.name == "id":
                continue
            else:
                out[f.attname] = None if value is None and f.null else f.to_python(value)
        return out

    def _related(self, target, value):
        if value is None:
            return None
        if target is Finding:
            return self.finding(value)
        if target is ImplementationPhase:
            if value not in self.phases:
                self.report.notes.append(f"The phase “{value}” is not on this PeerPlan; actions in it have none.")
                self.phases[value] = None
            return self.phases[value]
        if target is SuggestedMitigation:
            return self.suggestion(value)
        if target in (Checklist, Item, Mitigation, Comment, Attachment):
            return self.ids.get(target, value)
        return self.person(value)  # the user model: the only other kind of row a field names


def _unique_slug(name, wanted):
    base = slugify(wanted or name)[:200] or "organisation"
    slug, n = base, 2
    while slug in RESERVED_SLUGS or Organisation.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _write(document, archive, plan, verified, owner, name, saved):
    data = document["organisation"]
    report = ImportReport(notes=list(plan.notes))
    organisation = Organisation.objects.create(
        name=name or data["name"],
        slug=_unique_slug(name or data["name"], None if name else data["slug"]),
        require_two_factor=data["require_two_factor"],
        share_anonymously=data["share_anonymously"],
    )
    Organisation.objects.filter(pk=organisation.pk).update(created_at=data["created_at"])
    organisation.refresh_from_db()
    report.organisation = organisation
    if document["own_evidence"] is not None:
        import_evidence(document["own_evidence"], organisation=organisation)
    people = _members(document, organisation, verified, owner, report)
    ids = _Ids()
    files = {}
    decoder = _Decoder(organisation, people, plan, ids, files, report)
    _rows(Checklist, document["checklists"], decoder, ids, {"organisation": organisation})
    _rows(Item, document["items"], decoder, ids, {})
    actions = _rows(Mitigation, document["actions"], decoder, ids, {})
    Mitigation.items.through.objects.bulk_create(
        Mitigation.items.through(mitigation_id=action.pk, item_id=ids.get(Item, old))
        for action, row in zip(actions, document["actions"], strict=True)
        for old in row["items"]
    )
    comments = _rows(Comment, document["comments"], decoder, ids, {"organisation": organisation})
    Comment.mentions.through.objects.bulk_create(
        Comment.mentions.through(comment_id=comment.pk, user_id=people[email.lower()].pk)
        for comment, row in zip(comments, document["comments"], strict=True)
        for email in row["mentions"]
        if email.lower() in people
    )
    for row in document["attachments"]:
        stand_in = Attachment(organisation=organisation)
        stored = default_storage.save(storage_name(stand_in, row["name"]), ContentFile(archive.read(row["file"])))
        saved.append(stored)
        files[row["file"]] = stored
    _rows(Attachment, document["attachments"], decoder, ids, {"organisation": organisation})
    _history(document["history"], decoder, organisation)
    _check_ins(document, decoder, organisation, report)
    # Bulk inserts send no signals: its pages (and its members' My actions) are marked changed here.
    organisation_changed(organisation)
    report.counts = {
        section: len(document[section])
        for section in (
            "checklists",
            "items",
            "actions",
            "comments",
            "attachments",
            "history",
            "statements",
            "check_ins",
        )
    }
    return report


def _members(document, organisation, verified, owner, report):
    """Memberships for the people with a verified email here, invitations for the others; the owner given
    is an owner whatever the archive says. Returns {lower-case email: user} of the members."""
    people = {}  # the archive's emails, lower-cased, of the people who are members here
    joined = set()  # their users' ids: two addresses of one person make one membership
    inviter = owner
    for member in document["members"]:
        email = (member["email"] or "").lower()
        user = verified.get(email)
        if user is None:
            continue
        people[email] = user
        if user.pk in joined:
            continue
        joined.add(user.pk)
        role = Role.OWNER if owner is not None and user.pk == owner.pk else member["role"]
        membership = Membership.objects.create(organisation=organisation, user=user, role=role)
        Membership.objects.filter(pk=membership.pk).update(joined_at=member["joined_at"])
        report.members.append(member["email"])
        if inviter is None and role == Role.OWNER:
            inviter = user
    if owner is not None and owner.pk not in joined:
        Membership.objects.create(organisation=organisation, user=owner, role=Role.OWNER)
        people[owner.email.lower()] = owner
    invitations = [
        (member["email"], member["role"], None)
        for member in document["members"]
        if member["email"] and member["email"].lower() not in people
    ] + [(i["email"], i["role"], i["expires_at"]) for i in document["invitations"]]
    for email, role, expires in invitations:
        if email.lower() in (invited.lower() for invited in report.invited):
            continue  # a member not here who also had an invitation pending: one invitation
        invitation = Invitation(organisation=organisation, email=email, role=role, invited_by=inviter)
        if expires:
            invitation.expires_at = expires
        invitation.save()
        events.invited(invitation=invitation, by=inviter)
        report.invited.append(email)
        report.invitations.append(invitation)
    return people


def _rows(model, rows, decoder, ids, extra):
    """Insert the section's rows in the archive's order, in bulk: no history record of today is made (the
    archive brings the history), and the archive's own times are put back where an insert sets them to now."""
    fields = exported_fields(model)
    stamped = [f.attname for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    objects = [model(**decoder.values(model, fields, row), **extra) for row in rows]
    kept = [[getattr(obj, name) for name in stamped] for obj in objects]
    created = model.objects.bulk_create(objects, batch_size=500)
    for obj, row in zip(created, rows, strict=True):
        ids.set(model, row["id"], obj.pk)
    if stamped and created:
        for obj, values in zip(created, kept, strict=True):
            for name, value in zip(stamped, values, strict=True):
                setattr(obj, name, value)
        model.objects.bulk_update(created, stamped, batch_size=500)  # sets what it is given, unlike an insert
    return created


def _history(rows, decoder, organisation):
    by_model = {}
    for row in rows:
        model = HISTORY[row["model"]]
        history = model.history.model
        fields = exported_fields(history)
        values = decoder.values(history, fields, row["fields"])
        values["id"] = decoder.ids.get(model, row["fields"]["id"])
        by_model.setdefault(history, []).append(
            history(
                **values,
                organisation=organisation,
                history_type=row["type"],
                history_date=row["date"],
                history_change_reason=row["reason"],
                history_user_id=decoder.person(row["by"]),
            )
        )
    for history, objects in by_model.items():
        history._base_manager.bulk_create(objects, batch_size=500)


def _check_ins(document, decoder, organisation, report):
    """The organisation's own statements, then its check-ins with their items, recipients and rounds: a closed
    round with its statements as asked and the figures the archive holds, an open one closed now, empty."""
    own_themes = {}
    statements = dict(decoder.plan.statements)
    for row in document["statements"]:
        theme_key = _theme_key(row["theme"])
        if row["theme"]["own"]:
            if theme_key not in own_themes:
                own_themes[theme_key] = (
                    Theme.objects.filter(
                        category__source__organisation=organisation,
                        category__source__slug=row["theme"]["source"],
                        category__name=row["theme"]["category"],
                        name=row["theme"]["theme"],
                    )
                    .values_list("pk", flat=True)
                    .first()
                )
            theme_id = own_themes[theme_key]
        else:
            theme_id = decoder.plan.themes[theme_key]
        # Its own evidence's release brought the current statements of its own sources already.
        statement, _ = Statement.objects.get_or_create(theme_id=theme_id, organisation=organisation, text=row["text"])
        if (statement.position, statement.retired) != (row["position"], row["retired"]):
            statement.position, statement.retired = row["position"], row["retired"]
            statement.save()
        statements[_statement_key({"own": True, "theme": row["theme"], "text": row["text"]})] = statement.pk
    now = timezone.now()
    for row in document["check_ins"]:
        check_in = CheckIn.objects.create(
            checklist_id=decoder.ids.get(Checklist, row["checklist"]),
            every_weeks=row["every_weeks"],
            open_days=row["open_days"],
            comments_on=row["comments_on"],
            comments_read_by=row["comments_read_by"],
            threshold=row["threshold"],
            paused=row["paused"],
            next_round_on=row["next_round_on"],
            created_by_id=decoder.person(row["created_by"]),
        )
        CheckIn.objects.filter(pk=check_in.pk).update(created_at=row["created_at"])
        check_in.items.set([decoder.ids.get(Item, item) for item in row["items"]])
        CheckInRecipient.objects.bulk_create(
            CheckInRecipient(check_in=check_in, email=r["email"], unsubscribed_at=r["unsubscribed_at"])
            for r in row["recipients"]
        )
        for data in row["rounds"]:
            _round(check_in, data, statements, now, report)


def _round(check_in, data, statements, now, report):
    dates = {"check_in": check_in, "number": data["number"], "opens_on": data["opens_on"]}
    if data["closed_at"] is None:
        Round.objects.create(**dates, closes_on=data["closes_on"], closed_at=now, threshold=check_in.threshold)
        report.notes.append(
            f"Round {data['number']} of the check-in of checklist “{check_in.checklist.title}” was open when the "
            "archive was made: it is closed here, with no figures. Its answers stay on the PeerPlan it was "
            "answered on, and its links work only there."
        )
        return
    round_ = Round.objects.create(
        **dates,
        closes_on=data["closes_on"],
        closed_at=data["closed_at"],
        threshold=data["threshold"],
        asked_count=data["asked_count"],
        answered_count=data["answered"] or 0,  # only a count that was shown: below the threshold, none
    )
    asked, tallies = [], []
    for row in data["statements"]:
        statement_id = statements[_statement_key(row["statement"])]
        asked.append(
            RoundStatement(round=round_, statement_id=statement_id, text=row["text"], position=row["position"])
        )
        if row["counts"] is not None:  # a statement too few answered comes with no counts, and gets none
            counts = {ANSWERS[name]: count for name, count in row["counts"].items()}
            counts[Answer.DOES_NOT_APPLY] = row["not_applicable"] or 0
            tallies += [
                RoundTally(round=round_, statement_id=statement_id, answer=answer, count=count)
                for answer, count in counts.items()
            ]
    RoundStatement.objects.bulk_create(asked)
    RoundTally.objects.bulk_create(tallies)
    RoundComment.objects.bulk_create(
        RoundComment(id=uuid.uuid4(), round=round_, text=text) for text in data["comments"] or []
    )
