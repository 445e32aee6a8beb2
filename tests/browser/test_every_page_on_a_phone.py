"""Every signed-in page on a 390 x 844 phone, with the demo organisation's data: no sideways scroll, no page
taller than six screens besides its main list, no word broken inside itself, no serious axe violation (the Nu HTML Checker checks each page too: conftest).

Screenshots of the main pages at phone and desktop width are written to test-output/screenshots/, so the
look can be seen without running anything."""

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from evidence.interchange import export_evidence
from evidence.models import Category, Finding, Perspective, Reference, Release, Source, Theme
from peerplan.models import (
    Checklist,
    ChecklistStatus,
    Invitation,
    Item,
    Membership,
    Mitigation,
    NetworkMembership,
    Organisation,
    Role,
)
from peerplan.operations.demo import DEMO_DOMAIN, DEMO_NETWORK_SLUG, DEMO_PASSWORD, DEMO_SLUG
from tests.browser.axe import serious_violations
from tests.browser.conftest import OUTPUT
from tests.browser.helpers import sign_in
from tests.factories import PASSWORD

User = get_user_model()

SCREENSHOTS = OUTPUT.parent / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
# The pages whose look the next person wants to see without running anything.
SHOWN = {"dashboard", "checklist", "item", "actions", "report", "checklist-progress"}
# No page is taller than six phone screens (a person scrolls a page that long only for the list they came
# for): long sections collapse on a phone. The one exception is a page's main list when it is long by
# itself: then what is around it must still fit, so the rule is the page's height less its main list's
# (the elements these selectors find; a page of actions is at most 25 rows, a timeline a page of entries, the
# checklist's challenges one row each).
MOST_SCREENS = 6
MAIN_LISTS = {
    "actions": "main ul.action-rows",
    "actions-filtered": "main ul.action-rows",
    "my-actions": "main ul.action-rows",
    "checklist": "#challenges",
    "draft-checklist": "#challenges",
    "review-summary": "main .summary-list",
    "draft-review-summary": "main .summary-list",
    "checklist-history": "main ol.timeline",
    "action-history": "main ol.timeline",
    # The report is a document: its one-page summary must fit, the detail after it is as long as the plan.
    "report": ".report-section, .report-category",
    "phases": "main .list-group",
    "evidence": "main .evidence-themes",
    # A row per theme, stacked on a phone into a cell per active checklist.
    "coverage": "main table.coverage-grid",
}
HEIGHT_OUTSIDE = """(selector) => {
  const page = document.documentElement.scrollHeight;
  if (!selector) return [page, 0];
  const lists = Array.from(document.querySelectorAll(selector));
  const outermost = lists.filter(list => !lists.some(other => other !== list && other.contains(list)));
  return [page, outermost.reduce((sum, list) => sum + list.getBoundingClientRect().height, 0)];
}"""
# Dark mode (prefers-color-scheme: dark) checked with axe on the pages with the most colour.
DARK = {
    "dashboard",
    "coverage",
    "checklist",
    "item",
    "actions",
    "report",
    "checklist-progress",
    "members",
    "evidence",
    "theme",
}

# Words of letters only, each checked to sit on one line: a word split across two lines ("monthl / y") is
# a word broken inside itself. Email addresses and web addresses may break at their dots and slashes.
BROKEN_WORDS = """() => {
  const broken = [];
  const range = document.createRange();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    const element = node.parentElement;
    // (What a closed disclosure holds is not drawn; Chromium still gives its text rectangles.)
    if (!element || element.closest('.visually-hidden, .visually-hidden-focusable, svg, script, style, [hidden], details:not([open]) > :not(summary)')) continue;
    if (!element.getClientRects().length) continue;
    const words = /[A-Za-z]{2,}/g;
    let match;
    while ((match = words.exec(node.textContent))) {
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const tops = new Set(Array.from(range.getClientRects()).filter(r => r.width > 0).map(r => Math.round(r.top)));
      if (tops.size > 1) broken.push(match[0]);
    }
  }
  return broken;
}"""


