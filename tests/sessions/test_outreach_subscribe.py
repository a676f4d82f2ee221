"""Subscribing by email: the form, double opt-in, confirm and unsubscribe links."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core import signing
from django.test import Client
from django.utils import timezone

from sessions.outreach import service
from sessions.outreach.models import Delivery, Subscription, SuppressedAddress
from tests.factories import days_from_now, make_series, make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def series():
    series = make_series()
    make_session(series, number=1, title="Upcoming", starts_at=days_from_now(7))
    return series


def ask(client, email="ada@example.org", language="en", url="/nice/subscribe/"):
    return client.post(url, {"email": email, "language": language})


def only_subscription() -> Subscription:
    return Subscription.objects.get()


# ---------------------------------------------------------------- the form


def test_it_offers_a_form_in_the_pages_language(client, series):
    response = client.get("/nice/subscribe/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Reminders by email" in html
    assert 'type="email" name="email"' in html
    assert '<option value="en" selected>English</option>' in html
    assert "no-store" in response["Cache-Control"]


def test_a_chinese_page_defaults_to_chinese_mail(client, series):
    client.cookies["django_language"] = "zh-hans"
    html = client.get("/nice/subscribe/").content.decode()
    assert '<option value="zh-hans" selected>简体中文</option>' in html


def test_asking_queues_one_confirmation_and_nothing_else(client, series):
    response = ask(client)
    assert response.status_code == 302
    assert response["Location"] == "/nice/subscribe/?asked=confirmation-sent"
    subscription = only_subscription()
    assert (subscription.email, subscription.language, subscription.session) == (
        "ada@example.org",
        "en",
        None,
    )
    assert subscription.confirmed_at is None
    assert list(Delivery.objects.values_list("kind", "email")) == [
        (Delivery.Confirmation.SUBSCRIPTION, "ada@example.org")
    ]
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Check your inbox: we sent a link to confirm." in page
    assert "The link works for 3 days." in page


def test_a_session_subscription_names_the_session(client, series):
    response = ask(client, url="/nice/1/subscribe/")
    assert response["Location"] == "/nice/1/subscribe/?asked=confirmation-sent"
    assert only_subscription().session.number == 1


def test_the_address_is_stored_in_one_spelling(client, series):
    ask(client, email="  Ada@Example.ORG ")
    assert only_subscription().email == "ada@example.org"


@pytest.mark.parametrize(
    ("email", "error"),
    [
        ("not an address", "Enter a valid email address."),
        ("ada@", "Enter a valid email address."),
        ("", "This field is required."),
        ("a" * 10_000 + "@example.org", "Ensure this value has at most 254 characters"),
    ],
)
def test_bad_addresses_get_a_form_error_and_write_nothing(client, series, email, error):
    response = client.post(
        "/nice/subscribe/", {"email": email, "language": "en"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not Subscription.objects.exists()
    assert not Delivery.objects.exists()


def test_an_unknown_language_is_refused(client, series):
    response = ask(client, language="fr")
    assert response.status_code == 400
    assert not Subscription.objects.exists()


def test_asking_again_for_an_active_subscription_says_so(client, series):
    subscription, _ = service.subscribe(series, "ada@example.org", language="en")
    service.confirm(service.confirmation_code(subscription))
    response = ask(client)
    assert response["Location"].endswith("?asked=already-active")
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "This address is already subscribed." in page
    assert Delivery.objects.count() == 1  # the first confirmation only


def test_too_many_confirmations_a_day_are_refused_with_a_note(client, series, settings):
    settings.OUTREACH_CONFIRMATIONS_PER_DAY = 1
    ask(client)
    response = ask(client)
    assert response["Location"].endswith("?asked=too-many-confirmations")
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Too many confirmation mails went to this address today." in page
    assert Delivery.objects.count() == 1


def test_a_suppressed_address_gets_a_neutral_note_and_nothing_is_written(client, series):
    SuppressedAddress.objects.create(email="ada@example.org", reason="bounce")
    response = ask(client)
    assert response["Location"].endswith("?asked=suppressed")
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "We cannot send mail to this address." in page
    assert "bounce" not in page.lower()
    assert not Subscription.objects.exists()
    assert not Delivery.objects.exists()


def test_an_unknown_outcome_in_the_address_says_nothing(client, series):
    page = client.get("/nice/subscribe/?asked=<b>x</b>").content.decode()
    assert "<b>x</b>" not in page
    assert 'class="notice' not in page


def test_a_signed_in_user_subscribes_in_one_click(client, series):
    user = User.objects.create_user("ada", email="Ada@Example.org")
    client.force_login(user)
    page = client.get("/nice/subscribe/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Subscribe with Ada@example.org" in page
    assert 'type="email"' not in page
    response = client.post("/nice/subscribe/", {"language": "en"})
    assert response["Location"].endswith("?asked=subscribed")
    subscription = only_subscription()
    assert subscription.is_active and subscription.user == user
    assert not Delivery.objects.exists()  # their own address: no confirmation needed
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Subscribed. Every mail has a link to unsubscribe." in page


def test_a_signed_in_user_may_use_another_address_which_is_confirmed_first(client, series):
    client.force_login(User.objects.create_user("ada", email="ada@example.org"))
    page = client.get("/nice/subscribe/?other=1").content.decode()
    assert 'type="email"' in page
    client.post("/nice/subscribe/?other=1", {"email": "work@example.org", "language": "en"})
    subscription = only_subscription()
    assert subscription.email == "work@example.org"
    assert subscription.confirmed_at is None
    assert Delivery.objects.get().kind == Delivery.Confirmation.SUBSCRIPTION


def test_a_past_or_cancelled_session_takes_no_subscription(client, series):
    make_session(series, number=2, starts_at=days_from_now(-7))
    make_session(series, number=3, starts_at=days_from_now(7), status="cancelled")
    for number, note in [(2, "This session is over"), (3, "This session was cancelled")]:
        page = client.get(f"/nice/{number}/subscribe/", HTTP_ACCEPT_LANGUAGE="en")
        assert note in page.content.decode()
        assert 'type="email"' not in page.content.decode()
        assert "/nice/subscribe/" in page.content.decode()
        assert ask(client, url=f"/nice/{number}/subscribe/").status_code == 409
    assert not Subscription.objects.exists()


def test_a_draft_is_404_for_visitors(client, series):
    make_session(series, number=4, starts_at=days_from_now(7), status="draft")
    assert client.get("/nice/4/subscribe/").status_code == 404
    assert ask(client, url="/nice/4/subscribe/").status_code == 404
    assert client.get("/nope/subscribe/").status_code == 404


# ---------------------------------------------------------------- confirm


def confirm_url(subscription) -> str:
    return f"/mail/confirm/{service.confirmation_code(subscription)}/"


def test_following_the_confirmation_link_changes_nothing_until_the_button(client, series):
    ask(client)
    subscription = only_subscription()
    response = client.get(confirm_url(subscription), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Confirm your subscription" in html
    assert ">Confirm</button>" in html
    assert "NICE 每周分享" in html
    assert "receive announcements and reminders at ada@example.org." in html
    assert "no-store" in response["Cache-Control"]
    subscription.refresh_from_db()
    assert subscription.confirmed_at is None


def test_the_button_confirms(client, series):
    ask(client)
    subscription = only_subscription()
    response = client.post(confirm_url(subscription), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "your subscription is confirmed" in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.is_active
    # Still only the confirmation: mail about sessions is the worker's, for active ones.
    assert Delivery.objects.count() == 1


def test_a_reused_link_says_it_was_confirmed_already(client, series):
    ask(client)
    subscription = only_subscription()
    client.post(confirm_url(subscription))
    confirmed_at = Subscription.objects.get().confirmed_at
    for method in (client.get, client.post):
        response = method(confirm_url(subscription), HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 409
        assert "Already confirmed" in response.content.decode()
        assert ">Confirm</button>" not in response.content.decode()
    assert Subscription.objects.get().confirmed_at == confirmed_at


class OldSigner(signing.TimestampSigner):
    """Signs as if it were four days ago (the links last three)."""

    def timestamp(self) -> str:
        return signing.b62_encode(int(time.time() - timedelta(days=4).total_seconds()))


def test_an_expired_link_confirms_nothing(client, series):
    ask(client)
    subscription = only_subscription()
    code = OldSigner(salt=service.CONFIRMATION_SALT).sign_object(subscription.token)
    for method in (client.get, client.post):
        response = method(f"/mail/confirm/{code}/", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 410
        assert "This confirmation link has expired" in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.confirmed_at is None


@pytest.mark.parametrize("code", ["garbage", "x" * 500, "a:b:c"])
def test_an_altered_link_confirms_nothing(client, series, code):
    ask(client)
    response = client.post(f"/mail/confirm/{code}/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert "This confirmation link is not valid" in response.content.decode()
    assert Subscription.objects.get().confirmed_at is None


def test_a_link_to_a_subscription_since_stopped_does_not_bring_it_back(client, series):
    ask(client)
    subscription = only_subscription()
    service.unsubscribe(subscription.token)
    response = client.post(confirm_url(subscription))
    assert response.status_code == 404
    subscription.refresh_from_db()
    assert subscription.confirmed_at is None


# ---------------------------------------------------------------- unsubscribe


@pytest.fixture
def active(series) -> Subscription:
    subscription, _ = service.subscribe(series, "ada@example.org", language="en")
    service.confirm(service.confirmation_code(subscription))
    return Subscription.objects.get(pk=subscription.pk)


def test_the_unsubscribe_link_changes_nothing_on_get(client, active):
    response = client.get(f"/mail/unsubscribe/{active.token}/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert ">Unsubscribe</button>" in html
    assert "csrfmiddlewaretoken" not in html
    active.refresh_from_db()
    assert active.is_active


def test_the_button_unsubscribes(client, active):
    response = client.post(f"/mail/unsubscribe/{active.token}/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "You will receive no more mail about this." in response.content.decode()
    active.refresh_from_db()
    assert active.unsubscribed_at is not None
    assert not Subscription.objects.active().exists()


def test_one_click_unsubscribe_needs_no_csrf_token(active):
    """RFC 8058: the mail client posts this body to the List-Unsubscribe address."""
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        f"/mail/unsubscribe/{active.token}/",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    active.refresh_from_db()
    assert active.unsubscribed_at is not None


def test_unsubscribing_twice_is_harmless(client, active):
    client.post(f"/mail/unsubscribe/{active.token}/")
    first = Subscription.objects.get().unsubscribed_at
    response = client.post(f"/mail/unsubscribe/{active.token}/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert Subscription.objects.get().unsubscribed_at == first
    assert "Subscribe again" in response.content.decode()


def test_an_unknown_unsubscribe_token_is_a_clear_404(client, active):
    response = client.post("/mail/unsubscribe/nope/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert "This link is not valid" in response.content.decode()
    active.refresh_from_db()
    assert active.is_active


def test_other_views_still_check_csrf(series):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/nice/subscribe/", {"email": "ada@example.org", "language": "en"})
    assert response.status_code == 403
    assert not Subscription.objects.exists()


def test_subscribing_again_after_unsubscribing_asks_for_confirmation_again(client, active):
    client.post(f"/mail/unsubscribe/{active.token}/")
    response = ask(client)
    assert response["Location"].endswith("?asked=confirmation-sent")
    active.refresh_from_db()
    assert (active.confirmed_at, active.unsubscribed_at) == (None, None)
    assert timezone.now() - Delivery.objects.latest("pk").created_at < timedelta(minutes=1)
