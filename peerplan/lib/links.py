"""Links in emails, and the way back to the page a person came from.

Emails: every link starts at SITE_URL, the address people reach PeerPlan at.

An email is read away from the page that sent it, and the scheduled commands (send_notifications,
send_reminders) have no request at all to take an address from: so every email, sent from a page or from
a command, links through site_link(), and a deployment that has not set SITE_URL is warned by
`manage.py check --deploy`.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks
from django.utils.http import url_has_allowed_host_and_scheme

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def site_link(path_or_url):
    """SITE_URL with the path (query and fragment) of `path_or_url`: "/accounts/confirm-email/k/" or a URL built from
    a request, whose host may be an address behind the proxy that readers cannot reach."""
    parts = urlsplit(path_or_url)
    query = f"?{parts.query}" if parts.query else ""
    fragment = f"#{parts.fragment}" if parts.fragment else ""
    return settings.SITE_URL + parts.path + query + fragment


def site_url_is_set(app_configs, **kwargs):
    """A deploy check (registered in apps.py): without SITE_URL every email links to the development
    address, http://127.0.0.1:8000, which nobody reading the email can open."""
    host = urlsplit(settings.SITE_URL).hostname
    if settings.DEBUG or host not in LOCAL_HOSTS:
        return []
    return [
        checks.Warning(
            f"SITE_URL is {settings.SITE_URL}: every email would link there, which no reader can open.",
            hint="Set SITE_URL to the address people open PeerPlan at, e.g. SITE_URL=https://peerplan.example.org.",
            id="peerplan.W001",
        )
    ]


def came_from(request, default):
    """Where to send a person after a save: the `next` they brought (posted, or in the address) when it is a
    page of this site, so they land back on the list with its filters, the checklist or the item; otherwise
    `default`. Anything else (another site, "//elsewhere", "javascript:") is ignored: an open redirect
    would let a link in a phishing email pass through PeerPlan."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
