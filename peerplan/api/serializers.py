"""What the API reads and writes. Reading: plain serializers over the models the pages show. Writing:
these check only the JSON types; the rules and their messages are the pages' forms (see writes.py)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from evidence.cache import finding_facts
from evidence.models import StakeholderGroup, Valence
from peerplan.api.etags import mitigation_etag
from peerplan.models import (
    ChecklistStatus,
    Mitigation,
    MitigationStatus,
    Priority,
    Role,
    addressed_items,
    display_name,
)


def form_checked_text(max_length, **kwargs):
    """Text whose length the page's form checks, with the page's message; the schema states the limit so that
    clients (and Schemathesis) know it, but this field does not check it first with a message of its own."""
    field_class = extend_schema_field({"type": "string", "maxLength": max_length})(
        type(f"TextUpTo{max_length}", (serializers.CharField,), {})
    )
    kwargs.setdefault("required", False)
    return field_class(allow_blank=True, trim_whitespace=False, **kwargs)


# Error shape (errors.py) ---------------------------------------------------------------------------


class FieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True, help_text="The field the problem is about; null for the whole.")
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = FieldErrorSerializer(many=True)


def paginated(serializer_class):
    """The schema of one page of a list: how many in all, links to the pages around it, and the results."""
    name = serializer_class.__name__.removesuffix("Serializer")
    return type(
        f"Paginated{name}ListSerializer",
        (serializers.Serializer,),
        {
            "count": serializers.IntegerField(help_text="How many in all."),
            "next": serializers.URLField(allow_null=True, help_text="The next page, or null."),
            "previous": serializers.URLField(allow_null=True, help_text="The previous page, or null."),
            "results": serializer_class(many=True),
        },
    )


# People and organisations --------------------------------------------------------------------------


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return display_name(user)


class MemberSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="user_id", help_text="The person's id: what `owner` takes.")
    name = serializers.SerializerMethodField()
    role = serializers.ChoiceField(choices=Role.choices)

    def get_name(self, membership) -> str:
        return display_name(membership.user)


class OrganisationSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices, help_text="The token's person's current role.")
    token_access = serializers.ChoiceField(choices=[("read", "Read only"), ("write", "Read and write")])


# Checklists ----------------------------------------------------------------------------------------


class CoverageSerializer(serializers.Serializer):
    covered = serializers.IntegerField(
        help_text="Covered: applicable challenges with at least one live action (any status but dropped)."
    )
    applicable = serializers.IntegerField()
    percent = serializers.IntegerField(
        help_text="Covered, whole percent of applicable, to the nearest (100 only when all, 0 only when none)."
    )
    done = serializers.IntegerField(help_text="Done: applicable challenges with at least one action done.")
    done_percent = serializers.IntegerField(help_text="Done, whole percent of applicable, rounded like percent.")


class ChecklistSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    organisation = serializers.SlugField(source="organisation.slug")
    title = serializers.CharField()
    service = serializers.CharField()
    description = serializers.CharField()
    status = serializers.ChoiceField(choices=ChecklistStatus.choices)
    review_date = serializers.DateField(allow_null=True)
    coverage = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(CoverageSerializer)
    def get_coverage(self, checklist):
        coverage = self.context["coverage"][checklist.pk]
        return CoverageSerializer(coverage).data


# Items ---------------------------------------------------------------------------------------------


class ThemeRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="What the action list's `theme` filter takes.")
    name = serializers.CharField()
    slug = serializers.SlugField()
    category = serializers.CharField(source="category.name")


class FindingRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    theme = ThemeRefSerializer()
    valence = serializers.ChoiceField(choices=[(k, label) for k, label in Valence.choices if k])
    reference_numbers = serializers.SerializerMethodField(
        help_text="Every review the finding cites (its own references and its perspectives'), as numbered in Table 6."
    )
    stakeholder_groups = serializers.SerializerMethodField(
        help_text="The groups that reported it, including those named inside mixed samples."
    )

    def _facts(self):
        # The evidence facts of every finding, read once per answer from the shared cache (views pass them).
        facts = self.context.get("facts")
        return facts if facts is not None else finding_facts()

    def get_reference_numbers(self, finding) -> list[int]:
        return list(self._facts()[finding.pk].reference_numbers)

    def get_stakeholder_groups(self, finding) -> list[str]:
        groups = self._facts()[finding.pk].groups
        return [group for group in StakeholderGroup.values if group in groups]


class ItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    checklist = serializers.IntegerField(source="checklist_id")
    finding = FindingRefSerializer()
    applies = serializers.BooleanField(
        help_text="Challenges: it applies to this service. Benefits: an outcome the service means to realise."
    )
    not_applicable_reason = serializers.CharField()
    rereview_on = serializers.DateField(allow_null=True)
    priority = serializers.ChoiceField(choices=Priority.choices)
    note = serializers.CharField()
    evidence_reviewed_at = serializers.DateTimeField(allow_null=True)
    mitigation_count = serializers.IntegerField()
    etag = serializers.CharField(help_text="Send it back as If-Match to change the decision.")


class ItemDecisionSerializer(serializers.Serializer):
    """The decision fields a PATCH may send; any left out keep their value."""

    applies = serializers.BooleanField(required=False)
    not_applicable_reason = form_checked_text(2000, help_text="Needed when a challenge does not apply.")
    rereview_on = serializers.DateField(required=False, allow_null=True)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    note = form_checked_text(4000)


# Mitigations ---------------------------------------------------------------------------------------


class PhaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ChallengeRefSerializer(serializers.Serializer):
    item = serializers.IntegerField(source="pk")
    theme = serializers.CharField(source="finding.theme.name")
    theme_id = serializers.IntegerField(source="finding.theme_id", help_text="What the `theme` filter takes.")
    theme_slug = serializers.SlugField(source="finding.theme.slug")
    valence = serializers.ChoiceField(
        choices=[(k, label) for k, label in Valence.choices if k], source="finding.valence"
    )


def with_addressed_items(queryset):
    """What `challenges` shows, fetched with the mitigations: the items each addresses (one more query
    per page, whatever its length)."""
    return queryset.prefetch_related(addressed_items())


class MitigationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    checklist = serializers.IntegerField(source="checklist_id")
    challenges = serializers.SerializerMethodField(help_text="The items (challenges or benefits) it addresses.")
    action = serializers.CharField(help_text="Its title: what will be done, in a few words.")
    details = serializers.CharField(help_text="What the action involves, beyond its title (may be empty).")
    owner = PersonSerializer(allow_null=True, help_text="A member who owns it.")
    owner_name = serializers.CharField(help_text="Or a named person outside the organisation.")
    due_date = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=MitigationStatus.choices)
    phase = PhaseSerializer(allow_null=True)
    notes = serializers.CharField()
    co_produced = serializers.BooleanField()
    lived_experience_led = serializers.BooleanField()
    suggestion = serializers.IntegerField(source="suggestion_id", allow_null=True)
    is_overdue = serializers.SerializerMethodField(
        help_text="Open and due before today, on an active checklist: a draft's actions are never overdue."
    )
    version = serializers.IntegerField(help_text="Goes up by one with every save.")
    etag = serializers.SerializerMethodField(help_text="Send it back as If-Match to change the mitigation.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(ChallengeRefSerializer(many=True))
    def get_challenges(self, mitigation):
        return ChallengeRefSerializer(mitigation.addressed, many=True).data

    def get_is_overdue(self, mitigation) -> bool:
        return mitigation.is_overdue(self.context["today"])

    def get_etag(self, mitigation) -> str:
        return mitigation_etag(mitigation)


ITEMS_HELP = (
    "Items of the action's checklist (ids). On create: further items it addresses besides the one in the address. "
    "On a change: exactly the items it addresses from now on (at least one); the new ones are linked and the "
    "others unlinked, each in the history. The version does not change with them."
)


class MitigationFieldsSerializer(serializers.Serializer):
    """The fields a mitigation's create and change both take (the page's form checks their rules)."""

    owner = serializers.IntegerField(
        required=False, allow_null=True, help_text="The id of a member of the organisation, or null."
    )
    owner_name = form_checked_text(200, help_text="Or a named person outside the organisation.")
    due_date = serializers.DateField(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=MitigationStatus.choices, required=False)
    phase = serializers.IntegerField(required=False, allow_null=True, help_text="An implementation phase's id.")
    details = form_checked_text(4000, help_text="What the action involves, beyond its title.")
    notes = form_checked_text(4000)
    co_produced = serializers.BooleanField(required=False)
    lived_experience_led = serializers.BooleanField(required=False)
    items = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**31 - 1),
        required=False,
        max_length=500,
        help_text=ITEMS_HELP,
    )


class MitigationCreateSerializer(MitigationFieldsSerializer):
    """A new mitigation: `action` is needed; there is no version to send yet."""

    action = form_checked_text(
        Mitigation.TITLE_MAX_LENGTH,
        required=True,
        error_messages={"required": "Give the action a title: say what will be done."},
        help_text="Its title: what will be done, in a few words.",
    )


class MitigationWriteSerializer(MitigationFieldsSerializer):
    """A change: send only what changes."""

    # Up to the model's limit: a title from before titles were short may be sent back unchanged (the form
    # holds new text to Mitigation.TITLE_MAX_LENGTH).
    action = form_checked_text(2000, help_text="Its title: what will be done, in a few words.")
    version = serializers.IntegerField(
        required=False,
        help_text="The version you read: instead of If-Match, for clients that cannot set headers (with If-Match, "
        "both must be current).",
    )


class MitigationConflictSerializer(ErrorSerializer):
    current = MitigationSerializer(help_text="The mitigation as it is saved now, with its new etag.")


class ItemConflictSerializer(ErrorSerializer):
    current = ItemSerializer(help_text="The item as it is saved now, with its new etag.")


# Dashboard -----------------------------------------------------------------------------------------


class ProgressSerializer(serializers.Serializer):
    planned = serializers.IntegerField()
    in_progress = serializers.IntegerField()
    done = serializers.IntegerField()
    blocked = serializers.IntegerField()
    dropped = serializers.IntegerField()
    total = serializers.IntegerField()
    overdue = serializers.IntegerField()


class ChecklistSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    progress = ProgressSerializer()
    coverage = CoverageSerializer()


class ActionListSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="How many in all.")
    actions = MitigationSerializer(many=True, help_text="The first ten, soonest due first.")


class PastReviewSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    review_date = serializers.DateField()


class DraftSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class RereviewSerializer(serializers.Serializer):
    item = serializers.IntegerField()
    checklist = serializers.IntegerField()
    theme = serializers.CharField()
    rereview_on = serializers.DateField()


class GridCellSerializer(serializers.Serializer):
    checklist = serializers.IntegerField()
    state = serializers.ChoiceField(choices=["done", "covered", "partly", "open", "not-applicable"])
    covered = serializers.IntegerField(help_text="The theme's applicable challenges with a live action (covered).")
    done = serializers.IntegerField(help_text="The theme's applicable challenges with an action done.")
    applicable = serializers.IntegerField()


class GridRowSerializer(serializers.Serializer):
    theme = serializers.CharField()
    theme_id = serializers.IntegerField(help_text="What the action list's `theme` filter takes.")
    theme_slug = serializers.SlugField()
    cells = GridCellSerializer(many=True)


class DashboardSerializer(serializers.Serializer):
    today = serializers.DateField()
    checklists = ChecklistSummarySerializer(many=True, help_text="Active checklists.")
    drafts_not_counted = DraftSerializer(
        many=True,
        help_text="Draft checklists, left out of every figure: a draft's actions are not overdue, due or blocked "
        "until it is made active (as on the dashboard, My actions, reminders and the report).",
    )
    overdue = ActionListSerializer()
    due_soon = ActionListSerializer()
    blocked = ActionListSerializer()
    past_review = PastReviewSerializer(many=True)
    rereview_due = RereviewSerializer(many=True)
    coverage_grid = GridRowSerializer(many=True)


# Check-ins (frozen, thresholded figures: peerplan/figures/check_ins.py) ----------------------------

TOO_FEW = "too_few_answers"
# The five points of the scale (peerplan.models.SCALE), as the API names them.
SCALE_NAMES = ["strongly_disagree", "disagree", "neither", "agree", "strongly_agree"]


class CheckInRoundSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    opens_on = serializers.DateField()
    closes_on = serializers.DateField(help_text="The last day it could be answered.")
    answered = serializers.IntegerField(
        allow_null=True, help_text="How many answered; null when fewer than the threshold did (see `reason`)."
    )
    reason = serializers.ChoiceField(
        choices=[TOO_FEW], allow_null=True, help_text="Why `answered` is null: fewer than the threshold answered."
    )


class OpenRoundSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    closes_on = serializers.DateField(help_text="Its figures show once it has closed, after this day.")


class StatementRoundSerializer(serializers.Serializer):
    round = serializers.IntegerField(source="number", help_text="The round's number.")
    closes_on = serializers.DateField()
    text = serializers.CharField(help_text="The statement as this round asked it.")
    agreeing_percent = serializers.IntegerField(
        allow_null=True, help_text="Whole percent of those answering on the scale who agree or strongly agree."
    )
    answered = serializers.IntegerField(allow_null=True, help_text="How many answered on the scale.")
    not_applicable = serializers.IntegerField(allow_null=True, help_text="How many said it does not apply to them.")
    threshold = serializers.IntegerField(help_text="The fewest answers on the scale its figures needed.")
    counts = serializers.SerializerMethodField(help_text="How many gave each answer on the scale, in its order.")
    reason = serializers.SerializerMethodField(help_text="Why the figures are null: fewer than the threshold answered.")

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {name: {"type": "integer"} for name in SCALE_NAMES},
        }
    )
    def get_counts(self, statement_round):
        if not statement_round.shown:
            return None
        return dict(zip(SCALE_NAMES, (count for _, count in statement_round.scale()), strict=True))

    @extend_schema_field({"type": "string", "enum": [TOO_FEW], "nullable": True})
    def get_reason(self, statement_round):
        return None if statement_round.shown else TOO_FEW


class StatementTrendSerializer(serializers.Serializer):
    statement = serializers.IntegerField(source="statement_id")
    text = serializers.CharField(help_text="As the latest round asked it.")
    wording_note = serializers.CharField(help_text="Whose wording it is: not a validated measure.")
    rounds = StatementRoundSerializer(many=True, help_text="Each closed round that asked it, oldest first.")


class ItemTrendSerializer(serializers.Serializer):
    item = serializers.IntegerField(source="item_id")
    theme = serializers.CharField()
    statements = StatementTrendSerializer(many=True)


class CheckInFiguresSerializer(serializers.Serializer):
    checklist = serializers.IntegerField()
    check_in = serializers.BooleanField(help_text="Whether the checklist has a check-in; if not, the rest is empty.")
    threshold = serializers.IntegerField(allow_null=True, help_text="The fewest answers a figure needs.")
    open_round = OpenRoundSerializer(allow_null=True, help_text="The round open now: no figure of it is given.")
    rounds = CheckInRoundSerializer(many=True, help_text="The closed rounds, oldest first.")
    items = ItemTrendSerializer(many=True, help_text="The challenges it asks about, in published order.")


# Evidence (public) ---------------------------------------------------------------------------------


class PerspectiveSerializer(serializers.Serializer):
    group = serializers.CharField()
    summary = serializers.CharField(help_text="Exactly as published.")
    stakeholders = serializers.ListField(child=serializers.CharField())
    reference_numbers = serializers.ListField(child=serializers.IntegerField())


class FindingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    valence = serializers.ChoiceField(choices=Valence.choices)
    reference_numbers = serializers.ListField(child=serializers.IntegerField())
    perspectives = PerspectiveSerializer(many=True)


class ThemeSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="What the action list's `theme` filter takes.")
    name = serializers.CharField()
    slug = serializers.SlugField()
    category = serializers.CharField()
    source = serializers.CharField(help_text="The `id` of the source the theme is published in (see `sources`).")
    findings = FindingSerializer(many=True)


class SourceSerializer(serializers.Serializer):
    citation = serializers.CharField()
    doi = serializers.CharField()
    table = serializers.CharField()
    caveat = serializers.CharField()


class PublishedSourceSerializer(SourceSerializer):
    id = serializers.CharField(help_text="Stable across versions, e.g. cooper-2024-table-6.")
    name = serializers.CharField()
    version = serializers.IntegerField()
    licence = serializers.CharField()
    provenance = serializers.CharField()


class EvidenceSerializer(serializers.Serializer):
    source = SourceSerializer(allow_null=True, help_text="The first source, Table 6 (kept for older clients).")
    sources = PublishedSourceSerializer(many=True, help_text="Every published source, each with its provenance.")
    themes = ThemeSerializer(many=True)
