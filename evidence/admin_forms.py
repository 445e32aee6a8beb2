"""The curators' admin forms and widgets: choices grouped under their source, related themes only across
sources, references only of the finding's own source, footnotes as rows of fields, and a warning beside a
slug that people may have linked to."""

from django import forms
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from evidence.interchange import SOURCE_FIELDS
from evidence.models import Category, Finding, Reference, Source, Theme
from peerplan.lib.widgets import GroupedCheckboxes, grouped_choices


def reference_label(reference):
    """A reference as curators pick it: its number and the start of its citation."""
    citation = " ".join(reference.citation.split())
    if not citation:
        return f"[{reference.number}] (citation not yet added)"
    return f"[{reference.number}] {citation[:100]}{'…' if len(citation) > 100 else ''}"


def theme_label(theme):
    return f"{theme.name} ({theme.category.source.heading}: {theme.category.name})"


def offer_references(field, source=None):
    """The reference boxes: published references grouped by source, or only `source`'s once it is known.
    Any published reference still validates, so one of another source is refused in words by the form's
    clean (references_of_another_source), not as "not one of the available choices"."""
    references = Reference.objects.filter(source__organisation__isnull=True).select_related("source")
    field.queryset = references
    if source is not None:
        references = references.filter(source=source)
    field.widget = GroupedCheckboxes()
    field.choices = grouped_choices(references.order_by("source", "number"), lambda r: r.source, reference_label)


def offer_related(field, theme=None):
    """The related-theme boxes: published themes grouped by source, never of the theme's own source (a
    link within one source is shown nowhere) and never the theme itself. Any published theme still
    validates, so ThemeForm.clean can refuse one of the same source in words."""
    themes = Theme.objects.published().in_published_order()
    field.queryset = themes
    if theme is not None and theme.pk:
        themes = themes.exclude(category__source=theme.category.source_id)
    field.widget = GroupedCheckboxes(
        empty="No other source's themes to choose from yet: related evidence links themes of different sources."
    )
    field.choices = grouped_choices(themes, lambda t: t.category.source, theme_label)
    field.help_text = (
        "Themes of other sources that speak to the same thing, shown beside checklist items and on the public "
        "theme pages. A link works both ways: it is listed on both themes."
    )


def offer_in_groups(field):
    """A drop-down of headings, themes or findings with one group (optgroup) per source: two sources can have
    a "Workload" each."""
    model = field.queryset.model
    paths = {Category: "source", Theme: "category__source", Finding: "theme__category__source"}
    rows = field.queryset.select_related(paths[model]).order_by(paths[model], *model._meta.ordering)
    if model is Finding:
        rows = rows.select_related("theme")
    source_of = {Category: lambda c: c.source, Theme: lambda t: t.category.source, Finding: lambda f: f.source}
    field.choices = [("", "---------"), *grouped_choices(rows, source_of[model], str)]


def references_of_another_source(references, source):
    others = [reference for reference in references if reference.source_id != source.pk]
    if others:
        raise forms.ValidationError(
            f"{', '.join(f'{r} of {r.source.name}' for r in others)}: a text cites only its own source's "
            f"references, here those of {source.name}."
        )


class FindingForm(forms.ModelForm):
    """A finding cites only the references of its own source."""

    class Meta:
        model = Finding
        fields = ["theme", "position", "valence", "references"]

    def clean(self):
        cleaned = super().clean()
        theme = cleaned.get("theme") or getattr(self.instance, "theme", None)
        if theme is not None and cleaned.get("references") is not None:
            try:
                references_of_another_source(cleaned["references"], theme.category.source)
            except forms.ValidationError as error:
                self.add_error("references", error)
        return cleaned


class ThemeForm(forms.ModelForm):
    """Related evidence links themes of different sources: one within a source would be shown nowhere."""

    class Meta:
        model = Theme
        fields = ["category", "name", "slug", "position", "short_description", "related"]

    def clean(self):
        cleaned = super().clean()
        category = cleaned.get("category")
        related = cleaned.get("related")
        if category is None or related is None:
            return cleaned
        same = [theme for theme in related if theme.category.source_id == category.source_id]
        if same:
            names = ", ".join(f"“{theme.name}”" for theme in same)
            self.add_error(
                "related",
                f"{names} {'is' if len(same) == 1 else 'are'} in the same source as this theme "
                f"({category.source.name}). Related evidence links themes of different sources: a link "
                "within one source would be shown nowhere.",
            )
        return cleaned


