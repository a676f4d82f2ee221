"""import_archive end to end: hand-made archive in tests/, the real sample when present."""

import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from papers.models import Paper
from sessions.models import Person, Series, Session, Talk

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).parent / "fixtures" / "nice_archive"
SHARED_EXAMPLE = Path(__file__).resolve().parents[3] / "shared" / "examples" / "nice-archive"


@pytest.fixture
def archive(tmp_path) -> Path:
    """A writable copy of the hand-made archive, next to a file that lies outside it."""
    root = tmp_path / "fixtures" / "nice_archive"
    shutil.copytree(FIXTURE, root)
    (tmp_path / "fixtures" / "outside.md").write_text(
        "# NICE 5期 | 不该被读到\n\n## 时间\n\n2020.1.1\n"
    )
    return root


def run(path: Path, *args: str) -> str:
    out = StringIO()
    call_command("import_archive", str(path), *args, stdout=out)
    return out.getvalue()


def api(client, number: int) -> dict:
    return client.get(f"/api/v1/series/nice/sessions/{number}").json()


def test_it_imports_every_session_of_the_archive(archive, client):
    output = run(archive)
    series = Series.objects.get()
    assert (series.slug, series.name, series.timezone) == ("nice", "NICE", "Asia/Shanghai")
    assert sorted(Session.objects.values_list("number", flat=True)) == [5, 6, 7, 8, 9, 10, 11, 12]
    assert set(Session.objects.values_list("status", flat=True)) == {"published"}
    assert "sessions: 8 created, 0 updated, 0 deleted, 0 unchanged" in output
    assert "8 sessions read, 0 skipped" in output


def test_a_single_titled_paper_page(archive, client):
    run(archive)
    data = api(client, 12)
    assert data["starts_at"] == "2025-08-31T10:00:00+08:00"  # the page's date wins
    assert [p["name"] for p in data["presenters"]] == ["尹同学"]
    (talk,) = data["talks"]
    assert (
        talk["title"]
        == "Are Transformers Able to Reason by Connecting Separated Knowledge in Training Data?"
    )
    assert [p["name"] for p in talk["presenters"]] == ["尹同学"]
    assert {k: talk["paper"][k] for k in ("arxiv_id", "venue", "year")} == {
        "arxiv_id": "2501.15857",
        "venue": "ICLR 2025",
        "year": 2025,
    }
    assert talk["summary_markdown"].endswith(
        "- 上下文学习（In-Context Learning）\n- 父节点检索（Parent Retrieval）"
    )


def test_a_page_date_that_contradicts_the_index_is_a_warning(archive):
    output = run(archive)
    assert (
        "warning: docs/files/nice_12.md:9: the page says 2025-08-31, the index 2025-08-30; the page wins"
        in output
    )


def test_a_presenter_list_in_two_segments(archive, client):
    run(archive)
    data = api(client, 11)
    assert data["starts_at"] == "2025-08-24T00:00:00+08:00"
    assert Session.objects.get(number=11).has_start_time is False
    assert [
        (t["segment"], t["tags"], [(p["name"], p["affiliation"]) for p in t["presenters"]])
        for t in data["talks"]
    ] == [
        ("第一场", [], [("张宇森", "宾州州立大学")]),
        ("第一场", ["Highlight"], [("翟胜方", "北京大学&新加坡国立大学")]),
        ("第二场", ["Oral"], [("Qiyao (Chi-Yao) Wei", "上海交通大学")]),
    ]
    assert [p["name"] for p in data["presenters"]] == ["张宇森", "翟胜方", "Qiyao (Chi-Yao) Wei"]


def test_two_rows_of_one_session_merge_with_paper_links(archive, client):
    run(archive)
    data = api(client, 10)
    assert data["title"] == "可解释性论文分享"  # the page heading: it differs only in spacing
    assert data["starts_at"] == "2025-06-22T09:00:00+08:00"
    assert data["keywords"] == ["ICML分享会", "可解释性"]
    assert [p["name"] for p in data["presenters"]] == ["甲同学", "乙同学", "丙同学"]
    assert [
        (t["paper"]["arxiv_id"], t["paper"]["code_url"], t["paper"]["project_url"])
        for t in data["talks"]
    ] == [
        ("2409.05806", None, None),
        (None, "https://github.com/example/semantic-probing", None),
        (None, None, "https://example.org/massive-values"),
    ]
    assert "<math" in data["talks"][2]["summary_html"]


