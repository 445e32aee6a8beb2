"""The checklist and item pages' queries compiled once per process (peerplan/lib/prepared.py): each returns
the rows its queryset returns, and the rows the queries they replaced returned, on data of two organisations."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count, Q
from django.utils import timezone

from evidence.models import Statement
from peerplan.figures import check_ins as figures
from peerplan.figures import insights
from peerplan.models import (
    Answer,
    Attachment,
    Comment,
    ImplementationPhase,
    Mitigation,
    MitigationStatus,
    RoundStatement,
    RoundTally,
    SuggestedMitigation,
    addressed_items,
    collaboration,
)
from peerplan.operations import attachments, check_ins, comments, releases
from peerplan.operations.checklists import checklist_findings
from peerplan.pages import checklists as pages
from peerplan.pages import collaboration as collaboration_pages
from peerplan.pages import history
from tests.factories import item_for, make_check_in, make_checklist, make_closed_round, make_mitigation


def agree(statements, n):
    return [{statement: Answer.AGREE for statement in statements}] * n


def same_rows(prepared, **values):
    """The prepared query's rows, checked against its queryset's for the same values."""
    rows = prepared(**values)
    assert rows == list(prepared.build(**values))
    return rows


@pytest.fixture
def two_check_ins(active_checklist, owner, org_b, outsider):
    """A check-in in each organisation, each with two closed rounds, an open one and done actions."""
    made = []
    for checklist, by in ((active_checklist, owner), (make_checklist(org_b, "Wards", outsider), outsider)):
        check_in = make_check_in(checklist, by=by)
        role = item_for(checklist, "Role ambiguity")
        asked = list(Statement.objects.filter(theme=role.finding.theme))
        for _ in range(2):
            make_closed_round(check_in, agree(asked, 5))
            make_mitigation(role, "An action done", status=MitigationStatus.DONE)
        make_mitigation(item_for(checklist, "Workload"), "Not done yet")
        check_ins.open_round(check_in=check_in, today=timezone.localdate())
        made.append((check_in, role))
    return made


def test_the_check_in_trends_read_the_rows_the_querysets_read(two_check_ins):
    for check_in, role in two_check_ins:
        checklist = check_in.checklist
        (found,) = same_rows(figures.CHECK_IN, checklist_id=checklist.pk)
        assert found == check_in
        rounds = same_rows(figures.ROUNDS, check_in_id=check_in.pk)
        assert rounds == list(check_in.rounds.order_by("number")) and len(rounds) == 3
        # Every round's statements and the closed rounds' tallies, as read for the rounds' ids.
        asked = same_rows(figures.ASKED, check_in_id=check_in.pk)
        assert asked == list(figures.asked_in_order(RoundStatement.objects.filter(round_id__in=[r.pk for r in rounds])))
        closed = [r.pk for r in rounds if r.is_closed]
        assert len(closed) == 2
        tallies = same_rows(figures.CLOSED_TALLIES, check_in_id=check_in.pk)
        assert sorted(tallies) == sorted(
            RoundTally.objects.filter(round_id__in=closed).values_list(*figures.TALLY_FIELDS)
        )
        # For one item: the check-in with that item's theme, where it asks about it.
        (asking,) = same_rows(figures.CHECK_IN_ASKING, checklist_id=checklist.pk, item_id=role.pk)
        assert asking == check_in and asking.asked_theme_id == role.finding.theme_id
        benefit = checklist.items.exclude(pk__in=check_in.items.all()).first()
        (asking,) = same_rows(figures.CHECK_IN_ASKING, checklist_id=checklist.pk, item_id=benefit.pk)
        assert asking == check_in and asking.asked_theme_id is None
        for queries, values in (
            (figures.ALL_ITEMS, {"check_in_id": check_in.pk}),
            (figures.ONE_ITEM, {"check_in_id": check_in.pk, "item_id": role.pk}),
        ):
            if "item_id" in values:
                themes = [(role.pk, role.finding.theme_id)]
            else:
                themes = same_rows(queries["themes"], **values)
                assert sorted(themes) == sorted(check_in.items.values_list("pk", "finding__theme_id"))
            links = same_rows(queries["done_links"], **values)
            expected_links = figures.done_links(
                Mitigation.items.through.objects.filter(item_id__in=[pk for pk, _ in themes])
            )
            assert sorted(links) == sorted(expected_links) and len(links) == 2
            history = same_rows(queries["done_history"], organisation_id=checklist.organisation_id, **values)
            done = [mitigation_id for _, mitigation_id in links]
            assert history == list(
                figures.done_history(Mitigation.history.filter(id__in=done, organisation_id=checklist.organisation_id))
            )
            # Another organisation's id reads none of this one's history.
            other = next(c for c, _ in two_check_ins if c != check_in).checklist.organisation_id
            assert queries["done_history"](organisation_id=other, **values) == []


def test_one_items_trend_is_the_one_of_every_items_trends(two_check_ins):
    for check_in, role in two_check_ins:
        every = figures.trends_for_items(check_in.checklist)
        assert figures.trends_for_items(check_in.checklist, item=role.pk) == {role.pk: every[role.pk]}
        assert every[role.pk].done_dates and len(every[role.pk].statements[0].rounds) == 2
        # An item the check-in does not ask about has no trend.
        benefit = check_in.checklist.items.exclude(pk__in=check_in.items.all()).first()
        assert figures.trends_for_items(check_in.checklist, item=benefit.pk) == {}


@pytest.fixture
def two_checklists(active_checklist, owner, org_b, outsider):
    """A checklist in each organisation with actions of every status, some adopted from suggestions (one
    twice), in phases and co-produced, some overdue."""
    made = []
    phases = list(ImplementationPhase.objects.all()[:2])
    suggestions = list(SuggestedMitigation.objects.published()[:2])
    today = timezone.localdate()
    for checklist in (active_checklist, make_checklist(org_b, "Wards", outsider)):
        role, workload = item_for(checklist, "Role ambiguity"), item_for(checklist, "Workload")
        for n, status in enumerate(MitigationStatus.values):
            make_mitigation(
                role if n % 2 else workload,
                f"Action {n}",
                status=status,
                due_date=today - timedelta(days=3 - n),
                phase=phases[n % 2] if phases else None,
                co_produced=bool(n % 2),
                suggestion=suggestions[n % 2] if n < 3 and suggestions else None,
            )
        made.append(checklist)
    return made


def test_the_checklist_pages_queries_read_the_rows_the_querysets_read(two_checklists):
    today = timezone.localdate()
    for checklist in two_checklists:
        for day in (today - timedelta(days=5), today, today + timedelta(days=5)):
            items = same_rows(pages.ITEMS, checklist_id=checklist.pk, today=day)
            expected = list(
                checklist.items.select_related("finding__theme__category")
                .with_coverage()
                .with_mitigation_counts()
                .with_overdue_counts(day)
                .in_published_order()
            )
            assert items == expected
            counted = ["is_covered", "is_done", "mitigation_count", "overdue_count"]
            counted += [f"{status}_count" for status in MitigationStatus.values]
            assert [[getattr(i, name) for name in counted] for i in items] == [
                [getattr(i, name) for name in counted] for i in expected
            ]
            assert any(i.overdue_count for i in items) == (day >= today)
        adopted = same_rows(pages.ADOPTED, checklist_id=checklist.pk)
        assert adopted == list(checklist.mitigations.filter(suggestion__isnull=False).values("suggestion_id"))
        assert len(adopted) == 3
        live = same_rows(insights.LIVE_BY_PHASE, checklist_id=checklist.pk)
        expected_live = (
            Mitigation.objects.filter(checklist=checklist)
            .live()
            .values("phase_id")
            .annotate(
                live=Count("pk"),
                co_produced=Count("pk", filter=Q(co_produced=True)),
                lived_experience_led=Count("pk", filter=Q(lived_experience_led=True)),
            )
            .order_by()
        )
        assert sorted(live, key=str) == sorted(expected_live, key=str) and sum(row["live"] for row in live) > 0
        # The findings offered: those of the organisation's evidence its checklist lacks.
        checklist.items.filter(finding__theme__name="Workload").delete()
        missing = same_rows(releases.MISSING, organisation_id=checklist.organisation_id, checklist_id=checklist.pk)
        assert missing == list(
            checklist_findings(checklist.organisation)
            .exclude(items__checklist=checklist)
            .select_related("theme__category__source")
        )
        assert {f.theme.name for f in missing} == {"Workload"}


def test_the_item_pages_actions_come_with_the_items_each_addresses(two_checklists, django_assert_num_queries):
    for checklist in two_checklists:
        role, boundaries = item_for(checklist, "Role ambiguity"), item_for(checklist, "Boundaries")
        for action in Mitigation.objects.filter(checklist=checklist)[:2]:
            action.items.add(boundaries)
        expected = list(
            role.mitigations.select_related("owner", "phase", "suggestion", "checklist")
            .prefetch_related(addressed_items())
            .order_by("created_at", "pk")
        )
        links = same_rows(pages.ITEM_ACTIONS_ADDRESSED, item_id=role.pk)
        # Their findings, themes and categories from those kept per evidence generation, as the page puts them.
        pages.with_findings([link.item for link in links], ("generation", "", ""))
        actions = pages._with_addressed(same_rows(pages.ITEM_ACTIONS, item_id=role.pk), links)
        assert actions == expected and len(actions) > 1
        with django_assert_num_queries(0):
            addressed = [[(i.pk, i.finding.theme.category.name) for i in action.items.all()] for action in actions]
            assert [[i.pk for i in action.addressed] for action in actions] == [
                [i.pk for i in action.addressed] for action in expected
            ]
            assert [action.theme_names for action in actions] == [action.theme_names for action in expected]
        assert addressed == [[(i.pk, i.finding.theme.category.name) for i in action.items.all()] for action in expected]
        assert any(len(items) == 2 for items in addressed)


def test_a_discussion_reads_what_its_querysets_read(
    two_checklists, owner, manager, planner, outsider, django_assert_num_queries
):
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    for checklist, by in zip(two_checklists, (planner, outsider), strict=True):
        organisation = checklist.organisation
        role = item_for(checklist, "Role ambiguity")
        action = role.mitigations.first()
        for target in ({"item": role}, {"mitigation": action}):
            comments.post_comment(body="First, for @Sam and @Pat", by=by, organisation=organisation, **target)
            comments.post_comment(body="No one named", by=by, organisation=organisation, **target)
            for name in ("kept.pdf", "removed.pdf"):
                attachments.add_attachment(
                    upload=SimpleUploadedFile(name, pdf), by=by, organisation=organisation, **target
                )
            removed = Attachment.objects.get(name="removed.pdf", **target)
            attachments.delete_attachment(attachment=removed, by=by, membership=by.memberships.get())
            shown = collaboration_pages.discussion(membership=None, **target)
            ((key, value),) = target.items()
            expected_comments = list(Comment.objects.filter(**target).for_listing())
            assert shown["comments"] == expected_comments
            with django_assert_num_queries(0):
                mentioned = [sorted(u.pk for u in comment.mentions.all()) for comment in shown["comments"]]
            assert mentioned == [sorted(u.pk for u in c.mentions.all()) for c in expected_comments]
            if organisation == owner.memberships.get().organisation:
                assert any(mentioned)  # Pat, the planner
            assert [c.as_html() for c in shown["comments"]] == [c.as_html() for c in expected_comments]
            assert shown["attachments"] == list(Attachment.objects.filter(**target).for_listing())
            assert [a.name for a in shown["attachments"]] == ["kept.pdf"]
            assert shown["removed_attachments"] == list(
                Attachment.history.filter(history_type="-", organisation_id=organisation.pk, **{f"{key}_id": value.pk})
                .select_related("history_user")
                .order_by("-history_date")
            )
            assert [a.name for a in shown["removed_attachments"]] == ["removed.pdf"]
            assert list(shown["mention_suggestions"]) == collaboration.mention_suggestions(organisation)
        queries = collaboration_pages.QUERIES["item"]
        same_rows(queries["comments"], target_id=role.pk)
        same_rows(queries["mentions"], target_id=role.pk)
        same_rows(queries["attachments"], target_id=role.pk)
        same_rows(queries["removed"], organisation_id=organisation.pk, target_id=role.pk)
        same_rows(collaboration_pages.MEMBERS, organisation_id=organisation.pk)
    # Each organisation's members to mention, and only theirs.
    names = [s["name"] for s in collaboration_pages.discussion(membership=None, item=role)["mention_suggestions"]]
    assert names == [s["name"] for s in collaboration.mention_suggestions(checklist.organisation)]
    assert outsider.get_full_name() in names or outsider.email in names
    assert not {owner.email, manager.email, planner.email} & set(names)


def test_the_item_timeline_reads_the_items_own_records_in_its_organisation(two_checklists):
    for checklist in two_checklists:
        role = item_for(checklist, "Role ambiguity")
        role.note, role.applies = "Seen in supervision", False
        role.save()
        records = same_rows(history.ITEM_RECORDS, organisation_id=checklist.organisation_id, item_id=role.pk)
        assert records == history._records(type(role), checklist.organisation_id, id=role.pk)
        assert len(records) == 2 and records[-1].note == "Seen in supervision"
        other = next(c for c in two_checklists if c != checklist).organisation_id
        assert history.ITEM_RECORDS(organisation_id=other, item_id=role.pk) == []
        (latest, _created) = history.item_timeline(role)
        assert "set note to “Seen in supervision”" in [change.phrase for change in latest.changes]
