"""Each domain rule has one definition (on the model or its queryset); these pin them, and pin that the
in-memory form of a rule (a property) and its database form (a queryset method or Q) agree."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from peerplan.lib.errors import Conflict, Refused
from peerplan.models import (
    FORMER_MEMBER,
    MEMBER_NAME_FIELDS,
    Checklist,
    ChecklistStatus,
    Invitation,
    Item,
    MemberName,
    Membership,
    Mitigation,
    MitigationStatus,
    Role,
    display_name,
    former_member,
)
from peerplan.operations import checklists, mitigations, organisations
from peerplan.pages import checklists as checklist_pages
from tests.factories import item_for, make_checklist, make_mitigation, make_user

TODAY = timezone.localdate()
DUE_DATES = [None, TODAY - timedelta(days=1), TODAY, TODAY + timedelta(days=3), TODAY + timedelta(days=30)]


@pytest.fixture
def every_kind_of_action(org_a, owner):
    """One action for each status and due date, on an active checklist."""
    item = item_for(make_checklist(org_a, "Plan", owner), "Workload")
    return [
        make_mitigation(item, f"{status} {due}", status, due_date=due)
        for status in MitigationStatus.values
        for due in DUE_DATES
    ]


def test_overdue_is_open_and_due_before_today_and_the_queryset_the_annotation_and_the_model_agree(
    every_kind_of_action,
):
    overdue = set(Mitigation.objects.overdue(TODAY).values_list("pk", flat=True))
    annotated = {m.pk for m in Mitigation.objects.with_overdue(TODAY) if m.overdue_now}
    in_memory = {m.pk for m in every_kind_of_action if m.is_overdue(TODAY)}
    assert overdue == annotated == in_memory
    # Planned, in progress and blocked actions due yesterday: blocked work is still late.
    assert {Mitigation.objects.get(pk=pk).status for pk in overdue} == {"planned", "in_progress", "blocked"}
    assert len(overdue) == 3


def test_open_statuses_include_blocked_and_leave_out_done_and_dropped(every_kind_of_action):
    open_statuses = set(Mitigation.objects.open().values_list("status", flat=True))
    assert open_statuses == {"planned", "in_progress", "blocked"}
    assert {m.status for m in every_kind_of_action if m.is_open} == open_statuses


def test_live_is_every_status_but_dropped_and_only_live_actions_cover_an_item(org_a, owner, every_kind_of_action):
    assert set(Mitigation.objects.live().values_list("status", flat=True)) == set(MitigationStatus.values) - {"dropped"}
    assert {m.status for m in every_kind_of_action if m.is_live} == set(MitigationStatus.values) - {"dropped"}
    checklist = make_checklist(org_a, "Second", owner)
    make_mitigation(item_for(checklist, "Boundaries"), "Dropped idea", MitigationStatus.DROPPED)
    covered = {
        i.finding.theme.name for i in checklist.items.with_coverage().select_related("finding__theme") if i.is_covered
    }
    assert covered == set()
    assert checklist.coverage().covered == 0


def test_an_archived_checklist_asks_nothing_of_anyone(org_a, owner):
    active = make_checklist(org_a, "Active", owner)
    archived = make_checklist(org_a, "Archived", owner, status=ChecklistStatus.ARCHIVED)
    draft = make_checklist(org_a, "Draft", owner, status=ChecklistStatus.DRAFT)
    assert set(Checklist.objects.not_archived()) == {active, draft}
    assert [c for c in (active, archived, draft) if c.is_archived] == [archived]
    late = TODAY - timedelta(days=1)
    for checklist in (active, archived, draft):
        make_mitigation(item_for(checklist, "Workload"), checklist.title, due_date=late)
    # Only the active checklist's actions are tracked (a draft's are not yet, an archived one's no longer).
    assert {m.action for m in Mitigation.objects.tracked()} == {"Active"}
    assert {i.checklist.title for i in Item.objects.on_current_checklists().select_related("checklist")} == {
        "Active",
        "Draft",
    }


def test_a_review_is_past_in_memory_exactly_when_the_queryset_says_so(org_a, owner):
    made = [
        make_checklist(org_a, f"{status} {when}", owner, status=status, review_date=when)
        for status in ChecklistStatus.values
        for when in (None, TODAY - timedelta(days=1), TODAY, TODAY + timedelta(days=1))
    ]
    past = set(Checklist.objects.past_review(TODAY))
    assert {c for c in made if c.is_past_review(TODAY)} == past
    # Reviews due before today, of checklists still in use: an archived one asks nothing of anyone.
    assert {c.title for c in past} == {f"{s} {TODAY - timedelta(days=1)}" for s in ("draft", "active")}


def test_a_persons_name_is_their_full_name_else_their_email_else_their_username(db):
    named = make_user("sam", "Sam")
    named.last_name = "Lee"
    assert display_name(named) == "Sam Lee"
    unnamed = make_user("kit")
    assert display_name(unnamed) == "kit@example.org"
    unnamed.email = ""
    assert display_name(unnamed) == "kit"
    assert display_name(None) == ""


def test_a_name_read_as_plain_values_is_the_same_name(db):
    # The owner lists read members as MemberName rows (no User each): every kind of person named alike.
    people = [make_user("sam", "Sam"), make_user("kit"), make_user("lee", "Lee"), former_member()]
    people[0].last_name = "Lee"
    people[1].email = ""
    people[2].first_name, people[2].last_name = "", "Only-Surname"
    for person in people:
        person.save()
    rows = get_user_model().objects.order_by("pk").values_list(*MEMBER_NAME_FIELDS)
    named = {row[0]: display_name(MemberName(*row)) for row in rows}
    assert named == {person.pk: display_name(person) for person in people}
    assert sorted(named.values()) == sorted(["Sam Lee", "kit", "Only-Surname", FORMER_MEMBER])


def test_an_actions_owner_is_a_members_name_or_the_named_outside_person(org_a, owner, planner):
    item = item_for(make_checklist(org_a, "Plan", owner), "Workload")
    assert make_mitigation(item, "a", owner=planner).owner_label == "Pat"
    assert make_mitigation(item, "b", owner_name="HR partner, Sam Lee").owner_label == "HR partner, Sam Lee"
    assert make_mitigation(item, "c").owner_label == ""


def test_a_rereview_is_due_in_memory_exactly_when_the_queryset_says_so(org_a, owner):
    checklist = make_checklist(org_a, "Plan", owner)
    for name, when in [("Workload", TODAY), ("Boundaries", TODAY + timedelta(days=1)), ("Role ambiguity", None)]:
        item = item_for(checklist, name)
        checklists.decide_item(
            item=item, applies=False, reason="Not here", rereview_on=when, today=TODAY - timedelta(days=400)
        )
    due = set(checklist.items.rereview_due(TODAY))
    assert {i for i in checklist.items.select_related("finding") if i.is_rereview_due(TODAY)} == due
    assert {i.finding.theme.name for i in due} == {"Workload", "Role ambiguity"}


def test_items_are_grouped_by_category_and_theme_in_published_order(org_a, owner):
    checklist = make_checklist(org_a, "Plan", owner)
    items = list(checklist.items.challenges().select_related("finding__theme__category").in_published_order())
    groups = checklist_pages.group_by_category_and_theme(items)
    flattened = [item for group in groups for theme in group.themes for item in theme.items]
    assert flattened == items
    assert [g.category.name for g in groups] == list(dict.fromkeys(i.finding.theme.category.name for i in items))


def test_a_stale_save_and_a_stale_restore_give_the_same_conflict_signal(org_a, owner):
    mitigation = make_mitigation(item_for(make_checklist(org_a, "Plan", owner), "Workload"), "First")
    mitigations.update_mitigation(mitigation_id=mitigation.pk, changes={"action": "Second"}, version=1)
    with pytest.raises(Conflict) as stale_save:
        mitigations.update_mitigation(mitigation_id=mitigation.pk, changes={"action": "Third"}, version=1)
    assert stale_save.value.current.action == "Second"
    record = mitigation.history.earliest()
    with pytest.raises(Conflict) as stale_restore:
        mitigations.restore_mitigation(mitigation, record, by=owner, seen_version=1)
    assert stale_restore.value.current.version == 2
    mitigation.refresh_from_db()
    assert (mitigation.action, mitigation.version) == ("Second", 2)


def test_an_invitation_says_what_is_wrong_with_it_and_accepting_refuses_with_the_same_words(org_a, owner, planner):
    fresh = organisations.invite(organisation=org_a, email="newcomer@example.org", role=Role.PLANNER, by=owner)
    assert fresh.problem() is None
    assert list(Invitation.objects.pending()) == [fresh]
    expired = organisations.invite(organisation=org_a, email="b@example.org", role=Role.PLANNER, by=owner)
    Invitation.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    expired.refresh_from_db()
    assert "expired" in expired.problem()
    assert fresh.problem(user=planner) == Invitation.FOR_ANOTHER_EMAIL  # only for the address it was sent to
    organisations.accept_invitation(token=fresh.token, user=make_user("newcomer"))
    fresh.refresh_from_db()
    assert "already been used" in fresh.problem()
    assert list(Invitation.objects.pending()) == []
    for invitation in (fresh, expired):
        with pytest.raises(Refused, match=invitation.problem()):
            organisations.accept_invitation(token=invitation.token, user=planner)
    with pytest.raises(Refused, match=Invitation.NOT_FOUND):
        organisations.accept_invitation(token="no-such-token", user=planner)


@pytest.mark.parametrize("by_role", [Role.OWNER, Role.MANAGER, Role.PLANNER, Role.VIEWER])
@pytest.mark.parametrize("target_role", [Role.OWNER, Role.MANAGER, Role.PLANNER, Role.VIEWER])
def test_who_may_change_whom_is_one_rule_for_the_members_page_and_the_operation(
    client, org_a, owner, by_role, target_role
):
    by = make_user("by")
    by_membership = Membership.objects.create(organisation=org_a, user=by, role=by_role)
    target = Membership.objects.create(organisation=org_a, user=make_user("target", "Tara"), role=target_role)
    allowed = by_membership.can_change(target)
    assert allowed == (by_role in (Role.OWNER, Role.MANAGER) and (target_role != Role.OWNER or by_role == Role.OWNER))

    client.force_login(by)
    page = client.get(f"/app/orgs/{org_a.slug}/members/").content.decode()
    assert (f"/app/orgs/{org_a.slug}/members/{target.pk}/role/" in page) == allowed
    assert (f"/app/orgs/{org_a.slug}/members/{target.pk}/remove/" in page) == allowed

    new_role = Role.VIEWER if target_role != Role.VIEWER else Role.PLANNER
    if allowed:
        organisations.change_role(membership=target, role=new_role, by=by)
        target.refresh_from_db()
        assert target.role == new_role
    else:
        with pytest.raises(Refused):
            organisations.change_role(membership=target, role=new_role, by=by)
        target.refresh_from_db()
        assert target.role == target_role


def test_only_an_owner_may_give_the_owner_role(org_a, owner, manager):
    owner_m, manager_m = Membership.objects.get(user=owner), Membership.objects.get(user=manager)
    assert Role.OWNER in dict(owner_m.grantable_roles())
    assert Role.OWNER not in dict(manager_m.grantable_roles())
    with pytest.raises(Refused, match="Only an owner can invite another owner."):
        organisations.invite(organisation=org_a, email="x@example.org", role=Role.OWNER, by=manager)


def test_the_test_factory_makes_a_checklist_with_the_products_own_recipe(org_a, owner):
    made = make_checklist(org_a, "Factory", owner)
    real = checklists.create_checklist_from_evidence(organisation=org_a, title="Real", by=owner)
    fields = ("finding_id", "applies")
    assert list(made.items.in_published_order().values_list(*fields)) == list(
        real.items.in_published_order().values_list(*fields)
    )
    assert [f.pk for f in checklists.checklist_findings(org_a)] == [
        fid for fid, _ in made.items.in_published_order().values_list(*fields)
    ]


@pytest.mark.parametrize("site_requires_two_factor", [False, True])
def test_who_may_read_an_organisation_now_is_one_rule_on_a_page_and_across_organisations(
    org_a, org_b, settings, site_requires_two_factor
):
    """Organisation.shuts_out (one organisation's pages) and Membership.objects.readable (every listing across
    organisations: My actions, notifications, emails, reminders, the API) agree for every combination, with
    and without the site's own rule."""
    from allauth.mfa.totp.internal.auth import TOTP

    with_two_factor, without = make_user("with2fa"), make_user("without2fa")
    TOTP.activate(with_two_factor, "JBSWY3DPEHPK3PXP")
    org_b.require_two_factor = True
    org_b.save()
    for person in (with_two_factor, without):
        for organisation in (org_a, org_b):
            Membership.objects.create(user=person, organisation=organisation, role=Role.PLANNER)
    settings.REQUIRE_2FA = site_requires_two_factor
    for person in (with_two_factor, without):
        readable = set(Membership.objects.readable_by(person).values_list("organisation_id", flat=True))
        for organisation in (org_a, org_b):
            assert (organisation.pk in readable) == (not organisation.shuts_out(person)), (person, organisation)
    readable = set(Membership.objects.readable_by(without).values_list("organisation_id", flat=True))
    assert readable == (set() if site_requires_two_factor else {org_a.pk})
    assert Membership.objects.readable().count() == (2 if site_requires_two_factor else 3)


