from urllib.parse import quote

import pytest

from tests.factories import (
    add_session_presenter,
    days_from_now,
    make_paper,
    make_person,
    make_series,
    make_session,
    make_talk,
)

pytestmark = pytest.mark.django_db


def test_a_person_page_lists_every_public_talk_across_series(client):
    person = make_person("黎健进", affiliation="东岭大学", note="知乎：Lil2J")
    nice, other = make_series(), make_series(slug="other", name="Other")
    make_talk(
        make_session(nice, number=10, starts_at=days_from_now(-20)),
        "Talk in NICE",
        presenters=[person],
    )
    make_talk(
        make_session(other, number=3, starts_at=days_from_now(-10)),
        "Talk elsewhere",
        presenters=[person],
    )
    make_talk(
        make_session(nice, number=11, status="draft"), "Secret draft talk", presenters=[person]
    )
    host_only = make_session(nice, number=12, title="Only hosted", starts_at=days_from_now(-5))
    add_session_presenter(host_only, person)

    response = client.get("/people/" + quote("黎健进") + "/")
    html = response.content.decode()
    assert "<h1>黎健进</h1>" in html and "知乎：Lil2J" in html
    assert [role.talk.title for role in response.context["page"]] == [
        "Talk elsewhere",
        "Talk in NICE",
    ]
    assert "Secret draft talk" not in html
    assert [s.number for s in response.context["other_sessions"]] == [12]


def test_a_paper_page_lists_every_public_talk_that_presented_it(client):
    paper = make_paper(
        "Attention Is All You Need", authors="Ashish Vaswani\nNoam Shazeer", arxiv_id="1706.03762"
    )
    series = make_series()
    make_talk(
        make_session(series, number=2, starts_at=days_from_now(-30)),
        "Transformer 回顾",
        paper=paper,
    )
    make_talk(
        make_session(series, number=7, starts_at=days_from_now(-3)), "再读 Transformer", paper=paper
    )
    make_talk(make_session(series, number=8, status="draft"), "Draft reading", paper=paper)

    response = client.get(f"/papers/{paper.pk}/")
    html = response.content.decode()
    assert "Ashish Vaswani, Noam Shazeer" in html
    assert 'href="https://arxiv.org/abs/1706.03762"' in html
    assert [t.title for t in response.context["talks"]] == ["再读 Transformer", "Transformer 回顾"]
    assert "Draft reading" not in html


def test_a_keyword_page_lists_its_public_sessions(client):
    series = make_series()
    make_session(series, number=1, title="Public one", keywords=["多模态"])
    make_session(series, number=2, title="Draft one", keywords=["多模态"], status="draft")
    make_session(series, number=3, title="Untagged")
    html = client.get("/keywords/" + quote("多模态") + "/").content.decode()
    assert "Public one" in html
    assert "Draft one" not in html and "Untagged" not in html


def test_unknown_people_papers_and_keywords_are_404(client):
    assert client.get("/people/nobody/").status_code == 404
    assert client.get("/papers/999/").status_code == 404
    assert client.get("/keywords/none/").status_code == 404


@pytest.mark.parametrize("talks", [1, 3])
def test_person_page_query_count_does_not_grow(client, django_assert_num_queries, talks):
    person = make_person("Ada")
    series = make_series()
    for number in range(1, talks + 1):
        make_talk(
            make_session(series, number=number), presenters=[person], paper=make_paper(f"P{number}")
        )
        add_session_presenter(make_session(series, number=100 + number), person)
    # 1 person; 2 how many talk roles (the pager); 3 a page of them with talk, session,
    # series, paper; 4 sessions where they are named without a talk.
    with django_assert_num_queries(4):
        client.get(f"/people/{person.slug}/")


def test_a_prolific_presenters_talks_come_a_page_at_a_time(client, settings):
    settings.TALKS_PER_PAGE = 2
    person = make_person("Ada")
    series = make_series()
    for number in range(1, 6):
        make_talk(
            make_session(series, number=number, starts_at=days_from_now(-number)),
            f"Talk {number}",
            presenters=[person],
        )
    first = client.get(f"/people/{person.slug}/")
    assert [role.talk.title for role in first.context["page"]] == ["Talk 1", "Talk 2"]
    assert 'href="?page=2"' in first.content.decode()
    last = client.get(f"/people/{person.slug}/?page=3")
    assert [role.talk.title for role in last.context["page"]] == ["Talk 5"]
    assert '<ol class="list" start="5">' in last.content.decode()
    assert [
        role.talk.title for role in client.get(f"/people/{person.slug}/?page=x").context["page"]
    ] == ["Talk 1", "Talk 2"]


@pytest.mark.parametrize("talks", [1, 3])
def test_paper_page_query_count_does_not_grow(client, django_assert_num_queries, talks):
    paper = make_paper("P")
    series = make_series()
    for number in range(1, talks + 1):
        make_talk(
            make_session(series, number=number), paper=paper, presenters=[make_person(f"X{number}")]
        )
    # 1 paper; 2 its keywords; 3 talks with session and series; 4 their presenters.
    with django_assert_num_queries(4):
        client.get(f"/papers/{paper.pk}/")


@pytest.mark.parametrize("sessions", [1, 3])
def test_keyword_page_query_count_does_not_grow(
    client, django_assert_num_queries, sessions, settings
):
    from tests.factories import make_full_session

    series = make_series()
    for number in range(1, sessions + 1):
        make_full_session(series, number)
    settings.PAGE_CACHE_SECONDS = 0  # the cards' cache is under test, not the page's
    # 1 keyword; 2 how many sessions (the pager); 3 a page of sessions; 4-8 the cards
    # not rendered yet: sessions, keywords, session presenters, talks, talk presenters.
    with django_assert_num_queries(8):
        client.get("/keywords/" + quote("多模态") + "/")
    with django_assert_num_queries(3):  # then the cards come from the cache
        assert "Session 1" in client.get("/keywords/" + quote("多模态") + "/").content.decode()


def test_a_keyword_page_shows_a_page_of_sessions_at_a_time(client, settings):
    settings.SESSIONS_PER_PAGE = 2
    series = make_series()
    for number in range(1, 6):
        make_session(series, number=number, title=f"Evening {number}", keywords=["多模态"])
    url = "/keywords/" + quote("多模态") + "/"
    first = client.get(url).content.decode()
    assert ("Evening 5" in first, "Evening 4" in first, "Evening 3" in first) == (True, True, False)
    assert "第 1 / 3 页" in first and 'href="?page=2"' in first
    last = client.get(url + "?page=3").content.decode()
    assert "Evening 1" in last and "Evening 2" not in last
    assert client.get(url + "?page=99").status_code == 200  # the last page, not an error
