"""The curators' tool. Every save or delete invalidates the cached public evidence pages, and an edit of a
finding's or perspective's published content is a minor or a major change, as the curator says
(evidence/change_admin.py): a major one asks the checklists using the finding to look again."""

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from evidence.admin_forms import (
    SourceForm,
    ThemeForm,
    offer_in_groups,
    offer_references,
    offer_related,
    references_of_another_source,
    slug_warning,
)
from evidence.change_admin import (
    ChangeKindFields,
    FindingChangeForm,
    FindingInlineForm,
    PerspectiveFormSet,
    RecordsChanges,
    record_changes,
)
from evidence.curation import MAJOR, PERSPECTIVE_CONTENT, changes_content, record_change
from evidence.history_admin import HistoryForPeople, ReasonForChange
from evidence.models import (
    PEERPLAN_WORDING,
    Category,
    Finding,
    Perspective,
    Reference,
    Source,
    StakeholderGroup,
    Statement,
    Theme,
)
from evidence.parser import stakeholder_group
from evidence.release_admin import release_urls
from peerplan.lib.admin import CountsOnlyForOrganisationData, InlineDeleteInPlainWords

# The site's own name in the admin's header and titles, not "Django administration".
admin.site.site_header = "PeerPlan · curation"
admin.site.site_title = "PeerPlan curation"
admin.site.index_title = "Curate the evidence"
# No navigation sidebar: it put twenty links and a filter box before the first field of every form (the
# breadcrumbs and the index already lead everywhere), and Django's skip link then leads straight to the page.
admin.site.enable_nav_sidebar = False


class NoIconsBesidePickers:
    """No add, change or red delete icons beside the drop-downs and checkbox lists (Django's
    RelatedFieldWidgetWrapper): a curator choosing a heading should not be one click from deleting it.
    Each kind of evidence has its own list in the admin for that."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and isinstance(field.widget, RelatedFieldWidgetWrapper):
            field.widget = field.widget.widget
        return field


class PerspectiveForm(forms.ModelForm):
    """The stakeholders named inside a Mixed sample, ticked as checkboxes: the known groups, plus every
    name this perspective already has in the authors' own words ("PSW", "carers"), so nothing published
    is lost by saving. Its references are its finding's source's only."""

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

    def clean(self):
        cleaned = super().clean()
        finding = cleaned.get("finding") or (self.instance.finding if self.instance.finding_id else None)
        if finding is not None and cleaned.get("references") is not None:
            try:
                references_of_another_source(cleaned["references"], finding.source)
            except ValidationError as error:
                self.add_error("references", error)
        return cleaned


class PerspectiveAdminForm(ChangeKindFields, PerspectiveForm):
    """A perspective on its own page: a new one, an edit of what it says, or a move to another finding
    changes the findings it leaves and joins."""

    def findings_changed(self):
        chosen = self.cleaned_data.get("finding")
        if self.instance.pk is None:
            return [chosen.pk] if chosen else []
        if not changes_content(self, PERSPECTIVE_CONTENT):
            return []
        stored = Perspective.objects.filter(pk=self.instance.pk).values_list("finding_id", flat=True).first()
        return [stored, chosen.pk if chosen else None]


class OnlyPublishedChoices(NoIconsBesidePickers):
    """Every drop-down and checkbox list of evidence offers published rows only, on the admin's own forms and
    its inlines' alike (an inline is not the ModelAdmin, so it needs this as much): an organisation's own
    references, themes or headings are never offered, and so never shown, to a curator. Each choice is
    grouped under its source, and a finding is offered only while it is current."""

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
        if related is Finding:
            kwargs["queryset"] = kwargs["queryset"].current()
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and related in (Category, Theme, Finding):
            offer_in_groups(field)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        related = db_field.related_model
        # Checkboxes from the start: Django's two-box filter carries ARIA its elements may not have (axe:
        # aria-prohibited-attr) and a multiple select needs Ctrl-click, which nobody on a phone has; and so
        # Django adds no "Hold down Control" to the help. offer_* then groups them by source.
        kwargs.setdefault("widget", forms.CheckboxSelectMultiple)
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and related is Reference:
            offer_references(field)
        elif field is not None and related is Theme:
            offer_related(field)
        return field

    def get_form(self, request, obj=None, change=False, **kwargs):
        # Once the source is known, only its references, and only other sources' themes.
        form = super().get_form(request, obj, change, **kwargs)
        narrow_to_source(form.base_fields, obj)
        return form

    def get_formset(self, request, obj=None, **kwargs):
        # An inline's rows share their parent's source.
        formset = super().get_formset(request, obj, **kwargs)
        narrow_to_source(formset.form.base_fields, obj)
        return formset


def narrow_to_source(fields, obj):
    if obj is None or not obj.pk:
        return
    if "references" in fields:
        offer_references(fields["references"], obj.source)
    if "related" in fields and isinstance(obj, Theme):
        offer_related(fields["related"], obj)


class EvidenceAdmin(
    ReasonForChange, HistoryForPeople, OnlyPublishedChoices, CountsOnlyForOrganisationData, SimpleHistoryAdmin
):
    """Base for every evidence admin: changes are kept in the history, with the reason given if any, and reach
    the public pages at once.

    Curators see only the published sources: an organisation's own evidence is that organisation's alone.
    """

    # The path from the model to its source, for keeping organisations' own evidence out of the admin.
    source_path = "source"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(**{f"{self.source_path}__organisation__isnull": True})

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is not None and "slug" in form.base_fields:
            # Said before the change is saved, beside the field, not after the links have broken.
            form.base_fields["slug"].help_text = slug_warning(obj)
        return form

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
    form = SourceForm
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
        ("Shown with the evidence", {"fields": ["heading", "caveat", "footnotes", "references_are_reviews"]}),
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


def source_column(path):
    """A list's source column, sortable, for rows whose source is `path` away."""

    @admin.display(description="source", ordering=f"{path}__name")
    def source(self, obj):
        return obj.source.name

    return source


