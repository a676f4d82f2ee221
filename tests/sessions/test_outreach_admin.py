"""Admins manage subscribers, suppress addresses and send failed mail again."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from sessions.outreach import service
from sessions.outreach.models import Delivery, Mailing, Subscription, SuppressedAddress
from tests.factories import days_from_now, make_series, make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("admin", "admin@example.org", "x"))
    return client


@pytest.fixture
def series():
    series = make_series()
    make_session(series, number=1, starts_at=days_from_now(7))
    return series


@pytest.mark.parametrize(
    "model", ["subscription", "rsvp", "suppressedaddress", "delivery", "mailing"]
)
def test_each_list_opens(admin_client, series, model):
    service.subscribe(series, "ada@example.org", language="en")
    service.attend(series.sessions.get(), "bob@example.org", language="en")
    SuppressedAddress.objects.create(email="eve@example.org", reason="bounce")
    response = admin_client.get(f"/admin/nice_sessions/{model}/")
    assert response.status_code == 200


def test_subscriptions_are_searched_by_address_and_never_added_here(admin_client, series):
    service.subscribe(series, "ada@example.org", language="en")
    service.subscribe(series, "bob@example.org", language="en")
    html = admin_client.get("/admin/nice_sessions/subscription/?q=ada").content.decode()
    assert "ada@example.org" in html and "bob@example.org" not in html
    assert admin_client.get("/admin/nice_sessions/subscription/add/").status_code == 403


def test_series_list_counts_confirmed_subscribers(admin_client, series):
    for address in ("a@example.org", "b@example.org"):
        subscription, _ = service.subscribe(series, address, language="en")
        service.confirm(service.confirmation_code(subscription))
    service.subscribe(series, "unconfirmed@example.org", language="en")
    html = admin_client.get("/admin/nice_sessions/series/").content.decode()
    assert '<td class="field-subscriber_count">2</td>' in html


def test_an_admin_suppresses_an_address(admin_client, series):
    response = admin_client.post(
        "/admin/nice_sessions/suppressedaddress/add/",
        {"email": "Ada@Example.org", "reason": "complaint", "note": "marked as spam"},
    )
    assert response.status_code == 302
    assert SuppressedAddress.objects.get().email == "ada@example.org"
    assert service.subscribe(series, "ada@example.org", language="en")[1] == "suppressed"


def test_send_again_requeues_failed_and_unknown_mail_only(admin_client, series):
    rows = {
        status: Delivery.objects.create(
            kind=Mailing.Kind.REMINDER,
            email=f"{status}@example.org",
            language="en",
            status=status,
            attempts=5,
            next_attempt_at=days_from_now(-1),
        )
        for status in ("failed", "unknown", "sent")
    }
    before = timezone.now()
    response = admin_client.post(
        "/admin/nice_sessions/delivery/",
        {"action": "send_again", "_selected_action": [row.pk for row in rows.values()]},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302
    for status, row in rows.items():
        row.refresh_from_db()
        if status == "sent":
            assert row.status == "sent"
        else:
            assert row.status == "pending"
            assert row.next_attempt_at >= before
    page = admin_client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "2 mails will be sent again." in page


def test_deliveries_are_read_only(admin_client, series):
    subscription, _ = service.subscribe(series, "ada@example.org", language="en")
    delivery = Delivery.objects.get()
    response = admin_client.post(
        f"/admin/nice_sessions/delivery/{delivery.pk}/change/", {"status": "sent"}
    )
    assert response.status_code == 403
    assert Delivery.objects.get().status == "pending"
    assert Subscription.objects.get().pk == subscription.pk


def test_organizers_without_staff_status_see_no_addresses(client, series):
    organizer = User.objects.create_user("organizer")
    series.organizers.add(organizer)
    service.subscribe(series, "ada@example.org", language="en")
    client.force_login(organizer)
    response = client.get("/admin/nice_sessions/subscription/")
    assert response.status_code == 302
    assert b"ada@example.org" not in response.content
