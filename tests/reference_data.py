"""Reload what the data migrations put in the database, for tests that flush it."""

import json
from pathlib import Path

from evidence.interchange import import_evidence
from evidence.models import Theme

TABLE6 = Path(__file__).resolve().parents[1] / "evidence" / "fixtures" / "table6.json"


def ensure_reference_data():
    if not Theme.objects.exists():
        import_evidence(json.loads(TABLE6.read_text(encoding="utf-8")))
