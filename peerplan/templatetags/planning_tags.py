"""Template filters that ask the models (a rule lives once, on the model)."""

from django import template
from django.urls import get_script_prefix, get_urlconf
from django.utils.html import escape
from django.utils.safestring import mark_safe

from peerplan.figures.tracking import Cell
from peerplan.lib.row_links import row_url, url_parts
from peerplan.lib.text import shorten
from peerplan.models import display_name
from peerplan.templatetags.icons import icon

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


@register.simple_tag(name="row_url")
def row_url_tag(name, *ids):
    """`{% row_url 'peerplan:item' item.pk %}`: {% url %} for links repeated in every row (see row_url)."""
    return row_url(name, *ids)


# The coverage grid ------------------------------------------------------------------------------------------


@register.simple_tag
def coverage_cells(row):
    """`{% coverage_cells row %}`: the `<td>` cells of one row of the dashboard's coverage grid, as one string.

    A large organisation's grid has a thousand cells; drawn by template nodes (a loop, conditions, an icon and
    a link tag in each) they were most of its dashboard's time, so each cell is written here in one format
    string. What a cell says is what it said before: the state in words after the icon (the icon is hidden
    from screen readers), "covered n of m, done k" beside it, and the column's checklist title as its label
    when the table is stacked on a phone; a cell with an item links to that checklist's challenge. The row's
    header (the theme) and the column headers stay in the template."""
    # The item link's pattern and the icons are looked up once per row rather than once per cell.
    link_head, link_tail = url_parts(get_urlconf(), get_script_prefix(), "peerplan:item", 1)
    markers = {state: icon(name, "cell-marker") for state, name in Cell.ICONS.items()}
    cells = []
    for cell in row.cells:
        # Only the checklist's title is typed by a person, so only it is escaped: the state, label, icon and
        # detail are the Cell's own words and numbers, and the link holds an integer id.
        state = cell.state
        label = f"{markers[state]}{Cell.LABELS[state]}"
        if cell.item_id:
            label = f'<a href="{link_head}{int(cell.item_id)}{link_tail}">{label}</a>'
        detail = cell.detail
        detail = f' <span class="small d-block">{detail}</span>' if detail else ""
        cells.append(f'<td class="cell-{state}" data-label="{escape(cell.checklist_title)}">{label}{detail}</td>')
    return mark_safe("".join(cells))
