"""One rule says which texts are Chinese and which English; pages mark the other language."""

import pytest
from django.utils import translation

from sessions.templatetags.nice import lang_attr, text_language
from tests.factories import make_person, make_series, make_session, make_talk


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("多模态论文分享@ICLR2025", "zh"),
        ("GRPO 解读", "zh"),
        ("刘子涵", "zh"),
        ("Attention Is All You Need (中文解读)", "en"),
        ("Tomás Ferreira", "en"),
        ("2025", None),
        ("", None),
    ],
)
def test_it_tells_chinese_from_english(text, language):
    assert text_language(text) == language


def test_it_marks_only_the_other_language():
    with translation.override("en"):
        assert lang_attr("刘子涵") == ' lang="zh"'
        assert lang_attr("Maya Lindqvist") == ""
    with translation.override("zh-hans"):
        assert lang_attr("Maya Lindqvist") == ' lang="en"'
        assert lang_attr("刘子涵") == ""
        assert lang_attr("2025") == ""


def test_it_marks_titles_names_and_summaries_on_a_session_page(client, db):
    session = make_session(make_series(), number=3, title="推理模型专题", keywords=["多模态"])
    make_talk(
        session,
        "Direct Preference Optimization",
        presenters=[make_person("黎健进")],
        summary="用偏好数据直接优化策略。",
    )
    client.cookies["django_language"] = "en"
    english = client.get(session.get_absolute_url()).content.decode()
    assert '<h1 lang="zh">推理模型专题</h1>' in english
    assert 'lang="zh">黎健进</a>' in english
    assert '<div class="prose talk__summary" lang="zh">' in english
    assert "<span>Direct Preference Optimization</span>" in english
    assert 'lang="zh">多模态</a>' in english  # a keyword chip

    client.cookies["django_language"] = "zh-hans"
    chinese = client.get(session.get_absolute_url()).content.decode()
    assert "<h1>推理模型专题</h1>" in chinese
    assert '<span lang="en">Direct Preference Optimization</span>' in chinese
