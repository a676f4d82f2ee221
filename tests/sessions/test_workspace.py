"""The organizer workspace: scheduling, talks, workflow, conflicts, history, warnings."""

import io
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from PIL import Image

from papers.models import Paper
from sessions.models import Keyword, Person, Session, Talk
from tests.factories import (
    SHANGHAI,
    days_from_now,
    make_paper,
    make_person,
    make_series,
    make_session,
    make_talk,
)

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def series():
    return make_series()


@pytest.fixture
def organizer(client, series):
    user = User.objects.create_user("organizer")
    series.organizers.add(user)
    client.force_login(user)
    return user


@pytest.fixture
def session(series, organizer):
    return make_session(
        series,
        number=47,
        title="多模态论文分享",
        status="draft",
        starts_at=datetime(2030, 3, 16, 19, 0, tzinfo=SHANGHAI),
        ends_at=datetime(2030, 3, 16, 21, 0, tzinfo=SHANGHAI),
    )


def form_data(session, **changes) -> dict:
    return {
        "number": session.number,
        "title": session.title,
        "starts_at": "2030-03-16T19:00",
        "ends_at": "2030-03-16T21:00",
        "version": session.version,
        **changes,
    }


def refreshed(session) -> Session:
    return Session.objects.get(pk=session.pk)


# ---------------------------------------------------------------- new sessions


def test_a_new_session_gets_the_next_number_and_the_usual_weekday_time_and_place(series):
    make_session(
        series,
        number=46,
        venue="腾讯会议",
        live_url="https://meeting.example.org/x",
        starts_at=datetime(2025, 3, 15, 19, 0, tzinfo=SHANGHAI),  # a Saturday
        ends_at=datetime(2025, 3, 15, 21, 30, tzinfo=SHANGHAI),
    )
    defaults = series.next_session_defaults(now=datetime(2025, 3, 18, 9, 0, tzinfo=SHANGHAI))
    assert defaults["number"] == 47
    assert defaults["starts_at"] == datetime(2025, 3, 22, 19, 0, tzinfo=SHANGHAI)
    assert defaults["ends_at"] == datetime(2025, 3, 22, 21, 30, tzinfo=SHANGHAI)
    assert (defaults["venue"], defaults["live_url"]) == (
        "腾讯会议",
        "https://meeting.example.org/x",
    )


def test_the_new_session_form_is_prefilled_in_the_series_time_zone(client, series, organizer):
    make_session(series, number=5, starts_at=days_from_now(-3))
    html = client.get("/manage/nice/new/").content.decode()
    assert 'name="number" value="6"' in html
    assert re.search(r'name="starts_at" value="\d{4}-\d\d-\d\dT\d\d:\d\d"', html)
    assert "时间按 Asia/Shanghai 填写" in html


def test_creating_a_session_saves_a_draft_in_utc_and_records_it(client, series, organizer):
    response = client.post(
        "/manage/nice/new/",
        {
            "number": 91,
            "title": "新的一期",
            "starts_at": "2030-01-05T19:00",
            "keywords_text": "多模态，推理, 多模态",
        },
    )
    assert response["Location"] == "/manage/nice/91/"
    session = Session.objects.get(number=91)
    assert session.status == "draft"
    assert session.starts_at.isoformat() == "2030-01-05T11:00:00+00:00"
    assert sorted(session.keywords.values_list("name", flat=True)) == ["多模态", "推理"]
    (revision,) = session.revisions.all()
    assert (revision.user, revision.version, revision.summary) == (organizer, 1, "创建了本期")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"number": 46}, "number", "本系列已有第 46 期。"),
        ({"ends_at": "2030-03-16T18:00"}, "ends_at", "结束时间必须晚于开始时间。"),
        ({"starts_at": "tomorrow"}, "starts_at", "输入一个有效的日期/时间。"),
        ({"title": ""}, "title", "这个字段是必填项。"),
        ({"live_url": "javascript:alert(1)"}, "live_url", "输入一个有效的 URL。"),
    ],
)
def test_bad_session_input_is_explained_next_to_the_field_and_changes_nothing(
    client, series, session, changes, field, message
):
    make_session(series, number=46)
    before = (refreshed(session).title, refreshed(session).version)
    response = client.post("/manage/nice/47/", form_data(session, **changes))
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(
        rf'<p class="field-error" id="id_{field}_error" role="alert">{re.escape(message)}</p>', html
    )
    assert (refreshed(session).title, refreshed(session).version) == before


