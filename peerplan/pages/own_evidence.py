"""The pages of an organisation's own evidence: its sources, and the themes in each (two queries)."""

from evidence.models import Source, Theme


def sources_of(organisation):
    """The organisation's own sources, each with `shown_themes`: its current themes with their evidence."""
    sources = list(Source.objects.of_organisation(organisation).order_by("pk"))
    themes = list(Theme.objects.filter(category__source__in=sources).current().with_evidence())
    for source in sources:
        source.shown_themes = [theme for theme in themes if theme.category.source_id == source.pk]
    return sources


def themes_of(source):
    """One source's current themes, with their evidence."""
    return list(Theme.objects.filter(category__source=source).current().with_evidence())
