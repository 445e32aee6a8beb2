"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

`playwright install` cannot download browsers on these machines; the system Chromium is used instead.
Without it every browser test is skipped, and one loud line at the end of the run says why.
A failing browser test leaves a screenshot and the page's HTML under test-output/browser/.
Every page a test opens is watched (`PageProblems`): the test fails on any Content-Security-Policy
violation, console error, uncaught script error or missing static file.
"""

import os
import re
import shutil
from pathlib import Path

import pytest

from tests.browser.html_check import HtmlChecker

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
HAVE_CHROMIUM = Path(CHROMIUM).exists()
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "browser"
SKIP_REASON = f"BROWSER TESTS SKIPPED: no Chromium at {CHROMIUM} (install it: apt-get install chromium)"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)
            if not HAVE_CHROMIUM:
                item.add_marker(pytest.mark.skip(reason=SKIP_REASON))


def pytest_terminal_summary(terminalreporter):
    if not HAVE_CHROMIUM:
        terminalreporter.write_line(SKIP_REASON, red=True, bold=True)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # Bootstrap drops its transitions under prefers-reduced-motion, which keeps steps deterministic.
    return {
        **browser_context_args,
        "reduced_motion": "reduce",
        "viewport": {"width": 1280, "height": 800},
        "accept_downloads": True,
    }


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(autouse=True)
def _site_url_is_the_live_server(request, settings):
    """Links in emails start at SITE_URL (peerplan/lib/links.py): here, the address the live server runs on,
    as a deployment sets it to its own."""
    if "live_server" in request.fixturenames:
        settings.SITE_URL = request.getfixturevalue("live_server").url


@pytest.fixture(scope="session")
def html_checker():
    checker = HtmlChecker()
    checker.start()  # Java reads its schemas while the first test runs
    yield checker
    checker.stop()


def _keep_documents(context, origin, documents):
    """Keep every full page the live server sends this browser context, to check when the test ends."""

    def keep(response):
        content_type = response.headers.get("content-type", "")
        if (
            origin
            and response.url.startswith(origin)
            and response.request.resource_type == "document"
            and content_type.startswith("text/html")
        ):
            try:
                documents.append((response.url, response.text()))
            except Exception:  # a body Chromium no longer holds (the page moved on); nothing to check
                pass

    context.on("response", keep)


def _check_documents(request, html_checker, origin, documents):
    if request.node.get_closest_marker("no_html_check"):
        return
    problems = []
    for url, html in documents:
        problems += [f"{url[len(origin) :]}: {error}" for error in html_checker.errors(html)]
    assert not problems, "The Nu HTML Checker found errors:\n" + "\n".join(dict.fromkeys(problems))


# Reports each Content-Security-Policy violation to the test, whatever Chromium writes to its console.
# Playwright adds this script to every document itself, so the policy (no inline script) does not block it.
REPORT_CSP_VIOLATIONS = """document.addEventListener("securitypolicyviolation", (event) => {
  window.__reportCspViolation(`${event.violatedDirective} refused ${event.blockedURI}`
    + ` (${event.sourceFile || document.location.href}:${event.lineNumber})`);
});"""


class PageProblems:
    """What a person would never see but a page must not do, on every page of a browser context: a
    Content-Security-Policy violation (an inline style or script the policy refuses), a console error, an
    uncaught script error, or a static file the live server does not have. `assert_none()` fails the test
    naming each one; the `context` fixtures call it when the test ends.

    Screenshots are taken with caret="initial": Playwright otherwise hides the text caret with an inline
    <style> that the policy refuses, which would be reported here as the page's own violation.

    A refusal the app means to send (a 404 page, htmx's 400 or 409 for a refused change) is not a problem:
    Chromium logs every 4xx response as "Failed to load resource", so those lines are left out and a
    missing file is caught from the responses instead."""

    def __init__(self, context, origin):
        self.problems = []
        self.origin = origin
        context.expose_binding("__reportCspViolation", lambda source, text: self.add(f"CSP violation: {text}"))
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        context.on("console", self._console)
        context.on("weberror", lambda error: self.add(f"uncaught error: {error.error}"))
        context.on("response", self._response)

    def add(self, problem):
        self.problems.append(problem)

    def _console(self, message):
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            where = message.location.get("url", "") if message.location else ""
            self.add(f"console error: {message.text} ({where})")

    def _response(self, response):
        kind = response.request.resource_type
        if self.origin and response.url.startswith(self.origin) and response.status >= 400:
            if kind not in ("document", "xhr", "fetch"):
                self.add(f"{response.status} for the {kind} {response.url[len(self.origin) :]}")

    def take(self):
        """The problems so far, forgotten (for a test that provokes one on purpose)."""
        problems, self.problems = self.problems, []
        return problems

    def assert_none(self):
        problems = list(dict.fromkeys(self.take()))
        assert not problems, "The browser reported problems:\n" + "\n".join(problems)


def _live_origin(request):
    return request.getfixturevalue("live_server").url if "live_server" in request.fixturenames else None


@pytest.fixture
def page_problems(context):
    """The main context's PageProblems (every browser test's page is watched; this is for a test that
    provokes a problem on purpose and takes it)."""
    return context.page_problems


@pytest.fixture
def context(context, request, html_checker):
    """pytest-playwright's context, which keeps every full page the live server sends it and, when the
    test ends, has the Nu HTML Checker check each one, and fails the test on any problem its pages
    reported (PageProblems: a CSP violation, a console error)."""
    origin, documents = _live_origin(request), []
    _keep_documents(context, origin, documents)
    context.page_problems = PageProblems(context, origin)
    yield context
    context.page_problems.assert_none()
    _check_documents(request, html_checker, origin, documents)


@pytest.fixture
def another_context(browser, browser_context_args, request, html_checker):
    """Another browser context (a second person, JavaScript off, a phone), made like pytest-playwright's
    own (`another_context(java_script_enabled=False)` overrides its arguments): its pages are checked by the
    Nu HTML Checker like the main page's, and it is closed when the test ends."""
    origin, documents, contexts = _live_origin(request), [], []

    def make(**overrides):
        made = browser.new_context(**{**browser_context_args, **overrides})
        _keep_documents(made, origin, documents)
        made.page_problems = PageProblems(made, origin)
        contexts.append(made)
        return made

    yield make
    for made in contexts:
        made.close()
    for made in contexts:
        made.page_problems.assert_none()
    _check_documents(request, html_checker, origin, documents)


