"""A place in a release file in the words a researcher uses ("Example framework › theme “Workload” ›
finding 2 (challenge) › sample 1 › group"), for refusals that also name the place as a path in the file
("sources[0].categories[2].themes[2].findings[1].samples[0].group"), which an editor can jump to."""

import re

KINDS = {"benefit", "challenge", "facilitator", "barrier"}
STEP = re.compile(r"([a-z_]+)(?:\[(\d+)\])?")
FIELDS = {
    "group": "group",
    "summary": "summary",
    "kind": "kind",
    "valence": "kind",
    "name": "name",
    "description": "short description",
    "version": "version number",
    "id": "id",
    "references": "references",
    "related": "related themes",
    "stakeholders": "stakeholders",
    "number": "number",
    "citation": "citation",
    "footnotes": "footnotes",
}


def _text(value):
    return value.strip() if isinstance(value, str) and value.strip() else None


def in_words(data, where, *, single_source_name=None):
    """`where` (a path such as "sources[0].categories[1].themes[0].findings[1].samples[0].group") read
    against `data`, the file as uploaded, as words; "" when the path names no place inside a source.
    `single_source_name` names the source of a file that holds one at its top level (the first format)."""
    parts = []
    node = data
    steps = [STEP.fullmatch(step) for step in where.split(".")]
    if any(step is None for step in steps):
        return ""
    if single_source_name and steps and steps[0].group(1) in ("categories", "references", "source"):
        parts.append(single_source_name)
    for step in steps:
        key, index = step.group(1), step.group(2)
        child = node.get(key) if isinstance(node, dict) else None
        if index is None:
            if key == "source" and single_source_name:
                node = child
                continue
            if parts:
                parts.append(FIELDS.get(key, key.replace("_", " ")))
            node = child
            continue
        index = int(index)
        item = child[index] if isinstance(child, list) and index < len(child) else None
        fields = item if isinstance(item, dict) else {}
        if key == "sources":
            parts.append(_text(fields.get("name")) or _text(fields.get("id")) or f"source {index + 1}")
        elif key == "categories":
            parts.append(f"heading “{_text(fields.get('name')) or index + 1}”")
        elif key == "themes":
            if parts and parts[-1].startswith("heading "):
                parts.pop()  # a theme's name is unique in its source: the heading adds nothing
            parts.append(f"theme “{name}”" if (name := _text(fields.get("name"))) else f"theme {index + 1}")
        elif key == "findings":
            kind = fields.get("kind", fields.get("valence"))
            kind = kind if kind in KINDS else None  # a kind not in the list is what is being refused
            parts.append(f"finding {index + 1} ({kind})" if kind else f"finding {index + 1}")
        elif key == "samples":
            parts.append(f"sample {index + 1}")
        elif key == "references" and parts and parts[-1].startswith(("finding", "sample")):
            parts.append(f"reference {index + 1} of its list")
        elif key == "references":
            parts.append(f"reference {index + 1} of the list of references")
        elif key == "related":
            parts.append(f"related theme {index + 1}")
        elif key == "footnotes":
            parts.append(f"footnote {index + 1}")
        node = item
    return " › ".join(parts)
