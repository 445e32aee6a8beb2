"""The public evidence pages: what a reader sees, the filters, and a fixed number of queries."""

import html
import re

import pytest

from evidence import cache
from evidence.models import Category, Finding, Perspective, Reference, Source, Theme

COLLEAGUES_MIXED = (
    "PSW roles could be a threat to other professionals’ roles, e.g. nurses suspicious they may be replaced. "
    "Non-peer staff were uneasy about working with people they had previously treated or PSWs seeing medical "
    "records, e.g. of other PSWs.\n\nConcerns from healthcare professionals and policymakers over "
    "effectiveness and safety of peer support led to a lack of support and hostility from non-peer staff."
)
ROLE_AMBIGUITY_SERVICE_USERS = (
    "Some service users perceived a lack of clarity on the PSWs' roles: PSWs were viewed as informal staff "
    "who were replaceable, leading to negative perceptions of the PSW services."
)
FOOTNOTE = (
    "For ‘mixed’ samples the specific sample that stated the theme is unknown (e.g. PSW or non-peer staff or both)"
)


def page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status
    return html.unescape(response.content.decode())


def theme_titles(text):
    """The themes the page lists, in order (each theme's heading link)."""
    return re.findall(r'<h3 class="h5"><a href="/evidence/themes/[^"]+/">([^<]+)</a></h3>', text)


def test_the_index_needs_no_sign_in_and_lists_the_categories_in_published_order(client, db):
    text = page(client, "/evidence/")
    positions = [
        text.index(f">{name}</h2>")
        for name in [
            "What the PSW role can bring",
            "Confusion over the PSW role",
            "Organisational challenges and impact",
            "Other",
        ]
    ]
    assert positions == sorted(positions)
    assert len(theme_titles(text)) == 20
    assert theme_titles(text)[:2] == ["Wellbeing and recovery", "Recovery and role models"]
    assert text.count("<h1") == 1


def test_each_theme_shows_benefit_challenge_or_none_in_words_and_who_spoke(client, db):
    text = page(client, "/evidence/")
    card = text[text.index(">Complementary role, expertise") : text.index(">Role ambiguity<")]
    assert ">Benefit</span>" in card and ">Challenge</span>" in card
    assert "Mixed samples" in card and "naming: PSWs, Service users, Non-peer staff" in card
    offering = text[text.index(">Offering treatment choice<") :]
    assert ">None given</span>" in offering[:600]
    treatment = text[text.index(">Treatment models<") : text.index(">Offering treatment choice<")]
    assert "Samples: PSWs" in treatment and "Mixed samples" not in treatment
    assert FOOTNOTE in text


def test_the_index_and_theme_pages_show_the_curated_caveat_and_provenance(client, db):
    for url in ["/evidence/", "/evidence/themes/workload/"]:
        text = page(client, url)
        assert "About the strength of this evidence:" in text
        assert "(97%) were rated low or critically low quality" in text
        assert 'id="provenance"' in text
        assert "How to cite:</strong> Cooper RE et al. The effectiveness, implementation, and experiences" in text
        assert "doi:10.1186/s12916-024-03260-y" in text


def test_the_caveat_comes_from_the_source_row_so_curators_can_change_it(client, db):
    Source.objects.update(caveat="Curators' new wording of the caveat.")
    cache.bump()
    assert "Curators' new wording of the caveat." in page(client, "/evidence/themes/workload/")
    assert "(97%)" not in page(client, "/evidence/")


def test_service_users_and_challenge_include_own_samples_and_mixed_samples_naming_them(client, db):
    text = page(client, "/evidence/?group=Service+users&valence=challenge")
    titles = theme_titles(text)
    assert "Role ambiguity" in titles  # a Service users sample of its own
    assert "Colleagues and stigma" in titles  # through a Mixed sample naming service users
    assert "Workload" in titles  # only through its Mixed sample "(non-peer staff, PSWs, service users, ...)"
    assert "Treatment models" not in titles  # PSWs only
    assert "Bridge" not in titles  # a benefit
    assert ROLE_AMBIGUITY_SERVICE_USERS in text
    assert "PSW workload could be overwhelming." in text
    # The matching findings only: Role ambiguity's benefit is not shown.
    assert "This was positive as it gave flexibility to define the role" not in text
    assert f"{len(titles)} of 20 themes match these filters." in text
    # The filter state is kept in the form, so the URL can be shared.
    assert '<option value="Service users" selected>' in text
    assert '<option value="challenge" selected>' in text


