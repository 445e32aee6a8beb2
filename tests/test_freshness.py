"""The cache contract (peerplan/lib/freshness.py): every model of PeerPlan's apps declares what a write to it
changes on the cached pages, and an organisation's data names a path that leads to its organisation.
tests/test_page_cache.py walks the write paths and checks the pages do change."""

import pytest
from django.apps import apps
from django.db import models
from django.test.utils import isolate_apps

from evidence import cache as evidence_cache
from evidence.models import Reference, Theme
from peerplan.lib import freshness
from peerplan.lib.freshness import OrganisationData
from peerplan.models import Item, Mitigation, Organisation, SuggestedMitigation
from tests.worlds import committed


def test_every_model_of_peerplans_apps_declares_what_its_writes_change():
    assert freshness.undeclared() == [], "give each a `freshness` (peerplan/lib/freshness.py says which)"


def test_a_model_that_declares_nothing_is_found():
    with isolate_apps("peerplan") as registry:

        class Undeclared(models.Model):  # noqa: DJ008 (a test's model, never shown)
            organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)

            class Meta:
                app_label = "peerplan"

        class Declared(models.Model):  # noqa: DJ008
            organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
            freshness = OrganisationData("organisation")

            class Meta:
                app_label = "peerplan"

        # A field named `organisation` is not a declaration: nothing is inferred from names.
        assert freshness.undeclared(registry.get_models()) == [Undeclared]


def _end_of(model, path):
    """The model a lookup path ends at."""
    if path == "pk":
        return model
    for name in path.split("__"):
        model = model._meta.get_field(name).related_model
    return model


def test_every_path_to_an_organisation_leads_to_one():
    declared = {model: freshness.declared(model) for model in apps.get_models(include_auto_created=True)}
    paths = {model: d.path for model, d in declared.items() if isinstance(d, OrganisationData)}
    assert paths  # the walk looks at something
    for model, path in paths.items():
        assert _end_of(model, path) is Organisation, f"{model._meta.label}: {path}"
        str(model._base_manager.values_list(path, flat=True).query)  # a lookup the database can run


def test_history_and_links_between_rows_are_covered_by_the_rows_they_belong_to():
    assert freshness.declared(Item.history.model) is freshness.NOT_SHOWN
    # A link is written through its field, whose m2m_changed names the rows on either side.
    assert freshness.declared(Mitigation.items.through) is freshness.NOT_SHOWN
    assert freshness.declared(SuggestedMitigation.themes.through) is freshness.NOT_SHOWN


@pytest.mark.django_db
def test_every_write_to_the_evidence_replaces_its_generation_when_it_commits():
    """No writer calls anything: a curator's edit, an import or an organisation's own evidence is a write
    to a model that declares EVIDENCE, and that is what replaces the generation."""
    theme = Theme.objects.get(name="Role ambiguity")
    finding = theme.findings.first()
    reference = Reference.objects.filter(findings=finding).first()
    writes = [
        lambda: Theme.objects.filter(pk=theme.pk).get().save(),
        lambda: finding.perspectives.first().save(),
        lambda: finding.references.remove(reference),
        lambda: finding.perspectives.first().delete(),
    ]
    for write in writes:
        committed()
        before = evidence_cache.generation()
        write()
        # Until it commits, others keep the pages they have; this connection reads its own token.
        assert evidence_cache.generation() == before
        assert evidence_cache.pending_token() != ""
        committed()
        assert evidence_cache.generation() != before
        assert evidence_cache.pending_token() == ""
