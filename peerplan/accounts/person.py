"""The signed-in person of a request, read from the shared cache: with the session, what every signed-in
request must read before it can decide anything.

Django reads the person's `auth_user` row on every request. Here it is kept in the shared cache with whether
they have set up two-factor (an organisation's two-factor rule asks it on every one of its pages), stored
with their account's generation (peerplan/models/person_generations.py), which is replaced whenever either
changes: a record whose generation is not current is read again from the database, never used. The same
cache read fetches what the navigation's unread count is kept with (peerplan/notify/context.py), so a
signed-in page reads the shared cache twice (the session, then this) and the database once (the
organisation and membership, peerplan/access.py), and nothing else before its own work.

The rest is Django's `django.contrib.auth.get_user`, unchanged in what it decides: the session must name a
backend still configured, the person must be allowed to sign in (active), and the session's hash of their
password must match the current one (or one made with an older secret key, when the key is cycled); a
session that fails is flushed. A changed password therefore ends every other session at its next
request, on every worker, as the record is replaced with the password.
"""

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import auth
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model, load_backend
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db.models import Exists, OuterRef
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject

from evidence import cache as evidence_cache
from peerplan.lib import generations
from peerplan.models.person_generations import (
    account_key,
    pending_account_changes,
    person_key,
    record_key,
    unread_key,
)

# A record nobody reads again (a person who stopped signing in) leaves the cache after a day.
RECORD_TIMEOUT = 24 * 60 * 60


class SharedCacheRead:
    """What one request read of the shared cache for its person (a `cache.get_many` result), for the other
    readers of the same keys in that request (the unread count) while it is still current: until this
    process replaces a generation (a write of the request's own)."""

    def __init__(self, found):
        self.found = found
        self.replacements = generations.replacements()

    def current(self):
        return self.found if generations.replacements() == self.replacements else None


def _read_from_database(user_id):
    """The person and whether they have any two-factor authenticator, in one query (None if no such person)."""
    has_authenticator = Exists(Authenticator.objects.filter(user_id=OuterRef("pk")))
    return get_user_model()._default_manager.annotate(has_authenticator=has_authenticator).filter(pk=user_id).first()


def _account(user_id, found):
    """The person's account from `found` (a read of the shared cache with their account's generation and
    record), or else from the database, then kept in the cache. None if there is no such person."""
    found[account_key(user_id)] = generations.current(found, account_key(user_id))  # made now if it was missing
    pending = pending_account_changes()
    read_in = (found[account_key(user_id)], pending.token if pending is not None else "")
    stored = found.get(record_key(user_id))
    if stored is not None and stored[0] == read_in:
        return stored[1]
    # The generation above was read before the row: a write that commits in between replaces it, so what
    # is stored now is never taken for current.
    user = _read_from_database(user_id)
    if user is not None:
        cache.set(record_key(user_id), (read_in, user), timeout=RECORD_TIMEOUT)
    return user


def _person(request, user_id):
    keys = [account_key(user_id), record_key(user_id), person_key(user_id), evidence_cache.GENERATION_KEY]
    found = cache.get_many([*keys, unread_key(user_id)])
    request.person_cache_read = SharedCacheRead(found)
    return _account(user_id, found)


def keep_account_on_sign_in(sender, request, user, **kwargs):
    """On signing in (user_logged_in, after Django recorded the sign-in on the person's row), the person's
    account is read into the cache, so the first page after signing in is as quick as any: signing in
    (hashing a password) takes far longer than the read."""
    _account(user.pk, cache.get_many([account_key(user.pk), record_key(user.pk)]))


def signed_in_person(request):
    """The request's person, as `django.contrib.auth.get_user(request)` finds them (see the module docstring)."""
    try:
        user_id = get_user_model()._meta.pk.to_python(request.session[SESSION_KEY])
        backend_path = request.session[BACKEND_SESSION_KEY]
    except KeyError:
        return AnonymousUser()
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return AnonymousUser()
    backend = load_backend(backend_path)
    if not isinstance(backend, ModelBackend):
        return auth.get_user(request)  # a backend that finds people some other way: Django's own reading
    user = _person(request, user_id)
    if user is None or not backend.user_can_authenticate(user):
        return AnonymousUser()
    session_hash = request.session.get(HASH_SESSION_KEY)
    current_hash = user.get_session_auth_hash()
    if session_hash and constant_time_compare(session_hash, current_hash):
        return user
    if session_hash and any(
        constant_time_compare(session_hash, fallback) for fallback in user.get_session_auth_fallback_hash()
    ):
        # Signed with a secret key since replaced (SECRET_KEY_FALLBACKS): moved to the current one.
        request.session.cycle_key()
        request.session[HASH_SESSION_KEY] = current_hash
        return user
    request.session.flush()
    return AnonymousUser()


def _cached_person(request):
    # Where Django's middleware keeps it too, so its own helpers find the same person.
    if not hasattr(request, "_cached_user"):
        request._cached_user = signed_in_person(request)
    return request._cached_user


class PersonMiddleware(AuthenticationMiddleware):
    """Django's AuthenticationMiddleware with the person read as `signed_in_person` reads them."""

    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _cached_person(request))
