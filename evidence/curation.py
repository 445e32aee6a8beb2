"""Rules for curators' edits: which fields are the published content of a finding or perspective, and
marking a finding whose published content changed (checklists flag it for review, issue 8)."""

from django.utils import timezone

from evidence.models import Finding

FINDING_CONTENT = {"valence", "references"}
PERSPECTIVE_CONTENT = {"finding", "group", "summary", "stakeholders", "references"}


def changes_content(form, fields):
    """Whether this admin form changes published content of an object that already existed.

    Compares concrete fields with the stored row too, so a revert from the history page (whose form
    starts from the old version) counts as a change.
    """
    obj = form.instance
    if obj.pk is None or obj._state.adding:
        return False
    if fields & set(form.changed_data):
        return True
    concrete = [name for name in fields if name != "references"]
    stored = type(obj).objects.filter(pk=obj.pk).values(*[_attname(obj, name) for name in concrete]).first()
    return stored is not None and any(
        stored[_attname(obj, name)] != getattr(obj, _attname(obj, name)) for name in concrete
    )


def _attname(obj, name):
    return obj._meta.get_field(name).attname


def mark_findings_changed(finding_ids, now=None):
    """Record that these findings' published content changed (saved one by one so history shows who)."""
    now = now or timezone.now()
    for finding in Finding.objects.filter(pk__in=set(finding_ids)):
        finding.evidence_changed_at = now
        finding.save(update_fields=["evidence_changed_at"])
