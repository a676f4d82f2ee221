"""The organizer's path in real Chromium: log in, schedule session 91 with three papers
by arXiv id, reorder, add a presenter and a summary with math, publish; then what a
visitor sees. And two organizers editing at once."""

import re
from datetime import datetime

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from tests.factories import SHANGHAI, make_series, make_session, make_talk

PASSWORD = "correct horse battery staple"


@pytest.fixture
def nice(transactional_db):
    series = make_series()
    make_session(
        series, number=90, title="上一期", starts_at=datetime(2025, 3, 8, 19, 0, tzinfo=SHANGHAI)
    )
    for name in ("organizer", "colleague"):
        series.organizers.add(User.objects.create_user(name, password=PASSWORD))
    return series


def log_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/manage/$"))


def titles(page) -> list[str]:
    return page.locator(".talk-card__title").all_inner_texts()


def test_an_organizer_schedules_and_publishes_a_session(
    page, browser, live_server, nice, arxiv, csp_violations
):
    log_in(page, "organizer")
    page.get_by_role("link", name="新建一期").click()
    expect(page.get_by_label("期号")).to_have_value("91")
    page.get_by_label("标题").fill("多模态论文分享@ICLR2025")
    page.get_by_label("开始时间").fill("2030-03-16T19:00")
    page.get_by_label("结束时间").fill("2030-03-16T21:00")
    page.get_by_role("button", name="保存草稿").click()
    expect(page).to_have_url(re.compile(r"/manage/nice/91/$"))

    box = page.locator("#id_reference")
    for reference in ("2305.18290", "https://arxiv.org/abs/2201.11903v6", "arXiv:1706.03762"):
        count = page.locator(".talk-card").count()
        box.fill(reference)
        page.get_by_role("button", name="添加报告").click()
        expect(page.locator(".talk-card")).to_have_count(count + 1)
    assert titles(page) == [
        "Direct Preference Optimization: Your Language Model is Secretly a Reward Model",
        "Chain-of-Thought Prompting Elicits Reasoning in Large Language Models",
        "Attention Is All You Need",
    ]

    # Keyboard way: move "Attention" up one place.
    page.get_by_role("button", name="上移“Attention Is All You Need”").click()
    expect(page.locator(".talk-card__title").nth(1)).to_have_text("Attention Is All You Need")
    # Mouse way: drag the first talk onto the lower half of the last. Headless
    # Chromium under Playwright delivers native drag moves only at the source
    # point here, so the drag is played as the DOM events a hand would cause;
    # our script, htmx and the server do the rest for real.
    # Wait for htmx to swap the server's answer in, not just for the answer:
    # typing into the old fragment would be lost.
    page.evaluate(
        """() => document.body.addEventListener('htmx:afterSettle', (event) => {
            if (event.detail.xhr && event.detail.xhr.responseURL.includes('/talks/order/')) window.orderSettled = true;
        })"""
    )
    page.evaluate(
        """() => {
        const cards = document.querySelectorAll('.talk-card');
        const first = cards[0], last = cards[cards.length - 1];
        const data = new DataTransfer();
        const below = last.getBoundingClientRect().bottom - 4;
        first.dispatchEvent(new DragEvent('dragstart', {bubbles: true, dataTransfer: data}));
        last.dispatchEvent(new DragEvent('dragover', {bubbles: true, cancelable: true, dataTransfer: data, clientY: below}));
        first.dispatchEvent(new DragEvent('dragend', {bubbles: true, dataTransfer: data}));
    }"""
    )
    page.wait_for_function("() => window.orderSettled === true")
    expect(page.locator(".talk-card__title").nth(2)).to_have_text(
        "Direct Preference Optimization: Your Language Model is Secretly a Reward Model"
    )
    assert titles(page)[:2] == [
        "Attention Is All You Need",
        "Chain-of-Thought Prompting Elicits Reasoning in Large Language Models",
    ]

    first = page.locator(".talk-card").first
    first.get_by_placeholder("添加报告人：输入姓名").fill("黎健进")
    first.get_by_role("button", name="创建“黎健进”").click()
    expect(page.locator(".talk-card").first.locator(".chip")).to_contain_text("黎健进")

    first = page.locator(".talk-card").first
    first.get_by_text("编辑标题、场次、简介…").click()
    first.get_by_label("内容简介").fill(
        "注意力 $\\mathrm{softmax}(QK^\\top/\\sqrt{d_k})V$ 的直观解释。"
    )
    expect(first.locator(".preview math")).to_have_count(1)  # the live preview renders MathML
    expect(page.locator(".talk-card")).to_have_count(3)  # and replaced only itself
    first.get_by_role("button", name="保存报告").click()
    expect(page.locator("#talks .message--success")).to_have_text("报告已保存。")

    page.get_by_role("button", name="发布", exact=True).click()
    expect(page.locator(".editor-head .badge")).to_have_text("已发布")
    assert csp_violations == []

    visitor = browser.new_context(locale="zh-CN", base_url=live_server.url).new_page()
    visitor.goto("/")
    expect(visitor.locator(".featured .card__title")).to_have_text("多模态论文分享@ICLR2025")
    visitor.goto("/nice/")
    expect(visitor.locator("#session-list .card__title").first).to_have_text(
        "多模态论文分享@ICLR2025"
    )
    data = visitor.request.get("/api/v1/series/nice/sessions/91").json()
    assert data["starts_at"] == "2030-03-16T19:00:00+08:00"
    assert [t["paper"]["arxiv_id"] for t in data["talks"]] == [
        "1706.03762",
        "2201.11903",
        "2305.18290",
    ]
    assert data["talks"][0]["presenters"][0]["name"] == "黎健进"
    assert "<math" in data["talks"][0]["summary_html"]
    visitor.context.close()


