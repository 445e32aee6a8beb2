"""A person's own writes to their notifications: their channel choices, and marking read."""

from django.db import transaction
from django.utils import timezone

from peerplan.models import Notification, NotificationPreference
from peerplan.models.notifications import CHANNELS, Kind
from peerplan.models.person_generations import person_changed


def set_preferences(*, user, choices):
    """Save {kind: channel}; a channel a kind does not offer is refused before anything is saved."""
    for kind, channel in choices.items():
        if kind not in Kind.values or channel not in CHANNELS[kind]:
            raise ValueError(f"{channel!r} is not a choice for {kind!r}")
    with transaction.atomic():
        for kind, channel in choices.items():
            NotificationPreference.objects.update_or_create(user=user, kind=kind, defaults={"channel": channel})


def mark_read(*, user, pk=None, now=None):
    """Mark one of the person's notifications read (or all of them when pk is None); returns how many."""
    queryset = Notification.objects.visible_to(user).unread()
    if pk is not None:
        queryset = queryset.filter(pk=pk)
    marked = queryset.update(read_at=now or timezone.now())
    person_changed(user.pk)  # update() sends no signal: the navigation's count is counted again
    return marked
