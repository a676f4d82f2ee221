import re
from datetime import datetime
from urllib.parse import quote

import pytest

from tests.factories import (
    SHANGHAI,
    days_from_now,
    make_full_session,
    make_paper,
    make_series,
    make_session,
    make_talk,
)

pytestmark = pytest.mark.django_db


def numbers(response) -> list[int]:
    return [session.number for session in response.context["page"]]


@pytest.fixture
def archive():
    series = make_series()
    make_session(
        series, number=1, starts_at=datetime(2024, 6, 1, 19, tzinfo=SHANGHAI), keywords=["多模态"]
    )
    make_session(series, number=2, starts_at=datetime(2024, 12, 31, 23, 30, tzinfo=SHANGHAI))
    # 00:30 on 1 January in Beijing is still 2024 in UTC: it belongs to 2025 here.
    s3 = make_session(
        series,
        number=3,
        starts_at=datetime(2025, 1, 1, 0, 30, tzinfo=SHANGHAI),
        keywords=["多模态", "推理"],
    )
    make_talk(s3, paper=make_paper("P", venue="ICLR 2025", year=2025))
    make_session(
        series,
        number=4,
        starts_at=datetime(2025, 3, 15, 19, tzinfo=SHANGHAI),
        status="draft",
        keywords=["多模态"],
    )
    make_session(
        series, number=5, starts_at=datetime(2025, 5, 1, 19, tzinfo=SHANGHAI), status="cancelled"
    )
    return series


def test_it_lists_public_sessions_newest_first(client, archive):
    response = client.get("/nice/")
    assert numbers(response) == [5, 3, 2, 1]
    html = response.content.decode()
    assert "已取消" in html  # the cancelled session stays, marked
    assert "Session 4" not in html


def test_it_filters_by_year_in_the_series_time_zone(client, archive):
    assert numbers(client.get("/nice/?year=2025")) == [5, 3]
    assert numbers(client.get("/nice/?year=2024")) == [2, 1]


def choices(response) -> dict[str, list[tuple]]:
    filters = response.context["choices"]
    return {
        kind: [(choice.label, choice.count) for choice in getattr(filters, kind)]
        for kind in ("years", "keywords", "venues")
    }


def test_it_offers_only_years_keywords_and_venues_of_public_sessions_with_counts(client, archive):
    response = client.get("/nice/")
    assert choices(response) == {
        "years": [("2025", 2), ("2024", 2)],  # the draft (No. 4) counts nowhere
        "keywords": [("多模态", 2), ("推理", 1)],
        "venues": [("ICLR 2025", 1)],
    }
    assert '2025 <span class="chip__count">2</span>' in response.content.decode()


def test_the_filter_counts_follow_every_write_and_are_not_recounted_on_each_load(
    client, archive, django_assert_num_queries, settings
):
    settings.PAGE_CACHE_SECONDS = 0  # the summary, not the page cache, is under test
    client.get("/nice/")
    with django_assert_num_queries(3):  # no query over talks, keywords or years, nor cards
        client.get("/nice/")
    draft = archive.sessions.get(number=4)
    draft.status = "published"
    draft.save()
    make_talk(draft, paper=make_paper("Q", venue="NeurIPS 2024", year=2024))
    assert choices(client.get("/nice/")) == {
        "years": [("2025", 3), ("2024", 2)],
        "keywords": [("多模态", 3), ("推理", 1)],
        "venues": [("ICLR 2025", 1), ("NeurIPS 2024", 1)],
    }


def test_it_filters_by_keyword_and_venue(client, archive):
    assert numbers(client.get("/nice/?keyword=" + quote("多模态"))) == [3, 1]
    assert numbers(client.get("/nice/?venue=ICLR+2025")) == [3]
    assert numbers(client.get("/nice/?keyword=" + quote("多模态") + "&year=2024")) == [1]


@pytest.mark.parametrize("query", ["year=abc&page=zzz", "year=99999", "year=0", "year=-5&page=-1"])
def test_it_ignores_a_malformed_year_and_page(client, archive, query):
    response = client.get(f"/nice/?{query}")
    assert response.status_code == 200
    assert numbers(response) == [5, 3, 2, 1]


