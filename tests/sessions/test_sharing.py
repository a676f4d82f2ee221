"""Issue 10, "Announcements that travel": the copyable announcement, calendar
reminders (VALARM), no "Add to calendar" on cancelled or past sessions, and the
machine-readable start the "your time" line is computed from."""

from datetime import datetime, timedelta

import pytest
from django.utils import translation
from icalendar import Calendar

from sessions.announcement import announcement_text
from sessions.models import Session
from tests.factories import (
    SHANGHAI,
    days_from_now,
    make_person,
    make_series,
    make_session,
    make_talk,
)

pytestmark = pytest.mark.django_db

PERMALINK = "https://nice.example.org/nice/47/"


@pytest.fixture
def session():
    series = make_series()
    session = make_session(
        series,
        number=47,
        title="多模态论文分享",
        starts_at=datetime(2025, 3, 14, 19, 0, tzinfo=SHANGHAI),
        ends_at=datetime(2025, 3, 14, 21, 0, tzinfo=SHANGHAI),
        venue="腾讯会议 123-456",
        live_url="https://meeting.example.org/47",
    )
    make_talk(session, "LLaVA 讲解", presenters=[make_person("张宇森"), make_person("翟胜方")])
    make_talk(session, "No presenter yet")
    return session


def _announcement(session: Session, language: str) -> str:
    session = Session.objects.with_cards().get(pk=session.pk)
    with translation.override(language):
        return announcement_text(session, PERMALINK)


def test_it_writes_the_announcement_in_english(session):
    assert _announcement(session, "en") == (
        "【NICE 每周分享 No. 47】多模态论文分享\n"
        "\n"
        "Time: Fri, Mar 14, 2025, 19:00–21:00 Asia/Shanghai (UTC+08:00)\n"
        "Venue: 腾讯会议 123-456\n"
        "Live: https://meeting.example.org/47\n"
        "\n"
        "Talks:\n"
        "1. LLaVA 讲解 — 张宇森, 翟胜方\n"
        "2. No presenter yet\n"
        "\n"
        f"Details: {PERMALINK}"
    )


def test_it_writes_the_announcement_in_chinese(session):
    text = _announcement(session, "zh-hans")
    assert "【NICE 每周分享 第47期】多模态论文分享" in text
    assert "2025年3月14日" in text and "星期五" in text
    assert "2025年3月14日 星期五 19:00–21:00 Asia/Shanghai (UTC+08:00)" in text
    assert "1. LLaVA 讲解 — 张宇森、翟胜方" in text
    assert PERMALINK in text


def test_it_keeps_the_live_link_out_when_it_is_for_rsvps_only(session):
    session.live_url_for_rsvp_only = True
    session.save()
    text = _announcement(session, "en")
    assert "meeting.example.org" not in text
    assert "Live: the link is sent to those who RSVP on the page below." in text


def test_it_names_the_day_only_when_the_time_is_unknown(session):
    session.has_start_time = False
    session.ends_at = None
    session.save()
    assert "Time: Fri, Mar 14, 2025\n" in _announcement(session, "en")


def test_it_says_a_cancelled_session_is_cancelled(session):
    session.status = Session.Status.CANCELLED
    session.save()
    assert "多模态论文分享\nThis session was cancelled.\n" in _announcement(session, "en")


def test_it_ends_on_another_day_with_that_day_named(session):
    session.ends_at = datetime(2025, 3, 15, 1, 0, tzinfo=SHANGHAI)
    session.save()
    assert "19:00–Sat, Mar 15, 2025 01:00 Asia/Shanghai" in _announcement(session, "en")


def test_the_session_page_offers_the_announcement_to_copy(client, session):
    response = client.get("/nice/47/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert 'data-copy-from="announcement-text"' in html
    assert '<textarea id="announcement-text" readonly' in html
    assert "Time: Fri, Mar 14, 2025, 19:00–21:00 Asia/Shanghai (UTC+08:00)" in html
    assert "Details: http://testserver/nice/47/" in html
    assert "js/session-share" in html
    assert "<script>" not in html  # nothing inline: the CSP forbids it


def test_the_session_page_gives_the_start_for_the_your_time_line(client, session):
    html = client.get("/nice/47/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert (
        'data-your-time data-start="2025-03-14T11:00:00+00:00" '
        'data-end="2025-03-14T13:00:00+00:00" data-zone="Asia/Shanghai" hidden>'
    ) in html
    assert '<span class="label">Your time</span>' in html


def test_the_workspace_editor_offers_the_announcement(admin_client, session):
    html = admin_client.get("/manage/nice/47/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1. LLaVA 讲解 — 张宇森, 翟胜方" in html


def _calendar_link_shown(client, session) -> bool:
    html = client.get(session.get_absolute_url()).content.decode()
    return f"/nice/{session.number}/calendar.ics" in html


def test_only_a_session_still_ahead_offers_add_to_calendar(client):
    series = make_series()
    ahead = make_session(series, number=1, starts_at=days_from_now(3))
    past = make_session(series, number=2, starts_at=days_from_now(-3))
    cancelled = make_session(series, number=3, starts_at=days_from_now(3), status="cancelled")
    assert _calendar_link_shown(client, ahead)
    assert not _calendar_link_shown(client, past)
    assert not _calendar_link_shown(client, cancelled)


def _alarms(client, url: str) -> list[str]:
    calendar = Calendar.from_ical(client.get(url).content)
    return [str(alarm.get("trigger").to_ical(), "ascii") for alarm in calendar.walk("VALARM")]


def test_the_ics_reminds_at_the_series_lead(client, session):
    assert _alarms(client, "/nice/47/calendar.ics") == ["-P1D"]


def test_the_ics_reminds_twice_when_the_series_has_a_second_lead(client, session):
    series = session.series
    series.reminder_lead = timedelta(hours=48)
    series.second_reminder_lead = timedelta(hours=1)
    series.save()
    assert _alarms(client, "/nice/47/calendar.ics") == ["-P2D", "-PT1H"]
    calendar = Calendar.from_ical(client.get("/nice/47/calendar.ics").content)
    alarm = calendar.walk("VALARM")[0]
    assert alarm["action"] == "DISPLAY"
    assert "多模态论文分享" in str(alarm["description"])


def test_the_series_feed_reminds_for_every_session(client, session):
    make_session(session.series, number=48, starts_at=days_from_now(2))
    make_session(session.series, number=49, starts_at=days_from_now(9))
    assert _alarms(client, "/nice/calendar.ics") == ["-P1D", "-P1D"]


def test_a_cancelled_session_has_no_reminder(client, session):
    session.status = Session.Status.CANCELLED
    session.save()
    assert _alarms(client, "/nice/47/calendar.ics") == []
