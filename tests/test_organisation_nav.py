"""The organisation's navigation and an action's status options are drawn once per process for what they show
(planning_tags.org_nav, action_rows.plain_options): the page they are on still shows the person's own links,
the page they are on, and the organisation as it is now."""

import pytest
from django.template import Context, Template

from peerplan.models import MitigationStatus
from peerplan.templatetags.planning_tags import _org_nav

PAGES = {
    "checklists": "/app/orgs/northside/",
    "dashboard": "/app/orgs/northside/dashboard/",
    "actions": "/app/orgs/northside/actions/",
    "members": "/app/orgs/northside/members/",
}
LABELS = {"checklists": "Checklists", "dashboard": "Dashboard", "actions": "Actions", "members": "Members"}


def _nav(html):
    start = html.index('<ul class="nav nav-pills')
    return html[start : html.index("</ul>", start)]


@pytest.fixture(autouse=True)
def _kept(settings):
    settings.DEBUG = False  # parts are kept, as in production
    _org_nav.cache_clear()


@pytest.mark.parametrize("active", PAGES)
def test_each_organisation_page_marks_itself_and_offers_api_tokens_to_owners_alone(client, owner, planner, active):
    for person, sees_tokens in ((owner, True), (planner, False), (owner, True)):
        client.force_login(person)
        nav = _nav(client.get(PAGES[active]).content.decode())
        assert nav.count('aria-current="page"') == 1
        label = LABELS[active]
        assert f'<a class="nav-link active" aria-current="page" href="{PAGES[active]}">{label}</a>' in nav
        assert ('href="/app/tokens/orgs/northside/"' in nav) is sees_tokens, person
        for address in PAGES.values():
            assert f'href="{address}"' in nav


def test_a_renamed_organisation_is_named_in_its_navigation_at_once(client, owner, org_a):
    client.force_login(owner)
    assert 'aria-label="Northside Mental Health Service"' in client.get(PAGES["dashboard"]).content.decode()
    org_a.name = "Northside & Riverside Service"
    org_a.save()
    page = client.get(PAGES["dashboard"]).content.decode()
    assert 'aria-label="Northside &amp; Riverside Service"' in page


def test_status_options_select_the_shown_status_alone_and_escape_the_labels():
    template = Template("{% load action_rows %}{% plain_options statuses shown %}")
    statuses = [*MitigationStatus.choices, ("x", "<b>Odd</b>")]
    html = template.render(Context({"statuses": statuses, "shown": MitigationStatus.BLOCKED}))
    assert html.count(" selected") == 1
    assert '<option value="blocked" selected>Blocked</option>' in html
    assert '<option value="planned">Planned</option>' in html
    assert '<option value="x">&lt;b&gt;Odd&lt;/b&gt;</option>' in html
    again = template.render(Context({"statuses": statuses, "shown": MitigationStatus.PLANNED}))
    assert again.count(" selected") == 1 and '<option value="planned" selected>Planned</option>' in again
