"""One family for refused operations.

An operation that cannot do what was asked raises `Refused`, or one of its kinds, before it changes
anything; the message is written for the person who asked. Views and the API turn a refusal into a
response in one place each (`peerplan.views.refusals`, `peerplan.api.errors`), by its `status`: a message
on the page or a 400, a 403, or a 409 with what the object holds now.
"""


class Refused(Exception):
    """A request that breaks a rule, so nothing was changed."""

    status = 400


class NotAllowed(Refused):
    """The person may not do this (any more)."""

    status = 403


class NoLongerMember(NotAllowed):
    """The person was removed from the organisation while the page was open."""


class Conflict(Refused):
    """Someone else saved the object since this person opened it, so nothing was applied: `current` is what
    it holds now. The one signal for a stale save (editing a mitigation, restoring one of its versions)."""

    status = 409

    def __init__(self, current, message="Someone else saved this since you opened it; nothing was changed."):
        super().__init__(message)
        self.current = current