def test_evidence_updated_and_its_queryset_form_agree(org_a, owner):
    """insights.evidence_updated (an item in memory) and evidence_updated_q (the curation home's counts):
    changed after the review, before it, never reviewed (the checklist's creation counts), never changed."""
    from evidence.models import Finding
    from peerplan.figures.insights import evidence_updated, evidence_updated_q

    checklist = make_checklist(org_a, "Plan", owner)
    now = timezone.now()
    items = list(checklist.items.select_related("finding", "checklist")[:4])
    reviewed = [now - timedelta(days=1), now + timedelta(days=1), None, None]
    changed = [now, now, now + timedelta(days=2), None]
    for item, at, when in zip(items, reviewed, changed, strict=True):
        Item.objects.filter(pk=item.pk).update(evidence_reviewed_at=at)
        Finding.objects.filter(pk=item.finding_id).update(evidence_changed_at=when)
    fresh = list(Item.objects.filter(pk__in=[i.pk for i in items]).select_related("finding", "checklist"))
    in_memory = {item.pk for item in fresh if evidence_updated(item)}
    in_the_database = set(
        Item.objects.filter(evidence_updated_q(), pk__in=[i.pk for i in items]).values_list("pk", flat=True)
    )
    assert in_memory == in_the_database == {items[0].pk, items[2].pk}
