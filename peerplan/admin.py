"""The planning admin: the curated library of suggested actions (with provenance in plain sight),
implementation phases, and organisations for site administrators."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import strip_tags
from django.utils.text import Truncator, capfirst
from django.views.decorators.http import require_POST
from simple_history.admin import SimpleHistoryAdmin

from evidence.history_admin import HistoryForPeople
from evidence.models import Reference, Source, Theme
from peerplan.lib.admin import CountsOnlyForOrganisationData
from peerplan.lib.widgets import GroupedCheckboxes, grouped_choices
from peerplan.models import (
    Checklist,
    ImplementationPhase,
    Invitation,
    Membership,
    Mitigation,
    Network,
    NetworkMembership,
    Organisation,
    SignOnDomain,
    SuggestedMitigation,
)


@admin.register(ImplementationPhase)
class ImplementationPhaseAdmin(CountsOnlyForOrganisationData, admin.ModelAdmin):
    list_display = ["name", "position", "description"]
    list_editable = ["position"]
    search_fields = ["name"]


def _without(nested, prefixes):
    """The delete page's nested list without the entries that start with `prefixes`."""
    kept = []
    for entry in nested:
        if isinstance(entry, list):
            entry = _without(entry, prefixes)
            if entry:
                kept.append(entry)
        elif not strip_tags(str(entry)).startswith(prefixes):
            kept.append(entry)
    return kept


class SuggestedActionForm(forms.ModelForm):
    """A suggested action as curators write it: its source and references picked from the published ones,
    its provenance checked by the model's rule (SuggestedMitigation.provenance_problems)."""

    class Meta:
        model = SuggestedMitigation
        fields = [
            "title",
            "description",
            "themes",
            "phase",
            "position",
            "provenance",
            "source",
            "references",
            "quote",
            "source_note",
            "rationale",
        ]
        widgets = {"themes": GroupedCheckboxes, "references": GroupedCheckboxes}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Suggested actions are for everyone: published evidence only, never an organisation's own.
        self.fields["source"].queryset = Source.objects.published()
        self.fields["source"].empty_label = "None picked"
        themes = self.fields["themes"]
        themes.queryset = Theme.objects.published().in_published_order()
        themes.widget.choices = grouped_choices(themes.queryset, lambda t: t.category.source.name, lambda t: t.name)
        references = self.fields["references"]
        references.queryset = (
            Reference.objects.filter(source__organisation__isnull=True)
            .select_related("source")
            .order_by("source", "number")
        )
        references.widget.choices = grouped_choices(
            references.queryset,
            lambda r: r.source.name,
            lambda r: f"[{r.number}] {Truncator(r.citation).chars(90)}".strip(),
        )

    def clean(self):
        cleaned = super().clean()
        candidate = SuggestedMitigation(
            provenance=cleaned.get("provenance"),
            quote=cleaned.get("quote") or "",
            source=cleaned.get("source"),
            source_note=cleaned.get("source_note") or "",
        )
        for field, problem in candidate.provenance_problems(cleaned.get("references") or []).items():
            if field in self.fields and field not in self.errors:
                self.add_error(field, problem)
        return cleaned


class SuggestionState(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("draft", "Drafts awaiting review"), ("published", "Published")]

    def queryset(self, request, queryset):
        if self.value() == "draft":
            return queryset.drafts()
        if self.value() == "published":
            return queryset.published()
        return queryset


