"""Issue 10 in real Chromium: "Copy announcement" puts the announcement on the
clipboard, and "your time" appears only for a visitor in another zone."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.factories import SHANGHAI, make_person, make_series, make_session, make_talk


@pytest.fixture
def session(transactional_db):
    series = make_series()
    session = make_session(
        series,
        number=47,
        title="多模态论文分享",
        starts_at=datetime(2031, 3, 14, 19, 0, tzinfo=SHANGHAI),
        ends_at=datetime(2031, 3, 14, 21, 0, tzinfo=SHANGHAI),
        live_url="https://meeting.example.org/47",
    )
    make_talk(session, "LLaVA 讲解", presenters=[make_person("张宇森")])
    return session


def _page(browser, live_server, timezone_id: str):
    context = browser.new_context(base_url=live_server.url, locale="en-US", timezone_id=timezone_id)
    context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


def test_copy_announcement_puts_the_text_on_the_clipboard(browser, live_server, session):
    context, page = _page(browser, live_server, "Asia/Shanghai")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto("/nice/47/")
    page.get_by_role("button", name="Copy announcement").click()
    page.get_by_text("Copied: paste it into the group chat.").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("【NICE 每周分享 No. 47】多模态论文分享\n")
    assert "Time: Fri, Mar 14, 2031, 19:00–21:00 Asia/Shanghai (UTC+08:00)" in copied
    assert "1. LLaVA 讲解 — 张宇森" in copied
    assert copied.endswith(f"Details: {live_server.url}/nice/47/")
    context.close()


def test_your_time_shows_for_a_visitor_in_another_zone(browser, live_server, session):
    context, page = _page(browser, live_server, "Europe/Berlin")
    page.goto("/nice/47/")
    line = page.locator("[data-your-time]")
    line.wait_for(state="visible")
    # 19:00 in Shanghai is 12:00 in Berlin (UTC+1 in March).
    assert line.locator(".label").inner_text() == "Your time"
    value = line.locator(".your-time__value").inner_text()
    assert value == "Fri, Mar 14, 2031, 12:00–14:00 (Europe/Berlin)"
    context.close()


def test_your_time_stays_hidden_in_the_series_zone(browser, live_server, session):
    context, page = _page(browser, live_server, "Asia/Shanghai")
    page.goto("/nice/47/")
    page.locator(".announcement__copy").wait_for(state="visible")  # the script has run
    assert page.locator("[data-your-time]").is_hidden()
    context.close()
