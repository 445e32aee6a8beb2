"""Accessibility audits with axe-core (bundled in axe-playwright-python, injected without a script tag,
so it runs under the strict Content-Security-Policy)."""

from axe_playwright_python.sync_playwright import Axe

SERIOUS = {"serious", "critical"}
# No preload: axe would fetch the page's stylesheets and parse each in a <style> element of its own, which
# the Content-Security-Policy refuses (and the browser tests fail on: conftest.PageProblems). Only the
# orientation-lock rule reads those style sheets.
OPTIONS = {"resultTypes": ["violations"], "preload": False}


def serious_violations(page):
    """axe-core's serious and critical violations on the page as it is now, as readable lines."""
    results = Axe().run(page, options=OPTIONS)
    problems = []
    for violation in results.response["violations"]:
        if violation.get("impact") in SERIOUS:
            targets = [", ".join(node["target"]) for node in violation["nodes"]][:5]
            problems.append(f"{violation['impact']}: {violation['id']} — {violation['help']} at {targets}")
    return problems


def assert_accessible(page):
    problems = serious_violations(page)
    assert not problems, f"{page.url}:\n" + "\n".join(problems)
    assert page.locator("h1").count() == 1, f"{page.url} should have exactly one h1"
    assert page.locator("main").count() == 1, f"{page.url} should have one main landmark"
