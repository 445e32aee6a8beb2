"""The navigation's unread count, on every page."""

from peerplan.models import Notification


def unread_count(user):
    return Notification.objects.visible_to(user).unread().count()


def context(request):
    """The bell's unread count for the navigation: one query, only when a page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    counted = []

    def unread_notifications():
        if not counted:
            counted.append(unread_count(user))
        return counted[0]

    return {"unread_notifications": unread_notifications}
