"""Queries compiled once and run again with new values (peerplan/lib/prepared.py): the same rows as the queryset
for every value, one query per call, and a query whose SQL a value shapes beyond its parameters is refused."""

from datetime import datetime, timedelta

import pytest
from django.db.models import Count, Q
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone

from peerplan.lib.prepared import PreparedQuery
from peerplan.models import Checklist, Mitigation, MitigationStatus
from tests.factories import item_for, make_checklist, make_mitigation

TODAY = timezone.localdate()


def days(n):
    return TODAY + timedelta(days=n)


@pytest.fixture
def actions(org_a, org_b, manager, outsider):
    community = make_checklist(org_a, "Community team", manager)
    wards = make_checklist(org_b, "Wards", outsider)
    S = MitigationStatus
    made = [
        make_mitigation(item_for(community, "Role ambiguity"), "Agree a role", S.PLANNED, due_date=days(-5)),
        make_mitigation(
            item_for(community, "Boundaries"), "Review pay", S.IN_PROGRESS, due_date=days(3), owner=manager
        ),
        make_mitigation(item_for(community, "Workload"), "Cap caseloads", S.BLOCKED, due_date=days(20)),
        make_mitigation(item_for(wards, "Workload"), "Wards' caseloads", S.PLANNED, due_date=days(-1)),
    ]
    return made


def late(organisation_id, today):
    return (
        Mitigation.objects.filter(checklist__organisation_id=organisation_id, due_date__lt=today)
        .select_related("checklist__organisation", "owner")
        .order_by("due_date", "pk")
    )


def counted(organisation_id, today, soon):
    return (
        Mitigation.objects.filter(checklist__organisation_id=organisation_id)
        .values("checklist_id")
        .annotate(
            planned=Count("pk", filter=Q(status=MitigationStatus.PLANNED)),
            late=Count("pk", filter=Q(due_date__lt=today)),
            soon=Count("pk", filter=Q(due_date__gte=today, due_date__lte=soon)),
        )
        .order_by("checklist_id")
    )


def test_it_returns_what_the_queryset_returns_for_every_value(actions, org_a, org_b):
    prepared_late, prepared_counts = PreparedQuery(late), PreparedQuery(counted)
    for organisation in (org_a, org_b):
        for today in (days(-10), days(-2), TODAY, days(4), days(30)):
            rows = prepared_late(organisation_id=organisation.pk, today=today)
            assert rows == list(late(organisation.pk, today))
            # What select_related read comes with each action, as from the queryset.
            assert [(a.checklist.organisation.name, a.owner_id and a.owner.email) for a in rows] == [
                (a.checklist.organisation.name, a.owner_id and a.owner.email) for a in late(organisation.pk, today)
            ]
            soon = today + timedelta(days=14)
            assert prepared_counts(organisation_id=organisation.pk, today=today, soon=soon) == list(
                counted(organisation.pk, today, soon)
            )
    assert [a.action for a in prepared_late(organisation_id=org_a.pk, today=TODAY)] == ["Agree a role"]


def test_it_runs_one_query_and_builds_the_queryset_only_when_first_prepared(actions, org_a, django_assert_num_queries):
    built = []

    def build(organisation_id, today):
        built.append(today)
        return late(organisation_id, today)

    prepared = PreparedQuery(build)
    prepared(organisation_id=org_a.pk, today=TODAY)
    assert len(built) == 2  # compiled twice, with two sets of stand-in values
    with django_assert_num_queries(1):
        assert len(prepared(organisation_id=org_a.pk, today=days(30))) == 3
    assert len(built) == 2


def test_model_instances_carry_the_querysets_annotations(actions, org_a):
    from django.db.models import Exists, OuterRef

    from peerplan.models import CheckIn

    def checklists(organisation_id):
        return Checklist.objects.filter(organisation_id=organisation_id).annotate(
            has_check_in=Exists(CheckIn.objects.filter(checklist=OuterRef("pk")))
        )

    [checklist] = PreparedQuery(checklists)(organisation_id=org_a.pk)
    assert checklist.title == "Community team" and checklist.has_check_in is False


def test_its_rows_are_converted_as_the_querysets_with_converters_found_once(actions, org_a, monkeypatch):
    def rows(organisation_id):
        return (
            Mitigation.objects.filter(checklist__organisation_id=organisation_id)
            .annotate(late=Q(due_date__lt=TODAY))
            .values_list("created_at", "due_date", "late")
            .order_by("pk")
        )

    prepared = PreparedQuery(rows)
    assert prepared(organisation_id=org_a.pk) == list(rows(org_a.pk))
    found = []
    original = SQLCompiler.get_converters
    monkeypatch.setattr(SQLCompiler, "get_converters", lambda self, e: found.append(e) or original(self, e))
    for _ in range(3):
        converted, expected = prepared(organisation_id=org_a.pk), list(rows(org_a.pk))
        assert converted == expected
        assert [tuple(map(type, row)) for row in converted] == [
            (datetime, type(due), bool) for _created, due, _late in expected
        ]
    assert len(found) == 3  # the querysets' own, none for the prepared query's calls


