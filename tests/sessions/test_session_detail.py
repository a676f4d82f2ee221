import io
from datetime import datetime

import pytest
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from PIL import Image

from tests.factories import (
    SHANGHAI,
    add_session_presenter,
    make_full_session,
    make_paper,
    make_person,
    make_series,
    make_session,
    make_talk,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def nice47():
    series = make_series()
    make_session(series, number=46, title="上一期主题")
    session = make_session(
        series,
        number=47,
        title="多模态论文分享@ICLR2025",
        starts_at=datetime(2025, 3, 15, 19, 0, tzinfo=SHANGHAI),
        ends_at=datetime(2025, 3, 15, 21, 0, tzinfo=SHANGHAI),
        venue="腾讯会议 123-456",
        live_url="https://meeting.example.org/47",
        keywords=["ICLR分享会", "多模态"],
    )
    make_session(series, number=48, title="下一期主题")
    make_session(series, number=49, title="草稿期", status="draft")
    paper = make_paper(
        "Visual Instruction Tuning",
        arxiv_id="2304.08485",
        venue="ICLR 2025",
        code_url="https://github.com/haotian-liu/LLaVA",
        project_url="https://llava-vl.github.io/",
    )
    alice = make_person("张宇森", affiliation="星河大学")
    make_talk(
        session,
        "第二个报告",
        presenters=[make_person("翟胜方")],
        segment="第二场",
        order=2,
        summary="对比损失 $\\frac{a}{b}$ 与 <script>alert(1)</script>",
    )
    make_talk(
        session,
        "LLaVA 讲解",
        presenters=[alice],
        segment="第一场",
        order=1,
        paper=paper,
        tags="Oral",
    )
    return session


def test_it_shows_the_session_with_its_time_in_the_series_zone(client, nice47):
    html = client.get("/nice/47/").content.decode()
    assert "<h1>多模态论文分享@ICLR2025</h1>" in html
    assert "第47期" in html
    assert (
        '<time datetime="2025-03-15T19:00:00+08:00">2025年3月15日 星期六 19:00–21:00</time>' in html
    )
    assert "Asia/Shanghai (UTC+08:00)" in html
    assert "腾讯会议 123-456" in html
    assert 'href="https://meeting.example.org/47"' in html
    assert 'href="/keywords/%E5%A4%9A%E6%A8%A1%E6%80%81/"' in html


def test_it_lists_talks_in_order_grouped_by_segment_with_links(client, nice47):
    html = client.get("/nice/47/").content.decode()
    html = html[html.index("<main") :]
    assert (
        html.index("第一场")
        < html.index("LLaVA 讲解")
        < html.index("第二场")
        < html.index("第二个报告")
    )
    assert '<span class="badge">Oral</span>' in html
    assert 'href="https://arxiv.org/abs/2304.08485"' in html
    assert 'href="https://github.com/haotian-liu/LLaVA"' in html
    assert 'href="https://llava-vl.github.io/"' in html
    assert (
        '<a href="/people/%E5%BC%A0%E5%AE%87%E6%A3%AE/">张宇森</a> <span class="affiliation">星河大学</span>'
        in html
    )


def test_it_renders_summaries_as_sanitized_html_with_mathml(client, nice47):
    html = client.get("/nice/47/").content.decode()
    assert "<mfrac>" in html
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_it_links_the_previous_and_next_public_sessions(client, nice47):
    html = client.get("/nice/47/").content.decode()
    assert '<a rel="prev" href="/nice/46/">' in html
    assert '<a rel="next" href="/nice/48/">' in html
    last = client.get("/nice/48/").content.decode()
    assert 'rel="next"' not in last  # the draft 49 is not linked


def test_it_has_open_graph_tags(client, nice47):
    html = client.get("/nice/47/").content.decode()
    assert '<meta property="og:title" content="第47期 · 多模态论文分享@ICLR2025">' in html
    assert '<meta property="og:url" content="http://testserver/nice/47/">' in html
    assert '<meta property="og:description" content="LLaVA 讲解 / 第二个报告">' in html


def test_it_says_when_a_session_was_cancelled(client):
    make_session(make_series(), number=3, status="cancelled")
    html = client.get("/nice/3/").content.decode()
    assert "本期已取消" in html


def test_a_draft_is_404_for_anonymous_and_attendees_but_previewed_by_staff(client, nice47):
    assert client.get("/nice/49/").status_code == 404
    client.force_login(User.objects.create_user("attendee"))
    assert client.get("/nice/49/").status_code == 404
    client.force_login(User.objects.create_user("admin", is_staff=True))
    response = client.get("/nice/49/")
    assert response.status_code == 200
    assert "草稿：只有本系列的组织者和管理员能看到此页面" in response.content.decode()


def test_it_shows_the_series_qr_image_unless_the_session_has_its_own(client, nice47):
    series = nice47.series
    series.qr_image.save("series.png", ContentFile(png_bytes()))
    html = client.get("/nice/47/").content.decode()
    assert f'src="{series.qr_image.url}"' in html
    nice47.qr_image.save("own.png", ContentFile(png_bytes()))
    html = client.get("/nice/47/").content.decode()
    assert f'src="{nice47.qr_image.url}"' in html and series.qr_image.url not in html


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (30, 30), 255).save(buffer, "PNG")
    return buffer.getvalue()


def test_next_redirects_to_the_upcoming_session_or_the_archive(client):
    from tests.factories import days_from_now

    series = make_series()
    make_session(series, number=1, starts_at=days_from_now(-3))
    assert client.get("/nice/next/")["Location"] == "/nice/"
    make_session(series, number=2, starts_at=days_from_now(4), status="draft")
    make_session(series, number=3, starts_at=days_from_now(5))
    assert client.get("/nice/next/")["Location"] == "/nice/3/"


@pytest.mark.parametrize("talks", [1, 3])
def test_its_query_count_does_not_grow_with_talks(client, django_assert_num_queries, talks):
    series = make_series()
    session = make_session(series, number=1, keywords=["a", "b"])
    add_session_presenter(session, make_person("Host"))
    for index in range(talks):
        make_talk(
            session,
            f"T{index}",
            presenters=[make_person(f"P{index}")],
            paper=make_paper(f"Paper {index}"),
        )
    # 1 session with series; 2 keywords; 3 session presenters; 4 talks with
    # papers; 5 talk presenters; 6 previous; 7 next.
    with django_assert_num_queries(7):
        client.get("/nice/1/")


def test_full_sessions_cost_the_same_too(client, django_assert_num_queries):
    make_full_session(make_series(), 5)
    with django_assert_num_queries(7):
        client.get("/nice/5/")


@pytest.mark.parametrize(
    "url",
    [
        "/nice/99999999999999999999/",
        "/papers/99999999999999999999/",
        "/api/v1/series/nice/sessions/99999999999999999999",
        "/api/v1/series/nice/sessions?page=99999999999999999999",
    ],
)
def test_numbers_beyond_the_database_range_are_404_not_500(client, url):
    make_session(make_series(), number=1)
    assert client.get(url).status_code == 404