def test_headed_paragraphs_outline_agenda_and_topic_list(archive, client):
    run(archive)
    assert [t["title"] for t in api(client, 9)["talks"]] == [
        "新型评估指标：Diff-eRank",
        "LLM医学评估：MultifacetEval",
    ]
    assert api(client, 9)["ends_at"] == "2024-12-28T12:00:00+08:00"
    (outline,) = api(client, 8)["talks"]
    assert outline["title"] == "从0开始训练小模型[1]"
    assert outline["presenters"][0]["name"] == "黎健进"
    assert Person.objects.get(name="黎健进").note == "知乎：Lil2J"
    for number in (7, 6):  # an agenda and a topic list stay descriptions
        session = Session.objects.get(number=number)
        assert (session.talks.count(), bool(session.description)) == (0, True)
        assert "入群" not in session.description and "<div" not in session.description
    assert api(client, 7)["ends_at"] == "2024-01-06T11:30:00+08:00"


def test_it_never_reads_outside_the_archive_and_falls_back_to_the_usual_file(archive):
    run(archive)
    session = Session.objects.get(number=5)
    assert session.title == "链接坏了的一期"
    assert "只能靠文件名找到的一页" in session.description


def test_the_same_person_across_sessions_is_one_person(archive):
    run(archive)
    assert Person.objects.filter(name="朱桐").count() == 1
    assert Session.objects.filter(session_presenters__person__name="朱桐").count() == 2


