"""Text as PeerPlan keeps it."""

import difflib
import re


def normalise_text(text):
    """Text as it is kept: one kind of line ending. Browsers send a textarea's lines as CRLF; stored text
    (an adopted suggestion, an import) has LF, so without this an untouched box would look changed."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if isinstance(text, str) else text


def shorten(text, length):
    """`text` in at most `length` characters, cut at the end of a word with an ellipsis when it is longer
    ("Offer supervision beyond peer…", never "…beyond peer wo"): the one way a title, an action or a comment
    is shortened in messages, labels, history and emails. Only a first word longer than `length` is cut
    inside, as nothing else would fit."""
    text = str(text)
    if len(text) <= length:
        return text
    cut = text[: length - 1]  # room for the ellipsis
    if not text[length - 1].isspace():
        whole_words = re.match(r"(.*\S)\s", cut, re.S)
        cut = whole_words.group(1) if whole_words else cut
    return cut.rstrip().rstrip(",;:–—-").rstrip() + "…"


# How a moment is written in timelines and messages ("4 March 2026, 14:05").
DATETIME_FORMAT = "j F Y, H:i"


def word_diff(old, new):
    """The words of `old` and `new` as [(kind, text)], kind "same", "removed" or "added", in reading order:
    a word-level difference, with the spaces kept so the pieces join back into either text."""
    old_words, new_words = re.split(r"(\s+)", old or ""), re.split(r"(\s+)", new or "")
    pieces = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old_words, new_words, autojunk=False).get_opcodes():
        if op == "equal":
            pieces.append(("same", "".join(old_words[i1:i2])))
            continue
        if i2 > i1:
            pieces.append(("removed", "".join(old_words[i1:i2])))
        if j2 > j1:
            pieces.append(("added", "".join(new_words[j1:j2])))
    return [(kind, text) for kind, text in pieces if text]
