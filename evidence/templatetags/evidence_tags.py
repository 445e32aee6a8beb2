"""Template filters for the public evidence pages."""

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def highlight(text, query):
    """The published text, escaped, with each searched word marked (<mark>) wherever it occurs, in any
    case, as the search matched it: the text itself is never changed."""
    words = sorted({word for word in (query or "").split() if word}, key=len, reverse=True)
    if not words:
        return escape(text)
    # Matched on the text as published, each piece escaped on its own, so a searched word can never
    # land inside an escaped character ("amp" in "&amp;").
    pattern = re.compile("|".join(re.escape(word) for word in words), re.IGNORECASE)
    pieces, last = [], 0
    for match in pattern.finditer(text):
        pieces += [escape(text[last : match.start()]), f"<mark>{escape(match.group(0))}</mark>"]
        last = match.end()
    pieces.append(escape(text[last:]))
    return mark_safe("".join(pieces))


@register.filter
def gist(theme, words=18):
    """A theme in one line for the index: the curator's short description where one is written, else the first
    words of its first published summary (prefetched by Theme.objects.with_evidence(), so no query)."""
    if theme.short_description:
        return theme.short_description
    for finding in theme.findings.all():
        for perspective in finding.perspectives.all():
            summary = " ".join(perspective.summary.split())
            parts = summary.split(" ")
            return summary if len(parts) <= words else " ".join(parts[:words]).rstrip(",;:.") + "…"
    return ""