def test_the_footer_image_becomes_the_series_qr_code(archive, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run(archive)
    series = Series.objects.get()
    assert series.qr_image.name.startswith("qr/") and series.qr_image.name.endswith(".png")
    # Re-encoded by the media pipeline: the same pixels, none of the original bytes' extras.
    with series.qr_image.open("rb") as stored, Image.open(stored) as image:
        stored_pixels = image.convert("L").tobytes()
    with Image.open(archive / "docs" / "images" / "qr.png") as original:
        assert stored_pixels == original.convert("L").tobytes()


def test_a_second_import_changes_nothing(archive):
    run(archive)
    before = list(Talk.objects.order_by("pk").values_list("pk", "title"))
    output = run(archive)
    assert "0 changes" in output
    assert "sessions: 0 created, 0 updated, 0 deleted, 8 unchanged" in output
    assert list(Talk.objects.order_by("pk").values_list("pk", "title")) == before


def test_a_newer_archive_updates_what_changed(archive):
    run(archive)
    page = archive / "docs" / "files" / "nice_12.md"
    page.write_text(
        page.read_text().replace("10:00", "14:00").replace("2501.15857v2", "2501.15857")
    )
    nine = archive / "docs" / "files" / "nice_9.md"
    nine.write_text(
        nine.read_text().replace("LLM医学评估：MultifacetEval", "LLM医学评估：MultifacetEval v2")
    )
    retitled = list(Session.objects.get(number=9).talks.values_list("pk", flat=True))[1]
    output = run(archive)
    assert "sessions: 0 created, 2 updated, 0 deleted, 6 unchanged" in output
    # Updated in place: the talk keeps its id (its #talk-N anchor), slides and presenters.
    assert "talks: 0 created, 1 updated, 0 deleted" in output
    assert list(Session.objects.get(number=9).talks.values_list("pk", flat=True))[1] == retitled
    assert Session.objects.get(number=12).local_starts_at.hour == 14
    assert (
        list(Session.objects.get(number=9).talks.values_list("title", flat=True))[1]
        == "LLM医学评估：MultifacetEval v2"
    )


def test_an_import_never_uncancels_a_session(archive):
    run(archive)
    Session.objects.filter(number=7).update(status="cancelled")
    run(archive)
    assert Session.objects.get(number=7).status == "cancelled"


def test_a_dry_run_reports_and_writes_nothing(
    archive, media_root, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        output = run(archive, "--dry-run")
    assert callbacks == []  # the QR file is never written
    assert "dry run: nothing was written" in output
    assert "sessions: 8 created" in output
    assert (
        Series.objects.count(),
        Session.objects.count(),
        Paper.objects.count(),
        Person.objects.count(),
    ) == (0, 0, 0, 0)
    assert not media_root.exists() or not any(media_root.rglob("*.png"))


def test_an_unreadable_page_is_reported_with_its_line_and_skipped(archive):
    (archive / "docs" / "files" / "nice_9.md").write_bytes(
        "# NICE 9期 | 评估\n\n## 时间\n".encode() + b"\xff\xfe bad\n"
    )
    (archive / "docs" / "files" / "nice_8.md").write_text(
        "# NICE 8期 | 没有日期\n\n## 内容\n\n空\n"
    )
    (archive / "README.md").write_text(
        (archive / "README.md").read_text().replace("| 2024.3.23 |", "| |")
    )
    output = run(archive)
    assert "error: docs/files/nice_9.md:4: not UTF-8 text" in output
    assert "error: docs/files/nice_8.md:1: no date on the page or in the index" in output
    assert "8 sessions read" not in output and "6 sessions read, 2 skipped" in output
    assert sorted(Session.objects.values_list("number", flat=True)) == [5, 6, 7, 10, 11, 12]


def test_a_page_the_database_refuses_rolls_back_alone(archive):
    # [ICLR 2300] gives the paper a year the database's check constraint refuses,
    # after the session row was written: the savepoint must take it all back.
    page = archive / "docs" / "files" / "nice_12.md"
    page.write_text(page.read_text().replace("[ICLR 2025]", "[ICLR 2300]"))
    output = run(archive)
    assert "error: docs/files/nice_12.md: session 12 not saved:" in output
    assert not Session.objects.filter(number=12).exists()
    assert not Paper.objects.filter(arxiv_id="2501.15857").exists()
    assert not Person.objects.filter(name="尹同学").exists()
    assert Session.objects.count() == 7
    assert "people: " in output and "sessions: 7 created" in output


def test_strict_aborts_the_whole_run_on_a_bad_page(archive):
    (archive / "docs" / "files" / "nice_9.md").write_text("no heading here\n")
    with pytest.raises(
        CommandError, match=r"nothing imported: docs/files/nice_9.md:1: not a session page"
    ):
        run(archive, "--strict")
    assert Session.objects.count() == 0


def test_strict_rolls_back_everything_on_a_database_refusal(archive):
    page = archive / "docs" / "files" / "nice_12.md"
    page.write_text(page.read_text().replace("[ICLR 2025]", "[ICLR 2300]"))
    with pytest.raises(CommandError, match="nothing imported"):
        run(archive, "--strict")
    assert (Series.objects.count(), Session.objects.count()) == (0, 0)


def test_a_folder_without_index_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match=r"no index README\.md"):
        run(tmp_path)


def test_it_takes_a_series_slug_and_time_zone(archive, client):
    run(
        archive,
        "--series",
        "reading",
        "--series-name",
        "Reading group",
        "--timezone",
        "Europe/Berlin",
    )
    series = Series.objects.get()
    assert (series.slug, series.name, series.timezone) == (
        "reading",
        "Reading group",
        "Europe/Berlin",
    )
    assert Session.objects.get(number=12).starts_at.isoformat() == "2025-08-31T08:00:00+00:00"


@pytest.mark.skipif(
    not SHARED_EXAMPLE.exists(), reason="../shared/examples is not beside this checkout"
)
def test_the_real_nice_sample_imports_as_the_issue_says(client):
    output = run(SHARED_EXAMPLE)
    assert "8 sessions read, 0 skipped" in output
    nice47 = api(client, 47)
    assert nice47["starts_at"] == "2025-03-15T19:00:00+08:00"
    assert nice47["keywords"] == ["ICLR分享会", "多模态"]
    assert len(nice47["presenters"]) == 6
    assert [t["title"] for t in nice47["talks"]][:2] == [
        "Towards Semantic Equivalence of Tokenization in Multimodal LLM",
        "reconstructive visual instruction tuning",
    ]
    assert len(nice47["talks"]) == 6
    nice70 = api(client, 70)
    assert len(nice70["presenters"]) == 14 and len(nice70["talks"]) == 7
    assert [t["paper"]["arxiv_id"] for t in nice70["talks"] if t["paper"]["arxiv_id"]] == [
        "2409.05806",
        "2505.14436",
        "2506.00698",
    ]
    assert [t["paper"]["code_url"] for t in nice70["talks"] if t["paper"]["code_url"]] == [
        "https://github.com/Zhaoxin-Feng/semantic-probing-2025",
        "https://github.com/MingyuJ666/Rope_with_LLM",
    ]
    nice80 = api(client, 80)
    assert len(nice80["talks"]) == 9
    assert {t["segment"] for t in nice80["talks"]} == {"第一场", "第二场"}
    assert all(
        len(t["presenters"]) == 1 and t["presenters"][0]["affiliation"] for t in nice80["talks"]
    )
    assert [t["tags"] for t in nice80["talks"] if t["tags"]] == [["Highlight"], ["Oral"]]
    (talk84,) = api(client, 84)["talks"]
    assert (talk84["paper"]["arxiv_id"], talk84["paper"]["venue"]) == ("2501.15857", "ICLR 2025")
    assert Person.objects.get(name="黎健进").note == "知乎：Lil2J"
    nice5 = api(client, 5)
    assert (nice5["starts_at"], nice5["ends_at"]) == (
        "2024-01-06T10:30:00+08:00",
        "2024-01-06T11:30:00+08:00",
    )
    assert "0 changes" in run(SHARED_EXAMPLE)


class Terminal(StringIO):
    """What a terminal is to the command: a stream that says it is one."""

    def isatty(self) -> bool:
        return True


def test_on_a_terminal_it_shows_a_progress_bar_and_in_a_pipe_it_does_not(archive):
    terminal, pipe = Terminal(), StringIO()
    call_command("import_archive", str(archive), stdout=StringIO(), stderr=terminal)
    bar = terminal.getvalue()
    assert bar.startswith("\rsessions [")
    assert "[##############################] 8/8" in bar
    call_command("import_archive", str(archive), stdout=StringIO(), stderr=pipe)
    assert pipe.getvalue() == ""
