"""After the talk: past sessions in the workspace, slides and recordings per talk (in the
history, with a new version feeds and calendars see), the recording's player on the
session page, placeholders warned of at publishing, and where focus goes after a swap.

New strings are asserted in English: their Chinese arrives with the catalog."""

import re
from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from sessions.models import Session, Talk
from sessions.views.workspace import PAST_ON_DASHBOARD
from tests.factories import (
    SHANGHAI,
    days_from_now,
    make_person,
    make_series,
    make_session,
    make_talk,
)

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
YOUTUBE = "https://youtu.be/dQw4w9WgXcQ"


@pytest.fixture
def series():
    return make_series()


@pytest.fixture
def organizer(client, series):
    user = User.objects.create_user("organizer")
    series.organizers.add(user)
    client.force_login(user)
    client.cookies["django_language"] = "en"
    return user


@pytest.fixture
def past(series, organizer):
    """Session 40, given two weeks ago, published, with two talks and their presenters."""
    session = make_session(
        series,
        number=40,
        title="Past session",
        starts_at=days_from_now(-14),
    )
    ada = make_person("Ada")
    make_talk(session, "Attention Is All You Need", presenters=[ada])
    make_talk(session, "Chain of Thought", presenters=[ada])
    return session


def refreshed(session) -> Session:
    return Session.objects.get(pk=session.pk)


def talk_post(talk, **fields) -> dict:
    prefix = f"talk-{talk.pk}"
    values = {
        "title": talk.title,
        "segment": talk.segment,
        "tags": talk.tags,
        "summary": talk.summary,
        "slides_url": talk.slides_url,
        "recording_url": talk.recording_url,
        "version": refreshed(talk.session).version,
        **fields,
    }
    return {f"{prefix}-{name}": value for name, value in values.items()}


# ---------------------------------------------------------------- the dashboard


def test_the_dashboard_lists_past_sessions_recent_first_with_what_they_miss(
    client, series, organizer
):
    older = make_session(series, number=1, title="Older", starts_at=days_from_now(-30))
    make_talk(older, "Complete", slides_url="https://example.org/s.pdf", recording_url=YOUTUBE)
    newer = make_session(series, number=2, title="Newer", starts_at=days_from_now(-7))
    make_talk(newer, "Bare")
    make_talk(newer, "Recorded", recording_url=YOUTUBE)
    make_session(
        series, number=3, title="Called off", status="cancelled", starts_at=days_from_now(-3)
    )
    make_session(series, number=4, title="Empty", starts_at=days_from_now(-20))
    make_session(series, number=5, title="Old draft", status="draft", starts_at=days_from_now(-2))
    make_session(series, number=6, title="Next week", starts_at=days_from_now(7))
    other = make_series(slug="other", name="Other series")
    make_session(other, number=1, title="Not mine", starts_at=days_from_now(-1))

    html = client.get("/manage/").content.decode()
    past = html[html.index("Past sessions") :]
    rows = re.findall(r'<a class="row__title" href="/manage/nice/(\d+)/">', past)
    assert rows == ["3", "2", "4", "1"]  # recent first; drafts and coming ones elsewhere
    assert "Slides missing: 2/2" in past and "Recording missing: 1/2" in past
    assert past.count("Slides and recordings complete") == 1  # session 1
    assert past.count("No talks") == 1  # session 4; a cancelled one is not marked
    assert "Not mine" not in html
    assert "Add slides and recordings to a past session" in past


def test_the_dashboard_shows_the_latest_past_sessions_and_all_of_them_on_demand(
    client, series, organizer
):
    count = PAST_ON_DASHBOARD + 2
    for number in range(1, count + 1):
        make_session(series, number=number, starts_at=days_from_now(-number))

    def listed(html: str) -> list[str]:
        return re.findall(r'href="/manage/nice/(\d+)/"', html[html.index("Past sessions") :])

    html = client.get("/manage/").content.decode()
    assert listed(html) == [str(n) for n in range(1, PAST_ON_DASHBOARD + 1)]
    assert f'<a href="?past=nice#past-{series.pk}">All {count} past sessions</a>' in html
    html = client.get("/manage/?past=nice").content.decode()
    assert listed(html) == [str(n) for n in range(1, count + 1)]
    assert "All 10 past sessions" not in html


@pytest.mark.parametrize("who", ["anonymous", "attendee", "other organizer", "admin"])
def test_past_sessions_are_listed_only_to_their_organizers_and_admins(client, series, who):
    make_session(series, number=1, title="Given", starts_at=days_from_now(-3))
    other = make_series(slug="other", name="Other")
    if who != "anonymous":
        user = User.objects.create_user(who.replace(" ", "-"), is_staff=who == "admin")
        if who == "other organizer":
            other.organizers.add(user)
        client.force_login(user)
    response = client.get("/manage/")
    if who == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
        return
    html = response.content.decode()
    assert ("Given" in html) is (who == "admin")


