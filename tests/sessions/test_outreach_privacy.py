"""Addresses stay private, public pages stay public (cacheable, the same for everyone),
and subscribers and RSVPs cost the public pages nothing."""

from __future__ import annotations

import pytest

from sessions.outreach import service
from tests.factories import days_from_now, make_full_session, make_series, make_session

pytestmark = pytest.mark.django_db

PUBLIC_URLS = [
    "/",
    "/nice/",
    "/nice/1/",
    "/nice/feed/atom/",
    "/nice/feed/rss/",
    "/nice/calendar.ics",
    "/nice/1/calendar.ics",
    "/nice/talks.csv",
    "/nice/papers.bib",
    "/nice/embed/",
    "/api/v1/series",
    "/api/v1/series/nice/sessions",
    "/api/v1/series/nice/sessions/1",
    "/api/v1/series/nice/upcoming",
    "/search/?q=ada",
    "/api/v1/search?q=ada",
]


@pytest.fixture
def crowd():
    series = make_series()
    session = make_session(series, number=1, title="Upcoming", starts_at=days_from_now(7))
    service.attend(session, "ada.secret@example.org", name="Ada Secretname", language="en")
    subscription, _ = service.subscribe(series, "sub.secret@example.org", language="en")
    service.confirm(service.confirmation_code(subscription))
    return session


@pytest.mark.parametrize("url", PUBLIC_URLS)
def test_no_address_or_attendee_name_is_public(client, crowd, url):
    response = client.get(url)
    assert response.status_code == 200
    body = b"".join(response) if response.streaming else response.content
    for secret in (b"ada.secret", b"sub.secret", b"Secretname"):
        assert secret not in body


def test_the_session_page_links_to_rsvp_and_reminders(client, crowd):
    response = client.get("/nice/1/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert 'href="/nice/1/rsvp/"' in html
    assert 'href="/nice/1/subscribe/"' in html
    # Links, not forms: the page is the same for everyone and the page cache keeps it.
    assert "csrfmiddlewaretoken" not in html
    assert "no-store" not in response.get("Cache-Control", "")
    again = client.get("/nice/1/", HTTP_ACCEPT_LANGUAGE="en")
    assert again.headers["ETag"] == response.headers["ETag"]


def test_the_series_page_links_to_reminders(client, crowd):
    html = client.get("/nice/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'href="/nice/subscribe/"' in html
    assert "csrfmiddlewaretoken" not in html


def test_past_and_cancelled_sessions_offer_no_rsvp(client):
    series = make_series()
    make_session(series, number=1, starts_at=days_from_now(-7))
    make_session(series, number=2, starts_at=days_from_now(7), status="cancelled")
    for url in ("/nice/1/", "/nice/2/"):
        html = client.get(url).content.decode()
        assert "/rsvp/" not in html
        assert "/subscribe/" not in html


def crowd_of(session, count: int) -> None:
    for index in range(count):
        service.attend(session, f"a{index}@example.org", name=f"A{index}", language="en")
        subscription, _ = service.subscribe(session.series, f"s{index}@example.org", language="en")
        service.confirm(service.confirmation_code(subscription))
        service.subscribe(session.series, f"t{index}@example.org", language="en", session=session)


@pytest.mark.parametrize("people", [1, 4])
def test_the_session_page_costs_the_same_however_many_come(
    client, django_assert_num_queries, people
):
    session = make_full_session(make_series(), 5, starts_at=days_from_now(7))
    crowd_of(session, people)
    # 1 session with series; 2 keywords; 3 session presenters; 4 talks with
    # papers; 5 talk presenters; 6 previous; 7 next.
    with django_assert_num_queries(7):
        client.get("/nice/5/")


@pytest.mark.parametrize("people", [1, 4])
def test_the_series_page_costs_the_same_however_many_come(
    client, django_assert_num_queries, people
):
    series = make_series()
    for number in (1, 2):
        crowd_of(make_full_session(series, number, starts_at=days_from_now(7 * number)), people)
    # 1 series; 2-4 the filters (years, keywords, venues), which also count the
    # sessions; 5 page of sessions; 6-10 the cards (sessions, keywords, session
    # presenters, talks, talk presenters); 11 next session.
    with django_assert_num_queries(11):
        client.get("/nice/")
