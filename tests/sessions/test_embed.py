"""Issue 11, "Embeddable schedule": /<series>/embed/ for other sites' frames, its
JSON twin /api/v1/series/<slug>/upcoming with CORS, and the snippet on the series page."""

from __future__ import annotations

import re
from html import unescape

import pytest

from sessions.embed import DEFAULT_LIMIT, MAX_LIMIT, parse_limit
from tests.factories import (
    days_from_now,
    make_full_session,
    make_person,
    make_series,
    make_session,
    make_talk,
)
from tests.sessions.test_api import validator_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def series():
    series = make_series()
    make_session(series, number=1, title="Long past", starts_at=days_from_now(-30))
    soon = make_session(series, number=2, title="多模态论文分享", starts_at=days_from_now(2))
    make_talk(soon, "LLaVA 讲解", presenters=[make_person("张宇森"), make_person("翟胜方")])
    make_session(
        series, number=3, title="Called off", starts_at=days_from_now(9), status="cancelled"
    )
    make_session(series, number=4, title="Secret draft", starts_at=days_from_now(5), status="draft")
    for number in range(5, 13):
        make_session(
            series, number=number, title=f"Later {number}", starts_at=days_from_now(9 + number)
        )
    return series


def _titles(html: str) -> list[str]:
    return re.findall(
        r'class="embed__link"[^>]*><span class="embed__number">[^<]*</span> <span[^>]*>([^<]*)</span></a>',
        html,
    )


def test_it_lists_the_next_public_sessions_soonest_first(client, series):
    response = client.get("/nice/embed/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert _titles(html) == ["多模态论文分享", "Called off", "Later 5", "Later 6", "Later 7"]
    assert "Secret draft" not in html and "Long past" not in html
    assert '<span class="embed__cancelled">Cancelled</span>' in html
    assert '<p class="embed__people">张宇森, 翟胜方</p>' in html
    assert 'href="/nice/2/" target="_blank" rel="noopener"' in html
    assert "css/embed" in html and "js/embed-frame" in html
    assert "css/site" not in html  # its own small stylesheet
    assert "<script>" not in html and "style=" not in html


def test_every_link_opens_in_a_new_tab(client, series):
    html = client.get("/nice/embed/").content.decode()
    links = re.findall(r"<a [^>]*>", html)
    assert links and all('target="_blank" rel="noopener"' in link for link in links)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, DEFAULT_LIMIT),
        ("", DEFAULT_LIMIT),
        ("3", 3),
        ("007", 7),
        ("0", DEFAULT_LIMIT),
        ("-3", DEFAULT_LIMIT),
        ("abc", DEFAULT_LIMIT),
        ("²", DEFAULT_LIMIT),
        ("2.5", DEFAULT_LIMIT),
        ("999", MAX_LIMIT),
        ("9" * 5000, MAX_LIMIT),
    ],
)
def test_it_reads_the_limit_within_bounds(raw, expected):
    assert parse_limit(raw) == expected


@pytest.mark.parametrize(("limit", "count"), [("2", 2), ("x", 5), ("10000", 10), ("9" * 5000, 10)])
def test_the_page_obeys_the_limit_and_never_fails(client, series, limit, count):
    response = client.get("/nice/embed/", {"limit": limit})
    assert response.status_code == 200
    assert len(_titles(response.content.decode())) == count  # 10 public sessions ahead


