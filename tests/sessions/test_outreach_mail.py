"""Issue 10, the mails: what goes out, to whom, once, and what happens when the
mail server fails. Everything goes through Django's SMTP backend to a real SMTP
server on loopback (tests/mail_server.py); `dispatch(now=...)` is what the worker
runs every minute, called here with the clock it should see."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from sessions.models import Session
from sessions.outreach.mailer import CLAIM_TIMEOUT, MAX_ATTEMPTS, dispatch, expand
from sessions.outreach.models import Delivery, Mailing, Rsvp, Subscription, SuppressedAddress
from tests.factories import make_person, make_series, make_session, make_talk
from tests.mail_server import MailServer

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)


def subscriber(series, email, language="zh-hans", session=None, **fields) -> Subscription:
    return Subscription.objects.create(
        series=series,
        session=session,
        email=email,
        language=language,
        confirmed_at=fields.pop("confirmed_at", timezone.now()),
        **fields,
    )


def upcoming(series, hours=72, **fields) -> Session:
    session = make_session(
        series,
        number=fields.pop("number", 47),
        title=fields.pop("title", "多模态论文分享@ICLR2025"),
        starts_at=timezone.now() + hours * HOUR,
        **fields,
    )
    make_talk(session, "LLaVA-Critic", presenters=[make_person("张宇森")])
    return session


def announced_days_ago(session, days=2) -> None:
    """As if the session had been announced `days` ago (its reminder time came after)."""
    Mailing.objects.filter(session=session).update(created_at=timezone.now() - timedelta(days=days))


def addresses(smtp) -> list[str]:
    return sorted(rcpt for item in smtp.received for rcpt in item.recipients)


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def test_publishing_announces_to_confirmed_series_subscribers_once(smtp):
    series = make_series()
    subscriber(series, "zh@example.org")
    subscriber(series, "en@example.org", language="en")
    subscriber(series, "unconfirmed@example.org", confirmed_at=None)
    subscriber(series, "gone@example.org", unsubscribed_at=timezone.now())
    subscriber(series, "bounced@example.org")
    SuppressedAddress.objects.create(email="Bounced@example.org", reason="bounce")
    session = upcoming(series, status=Session.Status.DRAFT)
    assert dispatch().sent == 0  # a draft is nobody's business

    session.status = Session.Status.PUBLISHED
    session.save()
    report = dispatch()

    assert (report.sent, addresses(smtp)) == (2, ["en@example.org", "zh@example.org"])
    assert dispatch().sent == 0 and len(smtp.received) == 2  # never twice
    session.title = "A better title"
    session.save()
    assert dispatch().sent == 0  # an edit is not an announcement


def test_a_mail_is_in_the_subscribers_language_with_the_zone_talks_ics_and_unsubscribe(smtp):
    series = make_series()
    zh = subscriber(series, "zh@example.org")
    en = subscriber(series, "en@example.org", language="en")
    upcoming(series, venue="FIT 1-222")
    dispatch()

    by_address = {item.recipients[0]: item.message for item in smtp.received}
    chinese, english = by_address["zh@example.org"], by_address["en@example.org"]
    assert "第47期" in chinese["Subject"] and "多模态论文分享@ICLR2025" in chinese["Subject"]
    assert "No. 47" in english["Subject"]
    assert "时间：" in text_of(chinese) and "Time:" in text_of(english)
    assert "Asia/Shanghai" in text_of(english) and "UTC+08:00" in text_of(english)
    assert "LLaVA-Critic — 张宇森" in text_of(english)
    assert "FIT 1-222" in html_of(english) and "<ol" in html_of(english)
    assert '<html lang="en">' in html_of(english)
    calendar = next(part for part in english.iter_attachments())
    assert calendar.get_content_type() == "text/calendar"
    assert "BEGIN:VEVENT" in calendar.get_content()
    for subscription, message in ((zh, chinese), (en, english)):
        link = f"http://127.0.0.1:8000/mail/unsubscribe/{subscription.token}/"
        assert message["List-Unsubscribe"] == f"<{link}>"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert link in text_of(message) and link in html_of(message)


def test_reminders_reach_subscribers_and_attendees_once_each(smtp):
    series = make_series(second_reminder_lead=HOUR)
    session = upcoming(
        series, hours=20, live_url="https://meeting.example/j/1", live_url_for_rsvp_only=True
    )
    announced_days_ago(session)
    subscriber(series, "series@example.org")
    subscriber(series, "both@example.org")
    subscriber(series, "one@example.org", session=session, language="en")
    Rsvp.objects.create(session=session, email="both@example.org", language="en")
    Rsvp.objects.create(
        session=session, email="cancelled@example.org", language="en", cancelled_at=timezone.now()
    )
    Delivery.objects.all().delete()
    smtp.handler.received.clear()

    dispatch()  # 20 hours before: the 24-hour reminder is due, the 1-hour one is not
    reminders = [m for m in smtp.messages if m["Subject"].startswith(("Reminder", "提醒"))]
    assert sorted(r for m in reminders for r in [m["To"]]) == [
        "both@example.org",
        "one@example.org",
        "series@example.org",
    ]
    by_address = {m["To"]: m for m in reminders}
    # The attendee's mail carries the live link kept for those who RSVP; nobody else's does.
    attendee = text_of(by_address["both@example.org"])
    assert "Live: https://meeting.example/j/1" in attendee and "RSVP on the page" not in attendee
    assert "/rsvp/" in by_address["both@example.org"]["List-Unsubscribe"]
    assert "https://meeting.example/j/1" not in text_of(by_address["series@example.org"])
    count = len(smtp.received)
    dispatch()
    assert len(smtp.received) == count

    dispatch(now=session.starts_at - 30 * timedelta(minutes=1))  # the second reminder
    assert len(smtp.received) == count + 3
    assert Mailing.objects.filter(kind=Mailing.Kind.SECOND_REMINDER).count() == 1


def test_a_session_moved_after_its_reminder_was_planned_is_reminded_at_the_new_time(smtp):
    series = make_series()
    subscriber(series, "a@example.org")
    session = upcoming(series, hours=20)
    announced_days_ago(session)
    smtp.refuse("a@example.org", "451 4.3.0 try again later")
    dispatch()  # the announcement and the reminder both wait for a retry
    assert set(Delivery.objects.values_list("status", flat=True)) == {"pending"}

    session.starts_at += timedelta(days=3)
    session.save()
    smtp.handler.refuse.clear()
    dispatch(now=timezone.now() + 2 * HOUR)  # retries due: what they said is void now
    assert Delivery.objects.get(kind="reminder").status == "skipped"
    assert Delivery.objects.get(kind="announcement").status == "skipped"
    (moved,) = smtp.messages  # the notice of the new time carries everything
    assert moved["Subject"].startswith(("New time", "改期"))

    dispatch(now=session.starts_at - 23 * HOUR)
    reminder = Delivery.objects.get(kind="reminder", status="sent")
    assert reminder.mailing.occasion == session.starts_at
    assert len(smtp.received) == 2


def test_a_session_announced_after_its_reminder_time_is_not_reminded_at_once(smtp):
    series = make_series(second_reminder_lead=HOUR)
    subscriber(series, "a@example.org", language="en")
    session = upcoming(series, hours=5)  # published 5 hours ahead; the 24-hour time is past
    dispatch()
    assert [m["Subject"] for m in smtp.messages] == [f"NICE 每周分享 No. 47：{session.title}"]
    dispatch(now=session.starts_at - 30 * timedelta(minutes=1))  # the 1-hour one still goes
    assert smtp.messages[-1]["Subject"].startswith("Reminder: ")
    assert len(smtp.received) == 2

    session.starts_at -= HOUR  # moved within the window: the notice, and no reminder with it
    session.save()
    dispatch(now=session.starts_at - 3 * HOUR)
    assert [m["Subject"].split(":")[0] for m in smtp.messages[2:]] == ["New time"]


def test_a_cancelled_session_is_announced_as_cancelled_and_not_reminded(smtp):
    series = make_series()
    subscriber(series, "a@example.org", language="en")
    session = upcoming(series, hours=20)
    session.status = Session.Status.CANCELLED
    session.save()
    dispatch()
    subjects = [m["Subject"] for m in smtp.messages]
    assert subjects == [f"Cancelled: NICE 每周分享 No. 47：{session.title}"]
    assert "STATUS:CANCELLED" in next(smtp.messages[0].iter_attachments()).get_content()


def test_the_past_is_never_mailed(smtp):
    series = make_series()
    subscriber(series, "a@example.org")
    upcoming(series, hours=-5)
    assert dispatch().mailings == 0 and smtp.received == []


def test_a_temporary_failure_is_retried_with_back_off_then_recorded(smtp):
    series = make_series()
    subscriber(series, "a@example.org")
    upcoming(series)
    smtp.refuse("a@example.org", "451 4.3.0 mailbox busy")
    now = timezone.now()
    dispatch(now=now)
    delivery = Delivery.objects.get()
    waits = []
    while delivery.status == "pending":
        waits.append(delivery.next_attempt_at - now)
        assert dispatch(now=delivery.next_attempt_at - timedelta(seconds=1)).sent == 0
        now = delivery.next_attempt_at
        dispatch(now=now)
        delivery.refresh_from_db()
    assert delivery.status == "failed" and delivery.attempts == MAX_ATTEMPTS
    assert "451" in delivery.error and "mailbox busy" in delivery.error
    assert [round(w / timedelta(minutes=1)) for w in waits] == [1, 4, 16, 64]
    assert smtp.received == []


def test_a_refused_address_fails_at_once_and_the_others_still_go(smtp):
    series = make_series()
    subscriber(series, "nobody@example.org")
    subscriber(series, "a@example.org")
    upcoming(series)
    smtp.refuse("nobody@example.org", "550 5.1.1 no such user")
    report = dispatch()
    assert (report.sent, report.failed) == (1, 1)
    failed = Delivery.objects.get(status="failed")
    assert failed.email == "nobody@example.org" and "550" in failed.error


def test_a_mail_server_that_is_down_stops_the_round_and_loses_nothing(settings, smtp):
    series = make_series()
    for n in range(10):
        subscriber(series, f"s{n}@example.org")
    upcoming(series)
    smtp.controller.stop()
    report = dispatch()
    assert report.sent == 0 and report.retrying == 3  # three tries, then it waits
    assert Delivery.objects.filter(status="pending").count() == 10
    with MailServer() as back_up:
        settings.MAILERS = back_up.mailer_settings()
        dispatch(now=timezone.now() + 2 * HOUR)
        assert len(addresses(back_up)) == 10
    assert Delivery.objects.filter(status="sent").count() == 10


def test_a_row_a_dead_worker_was_sending_is_recorded_as_unknown_not_resent(smtp):
    series = make_series()
    subscriber(series, "a@example.org")
    subscriber(series, "b@example.org")
    upcoming(series)
    for mailing in Mailing.objects.all():
        expand(mailing, timezone.now())  # the recipients listed, nothing sent yet
    claimed = Delivery.objects.get(email="a@example.org")
    Delivery.objects.filter(pk=claimed.pk).update(status="sending", claimed_at=timezone.now())
    dispatch()
    assert addresses(smtp) == ["b@example.org"]
    dispatch(now=timezone.now() + CLAIM_TIMEOUT + timedelta(seconds=1))
    claimed.refresh_from_db()
    assert claimed.status == "unknown" and addresses(smtp) == ["b@example.org"]


def test_two_dispatches_at_once_send_each_mail_once(smtp):
    """Two workers: the second finds every row claimed or sent."""
    series = make_series()
    for n in range(5):
        subscriber(series, f"s{n}@example.org")
    upcoming(series)
    first, second = dispatch(), dispatch()
    assert (first.sent, second.sent) == (5, 0)
    assert len(addresses(smtp)) == 5 == len(set(addresses(smtp)))


def test_the_lean_message_reads_back_as_written():
    from email import message_from_bytes, policy

    from sessions.outreach.messages import LeanMessage

    message = LeanMessage(
        subject="提醒：NICE 第47期：多模态论文分享@ICLR2025，" * 3,
        body="正文 body",
        to=["a@example.org"],
        headers={
            "List-Unsubscribe": "<https://nice.example.org/mail/unsubscribe/" + "x" * 90 + "/>"
        },
    )
    message.attach_alternative("<p>正文</p>", "text/html")
    message.attach("session.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar")
    wire = message.message().as_bytes()
    assert all(len(line) <= 998 for line in wire.split(b"\r\n"))
    parsed = message_from_bytes(wire, policy=policy.default)
    assert parsed["Subject"] == message.subject
    assert parsed["List-Unsubscribe"] == message.extra_headers["List-Unsubscribe"]
    assert parsed.get_body(preferencelist=("plain",)).get_content() == "正文 body"
    assert parsed.get_body(preferencelist=("html",)).get_content() == "<p>正文</p>"
    (calendar,) = parsed.iter_attachments()
    assert calendar.get_filename() == "session.ics"


def test_a_line_break_in_a_header_is_refused():
    from sessions.outreach.messages import LeanMessage

    message = LeanMessage(subject="Hi\r\nBcc: victim@example.org", body="x", to=["a@example.org"])
    with pytest.raises(ValueError, match="line break in the Subject"):
        message.message()
