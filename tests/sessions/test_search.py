"""The search page (issue 12): each failure of the old substring scan, ranking, snippets,
facets, caps, paging, identifier redirects, suggestions, the API and query counts."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

import pytest
from django.core.cache import cache

from search import query as index
from sessions.views import search as views
from tests.factories import (
    SHANGHAI,
    add_session_presenter,
    make_paper,
    make_person,
    make_series,
    make_session,
    make_talk,
)
from tests.sessions.test_api import validator_for

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def titles(client, query: str, kind: str, **params) -> list[str]:
    """The plain titles of one group of the page, in order (rendered afresh, not from
    the page cache, so the view's context is there)."""
    cache.clear()
    response = client.get("/search/", {"q": query, **params})
    groups = {group.kind: group for group in response.context["groups"]}
    return [result.plain_title for result in groups[kind].results] if kind in groups else []


def at(year: int, month: int = 3, day: int = 1) -> datetime:
    return datetime(year, month, day, 19, tzinfo=SHANGHAI)


@pytest.fixture
def archive():
    series = make_series()
    old = make_session(series, number=1, title="视觉语言模型的幻觉", starts_at=at(2023))
    new = make_session(series, number=2, title="下周六继续：大模型推理", starts_at=at(2025))
    tomas = make_person("Tomás Ferreira", affiliation="Universidade de Lisboa")
    zhou = make_person("周一舟", affiliation="清华大学")
    rag = make_paper(
        "Retrieval-Augmented Generation for Knowledge-Intensive NLP Tasks",
        authors="Patrick Lewis\nEthan Perez",
        arxiv_id="2005.11401",
        venue="NeurIPS 2020",
        year=2020,
        doi="10.5555/3495724.3496517",
    )
    pope = make_paper("Evaluating Object Hallucination", venue="ICLR2025", year=2025)
    make_talk(
        old,
        "POPE: object hallucination",
        presenters=[tomas],
        paper=pope,
        summary="多模态大模型的**幻觉** <script>alert(1)</script> follows co-occurrence.",
    )
    make_talk(new, "RAG 检索增强", presenters=[zhou], paper=rag, summary="检索增强生成。")
    make_talk(new, "Speculative decoding", summary="A talk about hallucination in passing.")
    add_session_presenter(new, zhou)
    return {"old": old, "new": new, "rag": rag, "pope": pope}


# ---------------------------------------------------------------- the failures of issue 12


@pytest.mark.parametrize(
    "query",
    [
        "2005.11401",
        "2005.11401v2",
        "https://arxiv.org/abs/2005.11401",
        "arxiv.org/pdf/2005.11401v1",
        "10.5555/3495724.3496517",
        "https://doi.org/10.5555/3495724.3496517",
    ],
)
def test_an_identifier_of_an_archived_paper_goes_straight_to_it(client, archive, query):
    response = client.get("/search/", {"q": query})
    assert response.status_code == 302
    assert response["Location"] == f"/papers/{archive['rag'].pk}/"


def test_an_identifier_of_a_paper_only_a_draft_presents_is_not_told(client):
    draft = make_session(make_series(), number=1, status="draft")
    make_talk(draft, "Secret", paper=make_paper("Secret paper", arxiv_id="2401.00001"))
    response = client.get("/search/", {"q": "2401.00001"})
    assert response.status_code == 200
    assert "Secret" not in response.content.decode()


@pytest.mark.parametrize("query", ["ICLR2025", "ICLR 2025", "iclr", "ＩＣＬＲ２０２５"])
def test_a_venue_is_found_with_the_year_joined_or_apart(client, archive, query):
    assert titles(client, query, "paper") == ["Evaluating Object Hallucination"]
    assert titles(client, query, "talk") == ["POPE: object hallucination"]


def test_neurips_finds_the_papers_and_talks_from_there(client, archive):
    assert titles(client, "NeurIPS", "talk") == ["RAG 检索增强"]


def test_two_chinese_words_must_both_match(client, archive):
    assert titles(client, "多模态 幻觉", "talk") == ["POPE: object hallucination"]
    assert titles(client, "多模态 检索", "talk") == []


def test_an_accent_left_out_still_finds_the_person(client, archive):
    assert titles(client, "Tomas", "person") == ["Tomás Ferreira"]
    assert titles(client, "tomas ferr", "talk") == ["POPE: object hallucination"]


def test_an_affiliation_finds_the_people_and_their_talks(client, archive):
    assert titles(client, "清华", "person") == ["周一舟"]
    assert titles(client, "Lisboa", "talk") == ["POPE: object hallucination"]


def test_a_surname_finds_the_person_before_a_session_that_says_next_saturday(client, archive):
    assert titles(client, "周", "person") == ["周一舟"]
    # Both sessions mention 周 (her name; "下周六"), the one naming her first... by title
    # tier they tie (presenters), so the newer comes first.
    assert titles(client, "周", "session")[0] == "下周六继续：大模型推理"


# ---------------------------------------------------------------- ranking, snippets


def test_title_matches_outrank_presenters_and_paper_which_outrank_summaries(client, archive):
    assert titles(client, "hallucination", "talk") == [
        "POPE: object hallucination",  # title
        "Speculative decoding",  # summary only, although newer
    ]


def test_recency_breaks_ties(client, archive):
    make_talk(archive["old"], "Older transformers talk")
    make_talk(archive["new"], "Newer transformers talk")
    assert titles(client, "transformers", "talk") == [
        "Newer transformers talk",
        "Older transformers talk",
    ]


def test_snippets_are_escaped_then_marked(client, archive):
    html = client.get("/search/", {"q": "幻觉"}).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    assert "多模态大模型的 <mark>幻觉</mark>" in html
    assert "视觉语言模型的<mark>幻觉</mark></a>" in html


def test_a_quoted_phrase_matches_in_order_only(client, archive):
    assert titles(client, '"object hallucination"', "talk") == ["POPE: object hallucination"]
    assert titles(client, '"hallucination object"', "talk") == []


def test_the_last_word_matches_as_a_prefix(client, archive):
    assert titles(client, "specul", "talk") == ["Speculative decoding"]
    assert titles(client, "specul decoding", "talk") == []  # only the last word


# ---------------------------------------------------------------- facets, counts, pages


def test_facets_narrow_in_place_and_work_as_plain_links(client, archive):
    response = client.get("/search/", {"q": "hallucination"})
    html = response.content.decode()
    assert 'href="?q=hallucination&amp;year=2023" hx-get="?q=hallucination&amp;year=2023"' in html
    cache.clear()
    narrowed = client.get("/search/", {"q": "hallucination", "year": "2025"}, headers=HTMX)
    fragment = narrowed.content.decode()
    assert fragment.lstrip().startswith('<div id="search-results"')
    assert [r.plain_title for r in narrowed.context["groups"][-1].results] == [
        "Speculative decoding"
    ]
    assert titles(client, "hallucination", "talk", venue="ICLR") == ["POPE: object hallucination"]
    assert titles(client, "hallucination", "person", year="2025") == []  # people have no year


def test_counts_are_capped_so_a_broad_term_costs_no_full_count(client, archive, monkeypatch):
    monkeypatch.setattr(index, "CAP", 2)
    for number in range(3):
        make_talk(archive["new"], f"Broad {number}")
    html = client.get("/search/", {"q": "broad"}).content.decode()
    assert '<span class="search-group__count">2+</span>' in html


def test_pages_of_one_kind(client, archive, monkeypatch):
    monkeypatch.setattr(views, "PER_PAGE", 2)
    for number in range(5):
        make_talk(archive["new"], f"Paged {number}")
    first = titles(client, "paged", "talk", type="talk")
    second = titles(client, "paged", "talk", type="talk", page="2")
    third = titles(client, "paged", "talk", type="talk", page="3")
    assert first + second + third == [f"Paged {n}" for n in (4, 3, 2, 1, 0)]
    assert titles(client, "paged", "talk", type="talk", page="x") == first


def test_odd_queries_get_a_page_not_an_error(client, archive):
    for query in ['"', "((", "*", "'", "\\", "AND OR NOT", "a" * 500, "{a}:", "模型 " * 40]:
        assert client.get("/search/", {"q": query}).status_code == 200
        assert client.get("/api/v1/search", {"q": query}).status_code == 200


# ---------------------------------------------------------------- drafts, suggestions, API


def test_drafts_never_appear_in_results_suggestions_facets_or_counts(client):
    series = make_series()
    draft = make_session(
        series, number=9, title="秘密多模态草稿", status="draft", starts_at=at(2019)
    )
    make_talk(draft, "Secret multimodal talk", paper=make_paper("P", venue="SecretVenue 2019"))
    public = make_session(series, number=10, title="公开多模态", starts_at=at(2024))
    make_talk(public, "Public multimodal talk")
    html = client.get("/search/", {"q": "多模态"}).content.decode()
    assert "秘密" not in html and "2019" not in html and "SecretVenue" not in html
    assert titles(client, "multimodal", "talk") == ["Public multimodal talk"]
    assert "Secret" not in client.get("/search/suggest/", {"q": "multimodal"}).content.decode()
    api = client.get("/api/v1/search", {"q": "multimodal"}).json()
    assert api["counts"] == {"person": 0, "paper": 0, "session": 1, "talk": 1}  # the public one


def test_suggestions_come_grouped_with_a_link_to_all_results(client, archive):
    html = client.get("/search/suggest/", {"q": "tom"}).content.decode()
    assert 'role="listbox"' in html
    assert f'href="/people/{quote("tomás-ferreira")}/"' in html or "Tomás Ferreira" in html
    assert "<mark>Tom</mark>ás Ferreira" in html
    assert 'href="/search/?q=tom"' in html
    assert client.get("/search/suggest/", {"q": ""}).content.decode().strip() == ""


def test_the_api_answers_the_contract(client, archive):
    data = client.get("/api/v1/search", {"q": "hallucination", "type": "talk"}).json()
    validator_for(client, "SearchPage").validate(data)
    assert [r["title"] for r in data["results"]] == [
        "POPE: object hallucination",
        "Speculative decoding",
    ]
    assert data["results"][0]["url"].startswith("http://testserver/nice/1/#talk-")
    everything = client.get("/api/v1/search", {"q": "hallucination"}).json()
    validator_for(client, "SearchPage").validate(everything)
    assert everything["counts"] == {"person": 0, "paper": 1, "session": 1, "talk": 2}
    assert client.get("/api/v1/search", {"q": "x", "type": "nope"}).status_code == 400
    assert client.get("/api/v1/search", {"q": "x", "page": "0"}).status_code == 400


def test_the_site_offers_itself_as_a_search_engine(client):
    html = client.get("/").content.decode()
    assert '<link rel="search" type="application/opensearchdescription+xml"' in html
    xml = client.get("/search/opensearch.xml")
    assert xml["Content-Type"] == "application/opensearchdescription+xml"
    assert 'template="http://testserver/search/?q={searchTerms}"' in xml.content.decode()


# ---------------------------------------------------------------- query counts


@pytest.mark.parametrize("sessions", [1, 3])
def test_the_page_takes_the_same_queries_for_one_or_many_results(
    client, django_assert_num_queries, sessions
):
    series = make_series()
    for number in range(1, sessions + 1):
        session = make_session(series, number=number, keywords=["多模态"], title=f"Q {number}")
        for talk in range(2):
            make_talk(
                session,
                f"Counting talk {number}.{talk}",
                presenters=[make_person(f"Counting {number}.{talk}")],
                paper=make_paper(f"Counting paper {number}.{talk}", venue="ICLR 2025"),
            )
    # 1 candidates of every kind; 2 the shown rows; 3 keywords of the sessions found.
    cache.clear()
    with django_assert_num_queries(3):
        response = client.get("/search/", {"q": "counting"})
    assert len(response.context["groups"][-1].results) == 2 * sessions
