"""What every part of a page rendered once per process (peerplan/templatetags/action_rows.py, item_rows.py, the
dashboard's cards, the organisation page's rows) needs besides its own values: to be kept (`kept`), the page's
values its HTML depends on, and the request's CSRF token put back in.

A kept part is rendered from a key holding every value it shows, so its key must also hold what else the
HTML is written for: whether the page's forms carry a CSRF token (a template rendered without one leaves it
out), the URL map and script prefix in force (its links) and the language (its words and dates). The token
itself differs per request, so the part is rendered with a mark where it goes and the request's token is put
in on every use.
"""

import functools
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.template import Context
from django.template.loader import get_template
from django.urls import get_script_prefix, get_urlconf
from django.utils import translation
from django.utils.safestring import mark_safe


def kept(maxsize):
    """`functools.lru_cache(maxsize)` for a function that renders a part from its arguments alone, except while
    DEBUG is on: then every call renders afresh, since a part kept from before a template was edited would
    show the old template."""

    def decorate(render):
        cached = functools.lru_cache(maxsize=maxsize, typed=True)(render)

        @functools.wraps(render)
        def render_or_reuse(*args, **kwargs):
            return (render if settings.DEBUG else cached)(*args, **kwargs)

        render_or_reuse.cache_clear = cached.cache_clear
        render_or_reuse.cache_info = cached.cache_info
        return render_or_reuse

    return decorate


# Where a kept part's CSRF token goes. Unguessable, so nothing a person typed into a title or a reason can be
# taken for it.
CSRF_MARK = f"keptcsrf{secrets.token_hex(16)}"


@dataclass(frozen=True)
class PageValues:
    """The page's values a kept part's HTML depends on besides its own (see the module docstring)."""

    with_csrf: bool
    urlconf: object
    script_prefix: str
    language: str

    @classmethod
    def of(cls, context):
        """The values in force where `context` (a template's) is rendered. The URL map and script prefix are
        the request's, set before its templates are rendered, so they are read once per context (each is a
        lookup in the request's own state, and a checklist page has thirty parts); the token's place and the
        language are read on every call ({% language %} changes the language inside a template)."""
        token = _token(context)
        with_csrf = bool(token) and token != "NOTPROVIDED"
        language = translation.get_language()
        last = getattr(context, "_kept_page_values", None)
        if last is not None and last.with_csrf == with_csrf and last.language == language:
            return last
        values = cls(with_csrf=with_csrf, urlconf=get_urlconf(), script_prefix=get_script_prefix(), language=language)
        context._kept_page_values = values
        return values


def may_edit(context):
    """Whether the person looking at the page `context` renders may edit its organisation's plan (its
    `membership`): the one thing about who is looking that a part's key holds where it changes the HTML."""
    membership = context.get("membership")
    return bool(membership and membership.can_edit)


def render(template_name, values, page):
    """`template_name` rendered from `values` alone, for the page values `page` (its CSRF token left as
    CSRF_MARK)."""
    context = Context(
        {**values, "csrf_token": CSRF_MARK if page.with_csrf else None},
        use_l10n=False,  # as page_cache renders the bodies these parts are part of
    )
    return get_template(template_name).template.render(context)


def with_token(html, context):
    """A kept part's HTML with the token of the page `context` renders (or the page cache's placeholder)."""
    return mark_safe(html.replace(CSRF_MARK, _token(context)))


def _token(context):
    token = context.get("csrf_token")
    return str(token) if token else ""
