"""Check-ins: setting one up, rounds opened and closed by the scheduled run, single-use links, tallies,
the threshold and the comments' rules."""

import pytest

from evidence.models import Statement
from peerplan.models import Answer, Round, RoundTally, RoundToken
from tests.factories import item_for, make_check_in, make_closed_round

pytestmark = pytest.mark.django_db


@pytest.fixture
def check_in(active_checklist, owner):
    return make_check_in(active_checklist, by=owner)


@pytest.fixture
def role_statements(active_checklist):
    return list(Statement.objects.filter(theme=item_for(active_checklist, "Role ambiguity").finding.theme))


def test_the_starter_bank_has_a_statement_for_every_challenge_of_table_6(table6):
    from tests.factories import challenge_theme_names

    themes = set(Statement.objects.published().values_list("theme__name", flat=True))
    assert set(challenge_theme_names()) <= themes


def test_a_closed_round_keeps_only_tallies(check_in, role_statements):
    first, second = role_statements
    round_ = make_closed_round(
        check_in, [{first: Answer.AGREE, second: Answer.DISAGREE}, {first: Answer.AGREE}], comments=["Thanks"]
    )
    assert round_.is_closed
    assert round_.answered_count == 2
    counts = dict(RoundTally.objects.filter(round=round_, statement=first).values_list("answer", "count"))
    assert counts[Answer.AGREE] == 2
    assert sum(counts.values()) == 2
    assert not RoundToken.objects.exists()
    assert Round.objects.get().comments.count() == 0  # comments were off
