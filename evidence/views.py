"""Public, read-only evidence pages, cached per evidence generation (evidence/cache.py). Readers who are
not signed in get the whole page from the cache; signed-in readers get the cached content inside a page
of their own (their name, their menu), so nothing about one reader is ever served to another."""

import gzip

from django.contrib import messages
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from evidence import cache
from evidence.filters import VALENCE_CHOICES
from evidence.forms import evidence_filter
from evidence.models import Source, StakeholderGroup, Theme


def _same_for_every_reader(request):
    """Readers who are not signed in and have no message waiting all get the same page, so the whole
    of it can come from the cache; everyone else gets the cached content inside their own page."""
    return not request.user.is_authenticated and not len(messages.get_messages(request))


def index(request):
    filters = evidence_filter(request.GET)
    if _same_for_every_reader(request):
        return HttpResponse(
            gzip.decompress(
                cache.fragment(
                    INDEX_PAGE,
                    filters.cache_parts(),
                    lambda: _compressed(
                        render_to_string("evidence/index.html", {"body": mark_safe(_index_body(filters))}, request)
                    ),
                )
            )
        )
    body = cache.fragment("index", filters.cache_parts(), lambda: _index_body(filters))
    return render(request, "evidence/index.html", {"body": mark_safe(body)})


# The whole pages for everyone are kept gzip-compressed: a fifth of the size to read from the cache, and
# sent as they are to a browser that takes gzip (peerplan.middleware.PublicPagesForEveryone).
INDEX_PAGE, THEME_PAGE = "index-page.gz", "theme-page.gz"


def _compressed(page):
    return gzip.compress(page.encode() if isinstance(page, str) else page, mtime=0)


# The whole page a reader who is not signed in gets at the plain address, gzip-compressed, if it is cached and
# current, else None: peerplan.middleware.PublicPagesForEveryone serves it without the rest of the request's work.
index.page_for_everyone = lambda: cache.stored(INDEX_PAGE, evidence_filter(QueryDict()).cache_parts())


def _index_body(filters):
    # Only published sources, and only what is in their current version.
    sources = list(Source.objects.published())
    filters.check_source(sources)
    themes = list(Theme.objects.published().current().with_evidence())
    shown = [s for s in sources if not filters.source or s.slug == filters.source]
    in_view = [t for t in themes if not filters.source or t.category.source.slug == filters.source]
    categories = filters.match(themes) if filters.is_active else None
    kinds = {f.valence for t in in_view for f in t.findings.all()}
    return render_to_string(
        "evidence/_index_body.html",
        {
            "themes": in_view,
            "categories": categories,
            "matching_themes": sum(len(c.themes) for c in categories) if categories is not None else None,
            "filters": filters,
            "valence_choices": [(v, label) for v, label in VALENCE_CHOICES if (v if v != "none" else "") in kinds],
            "kind_label": "Benefit or challenge" if kinds <= {"benefit", "challenge", ""} else "Kind of finding",
            "group_choices": StakeholderGroup.choices,
            "reference_numbers": sorted(
                {n for t in in_view for f in t.findings.all() for n in f.cited_reference_numbers()}
            ),
            "sources": sources,
            "shown_sources": shown,
            "several": len(shown) > 1,
            "source": shown[0] if len(shown) == 1 else None,
            "mixed_footnote": next((s.footnote("a") for s in shown if s.footnote("a")), ""),
        },
    )


def theme(request, slug):
    if _same_for_every_reader(request):
        return HttpResponse(
            gzip.decompress(
                cache.fragment(
                    THEME_PAGE, (slug,), lambda: _compressed(_render_theme(request, _theme_page(slug)).content)
                )
            )
        )
    return _render_theme(request, cache.fragment("theme", (slug,), lambda: _theme_page(slug)))


theme.page_for_everyone = lambda slug: cache.stored(THEME_PAGE, (slug,))


def _render_theme(request, page):
    return render(request, "evidence/theme.html", {"title": page["title"], "body": mark_safe(page["body"])})


def _theme_page(slug):
    theme = Theme.objects.published().current().with_evidence().filter(slug=slug).first()
    if theme is None:
        raise Http404("No such theme")
    source = theme.category.source
    body = render_to_string(
        "evidence/_theme_body.html",
        {
            "theme": theme,
            "source": source,
            "mixed_footnote": source.footnote("a") if source else "",
            "related": list(theme.related_elsewhere()),
        },
    )
    return {"title": theme.name, "body": body}
