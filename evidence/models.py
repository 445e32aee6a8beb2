"""The evidence, kept exactly as published: several sources (Table 6 of Cooper et al., BMC Medicine 2024,
is the first), each with its own headings, themes, findings and references, and a version that releases
move forward. An organisation can also keep a source of its own, seen only inside that organisation.

Curators correct and extend the published sources in the admin; checklists point at themes and findings,
so rows that a checklist uses are protected from deletion, and a release retires them instead.
"""

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.text import slugify
from simple_history.models import HistoricalRecords

# The stakeholders inside Mixed samples are published in the authors' words ("PSW", "service users");
# the parser knows which of them name a stakeholder group.
from evidence.parser import stakeholder_group
from evidence.release_preview import changed_texts
from peerplan.lib.freshness import EVIDENCE, NOT_SHOWN, OrganisationData

MIXED = "Mixed"


def unique_slug(model, name, *, private):
    """A slug for a new heading or theme (`model`: Category or Theme, or their migration-time copies), unique
    across every source as their constraint requires. An organisation's own gets a random ending: with a
    counted one ("-2"), one organisation naming a theme would learn that another had privately used that
    name; and a published slug, counted among published and random ones only, never reflects a private name."""
    base = slugify(name)[:180] or "untitled"
    if private:
        base = f"{base}-{secrets.token_hex(4)}"
    slug, n = base, 2
    while model.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


class Valence(models.TextChoices):
    """The kind of a finding, in the words its source uses (an implementation review reports facilitators
    and barriers where Table 6 reports benefits and challenges)."""

    BENEFIT = "benefit", "Benefit"
    CHALLENGE = "challenge", "Challenge"
    FACILITATOR = "facilitator", "Facilitator"
    BARRIER = "barrier", "Barrier"
    # "Offering treatment choice" is published with references but neither benefit nor challenge.
    NONE = "", "None given"


class PlansFor(models.TextChoices):
    """What a checklist does with a kind of finding."""

    MITIGATE = "mitigate", "to mitigate"
    REALISE = "realise", "to realise or build on"


# Which kinds a checklist plans for, and how: a property of the kind, so no template asks "is it a
# challenge?". Findings of no kind are shown on the evidence pages but are not checklist items.
PLANS_FOR = {
    Valence.CHALLENGE: PlansFor.MITIGATE,
    Valence.BARRIER: PlansFor.MITIGATE,
    Valence.BENEFIT: PlansFor.REALISE,
    Valence.FACILITATOR: PlansFor.REALISE,
}
TO_MITIGATE = [kind for kind, plan in PLANS_FOR.items() if plan == PlansFor.MITIGATE]


class StakeholderGroup(models.TextChoices):
    PSWS = "PSWs", "PSWs"
    SERVICE_USERS = "Service users", "Service users"
    NON_PEER_STAFF = "Non-peer staff", "Non-peer staff"
    GROUP_MEMBERS = "Peer support group members", "Peer support group members"
    ORGANISATIONS = "Mental health organisations", "Mental health organisations"
    MIXED = MIXED, "Mixed"


class SourceQuerySet(models.QuerySet):
    def published(self):
        """Sources anyone may read: not an organisation's own."""
        return self.filter(organisation__isnull=True)

    def of_organisation(self, organisation):
        return self.filter(organisation=organisation)

    def visible_to(self, organisation):
        """What one organisation plans from: the published sources and its own."""
        return self.filter(models.Q(organisation__isnull=True) | models.Q(organisation=organisation))


