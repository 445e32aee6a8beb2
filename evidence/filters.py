"""Filters for the evidence index: valence, stakeholder group, reference number and free text.

They run in Python over the prefetched evidence tree (20 themes, a few dozen perspectives), so a
filtered page costs the same queries as an unfiltered one. Invalid values are reported and ignored;
they never reach the database.
"""

from dataclasses import dataclass, field

from evidence.models import StakeholderGroup

VALENCE_CHOICES = [
    ("benefit", "Benefit"),
    ("challenge", "Challenge"),
    ("facilitator", "Facilitator"),
    ("barrier", "Barrier"),
    ("none", "None given"),
]
PARAMS = ("q", "valence", "group", "ref", "source")
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
    """What a reader asked for, cleaned. `raw` keeps what they typed, to show it back."""

    q: str = ""
    valence: str = ""
    group: str = ""
    ref: int | None = None
    source: str = ""
    raw: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)

    @classmethod
    def from_query(cls, params):
        raw = {name: params.get(name, "").strip() for name in PARAMS}
        self = cls(raw=raw)
        if len(raw["q"]) > MAX_SEARCH:
            self.errors["q"] = f"Search text can be at most {MAX_SEARCH} characters; this search was not applied."
        else:
            self.q = raw["q"]
        if raw["valence"]:
            if raw["valence"] in dict(VALENCE_CHOICES):
                self.valence = raw["valence"]
            else:
                self.errors["valence"] = (
                    f"“{raw['valence']}” is not a kind of finding: choose benefit, challenge, facilitator, "
                    "barrier or none given. This filter was not applied."
                )
        if raw["group"]:
            if raw["group"] in StakeholderGroup.values:
                self.group = raw["group"]
            else:
                self.errors["group"] = (
                    f"“{raw['group']}” is not a stakeholder group in the evidence "
                    f"({', '.join(StakeholderGroup.values)}). This filter was not applied."
                )
        if raw["ref"]:
            # The length first: int() refuses a string of more than 4,300 digits with an error.
            digits = raw["ref"].isascii() and raw["ref"].isdigit() and len(raw["ref"]) <= MAX_REF_DIGITS
            if digits and int(raw["ref"]) > 0:
                self.ref = int(raw["ref"])
            else:
                self.errors["ref"] = (
                    f"“{raw['ref']}” is not a reference number: use a whole number such as 23. "
                    "This filter was not applied."
                )
        return self

    def check_source(self, sources):
        """The source filter names one of the published sources (known only once they are loaded)."""
        wanted = self.raw.get("source", "")
        if not wanted:
            return
        if any(source.slug == wanted for source in sources):
            self.source = wanted
        else:
            self.errors["source"] = (
                f"“{wanted}” is not one of the sources ({', '.join(s.name for s in sources)}). "
                "This filter was not applied."
            )

    @property
    def is_active(self):
        return bool(self.q or self.valence or self.group or self.ref is not None or self.source)

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
            if self.source and theme.category.source.slug != self.source:
                continue
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
