"""seed_demo: a living demo organisation for newcomers, the same shape at scale, never duplicated;
and the benchmark's floor view, off unless asked for."""

from itertools import pairwise

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from evidence.models import Finding, Valence
from peerplan.models import (
    Checklist,
    ChecklistStatus,
    ImplementationPhase,
    Item,
    Membership,
    Mitigation,
    MitigationStatus,
    Organisation,
    Role,
    SuggestedMitigation,
)
from peerplan.operations.demo import DEMO_PASSWORD
from tests.factories import make_own_source

pytestmark = pytest.mark.django_db


def seed(*args):
    from io import StringIO

    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def findings(valence):
    return Finding.objects.filter(valence=valence).count()


def test_the_demo_organisation_has_a_member_in_each_role_who_can_sign_in(client):
    output = seed()

    organisation = Organisation.objects.get(slug="riverside-demo")
    assert organisation.name == "Riverside Community Mental Health Service"
    roles = dict(Membership.objects.filter(organisation=organisation).values_list("user__username", "role"))
    assert roles == {
        "owner@demo.peerplan.test": Role.OWNER,
        "manager@demo.peerplan.test": Role.MANAGER,
        "planner@demo.peerplan.test": Role.PLANNER,
        "viewer@demo.peerplan.test": Role.VIEWER,
    }
    for username in roles:
        assert username in output
    assert DEMO_PASSWORD in output
    response = client.post("/accounts/login/", {"login": "viewer@demo.peerplan.test", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(get_user_model().objects.get(username="viewer@demo.peerplan.test").pk)


def test_the_demo_has_a_checklist_in_each_status():
    seed()

    statuses = set(Checklist.objects.filter(organisation__slug="riverside-demo").values_list("status", flat=True))
    assert statuses == set(ChecklistStatus.values)


def test_the_demo_has_actions_in_every_status_with_owners_due_dates_and_phases():
    seed()

    mitigations = Mitigation.objects.filter(checklist__organisation__slug="riverside-demo")
    assert set(mitigations.values_list("status", flat=True)) == set(MitigationStatus.values)
    assert mitigations.filter(owner__isnull=False).exists()
    assert mitigations.exclude(owner_name="").exists()
    assert mitigations.filter(phase__isnull=True).count() == 0
    assert set(ImplementationPhase.objects.values_list("name", flat=True)) >= {
        "Preparation",
        "Recruitment",
        "Employment",
        "Ongoing development",
    }
    # Only the members who can edit own actions.
    owner_roles = set(
        Membership.objects.filter(user__mitigations__in=mitigations).values_list("role", flat=True).distinct()
    )
    assert owner_roles == {Role.OWNER, Role.MANAGER, Role.PLANNER}


def test_some_demo_actions_are_overdue_today_and_some_are_not():
    seed()

    today = timezone.localdate()
    mitigations = Mitigation.objects.filter(checklist__organisation__slug="riverside-demo")
    overdue = mitigations.overdue(today)
    assert overdue.exists()
    assert all(m.is_overdue(today) for m in overdue)
    assert mitigations.filter(status=MitigationStatus.PLANNED, due_date__gt=today).exists()


def test_each_checklist_has_an_item_for_every_challenge_and_benefit_as_a_new_checklist_would():
    seed()

    for checklist in Checklist.objects.filter(organisation__slug="riverside-demo"):
        items = Item.objects.filter(checklist=checklist)
        assert items.challenges().count() == findings(Valence.CHALLENGE)
        assert items.filter(finding__valence=Valence.BENEFIT).count() == findings(Valence.BENEFIT)
        not_applicable = items.challenges().filter(applies=False)
        assert not_applicable.count() == 2
        for item in not_applicable:
            assert item.not_applicable_reason
            assert item.rereview_on is not None
            assert not item.mitigations.exists()
        assert items.filter(finding__valence=Valence.BENEFIT, applies=True).count() == 3


def test_demo_rows_have_their_first_history_entry():
    seed()

    demo = Mitigation.objects.filter(checklist__organisation__slug="riverside-demo")
    for mitigation in demo:
        types = [h.history_type for h in mitigation.history.order_by("history_date", "history_id")]
        assert types[0] == "+" and set(types[1:]) <= {"~"}
    # The newest record of each action is what it is today; it was created when its first record says.
    for mitigation in demo:
        latest = mitigation.history.latest("history_date", "history_id")
        assert (latest.status, latest.due_date) == (mitigation.status, mitigation.due_date)
        assert mitigation.created_at == mitigation.history.earliest("history_date", "history_id").history_date
    for checklist in Checklist.objects.filter(organisation__slug="riverside-demo"):
        assert checklist.created_at == checklist.history.earliest("history_date").history_date


# The demo's history: six months of a service's work ------------------------------------------------------


def _days_ago(moment):
    return (timezone.localdate() - timezone.localdate(moment)).days


def test_the_demo_history_goes_back_about_six_months():
    from django.db.models import Min

    seed()
    for model in (Checklist, Item, Mitigation):
        records = model.history.filter(organisation__slug="riverside-demo")
        oldest = records.aggregate(oldest=Min("history_date"))["oldest"]
        assert 180 <= _days_ago(oldest) <= 200, model


def test_the_demo_actions_are_created_started_done_and_moved_on_days_spread_over_the_months():
    seed()
    records = Mitigation.history.filter(organisation__slug="riverside-demo")
    created = [_days_ago(r.history_date) for r in records.filter(history_type="+")]
    changed = [_days_ago(r.history_date) for r in records.filter(history_type="~")]
    # Actions made across the half year, not on one day: some in each two-month stretch.
    assert all(any(low <= ago < low + 60 for ago in created) for low in (7, 67, 127))
    assert all(any(low <= ago < low + 45 for ago in changed) for low in (0, 45, 90))
    statuses = set(records.filter(history_type="~").values_list("status", flat=True))
    assert statuses >= {"in_progress", "done", "blocked", "dropped"}
    # Some due dates were moved on: the same action with two due dates in its history.
    moved = [
        m
        for m in Mitigation.objects.filter(checklist__organisation__slug="riverside-demo")
        if len(set(m.history.values_list("due_date", flat=True))) > 1
    ]
    assert moved


def test_an_overdue_demo_action_was_created_before_it_was_due():
    seed()
    today = timezone.localdate()
    overdue = Mitigation.objects.filter(checklist__organisation__slug="riverside-demo", due_date__lt=today)
    assert overdue.exists()
    for action in overdue:
        created = action.history.earliest("history_date", "history_id")
        assert timezone.localdate(created.history_date) < created.due_date <= action.due_date


def test_the_demo_progress_charts_rise_over_the_six_months_rather_than_jump_on_the_last_day():
    from peerplan.pages import dashboard

    seed()
    organisation = Organisation.objects.get(slug="riverside-demo")
    trend = dashboard.organisation_progress(organisation, timezone.localdate(), 6)["trend"]
    before_last_month = [p for p in trend.points if (timezone.localdate() - p.day).days > 31]
    for series in ("actions", "done", "overdue", "planned_for", "covered_done"):
        assert any(getattr(p, series) for p in before_last_month), series
    # Rising steadily: the scope grows in at least half of the steps, never all at once.
    actions = [p.actions for p in trend.points]
    assert sum(1 for a, b in pairwise(actions) if b > a) >= len(actions) // 2
    assert max(b - a for a, b in pairwise(actions)) < actions[-1] / 2


def test_the_demo_decisions_were_taken_in_the_weeks_after_each_checklist_was_made():
    seed()
    for checklist in Checklist.objects.filter(organisation__slug="riverside-demo"):
        made = _days_ago(checklist.history.earliest("history_date").history_date)
        decided = [_days_ago(i.decided_at) for i in checklist.items.decided()]
        assert decided and all(made - 45 <= ago < made for ago in decided)
        # Each decision is in the item's history: undecided when made, decided that day.
        item = checklist.items.decided().first()
        first, last = item.history.order_by("history_date", "history_id")
        assert first.decided_at is None and last.decided_at == item.decided_at


def test_demo_actions_adopt_suggested_mitigations_for_their_theme_when_there_are_any():
    SuggestedMitigation.objects.all().delete()  # only this one, so the test knows what to look for
    suggestion = SuggestedMitigation.objects.create(
        title="Agree a role description", provenance="curator", is_published=True, source_note="Curators, 2026"
    )
    theme = Finding.objects.filter(valence=Valence.CHALLENGE).first().theme
    suggestion.themes.add(theme)

    seed()

    adopted = Mitigation.objects.filter(suggestion=suggestion)
    assert adopted.exists()
    assert all(
        [item.finding.theme_id for item in m.items.all()] == [theme.pk] and m.action == suggestion.title
        for m in adopted
    )


def test_running_it_twice_creates_nothing_the_second_time():
    seed()
    counts = (Organisation.objects.count(), get_user_model().objects.count(), Mitigation.objects.count())

    history = (Mitigation.history.count(), Item.history.count(), Checklist.history.count())

    output = seed()

    assert "already here" in output
    assert (
        Organisation.objects.count(),
        get_user_model().objects.count(),
        Mitigation.objects.count(),
    ) == counts
    assert (Mitigation.history.count(), Item.history.count(), Checklist.history.count()) == history


def test_the_scale_options_produce_exact_counts():
    seed("--orgs", "3", "--checklists-per-org", "4", "--actions-per-item", "3")

    challenges, benefits = findings(Valence.CHALLENGE), findings(Valence.BENEFIT)
    assert Organisation.objects.count() == 3
    assert Membership.objects.count() == 3 * 4
    assert Checklist.objects.count() == 3 * 4
    assert Item.objects.count() == 3 * 4 * (challenges + benefits)
    # Actions on every item that applies: all challenges but two, and three benefits.
    assert Mitigation.objects.count() == 3 * 4 * (challenges - 2 + 3) * 3
    assert (challenges, benefits) == (16, 9)  # Table 6 as published
    assert get_user_model().objects.filter(username="owner@org-0003.demo.peerplan.test").exists()


def test_a_larger_run_adds_only_the_missing_organisations():
    seed("--orgs", "2", "--checklists-per-org", "1", "--actions-per-item", "1")

    output = seed("--orgs", "3", "--checklists-per-org", "1", "--actions-per-item", "1")

    assert "2 demo organisations already existed" in output
    assert Organisation.objects.count() == 3
    assert Checklist.objects.count() == 3


def test_the_floor_is_not_found_unless_the_benchmark_turns_it_on(client, settings):
    # Production's settings and URL map have no floor; the benchmark's own settings (bench/settings.py)
    # route it through bench/urls.py.
    assert client.get("/bench/floor").status_code == 404
    assert not hasattr(settings, "BENCH_FLOOR")

    settings.ROOT_URLCONF = "bench.urls"
    response = client.get("/bench/floor")
    assert response.status_code == 200
    assert response.content == b"ok"
    # Through the same middleware as every page.
    assert "Content-Security-Policy" in response.headers
    assert response.headers["X-Frame-Options"] == "DENY"
    # And every page of PeerPlan is still there.
    assert client.get("/evidence/").status_code == 200


def test_the_benchmark_settings_are_productions_with_the_benchmarks_url_map():
    import bench.settings
    import peerplan.settings

    assert bench.settings.ROOT_URLCONF == "bench.urls"
    assert bench.settings.MIDDLEWARE == peerplan.settings.MIDDLEWARE


def test_a_leftover_demo_account_stops_it_with_a_clear_message_and_nothing_half_made():
    from django.core.management.base import CommandError

    get_user_model().objects.create_user(username="owner@demo.peerplan.test", password="x")

    with pytest.raises(CommandError, match="already exists without its demo organisation"):
        seed()

    assert not Organisation.objects.exists()
    assert not Checklist.objects.exists()


def test_the_demo_plans_from_published_evidence_only(org_a):
    """An organisation's own evidence never goes into the demo organisations' checklists."""
    survey = make_own_source(org_a, summary="x", theme="Debrief", title="Ours")
    seed("--orgs", "1", "--checklists-per-org", "1", "--actions-per-item", "1")

    demo_items = Item.objects.exclude(checklist__organisation=org_a)
    assert demo_items.exists()
    assert not demo_items.filter(finding__theme__category__source=survey).exists()
    assert demo_items.challenges().count() == 16  # Table 6's challenges, as a new checklist of another service has


# The demo check-in ----------------------------------------------------------------------------------------


def test_the_demo_checklist_has_a_check_in_with_three_past_rounds_of_real_answers():
    from peerplan.models import CheckIn, RoundTally

    seed()
    check_in = CheckIn.objects.get(checklist__organisation__slug="riverside-demo")
    rounds = list(check_in.rounds.order_by("number"))
    assert [r.number for r in rounds] == [1, 2, 3]
    assert all(r.is_closed and r.closes_on < timezone.localdate() for r in rounds)
    assert all(r.answered_count == 8 and r.asked_count == 0 for r in rounds)  # answered through tokens, none sent
    # Every statement's tallies add up to the eight who answered: what eight real answers make.
    for round_ in rounds:
        for statement in round_.asked.values_list("statement_id", flat=True):
            counts = RoundTally.objects.filter(round=round_, statement_id=statement).values_list("count", flat=True)
            assert sum(counts) == 8


def test_the_demo_answers_improve_on_two_challenges_after_their_actions_were_done():
    from peerplan.figures import check_ins as figures
    from peerplan.models import CheckIn

    seed()
    check_in = CheckIn.objects.get(checklist__organisation__slug="riverside-demo")
    trends = figures.trends_for_items(check_in.checklist)
    first, second, _ = check_in.rounds.order_by("number")
    # The third challenge has actions done too (today, by the demo's statuses): not between the rounds.
    improving = [t for t in trends.values() if any(day < second.opens_on for day in t.done_dates)]
    assert len(improving) == 2
    for trend in improving:
        assert all(first.closes_on < day < second.opens_on for day in trend.done_dates)
        for statement in trend.statements:
            before, after, latest = (r.agreeing_percent for r in statement.rounds)
            assert before < after <= latest
        item = check_in.items.get(pk=trend.item_id)
        assert not item.mitigations.exclude(status__in=[MitigationStatus.DONE, MitigationStatus.DROPPED]).exists()


def test_the_demo_dashboard_and_network_page_show_the_check_in(client):
    seed()
    client.post("/accounts/login/", {"login": "owner@demo.peerplan.test", "password": DEMO_PASSWORD})
    dashboard = client.get("/app/orgs/riverside-demo/dashboard/").content.decode()
    section = dashboard.partition('id="answers"')[2].partition("</section>")[0]
    worse = section.partition('id="answers-worse-list"')[2].partition('id="answers-not-improved"')[0]
    assert "63% agreeing in round 2, 38% in round 3" in worse  # five of eight (62.5, a half up), then three of eight
    assert 'id="answers-not-improved-list"' not in dashboard  # the two whose actions are done improved
    network = client.get("/app/networks/demo-network/").content.decode()
    shared = network.partition('id="check-ins-heading"')[2].partition("</section>")[0]
    assert "round 3, 88% agreeing" in shared
