"""API endpoints: thin functions that load through the scoped loaders (scope.py), read with the same
querysets as the pages, and change data through writes.py (the pages' forms and operations)."""

from django.db.models import Count, prefetch_related_objects
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.cache import never_cache
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from evidence.cache import finding_facts
from evidence.models import PLANS_FOR, Source, Theme
from peerplan.access import EDIT
from peerplan.api import scope, writes
from peerplan.api.authentication import TokenAuthentication
from peerplan.api.errors import NOT_FOUND, bad_input, form_errors
from peerplan.api.etags import item_etag, mitigation_etag
from peerplan.api.permissions import HasToken
from peerplan.api.serializers import (
    TOO_FEW,
    CheckInFiguresSerializer,
    ChecklistSerializer,
    DashboardSerializer,
    ErrorSerializer,
    EvidenceSerializer,
    ItemConflictSerializer,
    ItemDecisionSerializer,
    ItemSerializer,
    MemberSerializer,
    MitigationConflictSerializer,
    MitigationCreateSerializer,
    MitigationSerializer,
    MitigationWriteSerializer,
    OrganisationSerializer,
    PhaseSerializer,
    ThemeRefSerializer,
    ThemeSerializer,
    paginated,
    with_addressed_items,
)
from peerplan.figures import check_ins as check_in_figures
from peerplan.figures import tracking
from peerplan.forms.mitigations import ActionFilterForm
from peerplan.models import (
    Checklist,
    ChecklistStatus,
    ImplementationPhase,
    Item,
    Membership,
    Mitigation,
    MitigationStatus,
    addressed_items,
    coverage_by_checklist,
)
from peerplan.pages import dashboard as dashboard_pages


class Pages(PageNumberPagination):
    """50 a page unless `page_size` says otherwise (up to 200). A `page` or `page_size` that is not a whole
    number in range is a 400 naming it, like any other bad parameter; a page past the last is a 404."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        raise_bad_query(
            _whole_number(request, "page", f"Send a page number from 1, e.g. {self.page_query_param}=2.")
            + _whole_number(request, "page_size", f"Send a whole number from 1 to {self.max_page_size}.")
        )
        return super().paginate_queryset(queryset, request, view)


def _whole_number(request, name, message):
    value = request.query_params.get(name)
    if value is None:
        return []
    highest = Pages.max_page_size if name == "page_size" else None
    if not (value.isascii() and value.isdigit()) or int(value) < 1 or (highest and int(value) > highest):
        return [{"field": name, "message": message}]
    return []


def _true_or_false(request, *names):
    """Boolean query parameters are `true` or `false`, as OpenAPI writes them; anything else is named."""
    return [
        {"field": name, "message": "Send true or false."}
        for name in names
        if request.query_params.get(name) not in (None, "true", "false")
    ]


def raise_bad_query(errors):
    if errors:
        raise bad_input(errors)


ERRORS = {
    400: OpenApiResponse(ErrorSerializer, "Bad input: each problem with its field."),
    401: OpenApiResponse(ErrorSerializer, "No token, or a token that is unknown, revoked or expired."),
    403: OpenApiResponse(ErrorSerializer, "The token may see this but not change it."),
    404: OpenApiResponse(ErrorSerializer, "Not there, or not visible to this token."),
    429: OpenApiResponse(ErrorSerializer, "Too many requests: wait for the seconds in Retry-After."),
    500: OpenApiResponse(ErrorSerializer, "Something went wrong on the server (it has been logged)."),
}
TOO_BIG = {
    413: OpenApiResponse(ErrorSerializer, "The body is larger than the API accepts (DATA_UPLOAD_MAX_MEMORY_SIZE)."),
}
# The kinds of finding a checklist has items for, as the API names them.
PLANNED_KINDS = [str(kind) for kind in PLANS_FOR]
READ_ERRORS = {code: ERRORS[code] for code in (400, 401, 404, 429, 500)}


def write_errors(conflict):
    """The errors of a change; a 412's `current` is the resource as saved now (`conflict` types it)."""
    return {
        **ERRORS,
        **TOO_BIG,
        412: OpenApiResponse(conflict, "Someone saved since you read it: `current` is what is saved now."),
        428: OpenApiResponse(ErrorSerializer, "If-Match is missing."),
    }


IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description='The ETag you read, as it was sent, in double quotes, e.g. "mitigation-42-v3" '
    "(required to change). `*` and an unquoted ETag are a 400.",
)


PAGES = [
    OpenApiParameter(
        "page", {"type": "integer", "minimum": 1}, description="Which page, from 1 (a page past the last is a 404)."
    ),
    OpenApiParameter(
        "page_size",
        {"type": "integer", "minimum": 1, "maximum": Pages.max_page_size},
        description="How many a page, 1 to 200 (50 unless given).",
    ),
]


def token_view(methods):
    """An endpoint that needs a token."""

    def decorate(function):
        function = permission_classes([HasToken])(function)
        # An organisation's plans are private: no shared cache or browser keeps them.
        return never_cache(api_view(methods)(function))

    return decorate


def _paginated(request, queryset, serializer_class, context):
    paginator = Pages()
    page = paginator.paginate_queryset(queryset, request)
    return paginator.get_paginated_response(serializer_class(page, many=True, context=context).data)


# Organisations -----------------------------------------------------------------------------------


def _organisation_data(request, organisation, membership):
    return OrganisationSerializer(
        {
            "slug": organisation.slug,
            "name": organisation.name,
            "role": membership.role,
            "token_access": request.auth.access,
        }
    ).data


@extend_schema(
    operation_id="list_organisations",
    summary="The organisations this token may see",
    description="A token belongs to one organisation, so this lists that one while its person is a member.",
    responses={200: OrganisationSerializer(many=True), **READ_ERRORS},
)
@token_view(["GET"])
def organisations(request):
    memberships = Membership.objects.readable_by(request.user).filter(organisation_id=request.auth.organisation_id)
    return Response(
        [_organisation_data(request, m.organisation, m) for m in memberships.select_related("organisation")]
    )


@extend_schema(
    operation_id="get_organisation", summary="One organisation", responses={200: OrganisationSerializer, **READ_ERRORS}
)
@token_view(["GET"])
def organisation(request, slug):
    organisation, membership = scope.load_organisation(request, slug)
    return Response(_organisation_data(request, organisation, membership))


@extend_schema(
    operation_id="list_members",
    summary="The organisation's members",
    description="Their ids are what a mitigation's `owner` takes.",
    responses={200: MemberSerializer(many=True), **READ_ERRORS},
)
@token_view(["GET"])
def members(request, slug):
    organisation, _ = scope.load_organisation(request, slug)
    memberships = organisation.memberships.select_related("user").order_by("user__first_name", "user__email", "pk")
    return Response(MemberSerializer(memberships, many=True).data)


@extend_schema(
    operation_id="list_themes",
    summary="The themes the action list's `theme` filter offers",
    description="The published themes and the organisation's own (never another organisation's), in published "
    "order: their ids are what `theme` takes.",
    responses={200: ThemeRefSerializer(many=True), **READ_ERRORS},
)
@token_view(["GET"])
def themes(request, slug):
    organisation, _ = scope.load_organisation(request, slug)
    choices = ActionFilterForm.themes_offered(organisation.pk).select_related("category")
    return Response(ThemeRefSerializer(choices, many=True).data)


@extend_schema(
    operation_id="list_phases",
    summary="The implementation phases",
    description="Their ids are what a mitigation's `phase` takes.",
    responses={200: PhaseSerializer(many=True), **READ_ERRORS},
)
@token_view(["GET"])
def phases(request, slug):
    scope.load_organisation(request, slug)
    return Response(PhaseSerializer(ImplementationPhase.objects.all(), many=True).data)


