from urllib.parse import quote

import pytest

from sessions.models import Session, Talk
from tests.factories import (
    make_full_session,
    make_paper,
    make_person,
    make_series,
    make_session,
    make_talk,
)

pytestmark = pytest.mark.django_db


def mentions(texts, term: str) -> bool:
    return any(term.casefold() in (text or "").casefold() for text in texts)


def expected_hits(term: str) -> tuple[set[int], set[int]]:
    """What a reader would find by reading every public session and talk: the oracle."""
    sessions = {
        s.pk
        for s in Session.objects.public().prefetch_related("keywords")
        if mentions([s.title, s.description, *[k.name for k in s.keywords.all()]], term)
    }
    talks = {
        t.pk
        for t in Talk.objects.public().select_related("paper").prefetch_related("presenters")
        if mentions(
            [
                t.title,
                t.summary,
                t.paper and t.paper.title,
                t.paper and t.paper.authors,
                *[p.name for p in t.presenters.all()],
            ],
            term,
        )
    }
    return sessions, talks


@pytest.mark.parametrize("term", ["多模态", "hallucination", "Hallucination", "幻觉"])
def test_it_finds_exactly_the_demo_sessions_and_talks_that_mention_a_term(client, demo, term):
    response = client.get("/search/?q=" + quote(term))
    found_sessions = {s.pk for s in response.context["sessions"]}
    found_talks = {t.pk for t in response.context["talks"]}
    expected_sessions, expected_talks = expected_hits(term)
    assert expected_sessions and expected_talks  # the demo really mentions it
    assert (found_sessions, found_talks) == (expected_sessions, expected_talks)


def test_it_matches_english_in_any_case_and_shows_where_the_talk_was(client):
    session = make_session(make_series(), number=4, title="视觉语言模型的幻觉")
    make_talk(session, "POPE", summary="Object HALLUCINATION follows co-occurrence.")
    html = client.get("/search/?q=hallucination").content.decode()
    assert "POPE" in html
    assert "第4期 · 视觉语言模型的幻觉" in html


def test_it_searches_paper_authors_and_presenter_names(client):
    session = make_session(make_series(), number=1)
    make_talk(session, "By author", paper=make_paper("X", authors="Ashish Vaswani\nNoam Shazeer"))
    make_talk(session, "By presenter", presenters=[make_person("黎健进")])
    assert [t.title for t in client.get("/search/?q=shazeer").context["talks"]] == ["By author"]
    assert [t.title for t in client.get("/search/?q=" + quote("健进")).context["talks"]] == [
        "By presenter"
    ]


def test_drafts_never_appear_in_search(client):
    series = make_series()
    draft = make_session(series, number=9, title="秘密多模态草稿", status="draft")
    make_talk(draft, "Secret multimodal talk")
    response = client.get("/search/?q=" + quote("多模态"))
    assert list(response.context["sessions"]) == []
    assert "秘密" not in response.content.decode()
    assert list(client.get("/search/?q=secret").context["talks"]) == []


def test_an_empty_query_shows_only_the_form(client):
    response = client.get("/search/?q=+")
    assert response.status_code == 200
    assert "找到" not in response.content.decode()
    assert response.context["sessions"] == []


@pytest.mark.parametrize("sessions", [1, 3])
def test_its_query_count_does_not_grow_with_results(client, django_assert_num_queries, sessions):
    series = make_series()
    for number in range(1, sessions + 1):
        make_full_session(series, number, title=f"Talk night {number}")
    # 1 sessions; 2-5 their keywords, session presenters, talks, talk
    # presenters; 6 talks with session, series and paper; 7 their presenters.
    with django_assert_num_queries(7):
        response = client.get("/search/?q=Talk")
    assert len(response.context["sessions"]) == sessions
    assert len(response.context["talks"]) == 2 * sessions