def test_a_value_worked_out_inside_the_query_is_refused(db):
    prepared = PreparedQuery(lambda today: Mitigation.objects.filter(due_date__lt=today + timedelta(days=14)))
    with pytest.raises(ValueError, match="worked out from a value"):
        prepared(today=TODAY)


def test_a_value_that_shapes_the_sql_is_refused(db):
    prepared = PreparedQuery(lambda n: Mitigation.objects.order_by("pk")[: abs(n) % 7 + 1])
    with pytest.raises(ValueError, match="SQL itself depends on a value"):
        prepared(n=3)


def test_only_ints_dates_and_strings_are_taken(db):
    with pytest.raises(TypeError):
        PreparedQuery(lambda done: Mitigation.objects.filter(pk=done))(done=True)
    with pytest.raises(TypeError):
        PreparedQuery(lambda when: Mitigation.objects.filter(created_at__lt=when))(when=timezone.now())
    with pytest.raises(TypeError):
        PreparedQuery(lambda ids: Mitigation.objects.filter(pk__in=ids))(ids=(1, 2))


def test_a_string_is_matched_exactly_whatever_it_holds(actions, org_a, org_b):
    prepared = PreparedQuery(lambda title: Checklist.objects.filter(title=title).order_by("pk"))
    assert [c.organisation_id for c in prepared(title="Community team")] == [org_a.pk]
    assert [c.organisation_id for c in prepared(title="Wards")] == [org_b.pk]
    # Characters that mean something to LIKE, or to SQL, are only characters here, as in the queryset.
    for title in ("Community%", "Community_team", "Wards' ", "%", "'; DROP TABLE peerplan_checklist; --", ""):
        assert prepared(title=title) == list(Checklist.objects.filter(title=title)) == []


@pytest.mark.parametrize("lookup", ["title__contains", "title__icontains", "title__startswith", "title__endswith"])
def test_a_string_the_lookup_rewrites_is_refused(db, lookup):
    # Escaped for LIKE or made into a pattern: the SQL's parameter is not the value as given. Were it prepared,
    # a title holding % or _ would match what the queryset would not.
    prepared = PreparedQuery(lambda title: Checklist.objects.filter(**{lookup: title}))
    with pytest.raises(ValueError, match="worked out from a value"):
        prepared(title="Community")


def test_each_thread_runs_it_on_its_own_connection(db):
    import threading

    from django.db import connections

    from peerplan.models import ScheduledJob

    # A table this test's transaction has not written to (SQLite's shared test database locks those).
    prepared = PreparedQuery(lambda job_id: ScheduledJob.objects.filter(pk=job_id))
    assert prepared(job_id=1) == []
    seen = {}

    def read():
        # Another thread's connection: the query is compiled again for it, not run on the main thread's.
        seen["rows"] = prepared(job_id=2)
        seen["connection"] = connections["default"]
        seen["compiled"] = prepared._compiled.get(seen["connection"]) is not None
        connections.close_all()

    thread = threading.Thread(target=read)
    thread.start()
    thread.join()
    assert seen == {"rows": [], "connection": seen["connection"], "compiled": True}
    mine = connections["default"]
    assert seen["connection"] is not mine and prepared._compiled.get(mine) is not None


def _pages_prepared_queries(actions, manager, outsider):
    """(prepared query, values) for the loaders' and the checklist export's prepared queries, for rows of two
    organisations, people of each and of neither, and ids that exist and do not."""
    from peerplan import access
    from peerplan.forms import mitigations as mitigation_forms
    from peerplan.models import ImplementationPhase
    from peerplan.operations import mitigations as mitigation_operations
    from peerplan.pages import exports

    community, wards = actions[0].checklist, actions[3].checklist
    people = [manager.pk, outsider.pk, 0]
    calls = []
    for user in people:
        for organisation in (community.organisation, wards.organisation):
            calls.append((access._ORGANISATION, {"slug": organisation.slug, "user": user}))
        calls.append((access._ORGANISATION, {"slug": "no-such-organisation", "user": user}))
        for checklist in (community, wards):
            calls.append((access._CHECKLIST, {"pk": checklist.pk, "user": user}))
            item = checklist.items.order_by("pk").first()
            calls.append((access._ITEM, {"pk": item.pk, "user": user}))
        for action in actions:
            calls.append((access._MITIGATION, {"pk": action.pk, "user": user}))
        for organisation in (community.organisation, wards.organisation):
            calls.append((mitigation_forms.MEMBER_AS_OWNER, {"organisation_id": organisation.pk, "pk": user}))
    for action in [*actions, Mitigation(pk=0)]:
        calls.append((access._ADDRESSED, {"pk": action.pk}))
        calls.append((mitigation_operations._ADDRESSED_IDS, {"pk": action.pk}))
        calls.append((mitigation_operations._LOCKED, {"pk": action.pk}))
    for pk in [*ImplementationPhase.objects.values_list("pk", flat=True)[:2], 0]:
        calls.append((mitigation_forms.PHASE, {"pk": pk}))
    for checklist in (community, wards):
        for report in (False, True):
            calls.append((exports._ITEMS[report], {"checklist": checklist.pk}))
            calls.append((exports._ACTIONS[report], {"checklist": checklist.pk}))
        calls.append((exports._REFERENCES, {"checklist": checklist.pk}))
    return calls


