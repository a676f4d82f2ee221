from nice.markdown import render_markdown, sanitize


def test_it_renders_inline_and_display_math_as_mathml():
    html = render_markdown("损失 $\\frac{a}{b}$ 与\n\n$$\\sum_i x_i$$")
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline">' in html
    assert "<mfrac><mrow><mi>a</mi></mrow><mrow><mi>b</mi></mrow></mfrac>" in html
    assert 'display="block"' in html
    assert "<munder><mo>∑</mo><mi>i</mi></munder>" in html


def test_it_renders_markdown_emphasis_lists_and_links():
    html = render_markdown("**粗体** and [arXiv](https://arxiv.org/abs/1706.03762)\n\n- one\n- two")
    assert "<strong>粗体</strong>" in html
    assert (
        '<a href="https://arxiv.org/abs/1706.03762" rel="noopener noreferrer nofollow">arXiv</a>'
        in html
    )
    assert "<li>one</li>" in html


def test_it_leaves_a_script_tag_as_inert_text():
    html = render_markdown("hi <script>alert(1)</script>")
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_it_never_makes_a_javascript_link():
    html = render_markdown('[click](javascript:alert(1)) <a href="javascript:alert(2)">x</a>')
    assert "<a" not in html  # neither becomes a link: both stay visible as text
    assert "[click](javascript:alert(1))" in html


def test_the_sanitizer_strips_javascript_hrefs_that_reach_it():
    assert (
        sanitize('<a href="javascript:alert(1)">x</a>')
        == '<a rel="noopener noreferrer nofollow">x</a>'
    )


def test_it_drops_href_from_latex():
    html = render_markdown("$\\href{javascript:alert(1)}{click}$")
    assert "javascript" not in html
    assert "href" not in html
    assert "<mi>c</mi>" in html  # the text itself survives


def test_it_shows_invalid_latex_as_code_instead_of_failing():
    html = render_markdown("$\\frac{a$ ok")
    assert "ok" in html


def test_it_does_not_treat_prices_as_math():
    assert "<math" not in render_markdown("costs $5 and $6")


def test_it_removes_event_handlers_from_raw_html():
    html = render_markdown('<img src="x" onerror="alert(1)">')
    assert "onerror=" not in html.replace("&lt;", "<").split("<img")[0]
    assert "<img" not in html
