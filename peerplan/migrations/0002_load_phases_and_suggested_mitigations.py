"""The four implementation phases (ImROC Briefing 7, Repper et al. 2013) and the starter library of
suggested mitigations (peerplan/fixtures/suggested_mitigations.json), each labelled with its provenance.
(The "Curators" group that curates both is made by evidence's 0004_curators_group.)
"""

import json
from pathlib import Path

from django.db import migrations

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "suggested_mitigations.json"

PHASES = [
    ("Preparation", "Getting the organisation and the receiving teams ready before any peer support worker starts: "
     "purpose, funding, policies, supervision and the team's understanding of the role."),
    ("Recruitment", "Writing the role and person specification with people with lived experience, advertising, "
     "selecting and appointing peer support workers."),
    ("Employment", "Induction, training, supervision and day-to-day support once peer support workers are in post."),
    ("Ongoing development", "Keeping the role healthy over time: peer networks, career pathways, a collective "
     "voice and learning from feedback."),
]


def load(apps, schema_editor):
    ImplementationPhase = apps.get_model("peerplan", "ImplementationPhase")
    SuggestedMitigation = apps.get_model("peerplan", "SuggestedMitigation")
    Theme = apps.get_model("evidence", "Theme")

    phases = {}
    for position, (name, description) in enumerate(PHASES, start=1):
        phase, _ = ImplementationPhase.objects.get_or_create(
            name=name, defaults={"description": description, "position": position}
        )
        phases[name.lower()] = phase

    if SuggestedMitigation.objects.exists():
        return
    themes = {theme.name: theme for theme in Theme.objects.all()}
    entries = json.loads(FIXTURE.read_text(encoding="utf-8"))
    # The free text was renamed "source_note" by 0013 (a source is now picked from a list);
    # tests/reference_data.py runs this again against today's models.
    fields = {field.name for field in SuggestedMitigation._meta.get_fields()}
    text_field = "source_note" if "source_note" in fields else "source"
    for position, entry in enumerate(entries, start=1):
        missing = [name for name in entry["themes"] if name not in themes]
        if missing:
            raise ValueError(f"Suggested mitigation {entry['title']!r} names unknown themes: {missing}")
        phase_name = (entry.get("phase") or "").strip().lower()
        if phase_name and phase_name not in phases:
            raise ValueError(f"Suggested mitigation {entry['title']!r} names an unknown phase: {entry['phase']!r}")
        suggestion = SuggestedMitigation.objects.create(
            title=entry["title"],
            description=entry.get("description", ""),
            rationale=entry.get("rationale", ""),
            provenance=entry["provenance"],
            **{text_field: entry["source"]},
            quote=entry.get("quote", ""),
            phase=phases.get(phase_name),
            position=position,
            # Published when loaded: the starter library was reviewed before drafts existed.
            **({"is_published": True} if "published_at" in fields else {}),
        )
        suggestion.themes.set([themes[name] for name in entry["themes"]])


class Migration(migrations.Migration):
    dependencies = [
        ("peerplan", "0001_initial"),
        ("evidence", "0002_load_table6"),
    ]

    operations = [
        migrations.RunPython(load, migrations.RunPython.noop),
    ]
