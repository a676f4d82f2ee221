import pytest

from tests.factories import days_from_now, make_full_session, make_series, make_session

pytestmark = pytest.mark.django_db


def test_it_features_the_next_upcoming_session_of_each_series(client):
    nice = make_series()
    make_session(nice, number=46, title="上一期", starts_at=days_from_now(-7))
    make_session(nice, number=47, title="下一期", starts_at=days_from_now(3))
    make_session(nice, number=48, title="下下期", starts_at=days_from_now(10))
    other = make_series(slug="other", name="Other series")
    make_session(other, number=1, title="Only past", starts_at=days_from_now(-30))

    response = client.get("/")

    featured = [(series.slug, session.number) for series, session in response.context["featured"]]
    assert featured == [("nice", 47), ("other", 1)]
    html = response.content.decode()
    assert "下一期" in html and "下次分享" in html  # "Next session" for NICE
    assert "最近一期" in html  # "Latest session" for the series with nothing coming
    assert "下下期" not in html  # only the next one is featured
    assert "上一期" in html  # listed under recent sessions


def test_it_never_features_a_draft_or_a_cancelled_session_as_next(client):
    series = make_series()
    make_session(series, number=1, title="Draft soon", starts_at=days_from_now(1), status="draft")
    make_session(
        series, number=2, title="Cancelled soon", starts_at=days_from_now(2), status="cancelled"
    )
    make_session(series, number=3, title="Real next", starts_at=days_from_now(3))
    html = client.get("/").content.decode()
    assert "Real next" in html
    assert "Draft soon" not in html


def test_it_says_when_there_is_no_series_yet(client):
    assert "还没有系列" in client.get("/").content.decode()


@pytest.mark.parametrize("sessions", [1, 3])
def test_its_query_count_does_not_grow_with_sessions(
    client, django_assert_num_queries, sessions, settings
):
    series = make_series()
    for number in range(1, sessions + 1):
        make_full_session(series, number, starts_at=days_from_now(-number))
    make_full_session(series, 99, starts_at=days_from_now(5))
    settings.PAGE_CACHE_SECONDS = 0  # the cards' cache is under test, not the page's
    # 1 series with featured_id; 2 featured session; 3 recent sessions; 4 the cards
    # not rendered yet: 4-8 sessions, keywords, presenters, talks, talk presenters.
    with django_assert_num_queries(8):
        client.get("/")
    # Then the cards come from the cache until the next write.
    with django_assert_num_queries(3):
        assert "Session 1" in client.get("/").content.decode()
