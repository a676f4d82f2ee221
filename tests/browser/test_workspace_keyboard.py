"""The organizer's path by keyboard alone (Tab, Enter, Space; no mouse), in real Chromium:
create a session, add three talks, reorder them, add a presenter, remove a talk, publish,
then add a recording, which a visitor plays by keyboard. After each step the test checks
where focus is and what the editor's live region said (static/js/talk-focus.js).

In English: the strings this adds get their Chinese with the catalog."""

import re
from datetime import datetime

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from sessions.models import Session
from tests.factories import SHANGHAI, make_series, make_session

PASSWORD = "correct horse battery staple"
YOUTUBE = "https://youtu.be/dQw4w9WgXcQ"


@pytest.fixture
def nice(transactional_db):
    series = make_series()
    make_session(series, number=90, starts_at=datetime(2025, 3, 8, 19, 0, tzinfo=SHANGHAI))
    series.organizers.add(User.objects.create_user("organizer", password=PASSWORD))
    return series


def tab_to(page, selector: str, limit: int = 120) -> None:
    """Press Tab until the focused element matches `selector`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def focused_id(page) -> str:
    return page.evaluate("document.activeElement.id")


def titles(page) -> list[str]:
    return page.locator(".talk-card__title").all_inner_texts()


def test_an_organizer_does_it_all_by_keyboard(
    page, browser, live_server, nice, arxiv, csp_violations
):
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto("/accounts/login/")
    tab_to(page, "#id_username")
    page.keyboard.type("organizer")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/manage/$"))

    # A new session: the usual weekday, time and place are filled in; a title is typed.
    tab_to(page, 'a[href="/manage/nice/new/"]')
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/manage/nice/new/$"))
    tab_to(page, "#id_title")
    page.keyboard.type("Keyboard session")
    tab_to(page, "main form button[type=submit]")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/manage/nice/91/$"))
    status = page.locator("#talks-status")
    expect(status).to_have_text("")

    # Three talks by arXiv id: focus goes to each new talk, and the region says so.
    ids = []
    for reference in ("2305.18290", "2201.11903", "1706.03762"):
        tab_to(page, "#id_reference")
        page.keyboard.type(reference)
        page.keyboard.press("Enter")
        expect(page.locator(".talk-card")).to_have_count(len(ids) + 1)
        ids.append(page.locator(".talk-card").last.get_attribute("data-talk-id"))
        expect(page.locator(f"#talk-title-{ids[-1]}")).to_be_focused()
        expect(status).to_have_text("Talk added")
    dpo, cot, attention = ids
    assert titles(page) == [
        "Direct Preference Optimization: Your Language Model is Secretly a Reward Model",
        "Chain-of-Thought Prompting Elicits Reasoning in Large Language Models",
        "Attention Is All You Need",
    ]

    # Reorder: focus stays on the moved talk's button, at its new place.
    tab_to(page, f"#move-up-{attention}")
    page.keyboard.press("Enter")
    expect(status).to_have_text("Talk moved to position 2")
    expect(page.locator(".talk-card__title").nth(1)).to_have_text("Attention Is All You Need")
    expect(page.locator(f"#move-up-{attention}")).to_be_focused()
    page.keyboard.press("Space")
    expect(status).to_have_text("Talk moved to position 1")
    expect(page.locator(".talk-card__title").first).to_have_text("Attention Is All You Need")
    # At the top its "up" is disabled: focus takes "down", on the same talk.
    expect(page.locator(f"#move-down-{attention}")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".talk-card__title").nth(1)).to_have_text("Attention Is All You Need")
    expect(status).to_have_text("Talk moved to position 2")  # said again, though the same
    expect(page.locator(f"#move-down-{attention}")).to_be_focused()
    assert [card.get_attribute("data-talk-id") for card in page.locator(".talk-card").all()] == [
        dpo,
        attention,
        cot,
    ]

    # A presenter for the first talk: focus stays in its box, ready for the next one.
    tab_to(page, f"#presenter-{dpo}")
    page.keyboard.type("Ada Lovelace")
    page.keyboard.press("Enter")
    expect(page.locator(f"#talk-{dpo} .chip")).to_contain_text("Ada Lovelace")
    expect(page.locator(f"#presenter-{dpo}")).to_be_focused()
    expect(status).to_have_text("Presenter added: Ada Lovelace")
    # Tap targets of at least 24x24 px: the presenter's ×, ↑ and ↓.
    for selector in (f"#talk-{dpo} .chip__remove", f"#move-up-{cot}", f"#move-down-{dpo}"):
        box = page.locator(selector).bounding_box()
        assert box and box["width"] >= 24 and box["height"] >= 24, (selector, box)

    # A fourth talk, removed again: focus goes to the talk before it, now the last.
    tab_to(page, "#id_reference")
    page.keyboard.type("Placeholder talk")
    page.keyboard.press("Enter")
    expect(page.locator(".talk-card")).to_have_count(4)
    extra = page.locator(".talk-card").last.get_attribute("data-talk-id")
    tab_to(page, f"#talk-edit-{extra}")
    page.keyboard.press("Enter")  # opens the talk's details
    tab_to(page, f"#talk-{extra} button.danger")
    page.once("dialog", lambda dialog: dialog.accept())
    page.keyboard.press("Enter")
    expect(page.locator(".talk-card")).to_have_count(3)
    expect(status).to_have_text("Talk removed")
    expect(page.locator(f"#talk-title-{cot}")).to_be_focused()

    # Publishing: the placeholders left in are said by the button, and published anyway.
    check = page.locator("#publish-check")
    expect(check).to_contain_text("Talk 2, “Attention Is All You Need”, has no presenter.")
    assert "Talk 1," not in check.inner_text()
    tab_to(page, 'button[value="publish"]')
    assert page.evaluate("document.activeElement.getAttribute('aria-describedby')") == (
        "publish-check"
    )
    page.keyboard.press("Enter")
    expect(page.locator(".editor-head .badge")).to_have_text("Published")
    expect(page.locator(".message--warning").first).to_have_text(
        "Published; worth a second look: Talk 2, “Attention Is All You Need”, has no presenter."
    )
    assert Session.objects.get(number=91).status == "published"

    # Afterwards, the recording: open the talk's details, type the link, Enter saves.
    tab_to(page, f"#talk-edit-{attention}")
    page.keyboard.press("Enter")
    tab_to(page, f"#id_talk-{attention}-recording_url")
    page.keyboard.type(YOUTUBE)
    page.keyboard.press("Enter")
    expect(status).to_have_text("Talk saved.")
    expect(page.locator(f"#talk-edit-{attention}")).to_be_focused()
    expect(page.locator(f"#talk-{attention} .talk-card__after")).to_contain_text("YouTube")
    assert csp_violations == []

    # A visitor plays it by keyboard: nothing of the player loads before that.
    visitor = browser.new_context(base_url=live_server.url).new_page()
    visitor.context.add_cookies(
        [{"name": "django_language", "value": "en", "url": live_server.url}]
    )
    visitor.on(
        "console",
        lambda message: (
            csp_violations.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    visitor.goto("/nice/91/")
    expect(visitor.locator("iframe")).to_have_count(0)
    tab_to(visitor, ".recording__play")
    visitor.keyboard.press("Space")
    frame = visitor.locator(f"#talk-{attention} iframe.recording__frame")
    expect(frame).to_have_attribute(
        "src", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1"
    )
    expect(frame).to_have_attribute("title", "Recording: Attention Is All You Need")
    expect(frame).to_be_focused()
    visitor.context.close()
    assert csp_violations == []


def test_without_javascript_the_recording_is_a_link(browser, live_server, nice):
    session = Session.objects.get(number=90)
    session.talks.create(title="Recorded", order=1, recording_url=YOUTUBE)
    context = browser.new_context(
        base_url=live_server.url, java_script_enabled=False, locale="zh-CN"
    )
    page = context.new_page()
    page.goto("/nice/90/")
    expect(page.locator(".recording__play")).to_be_hidden()  # no button that cannot work
    expect(page.get_by_role("link", name="录像")).to_have_attribute("href", YOUTUBE)
    context.close()
