"""Operations: each a plainly named verb that changes planning data inside one transaction.

Views call these and nothing else to write. The rules they enforce are asked of the models (who may change
whom, whether an invitation can be used, what counts as overdue) so that a rule is written once; this module
holds the steps. What a page shows is put together in pages.py.
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from simple_history.utils import bulk_create_with_history

from evidence.models import Finding, Source
from peerplan.models import (
    Checklist,
    ChecklistStatus,
    Invitation,
    Item,
    Membership,
    Mitigation,
    Organisation,
    Role,
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


def invite(*, organisation, email, role, by):
    """A single-use, expiring invitation; only an owner can invite another owner."""
    by_membership = Membership.objects.get(organisation=organisation, user=by)
    if role not in dict(by_membership.grantable_roles()):
        raise PlanningRuleError("Only an owner can invite another owner.")
    return Invitation.objects.create(organisation=organisation, email=email.strip().lower(), role=role, invited_by=by)


def accept_invitation(*, token, user):
    """Use an invitation once: the person becomes a member with its role (or keeps the role they have).

    Returns (membership, created). The row is locked so two clicks on the same link cannot both use it.
    """
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().select_related("organisation").filter(token=token).first()
        if invitation is None:
            raise PlanningRuleError(Invitation.NOT_FOUND)
        if problem := invitation.problem():
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
    """Managers change roles; only owners make or unmake owners; the last owner keeps the role."""
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        by_membership = Membership.objects.get(organisation_id=membership.organisation_id, user=by)
        if not by_membership.can_manage:
            raise PlanningRuleError("Only owners and managers can change roles.")
        if role not in Role.values:
            raise PlanningRuleError("Choose one of the roles listed.")
        if not by_membership.can_change(membership) or role not in dict(by_membership.grantable_roles()):
            raise PlanningRuleError("Only an owner can make someone an owner or change an owner's role.")
        if membership.role == Role.OWNER and role != Role.OWNER and _owners_left_without(membership) == 0:
            raise PlanningRuleError(f"{membership.display_name} is the last owner. Make someone else an owner first.")
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


def remove_member(*, membership, by):
    """Take a person out of the organisation; the last owner cannot be removed."""
    with transaction.atomic():
        membership = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
        by_membership = Membership.objects.get(organisation_id=membership.organisation_id, user=by)
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


def decide_item(*, item, applies, reason="", rereview_on=None, priority=None, note=None, today=None):
    """Record whether an item applies. A challenge that does not apply keeps its reason and a date to
    look at the decision again (a year on unless given); one that applies needs neither."""
    today = today or timezone.localdate()
    item.applies = applies
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
    """The current version of the item's source: what a decision made now is made against."""
    return Source.objects.filter(categories__themes__findings=item.finding_id).values_list("version", flat=True)[0]


# Mitigations --------------------------------------------------------------------------------------


def adopt_suggestion(*, item, suggestion, by):
    """A mitigation on the item copied from a suggestion, which it remembers; the planner edits it next."""
    action = suggestion.title
    if suggestion.description:
        action = f"{suggestion.title}\n\n{suggestion.description}"
    with transaction.atomic():
        mitigation = Mitigation(
            item=item,
            checklist_id=item.checklist_id,
            action=action[: Mitigation._meta.get_field("action").max_length],
            suggestion=suggestion,
            phase=suggestion.phase,
            created_by=by,
        )
        mitigation.save()
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


def update_mitigation(*, mitigation_id, changes, version):
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
        for field, value in changes.items():
            setattr(current, field, value)
        current.version = version + 1
        current.save()
    return current


def create_mitigation(*, item, changes, by):
    with transaction.atomic():
        mitigation = Mitigation(item=item, checklist_id=item.checklist_id, created_by=by)
        for field, value in changes.items():
            setattr(mitigation, field, value)
        mitigation.save()
    return mitigation


@transaction.atomic
def adopt_for_uncovered(*, checklist, suggestion, by):
    """Adopt one suggestion on every uncovered applicable challenge of the checklist that it addresses;
    returns the new mitigations (none if it addresses nothing still uncovered)."""
    items = (
        checklist.items.uncovered()
        .filter(finding__theme__in=suggestion.themes.all())
        .select_related("finding__theme")
        .in_published_order()
    )
    return [adopt_suggestion(item=item, suggestion=suggestion, by=by) for item in items]


@transaction.atomic
def mark_evidence_reviewed(*, item, when=None):
    item.evidence_reviewed_at = when or timezone.now()
    item.evidence_version = _source_version(item)
    item.save(update_fields=["evidence_reviewed_at", "evidence_version"])