@pytest.fixture
def page(page, request):
    """pytest-playwright's page, which leaves a screenshot and the HTML behind when its test fails."""
    yield page
    report = getattr(request.node, "report_call", None)
    if report is None or not report.failed:
        return
    OUTPUT.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
    try:
        page.screenshot(path=str(OUTPUT / f"{name}.png"), full_page=True, caret="initial")
        (OUTPUT / f"{name}.html").write_text(page.content(), encoding="utf-8")
    except Exception as error:  # the page may be gone; the failure itself is what matters
        print(f"could not save browser evidence for {name}: {error}")


@pytest.fixture
def tracked_checklist(org_a, owner, manager, planner):
    """An active checklist of organisation A with three actions: one overdue (Maya's), one due later
    (Pat's), one done. Made with the ORM before the browser opens; the tests then use only the UI."""
    from datetime import timedelta

    from django.utils import timezone

    from peerplan.models import MitigationStatus
    from tests.factories import item_for, make_checklist, make_mitigation

    today = timezone.localdate()
    checklist = make_checklist(org_a, "Community team 2026", owner, service="Community mental health team")
    make_mitigation(
        item_for(checklist, "Role ambiguity"),
        "Agree a PSW role description with the team",
        MitigationStatus.PLANNED,
        due_date=today - timedelta(days=5),
        owner=manager,
    )
    make_mitigation(
        item_for(checklist, "Workload"),
        "Set a manageable caseload for each PSW",
        MitigationStatus.IN_PROGRESS,
        due_date=today + timedelta(days=30),
        owner=planner,
    )
    make_mitigation(
        item_for(checklist, "Boundaries"),
        "Run a boundaries workshop",
        MitigationStatus.DONE,
        due_date=today - timedelta(days=20),
        owner=planner,
    )
    return checklist
