"""Parse the Cooper et al. (2024) Table 6 seed into "peerplan-evidence/1".

The seed is a plain-text copy of a published web table.  The parser keeps
every piece of published wording exactly as it stands (curly quotes, odd
casing, missing full stops, reference mismatches) because the app must show
the evidence as published, not a tidied paraphrase.  Anything it does not
recognise raises SeedFormatError naming the line, so a changed seed fails
loudly instead of silently dropping evidence.

Pure standard library: no Django import, so it can be tested on its own.
"""

import re

FORMAT = "peerplan-evidence/1"
# Bibliographic details are not in the seed text (only the title is), so
# they are fixed here from the published article.
SOURCE = {
    "authors": "Cooper RE, Saunders KRK, Greenburgh A, Shah P, Appleton R, Machin K, "
    "Jeynes T, Barnett P, Allan SM, Griffiths J, Stuart R, Mitchell L, Chipp B, "
    "Jeffreys S, Lloyd-Evans B, Simpson A, Johnson S",
    "journal": "BMC Medicine",
    "year": 2024,
    "volume": "22",
    "article": "72",
    "doi": "10.1186/s12916-024-03260-y",
}
STAKEHOLDER_GROUPS = [
    "PSWs",
    "Service users",
    "Non-peer staff",
    "Peer support group members",
    "Mental health organisations",
    "Mixed",
]
HEADER_LABELS = {"Skip to main content", "Theme", "Benefit/ challenge, references", "Summary and sample"}

FINDING_RE = re.compile(r"^(?:(Benefit|Challenge) )?\[([\d, ]+)\]$")
# Group names are short capitalised words; the published "Mixeda" carries
# footnote mark "a" glued on, which is why a trailing "a" is tolerated below.
SAMPLE_RE = re.compile(r"^([A-Z][A-Za-z -]*) \[([\d, ]+)\]: (.*)$")
FOOTNOTE_RE = re.compile(r"^\s+\d+\.\s+(.*)$")
# Footnotes are either an abbreviation ("PSW Peer support worker") or a
# lower-case mark glued to the text ("aFor 'mixed' samples ...").
FOOTNOTE_BODY_RE = re.compile(r"^(?:([A-Z]{2,}s?) (.+)|([a-z])([A-Z‘'].*))$")


class SeedFormatError(ValueError):
    """The seed does not have the structure this parser knows."""


def _fail(lineno, problem):
    raise SeedFormatError(f"line {lineno}: {problem}")


def _refs(text):
    return [int(n) for n in text.split(",")]


def _is_theme(line):
    # Theme rows are indented (the published seed uses an EM SPACE, U+2003);
    # footnotes are indented too but are numbered, so exclude them.
    return bool(line) and line[0].isspace() and bool(line.strip()) and not FOOTNOTE_RE.match(line)


