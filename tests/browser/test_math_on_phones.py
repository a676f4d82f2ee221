"""Formulas on a 390 px phone: wide display math scrolls in its own box, inline math does not
widen the page, and "。" after a formula stays on the formula's line."""

from datetime import datetime

import pytest
from playwright.sync_api import expect

from nice.markdown import render_markdown
from tests.factories import SHANGHAI, make_series, make_session, make_talk

WIDE = r"p(y \mid x) \approx \sum_{z \in \text{top-}k} p_\eta(z \mid x)\, p_\theta(y \mid x, z) + \sum_{i=1}^{n} \alpha_i \beta_i \gamma_i \delta_i \epsilon_i \zeta_i \kappa_i \lambda_i"


def test_it_keeps_punctuation_with_the_formula_before_it():
    html = render_markdown("文档：$p(y|x)$。然后 $a$, 和 $b$ 完")
    assert "</math></span>。</span>然后" in html
    assert html.count('<span class="math-nowrap">') == 2  # "。" and ","; not "$b$ 完"
    assert '<div class="math block" tabindex="0">' in render_markdown("$$a=b$$")


@pytest.fixture
def session(transactional_db):
    session = make_session(
        make_series(), number=7, starts_at=datetime(2025, 3, 15, 19, tzinfo=SHANGHAI)
    )
    make_talk(
        session,
        "RAG",
        summary=f"边缘化检索到的文档：${WIDE}$。以及更多的说明文字，填满这一行。\n\n$${WIDE}$$",
    )
    return session


def test_it_fits_formulas_in_a_phone(browser, live_server, session):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    page = context.new_page()
    page.goto(session.get_absolute_url())
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    block = page.locator(".math.block")
    assert block.evaluate("box => box.scrollWidth > box.clientWidth")  # it scrolls, inside
    block.focus()
    page.keyboard.press("ArrowRight")
    expect(block).not_to_have_js_property("scrollLeft", 0)

    pair = page.locator(".math-nowrap")
    formula = pair.locator(".math.inline").bounding_box()
    full_stop = pair.evaluate(
        """pair => { const range = document.createRange();
        range.setStart(pair.lastChild, 0); range.setEnd(pair.lastChild, 1);
        return range.getBoundingClientRect().toJSON(); }"""
    )
    assert formula and full_stop["top"] < formula["y"] + formula["height"]  # same line
    context.close()
