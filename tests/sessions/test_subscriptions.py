"""Calendars, feeds and downloads, read the way their clients read them."""

import csv
import io
from datetime import datetime, timedelta
from xml.etree import ElementTree

import pytest
from django.contrib.auth.models import User
from icalendar import Calendar

from tests.factories import (
    SHANGHAI,
    days_from_now,
    make_full_session,
    make_paper,
    make_person,
    make_series,
    make_session,
    make_talk,
)

pytestmark = pytest.mark.django_db


def events(response) -> dict:
    calendar = Calendar.from_ical(response.content)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


@pytest.fixture
def series():
    series = make_series()
    past = make_session(series, number=46, title="三周前", starts_at=days_from_now(-21))
    make_talk(past, "Attention Is All You Need", presenters=[make_person("王浩然")])
    coming = make_session(
        series,
        number=47,
        title="多模态论文分享",
        starts_at=datetime(2030, 3, 16, 19, 0, tzinfo=SHANGHAI),
        ends_at=datetime(2030, 3, 16, 21, 0, tzinfo=SHANGHAI),
        venue="腾讯会议 123",
        keywords=["多模态"],
    )
    make_talk(coming, "LLaVA", presenters=[make_person("周雨桐")])
    make_session(series, number=48, title="已取消", starts_at=days_from_now(20), status="cancelled")
    make_session(series, number=49, title="草稿", starts_at=days_from_now(27), status="draft")
    make_session(series, number=10, title="一年前", starts_at=days_from_now(-365))
    return series


def test_the_series_feed_shows_times_in_shanghai_and_never_drafts(client, series):
    response = client.get("/nice/calendar.ics")
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Asia/Shanghai"]
    by_title = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    assert sorted(by_title) == [
        "NICE 每周分享 第46期：三周前",
        "NICE 每周分享 第47期：多模态论文分享",
        "NICE 每周分享 第48期：已取消",
    ]
    event = by_title["NICE 每周分享 第47期：多模态论文分享"]
    start = event.decoded("DTSTART")
    assert (start.isoformat(), str(start.tzinfo)) == ("2030-03-16T19:00:00+08:00", "Asia/Shanghai")
    assert event.decoded("DTEND").isoformat() == "2030-03-16T21:00:00+08:00"
    assert str(event["LOCATION"]) == "腾讯会议 123"
    assert "1. LLaVA（周雨桐）" in str(event["DESCRIPTION"])
    assert str(event["URL"]) == "http://testserver/nice/47/"
    assert str(by_title["NICE 每周分享 第48期：已取消"]["STATUS"]) == "CANCELLED"
    assert str(event["STATUS"]) == "CONFIRMED"


def test_the_past_window_is_bounded_and_settable(client, series, settings):
    assert "一年前" not in client.get("/nice/calendar.ics").content.decode()
    settings.CALENDAR_PAST_WEEKS = 60
    assert "一年前" in client.get("/nice/calendar.ics").content.decode()


def test_uids_are_stable_and_sequence_grows_after_an_edit(client, series):
    # iCalendar times have whole seconds: let the last change lie an hour back.
    series.sessions.update(updated_at=datetime.now(SHANGHAI) - timedelta(hours=1))
    first = events(client.get("/nice/calendar.ics"))
    again = events(client.get("/nice/calendar.ics"))
    assert first.keys() == again.keys()
    uid = next(uid for uid, e in first.items() if "多模态论文分享" in str(e["SUMMARY"]))
    organizer = User.objects.create_user("organizer")
    series.organizers.add(organizer)
    client.force_login(organizer)
    session = series.sessions.get(number=47)
    client.post(
        "/manage/nice/47/",
        {
            "number": 47,
            "title": "多模态论文分享（改）",
            "starts_at": "2030-03-16T19:30",
            "ends_at": "2030-03-16T21:00",
            "version": session.version,
        },
    )
    client.logout()
    edited = events(client.get("/nice/calendar.ics"))[uid]
    assert int(edited["SEQUENCE"]) > int(first[uid]["SEQUENCE"])
    assert edited.decoded("LAST-MODIFIED") > first[uid].decoded("LAST-MODIFIED")
    assert edited.decoded("DTSTART").isoformat() == "2030-03-16T19:30:00+08:00"


def test_one_session_downloads_as_ics_and_drafts_do_not(client, series):
    response = client.get("/nice/47/calendar.ics")
    assert response["Content-Disposition"] == 'attachment; filename="nice-47.ics"'
    assert len(events(response)) == 1
    assert client.get("/nice/49/calendar.ics").status_code == 404


def test_a_session_with_only_a_date_is_an_all_day_event(client):
    make_session(
        make_series(),
        number=80,
        has_start_time=False,
        starts_at=datetime(2025, 8, 24, tzinfo=SHANGHAI),
    )
    (event,) = events(client.get("/nice/80/calendar.ics")).values()
    assert event.decoded("DTSTART").isoformat() == "2025-08-24"


