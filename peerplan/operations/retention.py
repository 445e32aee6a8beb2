"""How long PeerPlan keeps what it records about people's use of it: older rows are deleted by the
scheduled command `purge_expired` (README, "How long data is kept"). The periods are settings."""

from datetime import timedelta

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction

from peerplan.models import Notification


def purge_expired(*, now):
    """Delete sign-in records older than SIGN_IN_RECORD_DAYS, read notifications older than
    READ_NOTIFICATION_DAYS, unread ones older than UNREAD_NOTIFICATION_DAYS, and expired sessions.
    Returns {what: how many rows}."""
    sign_ins = now - timedelta(days=settings.SIGN_IN_RECORD_DAYS)
    read = now - timedelta(days=settings.READ_NOTIFICATION_DAYS)
    unread = now - timedelta(days=settings.UNREAD_NOTIFICATION_DAYS)
    counts = {}
    with transaction.atomic():
        for model in (AccessLog, AccessFailureLog, AccessAttempt):
            # An attempt's time is its first failure; a lock-out lasts AXES_COOLOFF_TIME, far shorter.
            counts[model._meta.verbose_name_plural] = model.objects.filter(attempt_time__lt=sign_ins).delete()[0]
        counts["notifications"] = (
            Notification.objects.filter(read_at__isnull=False, created_at__lt=read).delete()[0]
            + Notification.objects.filter(read_at__isnull=True, created_at__lt=unread).delete()[0]
        )
        counts["sessions"] = Session.objects.filter(expire_date__lt=now).delete()[0]
    return counts