def test_a_group_matches_only_perspectives_that_speak_for_it(client, db):
    titles = theme_titles(page(client, "/evidence/?group=Peer+support+group+members"))
    assert titles == ["Recovery and role models", "Isolation and validation"]


def test_none_given_finds_the_finding_without_a_valence(client, db):
    assert theme_titles(page(client, "/evidence/?valence=none")) == ["Offering treatment choice"]


def test_a_reference_cited_only_by_a_finding_still_finds_it(client, db):
    # Role ambiguity's challenge cites [32]; none of its samples does (kept as published).
    assert theme_titles(page(client, "/evidence/?ref=32")) == ["Role ambiguity"]
    assert theme_titles(page(client, "/evidence/?ref=49")) == [
        "Recovery and role models",
        "Isolation and validation",
    ]


def test_search_is_case_insensitive_and_combines_with_other_filters(client, db):
    assert theme_titles(page(client, "/evidence/?q=HOUSEHOLD+tasks")) == ["Workload"]
    assert theme_titles(page(client, "/evidence/?q=household&valence=benefit")) == []


def test_filters_that_match_nothing_say_so_with_a_way_back(client, db):
    text = page(client, "/evidence/?q=zzzz-nothing")
    assert "No themes match these filters." in text
    assert '<a href="/evidence/">Clear the filters</a>' in text
    assert theme_titles(text) == []


@pytest.mark.parametrize(
    "query, message",
    [
        ("ref=abc", "“abc” is not a reference number: use a whole number such as 23."),
        ("group=Doctors", "“Doctors” is not a stakeholder group in the evidence"),
        (
            "valence=maybe",
            "“maybe” is not a kind of finding: choose benefit, challenge, facilitator, barrier or none given.",
        ),
        ("ref=-3", "“-3” is not a reference number"),
        ("ref=" + "9" * 5000, "is not a reference number"),  # more digits than int() reads: was a 500
        ("q=" + "x" * 201, "Search text can be at most 200 characters"),
    ],
)
def test_invalid_filter_values_get_a_clear_message_and_no_error(client, db, query, message):
    text = page(client, f"/evidence/?{query}")
    assert message in text
    assert "Some filters could not be used." in text
    assert 'aria-invalid="true"' in text


def test_an_invalid_value_is_ignored_while_the_valid_filters_apply(client, db):
    titles = theme_titles(page(client, "/evidence/?ref=abc&valence=none"))
    assert titles == ["Offering treatment choice"]


def test_the_filter_controls_are_labelled(client, db):
    text = page(client, "/evidence/")
    for control in ["filter-q", "filter-valence", "filter-group", "filter-ref"]:
        assert f'<label for="{control}"' in text
        assert f'id="{control}"' in text
    assert 'method="get"' in text


def test_a_theme_page_shows_every_finding_and_perspective_exactly_as_published(client, db):
    text = page(client, "/evidence/themes/colleagues-and-stigma/")
    assert text.count("<h1") == 1
    assert "<h1>Colleagues and stigma</h1>" in text
    assert "Category: Organisational challenges and impact" in text
    # Paragraph breaks are kept inside the published text (the CSS shows them).
    assert f'<p class="published-text">{COLLEAGUES_MIXED}' in text
    assert text.count('class="published-text"') == 3
    assert ">Challenge</span>" in text
    assert '<a class="ref-doi" href="https://doi.org/' in text and ">[46]<span" in text  # no citation yet
    assert FOOTNOTE in text
    assert 'id="footnote-a"' in text


