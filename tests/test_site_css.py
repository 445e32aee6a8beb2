"""One stylesheet, static/css/site.css, made by `make css` from Bootstrap (without the rules no page uses) and
PeerPlan's own stylesheets: the committed file must be what its sources make now."""

from pathlib import Path

from django.conf import settings

from peerplan.management.commands.build_site_css import OUTPUT, purge, site_css

ROOT = Path(settings.BASE_DIR)


def test_the_committed_site_css_is_what_its_sources_make_now():
    """A class added to a template or a rule added to peerplan.css/tracking.css/tokens.css fails here until
    `make css` is run and its result committed."""
    assert (ROOT / OUTPUT).read_text(encoding="utf-8") == site_css(ROOT), "static/css/site.css is stale: run make css"


def test_every_page_loads_the_one_stylesheet(client, owner):
    client.force_login(owner)
    page = client.get("/app/").content.decode()
    assert page.count('rel="stylesheet"') == 1
    assert 'href="/static/css/site.css"' in page


def test_the_purge_keeps_what_pages_use_and_drops_what_they_do_not():
    css = (
        ".navbar{a:1}.carousel-fade .carousel-item{b:2}.btn,.btn-zzunused{c:3}"
        "@media (min-width:768px){.navbar-expand-md{d:4}.offcanvas-zz{e:5}}@media print{.zz-only{f:6}}"
        "@keyframes spin{to{transform:rotate(360deg)}}:root{--x:1}a:not(.btn){g:7}"
    )
    words = {"navbar", "btn", "navbar-expand-md"}
    assert purge(css, words, ("alert-",)) == (
        ".navbar{a:1}.btn{c:3}@media (min-width:768px){.navbar-expand-md{d:4}}"
        "@keyframes spin{to{transform:rotate(360deg)}}:root{--x:1}a:not(.btn){g:7}"
    )


def test_a_class_name_a_template_builds_keeps_every_class_it_may_build():
    assert purge(".alert-danger{a:1}.alert-zz{b:2}.badge-zz{c:3}", set(), ("alert-",)) == (
        ".alert-danger{a:1}.alert-zz{b:2}"
    )


def test_the_site_css_keeps_what_the_navigation_forms_and_scripts_need():
    site = (ROOT / OUTPUT).read_text(encoding="utf-8")
    for selector in (".navbar-toggler{", ".collapsing{", ".form-control{", ".invalid-feedback{", ".alert-danger{"):
        assert selector in site, selector
    assert ".carousel{" not in site  # no page has a carousel
    # PeerPlan's own stylesheets come after Bootstrap, whole, so they still override it.
    assert site.index(".navbar-toggler{") < site.index("/* static/css/tokens.css */")
    assert site.index("/* static/css/peerplan.css */") < site.index("/* static/css/tracking.css */")