def test_an_oversized_poster_is_refused_with_a_message(client, session, settings, media_root):
    settings.IMAGE_UPLOAD_MAX_BYTES = 1024
    buffer = io.BytesIO()
    Image.frombytes("RGB", (64, 64), os.urandom(64 * 64 * 3)).save(buffer, "PNG")
    data = form_data(session) | {"poster": SimpleUploadedFile("p.png", buffer.getvalue())}
    response = client.post("/manage/nice/47/", data)
    assert response.status_code == 400
    assert "上限是 1.0" in response.content.decode()
    assert not refreshed(session).poster
    assert not media_root.exists() or not any(media_root.rglob("*.png"))


def test_fields_are_validated_as_you_go_without_saving(client, session):
    response = client.post(
        "/manage/nice/47/?validate=1",
        form_data(session, ends_at="2030-03-16T18:00", title="不会保存"),
        headers=HTMX,
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="session-fields"')
    assert "结束时间必须晚于开始时间。" in html
    assert refreshed(session).title == "多模态论文分享"


def test_saving_records_what_changed_and_who_changed_it(client, session, organizer):
    response = client.post("/manage/nice/47/", form_data(session, title="新标题", venue="线上"))
    assert response["Location"] == "/manage/nice/47/"
    session = refreshed(session)
    assert (session.title, session.venue, session.version) == ("新标题", "线上", 2)
    revision = session.revisions.first()
    assert revision.user == organizer
    assert revision.changes == [["title", "多模态论文分享", "新标题"], ["venue", "", "线上"]]
    html = client.get("/manage/nice/47/history/").content.decode()
    assert "新标题" in html and "organizer" in html


# ---------------------------------------------------------------- conflicts


def test_a_save_from_an_older_version_is_refused_showing_what_changed(client, session, organizer):
    stale = form_data(session, title="我的标题")
    other = User.objects.create_user("colleague")
    session.series.organizers.add(other)
    client.force_login(other)
    client.post("/manage/nice/47/", form_data(session, title="同事的标题"))
    client.force_login(organizer)
    response = client.post("/manage/nice/47/", stale)
    assert response.status_code == 409
    html = response.content.decode()
    assert "未保存：在你打开之后，别人修改了本期" in html
    assert "<strong>colleague</strong>" in html
    assert "“多模态论文分享” → “同事的标题”" in html
    assert 'value="我的标题"' in html  # the organizer's own input is kept
    assert refreshed(session).title == "同事的标题"
    # Having seen the changes, saving again from that page overwrites them, as it says.
    version = re.search(r'name="version" value="(\d+)"', html)[1]
    assert client.post("/manage/nice/47/", stale | {"version": version}).status_code == 302
    assert refreshed(session).title == "我的标题"


def test_talk_changes_bump_the_version_and_send_it_back_out_of_band(client, session):
    response = client.post("/manage/nice/47/talks/", {"reference": "A plain title"}, headers=HTMX)
    assert refreshed(session).version == 2
    assert (
        '<input type="hidden" name="version" value="2" id="id_version" hx-swap-oob="true">'
        in response.content.decode()
    )
    assert (
        client.post("/manage/nice/47/", form_data(refreshed(session), title="ok")).status_code
        == 302
    )


def talk_version(html: str, talk) -> int:
    """The session version the talk's form on the page carries."""
    found = re.findall(rf'name="talk-{talk.pk}-version" value="(\d+)"', html)
    assert len(found) == 1, found
    return int(found[0])


def talk_data(talk, version: int, **fields) -> dict:
    prefix = f"talk-{talk.pk}"
    return {f"{prefix}-version": version} | {f"{prefix}-{k}": v for k, v in fields.items()}


@pytest.fixture
def colleague(client, session):
    """A second organizer of the series, in a browser of their own."""
    user = User.objects.create_user("colleague")
    session.series.organizers.add(user)
    other = Client()
    other.force_login(user)
    return other


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "no-js"])
def test_it_refuses_the_second_of_two_edits_of_a_talk_showing_what_changed(
    client, colleague, session, htmx
):
    talk = make_talk(session, "原题目")
    mine = talk_version(client.get("/manage/nice/47/").content.decode(), talk)
    theirs = talk_version(colleague.get("/manage/nice/47/").content.decode(), talk)
    assert mine == theirs == 1
    headers = HTMX if htmx else {}
    url = f"/manage/nice/47/talks/{talk.pk}/"

    first = colleague.post(url, talk_data(talk, theirs, title="同事的题目"), headers=headers)
    assert first.status_code == (200 if htmx else 302)
    response = client.post(url, talk_data(talk, mine, title="我的题目"), headers=headers)

    assert response.status_code == 409
    talk.refresh_from_db()
    assert talk.title == "同事的题目"
    assert refreshed(session).version == 2
    html = response.content.decode()
    if htmx:
        assert html.lstrip().startswith('<section id="talks"')
        assert 'hx-swap-oob="true"' not in html  # nothing was saved: no new version
    else:
        assert html.lstrip().startswith("<!doctype html>")
        assert f'action="/manage/nice/47/talks/{talk.pk}/#talk-{talk.pk}"' in html
    assert html.count('<div class="conflict" role="alert">') == 1
    assert "<h3>未保存：在你打开之后，别人修改了本期</h3>" in html
    assert "你对这个报告的修改仍保留在下方表单中。在此期间发生了这些变化：" in html
    assert "<strong>colleague</strong>" in html and ": 修改了报告" in html
    assert "<li><code>同事的题目: title</code>: “原题目” → “同事的题目”</li>" in html
    assert '<details class="talk-details" open>' in html
    assert f'value="我的题目" maxlength="500" required id="id_talk-{talk.pk}-title"' in html
    assert talk_version(html, talk) == 2  # the current one: saving again overwrites

    # Having seen what changed, the organizer saves again from that page.
    again = client.post(
        url, talk_data(talk, talk_version(html, talk), title="我的题目"), headers=headers
    )
    assert again.status_code == (200 if htmx else 302)
    talk.refresh_from_db()
    assert talk.title == "我的题目"
    assert [r.summary for r in session.revisions.order_by("version")] == [
        "修改了报告",
        "修改了报告",
    ]


