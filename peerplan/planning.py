"""Operations: each a plainly named verb that changes planning data inside one transaction.

Views call these and nothing else to write. The rules they enforce are asked of the models (who may change
whom, whether an invitation can be used, what counts as overdue) so that a rule is written once; this module
holds the steps. What a page shows is put together in pages.py.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from simple_history.utils import bulk_create_with_history

from evidence.models import Finding, Source
from peerplan import notifications
from peerplan.models import (
    Checklist,
    ChecklistStatus,
    Invitation,
    Item,
    Membership,
    Mitigation,
    MitigationStatus,
    Organisation,
    Role,
    display_name,
    normalise_text,
)

# A "does not apply" decision is looked at again after a year unless the planner says otherwise.
REREVIEW_AFTER = timedelta(days=365)


class PlanningRuleError(Exception):
    """A request that breaks a planning rule; the message is written for the person who asked."""


class Conflict(PlanningRuleError):
    """Someone else saved the object since this person opened it, so nothing was applied: `current` is what
    it holds now. The one signal for a stale save (editing a mitigation, restoring one of its versions)."""

    def __init__(self, current, message="Someone else saved this since you opened it; nothing was changed."):
        super().__init__(message)
        self.current = current


# Organisations and members -------------------------------------------------------------------------


def unique_slug(name):
    base = slugify(name)[:200] or "organisation"
    slug, n = base, 1
    while Organisation.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def create_organisation(*, name, by):
    """A new organisation with the person who created it as its first owner."""
    with transaction.atomic():
        organisation = Organisation.objects.create(name=name, slug=unique_slug(name))
        Membership.objects.create(organisation=organisation, user=by, role=Role.OWNER)
    return organisation


class NoLongerMember(PlanningRuleError):
    """The person asking was removed from the organisation while their request was on its way."""


def _lock_organisation(organisation_id):
    """Lock the organisation's row: every change to its members and their roles takes this lock first,
    so rules that count members ("always an owner") see the others' changes, never a stale count.
    (On SQLite the IMMEDIATE transaction already holds the database's write lock.)"""
    Organisation.objects.select_for_update().filter(pk=organisation_id).first()


def _current_membership(organisation_id, user):
    """The requester's membership as it is now, inside the transaction: it may have changed or gone since
    the page loaded it (another owner removed them a moment ago)."""
    membership = Membership.objects.filter(organisation_id=organisation_id, user=user).first()
    if membership is None:
        raise NoLongerMember("You are no longer a member of this organisation, so nothing was changed.")
    return membership


def _target(membership):
    target = Membership.objects.select_related("user").filter(pk=membership.pk).first()
    if target is None:
        raise PlanningRuleError(
            f"{display_name(membership.user)} is no longer a member (someone removed them a moment ago); "
            "nothing was changed."
        )
    return target


def invite(*, organisation, email, role, by):
    """A single-use, expiring invitation; only an owner can invite another owner."""
    with transaction.atomic():
        # Read under the organisation's lock: the sender may have been demoted or removed a moment ago.
        _lock_organisation(organisation.pk)
        by_membership = _current_membership(organisation.pk, by)
        if not by_membership.can_manage:
            raise PlanningRuleError("Only owners and managers can invite people.")
        if role not in dict(by_membership.grantable_roles()):
            raise PlanningRuleError("Only an owner can invite another owner.")
        invitation = Invitation.objects.create(
            organisation=organisation, email=email.strip().lower(), role=role, invited_by=by
        )
        notifications.invited(invitation=invitation, by=by)
    return invitation


def accept_invitation(*, token, user):
    """Use an invitation once: the person becomes a member with its role (or keeps the role they have).

    Returns (membership, created). The row is locked so two clicks on the same link cannot both use it.
    """
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().select_related("organisation").filter(token=token).first()
        if invitation is None:
            raise PlanningRuleError(Invitation.NOT_FOUND)
        _lock_organisation(invitation.organisation_id)  # the sender's rights are read as they are now
        if problem := invitation.problem(user=user):
            raise PlanningRuleError(problem)
        membership, created = Membership.objects.get_or_create(
            organisation=invitation.organisation, user=user, defaults={"role": invitation.role}
        )
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership, created


def _owners_left_without(membership):
    return (
        Membership.objects.filter(organisation_id=membership.organisation_id, role=Role.OWNER)
        .exclude(pk=membership.pk)
        .count()
    )


def change_role(*, membership, role, by):
    """Managers change roles; only owners make or unmake owners; the last owner keeps the role.

    The organisation's row is locked before anything is read, so two owners demoting each other at
    once are served one after the other: the second sees the first's change and is refused."""
    with transaction.atomic():
        _lock_organisation(membership.organisation_id)
        by_membership = _current_membership(membership.organisation_id, by)
        membership = _target(membership)
        if not by_membership.can_manage:
            raise PlanningRuleError("Only owners and managers can change roles.")
        if role not in Role.values:
            raise PlanningRuleError("Choose one of the roles listed.")
        if not by_membership.can_change(membership) or role not in dict(by_membership.grantable_roles()):
            raise PlanningRuleError("Only an owner can make someone an owner or change an owner's role.")
        if membership.role == Role.OWNER and role != Role.OWNER and _owners_left_without(membership) == 0:
            raise PlanningRuleError(f"{membership.display_name} is the last owner. Make someone else an owner first.")
        changed = membership.role != role
        membership.role = role
        membership.save(update_fields=["role"])
        if changed:
            notifications.role_changed(membership=membership, by=by)
    return membership


def remove_member(*, membership, by):
    """Take a person out of the organisation; the last owner cannot be removed (locked as change_role)."""
    with transaction.atomic():
        _lock_organisation(membership.organisation_id)
        by_membership = _current_membership(membership.organisation_id, by)
        membership = _target(membership)
        if not by_membership.can_manage:
            raise PlanningRuleError("Only owners and managers can remove members.")
        if not by_membership.can_change(membership):
            raise PlanningRuleError("Only an owner can remove an owner.")
        if membership.role == Role.OWNER and _owners_left_without(membership) == 0:
            raise PlanningRuleError(
                f"{membership.display_name} is the last owner and cannot be removed. Make someone else an owner first."
            )
        membership.delete()


# Checklists and items ------------------------------------------------------------------------------


def checklist_findings(organisation):
    """The findings a checklist is made of, in published order: every finding of a kind a checklist plans
    for (challenges and barriers to mitigate, benefits and facilitators to realise), from the current
    version of the published sources and of the organisation's own.

    Findings with no kind (Table 6's "Offering treatment choice") are neither a challenge to guard
    against nor an outcome to choose, so they are not items; the evidence pages still show them.
    """
    return (
        Finding.objects.current()
        .plannable()
        .filter(theme__category__source__in=Source.objects.visible_to(organisation))
        .select_related("theme__category__source")
        .order_by("theme__category__source", "theme__category__position", "theme__position", "position")
    )


def create_checklist_from_evidence(
    *, organisation, title, by, service="", description="", status=ChecklistStatus.DRAFT, review_date=None
):
    """A checklist with one item per challenge (applies until a planner says otherwise) and per benefit
    (not chosen as an outcome until a planner chooses it)."""
    with transaction.atomic():
        checklist = Checklist(
            organisation=organisation,
            title=title,
            service=service,
            description=description,
            status=status,
            review_date=review_date,
            created_by=by,
        )
        checklist.save()
        items = [
            Item(
                checklist=checklist,
                finding=finding,
                applies=finding.to_mitigate,
                evidence_version=finding.theme.category.source.version,
            )
            for finding in checklist_findings(organisation)
        ]
        bulk_create_with_history(items, Item, default_user=by)
    return checklist


def copy_checklist(*, source, title, by, service="", description="", status=ChecklistStatus.DRAFT, review_date=None):
    """A new checklist of the source's organisation that starts from the source: the same decisions
    (with who took them and when) and the same actions, each reset to planned without a due date (text,
    owner, phase, co-production and the suggestion it came from are kept). Evidence published since the
    source was made comes in as from the evidence, not reviewed yet."""
    with transaction.atomic():
        checklist = Checklist(
            organisation=source.organisation,
            title=title,
            service=service,
            description=description,
            status=status,
            review_date=review_date,
            created_by=by,
        )
        checklist.save()
        copied = {item.finding_id: item for item in source.items.select_related("finding")}
        decision = [
            "applies",
            "not_applicable_reason",
            "rereview_on",
            "priority",
            "note",
            "evidence_reviewed_at",
            "decided_at",
            "decided_by_id",
            "evidence_version",
            "retired_choice",
        ]
        items = []
        for finding in checklist_findings(source.organisation):
            old = copied.pop(finding.pk, None)
            item = Item(
                checklist=checklist,
                finding=finding,
                applies=finding.to_mitigate,
                evidence_version=finding.theme.category.source.version,
            )
            if old is not None:
                for name in decision:
                    setattr(item, name, getattr(old, name))
            items.append(item)
        # Items whose finding a release retired are not in the current evidence, but the source still has
        # them (kept or closed, maybe with actions): the copy keeps them as they are, so nothing is lost.
        for old in copied.values():
            if old.finding.is_retired:
                item = Item(checklist=checklist, finding_id=old.finding_id)
                for name in decision:
                    setattr(item, name, getattr(old, name))
                items.append(item)
        items = bulk_create_with_history(items, Item, default_user=by)
        new_item = {item.finding_id: item for item in items}
        # Dropped actions were given up on; the copy starts from what the source still means to do.
        actions = source.mitigations.exclude(status=MitigationStatus.DROPPED).prefetch_related("items").order_by("pk")
        for action in actions:
            copy = Mitigation(
                checklist=checklist,
                action=action.action,
                owner_id=action.owner_id,
                owner_name=action.owner_name,
                notes=action.notes,
                phase_id=action.phase_id,
                co_produced=action.co_produced,
                lived_experience_led=action.lived_experience_led,
                suggestion_id=action.suggestion_id,
                created_by=by,
            )
            copy._change_reason = f"Copied from the checklist “{source.title}”"[:100]
            copy.save()
            copy.items.set([new_item[item.finding_id] for item in action.items.all() if item.finding_id in new_item])
    return checklist


@transaction.atomic
def decide_item(*, item, applies, reason="", rereview_on=None, priority=None, note=None, today=None, by=None):
    """Record whether an item applies, and that `by` decided it now. A challenge that does not apply keeps
    its reason and a date to look at the decision again (a year on unless given); one that applies needs
    neither."""
    today = today or timezone.localdate()
    if not item.is_decided:
        # The first decision may confirm the starting state ("applies"), which no field change would show.
        item._change_reason = "First decision: " + ("applies" if applies else "does not apply")
    item.applies = applies
    item.decided_at = timezone.now()
    item.decided_by = by
    if item.is_challenge and not applies:
        if not reason.strip():
            raise PlanningRuleError("Say why this does not apply to your service.")
        item.not_applicable_reason = reason.strip()
        item.rereview_on = rereview_on or today + REREVIEW_AFTER
    else:
        item.not_applicable_reason = ""
        item.rereview_on = None
    if priority is not None:
        item.priority = priority
    if note is not None:
        item.note = note
    item.evidence_version = _source_version(item)
    item.save()
    return item


def _source_version(item):
    """The current version of the item's source: what a decision made now is made against. Read from the
    source the loader fetched with the item (load_item does), else one query."""
    loaded = item
    for name in ("finding", "theme", "category", "source"):
        if not loaded._meta.get_field(name).is_cached(loaded):
            return Source.objects.filter(categories__themes__findings=item.finding_id).values_list(
                "version", flat=True
            )[0]
        loaded = getattr(loaded, name)
    return loaded.version


# Mitigations --------------------------------------------------------------------------------------


def _same_checklist(items):
    items = list(items)
    if not items:
        raise PlanningRuleError("An action must address at least one challenge.")
    if len({item.checklist_id for item in items}) != 1:
        raise PlanningRuleError("An action can only address challenges of one checklist.")
    return items


def adopt_suggestion(*, suggestion, by, item=None, items=None):
    """ONE action copied from a suggestion, addressing every given item (all of one checklist); it
    remembers the suggestion, and the planner gives it an owner and a due date next."""
    items = _same_checklist(items if items is not None else [item])
    action = suggestion.title
    if suggestion.description:
        action = f"{suggestion.title}\n\n{suggestion.description}"
    with transaction.atomic():
        mitigation = Mitigation(
            checklist_id=items[0].checklist_id,
            action=action[: Mitigation._meta.get_field("action").max_length],
            suggestion=suggestion,
            phase=suggestion.phase,
            created_by=by,
        )
        mitigation.save()
        mitigation.items.set(items)
    return mitigation


MITIGATION_FIELDS = [
    "action",
    "owner",
    "owner_name",
    "due_date",
    "status",
    "notes",
    "phase",
    "co_produced",
    "lived_experience_led",
]


def update_mitigation(*, mitigation_id, changes, version, by=None):
    """Apply changes only if nobody has saved since `version`; otherwise raise Conflict (nothing applied).

    The row is read under a lock and saved with instance.save() (not queryset.update()) so that
    simple-history records the change and who made it.
    """
    with transaction.atomic():
        # Lock the mitigation's row only: PostgreSQL cannot lock the nullable side of the outer joins
        # that owner, phase and suggestion need.
        current = (
            Mitigation.objects.select_for_update(of=("self",))
            .select_related("owner", "phase", "suggestion")
            .get(pk=mitigation_id)
        )
        if current.version != version:
            raise Conflict(current)
        previous_owner_id = current.owner_id
        for field, value in changes.items():
            # Text is kept with one kind of line ending whichever way it came (a page, the API).
            setattr(current, field, normalise_text(value))
        current.version = version + 1
        current.save()
        # Every path that changes the owner comes through here: the new owner is told, in this transaction.
        notifications.assigned(mitigation=current, previous_owner_id=previous_owner_id, by=by)
    return current


@dataclass
class BulkResult:
    """What a bulk change did: the actions changed, those already as asked, and those someone changed
    after the list was shown (left alone)."""

    changed: list
    already: list
    stale: list

    def messages(self, changes):
        said = []
        what = ", ".join(_describe(name, value) for name, value in changes.items() if name != "owner_name")
        what = what[:1].upper() + what[1:]
        if self.changed:
            said.append(f"{what} on {_count(self.changed)}: {_titles(self.changed)}.")
        if self.already:
            said.append(f"{_count(self.already)} already had that: {_titles(self.already)}.")
        if self.stale:
            said.append(
                f"Not changed, because someone changed {'them' if len(self.stale) > 1 else 'it'} after you loaded "
                f"the list: {_titles(self.stale)}. Look at {'them' if len(self.stale) > 1 else 'it'} again."
            )
        return said


def _count(actions):
    return f"{len(actions)} action{'s' if len(actions) != 1 else ''}"


def _titles(actions):
    return "; ".join(f"“{action.action[:50]}”" for action in actions)


def _describe(name, value):
    if name == "status":
        return f"status set to {MitigationStatus(value).label.lower()}"
    if name == "owner":
        return f"owner set to {display_name(value)}" if value else "owner removed"
    if name == "due_date":
        return f"due date set to {value:%-d %B %Y}" if value else "due date removed"
    return name


def bulk_update_mitigations(*, actions, versions, changes, by=None):
    """Apply the same changes to many actions, each through update_mitigation, so each keeps its own
    history entry and the optimistic-locking rule holds: an action changed after the person saw it
    (its version moved on) is not touched."""
    result = BulkResult([], [], [])
    with transaction.atomic():
        for action in actions:
            current = {name: getattr(action, name) for name in changes}
            if current == changes and versions[action.pk] == action.version:
                result.already.append(action)
                continue
            try:
                update_mitigation(mitigation_id=action.pk, changes=changes, version=versions[action.pk], by=by)
            except Conflict:
                result.stale.append(action)
            else:
                result.changed.append(action)
    return result


def create_mitigation(*, changes, by, item=None, items=None):
    """A new action addressing the given item (or items, all of one checklist)."""
    items = _same_checklist(items if items is not None else [item])
    with transaction.atomic():
        mitigation = Mitigation(checklist_id=items[0].checklist_id, created_by=by)
        for field, value in changes.items():
            setattr(mitigation, field, value)
        mitigation.save()
        mitigation.items.set(items)
        notifications.assigned(mitigation=mitigation, previous_owner_id=None, by=by)
    return mitigation


def _record(mitigation, by, reason):
    """A history entry on the action for a change that is not one of its fields (which challenges it
    addresses): saved under the row lock, version unchanged, since nobody's typing is overwritten."""
    mitigation._history_user = by
    mitigation._change_reason = reason[:100]
    mitigation.save()


def _names(items):
    return ", ".join(f"“{item.finding.theme.name}”" for item in items)


def link_items(*, mitigation, items, by):
    """Make the action address further items of its own checklist; returns the items newly linked."""
    with transaction.atomic():
        current = Mitigation.objects.select_for_update(of=("self",)).get(pk=mitigation.pk)
        items = [item for item in items]
        if any(item.checklist_id != current.checklist_id for item in items):
            raise PlanningRuleError("An action can only address challenges of its own checklist.")
        already = set(current.items.values_list("pk", flat=True))
        new = [item for item in items if item.pk not in already]
        if new:
            current.items.add(*new)
            _record(current, by, f"Now also addresses {_names(new)}")
    return new


def unlink_item(*, mitigation, item, by):
    """Stop the action addressing one item; an action must keep at least one."""
    with transaction.atomic():
        current = Mitigation.objects.select_for_update(of=("self",)).get(pk=mitigation.pk)
        linked = set(current.items.values_list("pk", flat=True))
        if item.pk not in linked:
            raise PlanningRuleError("This action does not address that challenge.")
        if linked == {item.pk}:
            raise PlanningRuleError(
                "An action must address at least one challenge. Link it to another challenge first, "
                "or set its status to dropped."
            )
        current.items.remove(item)
        _record(current, by, f"No longer addresses {_names([item])}")


def set_items(*, mitigation, items, by):
    """Make the action address exactly these items (all of its own checklist, at least one): the new ones are
    linked and the others unlinked, each with its history entry, in one transaction."""
    items = _same_checklist(items)
    with transaction.atomic():
        link_items(mitigation=mitigation, items=items, by=by)
        wanted = {item.pk for item in items}
        for item in (
            Item.objects.filter(mitigations=mitigation.pk).exclude(pk__in=wanted).select_related("finding__theme")
        ):
            unlink_item(mitigation=mitigation, item=item, by=by)


MERGED_INTO = "Merged into action {pk}"


def merge_mitigations(*, keep, others, by):
    """Merge duplicate actions of one checklist into `keep`: it addresses every challenge any of them
    addressed, and the others are deleted with a reason that points at `keep`, so their whole history
    stays readable on `keep`'s timeline and the checklist's."""
    others = [other for other in others if other.pk != keep.pk]
    if not others:
        raise PlanningRuleError("Choose at least one other action to merge into this one.")
    if any(other.checklist_id != keep.checklist_id for other in others):
        raise PlanningRuleError("Only actions of the same checklist can be merged.")
    with transaction.atomic():
        current = Mitigation.objects.select_for_update(of=("self",)).get(pk=keep.pk)
        linked = set(current.items.values_list("pk", flat=True))
        moved = Item.objects.filter(mitigations__in=[other.pk for other in others]).exclude(pk__in=linked).distinct()
        current.items.add(*moved)
        for other in others:
            other._history_user = by
            other._change_reason = MERGED_INTO.format(pk=current.pk)
            other.delete()
        _record(current, by, f"Merged {len(others)} duplicate action{'s' if len(others) != 1 else ''} into this one")
    return current


@transaction.atomic
def adopt_for_uncovered(*, checklist, suggestion, by):
    """Adopt one suggestion as ONE action addressing every uncovered applicable challenge of the checklist
    that it addresses; returns the action, or None if it addresses nothing still uncovered."""
    items = list(
        checklist.items.uncovered()
        .filter(finding__theme__in=suggestion.themes.all())
        .select_related("finding__theme")
        .in_published_order()
    )
    if not items:
        return None
    return adopt_suggestion(items=items, suggestion=suggestion, by=by)


@transaction.atomic
def mark_evidence_reviewed(*, item, when=None):
    item.evidence_reviewed_at = when or timezone.now()
    item.evidence_version = _source_version(item)
    item.save(update_fields=["evidence_reviewed_at", "evidence_version"])
