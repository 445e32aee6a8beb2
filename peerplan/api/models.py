"""Personal access tokens: one person's key to the API for one organisation, read-only or read-write."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from peerplan.lib.freshness import NOT_SHOWN
from peerplan.models import Organisation

# What a token string starts with, so a leaked one is recognisable (secret scanners, logs).
TOKEN_PREFIX = "pp_"
# How often the "last used" time is written: at most once a minute per token, so a busy script does not
# turn every read into a write.
LAST_USED_RESOLUTION_SECONDS = 60


def digest(raw):
    """The stored form of a token. A plain SHA-256 is enough here (unlike passwords): the token is 256
    random bits, so there is nothing to guess, and a fast digest lets a request find its token by index."""
    return hashlib.sha256(raw.encode()).hexdigest()


class Access(models.TextChoices):
    READ = "read", "Read only"
    WRITE = "write", "Read and write"


class AccessTokenQuerySet(models.QuerySet):
    def usable(self, now=None):
        """Not revoked and not expired."""
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )

    def revocable_by(self, person):
        """The tokens this person may revoke: their own, and every token of an organisation they own."""
        return self.filter(
            models.Q(user=person)
            | models.Q(organisation__memberships__user=person, organisation__memberships__role="owner")
        ).distinct()

    def find(self, raw):
        """The usable token with this secret, with its person and organisation, or None."""
        if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
            return None
        return self.usable().select_related("user", "organisation").filter(digest=digest(raw)).first()


class AccessToken(models.Model):
    """A personal access token to the API: scoped to one organisation, read or read-write, never more than
    its person's current role there. Only a digest is stored; the secret is shown once, when created."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_tokens")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="access_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. 'Power BI report'.")
    access = models.CharField(max_length=5, choices=Access.choices, default=Access.READ)
    prefix = models.CharField(max_length=12, help_text="The first characters of the secret, to recognise it.")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    # The API tokens page is not cached; its last use is written on every call.
    freshness = NOT_SHOWN

    objects = AccessTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organisation", "user"])]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def can_write(self):
        return self.access == Access.WRITE

    def is_expired(self, now=None):
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    @property
    def state(self):
        if self.revoked_at:
            return "Revoked"
        if self.is_expired():
            return "Expired"
        return "Active"

    def touch(self, now=None):
        """Record a use, at most once a minute (one UPDATE, no history: it is not a change anyone made)."""
        now = now or timezone.now()
        stale = self.last_used_at is None or (now - self.last_used_at).total_seconds() >= LAST_USED_RESOLUTION_SECONDS
        if stale:
            AccessToken.objects.filter(pk=self.pk).update(last_used_at=now)
            self.last_used_at = now


def new_secret():
    return TOKEN_PREFIX + secrets.token_urlsafe(32)