def test_it_refuses_a_talk_edit_from_before_any_talk_change(client, colleague, session):
    a, b = make_talk(session, "A"), make_talk(session, "B")
    version = talk_version(client.get("/manage/nice/47/").content.decode(), a)
    colleague.post(f"/manage/nice/47/talks/{b.pk}/move/", {"direction": "up"}, headers=HTMX)
    response = client.post(
        f"/manage/nice/47/talks/{a.pk}/", talk_data(a, version, title="A2"), headers=HTMX
    )
    assert response.status_code == 409
    assert "<li><code>talks</code>: “A / B” → “B / A”</li>" in response.content.decode()
    a.refresh_from_db()
    assert (a.title, a.order) == ("A", 2)


def test_it_never_refuses_one_organizer_editing_two_talks_in_a_row_through_htmx(client, session):
    a, b = make_talk(session, "A"), make_talk(session, "B")
    page = client.get("/manage/nice/47/").content.decode()
    response = client.post(
        f"/manage/nice/47/talks/{a.pk}/",
        talk_data(a, talk_version(page, a), title="A2"),
        headers=HTMX,
    )
    # htmx swaps the talks in: every talk form now carries the new version, and so,
    # out of band, does the session form.
    fragment = response.content.decode()
    assert response.status_code == 200
    assert talk_version(fragment, a) == talk_version(fragment, b) == 2
    assert (
        '<input type="hidden" name="version" value="2" id="id_version" hx-swap-oob="true">'
        in fragment
    )
    response = client.post(
        f"/manage/nice/47/talks/{b.pk}/presenters/", {"name": "黎健进"}, headers=HTMX
    )
    response = client.post(
        f"/manage/nice/47/talks/{b.pk}/",
        talk_data(b, talk_version(response.content.decode(), b), title="B2"),
        headers=HTMX,
    )
    assert response.status_code == 200
    response = client.post(
        f"/manage/nice/47/talks/{a.pk}/",
        talk_data(a, talk_version(response.content.decode(), a), title="A3"),
        headers=HTMX,
    )
    assert response.status_code == 200
    assert [t.title for t in session.talks.all()] == ["A3", "B2"]
    assert refreshed(session).version == 5
    assert client.post("/manage/nice/47/", form_data(refreshed(session))).status_code == 302


