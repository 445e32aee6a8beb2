"""The navigation's unread count, on every page."""

from django.core.cache import cache

from evidence import cache as evidence_cache
from peerplan.lib import generations
from peerplan.models import Notification
from peerplan.models.person_generations import pending_changes, person_key, unread_key

# A count nobody reads again (a person who stopped signing in) leaves the cache after a day.
COUNT_TIMEOUT = 24 * 60 * 60


def unread_count(user, already_read=None):
    """The person's unread notifications, from the shared cache when it was counted in their current
    generation (peerplan/models/person_generations.py says what replaces it). Building the count's query (the
    visibility rule across their organisations) cost a third of every signed-in page's floor; one cache read
    of the count and its generations costs a fraction of that, and none when the request read them already
    with its person (`already_read`, peerplan/accounts/person.py)."""
    key = unread_key(user.pk)
    found = already_read.current() if already_read is not None else None
    if found is None:
        found = cache.get_many([person_key(user.pk), evidence_cache.GENERATION_KEY, key])
    pending = pending_changes()
    counted_in = (
        generations.current(found, person_key(user.pk)),
        generations.current(found, evidence_cache.GENERATION_KEY),
        pending.token if pending is not None else "",
        evidence_cache.pending_token(),
    )
    stored = found.get(key)
    if stored is not None and stored[0] == counted_in:
        return stored[1]
    count = Notification.objects.visible_to(user).unread().count()
    cache.set(key, (counted_in, count), timeout=COUNT_TIMEOUT)
    return count


def context(request):
    """The bell's unread count for the navigation: only when a page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    counted = []

    def unread_notifications():
        if not counted:
            counted.append(unread_count(user, getattr(request, "person_cache_read", None)))
        return counted[0]

    return {"unread_notifications": unread_notifications}
