"""The curators' tool. Every save or delete invalidates the cached public evidence pages, and an edit of a
finding's or perspective's published content marks the finding as changed for the checklists using it."""

from django.contrib import admin
from django.db.models import Q
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from evidence.cache import evidence_changed
from evidence.curation import FINDING_CONTENT, PERSPECTIVE_CONTENT, changes_content, mark_findings_changed
from evidence.models import Category, Finding, Perspective, Reference, Source, Theme
from peerplan.admin import CountsOnlyForOrganisationData


class EvidenceAdmin(CountsOnlyForOrganisationData, SimpleHistoryAdmin):
    """Base for every evidence admin: changes are kept in the history and reach the public pages at once."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        evidence_changed()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        evidence_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        evidence_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        evidence_changed()


@admin.register(Source)
class SourceAdmin(EvidenceAdmin):
    list_display = ["title", "journal", "year", "doi"]
    search_fields = ["title", "authors", "doi"]
    fieldsets = [
        (None, {"fields": ["title", "authors", "journal", "year", "volume", "article", "doi", "table"]}),
        ("Shown with the evidence", {"fields": ["caveat", "footnotes"]}),
    ]


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
    list_display = ["number", "citation"]
    list_display_links = ["number"]
    list_editable = ["citation"]
    list_filter = [CitationFilter]
    search_fields = ["citation"]
    search_help_text = "Search by reference number (e.g. 23) or by words of the citation."
    ordering = ["number"]

    def get_search_results(self, request, queryset, search_term):
        # "23" or "[23]" finds reference 23; any other text searches the citations.
        number = search_term.strip().strip("[]").strip()
        if number.isdigit():
            return queryset.filter(Q(number=int(number)) | Q(citation__icontains=search_term.strip())), False
        return super().get_search_results(request, queryset, search_term)


class ThemeInline(admin.TabularInline):
    model = Theme
    fields = ["position", "name", "slug"]
    ordering = ["position"]
    extra = 0
    show_change_link = True
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Category)
class CategoryAdmin(EvidenceAdmin):
    list_display = ["name", "position"]
    search_fields = ["name"]
    ordering = ["position"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ThemeInline]


class FindingInline(admin.StackedInline):
    model = Finding
    fields = ["position", "valence", "references", "evidence_changed_at"]
    readonly_fields = ["evidence_changed_at"]
    filter_horizontal = ["references"]
    ordering = ["position"]
    extra = 0
    show_change_link = True


@admin.register(Theme)
class ThemeAdmin(EvidenceAdmin):
    list_display = ["name", "category", "position"]
    list_filter = ["category", "findings__valence"]
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


class PerspectiveInline(admin.StackedInline):
    model = Perspective
    fields = ["position", "group", "references", "summary", "stakeholders"]
    filter_horizontal = ["references"]
    ordering = ["position"]
    extra = 0


@admin.register(Finding)
class FindingAdmin(EvidenceAdmin):
    list_display = ["__str__", "theme", "valence", "references_shown", "evidence_changed_at"]
    list_filter = ["valence", "theme__category", "theme"]
    list_select_related = ["theme"]
    search_fields = ["theme__name", "perspectives__summary"]
    ordering = ["theme__category__position", "theme__position", "position"]
    filter_horizontal = ["references"]
    readonly_fields = ["evidence_changed_at"]
    fields = ["theme", "position", "valence", "references", "evidence_changed_at"]
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
class PerspectiveAdmin(EvidenceAdmin):
    list_display = ["finding", "group", "position", "summary_start"]
    list_filter = ["group", "finding__valence", "finding__theme__category", "finding__theme"]
    list_select_related = ["finding__theme"]
    search_fields = ["summary", "finding__theme__name", "stakeholders"]
    ordering = [
        "finding__theme__category__position",
        "finding__theme__position",
        "finding__position",
        "position",
    ]
    filter_horizontal = ["references"]
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
