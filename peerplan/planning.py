"""Operations across several planning models, each one plainly named and inside one transaction.

Views call these; they hold the rules (the last owner, single-use invitations, optimistic locking) so
that a rule is written once and tested once.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from simple_history.utils import bulk_create_with_history

from evidence.models import Finding, Valence
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
        _lock_organisation(organisation.pk)
        by_membership = _current_membership(organisation.pk, by)
        if not by_membership.can_manage:
            raise PlanningRuleError("Only owners and managers can invite people.")
        if role == Role.OWNER and not by_membership.is_owner:
            raise PlanningRuleError("Only an owner can invite another owner.")
        return Invitation.objects.create(
            organisation=organisation, email=email.strip().lower(), role=role, invited_by=by
        )


def invitation_problem(invitation, user=None, now=None, members=None):
    """Why this invitation cannot be used (by `user`, when given), in words for the person holding the
    link; None when it can. `members` ({user id: membership}) saves a query per invitation. Besides being unused and unexpired, the person who sent it must still have
    the right to invite with its role, and it is for the one email address it was sent to."""
    if invitation.accepted_at is not None:
        return "This invitation has already been used. Ask for a new one if you still need it."
    if not invitation.is_usable(now):
        return "This invitation has expired. Ask the person who invited you for a new one."
    if members is not None:  # {user id: membership} of the organisation, already loaded by the page
        inviter = members.get(invitation.invited_by_id)
    elif invitation.invited_by_id:
        inviter = Membership.objects.filter(
            organisation_id=invitation.organisation_id, user_id=invitation.invited_by_id
        ).first()
    else:
        inviter = None
    if inviter is None or not inviter.can_manage or (invitation.role == Role.OWNER and not inviter.is_owner):
        return (
            "This invitation is no longer valid: the person who sent it no longer has the right to invite "
            "you with this role. Ask an owner or manager of the organisation for a new one."
        )
    if user is not None and (user.email or "").strip().lower() != invitation.email.strip().lower():
        return (
            "This invitation was sent to another email address. Sign in with the address it was sent to, "
            "or sign out and sign up with the address this invitation was sent to."
        )
    return None


def accept_invitation(*, token, user):
    """Use an invitation once: the person becomes a member with its role (or keeps the role they have).

    Returns (membership, created). The row is locked so two clicks on the same link cannot both use it.
    """
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().select_related("organisation").filter(token=token).first()
        if invitation is None:
            raise PlanningRuleError("This invitation link is not valid. Ask for a new one.")
        _lock_organisation(invitation.organisation_id)  # the inviter's rights are read as they are now
        problem = invitation_problem(invitation, user)
        if problem:
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
        if (role == Role.OWNER or membership.role == Role.OWNER) and not by_membership.is_owner:
            raise PlanningRuleError("Only an owner can make someone an owner or change an owner's role.")
        if membership.role == Role.OWNER and role != Role.OWNER and _owners_left_without(membership) == 0:
            raise PlanningRuleError(
                f"{display_name(membership.user)} is the last owner. Make someone else an owner first."
            )
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


def remove_member(*, membership, by):
    """Take a person out of the organisation; the last owner cannot be removed (locked as change_role)."""
    with transaction.atomic():
        _lock_organisation(membership.organisation_id)
        by_membership = _current_membership(membership.organisation_id, by)
        membership = _target(membership)
        if not by_membership.can_manage:
            raise PlanningRuleError("Only owners and managers can remove members.")
        if membership.role == Role.OWNER and not by_membership.is_owner:
            raise PlanningRuleError("Only an owner can remove an owner.")
        if membership.role == Role.OWNER and _owners_left_without(membership) == 0:
            raise PlanningRuleError(
                f"{display_name(membership.user)} is the last owner and cannot be removed. "
                "Make someone else an owner first."
            )
        membership.delete()


def display_name(user):
    return user.get_full_name() or user.first_name or user.email or user.username


# Checklists and items ------------------------------------------------------------------------------


def checklist_findings():
    """The findings a checklist is made of, in published order: every challenge and every benefit.

    Findings with no valence (Table 6's "Offering treatment choice") are neither a challenge to guard
    against nor an outcome to choose, so they are not items; the evidence pages still show them.
    """
    return Finding.objects.filter(valence__in=[Valence.CHALLENGE, Valence.BENEFIT]).order_by(
        "theme__category__position", "theme__position", "position"
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
            Item(checklist=checklist, finding=finding, applies=finding.valence == Valence.CHALLENGE)
            for finding in checklist_findings()
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
    item.save()
    return item


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


@dataclass
class Conflict:
    """Someone else saved the mitigation since this person opened it: what it holds now."""

    current: Mitigation


def update_mitigation(*, mitigation_id, changes, version):
    """Apply changes only if nobody has saved since `version`; otherwise return a Conflict.

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
            return Conflict(current=current)
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


# Pages -------------------------------------------------------------------------------------------


def checklist_url(checklist_id):
    from django.urls import reverse

    return reverse("peerplan:checklist", args=[checklist_id])


@dataclass
class ThemeGroup:
    theme: object
    items: list


@dataclass
class CategoryGroup:
    category: object
    themes: list


def group_by_category_and_theme(items):
    """Items (already in published order) as categories of themes of items, for the page to loop over."""
    groups = []
    for item in items:
        theme = item.finding.theme
        if not groups or groups[-1].category.pk != theme.category_id:
            groups.append(CategoryGroup(category=theme.category, themes=[]))
        themes = groups[-1].themes
        if not themes or themes[-1].theme.pk != theme.pk:
            themes.append(ThemeGroup(theme=theme, items=[]))
        themes[-1].items.append(item)
    return groups


def status_summary(item):
    """[(label, count)] of an item's mitigations by status, from with_mitigation_counts()."""
    from peerplan.models import MitigationStatus

    return [
        (label, getattr(item, f"{value}_count"))
        for value, label in MitigationStatus.choices
        if getattr(item, f"{value}_count")
    ]


# How a stakeholder group reads in "Challenges reported by ...: 4 of 6 covered".
GROUP_PHRASES = {
    "PSWs": "reported by PSWs",
    "Service users": "reported by service users",
    "Non-peer staff": "reported by non-peer staff",
    "Peer support group members": "reported by peer support group members",
    "Mental health organisations": "reported by mental health organisations",
    "Mixed": "reported by mixed samples",
}


def checklist_page(checklist, today=None):
    """Everything the checklist page shows, in a fixed number of queries whatever its size:
    items with counts and coverage (1), the evidence facts (1, cached), coverage (1), coverage through each
    group's lens (1), mitigations per phase (2), co-production (1), suggestions ranked by leverage (3)."""
    from evidence.cache import finding_facts
    from peerplan import insights

    items = list(checklist.items.select_related("finding__theme__category").with_coverage().with_mitigation_counts())
    facts = finding_facts()
    strengths = insights.evidence_strengths(facts)
    for item in items:
        item.statuses = status_summary(item)
        item.strength = strengths[item.finding_id]
        item.evidence_updated = insights.evidence_updated(item)
    challenges = [item for item in items if item.is_challenge]
    benefits = [item for item in items if item.is_benefit]
    by_group = checklist.coverage_by_group(facts)
    today = today or timezone.localdate()
    return {
        "coverage": checklist.coverage(),
        "coverage_by_group": [(GROUP_PHRASES.get(group, group), by_group[group]) for group in by_group],
        "uncovered": [item for item in challenges if item.applies and not item.is_covered],
        "not_applicable_count": sum(1 for item in challenges if not item.applies),
        "rereview_due": [
            item for item in challenges if not item.applies and item.rereview_on and item.rereview_on <= today
        ],
        "evidence_updated": [item for item in items if item.evidence_updated],
        "challenge_groups": group_by_category_and_theme(challenges),
        "benefit_groups": group_by_category_and_theme(benefits),
        "chosen_outcomes": sum(1 for item in benefits if item.applies),
        "benefit_count": len(benefits),
        "phases": insights.phase_counts(checklist),
        "co_production": insights.co_production(checklist),
        "leverage": insights.rank_suggestions(checklist, facts)[:LEVERAGE_SHOWN],
    }


# The checklist page shows the few suggestions that would cover most; the rest are on each item.
LEVERAGE_SHOWN = 5


@transaction.atomic
def adopt_for_uncovered(*, checklist, suggestion, by):
    """Adopt one suggestion on every uncovered applicable challenge of the checklist that it addresses;
    returns the new mitigations (none if it addresses nothing still uncovered)."""
    items = (
        checklist.items.uncovered().filter(finding__theme__in=suggestion.themes.all()).select_related("finding__theme")
    )
    return [adopt_suggestion(item=item, suggestion=suggestion, by=by) for item in items]


@transaction.atomic
def mark_evidence_reviewed(*, item, when=None):
    item.evidence_reviewed_at = when or timezone.now()
    item.save(update_fields=["evidence_reviewed_at"])


# Sign-in pauses ----------------------------------------------------------------------------------


def _sign_in_names(user):
    """The names django-axes counts a person's failed sign-ins under: the account's username (what an
    email address typed at sign-in resolves to) and the email itself, lower-cased."""
    return {user.username, user.username.lower(), (user.email or "").lower()} - {""}


def paused_sign_ins(users):
    """The ids of those people whose sign-in is paused for their account (one query)."""
    from axes.models import AccessAttempt
    from django.conf import settings
    from django.db.models import Sum

    names = {name: user.pk for user in users for name in _sign_in_names(user)}
    if not names:
        return set()
    rows = (
        AccessAttempt.objects.filter(
            username__in=list(names), attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME
        )
        .values("username")
        .annotate(failures=Sum("failures_since_start"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        .order_by()
    )
    return {names[row["username"]] for row in rows}


def unlock_sign_in(*, membership):
    """Clear the failed sign-ins counted against a member's account, so they can sign in again at once.
    A pause of an address (many failures from one place) is left to the site administrator."""
    from axes.utils import reset

    return sum(reset(username=name) for name in _sign_in_names(membership.user))
