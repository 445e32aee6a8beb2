"""Tests for evidence.parser against the published Table 6 seed.

Runs without Django: only the pure-stdlib parser is imported. The seed
is shipped in the repository, beside the parser: evidence/data/table6.txt.
"""

from collections import Counter
from pathlib import Path

import pytest

from evidence.parser import (
    STAKEHOLDER_GROUPS,
    SeedFormatError,
    parse_table6,
    stakeholder_group,
)

# The published Table 6, shipped beside the parser (evidence/data/README.md says where it comes from).
SEED = Path(__file__).resolve().parents[1] / "evidence" / "data" / "table6.txt"
HEADER = (
    "Skip to main content\n\nTable\u00a06 Experiences of peer support (overview of themes)\n\n"
    "From: Some title\n\nTheme\n\nBenefit/ challenge, references\n\nSummary and sample\n\n"
)


@pytest.fixture(scope="module")
def data():
    return parse_table6(SEED.read_text(encoding="utf-8"))


def themes(data):
    return [t for c in data["categories"] for t in c["themes"]]


def theme(data, name):
    return next(t for t in themes(data) if t["name"] == name)


def findings(data):
    return [f for t in themes(data) for f in t["findings"]]


def samples(data):
    return [s for f in findings(data) for s in f["samples"]]


def test_it_produces_the_interchange_format_with_keys_in_order(data):
    assert list(data) == ["format", "source", "references", "categories"]
    assert data["format"] == "peerplan-evidence/1"
    assert list(data["source"]) == [
        "title",
        "authors",
        "journal",
        "year",
        "volume",
        "article",
        "doi",
        "table",
        "caveat",
        "footnotes",
    ]


def test_it_reads_the_source_from_the_seed_header(data):
    source = data["source"]
    assert source["title"] == (
        "The effectiveness, implementation, and experiences of peer support "
        "approaches for mental health: a systematic umbrella review"
    )
    assert source["table"] == "Table 6 Experiences of peer support (overview of themes)"
    assert (source["journal"], source["year"], source["volume"], source["article"]) == (
        "BMC Medicine",
        2024,
        "22",
        "72",
    )
    assert source["doi"] == "10.1186/s12916-024-03260-y"
    assert source["caveat"] == ""


def test_it_parses_both_footnotes(data):
    assert data["source"]["footnotes"] == [
        {"mark": "PSW", "text": "Peer support worker"},
        {
            "mark": "a",
            "text": "For ‘mixed’ samples the specific sample that stated the theme is "
            "unknown (e.g. PSW or non-peer staff or both)",
        },
    ]


def test_it_finds_four_categories_with_nine_four_six_and_one_themes(data):
    assert [(c["name"], len(c["themes"])) for c in data["categories"]] == [
        ("What the PSW role can bring", 9),
        ("Confusion over the PSW role", 4),
        ("Organisational challenges and impact", 6),
        ("Other", 1),
    ]
    assert len(themes(data)) == 20


def test_it_lists_theme_names_in_published_order(data):
    assert [t["name"] for t in themes(data)] == [
        "Wellbeing and recovery",
        "Recovery and role models",
        "Career, social inclusion and identity",
        "Experiential knowledge, normalisation and stigma",
        "Isolation and validation",
        "Rapport and empathy with service users",
        "Bridge",
        "Pioneer and expectations",
        "Complementary role, expertise and becoming part of the team",
        "Role ambiguity",
        "Disclosure of peer status",
        "Boundaries",
        "Role conflict and professionalization",
        "Lack of support and training",
        "The value of the PSW role and low pay",
        "Workload",
        "Colleagues and stigma",
        "Challenges for healthcare staff/organisations",
        "Treatment models",
        "Offering treatment choice",
    ]


def test_it_counts_nine_benefits_sixteen_challenges_and_one_unlabelled_finding(data):
    assert Counter(f["valence"] for f in findings(data)) == {"benefit": 9, "challenge": 16, None: 1}


def test_it_finds_forty_two_samples(data):
    assert len(samples(data)) == 42
    assert Counter(s["group"] for s in samples(data)) == {
        "Mixed": 18,
        "PSWs": 12,
        "Service users": 6,
        "Peer support group members": 3,
        "Non-peer staff": 2,
        "Mental health organisations": 1,
    }


def test_it_keeps_the_offering_treatment_choice_finding_without_valence(data):
    (finding,) = theme(data, "Offering treatment choice")["findings"]
    assert finding["valence"] is None
    assert finding["references"] == [60]
    (sample,) = finding["samples"]
    assert sample["group"] == "Mixed"
    assert sample["summary"] == (
        "Service users should have opportunities to choose among PSWs as "
        "service providers. (service users, PSWs, carers, non-peer staff)."
    )


