"""The curators' admin says which source everything comes from and where it stands, links related evidence
only across sources, and frightens nobody: no delete icons beside pickers, refusals in plain words with
counts, readable delete pages, footnotes as fields and a warning beside a slug. The second source is the
invented test fixture, never real evidence."""

import html
import re
from html.parser import HTMLParser

import pytest

from evidence.interchange import export_evidence, import_evidence
from evidence.models import Category, Finding, Reference, Source, Theme
from peerplan.models import Checklist, Item, SuggestedMitigation
from tests.worlds import framework, version_2

FIXTURE = "Example framework (test fixture)"
TABLE_6 = "Cooper et al. 2024, Table 6"


class _Form(HTMLParser):
    """The fields a browser would send for the page's main form, as it stands."""

    def __init__(self):
        super().__init__()
        self.fields, self._select, self._textarea, self._in_form = [], None, None, False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("method", "").lower() == "post" and "id" in attrs:
            self._in_form = True
        if not self._in_form:
            return
        if tag == "input" and attrs.get("name"):
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            if kind not in ("submit", "button", "file", "image"):
                self.fields.append([attrs["name"], attrs.get("value", "on" if kind == "checkbox" else "")])
        elif tag == "select":
            self._select = attrs.get("name")
        elif tag == "option" and self._select and "selected" in attrs:
            self.fields.append([self._select, attrs.get("value", "")])
        elif tag == "textarea":
            self._textarea = attrs.get("name")
            self.fields.append([self._textarea, ""])

    def handle_data(self, data):
        if self._textarea:
            self.fields[-1][1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.fields[-1][1] = self.fields[-1][1].removeprefix("\n")
            self._textarea = None


def form_of(client, url, **changes):
    """The admin form at `url` as a browser would send it, with `changes` (a list replaces every value)."""
    parser = _Form()
    parser.feed(client.get(url).content.decode())
    data = {}
    for name, value in parser.fields:
        data.setdefault(name, []).append(value)
    for name, value in changes.items():
        data[name] = value if isinstance(value, list) else [value]
    return data


def text_of(response):
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


def rows_of(response):
    """The list's rows, as text."""
    text = text_of(response)
    return text[text.index("<tbody>") : text.index("</tbody>")]


@pytest.fixture
def curator_client(client, curator):
    client.force_login(curator)
    return client


@pytest.fixture
def two_sources(db):
    import_evidence(framework())
    return Theme.objects.get(name="Workload"), Theme.objects.get(name="Protected time for reflection")


def related_boxes(text):
    return set(re.findall(r'name="related" value="(\d+)"', text))


# Related evidence


def test_the_related_field_offers_only_other_sources_themes_grouped_by_source(curator_client, two_sources):
    workload, reflection = two_sources
    text = curator_client.get(f"/admin/evidence/theme/{workload.pk}/change/").content.decode()
    offered = related_boxes(text)
    assert str(reflection.pk) in offered
    assert offered == {
        str(pk) for pk in Theme.objects.filter(category__source__slug="example-framework").values_list("pk", flat=True)
    }
    assert str(workload.pk) not in offered
    assert f"<legend>{FIXTURE}</legend>" in text
    related = text[text.index('id="id_related"') : text.index("inline-group")]
    assert f"<legend>{TABLE_6}</legend>" not in related


def test_a_link_within_one_source_is_refused_in_plain_words(curator_client, two_sources):
    workload, _ = two_sources
    role = Theme.objects.get(name="Role ambiguity")
    url = f"/admin/evidence/theme/{workload.pk}/change/"
    response = curator_client.post(url, form_of(curator_client, url, related=[str(role.pk)]))
    assert response.status_code == 200
    assert (
        "“Role ambiguity” is in the same source as this theme (Cooper et al. 2024, Table 6). Related evidence links "
        "themes of different sources: a link within one source would be shown nowhere."
    ) in text_of(response)
    assert not workload.related.exists()


def test_a_link_across_sources_saves_and_is_listed_on_both_themes(curator_client, two_sources):
    workload, reflection = two_sources
    url = "/admin/evidence/reference/"
    url = f"/admin/evidence/theme/{workload.pk}/change/"
    response = curator_client.post(url, form_of(curator_client, url, related=[str(reflection.pk)]))
    assert response.status_code == 302, text_of(response)[-3000:]
    # Made from Workload's side, listed on Protected time for reflection's.
    text = text_of(curator_client.get(f"/admin/evidence/theme/{reflection.pk}/change/"))
    assert f'<a href="/admin/evidence/theme/{workload.pk}/change/">Workload</a> · {TABLE_6}' in text
    assert re.search(f'name="related" value="{workload.pk}" id="[^"]+" checked', text)


def test_the_release_check_finds_the_themes_that_are_in_the_database(two_sources):
    workload, reflection = two_sources
    # Linked in the admin before the fix: one across sources, one within Table 6 (shown nowhere).
    workload.related.add(reflection, Theme.objects.get(name="Role ambiguity"))
    data = export_evidence(Source.objects.filter(slug="cooper-2024-table-6"))
    [table6] = data["sources"]
    exported = next(t for c in table6["categories"] for t in c["themes"] if t["name"] == "Workload")
    assert exported["related"] == [{"source": "example-framework", "theme": "Protected time for reflection"}]
    table6["version"] = 2
    report = import_evidence(data, dry_run=True)
    assert report.sources[0].related_skipped == 0
    assert not any("not here" in line for line in report.lines())

    # A file that still carries a link within its own source says so, not that the theme is missing.
    exported["related"].append({"source": "cooper-2024-table-6", "theme": "Role ambiguity"})
    report = import_evidence(data, dry_run=True)
    assert (report.sources[0].related_skipped, report.sources[0].related_within) == (0, 1)
    assert "  1 related-evidence links ignored (within this source)" in report.lines()


def test_the_public_theme_page_shows_related_themes_of_other_sources_with_their_source(client, two_sources):
    workload, reflection = two_sources
    workload.related.add(reflection)
    text = text_of(client.get("/evidence/themes/workload/"))
    assert "Related evidence from other sources" in text
    assert (
        '<a href="/evidence/themes/protected-time-for-reflection/">Protected time for reflection</a> '
        f"(Domain: Inner setting) · from {FIXTURE}, version 1"
    ) in text
    # And from the other side.
    assert '<a href="/evidence/themes/workload/">Workload</a>' in text_of(
        client.get("/evidence/themes/protected-time-for-reflection/")
    )


# Lists with source and state


def test_lists_show_the_source_and_filter_by_it(curator_client, two_sources):
    fixture = Source.objects.get(slug="example-framework")
    for model, path in [
        ("theme", "category__source"),
        ("finding", "theme__category__source"),
        ("perspective", "finding__theme__category__source"),
        ("category", "source"),
        ("reference", "source"),
    ]:
        text = text_of(curator_client.get(f"/admin/evidence/{model}/"))
        assert 'data-label="Source" class="field-source' in text and FIXTURE in text and TABLE_6 in text, model
        assert "By source" in text, model
        rows = rows_of(curator_client.get(f"/admin/evidence/{model}/?{path}__id__exact={fixture.pk}"))
        assert FIXTURE in rows and TABLE_6 not in rows, model
        assert rows and all(TABLE_6 not in row for row in rows), model


def test_findings_and_perspectives_show_their_state_and_filter_by_it(curator_client, two_sources):
    import_evidence(version_2())  # retires "Protected time for reflection"
    retired = Finding.objects.get(theme__name="Protected time for reflection")
    rows = rows_of(curator_client.get("/admin/evidence/finding/?state=retired"))
    assert 'data-label="State" class="field-state">Retired in version 2' in rows and "Published" not in rows
    assert f"/admin/evidence/finding/{retired.pk}/change/" in rows
    rows = rows_of(curator_client.get("/admin/evidence/finding/?state=published"))
    assert f"/admin/evidence/finding/{retired.pk}/change/" not in rows and "Published" in rows
    rows = rows_of(curator_client.get("/admin/evidence/perspective/?state=retired"))
    assert "Retired in version 2" in rows and TABLE_6 not in rows
    assert "By state" in text_of(curator_client.get("/admin/evidence/perspective/"))


def test_a_retired_finding_and_its_perspectives_are_read_only_and_say_why(curator_client, two_sources):
    import_evidence(version_2())
    finding = Finding.objects.get(theme__name="Protected time for reflection")
    url = f"/admin/evidence/finding/{finding.pk}/change/"
    text = text_of(curator_client.get(url))
    assert (
        "Retired in version 2: a release retired it. It is kept as it was, for the checklists that still point at it, so it cannot be edited here."
        in text
    )
    assert 'name="position"' not in text and 'name="perspectives-0-summary"' not in text
    assert curator_client.post(url, {"position": "9"}).status_code == 403
    perspective = finding.perspectives.first()
    text = text_of(curator_client.get(f"/admin/evidence/perspective/{perspective.pk}/change/"))
    assert "Its finding was retired in version 2: a release retired it." in text
    assert 'name="summary"' not in text
    # On its theme's page it is listed, not edited.
    text = text_of(curator_client.get(f"/admin/evidence/theme/{finding.theme_id}/change/"))
    assert (
        f'<a href="{url}">Protected time for reflection: finding of no kind</a> · retired in version 2 (read-only)'
        in text
        or "retired in version 2 (read-only)" in text
    )
    assert f'value="{finding.pk}"' not in text


def test_reference_boxes_offer_only_the_findings_own_source_labelled_with_it(curator_client, two_sources):
    finding = Finding.objects.get(theme__name="Workload")
    url = f"/admin/evidence/finding/{finding.pk}/change/"
    text = curator_client.get(url).content.decode()
    offered = set(re.findall(r'name="references" value="(\d+)"', text))
    table6 = {
        str(pk) for pk in Reference.objects.filter(source__slug="cooper-2024-table-6").values_list("pk", flat=True)
    }
    assert offered == table6
    assert f"<legend>{TABLE_6}</legend>" in text and f"<legend>{FIXTURE}</legend>" not in text
    # The perspectives below it too.
    offered = set(re.findall(r'name="perspectives-0-references" value="(\d+)"', text))
    assert offered == table6

    # A reference of another source is refused, wherever it came from.
    other = Reference.objects.get(source__slug="example-framework", number=1)
    perspective = finding.perspectives.first()
    purl = f"/admin/evidence/perspective/{perspective.pk}/change/"
    response = curator_client.post(purl, form_of(curator_client, purl, references=[str(other.pk)]))
    assert response.status_code == 200
    assert f"[1] of {FIXTURE}: a text cites only its own source's references, here those of {TABLE_6}." in text_of(
        response
    )


# Nothing frightening


def test_no_add_change_or_delete_icons_beside_the_pickers(curator_client, two_sources):
    finding = Finding.objects.get(theme__name="Workload")
    for url in [
        f"/admin/evidence/finding/{finding.pk}/change/",
        f"/admin/evidence/perspective/{finding.perspectives.first().pk}/change/",
        f"/admin/evidence/theme/{finding.theme_id}/change/",
        "/admin/evidence/theme/add/",
    ]:
        text = curator_client.get(url).content.decode()
        assert "related-widget-wrapper" not in text and "delete-related" not in text, url
    # Drop-downs are grouped by source.
    text = curator_client.get("/admin/evidence/theme/add/").content.decode()
    assert f'<optgroup label="{FIXTURE}">' in text


def test_a_used_finding_deleted_from_its_themes_page_is_refused_with_counts(curator_client, org_a, org_b):
    finding = Finding.objects.get(theme__name="Workload")
    for org in (org_a, org_b, org_b):
        Item.objects.create(
            checklist=Checklist.objects.create(organisation=org, title="Private ward plan"), finding=finding
        )
    url = f"/admin/evidence/theme/{finding.theme_id}/change/"
    response = curator_client.post(url, form_of(curator_client, url, **{"findings-0-DELETE": "on"}))
    text = text_of(response)
    assert response.status_code == 200
    assert (
        "This finding is used by 3 checklists in 2 organisations. A release retires it instead of deleting it." in text
    )
    assert "protected related objects" not in text and "Private ward plan" not in text
    assert Finding.objects.filter(pk=finding.pk).exists()


def test_a_delete_page_names_links_in_words(curator_client):
    category = Category.objects.get(name="Confusion over the PSW role")
    theme = Theme.objects.create(category=category, name="A theme to remove", slug="a-theme-to-remove", position=99)
    suggestion = SuggestedMitigation.objects.create(title="Hold a joint induction day", description="x")
    suggestion.themes.add(theme)
    text = text_of(curator_client.get(f"/admin/evidence/theme/{theme.pk}/delete/"))
    assert "Link from suggested action “Hold a joint induction day” to theme “A theme to remove”" in text
    assert "object (" not in text and "relationship" not in text


def test_footnotes_are_edited_as_rows_and_round_trip(curator_client):
    source = Source.objects.get(slug="cooper-2024-table-6")
    before = list(source.footnotes)
    assert before
    source.footnotes = [{**before[0], "kept": "as saved"}, *before[1:]]
    source.save()
    url = f"/admin/evidence/source/{source.pk}/change/"
    text = curator_client.get(url).content.decode()
    assert '<label for="id_footnotes-0-mark">Mark of footnote 1</label>' in text
    assert '<label for="id_footnotes-0-text">Text of footnote 1</label>' in text
    assert f'<label for="id_footnotes-{len(before)}-mark">Mark of a new footnote</label>' in text

    # Saved unchanged: nothing lost.
    assert curator_client.post(url, form_of(curator_client, url)).status_code == 302
    source.refresh_from_db()
    assert source.footnotes == [{**before[0], "kept": "as saved"}, *before[1:]]

    # A row added in the empty row.
    n = len(before)
    response = curator_client.post(
        url, form_of(curator_client, url, **{f"footnotes-{n}-mark": "z", f"footnotes-{n}-text": "A new note."})
    )
    assert response.status_code == 302
    source.refresh_from_db()
    assert source.footnotes[-1] == {"mark": "z", "text": "A new note."}

    # A row without its mark is refused in words.
    response = curator_client.post(url, form_of(curator_client, url, **{f"footnotes-{n}-mark": ""}))
    assert "Footnote " + str(n + 1) + " needs its mark, the letter or sign the text shows." in text_of(response)


def test_a_slug_change_is_warned_of_beside_the_field(curator_client):
    theme = Theme.objects.get(slug="workload")
    text = text_of(curator_client.get(f"/admin/evidence/theme/{theme.pk}/change/"))
    assert "Changing it changes the theme’s public address</strong>, /evidence/themes/workload/: links" in text
    assert "Changing it changes the theme’s public address" not in text_of(
        curator_client.get("/admin/evidence/theme/add/")
    )
    source = Source.objects.get(slug="cooper-2024-table-6")
    text = text_of(curator_client.get(f"/admin/evidence/source/{source.pk}/change/"))
    assert "Changing it breaks what names this source by it" in text
