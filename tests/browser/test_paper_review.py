"""An organizer uploads a garbled paper list in real Chromium, fixes two unsure
characters with the keyboard alone, imports, and finds the papers with them."""

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from papers.models import Paper
from tests.factories import make_series

PASSWORD = "correct horse battery staple"
EXAMPLE = Path(__file__).resolve().parents[3] / "shared" / "examples" / "paper-list-mojibake.md"
FIXTURE = Path(__file__).resolve().parents[1] / "papers" / "fixtures" / "paper-list-garbled.md"
# The text on either side of an unsure character, as the review page shows it.
SIDES = (
    "el => [el.firstChild.textContent.replace('…', ''), el.lastChild.textContent.replace('…', '')]"
)


@pytest.fixture
def organizer(transactional_db):
    user = User.objects.create_user("organizer", password=PASSWORD)
    make_series().organizers.add(user)
    return user


def test_an_organizer_fixes_two_characters_by_keyboard_and_imports(page, organizer, csp_violations):
    garbled = EXAMPLE if EXAMPLE.exists() else FIXTURE
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill("organizer")
    page.get_by_label("密码").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/manage/$"))
    page.locator("main a[href='/manage/paper-lists/']").click()
    page.locator("input[type=file]").set_input_files(str(garbled))
    page.locator("#upload-paper-list").click()

    items = page.locator("#paper-review .unsure")
    expect(items.first).to_be_focused()  # the keyboard starts at the first character
    if items.count() < 2:
        pytest.skip("the repair was unsure of fewer than two characters")
    picks = []
    for index in range(2):
        item = items.nth(index)
        runner_up = item.locator(".candidate__character").nth(1).inner_text()
        before, after = item.locator(".unsure__context").evaluate(SIDES)
        picks.append((runner_up, before[-4:], after[:4], item.locator(".unsure__mark")))
    # Two key presses: "2" picks a character's runner-up and moves on to the next one.
    page.keyboard.press("2")
    expect(items.nth(1)).to_be_focused()
    page.keyboard.press("2")
    for runner_up, _before, _after, mark in picks:
        expect(mark).to_have_text(runner_up)  # the highlight follows the choice
    page.locator("#import-reviewed").click()

    expect(page.locator(".imported-papers li")).to_have_count(Paper.objects.count())
    assert Paper.objects.count() == (19 if garbled == EXAMPLE else 3)
    expect(page.locator(".paper-choice--changed")).to_have_count(2)
    for runner_up, before, after, _mark in picks:
        paper = Paper.objects.get(notes__contains=before + runner_up + after)
        page.goto(paper.get_absolute_url())
        expect(page.locator("main")).to_contain_text(before[-2:] + runner_up + after[:2])
    assert not csp_violations