def _trailing_stakeholders(summary):
    """Split the final "(a, b, c)" of a Mixed summary into stakeholder names.

    Walks back from the closing bracket counting depth, because one entry
    itself contains brackets: "unspecified (in one study)".
    """
    body = summary.rstrip().rstrip(".").rstrip()
    if not body.endswith(")"):
        return []
    depth = 0
    for i in range(len(body) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(body[i], 0)
        if depth == 0:
            break
    else:
        return []
    names, depth, current = [], 0, ""
    for ch in body[i + 1 : -1]:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        current += ch
        if depth == 0 and current.endswith(", "):
            names.append(current[:-2].strip())
            current = ""
    return names + [current.strip()]


def stakeholder_group(name):
    """Map a stakeholder named inside a Mixed sample to a group, else None.

    Published lists mix "PSW"/"PSWs" and capitalisation, so matching is
    case-insensitive; carers, policy makers etc. have no group of their own.
    """
    key = name.strip().lower()
    if key == "psw":
        return "PSWs"
    return next((g for g in STAKEHOLDER_GROUPS[:-1] if g.lower() == key), None)


def _looks_like_title(line):
    return len(line.split()) <= 8 and "." not in line and not line.endswith((")", ":", ";"))


def _next_content(lines, start):
    return next((line for line in lines[start:] if line.strip()), "")


def parse_table6(text):
    """Parse the seed text; see the module docstring for the rules."""
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").split("\n")
    table = title = None
    categories, footnotes, refs = [], [], set()
    theme = finding = sample = None
    for no, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if footnotes or FOOTNOTE_RE.match(line):
            body = FOOTNOTE_RE.match(line)
            parts = FOOTNOTE_BODY_RE.match(body.group(1)) if body else None
            if not parts:
                _fail(no, f"expected a numbered footnote, got {line!r}")
            abbr, text1, mark, text2 = parts.groups()
            footnotes.append({"mark": abbr or mark, "text": text1 or text2})
            continue
        # Header phase: until both the "Table ..." and "From: ..." lines are
        # seen, plus the column labels that follow them.
        if table is None or title is None or (not categories and line in HEADER_LABELS):
            if line in HEADER_LABELS:
                pass
            elif re.match(r"^Table\s+\d+\s", line) and table is None:
                table = " ".join(line.split())  # seed has a no-break space after "Table"
            elif line.startswith("From: ") and title is None:
                title = line[len("From: ") :].strip()
            else:
                _fail(no, f"unexpected header line {line!r}")
            continue
        if _is_theme(line):
            if not categories:
                _fail(no, "theme before any category")
            theme = {"name": line.strip(), "findings": []}
            categories[-1]["themes"].append(theme)
            finding = sample = None
        elif m := FINDING_RE.match(line):
            if theme is None:
                _fail(no, "finding before any theme")
            finding = {
                "valence": m.group(1) and m.group(1).lower(),
                "references": _refs(m.group(2)),
                "samples": [],
            }
            theme["findings"].append(finding)
            refs.update(finding["references"])
            sample = None
        elif m := SAMPLE_RE.match(line):
            group = m.group(1)
            if group not in STAKEHOLDER_GROUPS and group[:-1] in STAKEHOLDER_GROUPS and group.endswith("a"):
                group = group[:-1]  # footnote mark "a" ("Mixeda")
            if group not in STAKEHOLDER_GROUPS:
                _fail(no, f"unknown sample group {m.group(1)!r}")
            if finding is None:
                _fail(no, "sample before any finding" if theme else "sample before any theme")
            sample = {
                "group": group,
                "references": _refs(m.group(2)),
                "summary": m.group(3),
                "stakeholders": [],
            }
            finding["samples"].append(sample)
            refs.update(sample["references"])
        elif line[0].isspace():
            _fail(no, f"unexpected indented line {line!r}")
        elif _looks_like_title(line) and _is_theme(_next_content(lines, no)):
            # Both a category and a sample's extra paragraph can precede a
            # theme row (the last "Colleagues and stigma" paragraph does), so
            # a category must also look like a short title, not prose.
            categories.append({"name": line, "themes": []})
            theme = finding = sample = None
        elif sample is not None:
            sample["summary"] += "\n\n" + line
        else:
            _fail(no, f"unrecognised line {line!r}")
    if table is None or title is None:
        _fail(len(lines), "missing 'Table ...' or 'From: ...' header line")
    for category in categories:
        for theme in category["themes"]:
            if not theme["findings"] or not all(f["samples"] for f in theme["findings"]):
                _fail(len(lines), f"theme {theme['name']!r} lacks findings or samples")
            for sample in (s for f in theme["findings"] for s in f["samples"]):
                if sample["group"] == "Mixed":
                    sample["stakeholders"] = _trailing_stakeholders(sample["summary"])
    return {
        "format": FORMAT,
        "source": {"title": title, **SOURCE, "table": table, "caveat": "", "footnotes": footnotes},
        "references": [{"number": n, "citation": ""} for n in sorted(refs)],
        "categories": categories,
    }
