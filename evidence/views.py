"""Public, read-only evidence pages, cached per evidence generation (evidence/cache.py). Readers who are
not signed in get the whole page from the cache; signed-in readers get the cached content inside a page
of their own (their name, their menu), so nothing about one reader is ever served to another."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from evidence import cache
from evidence.filters import VALENCE_CHOICES
from evidence.forms import EvidenceFilterForm
from evidence.models import Source, StakeholderGroup, Theme


def _same_for_every_reader(request):
    """Readers who are not signed in and have no message waiting all get the same page, so the whole
    of it can come from the cache; everyone else gets the cached content inside their own page."""
    return not request.user.is_authenticated and not len(messages.get_messages(request))


def index(request):
    filters = EvidenceFilterForm(request.GET).evidence_filter()
    if _same_for_every_reader(request):
        return HttpResponse(
            cache.fragment(
                "index-page",
                filters.cache_parts(),
                lambda: render_to_string("evidence/index.html", {"body": mark_safe(_index_body(filters))}, request),
            )
        )
    body = cache.fragment("index", filters.cache_parts(), lambda: _index_body(filters))
    return render(request, "evidence/index.html", {"body": mark_safe(body)})


def _index_body(filters):
    themes = list(Theme.objects.with_evidence())
    source = Source.objects.order_by("pk").first()
    categories = filters.match(themes) if filters.is_active else None
    return render_to_string(
        "evidence/_index_body.html",
        {
            "themes": themes,
            "categories": categories,
            "matching_themes": sum(len(c.themes) for c in categories) if categories is not None else None,
            "filters": filters,
            "valence_choices": VALENCE_CHOICES,
            "group_choices": StakeholderGroup.choices,
            "reference_numbers": sorted(
                {n for t in themes for f in t.findings.all() for n in f.cited_reference_numbers()}
            ),
            "source": source,
            "mixed_footnote": source.footnote("a") if source else "",
        },
    )


def theme(request, slug):
    if _same_for_every_reader(request):
        return HttpResponse(
            cache.fragment("theme-page", (slug,), lambda: _render_theme(request, _theme_page(slug)).content)
        )
    return _render_theme(request, cache.fragment("theme", (slug,), lambda: _theme_page(slug)))


def _render_theme(request, page):
    return render(request, "evidence/theme.html", {"title": page["title"], "body": mark_safe(page["body"])})


def _theme_page(slug):
    theme = Theme.objects.with_evidence().filter(slug=slug).first()
    if theme is None:
        raise Http404("No such theme")
    source = Source.objects.order_by("pk").first()
    body = render_to_string(
        "evidence/_theme_body.html",
        {"theme": theme, "source": source, "mixed_footnote": source.footnote("a") if source else ""},
    )
    return {"title": theme.name, "body": body}
