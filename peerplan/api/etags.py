"""The API's ETags: what a client sends back in If-Match so a change saved since is not overwritten."""

import hashlib


def mitigation_etag(mitigation):
    return f'"mitigation-{mitigation.pk}-v{mitigation.version}"'


def item_etag(item):
    """Items have no version field; their decision is their state, so the etag is a digest of it."""
    state = "|".join(
        str(value) for value in (item.applies, item.not_applicable_reason, item.rereview_on, item.priority, item.note)
    )
    return f'"item-{item.pk}-{hashlib.sha256(state.encode()).hexdigest()[:16]}"'
