"""`{% icon "bell" %}`: an icon from the one sprite, static/vendor/bootstrap-icons/icons.svg.

Icons are inline SVG drawn from the sprite, never emoji or symbol characters: those show as an empty box
where no font has them. Each icon is decoration (aria-hidden): the words beside it say what it means.
"""

import functools

from django import template
from django.conf import settings
from django.templatetags.static import static
from django.utils.html import format_html

register = template.Library()

SPRITE = "vendor/bootstrap-icons/icons.svg"


@register.simple_tag
def icon(name, extra_class=""):
    """The SVG for the sprite's symbol `name`, 1em square in the text's colour (the .bi rule)."""
    return _svg(name, extra_class, settings.STATIC_URL, repr(settings.STORAGES["staticfiles"]))


@functools.lru_cache(maxsize=256)
def _svg(name, extra_class, static_url, storage):
    """Made once per process for each icon and class (and static files' settings, which tests change): the
    coverage grid of a large organisation has an icon in each of a thousand cells, and looking
    up the sprite's fingerprinted name for each was a twentieth of its time."""
    classes = f"bi {extra_class}".strip()
    return format_html(
        '<svg class="{}" aria-hidden="true" focusable="false"><use href="{}#{}"></use></svg>',
        classes,
        static(SPRITE),
        name,
    )
