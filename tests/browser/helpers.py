"""What every browser test does the way a person does it: sign in through the form, read what is shown."""

import re

from playwright.sync_api import expect

from tests.conftest import PASSWORD


def sign_in(page, base_url, email, password=PASSWORD, next_url=""):
    """Sign in through the real form (django-axes counts failures, so use the right password)."""
    page.goto(base_url + "/accounts/login/" + (f"?next={next_url}" if next_url else ""))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Sign in")


def numbers(text):
    """The whole numbers in a text, in order: '3 of 16 applicable challenges covered (19%)' -> [3, 16, 19]."""
    return [int(n) for n in re.findall(r"\d+", text)]


def no_horizontal_scroll(page, width):
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{page.url} scrolls sideways: {scroll_width}px wide at a {width}px viewport"


def focus_indicator(page):
    """The computed outline of the focused element: (tag, style, width in px)."""
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            const style = getComputedStyle(el);
            return [el.tagName.toLowerCase() + (el.name ? `[name=${el.name}]` : ''),
                    style.outlineStyle, parseFloat(style.outlineWidth) || 0];
        }"""
    )


def assert_visible_focus(page):
    element, style, width = focus_indicator(page)
    assert style != "none" and width > 0, f"{page.url}: no visible focus on {element} ({style}, {width}px)"
    return element