class Source(models.Model):
    """One body of evidence (a review's table, a framework, a service's own survey): how to cite it, where
    it comes from, its version and licence, the caveat shown with it, and its own headings and themes."""

    slug = models.SlugField(max_length=100, help_text="Stable identity across releases, e.g. cooper-2024-table-6.")
    name = models.CharField(max_length=200, help_text="Short name shown in lists, e.g. “Cooper et al. 2024, Table 6”.")
    version = models.PositiveIntegerField(default=1, help_text="Release version; a release must be newer.")
    title = models.CharField(max_length=500)
    authors = models.TextField(blank=True)
    journal = models.CharField(max_length=200, blank=True, help_text="Or publisher.")
    year = models.PositiveIntegerField()
    volume = models.CharField(max_length=20, blank=True)
    article = models.CharField(max_length=20, blank=True)
    doi = models.CharField("DOI", max_length=200, blank=True)
    url = models.URLField("web address", max_length=500, blank=True)
    table = models.CharField(max_length=300, blank=True, help_text="The table the themes are taken from.")
    licence = models.CharField(max_length=200, blank=True)
    provenance = models.TextField(blank=True, help_text="How the evidence was taken from the publication.")
    heading = models.CharField(
        max_length=60, default="Category", help_text="What the source calls its groups of themes (e.g. CFIR domain)."
    )
    caveat = models.TextField(
        blank=True,
        help_text="Shown wherever evidence is presented, e.g. the quality of the included reviews.",
    )
    footnotes = models.JSONField(default=list, help_text='A list of {"mark": ..., "text": ...} as published.')
    references_are_reviews = models.BooleanField(
        "its references are reviews",
        default=False,
        help_text=(
            "Tick for a review of reviews (like Table 6), whose numbered references are each a review: planners "
            "then read “single review” for a finding that cites one. Leave it empty for a framework or a survey."
        ),
    )
    organisation = models.ForeignKey(
        "peerplan.Organisation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="evidence_sources",
        help_text="Set for an organisation's own evidence, seen only inside that organisation.",
    )
    history = HistoricalRecords()

    # An organisation's own source is its data; a published one (no organisation) is evidence. (Its headings,
    # themes and findings are evidence either way.)
    freshness = OrganisationData("organisation", unowned=EVIDENCE)

    objects = SourceQuerySet.as_manager()

    class Meta:
        verbose_name = "source"
        ordering = ["pk"]
        constraints = [
            # A published source and an organisation's own one are told apart by where they live, so an
            # organisation can import a partner's source under the partner's own identity.
            models.UniqueConstraint(
                fields=["slug"], condition=models.Q(organisation__isnull=True), name="one_published_source_per_slug"
            ),
            models.UniqueConstraint(fields=["organisation", "slug"], name="one_own_source_per_slug"),
        ]

    def __str__(self):
        return self.name or self.title

    @property
    def is_own(self):
        """An organisation's own evidence, never published."""
        return self.organisation_id is not None

    @property
    def doi_url(self):
        return f"https://doi.org/{self.doi}" if self.doi else ""

    def citation(self):
        if not self.journal or not self.authors:
            parts = [". ".join(p for p in [self.authors, self.title, self.journal, str(self.year)] if p)]
            text = "".join(parts) + "."
            return f"{text} {self.url}" if self.url else text
        first_author = self.authors.split(",")[0].strip()
        parts = [f"{first_author} et al. {self.title}. {self.journal}. {self.year}"]
        if self.volume:
            parts.append(f";{self.volume}")
            if self.article:
                parts.append(f":{self.article}")
        text = "".join(parts) + "."
        return f"{text} doi:{self.doi}" if self.doi else text

    def footnote(self, mark):
        return next((note["text"] for note in self.footnotes if note.get("mark") == mark), "")


class Reference(models.Model):
    """One numbered reference of a source (for Table 6, an included systematic review); citation curated later."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="references")
    number = models.PositiveIntegerField()
    citation = models.TextField(blank=True, help_text="Empty until a curator adds it.")
    history = HistoricalRecords()

    freshness = EVIDENCE

    class Meta:
        ordering = ["source", "number"]
        constraints = [models.UniqueConstraint(fields=["source", "number"], name="one_reference_number_per_source")]

    def __str__(self):
        return f"[{self.number}]"


class Category(models.Model):
    """One of a source's own headings, e.g. Table 6's "Confusion over the PSW role" or a CFIR domain."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="categories")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    position = models.PositiveIntegerField(help_text="Published order.")
    history = HistoricalRecords()

    freshness = EVIDENCE

    class Meta:
        ordering = ["source", "position"]
        verbose_name_plural = "categories"
        constraints = [models.UniqueConstraint(fields=["source", "name"], name="one_category_name_per_source")]

    def __str__(self):
        return self.name