# ---------------------------------------------------------------- the editor on a past session


def test_the_editor_works_on_a_past_session(client, past):
    html = client.get("/manage/nice/40/").content.decode()
    assert "Past session" in html
    assert html.count('<span class="mark mark--missing">missing</span>') == 4  # 2 talks × 2
    response = client.post(
        "/manage/nice/40/",
        {
            "number": 40,
            "title": "Past session, renamed",
            "starts_at": past.local_starts_at.strftime("%Y-%m-%dT%H:%M"),
            "version": past.version,
        },
    )
    assert response.status_code == 302
    assert refreshed(past).title == "Past session, renamed"


def test_a_recording_added_afterwards_bumps_the_version_and_is_in_the_history(client, past):
    talk = past.talks.first()
    calendar_before = client.get("/nice/40/calendar.ics").content.decode()
    feed_before = Client().get("/nice/feed/atom/").content.decode()
    version = refreshed(past).version

    response = client.post(
        f"/manage/nice/40/talks/{talk.pk}/", talk_post(talk, recording_url=YOUTUBE), headers=HTMX
    )

    assert response.status_code == 200
    assert refreshed(past).version == version + 1
    revision = past.revisions.first()
    assert revision.summary == "Added the recording of a talk"
    assert revision.changes == [["Attention Is All You Need: recording_url", "", YOUTUBE]]
    assert f"SEQUENCE:{version}" in calendar_before
    assert f"SEQUENCE:{version + 1}" in client.get("/nice/40/calendar.ics").content.decode()
    feed_after = Client().get("/nice/feed/atom/").content.decode()
    assert re.findall(r"<updated>(.*?)</updated>", feed_after) != re.findall(
        r"<updated>(.*?)</updated>", feed_before
    )
    assert YOUTUBE not in feed_before and YOUTUBE in feed_after  # the item links it
    history = client.get("/manage/nice/40/history/").content.decode()
    assert "Added the recording of a talk" in history and YOUTUBE in history


# Committed for real: a file written by a transaction that never commits is removed
# when the request ends (nice.filecleanup).
@pytest.mark.django_db(transaction=True)
def test_slides_uploaded_as_a_pdf_are_published_and_recorded(client, past, media_root):
    talk = past.talks.first()
    data = talk_post(talk) | {f"talk-{talk.pk}-slides": SimpleUploadedFile("deck.key", PDF)}
    version = refreshed(past).version
    response = client.post(f"/manage/nice/40/talks/{talk.pk}/", data, headers=HTMX)
    assert response.status_code == 200
    talk.refresh_from_db()
    assert talk.slides.name.startswith("slides/") and talk.slides.name.endswith(".pdf")
    assert (media_root / talk.slides.name).read_bytes() == PDF
    assert refreshed(past).version == version + 1
    revision = past.revisions.first()
    assert revision.summary == "Added the slides of a talk"
    assert revision.changes == [["Attention Is All You Need: slides", "", talk.slides.url]]
    page = Client().get("/nice/40/").content.decode()
    assert f'<a href="{talk.slides.url}" rel="noopener">' in page


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "no-js"])
def test_slides_that_are_not_a_pdf_are_refused_and_nothing_changes(client, past, htmx):
    talk = past.talks.first()
    version = refreshed(past).version
    data = talk_post(talk, recording_url=YOUTUBE) | {
        f"talk-{talk.pk}-slides": SimpleUploadedFile("deck.pdf", b"<html>not a pdf</html>")
    }
    response = client.post(f"/manage/nice/40/talks/{talk.pk}/", data, headers=HTMX if htmx else {})
    talk.refresh_from_db()
    assert (talk.slides.name, talk.recording_url) == ("", "")
    assert refreshed(past).version == version
    if htmx:
        html = response.content.decode()
        assert "Slides must be a PDF file." in html
        assert f'data-focus="id_talk-{talk.pk}-slides"' in html
        assert '<details class="talk-details" open>' in html
    else:
        assert response["Location"] == f"/manage/nice/40/#talk-{talk.pk}"
        page = client.get(response["Location"]).content.decode()
        assert "Slides must be a PDF file." in page


def test_a_recording_link_must_be_a_web_link(client, past):
    talk = past.talks.first()
    response = client.post(
        f"/manage/nice/40/talks/{talk.pk}/",
        talk_post(talk, recording_url="javascript:alert(1)"),
        headers=HTMX,
    )
    talk.refresh_from_db()
    assert talk.recording_url == ""
    assert f'data-focus="id_talk-{talk.pk}-recording_url"' in response.content.decode()


