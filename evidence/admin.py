"""The curators' tool. Every save or delete invalidates the cached public evidence pages, and an edit of a
finding's or perspective's published content marks the finding as changed for the checklists using it."""

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from evidence.curation import FINDING_CONTENT, PERSPECTIVE_CONTENT, changes_content, mark_findings_changed
from evidence.models import Category, Finding, Perspective, Reference, Source, StakeholderGroup, Theme
from evidence.parser import stakeholder_group
from evidence.release_admin import release_urls
from peerplan.lib.admin import CountsOnlyForOrganisationData

# The site's own name in the admin's header and titles, not "Django administration".
admin.site.site_header = "PeerPlan · curation"
admin.site.site_title = "PeerPlan curation"
admin.site.index_title = "Curate the evidence"


def reference_label(reference):
    """A reference as curators pick it: its number and the start of its citation."""
    citation = " ".join(reference.citation.split())
    if not citation:
        return f"[{reference.number}] (citation not yet added)"
    return f"[{reference.number}] {citation[:100]}{'…' if len(citation) > 100 else ''}"


class ChoicesAsCheckboxes:
    """Many-to-many choices (references, related themes) as labelled checkboxes in a scrolling box: Django's
    two-box filter widget carries ARIA its elements may not have (axe: aria-prohibited-attr), and a plain
    multiple select needs Ctrl-click, which nobody on a phone has."""

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs.setdefault("widget", forms.CheckboxSelectMultiple(attrs={"class": "checkbox-choice"}))
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ReferencesWithCitations(ChoicesAsCheckboxes):
    """References offered with their citations, not as bare "[23]"."""

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.related_model is Reference and field is not None:
            field.label_from_instance = reference_label
        return field


