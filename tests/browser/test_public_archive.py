import re
from datetime import datetime

import pytest
from playwright.sync_api import expect

from tests.factories import (
    SHANGHAI,
    add_session_presenter,
    days_from_now,
    make_paper,
    make_person,
    make_series,
    make_session,
    make_talk,
)


@pytest.fixture
def archive(transactional_db):
    series = make_series()
    ada = make_person("黎健进", affiliation="东岭大学", note="知乎：Lil2J")
    bob = make_person("Qiyao (Chi-Yao) Wei", affiliation="North Harbor University")
    s46 = make_session(
        series,
        number=46,
        title="推理模型专题",
        starts_at=datetime(2024, 12, 28, 10, 30, tzinfo=SHANGHAI),
        keywords=["推理"],
    )
    make_talk(s46, "GRPO 解读", presenters=[bob], summary="优势 $\\hat{A}_i = r_i - \\bar{r}$")
    s47 = make_session(
        series,
        number=47,
        title="多模态论文分享@ICLR2025",
        starts_at=datetime(2025, 3, 15, 19, 0, tzinfo=SHANGHAI),
        keywords=["ICLR分享会", "多模态"],
    )
    add_session_presenter(s47, ada)
    make_talk(
        s47,
        "Visual Instruction Tuning",
        presenters=[ada],
        paper=make_paper("Visual Instruction Tuning", arxiv_id="2304.08485", venue="ICLR 2025"),
        summary="对比损失 $\\frac{a}{b}$ and object hallucination.",
    )
    make_session(series, number=48, title="下一期：检索增强", starts_at=days_from_now(6))
    return series


def test_a_visitor_goes_from_home_to_archive_filter_session_and_person(
    page, archive, csp_violations
):
    page.goto("/")
    expect(page.locator("h1")).to_have_text("论文分享会")
    expect(page.locator(".featured .card__title")).to_have_text("下一期：检索增强")

    page.get_by_role("link", name="全部期数 →").click()
    expect(page).to_have_url(re.compile(r"/nice/$"))
    expect(page.locator("#session-list .card")).to_have_count(3)

    # The filter swaps the results in place (no page load) and updates the URL.
    page.evaluate("window.stillTheSamePage = true")
    page.locator(".filters").get_by_role("link", name="2024").click()
    expect(page).to_have_url(re.compile(r"/nice/\?year=2024$"))
    expect(page.locator("#session-list .card")).to_have_count(1)
    expect(page.locator("#session-list .card__title")).to_have_text("推理模型专题")
    expect(page.locator(".filters a[aria-current]").filter(has_text="2024")).to_have_count(1)
    assert page.evaluate("window.stillTheSamePage") is True

    page.locator(".filters").get_by_role("link", name="多模态").click()
    expect(page.locator("#session-list .card")).to_have_count(0)
    page.locator(".filters").get_by_role("link", name="全部").first.click()  # all years
    expect(page).to_have_url(re.compile(r"/nice/\?keyword="))
    expect(page.locator("#session-list .card__title")).to_have_text("多模态论文分享@ICLR2025")
    assert page.evaluate("window.stillTheSamePage") is True

    page.get_by_role("link", name="多模态论文分享@ICLR2025").click()
    expect(page).to_have_url(re.compile(r"/nice/47/$"))
    expect(page.locator("h1")).to_have_text("多模态论文分享@ICLR2025")
    expect(page.locator(".session-head .when")).to_contain_text("2025年3月15日 星期六 19:00")
    expect(page.locator(".session-head .when")).to_contain_text("Asia/Shanghai (UTC+08:00)")
    expect(page.locator(".talk__summary math")).to_have_count(1)
    expect(page.get_by_role("link", name="arXiv:2304.08485")).to_have_attribute(
        "href", "https://arxiv.org/abs/2304.08485"
    )

    page.locator(".talk").get_by_role("link", name="黎健进").click()
    expect(page.locator("h1")).to_have_text("黎健进")
    expect(page.locator(".profile")).to_contain_text("知乎：Lil2J")
    expect(page.locator(".list__title")).to_have_text(["Visual Instruction Tuning"])
    assert csp_violations == []


def test_more_loads_the_next_page_in_place(page, archive, settings, csp_violations):
    settings.SESSIONS_PER_PAGE = 2
    page.goto("/nice/")
    expect(page.locator("#session-list .card")).to_have_count(2)
    page.get_by_role("link", name="加载更多").click()
    expect(page.locator("#session-list .card")).to_have_count(3)
    expect(page.get_by_role("link", name="加载更多")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/nice/$"))  # "more" does not change the address
    assert csp_violations == []


def test_a_visitor_searches_in_chinese_and_in_english(page, archive, csp_violations):
    page.goto("/")
    page.get_by_label("搜索论文、嘉宾与主题").fill("多模态")
    page.get_by_label("搜索论文、嘉宾与主题").press("Enter")
    expect(page.locator(".search-hit--session .list__title").first).to_contain_text(
        "多模态论文分享@ICLR2025"
    )

    page.locator("#search-q").fill("HALLUCINATION")
    page.locator("#search-q").press("Enter")
    expect(page.locator(".search-hit--talk .list__title").first).to_contain_text(
        "Visual Instruction Tuning"
    )
    assert csp_violations == []


def test_the_language_switch_turns_the_page_english(page, archive):
    page.goto("/nice/47/")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(".session-head__number")).to_have_text("No. 47")
    expect(page.locator(".session-head .when")).to_contain_text("Sat, Mar 15, 2025 19:00")
