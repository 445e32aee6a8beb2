"""An organisation's own evidence (a staff survey, lessons from a first year): a source that belongs to one
organisation, seen only inside it. Its owners and managers add headings, themes, findings and who reported
them; its challenges and barriers can go into the organisation's checklists, marked as the service's own."""

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

from evidence.curation import MAJOR, record_change
from evidence.models import Category, Finding, Perspective, Source, Theme, unique_slug


def _unique(model, field, base, **scope):
    base = base[:90] or "own-evidence"
    value, n = base, 2
    while model.objects.filter(**scope, **{field: value}).exists():
        value, n = f"{base}-{n}", n + 1
    return value


@transaction.atomic
def create_own_source(*, organisation, name, title, year, authors="", provenance="", heading="Topic"):
    """A new source of the organisation's own evidence, at version 1."""
    source = Source.objects.create(
        organisation=organisation,
        slug=_unique(Source, "slug", slugify(name), organisation=organisation),
        name=name,
        title=title,
        year=year,
        authors=authors,
        provenance=provenance,
        heading=heading or "Topic",
        licence="",
    )
    return source


@transaction.atomic
def add_own_finding(*, source, heading, theme, kind, group, summary, now=None):
    """Record what a group reported under a theme of the organisation's own source, creating the heading,
    theme and finding as needed. A new report on an existing finding is a major change, so checklists
    that use it flag it for review with the new text."""
    assert source.organisation_id is not None, "only an organisation's own source is edited here"
    category = Category.objects.filter(source=source, name=heading).first()
    if category is None:
        position = (Category.objects.filter(source=source).aggregate(n=Max("position"))["n"] or 0) + 1
        category = Category.objects.create(
            source=source, name=heading, slug=unique_slug(Category, heading, private=True), position=position
        )
    theme_obj = Theme.objects.filter(category__source=source, name=theme).first()
    if theme_obj is None:
        position = (Theme.objects.filter(category=category).aggregate(n=Max("position"))["n"] or 0) + 1
        theme_obj = Theme.objects.create(
            category=category, name=theme, slug=unique_slug(Theme, theme, private=True), position=position
        )
    finding = Finding.objects.filter(theme=theme_obj, valence=kind).first()
    if finding is None:
        position = (Finding.objects.filter(theme=theme_obj).aggregate(n=Max("position"))["n"] or 0) + 1
        finding = Finding.objects.create(theme=theme_obj, valence=kind, position=position)
        before = None
    else:
        before = finding.content()
        finding.retired_in_version = None
        finding.save()
    position = (Perspective.objects.filter(finding=finding).aggregate(n=Max("position"))["n"] or 0) + 1
    Perspective.objects.create(finding=finding, group=group, position=position, summary=summary)
    if before is not None:
        # A new report changes what the finding says: a major change, with the new text shown as added.
        record_change(
            finding,
            before,
            kind=MAJOR,
            note=f"Your organisation added what {group} reported.",
            now=now or timezone.now(),
        )
    return finding
