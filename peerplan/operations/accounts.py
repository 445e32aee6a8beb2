"""A person deletes their own account: what is theirs goes, what they wrote for organisations stays."""

from importlib import import_module

from allauth.account.models import EmailAddress
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from peerplan.lib.errors import Refused
from peerplan.models import (
    Attachment,
    Checklist,
    Comment,
    Invitation,
    Item,
    Membership,
    Mitigation,
    Network,
    former_member,
)
from peerplan.models.organisation_generations import organisation_changed

# What deleting an account removes and keeps, in the words the confirmation page shows (and the README).
REMOVED = [
    "your name, email addresses and password",
    "your memberships of organisations and invitations sent to you",
    "your API tokens, notifications and notification settings",
    "your two-factor sign-in, single sign-on connections and every place you are signed in",
    "the record of your sign-ins",
]
KEPT = [
    "comments you wrote and files you added: organisations keep them, shown as written by “a former member”",
    "changes and decisions you made to checklists and actions, in their history, shown as made by “a former member”",
    "actions you owned stay in their checklists with no owner, for someone else to take on",
]


def refusals(user):
    """Why this person cannot delete their account now: [(what is wrong, what to do, where)], empty when
    they can. An organisation must keep an owner, and a network a coordinator."""
    found = []
    for membership in Membership.objects.sole_owner(user).select_related("organisation").order_by("organisation__name"):
        organisation = membership.organisation
        found.append(
            (
                f"You are the only owner of {organisation.name}.",
                "Make someone else an owner on its members page, or ask them to, then come back.",
                ("peerplan:members", organisation.slug),
            )
        )
    for network in Network.objects.coordinated_alone_by(user).order_by("name"):
        found.append(
            (
                f"You are the only coordinator of the network {network.name}.",
                "Ask the site administrator to name another coordinator for it, then come back.",
                None,
            )
        )
    return found


def _organisations_showing(user):
    """The organisations whose pages show this person's name: theirs, and those where they wrote, decided,
    owned or created something (they may have left since)."""
    ids = set(Membership.objects.filter(user=user).values_list("organisation_id", flat=True))
    ids.update(Comment.objects.filter(Q(author=user) | Q(hidden_by=user)).values_list("organisation_id", flat=True))
    ids.update(Attachment.objects.filter(added_by=user).values_list("organisation_id", flat=True))
    ids.update(Checklist.objects.filter(created_by=user).values_list("organisation_id", flat=True))
    ids.update(Item.objects.filter(decided_by=user).values_list("checklist__organisation_id", flat=True))
    ids.update(
        Mitigation.objects.filter(Q(owner=user) | Q(created_by=user)).values_list(
            "checklist__organisation_id", flat=True
        )
    )
    return ids


# A person's place in a row is either something they did (wrote, decided, created, changed: it stays theirs,
# shown as "a former member") or something they are responsible for now (an action's owner: it goes back to
# nobody, so the action shows under "No owner" for someone else to take on). Every reference to a person is
# the first kind except these (model label, field). A past owner in an action's history is something that
# happened, so it is the first kind.
RESPONSIBILITIES = {("peerplan.Mitigation", "owner")}


def person_references():
    """Every column that names a person and outlives them: (model, field, passes to the former member).
    Walked from the model registry, history tables included, so a model added later is covered by default;
    columns deleted with the person (CASCADE) are not listed."""
    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if field.many_to_one and field.related_model is get_user_model():
                if field.remote_field.on_delete is not models.CASCADE:
                    found.append((model, field, (model._meta.label, field.name) not in RESPONSIBILITIES))
    return found


def _pass_to_former_member(user):
    """Point every row that names this person at the former members' account, or at nobody where it named
    them as responsible now (one UPDATE per column; deleting an account is rare)."""
    account = former_member()
    for model, field, kept_as_theirs in person_references():
        model._base_manager.filter(**{field.attname: user.pk}).update(
            **{field.attname: account.pk if kept_as_theirs else None}
        )


def _session_keys(user):
    """The keys of the sessions this person is signed in with: a session keeps its user's id only in its
    encoded data, so each live one is read (deleting an account is rare; sessions expire in two weeks)."""
    keys = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            keys.append(session.session_key)
    return keys


def delete_account(*, user, confirm_email):
    """Delete the person's account, after they typed one of their email addresses.

    Removed with the account (cascading from it, each declared in the models): memberships, API tokens,
    notifications and their settings, reminders sent, email addresses, two-factor, single sign-on
    connections. Removed here: invitations to their addresses, the invitations they sent that are still
    pending (no one could use them once their sender is gone), their sign-in records and their sessions.
    Kept: what they wrote or did for an organisation (comments, files, decisions, history), passed to the
    former members' account so it shows "a former member". An action they owned is left with no owner.
    Refused, with nothing changed, while `refusals(user)` finds anything."""
    addresses = {address.lower() for address in EmailAddress.objects.filter(user=user).values_list("email", flat=True)}
    if user.email:
        addresses.add(user.email.lower())
    if (confirm_email or "").strip().lower() not in addresses:
        raise Refused("Type the email address you sign in with, exactly as it is shown, to confirm.")
    with transaction.atomic():
        if found := refusals(user):
            raise Refused(" ".join(reason for reason, _, _ in found))
        for organisation_id in _organisations_showing(user):
            # The SET_NULL updates send no signals: the pages that showed their name are rebuilt here.
            organisation_changed(organisation_id)
        email_q = Q()
        for address in addresses:
            email_q |= Q(email__iexact=address)
        if addresses:
            Invitation.objects.filter(email_q).delete()
        Invitation.objects.pending().filter(invited_by=user).delete()
        usernames = addresses | {user.get_username(), user.get_username().lower()}
        for model in (AccessAttempt, AccessFailureLog, AccessLog):
            model.objects.filter(username__in=usernames).delete()
        # Through the session store: it removes each session from the shared cache too, where it is read.
        session_store = import_module(settings.SESSION_ENGINE).SessionStore
        for session_key in _session_keys(user):
            session_store(session_key=session_key).delete()
        _pass_to_former_member(user)
        user.delete()
