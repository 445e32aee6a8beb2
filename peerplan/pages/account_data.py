"""Everything PeerPlan holds about one person, as one JSON document they download from their account page.

The format is `peerplan-person/1` (README, "Your data"). It holds the person's own data and nothing of
anyone else's: never a password hash, a token's secret or digest, a session or a two-factor secret. Where
a comment or a notification is depends on an organisation's data (a checklist's title, an action), which is
given only for organisations the person may read now (the one rule, `readable_organisations`); for the
others, the organisation's name alone. A deleted organisation exists for nobody (`Organisation.objects.live`):
nothing of it is in the document, as on every page, until an owner restores it.
"""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount

from peerplan.lib.links import site_link
from peerplan.models import Comment, Membership, Mitigation, Notification, Organisation, readable_organisations
from peerplan.models.notifications import preferences

FORMAT = "peerplan-person/1"


def _when(value):
    return value.isoformat() if value else None


def _comment(comment, readable):
    where = {"organisation": comment.organisation.name}
    if comment.organisation_id in readable:
        if comment.mitigation_id:
            where |= {
                "checklist": comment.mitigation.checklist.title,
                "action": comment.mitigation.action,
            }
        else:
            where |= {"checklist": comment.item.checklist.title, "challenge": comment.item.finding.theme.name}
        where["link"] = site_link(comment.target_url())
    return {
        "text": comment.body,
        "written": _when(comment.created_at),
        "edited": _when(comment.edited_at),
        "hidden_by_a_manager": comment.is_hidden,
        "where": where,
    }


def _notification(notification, readable):
    entry = {
        "kind": notification.get_kind_display(),
        "organisation": notification.organisation.name,
        "created": _when(notification.created_at),
        "read": _when(notification.read_at),
        "emailed": _when(notification.emailed_at),
    }
    if notification.organisation_id in readable or notification.invitation_token:
        entry |= {"text": notification.subject_line(), "link": site_link(notification.target_url())}
    return entry


def person_data(user):
    """The document: a dict that json.dumps writes as it is (a fixed number of queries)."""
    readable = set(readable_organisations(user).values_list("organisation_id", flat=True))
    live = Organisation.objects.live()
    memberships = (
        Membership.objects.live().filter(user=user).select_related("organisation").order_by("organisation__name")
    )
    comments = (
        Comment.objects.filter(author=user, organisation__in=live)
        .select_related("organisation", "mitigation__checklist", "item__checklist", "item__finding__theme")
        .order_by("created_at", "pk")
    )
    owned = (
        Mitigation.objects.filter(owner=user, checklist__organisation__in=readable)
        .select_related("checklist__organisation")
        .order_by("checklist__organisation__name", "due_date", "pk")
    )
    notifications = Notification.objects.filter(recipient=user, organisation__in=live).for_listing()
    # Through the reverse relation: the tokens' model lives in the API, a layer above pages.
    tokens = (
        user.access_tokens.filter(organisation__in=live).select_related("organisation").order_by("created_at", "pk")
    )
    return {
        "format": FORMAT,
        "exported": None,  # set by the caller, so the document itself is reproducible in tests
        "profile": {
            "first_name": user.first_name,
            "last_name": user.last_name,
            "username": user.get_username(),
            "joined": _when(user.date_joined),
            "last_signed_in": _when(user.last_login),
        },
        "email_addresses": [
            {"email": address.email, "sign_in_email": address.primary, "confirmed": address.verified}
            for address in EmailAddress.objects.filter(user=user).order_by("-primary", "email")
        ],
        "two_factor": [
            {
                "type": authenticator.get_type_display(),
                "set_up": _when(authenticator.created_at),
                "last_used": _when(authenticator.last_used_at),
            }
            for authenticator in Authenticator.objects.filter(user=user).order_by("pk")
        ],
        "single_sign_on": [
            {
                "provider": connection.provider,
                "connected": _when(connection.date_joined),
                "last_signed_in": _when(connection.last_login),
            }
            for connection in SocialAccount.objects.filter(user=user).order_by("pk")
        ],
        "memberships": [
            {
                "organisation": membership.organisation.name,
                "organisation_slug": membership.organisation.slug,
                "role": membership.get_role_display(),
                "joined": _when(membership.joined_at),
            }
            for membership in memberships
        ],
        "comments": [_comment(comment, readable) for comment in comments],
        "actions_owned": [
            {
                "organisation": action.checklist.organisation.name,
                "checklist": action.checklist.title,
                "action": action.action,
                "status": action.get_status_display(),
                "due": _when(action.due_date),
            }
            for action in owned
        ],
        "notifications": [_notification(notification, readable) for notification in notifications],
        "notification_settings": {kind.label: channel for kind, channel in preferences(user).items()},
        "api_tokens": [
            {
                "name": token.name,
                "organisation": token.organisation.name,
                "access": token.get_access_display(),
                "created": _when(token.created_at),
                "last_used": _when(token.last_used_at),
                "expires": _when(token.expires_at),
                "revoked": _when(token.revoked_at),
            }
            for token in tokens
        ],
    }