def test_it_speaks_the_language_asked_for(client, series):
    chinese = client.get("/nice/embed/?lang=zh-hans", HTTP_ACCEPT_LANGUAGE="en")
    assert chinese["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans">' in chinese.content.decode()
    assert "第2期" in chinese.content.decode() and "张宇森、翟胜方" in chinese.content.decode()
    english = client.get("/nice/embed/?lang=en", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert english["Content-Language"] == "en"
    assert "No. 2" in english.content.decode()
    unknown = client.get("/nice/embed/?lang=klingon", HTTP_ACCEPT_LANGUAGE="en")
    assert unknown.status_code == 200 and unknown["Content-Language"] == "en"


def test_it_says_so_when_nothing_is_ahead(client):
    make_series()
    html = client.get("/nice/embed/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No sessions are scheduled yet." in html


def test_an_unknown_series_is_a_404(client, series):
    assert client.get("/nowhere/embed/").status_code == 404


def _frame_ancestors(response) -> str:
    policy = response["Content-Security-Policy"]
    return next(part.strip() for part in policy.split(";") if "frame-ancestors" in part)


def test_only_the_embed_may_be_framed(client, series):
    for attempt in range(2):  # the second answer comes from the page cache
        embed = client.get("/nice/embed/")
        assert _frame_ancestors(embed) == "frame-ancestors *", attempt
        assert not embed.has_header("X-Frame-Options"), attempt
        assert "script-src 'self'" in embed["Content-Security-Policy"]
    for url in ["/nice/", "/nice/2/", "/", "/api/v1/series/nice/upcoming", "/search/?q=x"]:
        response = client.get(url)
        assert _frame_ancestors(response) == "frame-ancestors 'none'", url
        assert response["X-Frame-Options"] == "DENY", url


def test_a_revalidated_embed_may_still_be_framed(client, series):
    first = client.get("/nice/embed/")
    again = client.get("/nice/embed/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert _frame_ancestors(again) == "frame-ancestors *"
    assert not again.has_header("X-Frame-Options")


def test_it_sets_no_cookie(client, series):
    for url in ["/nice/embed/", "/nice/embed/?lang=en", "/nice/embed/?lang=zh-hans&limit=3"]:
        response = client.get(url)
        assert not response.cookies, url
        assert not response.has_header("Set-Cookie"), url
    assert not client.cookies


@pytest.mark.parametrize("count", [1, 3])
def test_the_embed_query_count_does_not_grow(client, django_assert_num_queries, count):
    series = make_series()
    for number in range(1, count + 1):
        make_full_session(series, number, starts_at=days_from_now(number))
    # series, sessions, keywords, session presenters, talks, talk presenters
    with django_assert_num_queries(6):
        html = client.get("/nice/embed/").content.decode()
    assert len(_titles(html)) == count


def test_the_api_lists_the_same_sessions(client, series):
    response = client.get("/api/v1/series/nice/upcoming?limit=3")
    data = response.json()
    validator_for(client, "UpcomingSessions").validate(data)
    assert [session["title"] for session in data["results"]] == [
        "多模态论文分享",
        "Called off",
        "Later 5",
    ]
    assert data["results"][1]["status"] == "cancelled"
    assert data["results"][0]["talks"][0]["presenters"][0]["name"] == "张宇森"
    assert data["url"] == "http://testserver/nice/"
    assert data["timezone"] == "Asia/Shanghai"
    assert response["Access-Control-Allow-Origin"] == "*"


def test_the_api_keeps_cors_when_served_from_the_cache(client, series):
    client.get("/api/v1/series/nice/upcoming")
    again = client.get("/api/v1/series/nice/upcoming")
    assert again["Access-Control-Allow-Origin"] == "*"


def test_the_api_answers_the_preflight(client, series):
    response = client.options(
        "/api/v1/series/nice/upcoming",
        HTTP_ORIGIN="https://lab.example.edu",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    assert not response.content


def test_the_api_refuses_writes_and_unknown_series(client, series):
    post = client.post("/api/v1/series/nice/upcoming")
    assert post.status_code == 405
    missing = client.get("/api/v1/series/nowhere/upcoming")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "No series with slug “nowhere”."}
    assert missing["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("count", [1, 3])
def test_the_api_query_count_does_not_grow(client, django_assert_num_queries, count):
    series = make_series()
    for number in range(1, count + 1):
        make_full_session(series, number, starts_at=days_from_now(number))
    with django_assert_num_queries(6):
        data = client.get("/api/v1/series/nice/upcoming").json()
    assert len(data["results"]) == count


def test_the_openapi_document_describes_the_upcoming_list(client):
    document = client.get("/api/openapi.json").json()
    operation = document["paths"]["/api/v1/series/{slug}/upcoming"]["get"]
    assert operation["operationId"] == "listUpcomingSessions"
    limit = next(p for p in operation["parameters"] if p["name"] == "limit")
    assert limit["schema"]["maximum"] == MAX_LIMIT


def _pasted_snippet(html: str) -> str:
    """The text a visitor copies from the snippet's textarea."""
    textarea = html.split("<textarea", 1)[1].split("</textarea>", 1)[0]
    return unescape(textarea.split(">", 1)[1])


def test_the_series_page_shows_the_snippet_to_paste(client, series):
    pasted = _pasted_snippet(client.get("/nice/", HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert pasted.startswith(
        '<iframe src="http://testserver/nice/embed/" data-nice-embed '
        'title="Next sessions of NICE 每周分享"'
    )
    assert '<script src="http://testserver/static/js/embed-host.js" async></script>' in pasted


def test_a_quote_in_the_series_name_stays_inside_the_snippets_title(client):
    make_series(slug="q", name='The "Q" & A club')
    html = client.get("/q/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    pasted = _pasted_snippet(html)
    assert 'title="Next sessions of The &quot;Q&quot; &amp; A club"' in pasted
    assert "style=" not in pasted  # embed-host.js drops the border: no inline style to allow