@extend_schema(
    operation_id="get_dashboard",
    summary="The dashboard's figures",
    description="Progress and coverage of each active checklist, the drafts left out of every figure, overdue, "
    "due-soon and blocked actions (the first ten of each with the full count), checklists past their review date, decisions due for re-review, "
    "and the coverage grid of challenge themes against checklists.",
    responses={200: DashboardSerializer, **READ_ERRORS},
)
@token_view(["GET"])
def dashboard(request, slug):
    organisation, _ = scope.load_organisation(request, slug)
    today = tracking.today()
    figures = dashboard_pages.dashboard(organisation, today, with_grid=True)
    checklists = figures["checklists"]

    def progress(p):
        return {**{s: p.count(s) for s in MitigationStatus.values}, "total": p.total, "overdue": p.overdue}

    def actions(action_list):
        return {"count": action_list.count, "actions": action_list.actions}

    # The dashboard's lists show neither phases nor the challenges themselves (only their themes' names); the
    # API does: one query each for all three lists.
    prefetch_related_objects(
        [*figures["overdue"].actions, *figures["due_soon"].actions, *figures["blocked"].actions],
        "phase",
        addressed_items(),
    )

    data = {
        "today": today,
        "checklists": [
            {"id": s.checklist.pk, "title": s.checklist.title, "progress": progress(s.progress), "coverage": s.coverage}
            for s in figures["summaries"]
        ],
        "drafts_not_counted": figures["drafts"],
        "overdue": actions(figures["overdue"]),
        "due_soon": actions(figures["due_soon"]),
        "blocked": actions(figures["blocked"]),
        "past_review": figures["past_review"],
        "rereview_due": [
            {
                "item": item.pk,
                "checklist": item.checklist_id,
                "theme": item.finding.theme.name,
                "rereview_on": item.rereview_on,
            }
            for item in figures["rereview_due"]
        ],
        "coverage_grid": [
            {
                "theme": row.theme_name,
                "theme_id": row.theme_id,
                "theme_slug": row.theme_slug,
                "cells": [
                    {
                        "checklist": c.pk,
                        "state": cell.state,
                        "covered": cell.covered,
                        "done": cell.done,
                        "applicable": cell.applicable,
                    }
                    for c, cell in zip(checklists, row.cells, strict=True)
                ],
            }
            for row in figures["grid"]
        ],
    }
    return Response(DashboardSerializer(data, context={"today": today}).data)


# Checklists and items ----------------------------------------------------------------------------


@extend_schema(
    operation_id="list_checklists",
    summary="The organisation's checklists",
    parameters=[
        OpenApiParameter("status", OpenApiTypes.STR, enum=ChecklistStatus.values, description="Only this status."),
        *PAGES,
    ],
    responses={200: paginated(ChecklistSerializer), **READ_ERRORS},
)
@token_view(["GET"])
def checklists(request, slug):
    organisation, _ = scope.load_organisation(request, slug)
    queryset = (
        Checklist.objects.filter(organisation=organisation).select_related("organisation").order_by("title", "pk")
    )
    wanted = request.query_params.get("status")
    if wanted is not None:
        if wanted not in ChecklistStatus.values:
            raise bad_input([{"field": "status", "message": "Choose draft, active or archived."}])
        queryset = queryset.filter(status=wanted)
    paginator = Pages()
    page = paginator.paginate_queryset(queryset, request)
    context = {"coverage": coverage_by_checklist([c.pk for c in page])}
    return paginator.get_paginated_response(ChecklistSerializer(page, many=True, context=context).data)


@extend_schema(
    operation_id="get_checklist",
    summary="One checklist, with its coverage",
    responses={200: ChecklistSerializer, **READ_ERRORS},
)
@token_view(["GET"])
def checklist(request, pk):
    checklist, _ = scope.load_checklist(request, pk)
    return Response(ChecklistSerializer(checklist, context={"coverage": {checklist.pk: checklist.coverage()}}).data)


def _items():
    # Published order, spelled out (Item has no default ordering).
    return (
        Item.objects.select_related("finding__theme__category")
        .annotate(mitigation_count=Count("mitigations"))
        .in_published_order()
    )


def _item_data(item):
    if not hasattr(item, "mitigation_count"):
        item.mitigation_count = item.mitigations.count()
    item.etag = item_etag(item)
    return ItemSerializer(item, context={"facts": finding_facts()}).data


