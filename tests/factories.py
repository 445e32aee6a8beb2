"""Planning data made with the ORM, the way the planning branch's create_checklist_from_evidence
makes it: one item per challenge finding (applies) and per benefit finding (not selected)."""

from simple_history.utils import bulk_create_with_history

from evidence.models import Finding, Valence
from peerplan.models import Checklist, ChecklistStatus, Item, Mitigation, MitigationStatus


def make_checklist(org, title, by=None, status=ChecklistStatus.ACTIVE, review_date=None, service=""):
    checklist = Checklist.objects.create(
        organisation=org, title=title, created_by=by, status=status, review_date=review_date, service=service
    )
    findings = Finding.objects.filter(valence__in=[Valence.CHALLENGE, Valence.BENEFIT]).order_by(
        "theme__category__position", "theme__position", "position"
    )
    # With history, so the first edit of an item has a version to be compared with.
    bulk_create_with_history(
        [
            # Decided against Table 6 version 1, as create_checklist_from_evidence records it.
            Item(
                checklist=checklist,
                finding=finding,
                applies=finding.valence == Valence.CHALLENGE,
                evidence_version=1,
            )
            for finding in findings
        ],
        Item,
        default_user=by,
    )
    return checklist


def item_for(checklist, theme_name, valence=Valence.CHALLENGE):
    return checklist.items.select_related("finding__theme").get(
        finding__theme__name=theme_name, finding__valence=valence
    )


def make_mitigation(item, action="Write a role description", status=MitigationStatus.PLANNED, **fields):
    return Mitigation.objects.create(item=item, checklist=item.checklist, action=action, status=status, **fields)


def challenge_theme_names():
    """Challenge themes in published order."""
    names = []
    for finding in (
        Finding.objects.filter(valence=Valence.CHALLENGE)
        .select_related("theme")
        .order_by("theme__category__position", "theme__position", "position")
    ):
        if finding.theme.name not in names:
            names.append(finding.theme.name)
    return names
