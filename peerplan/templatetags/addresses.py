"""`{% address "peerplan:home" %}`: the address of a page that takes no arguments, as `{% url %}` gives it.

The navigation on every page names the same eight pages, and reversing each name walked the URL map again:
a tenth of a signed-in page's floor. The address of a name without arguments depends only on the URL map
and the script prefix the site is served under, so it is worked out once per process for each of those.
"""

import functools

from django import template
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

register = template.Library()


@register.simple_tag
def address(name):
    return _address(name, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix())


@functools.lru_cache(maxsize=256)
def _address(name, urlconf, script_prefix):
    # reverse() reads the script prefix itself; it is in the key so a different one is never served this one's.
    return reverse(name, urlconf=urlconf)