class FootnoteRows(forms.Widget):
    """Each footnote as a row of two labelled boxes, its mark and its text, and one empty row to add another
    (no script needed: save, and a new empty row appears)."""

    use_fieldset = True

    def format_value(self, value):
        return [note for note in (value or []) if isinstance(note, dict)]

    def render(self, name, value, attrs=None, renderer=None):
        rows = [*self.format_value(value), {"mark": "", "text": ""}]
        last = len(rows) - 1
        parts = []
        for index, note in enumerate(rows):
            which = "a new footnote" if index == last else f"footnote {index + 1}"
            parts.append(
                format_html(
                    '<div class="footnote-row">'
                    '<div><label for="id_{0}-{1}-mark">Mark of {2}</label>'
                    '<input type="text" name="{0}-{1}-mark" id="id_{0}-{1}-mark" value="{3}" size="4" maxlength="10">'
                    "</div>"
                    '<div><label for="id_{0}-{1}-text">Text of {2}</label>'
                    '<textarea name="{0}-{1}-text" id="id_{0}-{1}-text" rows="3" cols="60">{4}</textarea></div>'
                    "</div>",
                    name,
                    index,
                    which,
                    note.get("mark", ""),
                    note.get("text", ""),
                )
            )
        return format_html('<div class="footnote-rows">{}</div>', mark_safe("".join(parts)))

    def value_from_datadict(self, data, files, name):
        rows, index = [], 0
        while f"{name}-{index}-mark" in data or f"{name}-{index}-text" in data:
            rows.append(
                {
                    "mark": data.get(f"{name}-{index}-mark", "").strip(),
                    "text": data.get(f"{name}-{index}-text", "").strip(),
                }
            )
            index += 1
        return rows

    def value_omitted_from_data(self, data, files, name):
        return f"{name}-0-mark" not in data

    def id_for_label(self, id_):
        # The field's name is the fieldset's legend; each box has its own label.
        return ""


class FootnotesField(forms.Field):
    widget = FootnoteRows

    def clean(self, value):
        notes = []
        for index, note in enumerate(value or [], start=1):
            if not note["mark"] and not note["text"]:
                continue  # an empty row: the one offered for a new footnote, or one emptied to remove it
            if not note["mark"]:
                raise forms.ValidationError(f"Footnote {index} needs its mark, the letter or sign the text shows.")
            if not note["text"]:
                raise forms.ValidationError(f"Footnote {note['mark']} needs its text.")
            if any(other["mark"] == note["mark"] for other in notes):
                raise forms.ValidationError(f"Two footnotes are marked {note['mark']}: each mark is used once.")
            notes.append(note)
        return notes


class SourceForm(forms.ModelForm):
    footnotes = FootnotesField(
        required=False,
        help_text="As published. To add one, fill in the empty row and save; to remove one, empty both its boxes.",
    )

    class Meta:
        model = Source
        # The admin's fieldsets say which fields it shows; a curator edits those a release file carries, with
        # the slug, but never the version (a release moves it).
        fields = ["slug", *(name for name in SOURCE_FIELDS if name != "version")]

    def clean_footnotes(self):
        # Anything else a footnote was saved with (from a release file) is kept: matched by its mark.
        before = {note.get("mark"): note for note in self.instance.footnotes or [] if isinstance(note, dict)}
        return [{**before.get(note["mark"], {}), **note} for note in self.cleaned_data["footnotes"]]


def slug_warning(obj):
    """What changing a slug breaks, said beside the slug field of a saved source, heading or theme."""
    if isinstance(obj, Theme):
        address = obj.get_absolute_url()
        return format_html(
            "<strong>Changing it changes the theme’s public address</strong>, {}: links and bookmarks people "
            "have made to it will show “Page not found”.",
            address,
        )
    if isinstance(obj, Source):
        return format_html(
            "<strong>Changing it breaks what names this source by it</strong>: addresses that show only its "
            "evidence (/evidence/?source={}) and release files made before the change, which would then add "
            "it again as a new source.",
            obj.slug,
        )
    return format_html(
        "<strong>Changing it changes the address of this heading</strong> on the evidence page "
        "(/evidence/#category-{}): links people have made to it will open the page at its top.",
        obj.slug,
    )
