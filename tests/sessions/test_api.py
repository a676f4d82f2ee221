import json

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from tests.factories import (
    days_from_now,
    make_full_session,
    make_series,
    make_session,
)

pytestmark = pytest.mark.django_db


def validator_for(client, component: str) -> Draft202012Validator:
    """Validate against our own served OpenAPI document, refs and all."""
    document = client.get("/api/openapi.json").json()
    registry = Registry().with_resource("urn:nice-openapi", Resource.opaque(document))
    return Draft202012Validator(
        {"$ref": f"urn:nice-openapi#/components/schemas/{component}"}, registry=registry
    )


def test_the_demo_session_4_answers_exactly_the_contract(client, demo):
    response = client.get("/api/v1/series/nice/sessions/4")
    assert response["Content-Type"] == "application/json"
    data = response.json()
    validator_for(client, "Session").validate(data)
    assert {k: v for k, v in data.items() if k not in {"talks", "presenters"}} == {
        "series": "nice",
        "number": 4,
        "title": "视觉语言模型的幻觉",
        "status": "published",
        "starts_at": "2025-09-27T19:00:00+08:00",
        "ends_at": "2025-09-27T21:00:00+08:00",
        "timezone": "Asia/Shanghai",
        "keywords": ["多模态", "幻觉"],
        "url": "http://testserver/nice/4/",
        "poster_url": None,
        "qr_url": None,
    }
    assert data["presenters"] == [
        {
            "name": "李若曦",
            "affiliation": "云海研究院",
            "url": "http://testserver/people/%E6%9D%8E%E8%8B%A5%E6%9B%A6/",
        },
        {
            "name": "黄一舟",
            "affiliation": "东岭大学",
            "url": "http://testserver/people/%E9%BB%84%E4%B8%80%E8%88%9F/",
        },
    ]
    pope = data["talks"][0]
    assert {
        k: v for k, v in pope.items() if k not in {"summary_markdown", "summary_html", "presenters"}
    } == {
        "order": 1,
        "segment": None,
        "title": "POPE: evaluating object hallucination",
        "tags": ["Highlight"],
        "paper": {
            "title": "Evaluating Object Hallucination in Large Vision-Language Models",
            "authors": [
                "Yifan Li",
                "Yifan Du",
                "Kun Zhou",
                "Jinpeng Wang",
                "Wayne Xin Zhao",
                "Ji-Rong Wen",
            ],
            "venue": "EMNLP 2023",
            "year": 2023,
            "arxiv_id": "2305.10355",
            "doi": None,
            "url": "https://arxiv.org/abs/2305.10355",
            "code_url": "https://github.com/RUCAIBox/POPE",
            "project_url": None,
        },
    }
    assert pope["summary_html"].startswith("<p>Asks yes/no questions")
    # The Woodpecker id was given as "arXiv:2310.16045" and is stored normalised.
    assert data["talks"][1]["paper"]["arxiv_id"] == "2310.16045"


def test_summaries_with_math_come_as_markdown_and_mathml(client, demo):
    talk = client.get("/api/v1/series/nice/sessions/1").json()["talks"][1]
    assert "\\pi^*(y \\mid x)" in talk["summary_markdown"]
    assert "<math" in talk["summary_html"] and "<msup>" in talk["summary_html"]


def test_segments_and_several_presenters_per_talk(client, demo):
    data = client.get("/api/v1/series/nice/sessions/10").json()
    assert [(t["order"], t["segment"]) for t in data["talks"]] == [
        (1, "第一场"),
        (2, "第一场"),
        (3, "第二场"),
    ]
    assert [p["name"] for p in data["talks"][1]["presenters"]] == ["陈思远", "黄一舟"]
    assert [p["name"] for p in data["presenters"]] == [
        "李若曦",
        "陈思远",
        "黄一舟",
        "Tomás Ferreira",
    ]


def test_series_list_counts_only_public_sessions(client, demo):
    data = client.get("/api/v1/series").json()
    assert data == [
        {
            "slug": "nice",
            "name": "NICE 每周论文分享",
            "timezone": "Asia/Shanghai",
            "session_count": 14,
        }
    ]
    Draft202012Validator({"type": "array"}).validate(data)