def test_the_second_of_two_simultaneous_saves_is_refused_with_what_changed(
    browser, live_server, nice, csp_violations
):
    make_session(
        nice,
        number=91,
        title="原标题",
        status="draft",
        starts_at=datetime(2030, 3, 16, 19, 0, tzinfo=SHANGHAI),
    )
    pages = {}
    for name in ("organizer", "colleague"):
        pages[name] = browser.new_context(locale="zh-CN", base_url=live_server.url).new_page()
        log_in(pages[name], name)
        pages[name].goto("/manage/nice/91/")
    pages["organizer"].get_by_label("标题").fill("组织者的标题")
    pages["organizer"].get_by_role("button", name="保存", exact=True).click()
    expect(pages["organizer"].locator(".message--success")).to_have_text("已保存。")

    colleague = pages["colleague"]
    colleague.get_by_label("地点").fill("线上")
    colleague.get_by_role("button", name="保存", exact=True).click()
    conflict = colleague.locator(".conflict")
    expect(conflict).to_contain_text("未保存：在你打开之后，别人修改了本期")
    expect(conflict).to_contain_text("organizer")
    expect(conflict).to_contain_text("“原标题” → “组织者的标题”")
    expect(colleague.get_by_label("地点")).to_have_value("线上")  # their input is kept
    for page in pages.values():
        page.context.close()
    assert csp_violations == []


def test_it_refuses_the_second_of_two_simultaneous_talk_edits_and_keeps_the_input(
    browser, live_server, nice, csp_violations
):
    session = make_session(
        nice,
        number=91,
        title="第九十一期",
        status="draft",
        starts_at=datetime(2030, 3, 16, 19, 0, tzinfo=SHANGHAI),
    )
    first, second = make_talk(session, "原题目"), make_talk(session, "第二个报告")
    pages = {}
    for name in ("organizer", "colleague"):
        pages[name] = browser.new_context(locale="zh-CN", base_url=live_server.url).new_page()
        log_in(pages[name], name)
        pages[name].goto("/manage/nice/91/")

    def save_title(page, talk, title: str) -> None:
        card = page.locator(f"#talk-{talk.pk}")
        if card.locator("details[open]").count() == 0:
            card.get_by_text("编辑标题、场次、简介…").click()
        card.get_by_label("标题").fill(title)
        card.get_by_role("button", name="保存报告").click()

    # One organizer edits two talks in a row: their own first save never refuses the second.
    organizer = pages["organizer"]
    save_title(organizer, first, "组织者的题目")
    expect(organizer.locator("#talks .message--success")).to_have_text("报告已保存。")
    save_title(organizer, second, "第二个报告（改）")
    expect(organizer.locator(f"#talk-{second.pk} .talk-card__title")).to_have_text(
        "第二个报告（改）"
    )
    expect(organizer.locator("#talks .message--success")).to_have_text("报告已保存。")

    colleague = pages["colleague"]
    save_title(colleague, first, "同事的题目")
    conflict = colleague.locator(f"#talk-{first.pk} .conflict")
    expect(conflict).to_contain_text("未保存：在你打开之后，别人修改了本期")
    expect(conflict).to_contain_text("organizer")
    expect(conflict).to_contain_text("“原题目” → “组织者的题目”")
    expect(colleague.locator(f"#talk-{first.pk}").get_by_label("标题")).to_have_value("同事的题目")
    expect(colleague.locator(f"#talk-{first.pk} .talk-card__title")).to_have_text("组织者的题目")
    first.refresh_from_db()
    assert first.title == "组织者的题目"

    # Having seen what changed, saving again overwrites it deliberately.
    colleague.locator(f"#talk-{first.pk}").get_by_role("button", name="保存报告").click()
    expect(colleague.locator("#talks .message--success")).to_have_text("报告已保存。")
    expect(colleague.locator(f"#talk-{first.pk} .talk-card__title")).to_have_text("同事的题目")
    first.refresh_from_db()
    assert first.title == "同事的题目"
    for page in pages.values():
        page.context.close()
    assert csp_violations == []