def state_filter(retired_path):
    """Filter a list of findings (or of their perspectives) by where the finding stands."""

    class StateFilter(admin.SimpleListFilter):
        title = "state"
        parameter_name = "state"

        def lookups(self, request, model_admin):
            return [("published", "Published"), ("retired", "Retired by a release")]

        def queryset(self, request, queryset):
            if self.value() in ("published", "retired"):
                return queryset.filter(**{f"{retired_path}__isnull": self.value() == "published"})
            return queryset

    return StateFilter


def retired_explained(finding):
    """The line a retired finding (and each of its perspectives) shows at the top of its page."""
    return (
        f"Retired in version {finding.retired_in_version}: a release retired it. It is kept as it was, for the "
        "checklists that still point at it, so it cannot be edited here."
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
    list_filter = [("source", admin.RelatedOnlyFieldListFilter), CitationFilter]
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


class ThemeInline(OnlyPublishedChoices, InlineDeleteInPlainWords, admin.StackedInline):
    # Stacked, not tabular: each box then has its own label (a table's column heading is not one).
    model = Theme
    fields = ["position", "name", "slug"]
    ordering = ["position"]
    extra = 0
    show_change_link = True
    view_on_site = False
    prepopulated_fields = {"slug": ["name"]}

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.base_fields["slug"].help_text = (
            "Changing a saved theme's slug changes its public address (/evidence/themes/<em>slug</em>/): links "
            "and bookmarks people have made to it will show “Page not found”."
        )
        return formset


@admin.register(Category)
class CategoryAdmin(EvidenceAdmin):
    list_display = ["name", "source", "position"]
    list_filter = [("source", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["source"]
    search_fields = ["name"]
    ordering = ["source", "position"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ThemeInline]


class FindingInline(OnlyPublishedChoices, InlineDeleteInPlainWords, admin.StackedInline):
    model = Finding
    form = FindingInlineForm
    verbose_name_plural = "findings in the current version"
    fields = ["position", "valence", "references", "evidence_changed_at", "change_kind", "change_note"]
    readonly_fields = ["evidence_changed_at"]
    ordering = ["position"]
    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        # A retired finding is read-only: it is listed on the theme's page, not edited there.
        return super().get_queryset(request).current()


@admin.register(Theme)
class ThemeAdmin(EvidenceAdmin):
    source_path = "category__source"
    form = ThemeForm
    list_display = ["name", "category", "source_shown", "position"]
    # "Related only": the choices come from the published rows the curator can see.
    list_filter = [
        ("category__source", admin.RelatedOnlyFieldListFilter),
        ("category", admin.RelatedOnlyFieldListFilter),
        "findings__valence",
    ]
    list_select_related = ["category__source"]
    search_fields = ["name", "findings__perspectives__summary"]
    ordering = ["category__source", "category__position", "position"]
    prepopulated_fields = {"slug": ["name"]}
    fields = ["category", "name", "slug", "position", "short_description", "related", "links_now", "retired_findings"]
    readonly_fields = ["links_now", "retired_findings"]
    inlines = [FindingInline]
    source_shown = source_column("category__source")

    @admin.display(description="linked now")
    def links_now(self, theme):
        """The theme's related evidence as it stands, whichever side the link was made from (a link is the
        same seen from both themes)."""
        if not theme.pk:
            return "None yet."
        links = theme.related.published().select_related("category__source").order_by("category__source", "name")
        if not links:
            return "None yet."
        return format_html(
            '<ul class="links-now">{}</ul>',
            format_html_join(
                "",
                '<li><a href="{}">{}</a> · {}{}</li>',
                (
                    (
                        reverse("admin:evidence_theme_change", args=[other.pk]),
                        other.name,
                        other.category.source.name,
                        " (in this theme's own source: shown nowhere; saving this page removes the link)"
                        if other.category.source_id == theme.category.source_id
                        else "",
                    )
                    for other in links
                ),
            ),
        )

    @admin.display(description="retired findings")
    def retired_findings(self, theme):
        retired = list(theme.findings.filter(retired_in_version__isnull=False).order_by("position")) if theme.pk else []
        if not retired:
            return "None."
        return format_html(
            '<ul class="links-now">{}</ul>',
            format_html_join(
                "",
                '<li><a href="{}">{}</a> · retired in version {} (read-only)</li>',
                ((reverse("admin:evidence_finding_change", args=[f.pk]), f, f.retired_in_version) for f in retired),
            ),
        )

    def save_formset(self, request, form, formset, change):
        # Each finding's own choice of minor or major names its history and decides its flags.
        if formset.model is not Finding:
            return super().save_formset(request, form, formset, change)
        super().save_formset(request, form, formset, change)
        record_changes(request, [f for f in formset.forms if getattr(f, "content_before", None)])


class PerspectiveInline(OnlyPublishedChoices, InlineDeleteInPlainWords, admin.StackedInline):
    model = Perspective
    form = PerspectiveForm
    formset = PerspectiveFormSet
    fields = ["position", "group", "references", "summary", "stakeholders"]
    ordering = ["position"]
    extra = 0

    # A retired finding's perspectives are kept as the release left them.
    def has_add_permission(self, request, obj=None):
        return not (obj is not None and obj.is_retired) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not (obj is not None and obj.is_retired) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not (obj is not None and obj.is_retired) and super().has_delete_permission(request, obj)


@admin.register(Finding)
class FindingAdmin(RecordsChanges, EvidenceAdmin):
    # The choice of minor or major is asked below the perspectives (the template), after every edit it covers.
    form = FindingChangeForm
    change_form_template = "admin/evidence/finding/change_form.html"
    object_history_form_template = "admin/evidence/finding/object_history_form.html"
    source_path = "theme__category__source"
    list_display = ["__str__", "source_shown", "state", "references_shown", "evidence_changed_at"]
    list_filter = [
        ("theme__category__source", admin.RelatedOnlyFieldListFilter),
        state_filter("retired_in_version"),
        "valence",
        ("theme__category", admin.RelatedOnlyFieldListFilter),
        ("theme", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["theme__category__source"]
    search_fields = ["theme__name", "perspectives__summary"]
    ordering = ["theme__category__source", "theme__category__position", "theme__position", "position"]
    readonly_fields = ["state_explained", "evidence_changed_at", "added_in_version", "retired_in_version"]
    fields = [
        "state_explained",
        "theme",
        "position",
        "valence",
        "references",
        "evidence_changed_at",
        "added_in_version",
        "retired_in_version",
    ]
    inlines = [PerspectiveInline]

    source_shown = source_column("theme__category__source")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("references")

    def has_change_permission(self, request, obj=None):
        # A release retired it: what checklists still point at stays as it was.
        return not (obj is not None and obj.is_retired) and super().has_change_permission(request, obj)

    @admin.display(description="state", ordering="retired_in_version")
    def state(self, finding):
        return finding.state

    @admin.display(description="state")
    def state_explained(self, finding):
        if finding.is_retired:
            return retired_explained(finding)
        return "Published: in the current version of its source." if finding.pk else "Published once saved."

    @admin.display(description="references")
    def references_shown(self, finding):
        return ", ".join(str(number) for number in finding.reference_numbers())


@admin.register(Perspective)
class PerspectiveAdmin(RecordsChanges, EvidenceAdmin):
    source_path = "finding__theme__category__source"
    form = PerspectiveAdminForm
    list_display = ["finding", "summary_start", "group", "source_shown", "state"]
    list_filter = [
        ("finding__theme__category__source", admin.RelatedOnlyFieldListFilter),
        state_filter("finding__retired_in_version"),
        "group",
        "finding__valence",
        ("finding__theme__category", admin.RelatedOnlyFieldListFilter),
        ("finding__theme", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["finding__theme__category__source"]
    search_fields = ["summary", "finding__theme__name", "stakeholders"]
    ordering = [
        "finding__theme__category__source",
        "finding__theme__category__position",
        "finding__theme__position",
        "finding__position",
        "position",
    ]
    fields = ["finding", "position", "group", "references", "summary", "stakeholders", "change_kind", "change_note"]
    source_shown = source_column("finding__theme__category__source")

    def get_fields(self, request, obj=None):
        # A retired finding's perspective says why it cannot be edited, above its text.
        return ["state_explained", *self.fields] if obj is not None and obj.finding.is_retired else self.fields

    def get_readonly_fields(self, request, obj=None):
        return ["state_explained"] if obj is not None and obj.finding.is_retired else []

    def has_change_permission(self, request, obj=None):
        return not (obj is not None and obj.finding.is_retired) and super().has_change_permission(request, obj)

    @admin.display(description="state", ordering="finding__retired_in_version")
    def state(self, perspective):
        return perspective.finding.state

    @admin.display(description="state")
    def state_explained(self, perspective):
        return "Its finding was r" + retired_explained(perspective.finding)[1:]

    @admin.display(description="summary")
    def summary_start(self, perspective):
        return perspective.summary[:90] + ("…" if len(perspective.summary) > 90 else "")

    # Removing a sample always changes what its finding says, and the delete page asks nothing: it is a
    # major change whose note says what went.
    def delete_model(self, request, obj):
        before = {obj.finding_id: obj.finding.content()}
        group = obj.get_group_display()
        super().delete_model(request, obj)
        _removed(request, before, [group])

    def delete_queryset(self, request, queryset):
        removed = list(queryset.select_related("finding"))
        before = {p.finding_id: p.finding.content() for p in removed}
        super().delete_queryset(request, queryset)
        for pk, content in before.items():
            _removed(request, {pk: content}, [p.get_group_display() for p in removed if p.finding_id == pk])


def _removed(request, before, groups):
    note = f"Removed what {' and '.join(groups)} reported: this finding no longer rests on it."
    for pk, content in before.items():
        record_change(Finding.objects.get(pk=pk), content, kind=MAJOR, note=note, by=request.user)


@admin.register(Statement)
class StatementAdmin(EvidenceAdmin):
    """PeerPlan's bank of check-in statements, by theme: its own wording, kept with the evidence and versioned
    like it. A round keeps the text it asked, so an edit here rewrites no round's figures; retiring a statement
    stops new rounds asking it. A service's own statements are its own and never shown here."""

    source_path = "theme__category__source"
    list_display = ["text", "theme", "position", "retired"]
    list_filter = ["retired", ("theme", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["theme"]
    search_fields = ["text", "theme__name"]
    ordering = ["theme__category__source", "theme__category__position", "theme__position", "position"]
    fields = ["theme", "text", "position", "retired", "wording"]
    readonly_fields = ["wording"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(organisation__isnull=True)

    def _published(self, instance):
        return instance.organisation_id is None and super()._published(instance)

    @admin.display(description="shown as")
    def wording(self, statement):
        return f"{PEERPLAN_WORDING} (marked so on every page that shows it)."