@admin.register(SuggestedMitigation)
class SuggestedMitigationAdmin(HistoryForPeople, CountsOnlyForOrganisationData, SimpleHistoryAdmin):
    form = SuggestedActionForm
    list_display = ["title", "provenance_label", "source", "needs", "state", "phase", "theme_names", "position"]
    list_select_related = ["phase", "source"]
    # Themes "related only": the filter lists the (published) themes suggested actions are linked to.
    list_filter = [SuggestionState, "provenance", "source", "phase", ("themes", admin.RelatedOnlyFieldListFilter)]
    list_editable = ["position"]
    search_fields = ["title", "description", "rationale", "source_note", "quote"]
    readonly_fields = ["state_in_words"]
    fieldsets = [
        (None, {"fields": ["title", "description", "themes", "phase", "position", "state_in_words"]}),
        (
            "Provenance: never present our own suggestion as evidence",
            {
                "fields": ["provenance", "source", "references", "quote", "source_note", "rationale"],
                "description": "“From the evidence” only when the quote is the source's own words, with the "
                "source and its references picked below; planners see the citation built from them. A "
                "suggestion inferred from the evidence, or summarised from another source, is a curator's "
                "suggestion that cites it in the note.",
            },
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("phase", "source").prefetch_related("themes")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        # No add, change or delete icons beside the pickers: a curator picks here, and edits sources elsewhere.
        if field is not None and isinstance(field.widget, RelatedFieldWidgetWrapper):
            field.widget = field.widget.widget
        return field

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user  # new ones are drafts: who wrote it decides who may publish alone
        super().save_model(request, obj, form, change)

    def get_deleted_objects(self, objs, request):
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        # Its links to themes and references go with it; listing each ("SuggestedMitigation_themes object
        # (111)") says nothing a curator can use.
        links = [
            capfirst(field.remote_field.through._meta.verbose_name)
            for field in (SuggestedMitigation.themes.field, SuggestedMitigation.references.field)
        ]
        model_count = {
            name: count
            for name, count in model_count.items()
            if capfirst(str(name)) not in {capfirst(f"{link}s") for link in links}
        }
        return _without(deleted, tuple(f"{link}: " for link in links)), model_count, perms_needed, protected

    def get_urls(self):
        return [
            path(
                "<int:pk>/publish/",
                self.admin_site.admin_view(require_POST(self.publish_view)),
                name="peerplan_suggestedmitigation_publish",
            ),
            path(
                "<int:pk>/withdraw/",
                self.admin_site.admin_view(require_POST(self.withdraw_view)),
                name="peerplan_suggestedmitigation_withdraw",
            ),
            *super().get_urls(),
        ]

    def publish_view(self, request, pk):
        """A second curator publishes in one step; the author of the draft is asked first."""
        suggestion = get_object_or_404(SuggestedMitigation, pk=pk)
        if not self.has_change_permission(request, suggestion):
            raise PermissionDenied
        if suggestion.is_published:
            return redirect("admin:peerplan_suggestedmitigation_change", suggestion.pk)
        if not suggestion.publish(by=request.user, confirmed_own=request.POST.get("confirm") == "own"):
            return TemplateResponse(
                request,
                "admin/peerplan/suggestedmitigation/publish_own.html",
                {
                    **self.admin_site.each_context(request),
                    "opts": self.model._meta,
                    "original": suggestion,
                    "title": "Publish your own suggested action?",
                },
            )
        messages.success(request, f"Published the suggested action “{suggestion}”: planners are offered it now.")
        return redirect("admin:peerplan_suggestedmitigation_changelist")

    def withdraw_view(self, request, pk):
        suggestion = get_object_or_404(SuggestedMitigation, pk=pk)
        if not self.has_change_permission(request, suggestion):
            raise PermissionDenied
        suggestion.withdraw()
        messages.success(
            request,
            f"The suggested action “{suggestion}” is a draft again: planners are no longer offered it (actions "
            "already adopted from it stay).",
        )
        return redirect("admin:peerplan_suggestedmitigation_change", suggestion.pk)

    @admin.display(description="Provenance", ordering="provenance")
    def provenance_label(self, obj):
        return obj.get_provenance_display()

    @admin.display(description="State", ordering="is_published")
    def state(self, obj):
        return "Published" if obj.is_published else "Draft"

    @admin.display(description="State")
    def state_in_words(self, obj):
        return obj.state_in_words() if obj.pk else "A draft once saved: a curator publishes it."

    @admin.display(description="Needs")
    def needs(self, obj):
        # Rows saved before the rule (the Table 5 quotations: a table PeerPlan does not hold as a source) show
        # what a curator must decide; the form refuses to save them until then.
        problems = obj.provenance_problems()
        return " ".join(problems.values()) if problems else "Nothing"

    @admin.display(description="Themes")
    def theme_names(self, obj):
        return ", ".join(theme.name for theme in obj.themes.all())


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class SignOnDomainInline(admin.TabularInline):
    model = SignOnDomain
    extra = 0
    verbose_name = "single sign-on domain"
    verbose_name_plural = "Single sign-on: people whose verified email is at these domains join on first sign-in"


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "require_two_factor", "created_at", "deleted_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [SignOnDomainInline, MembershipInline]


@admin.register(SignOnDomain)
class SignOnDomainAdmin(admin.ModelAdmin):
    list_display = ["domain", "organisation", "role"]
    search_fields = ["domain", "organisation__name"]
    list_select_related = ["organisation"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "organisation", "role", "created_at", "expires_at", "accepted_at"]
    list_filter = ["role"]
    search_fields = ["email", "organisation__name"]
    readonly_fields = ["token", "accepted_at", "accepted_by"]


@admin.register(Checklist)
class ChecklistAdmin(SimpleHistoryAdmin):
    list_display = ["title", "organisation", "status", "review_date"]
    list_filter = ["status"]
    search_fields = ["title", "organisation__name"]
    list_select_related = ["organisation"]


class MitigationAdminForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        # The checklist is read-only once the action exists: then it is the instance's.
        checklist = cleaned.get("checklist")
        checklist_id = checklist.pk if checklist is not None else self.instance.checklist_id
        items = cleaned.get("items")
        if checklist_id is not None and items is not None and any(item.checklist_id != checklist_id for item in items):
            raise forms.ValidationError({"items": "An action addresses items of its own checklist only."})
        return cleaned


@admin.register(Mitigation)
class MitigationAdmin(SimpleHistoryAdmin):
    """An action addresses items of its own checklist, as on every other path, and stays on the checklist it was
    made on: what is counted of each checklist is kept until that checklist's actions change
    (pages/checklist_counts.py), so an action that moved would leave its old checklist's counts as they were."""

    form = MitigationAdminForm
    list_display = ["__str__", "checklist", "status", "due_date"]
    list_filter = ["status"]
    search_fields = ["action"]
    list_select_related = ["checklist"]
    raw_id_fields = ["items", "checklist", "owner", "suggestion", "created_by"]

    def get_readonly_fields(self, request, obj=None):
        return ["checklist"] if obj is not None else []


class NetworkMembershipInline(admin.TabularInline):
    """Who is in the network and how they answered: set by coordinators and owners, not here."""

    model = NetworkMembership
    extra = 0
    can_delete = False
    fields = ["organisation", "state", "invited_at", "answered_at", "left_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Network)
class NetworkAdmin(admin.ModelAdmin):
    """Site administrators create networks and name their coordinators; coordinators invite organisations
    from the network's page, and only an organisation's owners accept."""

    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["coordinators"]
    inlines = [NetworkMembershipInline]
