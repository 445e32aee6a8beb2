"""Template filters that ask the models (a rule lives once, on the model)."""

import functools

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse

from peerplan.lib.text import shorten
from peerplan.models import display_name

register = template.Library()


@register.filter
def overdue_on(action, today):
    """`action|overdue_on:today`: Mitigation.is_overdue, for templates."""
    return action.is_overdue(today)


@register.filter(name="display_name")
def display_name_filter(user):
    """`user|display_name`: models.display_name, the one spelling of a person's name."""
    return display_name(user)


@register.filter(name="shorten")
def shorten_filter(text, length):
    """`text|shorten:60`: lib.text.shorten, cut at a word with an ellipsis (truncatechars cuts inside a word)."""
    return shorten(text, int(length))


# Links in rows --------------------------------------------------------------------------------------------

# Stands for an id while a URL pattern is reversed once; no route's own text holds these digits.
_ID = 987654321987


@functools.lru_cache(maxsize=512)
def _url_parts(urlconf, prefix, name, count):
    """The URL of `name` for `count` ids, reversed once and split where the ids go."""
    url = reverse(name, args=[_ID + n for n in range(count)], urlconf=urlconf)
    parts = []
    for n in range(count):
        head, _, url = url.partition(str(_ID + n))
        parts.append(head)
    return (*parts, url)


def row_url(name, *ids):
    """reverse(name, args=ids) for URLs whose parameters are all integer ids, reversing the pattern once
    per process (and URL map and prefix) instead of once per row: a table of 30 actions has 150 links,
    and reverse() was a sixth of the dashboard's time. Anything but an int goes through reverse()."""
    if not all(type(one) is int for one in ids):
        return reverse(name, args=ids)
    parts = _url_parts(get_urlconf(), get_script_prefix(), name, len(ids))
    return "".join(part + str(one) for part, one in zip(parts, ids, strict=False)) + parts[-1]


@register.simple_tag(name="row_url")
def row_url_tag(name, *ids):
    """`{% row_url 'peerplan:item' item.pk %}`: {% url %} for links repeated in every row (see row_url)."""
    return row_url(name, *ids)
