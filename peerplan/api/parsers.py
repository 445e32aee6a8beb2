"""The API's JSON parser: DRF's, with a bound on how deeply a body may nest. No endpoint takes more than a
couple of levels; JSON nested thousands deep would otherwise stop the parser with a RecursionError (a 500)."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError

# Far more than any endpoint's body needs (a flat object, with a list or two), far less than Python's
# recursion limit.
MAX_DEPTH = 32
TOO_DEEP = f"JSON parse error - the body is nested more than {MAX_DEPTH} levels deep."


def _deeper_than(value, limit):
    """Whether lists and objects nest more than `limit` levels, counted without recursion."""
    pending = [(value, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            value = value.values()
        elif not isinstance(value, list):
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in value)
    return False


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None
        if _deeper_than(data, MAX_DEPTH):
            raise ParseError(TOO_DEEP)
        return data
