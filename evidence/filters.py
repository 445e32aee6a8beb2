"""Filters for the evidence index: valence, stakeholder group, reference number and free text.

They run in Python over the prefetched evidence tree (20 themes, a few dozen perspectives), so a
filtered page costs the same queries as an unfiltered one. The values are cleaned by
evidence.forms.EvidenceFilterForm: invalid ones are reported and ignored; they never reach the database.
"""

from dataclasses import dataclass, field

VALENCE_CHOICES = [("benefit", "Benefit"), ("challenge", "Challenge"), ("none", "None given")]
MAX_SEARCH = 200
MAX_REF_DIGITS = 9


@dataclass
class FindingMatch:
    finding: object
    perspectives: list


@dataclass
class ThemeMatch:
    theme: object
    findings: list


@dataclass
class CategoryMatch:
    category: object
    themes: list = field(default_factory=list)


@dataclass
class EvidenceFilter:
    """What a reader asked for, cleaned by EvidenceFilterForm. `raw` keeps what they typed, to show it back."""

    q: str = ""
    valence: str = ""
    group: str = ""
    ref: int | None = None
    raw: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)

    @property
    def is_active(self):
        return bool(self.q or self.valence or self.group or self.ref is not None)

    def cache_parts(self):
        """Everything the rendered page depends on: the cleaned values and what was typed."""
        return tuple(sorted(self.raw.items()))

    def _finding_matches(self, finding):
        if not self.valence:
            return True
        wanted = "" if self.valence == "none" else self.valence
        return finding.valence == wanted

    def _perspective_matches(self, perspective, finding_cites_ref):
        if self.group and self.group not in perspective.stakeholder_groups():
            return False
        # A finding's own references can differ from its samples' (Role ambiguity): a reference the
        # finding cites matches all of its perspectives.
        if self.ref is not None and not finding_cites_ref and self.ref not in perspective.reference_numbers():
            return False
        if self.q:
            summary = perspective.summary.casefold()
            if not all(word in summary for word in self.q.casefold().split()):
                return False
        return True

    def match(self, themes):
        """Categories in published order, each with its matching themes, findings and perspectives."""
        categories = {}
        for theme in themes:
            findings = []
            for finding in theme.findings.all():
                if not self._finding_matches(finding):
                    continue
                cites_ref = self.ref is not None and self.ref in finding.reference_numbers()
                perspectives = [p for p in finding.perspectives.all() if self._perspective_matches(p, cites_ref)]
                if perspectives:
                    findings.append(FindingMatch(finding, perspectives))
            if findings:
                match = categories.setdefault(theme.category_id, CategoryMatch(theme.category))
                match.themes.append(ThemeMatch(theme, findings))
        return list(categories.values())
