"""What every browser test does the way a person does it: sign in through the form, read what is shown."""

import re

from playwright.sync_api import expect

from tests.browser.axe import assert_accessible
from tests.factories import PASSWORD


def sign_in(page, base_url, email, password=PASSWORD, next_url=""):
    """Sign in through the real form (django-axes counts failures, so use the right password)."""
    page.goto(base_url + "/accounts/login/" + (f"?next={next_url}" if next_url else ""))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Sign in")


def numbers(text):
    """The whole numbers in a text, in order: '3 of 16 applicable challenges covered (19%)' -> [3, 16, 19]."""
    return [int(n) for n in re.findall(r"\d+", text)]


def no_horizontal_scroll(page, width):
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{page.url} scrolls sideways: {scroll_width}px wide at a {width}px viewport"


PHONE = {"width": 390, "height": 844}


def check_on_a_phone(page):
    """The page as it is now, at 390 px: no sideways scroll and no serious axe violation."""
    # A click that navigates returns once the navigation starts; measure the page it lands on.
    page.wait_for_load_state()
    size = page.viewport_size
    page.set_viewport_size(PHONE)
    no_horizontal_scroll(page, PHONE["width"])
    assert_accessible(page)
    page.set_viewport_size(size)


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


class Mouse:
    """A person using a mouse (or touch): clicks links and buttons, fills fields by their labels."""

    def __init__(self, page):
        self.page = page

    def follow(self, link):
        link.click()

    def press(self, button):
        button.click()

    def fill(self, field, text):
        field.fill(text)

    def append(self, field, text):
        field.press("End")
        field.press_sequentially(text)

    def fill_date(self, field, day):
        field.fill(day.isoformat())

    def choose(self, select, label):
        select.select_option(label=label)

    def check(self, radio_or_box):
        radio_or_box.check()


class Keyboard:
    """A person using the keyboard alone: Tab (and Shift+Tab) to reach a control, Enter or Space to use
    it, arrow keys in radio groups, typing into the focused field. Wherever focus lands on a control it
    is checked to be visible (a computed outline that is neither none nor 0 wide)."""

    MAX_TABS = 250

    def __init__(self, page):
        self.page = page
        self.focus_checks = 0

    def tab_to(self, target):
        """Press Tab until the target has focus; the locator only says which control is wanted."""
        target.wait_for()
        for _ in range(self.MAX_TABS):
            self.page.keyboard.press("Tab")
            if target.evaluate("el => el === document.activeElement"):
                assert_visible_focus(self.page)
                self.focus_checks += 1
                return
        raise AssertionError(f"{self.page.url}: Tab never reached {target}")

    def follow(self, link):
        self.tab_to(link)
        self.page.keyboard.press("Enter")

    def press(self, button):
        self.tab_to(button)
        self.page.keyboard.press("Space")

    def fill(self, field, text):
        self.tab_to(field)
        self.page.keyboard.press("Control+A")
        self.page.keyboard.type(text)

    def append(self, field, text):
        self.tab_to(field)
        self.page.keyboard.press("Control+End")
        self.page.keyboard.type(text)

    def fill_date(self, field, day):
        # Debian's headless Chromium lays a date input out as mm/dd/yyyy whatever the page's locale;
        # a person types the parts in the order the field shows them. The value is checked after.
        self.tab_to(field)
        self.page.keyboard.type(day.strftime("%m%d%Y"))
        expect(field).to_have_value(day.isoformat())

    def choose(self, select, label):
        # Typing an option's first letters selects it in a closed <select>, as on any desktop browser.
        self.tab_to(select)
        self.page.keyboard.type(label)
        expect(select.locator("option:checked")).to_have_text(label)

    def check(self, radio_or_box):
        """A checkbox takes Space; in a radio group Tab reaches the chosen radio, arrows move the choice."""
        if radio_or_box.get_attribute("type") == "radio":
            name = radio_or_box.get_attribute("name")
            group = self.page.locator(f"input[type=radio][name='{name}']")
            checked = self.page.locator(f"input[type=radio][name='{name}']:checked")
            self.tab_to(checked if checked.count() else group.first)
            for _ in range(group.count()):
                if radio_or_box.is_checked():
                    return
                self.page.keyboard.press("ArrowDown")
            assert radio_or_box.is_checked(), "the arrow keys never reached the wanted radio"
        else:
            self.tab_to(radio_or_box)
            self.page.keyboard.press("Space")