class ThemeQuerySet(models.QuerySet):
    def in_published_order(self):
        return self.select_related("category__source").order_by("category__source", "category__position", "position")

    def current(self):
        """Themes with at least one finding in the current version of their source."""
        current = Finding.objects.filter(theme=models.OuterRef("pk"), retired_in_version__isnull=True)
        return self.filter(models.Exists(current))

    def challenges(self):
        """Themes with a current finding to mitigate (a challenge or a barrier)."""
        to_mitigate = Finding.objects.filter(
            theme=models.OuterRef("pk"), retired_in_version__isnull=True, valence__in=TO_MITIGATE
        )
        return self.filter(models.Exists(to_mitigate))

    def published(self):
        """Themes of the published sources, never an organisation's own."""
        return self.filter(category__source__organisation__isnull=True)

    def visible_to(self, organisation):
        """What one organisation may see: the published sources' themes and its own, never another
        organisation's own."""
        return self.filter(
            models.Q(category__source__organisation__isnull=True)
            | models.Q(category__source__organisation=organisation)
        )

    def with_evidence(self):
        """Themes with their findings, perspectives and references: four queries however many there are."""
        return self.in_published_order().prefetch_related(
            models.Prefetch(
                "findings",
                queryset=Finding.objects.current().order_by("position").prefetch_related("references"),
            ),
            models.Prefetch(
                "findings__perspectives",
                queryset=Perspective.objects.order_by("position").prefetch_related("references"),
            ),
        )


