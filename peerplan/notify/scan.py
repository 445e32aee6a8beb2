"""The scheduled scan: what is due, overdue or past its review date becomes notifications and digests."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from peerplan.models import (
    Checklist,
    ChecklistStatus,
    Item,
    Membership,
    Mitigation,
    Notification,
    NotificationPreference,
    addressed_items,
)
from peerplan.models.notifications import DEFAULTS, Channel, Kind, email_fields
from peerplan.models.person_generations import person_changed


def record_scheduled(today, now=None):
    """Notifications for actions that became overdue and "does not apply" decisions due for re-review,
    once per action and due date (or item and re-review date), however often it runs. Returns how many."""
    now = now or timezone.now()
    made = 0
    overdue = (
        Mitigation.objects.overdue(today)  # overdue_q: tracked (active) checklists only, as on every page
        .filter(owner__isnull=False, checklist__organisation__memberships__user=models.F("owner"))
        .filter(checklist__organisation__deleted_at__isnull=True)  # a deleted organisation tells nobody
        .select_related("checklist", "owner")
    )
    candidates = [
        (m.owner, f"overdue:{m.pk}:{m.due_date}", {"mitigation": m}, m.checklist.organisation_id) for m in overdue
    ]
    # Its organisation's records only: the id may have named another organisation's item before (issue 12).
    last_changed_by = (
        Item.history.filter(id=OuterRef("pk"), organisation_id=OuterRef("checklist__organisation_id"))
        .order_by("-history_date")
        .values("history_user")[:1]
    )
    rereview = (
        Item.objects.rereview_due(today)
        .exclude(checklist__status="archived")
        # Who decided: the item records it since the review state (planning); earlier decisions only in
        # its history.
        .annotate(decider=Coalesce("decided_by", Subquery(last_changed_by), output_field=models.IntegerField()))
        .filter(decider__isnull=False, checklist__organisation__memberships__user=models.F("decider"))
        .filter(checklist__organisation__deleted_at__isnull=True)
        .select_related("checklist")
    )
    users = {}
    rereview_candidates = list(rereview)
    if rereview_candidates:
        ids = {item.decider for item in rereview_candidates}
        users = get_user_model().objects.in_bulk(ids)
    candidates += [
        (users[i.decider], f"rereview:{i.pk}:{i.rereview_on}", {"item": i}, i.checklist.organisation_id)
        for i in rereview_candidates
        if i.decider in users
    ]
    if not candidates:
        return 0
    keys = {key for _, key, _, _ in candidates}
    done = set(Notification.objects.filter(dedupe_key__in=keys).values_list("recipient_id", "dedupe_key"))
    chosen = {}
    for row in NotificationPreference.objects.filter(
        user_id__in={user.pk for user, *_ in candidates}, kind__in=[Kind.OVERDUE, Kind.REREVIEW]
    ).values_list("user_id", "kind", "channel"):
        chosen[row[0], row[1]] = row[2]
    rows = []
    for user, key, about, organisation_id in candidates:
        if (user.pk, key) in done:
            continue
        kind = Kind.OVERDUE if key.startswith("overdue") else Kind.REREVIEW
        channel = chosen.get((user.pk, kind), DEFAULTS[kind])
        if channel == Channel.OFF:
            continue
        rows.append(
            Notification(
                recipient=user,
                kind=kind,
                organisation_id=organisation_id,
                dedupe_key=key,
                created_at=now,
                **email_fields(channel, now),
                **about,
            )
        )
        made += 1
    # Two runs at once may both make the same row: the unique constraint keeps one, the other is ignored.
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    person_changed(*{row.recipient_id for row in rows})  # bulk_create sends no signal
    return made


@dataclass
class ActionDigest:
    """One person's overdue actions and those due soon, across their organisations."""

    recipient: object
    overdue: list = field(default_factory=list)
    due_soon: list = field(default_factory=list)
    # Titles of the draft checklists holding open actions of theirs, which the digest leaves out (and says so).
    drafts: list = field(default_factory=list)


def action_digests(today, days):
    """[ActionDigest] for everyone who owns open actions that are overdue or due within `days`, on
    active checklists (tracked_q), in organisations whose data they may read now, with the drafts that
    hold open actions of theirs, left out (two queries)."""
    readable = Membership.objects.readable().filter(
        user_id=OuterRef("owner_id"), organisation_id=OuterRef("checklist__organisation_id")
    )
    actions = (
        Mitigation.objects.open()
        .tracked()
        .filter(Exists(readable), due_date__lte=today + timedelta(days=days))
        .select_related("owner", "checklist__organisation")
        .prefetch_related(addressed_items())
        .order_by("owner_id", "due_date", "pk")
    )
    digests = {}
    for action in actions:
        digest = digests.setdefault(action.owner_id, ActionDigest(action.owner))
        action.days_late = (today - action.due_date).days
        (digest.overdue if action.is_overdue(today) else digest.due_soon).append(action)
    left_out = (
        Mitigation.objects.open()
        .filter(Exists(readable), owner_id__in=list(digests), checklist__status=ChecklistStatus.DRAFT)
        .values_list("owner_id", "checklist__title")
        .order_by("owner_id", "checklist__title")
        .distinct()
    )
    for owner_id, title in left_out:
        digests[owner_id].drafts.append(title)
    return list(digests.values())


@dataclass
class ReviewDigest:
    """Checklists past their review date, for one manager or owner, across their organisations."""

    recipient: object
    checklists: list = field(default_factory=list)


def review_digests(today):
    checklists = list(
        Checklist.objects.past_review(today)
        .select_related("organisation")
        .order_by("organisation__name", "review_date")
    )
    by_organisation = {}
    for checklist in checklists:
        by_organisation.setdefault(checklist.organisation_id, []).append(checklist)
    digests = {}
    memberships = (
        Membership.objects.managers()
        .readable()
        .filter(organisation_id__in=by_organisation)
        .select_related("user")
        .order_by("user_id", "organisation__name")
    )
    for membership in memberships:
        digest = digests.setdefault(membership.user_id, ReviewDigest(membership.user))
        digest.checklists.extend(by_organisation[membership.organisation_id])
    return list(digests.values())
