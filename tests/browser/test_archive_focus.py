"""After a filter chip or "More sessions" swaps sessions in, focus is on the first new card
and the live region says how many are shown (static/js/archive-live.js)."""

from datetime import datetime

import pytest
from playwright.sync_api import expect

from tests.factories import SHANGHAI, make_series, make_session


@pytest.fixture
def archive(transactional_db, settings):
    settings.SESSIONS_PER_PAGE = 3
    series = make_series()
    for number in range(1, 6):  # 2024: sessions 1-2, 2025: sessions 3-5
        make_session(
            series,
            number=number,
            title=f"Session {number}",
            starts_at=datetime(2023 + (number + 3) // 3, 3, number, 19, tzinfo=SHANGHAI),
        )
    return series


def focused_text(page) -> str:
    return page.evaluate("document.activeElement.textContent")


def test_it_moves_focus_and_announces_after_a_filter_and_more(page, archive, live_server):
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto("/nice/")
    announcer = page.locator("#archive-announcer")
    expect(announcer).to_have_text("")

    page.locator(".chip", has_text="2024").focus()
    page.keyboard.press("Enter")
    expect(announcer).to_have_text("2 sessions shown")
    assert focused_text(page) == "Session 2"

    page.locator(".chip", has_text="All").first.focus()
    page.keyboard.press("Enter")
    expect(announcer).to_have_text("3 sessions shown")
    assert focused_text(page) == "Session 5"

    page.get_by_role("link", name="More sessions").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#session-list .card")).to_have_count(5)
    expect(announcer).to_have_text("2 sessions shown")
    assert focused_text(page) == "Session 2"


@pytest.fixture
def demo_archive(transactional_db):
    from django.core.management import call_command

    call_command("load_demo", verbosity=0)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_it_shows_the_first_card_without_scrolling_on_a_phone(
    browser, live_server, demo_archive, language
):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.goto("/nice/")
    filters = page.locator(".filters")
    expect(filters).to_be_hidden()
    first_card = page.locator("#session-list .card").first
    box = first_card.bounding_box()
    assert box and box["y"] + 80 < 844, box
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.locator(".filters-toggle > summary").click()
    expect(filters).to_be_visible()
    expect(filters.locator(".chip__count").first).to_be_visible()
    context.close()


def test_it_always_shows_the_filters_on_a_wide_screen(page, archive):
    page.goto("/nice/")
    expect(page.locator(".filters-toggle > summary")).to_be_hidden()
    expect(page.locator(".filters .chip").first).to_be_visible()


def _luminance(rgb: list[int]) -> float:
    def channel(value: int) -> float:
        value_ = value / 255
        return value_ / 12.92 if value_ <= 0.03928 else ((value_ + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(v) for v in rgb[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def test_it_draws_a_focus_ring_of_at_least_3_to_1(page, archive):
    page.goto("/nice/")
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")  # the brand link, on the white header
    colours = page.evaluate(
        """() => { const el = document.activeElement, style = getComputedStyle(el);
        let box = el, background = 'rgba(0, 0, 0, 0)';
        while (box && background === 'rgba(0, 0, 0, 0)') {
          background = getComputedStyle(box).backgroundColor; box = box.parentElement; }
        return [style.outlineStyle, style.outlineColor, background]; }"""
    )
    style, ring, background = colours
    assert style == "solid"
    ring_rgb, background_rgb = (
        [int(n) for n in colour[colour.index("(") + 1 : -1].split(",")[:3]]
        for colour in (ring, background)
    )
    lighter, darker = sorted((_luminance(ring_rgb), _luminance(background_rgb)), reverse=True)
    assert (lighter + 0.05) / (darker + 0.05) >= 3
