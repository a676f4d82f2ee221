"""The symptoms of issue 9, one test each, through the rules that now make them impossible."""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime, timedelta
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from sessions.models import (
    EARLIEST_START,
    LATEST_START,
    LONGEST_SESSION,
    Person,
    Series,
    Session,
    Talk,
)
from tests.factories import SHANGHAI, make_person, make_series, make_session, make_talk

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).parent / "fixtures" / "nice_archive"
SHARED_EXAMPLE = Path(__file__).resolve().parents[3] / "shared" / "examples" / "nice-archive"


class FormValues(HTMLParser):
    """The values a browser would post back from the first form with a number field."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name") and attrs.get("type") not in ("file", "submit"):
            self.values.setdefault(attrs["name"], attrs.get("value") or "")
        if tag == "textarea":
            self._textarea = attrs.get("name")
            self.values.setdefault(self._textarea, "")

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None


@pytest.fixture
def organizer(client):
    series = make_series()
    user = User.objects.create_user("organizer")  # not staff
    series.organizers.add(user)
    client.force_login(user)
    return user


def test_a_session_from_the_prefilled_form_starts_at_the_series_usual_local_time(client, organizer):
    series = Series.objects.get()
    make_session(series, number=46, starts_at=datetime(2025, 3, 15, 19, 0, tzinfo=SHANGHAI))
    parser = FormValues()
    parser.feed(client.get("/manage/nice/new/").content.decode())
    form = {name: value for name, value in parser.values.items() if name != "version"}
    form["title"] = "第 47 期"
    response = client.post("/manage/nice/new/", form)
    assert response.status_code == 302, response.content.decode()
    session = Session.objects.get(number=47)
    assert (session.local_starts_at.hour, session.local_starts_at.minute) == (19, 0)
    assert session.local_starts_at.weekday() == 5  # the series' Saturday


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "message"),
    [
        ("9999-12-31T19:00", "", "请填写 2000 到 2100 年之间的日期。"),
        ("1900-01-06T19:00", "", "请填写 2000 到 2100 年之间的日期。"),
        ("2030-01-05T19:00", "2033-01-05T19:00", "一期最多持续一天；请检查结束时间。"),
    ],
)
def test_absurd_dates_are_refused_with_a_message(client, organizer, starts_at, ends_at, message):
    response = client.post(
        "/manage/nice/new/",
        {"number": 9, "title": "x", "starts_at": starts_at, "ends_at": ends_at},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Session.objects.exists()


def test_the_database_refuses_a_date_outside_the_window(organizer):
    session = make_session(Series.objects.get(), number=3, status="draft")
    for start in (datetime(9999, 12, 31, tzinfo=SHANGHAI), datetime(1, 1, 2, tzinfo=SHANGHAI)):
        with pytest.raises(IntegrityError), transaction.atomic():
            Session.objects.filter(pk=session.pk).update(starts_at=start, ends_at=None)


EDGE_PAGES = [
    "/",
    "/nice/",
    "/nice/1/",
    "/nice/1/calendar.ics",
    "/nice/calendar.ics",
    "/nice/feed/atom/",
    "/nice/feed/rss/",
    "/nice/1/card.png",
    "/nice/talks.csv",
    "/api/v1/series/nice/sessions",
    "/api/v1/series/nice/sessions/1",
    "/manage/",
    "/manage/nice/1/",
    "/manage/nice/new/",
]


@pytest.mark.parametrize("start", [EARLIEST_START, LATEST_START - timedelta(minutes=1)])
def test_the_edges_of_the_window_break_no_page(client, organizer, start):
    series = Series.objects.get()
    session = make_session(series, number=1, starts_at=start)
    make_talk(session, "T")
    Session.objects.filter(pk=session.pk).update(
        ends_at=start + LONGEST_SESSION - timedelta(minutes=1)
    )
    for url in EDGE_PAGES:
        assert client.get(url).status_code == 200, url
    assert client.post("/manage/nice/1/duplicate/").status_code == 302


def test_typing_a_name_without_its_accent_finds_the_person(client, organizer):
    session = make_session(Series.objects.get(), number=1)
    talk = make_talk(session, "T")
    tomas = make_person("Tomás Ferreira")
    response = client.post(
        f"/manage/nice/1/talks/{talk.pk}/presenters/", {"name": "tomas  FERREIRA"}, follow=True
    )
    assert list(talk.presenters.all()) == [tomas]
    assert Person.objects.count() == 1
    assert "“tomas FERREIRA” 就是资料库中已有的 Tomás Ferreira。" in response.content.decode()


def test_the_preview_refuses_text_longer_than_any_field_takes(client, organizer):
    response = client.post("/manage/preview/", {"summary": "$x$ " * 25_000})
    assert response.status_code == 400
    assert "20000" in response.content.decode()


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_reimporting_keeps_slides_recordings_and_presenters_added_in_the_workspace(
    client, organizer, tmp_path
):
    source = SHARED_EXAMPLE if SHARED_EXAMPLE.is_dir() else FIXTURE
    archive = tmp_path / "archive"
    shutil.copytree(source, archive)
    run("import_archive", str(archive), "--series", "nice")
    talk = (
        Talk.objects.filter(session__series__slug="nice")
        .order_by("session__number", "order")
        .first()
    )
    number = talk.session.number
    base = f"/manage/nice/{number}/talks/{talk.pk}/"
    form = {
        f"talk-{talk.pk}-version": talk.session.version,
        f"talk-{talk.pk}-title": talk.title,
        f"talk-{talk.pk}-segment": talk.segment,
        f"talk-{talk.pk}-tags": talk.tags,
        f"talk-{talk.pk}-summary": talk.summary,
        f"talk-{talk.pk}-slides_url": "https://example.org/slides.pdf",
        f"talk-{talk.pk}-recording_url": "https://www.bilibili.com/video/BV1xx411c7mD",
    }
    assert client.post(base, form).status_code == 302
    client.post(base + "presenters/", {"name": "Guest Speaker"})
    run("import_archive", str(archive), "--series", "nice")
    talk.refresh_from_db()
    assert talk.slides_url == "https://example.org/slides.pdf"
    assert talk.recording_url == "https://www.bilibili.com/video/BV1xx411c7mD"
    assert "Guest Speaker" in [person.name for person in talk.presenters.all()]


@pytest.mark.parametrize(
    ("option", "message"),
    [("../x y", "series “../x y” cannot be created"), ("admin", "是网站保留的路径")],
)
def test_an_import_refuses_a_bad_series_slug(tmp_path, option, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        run("import_archive", str(FIXTURE), "--series", option)
    assert not Series.objects.exists()


def exported(tmp_path) -> Path:
    call_command("load_demo", verbosity=0)
    folder = tmp_path / "backup"
    run("export_archive", str(folder))
    for model in (Session, Series, Person):
        model.objects.all().delete()
    return folder


def edit_backup(folder: Path, change) -> None:
    path = folder / "archive.json"
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["series"][0].update(timezone="Mars/Olympus"), "timezone"),
        (
            lambda d: d["series"][0]["sessions"][0].update(live_url="javascript:alert(1)"),
            "live_url",
        ),
        (
            lambda d: d["series"][0]["sessions"][0].update(starts_at=None),
            "“starts_at”: expected text, got null",
        ),
        (lambda d: d.update(series=[{"slug": "x"}]), "series[0] (x): missing key “name”"),
    ],
)
def test_a_bad_json_backup_imports_nothing_and_says_where(tmp_path, change, message):
    folder = exported(tmp_path)
    edit_backup(folder, change)
    with pytest.raises(CommandError, match="nothing imported") as error:
        run("import_archive", "--format", "json", str(folder))
    assert message in str(error.value)
    assert "archive.json" in str(error.value)
    assert not Series.objects.exists()


def test_a_json_backup_cannot_smuggle_an_svg_as_a_poster(tmp_path):
    folder = exported(tmp_path)
    (folder / "media" / "posters").mkdir(parents=True)
    (folder / "media" / "posters" / "evil.png").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    )
    edit_backup(folder, lambda d: d["series"][0]["sessions"][0].update(poster="posters/evil.png"))
    with pytest.raises(CommandError, match=r"evil\.png"):
        run("import_archive", "--format", "json", str(folder))
    assert not Series.objects.exists()


def test_a_json_backup_cannot_smuggle_html_as_slides(tmp_path):
    folder = exported(tmp_path)
    (folder / "media" / "slides").mkdir(parents=True)
    (folder / "media" / "slides" / "deck.pdf").write_text("<html><script>alert(1)</script></html>")
    edit_backup(
        folder,
        lambda d: d["series"][0]["sessions"][0]["talks"][0].update(slides="slides/deck.pdf"),
    )
    with pytest.raises(CommandError, match=r"deck\.pdf"):
        run("import_archive", "--format", "json", str(folder))
    assert not Series.objects.exists()


def test_a_summary_longer_than_the_limit_is_refused_and_nothing_is_lost(client, organizer):
    talk = make_talk(make_session(Series.objects.get(), number=1), "T", summary="kept")
    prefix = f"talk-{talk.pk}-"
    response = client.post(
        f"/manage/nice/1/talks/{talk.pk}/",
        {f"{prefix}title": "T", f"{prefix}summary": "x" * 20_001},
        follow=True,
    )
    assert "20000" in response.content.decode()
    talk.refresh_from_db()
    assert talk.summary == "kept"


def test_a_paper_list_with_a_javascript_link_says_which_line(tmp_path):
    path = tmp_path / "list.md"
    path.write_text(
        "- [x] **Good**: A fine paper. ICLR2025 [Paper](https://arxiv.org/abs/2501.00001)\n"
        "- [x] **Evil**: A bad one. ICLR2025 [Code](javascript:alert(1))\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match=r"list\.md:2: code_url"):
        run("import_paper_list", str(path))
    assert not Session.objects.exists()
    from papers.models import Paper

    assert not Paper.objects.exists()


def test_a_doi_too_long_to_store_is_a_form_error(client, organizer):
    make_session(Series.objects.get(), number=1)
    response = client.post(
        "/manage/nice/1/talks/", {"reference": "10.1000/" + "x" * 300}, follow=True
    )
    assert response.status_code == 200
    assert "DOI 最多 200 个字符。" in response.content.decode()
    assert not Talk.objects.exists()


def test_an_import_reads_times_in_the_existing_series_zone(tmp_path):
    make_series(slug="nice", name="NICE").__class__.objects.filter(slug="nice").update(
        timezone="Europe/Berlin"
    )
    run("import_archive", str(FIXTURE), "--series", "nice")
    with_zone = Session.objects.filter(series__slug="nice", has_start_time=True).first()
    assert with_zone.local_starts_at.tzinfo.key == "Europe/Berlin"
    shanghai_hour = with_zone.starts_at.astimezone(SHANGHAI).hour
    assert with_zone.local_starts_at.hour != shanghai_hour  # read on Berlin's clock
    with pytest.raises(CommandError, match="keeps its times in Europe/Berlin"):
        run("import_archive", str(FIXTURE), "--series", "nice", "--timezone", "Asia/Shanghai")


def test_a_json_restore_reports_the_talks_it_keeps(tmp_path):
    folder = exported(tmp_path)
    call_command("load_demo", verbosity=0)
    session = Session.objects.get(number=3)
    make_talk(session, "Added after the backup", slides_url="https://example.org/s.pdf")
    output = run("import_archive", "--format", "json", str(folder))
    assert "talk “Added after the backup” of session 3 is no longer in the archive; kept" in output
    assert session.talks.filter(title="Added after the backup").exists()
