"""A live link kept "for those who RSVP" (Session.public_live_url is the one rule):
not on the session page, in its calendar file, the series calendar or the
announcement; the page says how to get it, and an attendee's own page has it."""

from __future__ import annotations

import pytest

from sessions.outreach.service import attend
from tests.factories import days_from_now, make_series, make_session

pytestmark = pytest.mark.django_db

LINK = "https://meeting.example/j/secret-42"


@pytest.fixture
def session():
    return make_session(
        make_series(),
        number=47,
        title="多模态论文分享",
        starts_at=days_from_now(3),
        live_url=LINK,
        live_url_for_rsvp_only=True,
    )


@pytest.mark.parametrize("path", ["/nice/47/", "/nice/47/calendar.ics", "/nice/calendar.ics"])
def test_the_link_is_on_no_public_page_or_calendar(client, session, path):
    content = client.get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "meeting.example" not in content
    if path == "/nice/47/":
        assert '<a href="/nice/47/rsvp/">The link is shown to those who RSVP.</a>' in content
        assert "RSVP on the page below" in content  # the copyable announcement says so too


def test_an_attendee_sees_it_on_their_own_page(client, session):
    rsvp, _ = attend(session, "me@example.org", language="en")
    page = client.get(f"/rsvp/{rsvp.token}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert LINK in page


def test_without_the_option_everyone_sees_it(client, session):
    session.live_url_for_rsvp_only = False
    session.save()
    assert LINK in client.get("/nice/47/").content.decode()
    assert LINK in client.get("/nice/47/calendar.ics").content.decode()