def signed_in_pages():
    """(name, path) of every page a manager of the demo organisation reads, from the data itself."""
    active = Checklist.objects.get(organisation__slug=DEMO_SLUG, status=ChecklistStatus.ACTIVE)
    draft = Checklist.objects.get(organisation__slug=DEMO_SLUG, status=ChecklistStatus.DRAFT)
    challenge = (
        Item.objects.filter(checklist=active, finding__valence="challenge", mitigations__isnull=False)
        .order_by("pk")
        .first()
    )
    benefit = Item.objects.filter(checklist=active, finding__valence="benefit").order_by("pk").first()
    action = Mitigation.objects.filter(checklist=active).order_by("pk").first()
    org = f"/app/orgs/{DEMO_SLUG}"
    network_membership = NetworkMembership.objects.get(organisation__slug=DEMO_SLUG)
    return [
        ("start", "/app/"),
        ("organisation", f"{org}/"),
        ("dashboard", f"{org}/dashboard/"),
        ("actions", f"{org}/actions/"),
        ("actions-filtered", f"{org}/actions/?status=planned&status=blocked&no_due_date=on"),
        ("progress", f"{org}/progress/"),
        ("coverage", f"{org}/coverage/"),
        ("members", f"{org}/members/"),
        ("sharing", f"{org}/sharing/"),
        ("network-membership", f"{org}/networks/{network_membership.pk}/"),
        ("my-actions", "/app/my-actions/"),
        ("notifications", "/app/notifications/"),
        ("notification-settings", "/app/notifications/settings/"),
        ("account", "/accounts/"),
        ("tokens", "/app/tokens/"),
        ("new-checklist", f"{org}/checklists/new/"),
        ("checklist", f"/app/checklists/{active.pk}/"),
        ("checklist-edit", f"/app/checklists/{active.pk}/edit/"),
        ("phases", f"/app/checklists/{active.pk}/phases/"),
        ("checklist-history", f"/app/checklists/{active.pk}/history/"),
        ("checklist-progress", f"/app/checklists/{active.pk}/progress/?months=12"),
        ("review", f"/app/checklists/{active.pk}/review/"),
        ("review-summary", f"/app/checklists/{active.pk}/review/summary/"),
        # A draft says what draft means, with "Make this checklist active", on its page and its summary.
        ("draft-checklist", f"/app/checklists/{draft.pk}/"),
        ("draft-review-summary", f"/app/checklists/{draft.pk}/review/summary/"),
        ("report", f"/app/checklists/{active.pk}/report/"),
        ("item", f"/app/items/{challenge.pk}/"),
        ("item-review", f"/app/items/{challenge.pk}/review/"),
        ("benefit", f"/app/items/{benefit.pk}/"),
        ("new-action", f"/app/items/{challenge.pk}/mitigations/new/"),
        ("action", f"/app/mitigations/{action.pk}/"),
        ("action-edit", f"/app/mitigations/{action.pk}/edit/"),
        ("action-history", f"/app/mitigations/{action.pk}/history/"),
        ("evidence", "/evidence/"),
        ("theme", "/evidence/themes/workload/"),
    ]


@pytest.fixture
def demo(db):
    call_command("seed_demo", verbosity=0)


