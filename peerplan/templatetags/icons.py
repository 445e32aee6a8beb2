"""`{% icon "bell" %}`: an icon from the one sprite, static/vendor/bootstrap-icons/icons.svg.

Icons are inline SVG drawn from the sprite, never emoji or symbol characters: those show as an empty box
where no font has them. Each icon is decoration (aria-hidden): the words beside it say what it means.
"""

from django import template
from django.templatetags.static import static
from django.utils.html import format_html

register = template.Library()

SPRITE = "vendor/bootstrap-icons/icons.svg"


@register.simple_tag
def icon(name, extra_class=""):
    """The SVG for the sprite's symbol `name`, 1em square in the text's colour (the .bi rule)."""
    classes = f"bi {extra_class}".strip()
    return format_html(
        '<svg class="{}" aria-hidden="true" focusable="false"><use href="{}#{}"></use></svg>',
        classes,
        static(SPRITE),
        name,
    )
