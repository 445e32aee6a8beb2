"""The step-through review of a checklist's challenges: the order they are walked in and where each
step leads, in the GOV.UK task-list way (each challenge shows its state; go through them in order;
check every answer at the end). The pages themselves are put together in pages.py.

"Save and next" moves on to the next challenge nobody has decided yet (wrapping round to one skipped
earlier), and to the summary once every challenge is decided; "Previous" steps back through the
challenges in published order, decided or not, so any answer can be looked at again.
"""

from dataclasses import dataclass

from peerplan.models import ReviewProgress


@dataclass(frozen=True)
class ReviewWalk:
    """The checklist's challenges in published order, as (item id, decided) pairs (one query)."""

    steps: list

    @classmethod
    def of(cls, checklist):
        rows = checklist.items.challenges().in_published_order().values_list("pk", "decided_at")
        return cls([(pk, decided_at is not None) for pk, decided_at in rows])

    @property
    def progress(self):
        return ReviewProgress(decided=sum(decided for _, decided in self.steps), total=len(self.steps))

    def position(self, item_id):
        """1-based place of the item in the walk."""
        return [pk for pk, _ in self.steps].index(item_id) + 1

    def first_undecided(self):
        return next((pk for pk, decided in self.steps if not decided), None)

    def next_undecided(self, after_id):
        """The next undecided challenge after this one, else one skipped before it, else None."""
        index = self.position(after_id) - 1
        later = self.steps[index + 1 :] + self.steps[:index]
        return next((pk for pk, decided in later if not decided), None)

    def previous(self, item_id):
        index = self.position(item_id) - 1
        return self.steps[index - 1][0] if index > 0 else None

    def decided_now(self, item_id):
        """The walk once this item is decided (the page is not read again after a save)."""
        return ReviewWalk([(pk, decided or pk == item_id) for pk, decided in self.steps])
