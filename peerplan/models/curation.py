"""What is curated for every organisation: implementation phases and the library of suggested actions."""

from django.db import models
from simple_history.models import HistoricalRecords

from evidence.models import Theme
from peerplan.lib.freshness import EVERY_ORGANISATION

# The group a site administrator adds curators to (evidence/migrations/0004_curators_group.py gives it its
# permissions).
CURATORS = "Curators"


def is_curator(user):
    """Whether a person curates the evidence: a member of the Curators group, or a site administrator."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or user.groups.filter(name=CURATORS).exists()


class ImplementationPhase(models.Model):
    """A phase of introducing PSWs (ImROC's practical guide: preparation, recruitment, employment,
    ongoing development); curators can rename or extend the list."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)

    freshness = EVERY_ORGANISATION  # curated for all: a change shows on every organisation's pages

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name


class Provenance(models.TextChoices):
    EVIDENCE = "evidence", "From the evidence (Cooper et al. 2024)"
    PUBLISHED = "published", "From another published source"
    CURATOR = "curator", "Curator's suggestion"


class SuggestedMitigation(models.Model):
    """A curated, reusable mitigation for one or more challenge themes, with its provenance stated
    honestly: never presented as evidence unless the evidence says it."""

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    rationale = models.TextField(blank=True)
    provenance = models.CharField(max_length=10, choices=Provenance.choices)
    source = models.TextField(help_text="Exactly where it comes from: table, group and references, or a citation.")
    quote = models.TextField(blank=True, help_text="Verbatim words of the source, when there are any.")
    themes = models.ManyToManyField(Theme, related_name="suggested_mitigations")
    phase = models.ForeignKey(ImplementationPhase, on_delete=models.SET_NULL, null=True, blank=True)
    is_published = models.BooleanField(default=True, help_text="Only published suggestions are offered to planners.")
    position = models.PositiveIntegerField(default=0)
    history = HistoricalRecords(m2m_fields=[themes])

    freshness = EVERY_ORGANISATION  # curated for all: a change shows on every organisation's pages

    class Meta:
        ordering = ["position", "title"]

    def __str__(self):
        return self.title