def test_it_never_refuses_one_organizer_editing_two_talks_in_a_row_without_javascript(
    client, session
):
    a, b = make_talk(session, "A"), make_talk(session, "B")
    page = client.get("/manage/nice/47/").content.decode()
    response = client.post(
        f"/manage/nice/47/talks/{a.pk}/", talk_data(a, talk_version(page, a), title="A2")
    )
    assert response.status_code == 302
    assert response["Location"] == f"/manage/nice/47/#talk-{a.pk}"  # back at the talk
    page = client.get(response["Location"]).content.decode()
    assert "报告已保存。" in page
    response = client.post(
        f"/manage/nice/47/talks/{b.pk}/", talk_data(b, talk_version(page, b), title="B2")
    )
    assert response.status_code == 302
    assert [t.title for t in session.talks.all()] == ["A2", "B2"]


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks and deadlocks are PostgreSQL's; SQLite runs one write at a time",
)
def test_it_never_deadlocks_talk_edits_against_moves_on_a_live_server(
    live_server, transactional_db
):
    """Real parallel requests: an edit locks the session, then its talk; a move its
    talks, then the session. Unless every change locks the session first, PostgreSQL
    kills one of such a pair as a deadlock (without that lock, every run of this test
    had some 500s)."""
    series = make_series()
    session = make_session(series, number=1, starts_at=datetime(2030, 3, 16, 19, tzinfo=SHANGHAI))
    talks = [make_talk(session, f"T{index}") for index in range(4)]
    user = User.objects.create_user("organizer")
    series.organizers.add(user)
    browser = Client()
    browser.force_login(user)
    token = "a" * 32  # CSRF: the cookie and the header agree

    def post(path: str, data: dict) -> int:
        request = urllib.request.Request(
            live_server.url + path, data=urllib.parse.urlencode(data).encode(), method="POST"
        )
        request.add_header(
            "Cookie", f"sessionid={browser.cookies['sessionid'].value}; csrftoken={token}"
        )
        request.add_header("X-CSRFToken", token)
        request.add_header("HX-Request", "true")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def change(index: int) -> tuple[str, int]:
        talk = talks[index % 4]
        if index % 2:
            version = Session.objects.get(pk=session.pk).version
            connection.close()  # this thread's own
            data = talk_data(talk, version, title=f"E{index}")
            return "edit", post(f"/manage/nice/1/talks/{talk.pk}/", data)
        direction = "down" if index % 4 == 0 else "up"
        return "move", post(f"/manage/nice/1/talks/{talk.pk}/move/", {"direction": direction})

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(change, range(160)))

    assert {status for _kind, status in answers} <= {200, 409}
    saved_edits = sum(1 for answer in answers if answer == ("edit", 200))
    assert session.revisions.filter(summary="修改了报告").count() == saved_edits
    assert refreshed(session).version == 1 + session.revisions.count()


# ---------------------------------------------------------------- talks


def test_a_talk_added_by_arxiv_link_gets_the_recorded_metadata(client, session, arxiv):
    response = client.post(
        "/manage/nice/47/talks/",
        {"reference": "https://arxiv.org/pdf/2305.18290v3.pdf"},
        headers=HTMX,
    )
    assert response.content.decode().lstrip().startswith('<section id="talks"')
    paper = Paper.objects.get(arxiv_id="2305.18290")
    assert (
        paper.title
        == "Direct Preference Optimization: Your Language Model is Secretly a Reward Model"
    )
    assert paper.author_list[:2] == ["Rafael Rafailov", "Archit Sharma"]
    assert (paper.year, paper.primary_category) == (2023, "cs.LG")
    assert paper.abstract.startswith("While large-scale unsupervised language models")
    assert [t.title for t in session.talks.all()] == [paper.title]
    assert arxiv.requests == ["/api/query?id_list=2305.18290&max_results=1"]