def test_a_theme_page_lists_curated_references_and_links_the_others_to_the_review(client, db):
    Reference.objects.filter(number=64).update(citation="Example A. A review of peer roles. 2020.")
    text = page(client, "/evidence/themes/workload/")
    assert '<li id="ref-64"' in text
    assert '<li id="ref-64" class="mb-2">[64] Example A. A review of peer roles. 2020.' in text
    assert 'href="#ref-64">[64]</a>' in text  # a curated reference links to its citation below
    role = page(client, "/evidence/themes/role-ambiguity/")
    # Until a curator adds its citation, a reference is a compact link to the review's reference list
    # (its DOI), and no empty "citation not yet added" line is listed.
    assert "citation not yet added" not in role and '<li id="ref-32"' not in role
    doi = Source.objects.get().doi_url
    assert (
        f'<a class="ref-doi" href="{doi}">[32]<span class="visually-hidden"> (in the review’s reference list)' in role
    )
    assert 'href="/evidence/?ref=32">[32]</a>' in role


def test_the_footnote_appears_only_where_mixed_appears(client, db):
    assert FOOTNOTE not in page(client, "/evidence/themes/treatment-models/")


def test_an_unknown_theme_is_a_404_page(client, db):
    text = page(client, "/evidence/themes/no-such-theme/", status=404)
    assert "Page not found" in text


def _grow_evidence(extra_themes):
    """Add themes with findings, perspectives and references, as a bigger release would."""
    source = Source.objects.get()
    category = Category.objects.create(source=source, name="Extra", slug="extra", position=9)
    reference = Reference.objects.create(source=source, number=900)
    for n in range(extra_themes):
        theme = Theme.objects.create(category=category, name=f"Extra theme {n}", slug=f"extra-{n}", position=n)
        for valence in ["benefit", "challenge"]:
            finding = Finding.objects.create(theme=theme, valence=valence, position=1)
            finding.references.add(reference)
            for position in range(3):
                perspective = Perspective.objects.create(
                    finding=finding, group="Mixed", position=position, summary="Text", stakeholders=["PSWs"]
                )
                perspective.references.add(reference)
    cache.bump()


@pytest.mark.parametrize("extra_themes", [0, 40])
def test_the_evidence_pages_run_a_fixed_number_of_queries(client, db, django_assert_num_queries, extra_themes):
    _grow_evidence(extra_themes)
    # The index reads the published sources (1); a theme page has its source with its theme, and reads its
    # related themes of other sources with theirs (1).
    # At the plain addresses the page was first looked for whole, before the view (one more read, on a miss
    # only: peerplan.middleware.PublicPagesForEveryone).
    urls = {
        "/evidence/": 1 + 11,
        "/evidence/?group=Service+users&valence=challenge&q=role": 11,
        "/evidence/themes/workload/": 1 + 11,
    }
    for url, queries in urls.items():
        # Not cached yet, for a reader who is not signed in: the generation and the page in one read (1),
        # themes+categories+sources, findings, their references, perspectives, their references (5), the
        # published sources on the index (1), then storing the page (the cull's count, then the upsert in a
        # savepoint: 4).
        with django_assert_num_queries(queries):
            assert client.get(url).status_code == 200
        # Cached: the generation and the whole page, in one read.
        with django_assert_num_queries(1):
            assert client.get(url).status_code == 200


def test_a_signed_in_reader_gets_their_own_page_around_the_cached_evidence(client, planner):
    assert "Sign in" in client.get("/evidence/themes/workload/").content.decode()
    client.force_login(planner)
    signed_in = client.get("/evidence/themes/workload/").content.decode()
    assert "Sign out" in signed_in and "PSW workload could be overwhelming." in signed_in
    client.logout()
    anonymous = client.get("/evidence/themes/workload/").content.decode()
    assert "Sign out" not in anonymous and "Sign in" in anonymous


def test_the_unfiltered_index_is_read_without_a_form_and_means_the_same():
    from django.http import QueryDict

    from evidence.forms import EvidenceFilterForm, evidence_filter

    # The same filter, so the same cached page, as the form gives for an empty query string.
    assert evidence_filter(QueryDict()) == EvidenceFilterForm(QueryDict()).evidence_filter()
    assert evidence_filter(QueryDict()).cache_parts() == EvidenceFilterForm(QueryDict()).evidence_filter().cache_parts()
    assert evidence_filter(QueryDict("q=peer")).q == "peer"