def _read(row):
    """A row as what it holds: a model instance's values, annotations and the related rows select_related read
    (each as what it holds), or the row itself (values_list)."""
    if not hasattr(row, "_state"):
        return row
    values = {name: value for name, value in vars(row).items() if name != "_state"}
    related = {name: _read(value) if value is not None else None for name, value in row._state.fields_cache.items()}
    return values, related


def test_the_pages_prepared_queries_return_what_their_querysets_return(actions, manager, outsider):
    found = 0
    for prepared, values in _pages_prepared_queries(actions, manager, outsider):
        rows = prepared(**values)
        expected = list(prepared.build(**values))
        assert rows == expected, values
        # Whatever select_related read and every annotation (the person's membership) come with each row.
        assert [_read(row) for row in rows] == [_read(row) for row in expected], values
        found += len(rows)
    assert found > 0


def test_the_start_pages_prepared_queries_return_what_their_querysets_return(
    org_a, org_b, owner, outsider, coordinator, curator
):
    from peerplan.models import Network
    from peerplan.models.curation import _IN_CURATORS
    from peerplan.pages import organisations as organisation_pages

    network = Network.objects.create(name="North", slug="north")
    network.coordinators.add(coordinator, owner)
    org_b.memberships.create(user=owner, role="viewer")  # a viewer may not restore it
    org_b.deleted_at = timezone.now()
    org_b.save()
    found = 0
    for person in (owner, outsider, coordinator, curator):
        for prepared in (
            organisation_pages.YOUR_MEMBERSHIPS,
            organisation_pages.YOUR_DELETED,
            organisation_pages.YOUR_NETWORKS,
            _IN_CURATORS,
        ):
            rows = prepared(user=person.pk)
            assert [_read(row) for row in rows] == [_read(row) for row in prepared.build(user=person.pk)]
            found += len(rows)
    # What each person's start page lists: their live organisations, the deleted one its owner may restore, the
    # network its coordinators coordinate; and who curates.
    start = organisation_pages.start_page(outsider)
    assert (start["memberships"], [m.organisation for m in start["deleted"]]) == ([], [org_b])
    assert [m.organisation for m in organisation_pages.start_page(owner)["memberships"]] == [org_a]
    assert [n.name for n in organisation_pages.start_page(coordinator)["coordinated"]] == ["North"]
    assert [bool(_IN_CURATORS(user=person.pk)) for person in (owner, curator)] == [False, True]
    assert found == 5


def test_an_int_compared_with_an_integer_column_is_prepared_on_every_database(actions):
    # Django refuses to compile a lookup of an integer field with a value outside the database's range for it
    # (PostgreSQL's integer is 32 bits, a positive field is positive): the stand-ins must fit, as real values do.
    from django.db.models import F, Func, IntegerField

    [action] = [a for a in actions if a.action == "Agree a role"]
    versions = PreparedQuery(lambda version: Mitigation.objects.filter(version=version, action="Agree a role"))
    assert versions(version=action.version) == [action]
    plus = Func(F("version"), template="+%(expressions)s", output_field=IntegerField())
    aliased = PreparedQuery(
        lambda version: Mitigation.objects.alias(v=plus).filter(v=version, action="Agree a role").order_by("pk")
    )
    assert aliased(version=action.version) == [action]
    assert aliased(version=action.version + 1) == []


def test_rows_put_where_prefetching_puts_them_are_read_without_a_query(actions, django_assert_num_queries):
    from peerplan.lib.prepared import as_prefetched

    first, second = actions[0], actions[1]
    item = first.items.get()
    as_prefetched([first, second], "items", {first.pk: [item]})
    with django_assert_num_queries(0):
        assert list(first.items.all()) == [item]
        assert list(second.items.all()) == []
    # As prefetch_related_objects would: what was already prefetched for another relation stays.
    from django.db.models import prefetch_related_objects

    third = Mitigation.objects.get(pk=actions[2].pk)
    prefetch_related_objects([third], "comments")
    as_prefetched([third], "items", {})
    with django_assert_num_queries(0):
        assert (list(third.comments.all()), list(third.items.all())) == ([], [])


def test_a_loader_reads_the_same_row_prepared_or_narrowed_and_a_404_for_anything_else(actions, manager, outsider, rf):
    from django.http import Http404

    from peerplan import access
    from peerplan.models import Item

    item = actions[0].items.get()
    request = rf.get("/")
    request.user = manager
    loaded, membership = access.load_item(request, item.pk)
    narrowed, _ = access.load_item(request, str(item.pk), queryset=Item.objects.filter(applies=item.applies))
    assert (loaded, narrowed, membership.role) == (item, item, "manager")
    for pk, queryset in ((f"{item.pk}x", None), ("", None), (item.pk, Item.objects.exclude(pk=item.pk))):
        with pytest.raises(Http404):
            access.load_item(request, pk, queryset=queryset)
    request.user = outsider  # another organisation's member
    with pytest.raises(Http404):
        access.load_item(request, item.pk)