class PerspectiveForm(forms.ModelForm):
    """The stakeholders named inside a Mixed sample, ticked as checkboxes: the known groups, plus every
    name this perspective already has in the authors' own words ("PSW", "carers"), so nothing published
    is lost by saving."""

    stakeholders = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="For Mixed samples: the stakeholders named in brackets at the end of the summary.",
    )

    class Meta:
        model = Perspective
        fields = ["finding", "position", "group", "references", "summary", "stakeholders"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        names = list(self.instance.stakeholders or []) if self.instance.pk else []
        covered = {stakeholder_group(name) for name in names}
        groups = [g for g in StakeholderGroup.values if g != StakeholderGroup.MIXED and g not in covered]
        self.fields["stakeholders"].choices = [(name, name) for name in [*names, *groups]]


class OnlyPublishedChoices:
    """Every drop-down and checkbox list of evidence offers published rows only, on the admin's own forms and
    its inlines' alike (an inline is not the ModelAdmin, so it needs this as much): an organisation's own
    references, themes or headings are never offered, and so never shown, to a curator."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Drop-downs offer published evidence only.
        related = db_field.related_model
        paths = {
            Source: "organisation",
            Category: "source__organisation",
            Theme: "category__source__organisation",
            Finding: "theme__category__source__organisation",
        }
        if related in paths:
            kwargs["queryset"] = related.objects.filter(**{f"{paths[related]}__isnull": True})
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        related = db_field.related_model
        if related is Reference:
            kwargs["queryset"] = Reference.objects.filter(source__organisation__isnull=True).select_related("source")
        elif related is Theme:
            kwargs["queryset"] = Theme.objects.published().in_published_order()
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class EvidenceAdmin(OnlyPublishedChoices, CountsOnlyForOrganisationData, SimpleHistoryAdmin):
    """Base for every evidence admin: changes are kept in the history and reach the public pages at once.

    Curators see only the published sources: an organisation's own evidence is that organisation's alone.
    """

    # The path from the model to its source, for keeping organisations' own evidence out of the admin.
    source_path = "source"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(**{f"{self.source_path}__organisation__isnull": True})

    # django-simple-history's history and revert views load their rows by id, not through get_queryset, so
    # without these an organisation's own evidence could be read, and reverted into a published heading,
    # by anyone who guessed an id. Both now answer exactly as the change page does: 404 for what is not
    # published. tests/test_one_gate.py walks every admin URL of every evidence model with private rows present.

    def history_view(self, request, object_id, extra_context=None):
        self._published_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._published_or_404(request, object_id, version_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def _published_or_404(self, request, object_id, version_id=None):
        object_id = unquote(object_id)
        if self.get_object(request, object_id) is None:
            try:
                exists = self.model._default_manager.filter(pk=object_id).exists()
            except (ValueError, ValidationError):
                raise Http404 from None
            # A row that exists but is not in get_queryset is an organisation's own; a deleted one may
            # still be looked at and restored only if what it belonged to is published.
            latest = self.model.history.filter(pk=object_id).order_by("-history_date").first()
            if exists or latest is None or not self._published(latest.instance):
                raise Http404
        if version_id is not None:
            record = self.model.history.filter(pk=object_id, history_id=version_id).first()
            if record is None or not self._published(record.instance):
                raise Http404

    def _published(self, instance):
        """Whether a row (or an earlier version of one) belongs to a published source, read through its
        parents as they are now; one that no longer exists publishes nothing."""
        source = instance
        try:
            for name in [] if isinstance(instance, Source) else self.source_path.split("__"):
                source = getattr(source, name)
        except ObjectDoesNotExist:
            return False
        return source.organisation_id is None


@admin.register(Source)
class SourceAdmin(EvidenceAdmin):
    list_display = ["name", "version", "title", "year", "licence", "download_link"]
    search_fields = ["name", "title", "authors", "doi"]
    readonly_fields = ["version"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "version"]}),
        (
            "How to cite",
            {"fields": ["title", "authors", "journal", "year", "volume", "article", "doi", "url", "table"]},
        ),
        ("Provenance", {"fields": ["licence", "provenance"]}),
        ("Shown with the evidence", {"fields": ["heading", "caveat", "footnotes"]}),
    ]

    def get_queryset(self, request):
        return super(EvidenceAdmin, self).get_queryset(request).filter(organisation__isnull=True)

    def get_urls(self):
        return release_urls(self) + super().get_urls()

    @admin.display(description="release file")
    def download_link(self, source):
        # The visible words are in the accessible name, which also says which source it is.
        return format_html(
            '<a href="{}" download aria-label="Download the current version of {}">Download the current version</a>'
            ' (<a href="{}" download aria-label="Download the current version of {} as a spreadsheet">as a '
            "spreadsheet</a>)",
            reverse("admin:evidence_source_download", args=[source.pk]),
            source.name,
            reverse("admin:evidence_source_download_xlsx", args=[source.pk]),
            source.name,
        )


class CitationFilter(admin.SimpleListFilter):
    title = "citation"
    parameter_name = "citation"

    def lookups(self, request, model_admin):
        return [("added", "Added"), ("missing", "Not yet added")]

    def queryset(self, request, queryset):
        if self.value() == "added":
            return queryset.exclude(citation="")
        if self.value() == "missing":
            return queryset.filter(citation="")
        return queryset


@admin.register(Reference)
class ReferenceAdmin(EvidenceAdmin):
    list_display = ["number", "source", "citation"]
    fields = ["source", "number", "citation"]
    list_select_related = ["source"]
    list_display_links = ["number"]
    list_editable = ["citation"]
    list_filter = [CitationFilter]
    search_fields = ["citation"]
    search_help_text = "Search by reference number (e.g. 23) or by words of the citation."
    ordering = ["source", "number"]

    def get_changelist_form(self, request, **kwargs):
        base = super().get_changelist_form(request, **kwargs)

        class CitationForm(base):
            # Each citation box in the list says which reference it is (the list's own column heading is
            # not a label, so screen readers would announce a row of unnamed boxes).
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.fields["citation"].widget.attrs["aria-label"] = f"Citation of reference {self.instance.number}"

        return CitationForm

    def get_readonly_fields(self, request, obj=None):
        # A reference belongs to its source's numbering for good.
        return ["source"] if obj else []

    def get_search_results(self, request, queryset, search_term):
        # "23" or "[23]" finds reference 23; any other text searches the citations.
        number = search_term.strip().strip("[]").strip()
        if number.isdigit():
            return queryset.filter(Q(number=int(number)) | Q(citation__icontains=search_term.strip())), False
        return super().get_search_results(request, queryset, search_term)


class ThemeInline(OnlyPublishedChoices, admin.TabularInline):
    model = Theme
    fields = ["position", "name", "slug"]
    ordering = ["position"]
    extra = 0
    show_change_link = True
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Category)
class CategoryAdmin(EvidenceAdmin):
    list_display = ["name", "source", "position"]
    list_filter = [("source", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["source"]
    search_fields = ["name"]
    ordering = ["source", "position"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ThemeInline]


class FindingInline(OnlyPublishedChoices, ReferencesWithCitations, admin.StackedInline):
    model = Finding
    fields = ["position", "valence", "references", "evidence_changed_at"]
    readonly_fields = ["evidence_changed_at"]
    ordering = ["position"]
    extra = 0
    show_change_link = True


@admin.register(Theme)
class ThemeAdmin(ChoicesAsCheckboxes, EvidenceAdmin):
    source_path = "category__source"
    list_display = ["name", "category", "position"]
    # "Related only": the choices come from the published rows the curator can see.
    list_filter = [
        ("category__source", admin.RelatedOnlyFieldListFilter),
        ("category", admin.RelatedOnlyFieldListFilter),
        "findings__valence",
    ]
    list_select_related = ["category"]
    search_fields = ["name", "findings__perspectives__summary"]
    ordering = ["category__position", "position"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [FindingInline]

    def save_formset(self, request, form, formset, change):
        if formset.model is Finding:
            now = timezone.now()
            for finding_form in formset.forms:
                if finding_form.has_changed() and changes_content(finding_form, FINDING_CONTENT):
                    finding_form.instance.evidence_changed_at = now
        super().save_formset(request, form, formset, change)


class PerspectiveInline(OnlyPublishedChoices, ReferencesWithCitations, admin.StackedInline):
    model = Perspective
    form = PerspectiveForm
    fields = ["position", "group", "references", "summary", "stakeholders"]
    ordering = ["position"]
    extra = 0


@admin.register(Finding)
class FindingAdmin(ReferencesWithCitations, EvidenceAdmin):
    source_path = "theme__category__source"
    list_display = ["__str__", "theme", "valence", "references_shown", "evidence_changed_at"]
    list_filter = [
        "valence",
        ("theme__category", admin.RelatedOnlyFieldListFilter),
        ("theme", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["theme"]
    search_fields = ["theme__name", "perspectives__summary"]
    ordering = ["theme__category__position", "theme__position", "position"]
    readonly_fields = ["evidence_changed_at", "added_in_version", "retired_in_version"]
    fields = [
        "theme",
        "position",
        "valence",
        "references",
        "evidence_changed_at",
        "added_in_version",
        "retired_in_version",
    ]
    inlines = [PerspectiveInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("references")

    @admin.display(description="references")
    def references_shown(self, finding):
        return ", ".join(str(number) for number in finding.reference_numbers())

    def save_model(self, request, obj, form, change):
        if change and changes_content(form, FINDING_CONTENT):
            obj.evidence_changed_at = timezone.now()
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        # A perspective added, edited or removed changes what the finding says.
        if formset.model is Perspective and change and formset.has_changed():
            mark_findings_changed([form.instance.pk])
        super().save_formset(request, form, formset, change)


@admin.register(Perspective)
class PerspectiveAdmin(ReferencesWithCitations, EvidenceAdmin):
    source_path = "finding__theme__category__source"
    form = PerspectiveForm
    list_display = ["finding", "group", "position", "summary_start"]
    list_filter = [
        "group",
        "finding__valence",
        ("finding__theme__category", admin.RelatedOnlyFieldListFilter),
        ("finding__theme", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["finding__theme"]
    search_fields = ["summary", "finding__theme__name", "stakeholders"]
    ordering = [
        "finding__theme__category__position",
        "finding__theme__position",
        "finding__position",
        "position",
    ]
    fields = ["finding", "position", "group", "references", "summary", "stakeholders"]

    @admin.display(description="summary")
    def summary_start(self, perspective):
        return perspective.summary[:90] + ("…" if len(perspective.summary) > 90 else "")

    def save_model(self, request, obj, form, change):
        if not change:
            affected = [obj.finding_id]
        elif changes_content(form, PERSPECTIVE_CONTENT):
            # Moved to another finding: both findings changed.
            affected = [obj.finding_id, form.initial.get("finding")]
        else:
            affected = []
        super().save_model(request, obj, form, change)
        mark_findings_changed([pk for pk in affected if pk])

    def delete_model(self, request, obj):
        finding_id = obj.finding_id
        super().delete_model(request, obj)
        mark_findings_changed([finding_id])

    def delete_queryset(self, request, queryset):
        finding_ids = list(queryset.values_list("finding_id", flat=True))
        super().delete_queryset(request, queryset)
        mark_findings_changed(finding_ids)