@extend_schema(
    operation_id="list_items",
    summary="A checklist's items, with their decisions and evidence references",
    parameters=[
        OpenApiParameter(
            "valence",
            OpenApiTypes.STR,
            enum=PLANNED_KINDS,
            description="Only items of this kind (challenges and barriers are mitigated; benefits and facilitators "
            "realised).",
        ),
        *PAGES,
    ],
    responses={200: paginated(ItemSerializer), **READ_ERRORS},
)
@token_view(["GET"])
def checklist_items(request, pk):
    checklist, _ = scope.load_checklist(request, pk)
    queryset = _items().filter(checklist=checklist)
    valence = request.query_params.get("valence")
    if valence is not None:
        if valence not in PLANNED_KINDS:
            raise bad_input([{"field": "valence", "message": "Choose challenge, barrier, benefit or facilitator."}])
        queryset = queryset.filter(finding__valence=valence)
    paginator = Pages()
    page = paginator.paginate_queryset(queryset, request)
    for item in page:
        item.etag = item_etag(item)
    data = ItemSerializer(page, many=True, context={"facts": finding_facts()}).data
    return paginator.get_paginated_response(data)


@extend_schema(
    operation_id="get_check_in_figures",
    summary="A checklist's check-in figures: closed rounds only, thresholded",
    description="The frozen figures of the checklist's anonymous check-in, as its pages show them: for each "
    "challenge it asks about, each statement's answers in each closed round. A round's figures of a statement "
    "are null (with `reason`) when fewer than the threshold answered it; a round still open gives its number "
    "and last day only. Comments and the people asked are never given.",
    responses={200: CheckInFiguresSerializer, **READ_ERRORS},
)
@token_view(["GET"])
def checklist_check_in(request, pk):
    checklist, _ = scope.load_checklist(request, pk)
    check_in, trends = check_in_figures.check_in_with_trends(checklist, with_charts=False)
    data = {"checklist": checklist.pk, "check_in": check_in is not None, "threshold": None, "open_round": None}
    data.update(rounds=[], items=[])
    if check_in is not None:
        themes = dict(check_in.items.in_published_order().values_list("pk", "finding__theme__name"))
        data["threshold"] = check_in_figures.threshold_of(check_in)
        rounds = list(check_in.rounds.order_by("number"))
        data["open_round"] = next((r for r in rounds if not r.is_closed), None)  # its number and last day only
        for round_ in (r for r in rounds if r.is_closed):
            answered = check_in_figures.round_summary(round_, check_in)
            data["rounds"].append(
                {
                    "number": round_.number,
                    "opens_on": round_.opens_on,
                    "closes_on": round_.closes_on,
                    "answered": answered,
                    "reason": TOO_FEW if answered is None else None,
                }
            )
        data["items"] = [
            {"item_id": pk, "theme": theme, "statements": trends[pk].statements} for pk, theme in themes.items()
        ]
    return Response(CheckInFiguresSerializer(data).data)


@extend_schema(
    methods=["GET"],
    operation_id="get_item",
    summary="One item, with its decision and evidence references",
    responses={200: ItemSerializer, **READ_ERRORS},
)
@extend_schema(
    methods=["PATCH"],
    operation_id="decide_item",
    summary="Record a decision on an item",
    description="The same rules and messages as the item page: a challenge that does not apply needs a reason, "
    "and comes up for re-review a year on unless `rereview_on` says otherwise. Send the item's etag as "
    "If-Match; a stale one gets 412 with what is saved now.",
    parameters=[IF_MATCH],
    request=ItemDecisionSerializer,
    responses={200: ItemSerializer, **write_errors(ItemConflictSerializer)},
)
@token_view(["GET", "PATCH"])
def item(request, pk):
    if request.method == "GET":
        item, _ = scope.load_item(request, pk, queryset=_items())
        return _with_etag(Response(_item_data(item)), item.etag)
    item, _ = scope.load_item(request, pk, need=EDIT)
    sent = _valid(ItemDecisionSerializer, request.data, partial=True)
    writes.decide_item(item=item, sent=sent, tags=writes.if_match(request), current_state=_item_data, by=request.user)
    item = _items().get(pk=item.pk)
    return _with_etag(Response(_item_data(item)), item.etag)


# Mitigations -------------------------------------------------------------------------------------


def _mitigations():
    return with_addressed_items(Mitigation.objects.select_related("owner", "phase", "checklist")).order_by(
        "due_date", "pk"
    )


def _mitigation_data(mitigation):
    return MitigationSerializer(mitigation, context={"today": tracking.today()}).data


def _with_etag(response, etag):
    response["ETag"] = etag
    return response


