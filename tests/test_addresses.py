"""Addresses worked out once per process (the navigation's, peerplan/templatetags/addresses.py; the static
files', peerplan/lib/static_files.py) are the addresses Django gives, wherever the site is served."""

import pytest
from django.template import Context, Template
from django.urls import set_script_prefix
from whitenoise.storage import CompressedManifestStaticFilesStorage

from peerplan.lib.static_files import StaticFiles

NAVIGATION = [
    "home",
    "evidence:index",
    "peerplan:home",
    "peerplan:my_actions",
    "peerplan:notifications",
    "account",
    "account_login",
    "account_logout",
    "account_signup",
    "admin:index",
]


def render(text):
    return Template("{% load addresses %}" + text).render(Context())


@pytest.mark.parametrize("name", NAVIGATION)
def test_an_address_is_the_one_url_gives(name):
    assert render(f"{{% address '{name}' %}}") == render(f"{{% url '{name}' %}}")


def test_a_site_served_under_a_prefix_gets_addresses_under_it():
    plain = render("{% address 'peerplan:home' %}")
    set_script_prefix("/planning/")
    try:
        assert render("{% address 'peerplan:home' %}") == "/planning" + plain
    finally:
        set_script_prefix("/")
    assert render("{% address 'peerplan:home' %}") == plain


def test_static_addresses_are_the_manifests_and_a_missing_file_still_fails(collected_static, settings):
    settings.STATIC_ROOT = collected_static
    kept, plain = StaticFiles(), CompressedManifestStaticFilesStorage()
    for name in ["css/site.css", "vendor/htmx/htmx.min.js", "img/favicon.svg"]:
        assert kept.url(name) == kept.url(name) == plain.url(name) != f"/static/{name}"
    for storage in (kept, kept, plain):
        with pytest.raises(ValueError):
            storage.url("no/such/file.css")
