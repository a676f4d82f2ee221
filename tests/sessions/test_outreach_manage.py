"""The organizer's RSVP list: who may see it, the CSV, and reopening a full session."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import User

from sessions.models import Session
from sessions.outreach import service
from sessions.outreach.models import Rsvp
from tests.factories import days_from_now, make_series, make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    nice = make_series()
    other = make_series(slug="other", name="Other")
    organizer = User.objects.create_user("organizer")
    other_organizer = User.objects.create_user("other-organizer")
    nice.organizers.add(organizer)
    other.organizers.add(other_organizer)
    session = make_session(nice, number=1, title="Upcoming", starts_at=days_from_now(7))
    service.attend(session, "ada@example.org", name="Ada", language="en")
    return {
        "session": session,
        "users": {
            "attendee": User.objects.create_user("attendee"),
            "other organizer": other_organizer,
            "organizer": organizer,
            "admin": User.objects.create_user("admin", is_staff=True),
        },
    }


REQUESTS = [
    ("get", "/manage/nice/1/rsvps/", {}),
    ("get", "/manage/nice/1/rsvps.csv", {}),
    ("post", "/manage/nice/1/rsvps/", {"rsvp_capacity": "5"}),
]


@pytest.mark.parametrize(("method", "url", "data"), REQUESTS)
def test_anonymous_visitors_are_sent_to_log_in(client, world, method, url, data):
    response = getattr(client, method)(url, data)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert Session.objects.get(number=1).rsvp_capacity is None


@pytest.mark.parametrize("who", ["attendee", "other organizer"])
@pytest.mark.parametrize(("method", "url", "data"), REQUESTS)
def test_others_are_refused(client, world, who, method, url, data):
    client.force_login(world["users"][who])
    response = getattr(client, method)(url, data)
    assert response.status_code == 403
    assert b"ada@example.org" not in response.content
    assert Session.objects.get(number=1).rsvp_capacity is None


@pytest.mark.parametrize("who", ["organizer", "admin"])
def test_organizers_and_admins_see_the_list(client, world, who):
    client.force_login(world["users"][who])
    response = client.get("/manage/nice/1/rsvps/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert "1 person attending; no limit." in html
    assert '<strong>Ada</strong> <span class="rsvp-email">ada@example.org</span>' in html
    assert 'href="/manage/nice/1/rsvps.csv"' in html
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("who", ["organizer", "admin"])
def test_organizers_and_admins_set_the_capacity(client, world, who):
    client.force_login(world["users"][who])
    response = client.post("/manage/nice/1/rsvps/", {"rsvp_capacity": "5"})
    assert response["Location"] == "/manage/nice/1/rsvps/"
    assert Session.objects.get(number=1).rsvp_capacity == 5


def test_a_missing_session_is_404_for_its_organizer(client, world):
    client.force_login(world["users"]["organizer"])
    assert client.get("/manage/nice/9/rsvps/").status_code == 404
    assert client.get("/manage/nope/1/rsvps/").status_code == 404


def test_cancelled_rsvps_are_not_listed(client, world):
    session = world["session"]
    bob, _ = service.attend(session, "bob@example.org", name="Bob", language="en")
    service.cancel_rsvp(bob.token)
    client.force_login(world["users"]["organizer"])
    html = client.get("/manage/nice/1/rsvps/").content.decode()
    assert "ada@example.org" in html
    assert "bob@example.org" not in html


def test_subscriber_counts_are_shown(client, world):
    nice, session = world["session"].series, world["session"]
    for address in ("a@example.org", "b@example.org", "c@example.org"):
        subscription, _ = service.subscribe(nice, address, language="en")
        service.confirm(service.confirmation_code(subscription))
    service.subscribe(nice, "unconfirmed@example.org", language="en")
    one, _ = service.subscribe(nice, "d@example.org", language="en", session=session)
    service.confirm(service.confirmation_code(one))
    client.force_login(world["users"]["organizer"])
    html = client.get("/manage/nice/1/rsvps/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "3 confirmed subscribers to NICE 每周分享 · 1 to this session only" in html


def test_a_full_session_is_reopened_by_raising_the_capacity(client, world):
    session = world["session"]
    session.rsvp_capacity = 1
    session.save(update_fields=["rsvp_capacity"])
    assert service.rsvp_closed_reason(session) == "full"
    client.force_login(world["users"]["organizer"])
    html = client.get("/manage/nice/1/rsvps/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1 of 1 place taken." in html
    assert "RSVP is closed: full." in html
    assert "Save and reopen" in html
    client.post("/manage/nice/1/rsvps/", {"rsvp_capacity": "2"}, HTTP_ACCEPT_LANGUAGE="en")
    html = client.get("/manage/nice/1/rsvps/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1 of 2 places taken." in html
    assert "Capacity saved." in html
    client.logout()
    response = client.post("/nice/1/rsvp/", {"email": "bob@example.org"})
    assert response.status_code == 302
    assert Rsvp.objects.attending().count() == 2


def test_an_empty_capacity_means_no_limit(client, world):
    session = world["session"]
    session.rsvp_capacity = 1
    session.save(update_fields=["rsvp_capacity"])
    client.force_login(world["users"]["organizer"])
    client.post("/manage/nice/1/rsvps/", {"rsvp_capacity": ""})
    assert Session.objects.get(number=1).rsvp_capacity is None


@pytest.mark.parametrize("value", ["0", "-3", "abc", "1000001"])
def test_a_bad_capacity_is_refused(client, world, value):
    client.force_login(world["users"]["organizer"])
    response = client.post("/manage/nice/1/rsvps/", {"rsvp_capacity": value})
    assert response.status_code == 400
    assert 'class="field-error"' in response.content.decode()
    assert Session.objects.get(number=1).rsvp_capacity is None


def test_raising_the_capacity_leaves_the_rest_of_the_session_alone(client, world):
    session = Session.objects.get(number=1)
    version, title = session.version, session.title
    client.force_login(world["users"]["organizer"])
    client.post("/manage/nice/1/rsvps/", {"rsvp_capacity": "9"})
    session.refresh_from_db()
    assert (session.version, session.title, session.rsvp_capacity) == (version, title, 9)
    assert not session.mailings.exclude(kind="announcement").exists()


# ---------------------------------------------------------------- CSV


def read_csv(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_csv_lists_the_attendees(client, world):
    client.force_login(world["users"]["organizer"])
    response = client.get("/manage/nice/1/rsvps.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="nice-1-rsvps.csv"'
    rows = read_csv(response)
    assert rows[0] == ["name", "email", "language", "rsvp_at"]
    assert rows[1][:3] == ["Ada", "ada@example.org", "en"]
    assert len(rows) == 2


@pytest.mark.parametrize("name", ['=HYPERLINK("http://x")', "+1", "-1", "@SUM(A1)", "  =1+1"])
def test_the_csv_is_formula_safe(client, world, name):
    service.attend(world["session"], "eve@example.org", name=name, language="en")
    client.force_login(world["users"]["organizer"])
    rows = read_csv(client.get("/manage/nice/1/rsvps.csv"))
    assert rows[2][0] == "'" + name
    assert rows[2][1] == "eve@example.org"


def test_an_address_starting_like_a_formula_is_quoted_too(client, world):
    service.attend(world["session"], "-x@example.org", language="en")
    client.force_login(world["users"]["organizer"])
    rows = read_csv(client.get("/manage/nice/1/rsvps.csv"))
    assert rows[2][1] == "'-x@example.org"


# ---------------------------------------------------------------- query counts


@pytest.mark.parametrize("attendees", [1, 4])
def test_the_list_costs_the_same_however_many_attend(
    client, world, django_assert_num_queries, attendees
):
    for index in range(attendees - 1):
        service.attend(world["session"], f"p{index}@example.org", language="en")
    client.force_login(world["users"]["organizer"])
    # 1 session (auth); 2 user; 3 series; 4 is it theirs; 5 session; 6 attendees;
    # 7 count for the state; 8 count again for "closed"; 9-10 subscriber counts.
    with django_assert_num_queries(10):
        response = client.get("/manage/nice/1/rsvps/")
    assert response.content.decode().count('class="rsvp-email"') == attendees


def test_the_dashboard_counts_confirmed_subscribers_and_the_editor_links_the_rsvps(client, world):
    from django.utils import timezone

    from sessions.outreach.models import Subscription

    nice = world["session"].series
    for n, confirmed in enumerate([True, True, False]):
        Subscription.objects.create(
            series=nice,
            email=f"s{n}@example.org",
            language="en",
            confirmed_at=timezone.now() if confirmed else None,
        )
    Subscription.objects.create(  # to one session only: not a subscriber of the series
        series=nice,
        session=world["session"],
        email="one@example.org",
        language="en",
        confirmed_at=timezone.now(),
    )
    client.force_login(world["users"]["organizer"])
    html = client.get("/manage/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "2 subscribers by email" in html
    editor = client.get("/manage/nice/1/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<a href="/manage/nice/1/rsvps/">RSVPs and subscribers</a>' in editor