def read_on_a_phone(page, base_url, pages, six_screens=True):
    """Opens each (name, path) — or (name, path, status) for a page answered with another status than 200 — at
    phone width (and desktop for the SHOWN ones, screenshotting both) and
    returns what a person on a phone would trip over: sideways scroll, more than six screens besides its main list,
    broken words, serious axe violations."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    for name, path, *expected in pages:
        for viewport in (PHONE, DESKTOP) if name in SHOWN else (PHONE,):
            page.set_viewport_size(viewport)
            response = page.goto(base_url + path)
            assert response.status == (expected or [200])[0], f"{path}: {response.status}"
            expect(page.locator("h1")).to_have_count(1)
            if name in SHOWN:
                width = "phone" if viewport is PHONE else "desktop"
                page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True, caret="initial")
            if viewport is not PHONE:
                continue
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            if scroll_width > PHONE["width"]:
                problems.append(f"{path}: scrolls sideways ({scroll_width} px wide)")
            height, main_list = page.evaluate(HEIGHT_OUTSIDE, MAIN_LISTS.get(name))
            if six_screens and height - main_list > MOST_SCREENS * PHONE["height"]:
                problems.append(
                    f"{path}: {height} px tall on a phone ({main_list:.0f} px of it its main list), more than "
                    f"{MOST_SCREENS} screens ({MOST_SCREENS * PHONE['height']} px) besides its main list"
                )
            broken = page.evaluate(BROKEN_WORDS)
            if broken:
                problems.append(f"{path}: words broken across lines: {sorted(set(broken))[:12]}")
            problems += [f"{path}: {problem}" for problem in serious_violations(page)]
    return problems


def test_every_signed_in_page_reads_on_a_phone(live_server, page, demo):
    sign_in(page, live_server.url, f"manager@{DEMO_DOMAIN}", password=DEMO_PASSWORD)
    problems = read_on_a_phone(page, live_server.url, signed_in_pages())
    assert not problems, "\n".join(problems)


def owner_and_account_pages():
    """(name, path) of the pages only an owner sees, an invitation, and the account and two-factor pages."""
    organisation = Organisation.objects.get(slug=DEMO_SLUG)
    owner = User.objects.get(email=f"owner@{DEMO_DOMAIN}")
    planner = Membership.objects.get(organisation=organisation, role=Role.PLANNER)
    draft = Checklist.objects.filter(organisation=organisation).order_by("pk").first()
    invitation = Invitation.objects.create(
        organisation=organisation, email="newcomer@example.org", role=Role.PLANNER, invited_by=owner
    )
    org = f"/app/orgs/{DEMO_SLUG}"
    return [
        ("members-as-owner", f"{org}/members/"),
        # The demo network, as its coordinator (the demo owner) reads it.
        ("network", f"/app/networks/{DEMO_NETWORK_SLUG}/"),
        ("member-remove", f"{org}/members/{planner.pk}/remove/"),
        ("checklist-delete", f"/app/checklists/{draft.pk}/delete/"),
        ("own-evidence", f"{org}/evidence/"),
        ("own-source-new", f"{org}/evidence/new/"),
        ("new-organisation", "/app/orgs/new/"),
        ("export", f"{org}/export/"),
        ("import-organisation", "/app/orgs/import/"),
        # Signed in as someone else than the person invited: a 403 page that says so.
        ("invitation-for-someone-else", f"/app/invitations/{invitation.token}/", 403),
        ("account-email", "/accounts/email/"),
        ("password-change", "/accounts/password/change/"),
        ("two-factor", "/accounts/2fa/"),
        ("two-factor-set-up", "/accounts/2fa/totp/activate/"),
    ]


def test_owner_invitation_and_account_pages_read_on_a_phone(live_server, page, another_context, demo):
    sign_in(page, live_server.url, f"owner@{DEMO_DOMAIN}", password=DEMO_PASSWORD)
    pages = owner_and_account_pages()
    problems = read_on_a_phone(page, live_server.url, pages)

    # The invitation as its newcomer first sees it: signed out, in a browser of their own.
    newcomer = another_context(viewport=PHONE).new_page()
    invitation = next(path for name, path, *_ in pages if name == "invitation-for-someone-else")
    problems += [
        f"signed out: {problem}" for problem in read_on_a_phone(newcomer, live_server.url, [("invitation", invitation)])
    ]
    assert not problems, "\n".join(problems)


def a_release_with_an_undone_edit():
    """Table 6's next version, exported before a sample is edited in the admin: its preview shows a changed
    finding word by word and the edit it would undo, with the choice to keep it."""
    data = export_evidence([Source.objects.get(slug="cooper-2024-table-6")])
    data["sources"][0]["version"] += 1
    themes = data["sources"][0]["categories"][0]["themes"]
    themes[0]["findings"][0]["samples"][0]["summary"] += " Revised."
    edited = Perspective.objects.filter(
        finding__theme__category__source__slug="cooper-2024-table-6", finding__theme__name=themes[1]["name"]
    ).first()
    edited.summary += " Corrected."  # saved with no release's reason: a curator's edit since the last release
    edited.save()
    return Release.objects.create(file_name="table-6-next.json", data=data)


def evidence_admin_pages():
    """(name, path) of every page of the evidence admin: the index, and each model's list, add, change,
    delete confirmation and history pages (a used finding's delete page is its refusal)."""
    source = Source.objects.get(slug="cooper-2024-table-6")
    rows = {
        "source": source,
        "reference": Reference.objects.filter(source=source).order_by("number").first(),
        "category": Category.objects.filter(source=source).order_by("position").first(),
        "theme": Theme.objects.get(slug="workload"),
        "finding": Finding.objects.filter(items__isnull=False).order_by("pk").first(),
        "perspective": Perspective.objects.filter(finding__theme__slug="workload").order_by("pk").first(),
    }
    pages = [("admin", "/admin/")]
    for model, row in rows.items():
        base = f"/admin/evidence/{model}/"
        pages += [
            (f"admin-{model}-list", base),
            (f"admin-{model}-add", f"{base}add/"),
            (f"admin-{model}", f"{base}{row.pk}/change/"),
            (f"admin-{model}-delete", f"{base}{row.pk}/delete/"),
            (f"admin-{model}-history", f"{base}{row.pk}/history/"),
        ]
    return pages


def test_the_curators_admin_reads_on_a_phone_and_at_desktop(live_server, page, demo):
    curator = User.objects.create_superuser("curator@example.org", "curator@example.org", PASSWORD)
    EmailAddress.objects.create(user=curator, email=curator.email, verified=True, primary=True)
    theme = Theme.objects.get(slug="workload")
    release = a_release_with_an_undone_edit()
    edited = Perspective.objects.get(summary__endswith=" Corrected.")
    sign_in(page, live_server.url, curator.email)
    pages = [
        *evidence_admin_pages(),
        # A finding with its perspectives and, below them, the choice of minor or major and the change note.
        ("admin-finding-of-the-theme", f"/admin/evidence/finding/{theme.findings.first().pk}/change/"),
        # Where curators start, the releases, and an edited sample's form (with its reason) and history.
        ("curation", "/app/curation/"),
        ("admin-releases", "/admin/evidence/release/"),
        ("admin-edited-perspective", f"/admin/evidence/perspective/{edited.pk}/change/"),
        ("admin-edited-perspective-history", f"/admin/evidence/perspective/{edited.pk}/history/"),
        ("admin-import", "/admin/evidence/source/import/"),
        ("admin-preview", f"/admin/evidence/source/import/{release.pk}/"),
    ]
    # The six-screen rule is for the service's pages: Django's admin is the curators' desk tool, its long
    # forms and lists Django's own.
    problems = read_on_a_phone(page, live_server.url, pages, six_screens=False)
    # The preview had something to show: a changed text and an edit the file would undo, with its choice.
    expect(page.locator("del, ins").first).to_be_attached()
    expect(page.get_by_role("radio", name="Keep the admin's edit")).to_be_checked()
    # Each changed finding is a major change unless marked minor, and the release takes one change note.
    expect(page.get_by_role("radio", name="Major change: services are asked to look again").first).to_be_checked()
    expect(page.get_by_label("What this release changes")).to_be_visible()

    # At desktop width too: no sideways scroll, no serious axe finding; the perspectives' summaries in view.
    page.set_viewport_size(DESKTOP)
    for _, path in pages:
        page.goto(live_server.url + path)
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        if scroll_width > DESKTOP["width"]:
            problems.append(f"{path} at desktop: scrolls sideways ({scroll_width} px wide)")
        problems += [f"{path} at desktop: {problem}" for problem in serious_violations(page)]
    page.goto(live_server.url + "/admin/evidence/perspective/")
    summary = page.locator("#result_list th.column-summary_start").bounding_box()
    assert summary["x"] + summary["width"] <= DESKTOP["width"], summary

    # From the top of a theme's page: the skip link first, leading past the header to the page itself; and
    # few tab stops before the first field.
    page.goto(live_server.url + f"/admin/evidence/theme/{theme.pk}/change/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.goto(live_server.url + f"/admin/evidence/theme/{theme.pk}/change/")
    stops = 0
    while page.evaluate("document.activeElement.id") != "id_category":
        page.keyboard.press("Tab")
        stops += 1
        # The skip link, the header's links (the curation home, the site, password, sign out, the theme), the
        # breadcrumbs and the page's History and View on site links: 13, where there were 29.
        assert stops <= 13, (
            f"more than 13 tab stops before the first field: {page.evaluate('document.activeElement.outerHTML')[:200]}"
        )
    assert not problems, "\n".join(problems)


def test_the_main_pages_keep_their_contrast_in_dark_mode(live_server, page, demo):
    sign_in(page, live_server.url, f"manager@{DEMO_DOMAIN}", password=DEMO_PASSWORD)
    page.emulate_media(color_scheme="dark")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    for name, path in signed_in_pages():
        if name not in DARK:
            continue
        page.goto(live_server.url + path)
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(17, 26, 28)", f"{path}: not in dark mode ({background})"
        if name == "dashboard":
            page.screenshot(path=str(SCREENSHOTS / "dashboard-dark.png"), full_page=True, caret="initial")
        problems += [f"{path}: {problem}" for problem in serious_violations(page)]
    assert not problems, "\n".join(problems)
