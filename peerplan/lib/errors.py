"""One family for refused operations.

An operation that cannot do what was asked raises `Refused`, or one of its kinds, before it changes
anything; the message is written for the person who asked. A view that can show the reason where the
person is working (beside a form's field, as a message on the page it redirects to) catches it; any other
is turned into a response in one place, by its `status` (400, 403 or 409): `peerplan.middleware.Refusals`
for pages, `peerplan.api.errors.exception_handler` for the API. So a refusal is never a 500.
"""


class Refused(Exception):
    """A request that breaks a rule, so nothing was changed."""

    status = 400


class NotAllowed(Refused):
    """The person may not do this (any more)."""

    status = 403


class NoLongerMember(Refused):
    """The loser of a race: another owner removed this person while their request was on its way."""

    status = 409

    def __init__(self, message, *, organisation_name=""):
        super().__init__(message)
        self.organisation_name = organisation_name


class Conflict(Refused):
    """Someone else saved the object since this person opened it, so nothing was applied: `current` is what
    it holds now. The one signal for a stale save (editing a mitigation, restoring one of its versions)."""

    status = 409

    def __init__(self, current, message="Someone else saved this since you opened it; nothing was changed."):
        super().__init__(message)
        self.current = current
