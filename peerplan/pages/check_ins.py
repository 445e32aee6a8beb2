"""What the check-in pages show: a checklist's check-in with its rounds, and a round's public answer page."""

from dataclasses import dataclass

from django.conf import settings

from peerplan.figures import check_ins as figures
from peerplan.models import CheckIn, RoundStatement


@dataclass
class RoundRow:
    """One round on the check-in page: its dates and state, and what may be shown of it."""

    round: object
    is_open: bool
    answered: int | None  # None: open, or too few answered to say
    comments: list


def check_in_page(checklist, today):
    """The checklist's check-in, its rounds newest first and the challenges' trends (a fixed number of queries:
    the check-in with its recipients counted (1), its rounds (1), the trends (figures.trends_for_items), the
    comments of the rounds that may show them (1))."""
    check_in = (
        CheckIn.objects.filter(checklist=checklist).select_related("created_by").first()
        if checklist is not None
        else None
    )
    if check_in is None:
        return {"check_in": None, "threshold": settings.CHECK_IN_THRESHOLD}
    rounds = list(check_in.rounds.order_by("-number"))
    comments = figures.comments_by_round(rounds, check_in)
    rows = [RoundRow(r, r.is_open(today), figures.round_summary(r, check_in), comments.get(r.pk, [])) for r in rounds]
    trends = figures.trends_for_items(checklist)
    items = list(check_in.items.select_related("finding__theme").in_published_order())
    for item in items:
        item.trend = trends.get(item.pk)
    recipients = check_in.recipients.count()
    return {
        "check_in": check_in,
        "rounds": rows,
        "items": items,
        "recipients": recipients,
        "threshold": figures.threshold_of(check_in),
        "too_few": recipients < figures.threshold_of(check_in),
    }


def answer_page(round_):
    """The statements a round asks, in order, with the text it asked them in (one query)."""
    return list(RoundStatement.objects.filter(round=round_).select_related("statement").order_by("position"))
