"""The pages' loaders (peerplan/access.py), narrowed to the token's organisation and access.

Same contract as the pages: what the token may not see is a 404 (an object of another organisation, even
one its person belongs to, does not exist for this token); what it may see but not change is a 403, when
the person's current role does not allow it or the token is read-only. The role is read on every request,
so a demoted person's write token stops writing at once.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from peerplan import access
from peerplan.access import READ
from peerplan.api.errors import bad_input
from peerplan.models import Checklist, Item, Mitigation

READ_ONLY = "This token is read-only. Make a read and write token to change anything."


def _token(request):
    return request.auth


def _check_token(request, need):
    if need != READ and not _token(request).can_write:
        raise PermissionDenied(READ_ONLY)


def load_organisation(request, slug, need=READ):
    if slug != _token(request).organisation.slug:
        raise Http404("No such organisation.")
    organisation, membership = access.load_organisation(request, slug, need)
    _check_token(request, need)
    return organisation, membership


def load_checklist(request, pk, need=READ, queryset=None):
    queryset = (queryset if queryset is not None else Checklist.objects.all()).filter(
        organisation_id=_token(request).organisation_id
    )
    checklist, membership = access.load_checklist(request, pk, need, queryset=queryset)
    _check_token(request, need)
    return checklist, membership


def load_item(request, pk, need=READ, queryset=None):
    queryset = (queryset if queryset is not None else Item.objects.all()).filter(
        checklist__organisation_id=_token(request).organisation_id
    )
    item, membership = access.load_item(request, pk, need, queryset=queryset)
    _check_token(request, need)
    return item, membership


def load_mitigation(request, pk, need=READ, queryset=None):
    queryset = (queryset if queryset is not None else Mitigation.objects.all()).filter(
        checklist__organisation_id=_token(request).organisation_id
    )
    mitigation, membership = access.load_mitigation(request, pk, need, queryset=queryset)
    _check_token(request, need)
    return mitigation, membership


NOT_ITS_CHECKLIST = "Choose challenges of this action's checklist."


def load_items(checklist, ids):
    """The items a body names (`items`) among those of a checklist loaded through the loaders above, so of the
    token's organisation. An id that is not one of them (another checklist's or organisation's, or none) is a
    400 naming `items`, as a form's field would be, and nothing is changed."""
    ids = set(ids)
    found = list(Item.objects.filter(checklist=checklist, pk__in=ids).select_related("finding__theme"))
    if len(found) != len(ids):
        raise bad_input([{"field": "items", "message": NOT_ITS_CHECKLIST}])
    return found
