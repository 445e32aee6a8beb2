"""The admin's lists on a phone: each cell carries its column's heading, so a row can be read as a stacked
card (static/css/admin.css) instead of a table wider than the screen."""

from django import template
from django.utils.html import format_html, strip_tags
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def labelled(result, headers):
    """The cells of one changelist row, each with `data-label` set to its column's heading (none for the
    selection box's column, whose heading is a checkbox)."""
    cells = []
    for cell, header in zip(result, headers, strict=False):
        cell, label = str(cell), strip_tags(str(header["text"])).strip()
        if label and cell[:3] in ("<td", "<th"):
            cell = cell[:3] + format_html(' data-label="{}"', label[:1].upper() + label[1:]) + cell[3:]
        cells.append(mark_safe(cell))  # the admin's own escaped cell, with an escaped attribute added
    return cells