def test_session_list_pages_newest_first_without_drafts(client, demo, settings):
    settings.API_PAGE_SIZE = 5
    first = client.get("/api/v1/series/nice/sessions").json()
    validator_for(client, "SessionPage").validate(first)
    assert first["count"] == 14
    assert [s["number"] for s in first["results"]] == [14, 13, 12, 11, 10]
    assert first["previous"] is None
    assert first["next"] == "http://testserver/api/v1/series/nice/sessions?page=2"
    last = client.get("/api/v1/series/nice/sessions?page=3").json()
    assert [s["number"] for s in last["results"]] == [4, 3, 2, 1]
    assert last["next"] is None
    assert last["previous"] == "http://testserver/api/v1/series/nice/sessions?page=2"
    everything = json.dumps([first, last], ensure_ascii=False)
    assert "草稿" not in everything


def test_a_cancelled_session_is_listed_with_its_status(client, demo):
    assert client.get("/api/v1/series/nice/sessions/9").json()["status"] == "cancelled"


@pytest.mark.parametrize(
    ("url", "status", "detail"),
    [
        ("/api/v1/series/nice/sessions/15", 404, "No published session 15 in series “nice”."),
        ("/api/v1/series/nice/sessions/999", 404, "No published session 999 in series “nice”."),
        ("/api/v1/series/nope/sessions", 404, "No series with slug “nope”."),
        ("/api/v1/series/nice/sessions?page=0", 400, "page must be a positive integer."),
        ("/api/v1/series/nice/sessions?page=abc", 400, "page must be a positive integer."),
        ("/api/v1/series/nice/sessions?page=²", 400, "page must be a positive integer."),
        (
            "/api/v1/series/nice/sessions?page=" + "9" * 5000,
            404,
            "Page 99999999999999999999… does not exist; there are 1.",
        ),
        ("/api/v1/series/nice/sessions?page=9", 404, "Page 9 does not exist; there are 1."),
    ],
)
def test_errors_are_json_with_a_detail(client, demo, url, status, detail):
    response = client.get(url)
    assert response.status_code == status
    assert response.json() == {"detail": detail}


def test_unknown_api_urls_answer_json_404(client, settings):
    settings.DEBUG = False
    response = client.get("/api/v2/whatever")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_the_api_is_read_only(client, demo):
    assert client.post("/api/v1/series").status_code == 405
    assert client.delete("/api/v1/series/nice/sessions/4").status_code == 405


def test_the_openapi_document_describes_every_endpoint(client):
    document = client.get("/api/openapi.json").json()
    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) == {
        "/api/v1/series",
        "/api/v1/series/{slug}/sessions",
        "/api/v1/series/{slug}/sessions/{number}",
        "/api/v1/series/{slug}/upcoming",
        "/api/v1/search",
    }
    Draft202012Validator.check_schema(document["components"]["schemas"]["Session"])


@pytest.mark.parametrize("sessions", [1, 3])
def test_session_list_query_count_does_not_grow(client, django_assert_num_queries, sessions):
    series = make_series()
    for number in range(1, sessions + 1):
        make_full_session(series, number, starts_at=days_from_now(-number))
    # 1 series; 2 count; 3 sessions with series; 4-7 keywords, session
    # presenters, talks with papers, talk presenters.
    with django_assert_num_queries(7):
        client.get("/api/v1/series/nice/sessions")


@pytest.mark.parametrize("series_count", [1, 3])
def test_series_list_query_count_does_not_grow(client, django_assert_num_queries, series_count):
    for index in range(series_count):
        make_session(make_series(slug=f"s{index}"), number=1)
    with django_assert_num_queries(1):  # series with their public session counts
        assert len(client.get("/api/v1/series").json()) == series_count


def test_paging_is_stable_when_sessions_start_together(client, settings):
    """Ordered by start alone, the database may return ties in any order on each
    page's query: sessions repeat on one page and are skipped on another."""
    settings.API_PAGE_SIZE = 4
    series = make_series()
    for number in range(1, 12):
        make_session(series, number=number)  # all at the same start
    seen = []
    url = "/api/v1/series/nice/sessions"
    while url:
        page = client.get(url).json()
        seen += [result["number"] for result in page["results"]]
        url = page["next"]
    assert seen == list(range(11, 0, -1))
