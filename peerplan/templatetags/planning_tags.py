"""Template filters that ask the models (a rule lives once, on the model)."""

import functools

from django import template
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe

from peerplan.figures.tracking import Cell
from peerplan.lib import kept_parts
from peerplan.lib.kept_parts import PageValues, kept
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


# The quick views of a list --------------------------------------------------------------------------------

# One per list address (its filters), as the action lists are read.
QUICK_VIEWS_KEPT = 256


@register.simple_tag
def quick_views(views, base_url):
    """`{% quick_views views list_url %}`: tracking/_quick_views.html for `views` (pages.dashboard.quick_view_links)
    linking from `base_url`, drawn once per process for what it shows: eight links drawn by the template engine were
    a twenty-fifth of an action list's miss."""
    return mark_safe(_quick_views(tuple((link.label, link.query, link.current) for link in views), base_url))


@kept(maxsize=QUICK_VIEWS_KEPT)
def _quick_views(views, base_url):
    """The quick views from these arguments alone: each link's (label, query, current) and the list's address."""
    links = [{"label": label, "query": query, "current": current} for label, query, current in views]
    return render_to_string("peerplan/tracking/_quick_views.html", {"views": links, "base_url": base_url})


# The coverage grid ------------------------------------------------------------------------------------------


# Rows of cells kept per process: a large organisation's grid has a few dozen, as it is now and just before a change.
CELL_ROWS_KEPT = 512


@register.simple_tag
def coverage_rows(grid, organisation):
    """`{% coverage_rows grid organisation %}`: the `<tr>` of each row of the coverage grid (coverage by theme), as one
    string: the theme (with a link to the organisation's own source it is from, if it is), then its cells, drawn
    once per process for what they show (_cells): after a write, a large organisation's grid redraws the row
    whose cell changed, not all of them. The item link's pattern and the icons are looked up once per grid.

    What a cell says: the state in words after the icon (the icon is hidden from screen readers), "covered n of
    m, done k" beside it, and the column's checklist title as its label when the table is stacked on a phone; a
    cell with an item links to that checklist's challenge."""
    link = url_parts(get_urlconf(), get_script_prefix(), "peerplan:item", 1)
    markers = tuple(icon(name, "cell-marker") for name in Cell.ICONS.values())
    rows = []
    for row in grid:
        theme = escape(row.theme_name)
        if row.own_source:
            own = reverse("peerplan:own_source", args=[organisation.slug, row.own_source])
            theme = f'{theme} <span class="small d-block">(<a href="{escape(own)}">your own evidence</a>)</span>'
        shown = tuple(
            (cell.applicable, cell.covered, cell.done, cell.item_id, cell.checklist_title) for cell in row.cells
        )
        rows.append(f'<tr>\n        <th scope="row">{theme}</th>\n        {_cells(shown, link, markers)}\n      </tr>')
    return mark_safe("\n      ".join(rows))


@functools.lru_cache(maxsize=CELL_ROWS_KEPT)
def _cells(shown, link, markers):
    """The cells from these arguments alone, so the same arguments always give the same HTML: `shown`, each cell's
    (applicable, covered, done, item id, its checklist's title), which are all a Cell's state, label and detail
    are worked out from; `link`, the item link's parts (its address before and after the id); `markers`, the
    icon of each state (Cell.ICONS' order)."""
    link_head, link_tail = link
    icons = dict(zip(Cell.ICONS, markers, strict=True))
    cells = []
    for applicable, covered, done, item_id, checklist_title in shown:
        cell = Cell(applicable, covered, done, item_id)
        # Only the checklist's title is typed by a person, so only it is escaped: the state, label, icon and
        # detail are the Cell's own words and numbers, and the link holds an integer id.
        state = cell.state
        label = f"{icons[state]}{Cell.LABELS[state]}"
        if item_id:
            label = f'<a href="{link_head}{int(item_id)}{link_tail}">{label}</a>'
        detail = cell.detail
        detail = f' <span class="small d-block">{detail}</span>' if detail else ""
        cells.append(f'<td class="cell-{state}" data-label="{escape(checklist_title)}">{label}{detail}</td>')
    return "".join(cells)


# The organisation's navigation -----------------------------------------------------------------------------

# One per organisation, page and whether the person is an owner: the organisations read most often.
ORGANISATION_NAVS_KEPT = 1024


@register.simple_tag(takes_context=True)
def org_nav(context, organisation, membership, active):
    """`{% org_nav organisation membership "dashboard" %}`: the organisation's pages, `active` the one shown (its
    seven links were reversed on every miss of every organisation page)."""
    is_owner = bool(membership and membership.is_owner)
    return mark_safe(_org_nav(organisation.name, organisation.slug, active, is_owner, PageValues.of(context)))


@kept(maxsize=ORGANISATION_NAVS_KEPT)
def _org_nav(name, slug, active, is_owner, page):
    """includes/org_nav.html from these arguments alone."""
    values = {"name": name, "slug": slug, "active": active, "is_owner": is_owner}
    return kept_parts.render("peerplan/includes/org_nav.html", values, page)
