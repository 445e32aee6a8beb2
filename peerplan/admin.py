"""The planning admin: the curated library of suggested mitigations (with provenance in plain sight),
implementation phases, and organisations for site administrators."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from evidence.history_admin import HistoryForPeople
from evidence.models import Theme
from peerplan.lib.admin import CountsOnlyForOrganisationData
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


@admin.register(SuggestedMitigation)
class SuggestedMitigationAdmin(HistoryForPeople, CountsOnlyForOrganisationData, SimpleHistoryAdmin):
    list_display = ["title", "provenance_label", "phase", "theme_names", "is_published", "position"]
    # Themes "related only": the filter lists the (published) themes suggestions are linked to.
    list_filter = ["provenance", "is_published", "phase", ("themes", admin.RelatedOnlyFieldListFilter)]
    list_editable = ["is_published", "position"]
    search_fields = ["title", "description", "rationale", "source", "quote"]
    filter_horizontal = ["themes"]
    fieldsets = [
        (None, {"fields": ["title", "description", "themes", "phase", "is_published", "position"]}),
        (
            "Provenance: never present our own suggestion as evidence",
            {
                "fields": ["provenance", "source", "quote", "rationale"],
                "description": "“From the evidence” only when the quote is the source's own words; "
                "a suggestion "
                "inferred from the evidence, or summarised from another source, is a curator's suggestion "
                "that cites it.",
            },
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("phase").prefetch_related("themes")

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        # Suggestions are for everyone: they link published themes only, never an organisation's own.
        if db_field.name == "themes":
            kwargs["queryset"] = Theme.objects.published().in_published_order()
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description="Provenance", ordering="provenance")
    def provenance_label(self, obj):
        return obj.get_provenance_display()

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
    list_display = ["name", "slug", "require_two_factor", "created_at"]
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


@admin.register(Mitigation)
class MitigationAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "checklist", "status", "due_date"]
    list_filter = ["status"]
    search_fields = ["action"]
    list_select_related = ["checklist"]
    raw_id_fields = ["items", "checklist", "owner", "suggestion", "created_by"]


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
