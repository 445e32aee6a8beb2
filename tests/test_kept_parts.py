"""A part rendered once per process (peerplan/lib/kept_parts.py, `kept`) is reused for the same arguments, except
while DEBUG is on, when a template being edited must show at once."""

from peerplan.lib.kept_parts import kept


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
