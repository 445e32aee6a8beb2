"""What is curated for every organisation: implementation phases and the library of suggested actions."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from evidence.models import Reference, Source, Theme
from peerplan.lib.freshness import EVERY_ORGANISATION
from peerplan.lib.prepared import PreparedQuery
from peerplan.models.organisations import display_name

# The group a site administrator adds curators to (evidence/migrations/0004_curators_group.py gives it its
# permissions).
CURATORS = "Curators"


# Asked on every start page and curator's page: compiled once per process (peerplan/lib/prepared.py).
_IN_CURATORS = PreparedQuery(lambda user: Group.objects.filter(user=user, name=CURATORS).values_list("pk")[:1])


def is_curator(user):
    """Whether a person curates the evidence: a member of the Curators group, or a site administrator."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or bool(_IN_CURATORS(user=user.pk))


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
    # The citation is built from the source picked (SuggestedMitigation.citation), never written in a label.
    EVIDENCE = "evidence", "From the evidence"
    PUBLISHED = "published", "From another published source"
    CURATOR = "curator", "Curator's suggestion"


class SuggestedMitigationQuerySet(models.QuerySet):
    def published(self):
        """What planners are offered: only what a curator has published."""
        return self.filter(is_published=True)

    def drafts(self):
        """Written but not yet published: waiting for a curator's review."""
        return self.filter(is_published=False)

    def for_planners(self):
        """The published ones with what their citation is built from (two queries however many there are)."""
        return self.published().select_related("source", "phase").prefetch_related("references")


class SuggestedMitigation(models.Model):
    """A curated, reusable suggested action for one or more challenge themes, with its provenance stated
    honestly: never presented as evidence unless the evidence says it. Planners see it once published."""

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    rationale = models.TextField(blank=True)
    provenance = models.CharField(max_length=10, choices=Provenance.choices)
    source = models.ForeignKey(
        Source,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="suggested_mitigations",
        limit_choices_to={"organisation__isnull": True},
        help_text="The published source it comes from or draws on. Required for “From the evidence”.",
    )
    references = models.ManyToManyField(
        Reference,
        blank=True,
        related_name="suggested_mitigations",
        help_text="The source's references it rests on; only references of the source picked above.",
    )
    source_note = models.TextField(
        "note on the source",
        blank=True,
        help_text="Anything the lists above cannot hold: the table, the group, or another publication it draws "
        "on. Curators see it; for a curator's suggestion or another published source, planners read it as "
        "what it is based on.",
    )
    quote = models.TextField(
        blank=True, help_text="The source's own words, verbatim. Required for “From the evidence”."
    )
    themes = models.ManyToManyField(Theme, related_name="suggested_mitigations")
    phase = models.ForeignKey(ImplementationPhase, on_delete=models.SET_NULL, null=True, blank=True)
    is_published = models.BooleanField(
        default=False,
        help_text="Only published suggested actions are offered to planners. A new one is a draft until a "
        "curator publishes it.",
    )
    position = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    history = HistoricalRecords(m2m_fields=[themes, references])

    freshness = EVERY_ORGANISATION  # curated for all: a change shows on every organisation's pages

    objects = SuggestedMitigationQuerySet.as_manager()

    class Meta:
        ordering = ["position", "title"]
        verbose_name = "suggested action"
        verbose_name_plural = "suggested actions"

    def __str__(self):
        return self.title

    def provenance_problems(self, references=()):
        """What stops this provenance from being honest, in plain words, by field; `references` are the ones
        picked (a form checks them before they are saved)."""
        problems = {}
        if self.provenance == Provenance.EVIDENCE:
            if not self.quote.strip():
                problems["quote"] = "“From the evidence” needs a quote: the source's own words, copied exactly."
            if self.source_id is None:
                problems["source"] = "“From the evidence” needs the source it comes from: pick it from the list."
        if self.provenance == Provenance.PUBLISHED and self.source_id is None and not self.source_note.strip():
            problems["source_note"] = (
                "“From another published source” needs that source: pick it from the list, or give its citation "
                "in the note."
            )
        if self.source_id is not None and self.source.organisation_id is not None:
            problems["source"] = "Pick a published source: an organisation's own evidence is not offered to all."
        strays = sorted(str(r) for r in references if r.source_id != self.source_id)
        if strays:
            problems["references"] = (
                f"{', '.join(strays)} {'is' if len(strays) == 1 else 'are'} not "
                f"{'a reference' if len(strays) == 1 else 'references'} of the source picked"
                + (f" ({self.source.name})" if self.source_id else "")
                + ": pick only that source's references."
            )
        return problems

    @property
    def is_ours(self):
        """Our own wording (a curator's suggestion), to be marked as ours wherever planners read it."""
        return self.provenance == Provenance.CURATOR

    def citation(self):
        """Where it comes from, as planners read it: built from the source and references picked (“Cooper
        et al. 2024, Table 6 [23, 60, 64]”); for a suggestion that is not from the evidence, the curators' note
        of what it is based on comes first."""
        built = ""
        if self.source_id is not None:
            numbers = sorted(reference.number for reference in self.references.all())
            built = self.source.name + (f" [{', '.join(map(str, numbers))}]" if numbers else "")
        if self.provenance != Provenance.EVIDENCE and self.source_note:
            return self.source_note
        return built

    def state_in_words(self):
        """Whether planners are offered it, and who published it when, as curators read it."""
        if not self.is_published:
            return "Draft: not offered to planners until a curator publishes it."
        if self.published_by_id is None:
            return "Published (before drafts were reviewed, so who published it was not recorded)."
        when = timezone.localtime(self.published_at)
        return f"Published by {display_name(self.published_by)} on {when:%-d %B %Y, %H:%M}."

    def publish(self, *, by, confirmed_own=False, now=None):
        """Offer it to planners. A draft is reviewed by a second curator; its own author publishes it only
        having said so (`confirmed_own`). Returns False, changing nothing, when that confirmation is missing."""
        if self.created_by_id == by.pk and not confirmed_own:
            return False
        self.is_published = True
        self.published_by = by
        self.published_at = now or timezone.now()
        self.save(update_fields=["is_published", "published_by", "published_at"])
        return True

    def withdraw(self):
        """Back to a draft: no longer offered to planners (actions already adopted stay theirs)."""
        self.is_published = False
        self.published_by = None
        self.published_at = None
        self.save(update_fields=["is_published", "published_by", "published_at"])
