"""Build static/css/site.css, the one stylesheet base.html loads: Bootstrap without the rules no page uses,
then PeerPlan's own stylesheets whole (`make css`; tests/test_site_css.py fails when the committed file is
older than what its sources make).

A Bootstrap rule is kept when every class its selector names is used: a word of a template, a script, or
PeerPlan's Python (form widgets' classes, message tags), or of crispy-bootstrap5's and allauth's templates,
or made by Bootstrap's and htmx's scripts at run time (RUNTIME_CLASSES). Every word counts as a class
name, so the purge only ever keeps too much, never too little; a template that builds a class name
(`alert-{{ tag }}`) keeps every class that starts with what it writes before the tag.
"""

import re
from pathlib import Path

import crispy_bootstrap5
from allauth import account
from django.conf import settings
from django.core.management.base import BaseCommand

BOOTSTRAP = "static/vendor/bootstrap/bootstrap.min.css"
# PeerPlan's own stylesheets, in the order base.html loaded them: each overrides what came before.
OWN = ["static/css/tokens.css", "static/css/peerplan.css", "static/css/tracking.css"]
OUTPUT = "static/css/site.css"
# Where class names are written: PeerPlan's templates, scripts and Python, and the templates of the packages
# that render PeerPlan's forms and account pages.
SOURCES = [
    ("templates", "*.html"),
    ("static/js", "*.js"),
    ("peerplan", "*.py"),
    ("evidence", "*.py"),
]
PACKAGE_TEMPLATES = [Path(crispy_bootstrap5.__file__).parent, Path(account.__file__).parent.parent]
# Added by scripts, never written in a template: Bootstrap's collapse (the navigation on a phone) and
# htmx's swap classes.
RUNTIME_CLASSES = {"collapsing", "show", "collapse-horizontal", "htmx-request", "htmx-settling", "htmx-swapping"}
RUNTIME_CLASSES |= {"htmx-added", "htmx-indicator"}

WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
# A class name a template builds: the fixed part before a template tag or variable.
BUILT = re.compile(r"([A-Za-z][A-Za-z0-9_-]*-)\{[{%]")
CLASS = re.compile(r"\.(-?[_a-zA-Z][_a-zA-Z0-9-]*(?:\\.[_a-zA-Z0-9-]*)*)")


def used_words(root):
    """Every word of every source, and the prefixes of the class names templates build."""
    words, prefixes = set(RUNTIME_CLASSES), set()
    files = [path for folder, pattern in SOURCES for path in sorted((root / folder).rglob(pattern))]
    files += [path for package in PACKAGE_TEMPLATES for path in sorted(package.rglob("*.html"))]
    for path in files:
        if path.name == "build_site_css.py":
            continue  # its own words (RUNTIME_CLASSES apart) are not pages'
        text = path.read_text(encoding="utf-8")
        words.update(WORD.findall(text))
        prefixes.update(BUILT.findall(text))
    return words, tuple(sorted(prefixes))


def split_top_level(text, separator):
    """`text` split at `separator` outside brackets and strings (a selector list, say)."""
    parts, depth, quote, start = [], 0, None, 0
    for n, char in enumerate(text):
        if quote:
            quote = None if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == separator and depth == 0:
            parts.append(text[start:n])
            start = n + 1
    parts.append(text[start:])
    return parts


def blocks(css):
    """The top-level statements of `css`: (prelude, body) for a block, (statement, None) for `@charset ...;`."""
    n, length = 0, len(css)
    while n < length:
        if css.startswith("/*", n):
            n = css.index("*/", n) + 2
            continue
        if css[n].isspace():
            n += 1
            continue
        start, quote = n, None
        while n < length:
            char = css[n]
            if quote:
                quote = None if char == quote else quote
                n += 1
            elif char in "\"'":
                quote = char
                n += 1
            elif char == ";":
                yield css[start:n].strip(), None
                n += 1
                break
            elif char == "{":
                depth, body_start = 1, n + 1
                n += 1
                while depth:
                    char = css[n]
                    if quote:
                        quote = None if char == quote else quote
                    elif char in "\"'":
                        quote = char
                    elif char == "{":
                        depth += 1
                    elif char == "}":
                        depth -= 1
                    n += 1
                yield css[start : body_start - 1].strip(), css[body_start : n - 1]
                break
            else:
                n += 1


def purge(css, words, prefixes):
    """`css` without the selectors (and then rules) that name a class no source uses."""

    def is_used(name):
        name = name.replace("\\", "")
        return name in words or name.startswith(prefixes)

    out = []
    for prelude, body in blocks(css):
        if prelude.startswith("@charset"):
            continue  # only valid first in a file: site.css starts with its own
        if body is None:
            out.append(prelude + ";")
        elif prelude.startswith(("@media", "@supports", "@container", "@layer")):
            inner = purge(body, words, prefixes)
            if inner:
                out.append(f"{prelude}{{{inner}}}")
        elif prelude.startswith("@"):  # @keyframes, @font-face, @page: kept whole
            out.append(f"{prelude}{{{body}}}")
        else:
            kept = [s for s in split_top_level(prelude, ",") if all(is_used(c) for c in CLASS.findall(s))]
            if kept:
                out.append(f"{','.join(kept)}{{{body}}}")
    return "".join(out)


def site_css(root):
    """What static/css/site.css holds when it is up to date with its sources."""
    words, prefixes = used_words(root)
    bootstrap = (root / BOOTSTRAP).read_text(encoding="utf-8")
    licence = bootstrap[bootstrap.index("/*!") : bootstrap.index("*/") + 2]
    parts = [
        '@charset "UTF-8";',
        "/* static/css/site.css: made by `make css` (manage.py build_site_css) from Bootstrap and PeerPlan's own "
        "stylesheets; edit those, never this file. */",
        licence,
        purge(bootstrap, words, prefixes),
    ]
    for name in OWN:
        parts.append(f"/* {name} */\n" + (root / name).read_text(encoding="utf-8").strip())
    return "\n".join(parts) + "\n"


class Command(BaseCommand):
    help = "Build static/css/site.css: Bootstrap without its unused rules, then PeerPlan's own stylesheets."

    def handle(self, *args, **options):
        root = Path(settings.BASE_DIR)
        before = (root / BOOTSTRAP).stat().st_size + sum((root / name).stat().st_size for name in OWN)
        text = site_css(root)
        (root / OUTPUT).write_text(text, encoding="utf-8")
        self.stdout.write(f"Wrote {OUTPUT}: {len(text.encode()):,} bytes (its sources: {before:,} bytes).")