def test_old_style_ids_and_the_cache(client, session, arxiv):
    client.post("/manage/nice/47/talks/", {"reference": "hep-th/9901001v2"}, headers=HTMX)
    assert session.talks.get().paper.arxiv_id == "hep-th/9901001"
    from papers.arxiv import fetch_arxiv

    assert (
        fetch_arxiv("hep-th/9901001").title
        == "Non-Abelian Vortices and Monopoles in SO(N) Theories"
    )
    assert len(arxiv.requests) == 1  # the second lookup came from the cache


def test_a_paper_already_in_the_library_is_reused_not_fetched(client, session, arxiv):
    existing = make_paper("Attention Is All You Need", arxiv_id="1706.03762")
    client.post("/manage/nice/47/talks/", {"reference": "arXiv:1706.03762v7"}, headers=HTMX)
    assert session.talks.get().paper == existing
    assert Paper.objects.count() == 1
    assert arxiv.requests == []


def test_when_arxiv_is_unreachable_the_talk_is_added_with_the_id(client, session, arxiv_down):
    response = client.post("/manage/nice/47/talks/", {"reference": "2201.11903"}, headers=HTMX)
    talk = session.talks.get()
    assert (talk.title, talk.paper.arxiv_id) == ("arXiv:2201.11903", "2201.11903")
    assert "无法连接 arXiv" in response.content.decode()


def test_an_unknown_arxiv_id_is_added_with_the_id_and_a_message(client, session, arxiv):
    client.post("/manage/nice/47/talks/", {"reference": "2501.99999"}, headers=HTMX)
    assert session.talks.get().title == "arXiv:2501.99999"


def test_a_malformed_arxiv_link_is_explained_and_adds_nothing(client, session):
    response = client.post(
        "/manage/nice/47/talks/", {"reference": "https://arxiv.org/abs/12"}, headers=HTMX
    )
    assert "看起来是 arXiv 链接，但其中没有有效的编号" in response.content.decode()
    assert not session.talks.exists()
    assert refreshed(session).version == 1


def test_a_doi_and_a_free_title(client, session):
    client.post("/manage/nice/47/talks/", {"reference": "https://doi.org/10.1145/3292500.3330701"})
    client.post("/manage/nice/47/talks/", {"reference": "我们的内部报告"})
    talks = list(session.talks.select_related("paper"))
    assert (talks[0].paper.doi, talks[0].title) == (
        "10.1145/3292500.3330701",
        "DOI 10.1145/3292500.3330701",
    )
    assert (talks[1].title, talks[1].paper) == ("我们的内部报告", None)


def test_talks_move_up_and_down_and_reorder_by_drag_and_drop(client, session):
    a, b, c = (make_talk(session, title) for title in "ABC")
    client.post(f"/manage/nice/47/talks/{c.pk}/move/", {"direction": "up"}, headers=HTMX)
    assert [t.title for t in session.talks.all()] == ["A", "C", "B"]
    client.post(
        f"/manage/nice/47/talks/{a.pk}/move/", {"direction": "up"}, headers=HTMX
    )  # already first
    assert [t.title for t in session.talks.all()] == ["A", "C", "B"]
    client.post("/manage/nice/47/talks/order/", {"order": [b.pk, a.pk, c.pk]}, headers=HTMX)
    assert [(t.title, t.order) for t in session.talks.all()] == [("B", 1), ("A", 2), ("C", 3)]
    response = client.post("/manage/nice/47/talks/order/", {"order": [b.pk, a.pk]}, headers=HTMX)
    assert response.status_code == 400
    assert [t.title for t in session.talks.all()] == ["B", "A", "C"]


def test_editing_a_talk_with_a_summary_and_segment(client, session):
    talk = make_talk(session, "Old")
    prefix = f"talk-{talk.pk}"
    client.post(
        f"/manage/nice/47/talks/{talk.pk}/",
        {
            f"{prefix}-version": 1,
            f"{prefix}-title": "New",
            f"{prefix}-segment": "第一场",
            f"{prefix}-tags": "Oral",
            f"{prefix}-summary": "损失 $\\frac{a}{b}$",
        },
        headers=HTMX,
    )
    talk.refresh_from_db()
    assert (talk.title, talk.segment, talk.tag_list, talk.summary) == (
        "New",
        "第一场",
        ["Oral"],
        "损失 $\\frac{a}{b}$",
    )
    response = client.post(
        f"/manage/nice/47/talks/{talk.pk}/",
        {f"{prefix}-version": 2, f"{prefix}-title": ""},
        headers=HTMX,
    )
    assert "这个字段是必填项。" in response.content.decode()
    talk.refresh_from_db()
    assert talk.title == "New"


