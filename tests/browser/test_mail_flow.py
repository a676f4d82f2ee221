"""Issue 10 end to end, in real Chromium, with the real worker command and a real SMTP
server on loopback: subscribe → confirmation mail → confirm link → the announcement
and the reminder arrive → one-click unsubscribe (RFC 8058, as a mail client posts
it) → nothing more arrives, whatever happens to the session."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from sessions.models import Session
from sessions.outreach.models import Mailing
from tests.factories import make_person, make_series, make_session, make_talk

pytestmark = pytest.mark.django_db(transaction=True)


def run_worker() -> None:
    """The worker as production runs it, until the queue is empty."""
    call_command("run_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_subscribe_confirm_be_reminded_and_unsubscribe(browser, live_server, smtp, settings):
    settings.SITE_URL = live_server.url
    series = make_series()
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(10_000)

    page.goto("/nice/subscribe/")
    page.get_by_label("Email address").fill("Reader@Example.org")
    page.get_by_role("button", name="Subscribe").click()
    assert "Check your inbox" in page.locator("[role=status]").inner_text()
    assert smtp.received == []  # nothing is sent by the request itself
    run_worker()
    (confirmation,) = smtp.messages
    assert confirmation["To"] == "reader@example.org"
    link = re.search(r"http://\S+/mail/confirm/\S+/", text_of(confirmation)).group(0)

    page.goto(link)
    page.get_by_role("button", name="Confirm").click()
    assert "your subscription is confirmed" in page.locator("[role=status]").inner_text()

    session = make_session(
        series,
        number=47,
        title="多模态论文分享",
        starts_at=timezone.now() + timedelta(hours=20),  # the 24-hour reminder is due
    )
    make_talk(session, "LLaVA-Critic", presenters=[make_person("张宇森")])
    # As if published two days ago: a reminder whose time came after the announcement.
    Mailing.objects.filter(session=session).update(created_at=timezone.now() - timedelta(days=2))
    run_worker()
    announcement, reminder = sorted(smtp.messages[1:], key=lambda m: m["Subject"])
    assert announcement["Subject"] == "NICE 每周分享 No. 47：多模态论文分享"
    assert reminder["Subject"].startswith("Reminder: NICE 每周分享 No. 47：多模态论文分享, ")
    assert reminder["Subject"].endswith("Asia/Shanghai (UTC+08:00)")
    assert "LLaVA-Critic — 张宇森" in text_of(reminder)
    unsubscribe = reminder["List-Unsubscribe"].strip("<>")
    assert reminder["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # What a mail client does for its "Unsubscribe" button: a POST, no cookie, no token.
    response = page.request.post(
        unsubscribe,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        data="List-Unsubscribe=One-Click",
    )
    assert response.status == 200
    received = len(smtp.received)
    session.starts_at += timedelta(days=1)
    session.save()
    session.status = Session.Status.CANCELLED
    session.save()
    run_worker()
    assert len(smtp.received) == received  # neither the move nor the cancellation
    context.close()