def test_filter_links_work_without_javascript(client, archive):
    html = client.get("/nice/?year=2024").content.decode()
    assert 'href="?year=2025"' in html
    assert 'href="?year=2024" hx-get="?year=2024" aria-current="true"' in html


def test_a_filter_change_over_htmx_returns_only_the_results_fragment(client, archive):
    response = client.get("/nice/?year=2024", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="archive"')
    assert "<html" not in html and "site-header" not in html
    assert numbers(response) == [2, 1]
    assert response["Vary"].count("HX-Request") == 1


def test_more_appends_the_next_page_over_htmx(client, settings):
    settings.SESSIONS_PER_PAGE = 2
    series = make_series()
    for number in range(1, 6):
        make_session(series, number=number, starts_at=days_from_now(-number))
    first = client.get("/nice/")
    assert numbers(first) == [1, 2]
    assert 'href="?page=2"' in first.content.decode()

    more = client.get("/nice/?page=2", headers={"HX-Request": "true"})
    html = more.content.decode()
    assert numbers(more) == [3, 4]
    assert html.lstrip().startswith('<article class="card')  # only cards and the next button
    assert 'hx-get="?page=3"' in html
    assert "filters" not in html

    last = client.get("/nice/?page=3", headers={"HX-Request": "true"})
    assert numbers(last) == [5]
    assert "hx-get" not in last.content.decode()


def test_it_answers_404_for_an_unknown_series(client):
    assert client.get("/nope/").status_code == 404


@pytest.mark.parametrize("sessions", [1, 3])
def test_its_query_count_does_not_grow_with_sessions(
    client, django_assert_num_queries, sessions, settings
):
    series = make_series()
    for number in range(1, sessions + 1):
        make_full_session(series, number, starts_at=days_from_now(-number))
    settings.PAGE_CACHE_SECONDS = 0  # the cards' cache is under test, not the page's
    # 1 series; 2 years; 3 keywords; 4 venues (the summary, which also counts the
    # sessions for the pager); 5 page of sessions; 6-10 the cards not rendered yet
    # (sessions, keywords, session presenters, talks, talk presenters); 11 next session.
    with django_assert_num_queries(11):
        client.get("/nice/")
    # Then the cards and the filters come from the cache until the next write.
    with django_assert_num_queries(3):
        assert "Session 1" in client.get("/nice/").content.decode()


def test_archive_pages_are_stable_when_sessions_start_together(client, settings):
    settings.SESSIONS_PER_PAGE = 4
    series = make_series()
    for number in range(1, 12):
        make_session(series, number=number, title=f"Same evening {number:02d}")
    seen = []
    for page in (1, 2, 3):
        html = client.get(f"/nice/?page={page}").content.decode()
        seen += [int(n) for n in re.findall(r"Same evening (\d\d)", html)]
    assert seen == list(range(11, 0, -1))


@pytest.mark.parametrize(
    "query",
    [
        "",
        "year=2024",
        "year=2025",
        "year=2023",
        "keyword=多模态",
        "keyword=none",
        "venue=ICLR+2025",
        "keyword=多模态&year=2024",
        "venue=ICLR+2025&year=2024",
    ],
)
def test_the_pager_counts_what_the_filters_leave(client, archive, settings, query):
    """One filter: the count comes from the summary, not a COUNT; two: from the database.
    Either way it is the number of sessions the pages go through."""
    settings.SESSIONS_PER_PAGE = 1
    settings.PAGE_CACHE_SECONDS = 0  # each answer rendered, so its context can be read
    response = client.get(f"/nice/?{query}")
    page = response.context["page"]
    shown = []
    for number in range(1, page.paginator.num_pages + 1):
        shown += numbers(client.get(f"/nice/?{query}&page={number}"))
    assert page.paginator.count == len(shown) == len(set(shown))
    assert page.paginator.num_pages == max(len(shown), 1)
    assert client.get(f"/nice/?{query}&page={len(shown) + 1}").context["page"].number == max(
        len(shown), 1
    )
