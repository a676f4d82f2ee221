"""Saying "I'll attend": the form, closed sessions, the attendee's page, cancelling."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from sessions.outreach import service
from sessions.outreach.models import Delivery, Rsvp
from tests.factories import days_from_now, make_series, make_session

pytestmark = pytest.mark.django_db

LIVE = "https://meeting.example.org/j/123"


@pytest.fixture
def series():
    return make_series()


@pytest.fixture
def session(series):
    return make_session(series, number=1, title="Upcoming", starts_at=days_from_now(7))


def attend(client, name="Ada", email="ada@example.org", url="/nice/1/rsvp/"):
    return client.post(url, {"name": name, "email": email}, HTTP_ACCEPT_LANGUAGE="en")


def test_it_offers_the_form(client, session):
    response = client.get("/nice/1/rsvp/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>I'll attend</h1>" in html
    assert 'name="name"' in html and 'type="email" name="email"' in html
    assert "Upcoming" in html
    assert "no-store" in response["Cache-Control"]


def test_attending_leads_to_the_attendees_page(client, session):
    response = attend(client)
    rsvp = Rsvp.objects.get()
    assert (rsvp.name, rsvp.email, rsvp.language, rsvp.cancelled_at) == (
        "Ada",
        "ada@example.org",
        "en",
        None,
    )
    assert response.status_code == 302
    assert response["Location"] == f"/rsvp/{rsvp.token}/"
    assert list(Delivery.objects.values_list("kind", "email")) == [
        (Delivery.Confirmation.RSVP, "ada@example.org")
    ]
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert "Ada, you are attending." in html
    assert "Upcoming" in html
    assert f'action="/rsvp/{rsvp.token}/cancel/"' in html
    assert "no-store" in page["Cache-Control"]


def test_the_attendees_page_shows_a_live_link_kept_for_those_who_rsvp(client, series):
    make_session(
        series, number=1, starts_at=days_from_now(7), live_url=LIVE, live_url_for_rsvp_only=True
    )
    assert LIVE not in client.get("/nice/1/").content.decode()
    response = attend(client)
    html = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'<a href="{LIVE}" rel="noopener">{LIVE}</a>' in html
    assert "please do not pass it on" in html


def test_an_unknown_token_is_a_clear_404(client, session):
    for url in ("/rsvp/nope/", "/rsvp/nope/cancel/"):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 404
        assert "This link is not valid" in response.content.decode()


@pytest.mark.parametrize(
    ("email", "error"),
    [
        ("nope", "Enter a valid email address."),
        ("a" * 10_000 + "@example.org", "Ensure this value has at most 254 characters"),
    ],
)
def test_bad_addresses_get_a_form_error_and_write_nothing(client, session, email, error):
    response = attend(client, email=email)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not Rsvp.objects.exists()
    assert not Delivery.objects.exists()


def test_a_name_over_200_characters_is_refused(client, session):
    response = attend(client, name="名" * 201)
    assert response.status_code == 400
    assert not Rsvp.objects.exists()


def test_the_same_address_again_does_not_reveal_the_first_rsvps_page(client, session):
    attend(client)
    first = Rsvp.objects.get()
    response = attend(Client(), name="Mallory")
    assert response["Location"] == "/nice/1/rsvp/?already=1"
    html = Client().get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "This address is already on the list." in html
    assert first.token not in html
    assert Rsvp.objects.get().name == "Ada"
    assert Delivery.objects.count() == 1


def test_a_signed_in_user_is_not_asked_for_their_address(client, session):
    user = User.objects.create_user("ada", email="ada@example.org", first_name="Ada")
    client.force_login(user)
    html = client.get("/nice/1/rsvp/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'name="email"' not in html
    assert "The confirmation goes to ada@example.org." in html
    assert 'value="Ada"' in html
    response = client.post("/nice/1/rsvp/", {"name": "Ada"})
    rsvp = Rsvp.objects.get()
    assert (rsvp.email, rsvp.user) == ("ada@example.org", user)
    assert response["Location"] == f"/rsvp/{rsvp.token}/"
    html = client.get("/nice/1/rsvp/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "You are attending." in html
    assert f'href="/rsvp/{rsvp.token}/"' in html
    assert "<form" not in html.split("<main")[1]
    # Asking again leads to their own page: it is their account's address.
    assert client.post("/nice/1/rsvp/", {})["Location"] == f"/rsvp/{rsvp.token}/"


def test_places_left_are_shown(client, series):
    make_session(series, number=1, starts_at=days_from_now(7), rsvp_capacity=3)
    attend(client)
    html = client.get("/nice/1/rsvp/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "2 places left." in html


# ---------------------------------------------------------------- closed


def test_a_full_session_refuses_with_a_note(client, series):
    make_session(series, number=1, starts_at=days_from_now(7), rsvp_capacity=1)
    attend(client)
    response = client.get("/nice/1/rsvp/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert "This session is full: every place is taken." in html
    assert 'name="email"' not in html
    response = attend(client, email="bob@example.org")
    assert response.status_code == 409
    assert "This session is full" in response.content.decode()
    assert list(Rsvp.objects.values_list("email", flat=True)) == ["ada@example.org"]


def test_a_cancelled_rsvp_frees_the_place(client, series):
    make_session(series, number=1, starts_at=days_from_now(7), rsvp_capacity=1)
    attend(client)
    token = Rsvp.objects.get().token
    client.post(f"/rsvp/{token}/cancel/")
    assert attend(client, email="bob@example.org").status_code == 302
    assert list(Rsvp.objects.attending().values_list("email", flat=True)) == ["bob@example.org"]


@pytest.mark.parametrize(
    ("fields", "note"),
    [
        ({"starts_at": days_from_now(-1)}, "This session has started or is over"),
        ({"status": "cancelled"}, "This session was cancelled: it takes no RSVP."),
    ],
)
def test_past_and_cancelled_sessions_take_no_rsvp(client, series, fields, note):
    make_session(series, number=1, **{"starts_at": days_from_now(7), **fields})
    response = client.get("/nice/1/rsvp/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert note in response.content.decode()
    assert 'name="email"' not in response.content.decode()
    response = attend(client)
    assert response.status_code == 409
    assert note in response.content.decode()
    assert not Rsvp.objects.exists()


def test_a_draft_is_404_like_its_page_and_closed_for_its_organizers(client, series):
    make_session(series, number=1, starts_at=days_from_now(7), status="draft")
    assert client.get("/nice/1/rsvp/").status_code == 404
    assert attend(client).status_code == 404
    organizer = User.objects.create_user("organizer")
    series.organizers.add(organizer)
    client.force_login(organizer)
    response = client.get("/nice/1/rsvp/", HTTP_ACCEPT_LANGUAGE="en")
    assert "This session is a draft: RSVP opens when it is published." in response.content.decode()
    assert attend(client).status_code == 409
    assert not Rsvp.objects.exists()


def test_a_missing_session_is_404(client, series):
    assert client.get("/nice/9/rsvp/").status_code == 404
    assert client.get("/nope/1/rsvp/").status_code == 404


# ---------------------------------------------------------------- cancelling


@pytest.fixture
def rsvp(session) -> Rsvp:
    return service.attend(session, "ada@example.org", name="Ada", language="en")[0]


def test_the_cancel_link_changes_nothing_on_get(client, rsvp):
    response = client.get(f"/rsvp/{rsvp.token}/cancel/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Cancel my RSVP</button>" in html
    assert "csrfmiddlewaretoken" not in html
    rsvp.refresh_from_db()
    assert rsvp.cancelled_at is None


def test_the_button_cancels(client, rsvp):
    response = client.post(f"/rsvp/{rsvp.token}/cancel/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Your place is free for someone else." in response.content.decode()
    rsvp.refresh_from_db()
    assert rsvp.cancelled_at is not None
    html = client.get(f"/rsvp/{rsvp.token}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "You cancelled this RSVP." in html
    assert 'href="/nice/1/rsvp/"' in html
    assert "Cancel my RSVP</button>" not in html


def test_one_click_cancel_needs_no_csrf_token(rsvp):
    response = Client(enforce_csrf_checks=True).post(
        f"/rsvp/{rsvp.token}/cancel/",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    rsvp.refresh_from_db()
    assert rsvp.cancelled_at is not None


def test_the_rsvp_form_checks_csrf(session):
    response = attend(Client(enforce_csrf_checks=True))
    assert response.status_code == 403
    assert not Rsvp.objects.exists()


def test_the_attendees_page_takes_no_post(client, rsvp):
    assert client.post(f"/rsvp/{rsvp.token}/").status_code == 405


def test_a_cancelled_rsvp_taken_up_again_gets_a_new_link_and_forgets_the_old_name(client, series):
    make_session(series, number=1, starts_at=days_from_now(7))
    attend(client, name="Ada Lovelace")
    old = Rsvp.objects.get()
    client.post(f"/rsvp/{old.token}/cancel/")
    response = attend(Client(), name="", email="ada@example.org")  # someone else types it
    again = Rsvp.objects.get()
    assert again.cancelled_at is None and again.name == ""
    assert again.token != old.token and response["Location"] == f"/rsvp/{again.token}/"
    assert Client().get(f"/rsvp/{old.token}/").status_code == 404


def test_a_name_in_the_other_language_is_marked_as_such_and_escaped(client, session):
    attend(client, name="刘子涵", email="liu@example.org")
    rsvp = Rsvp.objects.get()
    english = client.get(f"/rsvp/{rsvp.token}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<span lang="zh">刘子涵</span>, you are attending.' in english
    Rsvp.objects.filter(pk=rsvp.pk).update(name="<b>Ada</b>")
    chinese = client.get(f"/rsvp/{rsvp.token}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert '<span lang="en">&lt;b&gt;Ada&lt;/b&gt;</span>' in chinese
    assert "<b>Ada</b>" not in chinese
