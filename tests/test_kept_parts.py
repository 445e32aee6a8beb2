"""A part rendered once per process (peerplan/lib/kept_parts.py, `kept`) is reused for the same arguments, except
while DEBUG is on, when a template being edited must show at once."""

from django.template import Context
from django.utils import translation

from peerplan.lib.kept_parts import PageValues, kept


def _renderer():
    drawn = []

    @kept(maxsize=8)
    def render(title):
        drawn.append(title)
        return f"<p>{title} (drawing {len(drawn)})</p>"

    return render, drawn


def test_the_same_arguments_give_the_part_drawn_before(settings):
    settings.DEBUG = False
    render, drawn = _renderer()
    assert render("Ward 4") == render("Ward 4") == "<p>Ward 4 (drawing 1)</p>"
    assert render("Ward 5") == "<p>Ward 5 (drawing 2)</p>"
    assert drawn == ["Ward 4", "Ward 5"]


def test_while_debug_is_on_every_part_is_drawn_afresh(settings):
    settings.DEBUG = True
    render, drawn = _renderer()
    assert render("Ward 4") == "<p>Ward 4 (drawing 1)</p>"
    assert render("Ward 4") == "<p>Ward 4 (drawing 2)</p>"
    assert drawn == ["Ward 4", "Ward 4"]


def test_the_page_values_follow_the_language_and_the_tokens_place_within_one_render():
    context = Context({"csrf_token": "a-token"})
    first = PageValues.of(context)
    assert first.with_csrf and PageValues.of(context) is first  # the URL map and prefix read once
    with translation.override("fr"):  # as {% language "fr" %} inside a template
        assert PageValues.of(context).language == "fr"
    with context.push(csrf_token=""):
        assert not PageValues.of(context).with_csrf
    assert PageValues.of(context) == first
