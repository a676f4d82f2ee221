"""Subscribe and RSVP forms are limited per address and per IP address (nice.ratelimit)."""

from __future__ import annotations

import pytest

from nice import ratelimit
from sessions.outreach.models import Delivery, Rsvp, Subscription
from tests.factories import days_from_now, make_series, make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def session():
    return make_session(make_series(), number=1, starts_at=days_from_now(7))


@pytest.fixture
def limits(settings):
    settings.OUTREACH_ATTEMPTS_PER_HOUR = 2
    settings.OUTREACH_ATTEMPTS_PER_IP_PER_HOUR = 4
    settings.OUTREACH_CONFIRMATIONS_PER_DAY = 10


def subscribe(client, email, ip="203.0.113.1"):
    return client.post(
        "/nice/subscribe/",
        {"email": email, "language": "en"},
        REMOTE_ADDR=ip,
        HTTP_ACCEPT_LANGUAGE="en",
    )


def rsvp(client, email, ip="203.0.113.1"):
    return client.post("/nice/1/rsvp/", {"email": email}, REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE="en")


def test_it_counts_within_a_window():
    assert [ratelimit.hit("t", "x", 2, 60) for _ in range(4)] == [True, True, False, False]
    assert ratelimit.hit("t", "y", 2, 60)  # another identity
    assert ratelimit.hit("other", "x", 2, 60)  # another scope


def test_one_address_is_limited_per_hour(client, session, limits):
    assert subscribe(client, "ada@example.org", ip="203.0.113.1").status_code == 302
    assert subscribe(client, "ADA@example.org", ip="203.0.113.2").status_code == 302
    response = subscribe(client, "ada@example.org", ip="203.0.113.3")
    assert response.status_code == 429
    assert "This form was sent too often in the last hour" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert Delivery.objects.count() == 2
    # Another address from the same place is fine.
    assert subscribe(client, "bob@example.org", ip="203.0.113.3").status_code == 302


def test_one_ip_address_is_limited_per_hour_valid_or_not(client, session, limits):
    assert subscribe(client, "not an address").status_code == 400
    assert subscribe(client, "a@example.org").status_code == 302
    assert rsvp(client, "b@example.org").status_code == 302
    assert subscribe(client, "c@example.org").status_code == 302
    assert subscribe(client, "d@example.org").status_code == 429
    assert rsvp(client, "e@example.org").status_code == 429
    assert sorted(Subscription.objects.values_list("email", flat=True)) == [
        "a@example.org",
        "c@example.org",
    ]
    assert list(Rsvp.objects.values_list("email", flat=True)) == ["b@example.org"]
    # Someone else is not blocked.
    assert subscribe(client, "d@example.org", ip="198.51.100.7").status_code == 302


def test_rsvp_is_limited_per_address(client, session, limits):
    assert rsvp(client, "ada@example.org", ip="203.0.113.1").status_code == 302
    assert rsvp(client, "ada@example.org", ip="203.0.113.2").status_code == 302  # already
    response = rsvp(client, "ada@example.org", ip="203.0.113.3")
    assert response.status_code == 429
    assert 'href="/nice/1/rsvp/"' in response.content.decode()
    assert Rsvp.objects.count() == 1