# ---------------------------------------------------------------- the session page


def test_a_youtube_recording_plays_on_the_page_only_when_asked(client, past):
    first, second = past.talks.all()
    Talk.objects.filter(pk=first.pk).update(recording_url=YOUTUBE)
    Talk.objects.filter(pk=second.pk).update(recording_url="https://vimeo.com/76979871")
    response = Client().get("/nice/40/")
    html = response.content.decode()
    assert html.count('class="recording"') == 1
    assert 'data-player="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1"' in html
    assert "<iframe" not in html  # nothing of the player until the button is pressed
    assert '<button type="button" class="recording__play" hidden>' in html
    assert '<a href="https://vimeo.com/76979871" rel="noopener">' in html  # a plain link
    assert "/static/js/recording-player" in html
    policy = response.headers["Content-Security-Policy"]
    assert "frame-src https://www.youtube-nocookie.com https://player.bilibili.com" in policy


def test_the_session_page_stays_cacheable_and_shows_a_recording_once_it_is_added(client, past):
    visitor = Client()
    assert "data-player" not in visitor.get("/nice/40/").content.decode()
    talk = past.talks.first()
    client.post(
        f"/manage/nice/40/talks/{talk.pk}/",
        talk_post(talk, recording_url="https://www.bilibili.com/video/BV1GJ411x7h7?p=2"),
        headers=HTMX,
    )
    response = visitor.get("/nice/40/")
    assert "public" in response.headers.get("Cache-Control", "")
    assert "bvid=BV1GJ411x7h7&amp;page=2" in response.content.decode()


@pytest.mark.parametrize("talks", [1, 3])
def test_the_session_page_query_count_does_not_grow_with_recordings(
    past, django_assert_num_queries, talks
):
    past.talks.all().delete()
    for index in range(talks):
        make_talk(past, f"T{index}", recording_url=YOUTUBE, slides_url="https://e.org/s.pdf")
    # The same seven as without recordings (test_session_detail.py): the player is read
    # from the link, not looked up.
    with django_assert_num_queries(7):
        html = Client().get("/nice/40/").content.decode()
    assert html.count('class="recording"') == talks


# ---------------------------------------------------------------- placeholders at publishing


@pytest.fixture
def draft(series, organizer):
    """Session 50 next month at 07:00, where the series meets at 19:00."""
    for number in range(1, 4):
        make_session(
            series, number=number, starts_at=datetime(2025, 3, number, 19, 0, tzinfo=SHANGHAI)
        )
    return make_session(
        series,
        number=50,
        title="Draft",
        status="draft",
        starts_at=datetime(2030, 3, 16, 7, 0, tzinfo=SHANGHAI),
    )


def test_it_warns_of_placeholders_by_the_publish_button(client, draft):
    ada = make_person("Ada")
    id_talk = make_talk(draft, "arXiv:2501.00001", presenters=[ada])
    nobody = make_talk(draft, "A real title")
    make_talk(draft, "DOI 10.1145/3292500.3330701", presenters=[ada])
    make_talk(draft, "https://example.org/paper", presenters=[ada])
    html = client.get("/manage/nice/50/").content.decode()
    check = html[html.index('<div id="publish-check"') : html.index('<div class="actions">')]
    assert re.findall(r'<li><a href="([^"]+)">([^<]+)</a></li>', check) == [
        (
            f"/manage/nice/50/#talk-{id_talk.pk}",
            "Talk 1 is still titled “arXiv:2501.00001”: type its title.",
        ),
        (f"/manage/nice/50/#presenter-{nobody.pk}", "Talk 2, “A real title”, has no presenter."),
        (
            f"/manage/nice/50/#talk-{nobody.pk + 1}",
            "Talk 3 is still titled “DOI 10.1145/3292500.3330701”: type its title.",
        ),
        (
            f"/manage/nice/50/#talk-{nobody.pk + 2}",
            "Talk 4 is still titled “https://example.org/paper”: type its title.",
        ),
        (
            "/manage/nice/50/#id_starts_at",
            "It starts at 07:00; sessions of this series usually start at 19:00.",
        ),
    ]
    assert 'value="publish" aria-describedby="publish-check"' in html

    response = client.post(
        "/manage/nice/50/status/", {"action": "publish", "version": draft.version}, follow=True
    )
    assert refreshed(draft).status == "published"  # warned, not refused
    messages = [str(message) for message in response.context["messages"]]
    assert messages[0] == "Published the session"
    assert messages[1:] == [
        "Published; worth a second look: Talk 1 is still titled “arXiv:2501.00001”: type its title.",
        "Published; worth a second look: Talk 2, “A real title”, has no presenter.",
        "Published; worth a second look: Talk 3 is still titled “DOI 10.1145/3292500.3330701”: type its title.",
        "Published; worth a second look: Talk 4 is still titled “https://example.org/paper”: type its title.",
        "Published; worth a second look: It starts at 07:00; sessions of this series usually start at 19:00.",
    ]