def test_it_keeps_role_ambiguity_finding_references_as_published(data):
    challenge = theme(data, "Role ambiguity")["findings"][1]
    assert challenge["valence"] == "challenge"
    assert challenge["references"] == [32, 38, 42, 43, 53, 54]
    assert [s["references"] for s in challenge["samples"]] == [[23, 34], [39, 55], [42, 63, 64]]


def test_it_joins_the_colleagues_and_stigma_continuation_paragraphs(data):
    mixed = theme(data, "Colleagues and stigma")["findings"][0]["samples"][-1]
    assert mixed["group"] == "Mixed"
    assert mixed["references"] == [39, 46, 64]
    assert mixed["summary"] == (
        "PSW roles could be a threat to other professionals’ roles, e.g. nurses suspicious they may be "
        "replaced. Non-peer staff were uneasy about working with people they had previously treated or "
        "PSWs seeing medical records, e.g. of other PSWs."
        "\n\n"
        "Concerns from healthcare professionals and policymakers over effectiveness and safety of peer "
        "support led to a lack of support and hostility from non-peer staff. Hence PSWs were accorded "
        "less respect and fewer responsibilities, with doubts consequently cast over their credibility."
        "\n\n"
        "PSWs felt uncomfortable talking about their role due to stigma, they challenged stigma by "
        "taking on more responsibility. Hierarchies in teams undermined PSWs feeling equal in meetings, "
        "they needed to find their voice to challenge clinically dominant ways of thinking. (PSW, "
        "service users, policy makers, peer programme developers, non-peer staff, mental health "
        "organisations, unspecified (in one study))."
    )


def test_it_keeps_a_nested_parenthesis_stakeholder_whole(data):
    mixed = theme(data, "Colleagues and stigma")["findings"][0]["samples"][-1]
    assert mixed["stakeholders"] == [
        "PSW",
        "service users",
        "policy makers",
        "peer programme developers",
        "non-peer staff",
        "mental health organisations",
        "unspecified (in one study)",
    ]


def test_it_reads_role_ambiguity_benefit_stakeholders_without_a_trailing_period(data):
    (sample,) = theme(data, "Role ambiguity")["findings"][0]["samples"]
    assert sample["summary"] == (
        "When PSWs were introduced, their role was ambiguous. This was positive as it gave flexibility "
        "to define the role (non-peer staff, PSWs, service users, policy makers, peer programme developers)"
    )
    assert sample["stakeholders"] == [
        "non-peer staff",
        "PSWs",
        "service users",
        "policy makers",
        "peer programme developers",
    ]


def test_it_gives_every_mixed_sample_stakeholders_and_no_other_sample_any(data):
    for sample in samples(data):
        assert bool(sample["stakeholders"]) == (sample["group"] == "Mixed"), sample["summary"]


def test_it_preserves_curly_quotes_and_published_wording(data):
    first = theme(data, "Wellbeing and recovery")["findings"][1]["samples"][0]
    assert "the ‘sick’ label" in first["summary"]
    assert first["summary"].startswith("the role could")
    stigma = theme(data, "Experiential knowledge, normalisation and stigma")
    organisations = stigma["findings"][0]["samples"][1]
    assert organisations["summary"].endswith("set a positive example to other sectors")


def test_it_lists_references_sorted_unique_including_finding_only_numbers(data):
    numbers = [r["number"] for r in data["references"]]
    assert numbers == sorted(set(numbers))
    assert {32, 38, 43, 53, 54} <= set(numbers)
    assert numbers == [23, 32, 34, 38, 39, 42, 43, 46, 49, 53, 54, 55, 60, 61, 63, 64]
    assert all(r["citation"] == "" for r in data["references"])


def test_it_maps_published_stakeholder_names_to_groups():
    assert stakeholder_group("PSW") == stakeholder_group("PSWs") == "PSWs"
    assert stakeholder_group("service users") == stakeholder_group("Service users") == "Service users"
    assert stakeholder_group("non-peer staff") == "Non-peer staff"
    assert stakeholder_group("Mental health organisations") == "Mental health organisations"
    assert stakeholder_group("carers") is None
    assert stakeholder_group("unspecified (in one study)") is None
    assert "Mixed" in STAKEHOLDER_GROUPS


def test_it_rejects_a_sample_line_before_any_theme():
    with pytest.raises(SeedFormatError, match=r"line 13: sample before any theme"):
        parse_table6(HEADER + "PSWs [23]: text")


def test_it_rejects_an_unknown_sample_group_naming_the_line():
    text = HEADER + "Other\n\n\u2003A theme\n\nBenefit [1]\n\nPSWs [1]: fine\n\nDoctors [1]: x\n"
    with pytest.raises(SeedFormatError, match=r"line 21: unknown sample group 'Doctors'"):
        parse_table6(text)