def test_pages_link_the_calendar_google_and_feeds(client, series):
    html = client.get("/nice/47/").content.decode()
    assert 'href="/nice/47/calendar.ics"' in html
    assert "https://calendar.google.com/calendar/render?action=TEMPLATE" in html
    assert "dates=20300316T110000Z%2F20300316T130000Z" in html
    assert '<link rel="alternate" type="application/atom+xml"' in html
    archive = client.get("/nice/").content.decode()
    assert 'href="webcal://testserver/nice/calendar.ics"' in archive
    assert 'href="/nice/feed/atom/"' in archive and 'href="/nice/feed/rss/"' in archive


def test_the_atom_feed_lists_published_sessions_newest_first_with_talks(client, series):
    response = client.get("/nice/feed/atom/")
    root = ElementTree.fromstring(response.content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [entry.findtext("a:title", namespaces=ns) for entry in root.findall("a:entry", ns)]
    assert "NICE 每周分享 第49期：草稿" not in titles
    assert set(titles) == {
        "NICE 每周分享 第10期：一年前",
        "NICE 每周分享 第46期：三周前",
        "NICE 每周分享 第47期：多模态论文分享",
        "NICE 每周分享 第48期：已取消",
    }
    entry = next(
        e for e in root.findall("a:entry", ns) if "第47期" in e.findtext("a:title", namespaces=ns)
    )
    assert "LLaVA" in entry.findtext("a:summary", namespaces=ns)
    assert entry.find("a:link", ns).get("href") == "http://testserver/nice/47/"


def test_rss_and_keyword_feeds(client, series):
    rss = ElementTree.fromstring(client.get("/nice/feed/rss/").content)
    assert len(rss.findall("./channel/item")) == 4
    keyword = ElementTree.fromstring(
        client.get("/keywords/%E5%A4%9A%E6%A8%A1%E6%80%81/feed/atom/").content
    )
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert [e.findtext("a:title", namespaces=ns) for e in keyword.findall("a:entry", ns)] == [
        "NICE 每周分享 第47期：多模态论文分享"
    ]


def test_bibtex_of_a_session_and_a_series(client):
    series = make_series()
    session = make_session(series, number=1)
    make_talk(
        session,
        "T",
        paper=make_paper(
            "Attention Is All You Need",
            authors="Ashish Vaswani\nNoam Shazeer",
            year=2017,
            venue="NeurIPS 2017",
            arxiv_id="1706.03762",
        ),
    )
    make_talk(session, "U", paper=make_paper("{Braces} & 100% 测试", year=2024))
    text = client.get("/nice/1/papers.bib").content.decode()
    assert (
        "@inproceedings{vaswani2017attention,\n  title = {{Attention Is All You Need}},\n  author = {Ashish Vaswani and Noam Shazeer},"
        in text
    )
    assert "eprint = {1706.03762}" in text and "archiveprefix = {arXiv}" in text
    assert r"title = {{\{Braces\} \& 100\% 测试}}" in text
    assert client.get("/nice/papers.bib").getvalue().decode() == text


def test_csv_of_talks_opens_in_a_spreadsheet(client):
    session = make_full_session(make_series(), 3)
    make_session(session.series, number=4, status="draft", title="秘密")
    data = client.get("/nice/talks.csv").getvalue().decode("utf-8")
    assert data.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(data.lstrip("\ufeff"))))
    assert rows[0][:7] == ["series", "number", "date", "session", "order", "segment", "talk"]
    assert [row[6] for row in rows[1:]] == ["Talk 3.0", "Talk 3.1"]
    assert rows[1][7] == "Speaker 3.0" and rows[1][12] == "2501.00300"
    assert "秘密" not in data


@pytest.mark.parametrize("sessions", [1, 3])
def test_feed_query_counts_do_not_grow(client, django_assert_num_queries, sessions):
    series = make_series()
    for number in range(1, sessions + 1):
        make_full_session(series, number, starts_at=days_from_now(number))
    # 1 series; 2 sessions; 3-6 keywords, session presenters, talks, talk presenters.
    with django_assert_num_queries(6):
        client.get("/nice/calendar.ics")
    with django_assert_num_queries(6):
        client.get("/nice/feed/atom/")


def test_the_calendar_feed_has_a_qr_code_to_subscribe_from_a_phone(client, series):
    response = client.get("/nice/calendar-qr.svg")
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<svg") and b"<script" not in response.content
    assert 'href="/nice/calendar-qr.svg"' in client.get("/nice/").content.decode()
    # The same drawing as the PNG variant, which a decoder can read back:
    import zxingcpp
    from PIL import Image

    from sessions import artwork

    decoded = zxingcpp.read_barcodes(
        Image.open(io.BytesIO(artwork.qr_png("http://testserver/nice/calendar.ics")))
    )
    assert [code.text for code in decoded] == ["http://testserver/nice/calendar.ics"]
    assert artwork.qr_svg("http://testserver/nice/calendar.ics") == response.content