def test_a_session_without_placeholders_publishes_without_a_word(client, draft):
    Session.objects.filter(pk=draft.pk).update(
        starts_at=datetime(2030, 3, 16, 18, 30, tzinfo=SHANGHAI)  # half an hour early: fine
    )
    make_talk(draft, "Attention Is All You Need", presenters=[make_person("Ada")])
    make_talk(draft, "2501.00001 and what came after", presenters=[make_person("Bo")])
    html = client.get("/manage/nice/50/").content.decode()
    assert "Before publishing" not in html
    response = client.post(
        "/manage/nice/50/status/", {"action": "publish", "version": draft.version}, follow=True
    )
    assert [str(m) for m in response.context["messages"]] == ["Published the session"]


def test_a_new_series_has_no_usual_time_to_warn_of(client, series, organizer):
    make_session(series, number=1, starts_at=datetime(2025, 3, 1, 19, 0, tzinfo=SHANGHAI))
    make_session(series, number=2, status="draft", starts_at=days_from_now(30) + timedelta(hours=9))
    assert "usually start" not in client.get("/manage/nice/2/").content.decode()


def test_the_publish_check_follows_the_talks(client, draft):
    talk = make_talk(draft, "Untitled", presenters=[])
    response = client.post(
        f"/manage/nice/50/talks/{talk.pk}/presenters/", {"name": "Ada"}, headers=HTMX
    )
    html = response.content.decode()
    check = html[html.index('<div id="publish-check"') :]
    assert check.startswith('<div id="publish-check" class="publish-check" hx-swap-oob="true">')
    assert "has no presenter" not in check
    assert "usually start at 19:00" in check


# ---------------------------------------------------------------- focus after a swap


def test_each_talk_change_says_where_focus_goes_and_what_to_announce(client, draft, arxiv):
    first = make_talk(draft, "One", presenters=[make_person("Ada")])
    second = make_talk(draft, "Two")

    def outcome(response) -> tuple[str, str]:
        head = re.search(r'<section id="talks"[^>]*>', response.content.decode())[0]
        focus = re.search(r'data-focus="([^"]*)"', head)
        words = re.search(r'data-announce="([^"]*)"', head)
        return (focus[1] if focus else "", words[1] if words else "")

    added = client.post("/manage/nice/50/talks/", {"reference": "A third"}, headers=HTMX)
    third = draft.talks.get(title="A third")
    assert outcome(added) == (f"talk-title-{third.pk}", "Talk added")
    moved = client.post(
        f"/manage/nice/50/talks/{third.pk}/move/", {"direction": "up"}, headers=HTMX
    )
    assert outcome(moved) == (f"move-up-{third.pk}", "Talk moved to position 2")
    moved = client.post(
        f"/manage/nice/50/talks/{first.pk}/move/", {"direction": "down"}, headers=HTMX
    )
    assert outcome(moved) == (f"move-down-{first.pk}", "Talk moved to position 2")
    # Order now: third, one, two. Removing the middle one focuses the one that took its place.
    removed = client.post(f"/manage/nice/50/talks/{first.pk}/delete/", headers=HTMX)
    assert outcome(removed) == (f"talk-title-{second.pk}", "Talk removed")
    removed = client.post(f"/manage/nice/50/talks/{second.pk}/delete/", headers=HTMX)
    assert outcome(removed) == (f"talk-title-{third.pk}", "Talk removed")  # the one before
    removed = client.post(f"/manage/nice/50/talks/{third.pk}/delete/", headers=HTMX)
    assert outcome(removed) == ("id_reference", "Talk removed")
    refused = client.post("/manage/nice/50/talks/", {"reference": "arxiv.org/abs/x"}, headers=HTMX)
    assert outcome(refused) == ("id_reference", "")


def test_presenter_changes_keep_focus_on_the_talks_presenter_box(client, draft):
    talk = make_talk(draft, "One")
    added = client.post(
        f"/manage/nice/50/talks/{talk.pk}/presenters/", {"name": "Ada"}, headers=HTMX
    ).content.decode()
    assert f'data-focus="presenter-{talk.pk}" data-announce="Presenter added: Ada"' in added
    person = talk.presenters.get()
    removed = client.post(
        f"/manage/nice/50/talks/{talk.pk}/presenters/{person.pk}/delete/", headers=HTMX
    ).content.decode()
    assert f'data-focus="presenter-{talk.pk}" data-announce="Presenter removed"' in removed
