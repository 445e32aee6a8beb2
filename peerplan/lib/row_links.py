"""Links repeated in every row of a table, reversed once per process instead of once per row (the
`{% row_url %}` tag, and fragments built in Python such as the dashboard's checklist cards)."""

import functools

from django.urls import get_script_prefix, get_urlconf, reverse

# Stands for an id while a URL pattern is reversed once; no route's own text holds these digits.
_ID = 987654321987


@functools.lru_cache(maxsize=512)
def url_parts(urlconf, prefix, name, count):
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
    parts = url_parts(get_urlconf(), get_script_prefix(), name, len(ids))
    return "".join(part + str(one) for part, one in zip(parts, ids, strict=False)) + parts[-1]