class Theme(models.Model):
    """A theme of Table 6, e.g. "Role ambiguity", with its findings."""

    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="themes")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    position = models.PositiveIntegerField(help_text="Published order within its category.")
    short_description = models.CharField(
        max_length=200,
        blank=True,
        help_text=(
            "A curator's one-line description for the evidence index, in plain words. Leave it empty to show the "
            "first words of the theme's first published summary instead."
        ),
    )
    related = models.ManyToManyField(
        "self",
        blank=True,
        help_text="Themes of other sources that speak to the same thing (shown beside checklist items).",
    )
    history = HistoricalRecords()

    freshness = EVIDENCE

    objects = ThemeQuerySet.as_manager()

    class Meta:
        # Local columns only (no join on every query); published order is in_published_order().
        ordering = ["category_id", "position"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("evidence:theme", args=[self.slug])

    @property
    def source(self):
        return self.category.source

    def related_elsewhere(self):
        """Current themes of other published sources that curators linked to this one, with their sources
        (one query)."""
        return self.related.published().current().exclude(category__source=self.category.source_id).in_published_order()

    def valences(self):
        """The valences this theme reports, in published order (uses prefetched findings)."""
        return [finding.valence for finding in self.findings.all()]

    @property
    def is_challenge(self):
        return Valence.CHALLENGE in self.valences()

    @property
    def is_benefit(self):
        return Valence.BENEFIT in self.valences()

    def stakeholder_groups(self):
        """Groups that spoke in this theme, including those named inside Mixed samples."""
        groups = []
        for finding in self.findings.all():
            for group in finding.stakeholder_groups():
                if group not in groups:
                    groups.append(group)
        return [g for g in StakeholderGroup.values if g in groups]

    def sample_groups(self):
        """(groups with samples of their own, groups named inside Mixed samples), in the table's group order.

        Kept apart because for a Mixed sample the group that stated the theme is unknown (footnote a).
        """
        own, in_mixed = set(), set()
        for finding in self.findings.all():
            for perspective in finding.perspectives.all():
                if perspective.is_mixed:
                    in_mixed.update(g for g in perspective.stakeholder_groups() if g != MIXED)
                else:
                    own.add(perspective.group)
        order = StakeholderGroup.values
        return [g for g in order if g in own], [g for g in order if g in in_mixed]

    def has_mixed(self):
        return any(p.is_mixed for finding in self.findings.all() for p in finding.perspectives.all())

    def cited_references(self):
        """Every reference this theme cites (findings' and perspectives'), by number (uses prefetches)."""
        references = {}
        for finding in self.findings.all():
            references.update((r.number, r) for r in finding.references.all())
            for perspective in finding.perspectives.all():
                references.update((r.number, r) for r in perspective.references.all())
        return [references[number] for number in sorted(references)]


class FindingQuerySet(models.QuerySet):
    def current(self):
        """Findings in the current version of their source (a release retires, never deletes, what it drops)."""
        return self.filter(retired_in_version__isnull=True)

    def plannable(self):
        """Findings of a kind a checklist plans for."""
        return self.filter(valence__in=list(PLANS_FOR))

    def in_published_order(self):
        return self.order_by("theme__category__source", "theme__category__position", "theme__position", "position")


class Finding(models.Model):
    """A benefit, challenge, facilitator or barrier reported under a theme, with the references its source
    gives for it."""

    theme = models.ForeignKey(Theme, on_delete=models.PROTECT, related_name="findings")
    valence = models.CharField("kind", max_length=12, choices=Valence.choices, blank=True)
    position = models.PositiveIntegerField(help_text="Published order within its theme.")
    added_in_version = models.PositiveIntegerField(
        null=True, blank=True, help_text="The source version that added it (empty: there from the first load)."
    )
    retired_in_version = models.PositiveIntegerField(
        null=True, blank=True, help_text="The source version that removed it; checklists keep their items."
    )
    # Kept as published: they can differ from the perspectives' references (see Role ambiguity).
    references = models.ManyToManyField(Reference, related_name="findings", blank=True)
    evidence_changed_at = models.DateTimeField(
        null=True, blank=True, help_text="When its published content last changed after it was first loaded."
    )
    history = HistoricalRecords(m2m_fields=[references])

    freshness = EVIDENCE

    objects = FindingQuerySet.as_manager()

    class Meta:
        # Local columns only (no joins on every query); published order is in_published_order().
        ordering = ["theme_id", "position"]

    def __str__(self):
        return self.name_of(self.theme.name, self.valence)

    @classmethod
    def name_of(cls, theme_name, valence):
        """What str() of a finding of this theme and kind is, "Workload: challenge" (for rows read as plain
        values, without the finding and its theme)."""
        if not valence:
            return f"{theme_name}: finding"
        kind = dict(cls._meta.get_field("valence").flatchoices).get(valence, valence)
        return f"{theme_name}: {str(kind).lower()}"

    @property
    def outcome_name(self):
        """A benefit as an outcome to choose: never the bare theme name, which is also the name of the theme's
        challenge ("Role ambiguity" offered as an outcome to realise)."""
        return f"The benefit reported under “{self.theme.name}”"

    @property
    def plans_for(self):
        """PlansFor.MITIGATE, PlansFor.REALISE, or None for a finding of no kind."""
        return PLANS_FOR.get(self.valence)

    @property
    def to_mitigate(self):
        return self.plans_for == PlansFor.MITIGATE

    @property
    def to_realise(self):
        return self.plans_for == PlansFor.REALISE

    @property
    def is_retired(self):
        return self.retired_in_version is not None

    @property
    def state(self):
        """Where the finding stands, in the words curators' lists and filters use."""
        return f"Retired in version {self.retired_in_version}" if self.is_retired else "Published"

    @property
    def source(self):
        return self.theme.category.source

    def reference_numbers(self):
        return [reference.number for reference in self.references.all()]

    def stakeholder_groups(self):
        groups = []
        for perspective in self.perspectives.all():
            for group in perspective.stakeholder_groups():
                if group not in groups:
                    groups.append(group)
        return groups

    def cited_reference_numbers(self):
        """Every distinct review this finding rests on: its own references and its perspectives'."""
        numbers = set(self.reference_numbers())
        for perspective in self.perspectives.all():
            numbers.update(perspective.reference_numbers())
        return sorted(numbers)

    def content(self):
        """What the finding publishes, as stored now (three queries): its kind, its references and each
        sample's group, stakeholders, references and text, in published order. Two equal contents read the
        same to a service, so a save that brings a finding back to an earlier content is a revert."""
        perspectives = Perspective.objects.filter(finding_id=self.pk).order_by("position", "pk")
        return {
            "kind": Finding.objects.filter(pk=self.pk).values_list("valence", flat=True).first() or "",
            "references": sorted(self.references.values_list("number", flat=True)),
            "samples": [
                {
                    "group": perspective.group,
                    "summary": perspective.summary,
                    "stakeholders": list(perspective.stakeholders or []),
                    "references": sorted(reference.number for reference in perspective.references.all()),
                }
                for perspective in perspectives.prefetch_related("references")
            ],
        }

    def published_version(self):
        """The version of its source this finding's text comes from: the current one, or for a retired finding
        the last version that still published it (versions need not be consecutive, so read from the history)."""
        source = self.theme.category.source
        if self.retired_in_version is None:
            return source.version
        earlier = (
            Source.history.filter(id=source.pk, version__lt=self.retired_in_version)
            .order_by("-version")
            .values_list("version", flat=True)
            .first()
        )
        return earlier or self.retired_in_version - 1


@dataclass(frozen=True)
class FindingFacts:
    """What planning needs to know of one finding: every reference it cites (its own and its perspectives'),
    the stakeholder groups that reported it (including those named in Mixed samples), and whether its
    source's references are reviews (only then is one reference "a single review")."""

    reference_numbers: tuple
    groups: frozenset
    of_reviews: bool = False

    @classmethod
    def for_all_findings(cls):
        findings = Finding.objects.select_related("theme__category__source").prefetch_related(
            "references", "perspectives__references"
        )
        return {
            finding.pk: cls(
                tuple(finding.cited_reference_numbers()),
                frozenset(finding.stakeholder_groups()),
                finding.theme.category.source.references_are_reviews,
            )
            for finding in findings
        }


class Perspective(models.Model):
    """What one stakeholder group ("sample") reported for a finding, with its text exactly as published."""

    finding = models.ForeignKey(Finding, on_delete=models.PROTECT, related_name="perspectives")
    group = models.CharField(max_length=40, choices=StakeholderGroup.choices)
    position = models.PositiveIntegerField(help_text="Published order within its finding.")
    summary = models.TextField(help_text="Exactly as published, quirks included.")
    stakeholders = models.JSONField(
        default=list,
        blank=True,
        help_text="For Mixed samples: the stakeholders named in brackets at the end of the summary.",
    )
    references = models.ManyToManyField(Reference, related_name="perspectives", blank=True)
    history = HistoricalRecords(m2m_fields=[references])

    freshness = EVIDENCE

    class Meta:
        # Local columns only: a default ordering across relations would add joins to every query. Within a
        # finding this is the published order; pages that list across findings order explicitly.
        ordering = ["finding_id", "position"]

    def __str__(self):
        return f"{self.finding}: {self.group}"

    @property
    def is_mixed(self):
        return self.group == MIXED

    @property
    def source(self):
        return self.finding.source

    def reference_numbers(self):
        return [reference.number for reference in self.references.all()]

    def stakeholder_groups(self):
        """The groups this perspective speaks for: its own, and for Mixed also those named inside it."""
        groups = [self.group]
        for name in self.stakeholders:
            group = stakeholder_group(name)
            if group and group not in groups:
                groups.append(group)
        return groups


class Release(models.Model):
    """An evidence release a curator uploaded: previewed first, applied only when a curator says so."""

    file_name = models.CharField(max_length=200)
    data = models.JSONField(help_text="The release as uploaded.")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    change_note = models.TextField(
        blank=True,
        help_text="What the release changes and why it matters to a service, in plain words; planners read it "
        "on each finding it changes as a major change.",
    )

    # Shown only in the admin (never cached) until applied; applying it writes the evidence, which
    # replaces the evidence generation.
    freshness = NOT_SHOWN

    def __str__(self):
        return f"{self.file_name} ({self.uploaded_at:%Y-%m-%d %H:%M})"


class FindingChange(models.Model):
    """A major change to a finding's published content, as a curator or a release made it: when, by whom,
    the change note (what changed and why it matters to a service) and the finding as it read before and
    after. Checklists using the finding are asked to look again and read this on the flag; a minor change
    (a typo, formatting) makes none. A later save that brings the finding back to `before` reverts it."""

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="changes")
    made_at = models.DateTimeField()
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    release = models.ForeignKey(
        Release, on_delete=models.SET_NULL, null=True, blank=True, related_name="finding_changes"
    )
    note = models.TextField(blank=True, help_text="What changed and why it matters to a service, in plain words.")
    before = models.JSONField(help_text="The finding's content before the change (Finding.content()).")
    after = models.JSONField(help_text="The finding's content after the change.")
    # The finding's evidence_changed_at before this change: a revert puts it back, so the checklists this
    # change flagged (and no earlier one) are no longer asked to look again.
    flagged_before = models.DateTimeField(null=True, blank=True)
    reverted_at = models.DateTimeField(null=True, blank=True)

    # Read on the planners' item pages beside the evidence, so a write replaces the evidence generation.
    freshness = EVIDENCE

    class Meta:
        ordering = ["finding_id", "made_at", "pk"]

    def __str__(self):
        return f"{self.finding_id}: major change of {self.made_at:%Y-%m-%d %H:%M}"

    def samples_changed(self):
        """Each sample whose text or group changed, as the release preview shows one (SampleText with a
        word-level diff), numbered by position; unchanged samples are left out."""
        before, after = self.before.get("samples", []), self.after.get("samples", [])
        shown = changed_texts(
            "",
            [(sample["group"], sample["summary"]) for sample in before],
            [(sample["group"], sample["summary"]) for sample in after],
            [],
            [],
        ).samples
        return [sample for sample in shown if any(kind != "same" for kind, _ in sample.diff) or "→" in sample.group]

    @property
    def references_before(self):
        return self.before.get("references", [])

    @property
    def references_after(self):
        return self.after.get("references", [])

    @property
    def references_changed(self):
        return self.references_before != self.references_after

    @property
    def kind_changed(self):
        return self.before.get("kind") != self.after.get("kind")

    @property
    def kind_before(self):
        return Valence(self.before.get("kind") or "").label

    @property
    def kind_after(self):
        return Valence(self.after.get("kind") or "").label

    def sample_details(self):
        """Each change to a sample's references or named stakeholders, in words ("Sample 2's references: 3 → 3, 5")."""
        before, after = self.before.get("samples", []), self.after.get("samples", [])
        lines = []
        for number, (old, new) in enumerate(zip(before, after, strict=False), start=1):
            for part, words in (("references", "references"), ("stakeholders", "named stakeholders")):
                was, now = old.get(part, []), new.get(part, [])
                if was != now:
                    shown = [", ".join(str(value) for value in values) or "none" for values in (was, now)]
                    lines.append(f"Sample {number}'s {words}: {shown[0]} → {shown[1]}")
        return lines