def _valid(serializer_class, data, partial=False):
    if not isinstance(data, dict):
        raise bad_input([{"field": None, "message": "Send a JSON object."}])
    serializer = serializer_class(data=data, partial=partial)
    # A misspelt or unsupported field is named, not dropped: a client must not believe it was saved.
    unknown = [name for name in data if name not in serializer.fields]
    if unknown:
        takes = ", ".join(serializer.fields)
        raise bad_input(
            [{"field": name, "message": f"This is not a field here. It takes {takes}."} for name in unknown]
        )
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


@extend_schema(
    methods=["GET"],
    operation_id="list_actions",
    summary="The organisation's actions (mitigations), filtered like the action list",
    parameters=[
        OpenApiParameter("checklist", OpenApiTypes.INT, description="A checklist's id."),
        OpenApiParameter("owner", OpenApiTypes.INT, description="A member's id."),
        OpenApiParameter(
            "status",
            OpenApiTypes.STR,
            enum=MitigationStatus.values,
            many=True,
            explode=True,
            description="One or more statuses (repeat the parameter).",
        ),
        OpenApiParameter("theme", OpenApiTypes.INT, description="A challenge theme's id."),
        OpenApiParameter("due_after", OpenApiTypes.DATE, description="Due on or after (YYYY-MM-DD)."),
        OpenApiParameter("due_before", OpenApiTypes.DATE, description="Due on or before (YYYY-MM-DD)."),
        OpenApiParameter(
            "q", OpenApiTypes.STR, description="Words in the action or its notes (at most 200 characters)."
        ),
        OpenApiParameter("no_owner", OpenApiTypes.BOOL, description="Only actions nobody owns yet."),
        OpenApiParameter("no_due_date", OpenApiTypes.BOOL, description="Only actions without a due date."),
        OpenApiParameter(
            "checklist_status",
            OpenApiTypes.STR,
            enum=["draft", "active", "archived"],
            many=True,
            description="Only actions of checklists in these statuses (the dashboard counts active ones).",
        ),
        OpenApiParameter(
            "view",
            OpenApiTypes.STR,
            enum=list(tracking.QUICK_VIEWS),
            description="A quick view: one of the dashboard's figures (overdue, due in the next 14 days, blocked, "
            "open with no owner, open with no due date; on active checklists, with the dashboard's count), or "
            "`mine`: the token's person's open actions, as on their My actions page. Combines with the filters.",
        ),
        *PAGES,
    ],
    responses={200: paginated(MitigationSerializer), **READ_ERRORS},
)
@token_view(["GET"])
def mitigations(request, slug):
    organisation, _ = scope.load_organisation(request, slug)
    form = ActionFilterForm(request.query_params, organisation=organisation)
    raise_bad_query(
        _true_or_false(request, "no_owner", "no_due_date") + (form_errors(form) if not form.is_valid() else [])
    )
    queryset = form.filter(Mitigation.objects.in_organisation(organisation))
    queryset = form.in_view(queryset, today=tracking.today(), user=request.user)
    listing = with_addressed_items(queryset.select_related("owner", "phase", "checklist")).soonest_due_first()
    return _paginated(request, listing, MitigationSerializer, {"today": tracking.today()})


@extend_schema(
    operation_id="create_action",
    summary="Add a mitigation to an item",
    description="The same fields, rules and messages as the page's mitigation form.",
    request=MitigationCreateSerializer,
    responses={201: MitigationSerializer, **ERRORS, **TOO_BIG},
)
@token_view(["POST"])
def item_mitigations(request, pk):
    item, _ = scope.load_item(request, pk, need=EDIT)
    sent = _valid(MitigationCreateSerializer, request.data)
    others = scope.load_items(item.checklist, sent.pop("items", []))
    items = [item, *(other for other in others if other.pk != item.pk)]
    mitigation = writes.create_mitigation(item=item, items=items, sent=sent, by=request.user)
    mitigation = _mitigations().get(pk=mitigation.pk)
    location = request.build_absolute_uri(reverse("api:mitigation", args=[mitigation.pk]))
    return _with_etag(
        Response(_mitigation_data(mitigation), status=status.HTTP_201_CREATED, headers={"Location": location}),
        mitigation_etag(mitigation),
    )


