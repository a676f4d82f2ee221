"""Search in real Chromium: type in the header box, pick a suggestion by keyboard,
narrow by a facet in place, land on the talk."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from playwright.sync_api import expect

from tests.factories import SHANGHAI, make_paper, make_person, make_series, make_session, make_talk


@pytest.fixture
def archive(transactional_db):
    series = make_series()
    old = make_session(
        series,
        number=4,
        title="视觉语言模型的幻觉",
        starts_at=datetime(2023, 9, 2, 19, tzinfo=SHANGHAI),
    )
    new = make_session(
        series, number=9, title="多模态新进展", starts_at=datetime(2025, 3, 1, 19, tzinfo=SHANGHAI)
    )
    tomas = make_person("Tomás Ferreira")
    make_talk(
        old,
        "POPE: object hallucination",
        presenters=[tomas],
        paper=make_paper("POPE", venue="EMNLP 2023", year=2023),
    )
    make_talk(new, "Woodpecker hallucination correction", presenters=[tomas])
    return series


def test_a_visitor_types_picks_a_suggestion_narrows_and_lands_on_the_talk(
    page, archive, csp_violations
):
    page.goto("/nice/")  # the header box (the home page has a big box of its own)
    box = page.locator("#site-search")
    box.press_sequentially("tomas", delay=30)
    options = page.locator("#search-suggestions [role=option]")
    expect(options.first).to_contain_text("Tomás Ferreira")
    box.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/people/"))
    expect(page.locator("h1")).to_have_text("Tomás Ferreira")

    page.goto("/search/?q=hallucination")
    talks = page.locator("#found-talk ~ ol .list__title")
    expect(talks).to_have_text(
        ["Woodpecker hallucination correction", "POPE: object hallucination"]
    )
    page.locator(".chip", has_text="2023").click()  # narrows in place, through htmx
    expect(talks).to_have_text(["POPE: object hallucination"])
    expect(page).to_have_url(re.compile(r"year=2023"))
    talks.first.click()
    expect(page).to_have_url(re.compile(r"/nice/4/#talk-\d+$"))
    assert csp_violations == []
