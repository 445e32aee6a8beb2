"""Put back what the data migrations loaded, for tests that start from a flushed database (live server,
concurrency): the published evidence, the phases and suggested mitigations, the Curators group."""

import importlib
import json
from pathlib import Path

from django.apps import apps
from django.core.cache import cache

from evidence.interchange import import_evidence
from evidence.models import Theme

TABLE6 = Path(__file__).resolve().parents[1] / "evidence" / "fixtures" / "table6.json"


def ensure_reference_data():
    # The cache table is not flushed with the others: drop pages cached from another test's data.
    cache.clear()
    if Theme.objects.exists():
        return
    import_evidence(json.loads(TABLE6.read_text(encoding="utf-8")))
    importlib.import_module("peerplan.migrations.0002_load_phases_and_suggested_mitigations").load(apps, None)
    importlib.import_module("peerplan.migrations.0014_suggested_actions_provenance_and_drafts").link_sources(apps, None)
    importlib.import_module("evidence.migrations.0004_curators_group").create_curators(apps, _Editor)
    statements = importlib.import_module("evidence.migrations.0013_statements")
    statements.load_starter_statements(apps, None)
    statements.let_curators_curate_statements(apps, _Editor)


class _Editor:
    class connection:  # noqa: N801 - stands in for a schema editor's connection
        alias = "default"