@extend_schema(
    methods=["GET"],
    operation_id="get_action",
    summary="One mitigation",
    responses={200: MitigationSerializer, **READ_ERRORS},
)
@extend_schema(
    methods=["PATCH"],
    operation_id="update_action",
    summary="Change a mitigation",
    description="Send only what changes (status, owner, due date, notes, ...). The same rules and messages as "
    "the page's form. Send the etag you read as If-Match; if someone saved since, nothing changes and the "
    "answer is 412 with what is saved now.",
    parameters=[IF_MATCH],
    request=MitigationWriteSerializer,
    responses={200: MitigationSerializer, **write_errors(MitigationConflictSerializer)},
)
@token_view(["GET", "PATCH"])
def mitigation(request, pk):
    if request.method == "GET":
        mitigation, _ = scope.load_mitigation(request, pk)
        return _with_etag(Response(_mitigation_data(mitigation)), mitigation_etag(mitigation))
    mitigation, _ = scope.load_mitigation(request, pk, need=EDIT)
    sent = _valid(MitigationWriteSerializer, request.data, partial=True)
    wanted = sent.pop("items", None)
    saved = writes.update_mitigation(
        mitigation=mitigation,
        sent=sent,
        items=None if wanted is None else scope.load_items(mitigation.checklist, wanted),
        tags=writes.if_match(request),
        current_state=_mitigation_data,
        by=request.user,
    )
    saved = _mitigations().get(pk=saved.pk)
    return _with_etag(Response(_mitigation_data(saved)), mitigation_etag(saved))


# Evidence (public) -------------------------------------------------------------------------------


def _theme_data(theme):
    return {
        "id": theme.pk,
        "name": theme.name,
        "slug": theme.slug,
        "category": theme.category.name,
        "source": theme.category.source.slug,
        "findings": [
            {
                "id": finding.pk,
                "valence": finding.valence,
                "reference_numbers": finding.reference_numbers(),
                "perspectives": [
                    {
                        "group": p.group,
                        "summary": p.summary,
                        "stakeholders": p.stakeholders,
                        "reference_numbers": p.reference_numbers(),
                    }
                    for p in finding.perspectives.all()
                ],
            }
            for finding in theme.findings.all()
        ],
    }


def _source_data(source):
    return {
        "id": source.slug,
        "name": source.name,
        "version": source.version,
        "citation": source.citation(),
        "doi": source.doi,
        "table": source.table,
        "caveat": source.caveat,
        "licence": source.licence,
        "provenance": source.provenance,
    }


@extend_schema(
    operation_id="get_evidence",
    summary="The published evidence (no token needed)",
    description="Every published source (Table 6 of Cooper et al., BMC Medicine 2024, first) with its "
    "provenance, and every theme of the current versions exactly as published, naming its source: its findings, "
    "each perspective's summary and its references.",
    auth=[],
    responses={200: EvidenceSerializer, **{code: ERRORS[code] for code in (401, 429, 500)}},
)
@api_view(["GET"])
@authentication_classes([TokenAuthentication])
@permission_classes([AllowAny])
def evidence(request):
    # Published evidence only: never an organisation's own, and only the current version.
    sources = [_source_data(source) for source in Source.objects.published().order_by("pk")]
    data = {
        "source": sources[0] if sources else None,
        "sources": sources,
        "themes": [_theme_data(theme) for theme in Theme.objects.published().current().with_evidence()],
    }
    return Response(EvidenceSerializer(data).data)


@extend_schema(
    operation_id="get_evidence_theme",
    summary="One theme of the evidence (no token needed)",
    auth=[],
    responses={200: ThemeSerializer, **{code: ERRORS[code] for code in (401, 404, 429, 500)}},
)
@api_view(["GET"])
@authentication_classes([TokenAuthentication])
@permission_classes([AllowAny])
def theme(request, slug):
    theme = get_object_or_404(Theme.objects.published().current().with_evidence(), slug=slug)
    return Response(ThemeSerializer(_theme_data(theme)).data)


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@authentication_classes([])
@permission_classes([AllowAny])
def not_found(request, rest=""):
    """Any other address under /api/ is a 404 in JSON too, not the site's HTML page."""
    raise NotFound(NOT_FOUND)