# Marked on every page that shows a statement of the published bank: PeerPlan wrote them, nobody validated them.
PEERPLAN_WORDING = "PeerPlan's wording, not a validated measure"
OWN_WORDING = "Your service's own wording, not a validated measure"


class StatementQuerySet(models.QuerySet):
    def current(self):
        """Statements a new check-in round asks (a retired one stays in the rounds that asked it)."""
        return self.filter(retired=False)

    def published(self):
        """The bank every service can use: not an organisation's own."""
        return self.filter(organisation__isnull=True)

    def visible_to(self, organisation):
        """What one organisation's check-ins ask: the published bank and its own statements, never another
        organisation's own (the same scope as its evidence sources)."""
        return self.filter(models.Q(organisation__isnull=True) | models.Q(organisation=organisation))


class Statement(models.Model):
    """A short statement a PSW agrees or disagrees with in a check-in, about one theme of the evidence (for
    Role ambiguity, "I know what is and is not part of my role"). The published bank is PeerPlan's own
    wording, curated in the admin; a service can keep its own, seen only inside it like its own evidence."""

    theme = models.ForeignKey(Theme, on_delete=models.PROTECT, related_name="statements")
    text = models.CharField(max_length=200, help_text="In the first person, agreeable or not on a five-point scale.")
    position = models.PositiveIntegerField(default=1, help_text="Order within its theme.")
    organisation = models.ForeignKey(
        "peerplan.Organisation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="check_in_statements",
        help_text="Set for an organisation's own statement, seen only inside that organisation.",
    )
    retired = models.BooleanField(
        default=False, help_text="Tick to stop asking it in new rounds; rounds that asked it keep their figures."
    )
    history = HistoricalRecords()

    # A service's own statement is its data; one of the published bank is evidence.
    freshness = OrganisationData("organisation", unowned=EVIDENCE)

    objects = StatementQuerySet.as_manager()

    class Meta:
        ordering = ["theme_id", "position", "pk"]

    def __str__(self):
        return self.text

    @property
    def is_own(self):
        return self.organisation_id is not None

    @property
    def wording_note(self):
        """What every page showing the statement says of its wording."""
        return OWN_WORDING if self.is_own else PEERPLAN_WORDING
