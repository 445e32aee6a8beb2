"""The benchmark's large organisation: 50 active checklists from the published evidence, 1,250 items, 5,000
actions and 100 members, built with bulk inserts (and their history, as simple-history records a bulk insert)
in a few seconds. The organisation export is measured on it (tests/test_organisation_export_memory.py);
bench/run.py can seed it for a page of its own."""

from datetime import date, timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from evidence.models import Finding
from peerplan.models import (
    Checklist,
    ChecklistStatus,
    Item,
    Membership,
    Mitigation,
    MitigationStatus,
    Organisation,
    Role,
)
from peerplan.models.organisation_generations import organisation_changed

SIZE = {"checklists": 50, "items": 1_250, "actions": 5_000, "members": 100}
ROLES = [Role.OWNER, Role.MANAGER] + [Role.PLANNER] * 8 + [Role.VIEWER] * 10
STATUSES = list(MitigationStatus)


@transaction.atomic
def build_large_organisation(*, slug="large-trust", name="Large Trust", size=None, today=None):
    """The organisation (a new one: its slug must be free), as SIZE says unless `size` says otherwise."""
    size = SIZE | (size or {})
    today = today or date.today()
    per_checklist = size["items"] // size["checklists"]
    findings = list(
        Finding.objects.filter(theme__category__source__organisation__isnull=True, retired_in_version__isnull=True)
        .select_related("theme__category__source")
        .order_by("pk")[:per_checklist]
    )
    if len(findings) < per_checklist:
        raise ValueError(f"The published evidence has {len(findings)} findings; {per_checklist} per checklist needed.")
    organisation = Organisation.objects.create(name=name, slug=slug)
    User = get_user_model()
    users = User.objects.bulk_create(
        User(
            username=f"{slug}-{n}",
            email=f"member{n}@{slug}.example.org",
            first_name=f"Member {n}",
            last_name=name,
            password="!",  # unusable: nobody signs in as them
        )
        for n in range(size["members"])
    )
    EmailAddress.objects.bulk_create(
        EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in users
    )
    Membership.objects.bulk_create(
        Membership(organisation=organisation, user=user, role=ROLES[n % len(ROLES)]) for n, user in enumerate(users)
    )
    checklists = bulk_create_with_history(
        [
            Checklist(
                organisation=organisation,
                title=f"Ward {n + 1} plan",
                service=f"Ward {n + 1}",
                status=ChecklistStatus.ACTIVE,
                review_date=today + timedelta(days=90),
                created_by=users[0],
            )
            for n in range(size["checklists"])
        ],
        Checklist,
        batch_size=500,
    )
    items = bulk_create_with_history(
        [
            Item(
                checklist=checklist,
                finding=finding,
                applies=True,
                evidence_version=finding.theme.category.source.version,
                note=f"Discussed at the ward {c + 1} meeting.",
            )
            for c, checklist in enumerate(checklists)
            for finding in findings
        ],
        Item,
        batch_size=1000,
    )
    planners = [user for n, user in enumerate(users) if ROLES[n % len(ROLES)] != Role.VIEWER]
    addressed = [items[n % len(items)] for n in range(size["actions"])]
    actions = bulk_create_with_history(
        [
            Mitigation(
                checklist_id=item.checklist_id,
                action=f"Action {n}: agree protected supervision time with a named supervisor for the team.",
                owner=planners[n % len(planners)],
                due_date=today + timedelta(days=n % 120 - 30),
                status=STATUSES[n % len(STATUSES)],
                notes="Agreed with the service manager." if n % 3 == 0 else "",
                created_by=users[0],
            )
            for n, item in enumerate(addressed)
        ],
        Mitigation,
        batch_size=1000,
    )
    Link = Mitigation.items.through
    Link.objects.bulk_create(
        (Link(mitigation_id=action.pk, item_id=item.pk) for action, item in zip(actions, addressed, strict=True)),
        batch_size=5000,
    )
    organisation_changed(organisation)
    return organisation
