"""The published evidence: Table 6 of Cooper et al. (BMC Medicine, 2024), kept exactly as published.

Curators correct and extend it in the admin; checklists point at its themes and findings, so rows that a
checklist uses are protected from deletion.
"""

from dataclasses import dataclass

from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

# The stakeholders inside Mixed samples are published in the authors' words ("PSW", "service users");
# the parser knows which of them name a stakeholder group.
from evidence.parser import stakeholder_group

MIXED = "Mixed"


class Valence(models.TextChoices):
    BENEFIT = "benefit", "Benefit"
    CHALLENGE = "challenge", "Challenge"
    # "Offering treatment choice" is published with references but neither benefit nor challenge.
    NONE = "", "None given"


class StakeholderGroup(models.TextChoices):
    PSWS = "PSWs", "PSWs"
    SERVICE_USERS = "Service users", "Service users"
    NON_PEER_STAFF = "Non-peer staff", "Non-peer staff"
    GROUP_MEMBERS = "Peer support group members", "Peer support group members"
    ORGANISATIONS = "Mental health organisations", "Mental health organisations"
    MIXED = MIXED, "Mixed"


class Source(models.Model):
    """The publication the evidence comes from, with how to cite it and the curators' caveat."""

    title = models.CharField(max_length=500)
    authors = models.TextField()
    journal = models.CharField(max_length=200)
    year = models.PositiveIntegerField()
    volume = models.CharField(max_length=20, blank=True)
    article = models.CharField(max_length=20, blank=True)
    doi = models.CharField("DOI", max_length=200, blank=True)
    table = models.CharField(max_length=300, help_text="The table the themes are taken from.")
    caveat = models.TextField(
        blank=True,
        help_text="Shown wherever evidence is presented, e.g. the quality of the included reviews.",
    )
    footnotes = models.JSONField(default=list, help_text='A list of {"mark": ..., "text": ...} as published.')
    history = HistoricalRecords()

    class Meta:
        verbose_name = "source"

    def __str__(self):
        return f"{self.authors.split(',')[0]} et al., {self.journal} {self.year}"

    @property
    def doi_url(self):
        return f"https://doi.org/{self.doi}" if self.doi else ""

    def citation(self):
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
    """One numbered reference of the review (an included systematic review); citation curated later."""

    number = models.PositiveIntegerField(unique=True)
    citation = models.TextField(blank=True, help_text="Empty until a curator adds it.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["number"]

    def __str__(self):
        return f"[{self.number}]"


class Category(models.Model):
    """One of the review's overarching themes, e.g. "Confusion over the PSW role"."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True)
    position = models.PositiveIntegerField(help_text="Published order.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["position"]
        verbose_name_plural = "categories"

    def __str__(self):
        return self.name


class ThemeQuerySet(models.QuerySet):
    def in_published_order(self):
        return self.select_related("category").order_by("category__position", "position")

    def with_evidence(self):
        """Themes with their findings, perspectives and references: four queries however many there are."""
        return self.in_published_order().prefetch_related(
            models.Prefetch("findings", queryset=Finding.objects.order_by("position").prefetch_related("references")),
            models.Prefetch(
                "findings__perspectives",
                queryset=Perspective.objects.order_by("position").prefetch_related("references"),
            ),
        )


class Theme(models.Model):
    """A theme of Table 6, e.g. "Role ambiguity", with its findings."""

    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="themes")
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True)
    position = models.PositiveIntegerField(help_text="Published order within its category.")
    history = HistoricalRecords()

    objects = ThemeQuerySet.as_manager()

    class Meta:
        # Local columns only (no join on every query); published order is in_published_order().
        ordering = ["category_id", "position"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("evidence:theme", args=[self.slug])

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
    def in_published_order(self):
        return self.order_by("theme__category__position", "theme__position", "position")


class Finding(models.Model):
    """A benefit or challenge reported under a theme, with the references Table 6 gives for it."""

    theme = models.ForeignKey(Theme, on_delete=models.PROTECT, related_name="findings")
    valence = models.CharField(max_length=10, choices=Valence.choices, blank=True)
    position = models.PositiveIntegerField(help_text="Published order within its theme.")
    # Kept as published: they can differ from the perspectives' references (see Role ambiguity).
    references = models.ManyToManyField(Reference, related_name="findings", blank=True)
    evidence_changed_at = models.DateTimeField(
        null=True, blank=True, help_text="When its published content last changed after it was first loaded."
    )
    history = HistoricalRecords(m2m_fields=[references])

    objects = FindingQuerySet.as_manager()

    class Meta:
        # Local columns only (no joins on every query); published order is in_published_order().
        ordering = ["theme_id", "position"]

    def __str__(self):
        valence = self.get_valence_display().lower() if self.valence else "finding"
        return f"{self.theme.name}: {valence}"

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


@dataclass(frozen=True)
class FindingFacts:
    """What planning needs to know of one finding: every review it cites (its own references and its
    perspectives') and the stakeholder groups that reported it (including those named in Mixed samples)."""

    reference_numbers: tuple
    groups: frozenset

    @classmethod
    def for_all_findings(cls):
        findings = Finding.objects.prefetch_related("references", "perspectives__references")
        return {
            finding.pk: cls(tuple(finding.cited_reference_numbers()), frozenset(finding.stakeholder_groups()))
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

    class Meta:
        # Local columns only: a default ordering across relations would add joins to every query. Within a
        # finding this is the published order; pages that list across findings order explicitly.
        ordering = ["finding_id", "position"]

    def __str__(self):
        return f"{self.finding}: {self.group}"

    @property
    def is_mixed(self):
        return self.group == MIXED

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
