"""peerplan.templatetags.planning_tags.row_url: {% url %} for the links repeated in every row, reversed once."""

from django.template import Context, Template
from django.urls import clear_script_prefix, reverse, set_script_prefix

from peerplan.templatetags.planning_tags import row_url


def test_it_gives_what_reverse_gives_for_every_id():
    for name, ids in [
        ("peerplan:item", (1,)),
        ("peerplan:item", (987654321987,)),
        ("peerplan:mitigation_quick", (42,)),
        ("peerplan:mitigation_edit", (7,)),
        ("peerplan:checklist_adopt", (3, 12)),
        ("peerplan:mitigation_restore", (10, 987654321988)),
    ]:
        assert row_url(name, *ids) == reverse(name, args=ids)


def test_it_follows_the_script_prefix():
    set_script_prefix("/peerplan/")
    try:
        assert row_url("peerplan:item", 5) == "/peerplan/app/items/5/" == reverse("peerplan:item", args=[5])
    finally:
        clear_script_prefix()
    assert row_url("peerplan:item", 5) == "/app/items/5/"


def test_anything_but_an_integer_id_goes_through_reverse():
    assert row_url("peerplan:organisation", "northside") == "/app/orgs/northside/"


def test_the_tag_renders_like_the_url_tag():
    context = Context({"item": {"pk": 9}, "pair": {"a": 2, "b": 3}})
    tag = Template(
        "{% load planning_tags %}{% row_url 'peerplan:item' item.pk %}|{% row_url 'peerplan:checklist_adopt' pair.a pair.b %}"
    )
    url = Template("{% url 'peerplan:item' item.pk %}|{% url 'peerplan:checklist_adopt' pair.a pair.b %}")
    assert tag.render(context) == url.render(context) == "/app/items/9/|/app/checklists/2/adopt/3/"
