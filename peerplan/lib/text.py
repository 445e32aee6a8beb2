"""Text as PeerPlan keeps it."""


def normalise_text(text):
    """Text as it is kept: one kind of line ending. Browsers send a textarea's lines as CRLF; stored text
    (an adopted suggestion, an import) has LF, so without this an untouched box would look changed."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if isinstance(text, str) else text


# How a moment is written in timelines and messages ("4 March 2026, 14:05").
DATETIME_FORMAT = "j F Y, H:i"
