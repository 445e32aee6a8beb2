"""What an evidence release means for an organisation's checklists: findings a checklist does not have
yet are offered to it (one click for all, or each), and items whose finding a release retired are kept
or closed by a planner. Items remember the source version they were decided against."""

from dataclasses import dataclass, field

from django.db import transaction
from simple_history.utils import bulk_create_with_history

from evidence.models import PlansFor
from peerplan.lib.errors import Refused
from peerplan.lib.prepared import PreparedQuery
from peerplan.models import ChecklistStatus, Item, RetiredChoice, organisation_generations
from peerplan.operations.checklists import checklist_findings


@dataclass
class Offer:
    """Findings of one source version that a checklist does not have yet."""

    source: object
    version: int
    findings: list = field(default_factory=list)

    def phrase(self):
        """E.g. "3 new challenges and 1 new benefit from Cooper et al. 2024, Table 6 version 2"."""
        counts = {}
        for finding in self.findings:
            label = finding.get_valence_display().lower() if finding.valence else "finding"
            counts[label] = counts.get(label, 0) + 1
        parts = [f"{n} new {label}{'s' if n != 1 else ''}" for label, n in counts.items()]
        listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        return f"{listed} from {self.source.name} version {self.version}"


# The findings offers() reads, compiled once per process (peerplan/lib/prepared.py): compiling them cost the
# checklist page more than reading them. checklist_findings takes the organisation's id as Django takes an
# instance's.
MISSING = PreparedQuery(
    lambda organisation_id, checklist_id: (
        checklist_findings(organisation_id)
        .exclude(items__checklist_id=checklist_id)
        .select_related("theme__category__source")
    )
)


def offers(checklist):
    """The current findings an active checklist does not have, by source and the version that added them
    (one query). Drafts and archived checklists are not offered anything."""
    if checklist.status != ChecklistStatus.ACTIVE:
        return []
    grouped = {}
    for finding in MISSING(organisation_id=checklist.organisation_id, checklist_id=checklist.pk):
        source = finding.theme.category.source
        version = finding.added_in_version or source.version
        grouped.setdefault((source.pk, version), Offer(source, version)).findings.append(finding)
    # Things to mitigate first within each offer, as the checklist lists them.
    for offer in grouped.values():
        offer.findings.sort(key=lambda f: f.plans_for != PlansFor.MITIGATE)
    return list(grouped.values())


def add_offered_findings(*, checklist, finding_ids, by):
    """Add offered findings to a checklist as items (challenges apply, benefits are not chosen yet).
    Only findings on offer to this checklist are added: anything else in the request is refused."""
    with transaction.atomic():
        offered = {f.pk: f for offer in offers(checklist) for f in offer.findings}
        wanted = [offered[pk] for pk in finding_ids if pk in offered]
        if not wanted or len(wanted) != len(set(finding_ids)):
            raise Refused("These findings are not on offer to this checklist; reload the page.")
        items = [Item.from_finding(checklist, finding) for finding in wanted]
        bulk_create_with_history(items, Item, default_user=by)
        organisation_generations.organisation_changed(checklist.organisation_id)  # bulk_create sends no post_save
    return items


def settle_retired_item(*, item, keep):
    """A planner's answer for an item whose finding a release retired: keep it in the plan, or close it
    (a closed item no longer counts as a challenge to cover)."""
    if not item.finding.is_retired:
        raise Refused("This item's evidence is current; there is nothing to keep or close.")
    item.retired_choice = RetiredChoice.KEPT if keep else RetiredChoice.CLOSED
    item.save()
    return item