def test_presenters_are_picked_created_inline_and_removed(client, session):
    talk = make_talk(session, "T")
    ada = make_person("黎健进", affiliation="东岭大学")
    results = client.get(f"/manage/people/?talk={talk.pk}&name=健进", headers=HTMX).content.decode()
    assert f'name="person" value="{ada.pk}"' in results and "创建“健进”" in results
    client.post(f"/manage/nice/47/talks/{talk.pk}/presenters/", {"person": ada.pk}, headers=HTMX)
    client.post(
        f"/manage/nice/47/talks/{talk.pk}/presenters/", {"name": "  新 嘉宾 "}, headers=HTMX
    )
    client.post(
        f"/manage/nice/47/talks/{talk.pk}/presenters/", {"name": "黎健进"}, headers=HTMX
    )  # no duplicate
    assert [a.person.name for a in talk.appearances] == ["黎健进", "新 嘉宾"]
    assert Person.objects.filter(name="黎健进").count() == 1
    client.post(f"/manage/nice/47/talks/{talk.pk}/presenters/{ada.pk}/delete/", headers=HTMX)
    assert [a.person.name for a in talk.appearances] == ["新 嘉宾"]


def test_the_live_preview_renders_math_and_stays_safe(client, organizer):
    response = client.post(
        "/manage/preview/", {"talk-3-summary": "$x^2$ <script>alert(1)</script>"}
    )
    html = response.content.decode()
    assert "<msup><mi>x</mi><mn>2</mn></msup>" in html
    assert "<script>" not in html


def test_removing_a_talk_is_recorded(client, session):
    talk = make_talk(session, "Gone")
    client.post(f"/manage/nice/47/talks/{talk.pk}/delete/")
    assert not Talk.objects.filter(pk=talk.pk).exists()
    assert session.revisions.first().changes == [["talks", "Gone", ""]]


# ---------------------------------------------------------------- workflow


def test_publish_cancel_and_back_to_draft(client, session):
    def act(action):
        return client.post(
            "/manage/nice/47/status/", {"action": action, "version": refreshed(session).version}
        )

    act("publish")
    assert refreshed(session).status == "published"
    assert client.get("/nice/47/").status_code == 200
    act("cancel")
    assert refreshed(session).status == "cancelled"
    client.logout()
    assert "本期已取消" in client.get("/nice/47/").content.decode()


def test_a_status_change_from_a_stale_page_is_refused(client, session):
    client.post("/manage/nice/47/status/", {"action": "publish", "version": 0})
    assert refreshed(session).status == "draft"


def test_duplicate_as_next_session_copies_the_defaults_not_the_talks(client, series, session):
    make_talk(session, "Only here")
    session.keywords.add(Keyword.objects.create(name="多模态"))
    response = client.post("/manage/nice/47/duplicate/")
    assert response["Location"] == "/manage/nice/48/"
    copy = Session.objects.get(number=48)
    assert (copy.status, copy.talks.count(), copy.title) == ("draft", 0, "第48期")
    assert copy.local_starts_at.weekday() == 5 and copy.local_starts_at.hour == 19
    assert list(copy.keywords.values_list("name", flat=True)) == ["多模态"]


def test_only_drafts_can_be_deleted_and_only_after_confirmation(client, session):
    assert "确定删除这份草稿吗？" in client.get("/manage/nice/47/delete/").content.decode()
    assert Session.objects.filter(pk=session.pk).exists()
    client.post("/manage/nice/47/delete/")
    assert not Session.objects.filter(pk=session.pk).exists()
    published = make_session(session.series, number=50)
    response = client.post("/manage/nice/50/delete/")
    assert response["Location"] == "/manage/nice/50/"
    assert Session.objects.filter(pk=published.pk).exists()


# ---------------------------------------------------------------- warnings


