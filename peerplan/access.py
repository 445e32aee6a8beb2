"""Who may see and change what: one loader per organisation-owned object, called first in every view.

Outsiders get a 404 (they must not learn the object exists), and so does everyone, owners included, for
an organisation that is deleted (`MembershipQuerySet.live`: it does not exist until an owner restores it
from their start page, so no page needs a second answer for it); members without the needed role get a
403; a member whose organisation requires two-factor they have not set up is sent to set it up. Every
query for one organisation's data goes through these, so no view can forget the scope. Reads across
organisations (My actions, notifications, emails, reminders, the API's list) go through the same rule in
its queryset form, `Membership.objects.readable_by` (peerplan/models/organisations.py); tests/test_one_gate.py walks every
URL, admin view and notification kind against both.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import Http404
from django.shortcuts import get_object_or_404

from evidence.models import Source, Statement
from peerplan.accounts.two_factor import TwoFactorRequired
from peerplan.lib.prepared import PreparedQuery, as_prefetched
from peerplan.models import (
    Attachment,
    CheckIn,
    Checklist,
    Comment,
    Item,
    Membership,
    Mitigation,
    Network,
    NetworkMembership,
    OrganisationExport,
    Role,
    addressed_items,
)
from peerplan.models.curation import is_curator
from peerplan.models.organisations import live_organisation_q

READ, EDIT, MANAGE, OWN = "read", "edit", "manage", "own"


def _check(membership, need):
    allowed = {
        READ: True,
        EDIT: membership.can_edit,
        MANAGE: membership.can_manage,
        OWN: membership.is_owner,
    }[need]
    if not allowed:
        raise PermissionDenied(f"Your role in {membership.organisation} does not allow this.")


def _with_membership(queryset, user, organisation):
    """`queryset` narrowed to rows of the live organisations (as `Membership.objects.live` has them) the person
    belongs to, each row bringing the person's membership in the same query (`organisation`: the lookup from a
    row to its organisation): one query where a loader made two. A person has at most one membership of an
    organisation, so the join adds no rows; anyone else finds nothing."""
    if not user.is_authenticated:
        raise Http404
    return _members_rows(queryset, user.pk, organisation)


def _members_rows(queryset, user_id, organisation):
    member = f"{organisation}__memberships__"
    # The annotations reuse the filter's join (Django reuses a join for annotations of the same chain), so
    # they are this person's membership, not any member's.
    return queryset.filter(live_organisation_q(organisation), **{f"{member}user": user_id}).annotate(
        **{f"membership_{field}": F(f"{member}{field}") for field in _membership_fields()}
    )


def _checklist_rows(checklists, user_id):
    return _members_rows(checklists, user_id, "organisation").select_related("organisation").order_by()[:2]


def _item_rows(items, user_id):
    return (
        _members_rows(items, user_id, "checklist__organisation")
        .select_related("checklist__organisation", "finding__theme__category__source", "decided_by")
        .order_by()[:2]
    )


def _mitigation_rows(mitigations, user_id):
    return (
        _members_rows(mitigations, user_id, "checklist__organisation")
        .select_related("checklist__organisation", "owner", "suggestion", "phase")
        .order_by()[:2]
    )


# The loaders' own queries, the first of nearly every signed-in request, compiled to SQL once per process and
# run with each request's id and person (peerplan/lib/prepared.py): building and compiling them cost a fifth
# of what a signed-in request costs before its page's own work. At most one row can match (an id; one
# membership per person and organisation), so get()'s LIMIT and no ordering. A view that narrows the rows
# (`queryset=`, the API) has the same rows function build its queryset instead (_loaded).
_ORGANISATION = PreparedQuery(
    lambda slug, user: (
        Membership.objects.live()
        .select_related("organisation")
        .filter(user=user, organisation__slug=slug)
        .order_by()[:2]
    )
)
_CHECKLIST = PreparedQuery(lambda pk, user: _checklist_rows(Checklist.objects.filter(pk=pk), user))
_ITEM = PreparedQuery(lambda pk, user: _item_rows(Item.objects.filter(pk=pk), user))
_MITIGATION = PreparedQuery(lambda pk, user: _mitigation_rows(Mitigation.objects.filter(pk=pk), user))
# The items an action addresses, as addressed_items() prefetches them (the same queryset, narrowed to the action).
_ADDRESSED = PreparedQuery(lambda pk: addressed_items().queryset.filter(mitigations=pk))


def _loaded(prepared, rows, queryset, *, pk, user, missing):
    """The one row for `pk` the person may load: `prepared`'s, or, when the view narrows the rows, `rows` (the
    same rule, as a function of a queryset) of `queryset`. Anyone else gets a 404 saying `missing`, and so does
    an id that is not a whole number (the addresses' converters give ints; a caller with text gets no 500)."""
    if not user.is_authenticated:
        raise Http404
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404(missing) from None
    found = prepared(pk=pk, user=user.pk) if queryset is None else list(rows(queryset.filter(pk=pk), user.pk))
    if not found:
        raise Http404(missing)
    return found[0]


def _membership_fields():
    # Every column of a membership but the two the row already knows (its organisation and the person).
    return [field.attname for field in Membership._meta.concrete_fields if field.name not in ("organisation", "user")]


def _membership(row, user, organisation):
    """The person's membership, as `_with_membership` read it with `row`; checked for two-factor."""
    membership = Membership(
        user=user,
        organisation=organisation,
        **{field: getattr(row, f"membership_{field}") for field in _membership_fields()},
    )
    membership._state.adding = False  # a saved row, as a query would have given it
    membership._state.db = row._state.db
    _require_two_factor(user, organisation)
    return membership


def _require_two_factor(user, organisation):
    if organisation.shuts_out(user):
        # Checked here, where every organisation page starts, so no page of its data can forget it.
        raise TwoFactorRequired(organisation)


def load_deleted_organisation(request, slug):
    """A deleted organisation, for its owners only (to restore it). Anyone else, its other members
    included, gets a 404: it does not exist for them. An organisation that is not deleted comes as
    `load_organisation(need=OWN)` gives it (the operation then says there is nothing to restore)."""
    if not request.user.is_authenticated:
        raise Http404
    membership = (
        Membership.objects.deleted_owned_by(request.user).select_related("organisation").filter(organisation__slug=slug)
    ).first()
    if membership is not None:
        return membership.organisation, membership
    # Not deleted (or not theirs): answered as any owner's action on it is, so this URL tells nobody more.
    return load_organisation(request, slug, need=OWN)


def load_organisation(request, slug, need=READ):
    """The organisation and the person's membership of it, in one query (every organisation page starts
    here; the organisation comes with the membership or not at all)."""
    if not request.user.is_authenticated:
        raise Http404
    # At most one can match: one membership per person and organisation, a unique slug.
    found = _ORGANISATION(slug=slug, user=request.user.pk) if type(slug) is str else []
    if not found:
        raise Http404("No such organisation.")
    membership = found[0]
    organisation = membership.organisation
    _require_two_factor(request.user, organisation)
    _check(membership, need)
    return organisation, membership


def load_organisation_export(request, slug, pk):
    """One of the organisation's archives, ready to download, for its owners only. Anyone else gets a 404,
    its other members included (an archive holds everything the organisation has: its link tells nobody but
    an owner that it exists), whatever id they guess; an expired one is a 404 to owners too."""
    organisation, membership = load_organisation(request, slug)
    if not membership.is_owner:
        raise Http404("No such export.")
    ready = OrganisationExport.objects.current().filter(organisation=organisation, finished_at__isnull=False)
    export = get_object_or_404(ready.exclude(file=""), pk=pk)
    export.organisation = organisation
    return export, membership


def may_import_organisation(user):
    """Who may import an organisation archive as a new organisation: a site administrator, for anyone; and,
    where anyone may sign up (SIGNUP_MODE=open), anyone signed in, who becomes its owner. Others get a 404."""
    return user.is_authenticated and (user.is_superuser or settings.SIGNUP_MODE == "open")


def load_own_source(request, slug, pk, need=READ):
    """One of the organisation's own evidence sources: never another organisation's, never a published one."""
    organisation, membership = load_organisation(request, slug)
    source = get_object_or_404(Source.objects.of_organisation(organisation), pk=pk)
    source.organisation = organisation  # already loaded: no second query for it
    _check(membership, need)
    return source, membership


def own_statement(organisation, pk):
    """One of the organisation's own check-in statements (already past load_organisation): never another
    organisation's, never one of the published bank (404)."""
    return get_object_or_404(Statement.objects.filter(organisation=organisation), pk=pk)


def load_checklist(request, pk, need=READ, queryset=None):
    checklist = _loaded(_CHECKLIST, _checklist_rows, queryset, pk=pk, user=request.user, missing="No such checklist.")
    membership = _membership(checklist, request.user, checklist.organisation)
    _check(membership, need)
    return checklist, membership


def load_check_in(request, pk, need=READ):
    """A checklist's check-in (`pk`: the checklist's), or None when it has none yet, with the checklist and the
    person's membership. Every member reads its rounds and figures (thresholded: peerplan/figures/check_ins.py);
    owners and managers (need=MANAGE) set it up and change it."""
    checklist, membership = load_checklist(request, pk, need=need)
    return checklist, CheckIn.objects.filter(checklist=checklist).first(), membership


def load_item(request, pk, need=READ, queryset=None):
    item = _loaded(_ITEM, _item_rows, queryset, pk=pk, user=request.user, missing="No such item.")
    membership = _membership(item, request.user, item.checklist.organisation)
    _check(membership, need)
    return item, membership


def load_mitigation(request, pk, need=READ, queryset=None, challenges=True):
    """An action of one of the person's organisations and their membership of it. `challenges=False` leaves
    out the challenges it addresses, for a view that never shows them (the in-place change)."""
    mitigation = _loaded(_MITIGATION, _mitigation_rows, queryset, pk=pk, user=request.user, missing="No such action.")
    if challenges:
        as_prefetched([mitigation], "items", {mitigation.pk: _ADDRESSED(pk=mitigation.pk)})
    membership = _membership(mitigation, request.user, mitigation.checklist.organisation)
    _check(membership, need)
    return mitigation, membership


def load_comment(request, pk, need=READ):
    """A comment and the person's membership of its organisation. Changing a comment is a separate rule
    (only its author; hiding: managers), checked by the operation."""
    comment = get_object_or_404(
        _with_membership(Comment.objects.all(), request.user, "organisation").select_related(
            "organisation", "author", "mitigation__checklist", "item__finding__theme"
        ),
        pk=pk,
    )
    membership = _membership(comment, request.user, comment.organisation)
    _check(membership, need)
    return comment, membership


def load_attachment(request, pk, need=READ):
    """An attachment of one of the person's organisations; anyone else gets a 404 whatever they guess."""
    attachment = get_object_or_404(
        _with_membership(Attachment.objects.all(), request.user, "organisation").select_related(
            "organisation", "added_by"
        ),
        pk=pk,
    )
    membership = _membership(attachment, request.user, attachment.organisation)
    _check(membership, need)
    return attachment, membership


def load_network(request, slug):
    """A network, for its coordinators only. Anyone else learns nothing (404), except the owners of an
    organisation the network invited, who know it exists from their organisation's Sharing page (403)."""
    user = request.user
    network = Network.objects.filter(slug=slug).first() if user.is_authenticated else None
    if network is None:
        raise Http404("No such network.")
    if network.is_coordinator(user):
        return network
    owned = Membership.objects.readable_by(user).filter(role=Role.OWNER).values("organisation_id")
    if NetworkMembership.objects.filter(network=network, organisation__in=owned).exists():
        raise PermissionDenied("Only the network's coordinators see its pages.")
    raise Http404("No such network.")


def load_network_membership(request, slug, pk, need=READ):
    """One of the organisation's places in a network (an invitation, or membership): every member reads
    what it shares; only owners answer or leave (need=OWN)."""
    organisation, membership = load_organisation(request, slug)
    network_membership = get_object_or_404(
        NetworkMembership.objects.filter(organisation=organisation).select_related("network"), pk=pk
    )
    network_membership.organisation = organisation  # already loaded: no second query for it
    _check(membership, need)
    return network_membership, membership


def require_curator(request):
    """The curation pages are for curators (and site administrators) only. Anyone else learns nothing (404),
    as for a network's pages: nothing there is theirs."""
    if not is_curator(request.user):
        raise Http404("No such page.")


def own_account(request):
    """The signed-in person's own account, the only one a person's account pages (their data's download,
    deleting it) ever reach: those URLs carry no id, so nobody can ask for someone else's. The view is
    behind login_required; a person not signed in never gets here."""
    if not request.user.is_authenticated:
        raise Http404
    return request.user