def test_it_warns_of_overlaps_double_bookings_and_papers_heard_before(client, series, session):
    paper = make_paper("Attention Is All You Need", arxiv_id="1706.03762")
    ada = make_person("Ada")
    earlier = make_session(
        series, number=30, starts_at=datetime(2029, 1, 1, 19, 0, tzinfo=SHANGHAI)
    )
    make_talk(earlier, "Earlier", paper=paper)
    make_session(series, number=48, starts_at=datetime(2030, 3, 16, 20, 0, tzinfo=SHANGHAI))
    other = make_series(slug="other", name="Other series")
    elsewhere = make_session(
        other, number=1, starts_at=datetime(2030, 3, 16, 19, 30, tzinfo=SHANGHAI)
    )
    make_talk(elsewhere, "Elsewhere", presenters=[ada])
    make_talk(session, "Here", presenters=[ada], paper=paper)
    html = client.get("/manage/nice/47/").content.decode()
    assert "与本系列第 48 期时间重叠。" in html
    assert "Ada 同时在 Other series 第 1 期报告。" in html
    assert "《Attention Is All You Need》已在第 30 期讲过。" in html
    assert 'href="/nice/30/"' in html


# ---------------------------------------------------------------- commands and login


def test_grant_organizer_grants_and_revokes(series):
    user = User.objects.create_user("newbie")
    out = io.StringIO()
    call_command("grant_organizer", "newbie", "nice", stdout=out)
    assert series.organizers.filter(pk=user.pk).exists()
    call_command("grant_organizer", "newbie", "nice", "--revoke", stdout=out)
    assert not series.organizers.filter(pk=user.pk).exists()
    with pytest.raises(CommandError, match="no user named"):
        call_command("grant_organizer", "ghost", "nice")
    with pytest.raises(CommandError, match="no series"):
        call_command("grant_organizer", "newbie", "nope")


def test_login_leads_to_the_workspace(client, series):
    User.objects.create_user("org", password="correct horse battery")
    response = client.post(
        "/accounts/login/", {"username": "org", "password": "correct horse battery"}
    )
    assert response["Location"] == "/manage/"


def test_repeated_failed_logins_are_locked_out_with_a_clear_message(client, settings):
    User.objects.create_user("org", password="correct horse battery")
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post("/accounts/login/", {"username": "org", "password": "wrong"})
        assert "请输入一个正确的" in response.content.decode()
    response = client.post("/accounts/login/", {"username": "org", "password": "wrong"})
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()
    locked = client.post(
        "/accounts/login/", {"username": "org", "password": "correct horse battery"}
    )
    assert locked.status_code == 429  # even the right password waits out the lock


def test_password_reset_sends_a_mail(client, mailoutbox):
    User.objects.create_user("org", email="org@example.org", password="x")
    response = client.post("/accounts/password_reset/", {"email": "org@example.org"})
    assert response.status_code == 302
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["org@example.org"]


# ---------------------------------------------------------------- query counts


@pytest.mark.parametrize("talks", [1, 3])
def test_the_editor_query_count_does_not_grow_with_talks(
    client, session, django_assert_num_queries, talks
):
    for index in range(talks):
        make_talk(
            session,
            f"T{index}",
            presenters=[make_person(f"P{index}")],
            paper=make_paper(f"Paper {index}"),
        )
    # 1 auth session; 2 user; 3 series; 4 organizer check; 5 session;
    # 6 keywords (form initial); 7 talks with papers; 8 talk presenters;
    # 9 overlapping sessions; 10 papers heard before; 11 the series' usual start.
    with django_assert_num_queries(11):
        assert client.get("/manage/nice/47/").status_code == 200


@pytest.mark.parametrize("sessions", [1, 3])
def test_the_dashboard_query_count_does_not_grow_with_sessions(
    client, series, organizer, django_assert_num_queries, sessions
):
    for number in range(1, sessions + 1):
        make_session(series, number=number, starts_at=days_from_now(number))
        make_session(series, number=100 + number, status="draft", starts_at=days_from_now(number))
        past = make_session(series, number=200 + number, starts_at=days_from_now(-7 * number))
        make_talk(past, "Done", recording_url="https://youtu.be/dQw4w9WgXcQ")
        make_talk(past, "Not yet")
    # 1 auth session; 2 user; 3 series; 4 coming sessions; 5 drafts;
    # 6 past sessions with what their talks miss.
    client.cookies["django_language"] = "en"
    with django_assert_num_queries(6):
        html = client.get("/manage/").content.decode()
    assert html.count("Recording missing: 1/2") == html.count("Slides missing: 2/2") == sessions
