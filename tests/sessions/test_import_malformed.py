"""Malformed input to every importer: a file:line error or warning, never a traceback.

Each case damages a copy of a hand-made input (the NICE archive fixture, a JSON
export of it, the paper-list and notes fixtures) and runs the command as an
organizer would. The command either imports and reports the bad page or line
(docsify is lenient per page: a bad page is skipped; --strict aborts), or
refuses with a CommandError that names the file, and then writes nothing.
"""

import io
import json
import re
import shutil
from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import override_settings
from PIL import Image

from papers.models import Paper
from sessions.models import Person, Series, Session

pytestmark = pytest.mark.django_db

HERE = Path(__file__).parent
ARCHIVE = HERE / "fixtures" / "nice_archive"
PAPER_LIST = HERE.parent / "papers" / "fixtures" / "paper-list-clean.md"
NOTES = HERE.parent / "papers" / "fixtures" / "notes.md"

# Where things stand in the fixture (tests/sessions/fixtures/nice_archive).
ROW_12, ROW_9 = 7, 11  # README.md lines of the NICE 12 and NICE 9 rows
TIME_12 = "2025.08.31 (周日) 10:00"  # docs/files/nice_12.md line 9
PAGE_12, PAGE_9 = "docs/files/nice_12.md", "docs/files/nice_9.md"


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def counts() -> tuple[int, int, int, int]:
    return (
        Series.objects.count(),
        Session.objects.count(),
        Paper.objects.count(),
        Person.objects.count(),
    )


def refused(match: str, *args: str) -> CommandError:
    """The command stops with a CommandError matching `match` and writes nothing."""
    before = counts()
    with pytest.raises(CommandError, match=match) as error:
        run(*args)
    assert counts() == before
    return error.value


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "teal").save(buffer, "PNG")
    return buffer.getvalue()


# ---------------------------------------------------------------- docsify: the index


@pytest.fixture
def archive(tmp_path) -> Path:
    root = tmp_path / "archive"
    shutil.copytree(ARCHIVE, root)
    (tmp_path / "secret.md").write_text("# NICE 9期 | 不该被读到\n\n## 时间\n\n2020.1.1\n")
    return root


def index(root: Path) -> Path:
    return root / "README.md"


def page(root: Path, number: int) -> Path:
    return root / "docs" / "files" / f"nice_{number}.md"


def no_index(root: Path) -> None:
    index(root).unlink()


def empty_index(root: Path) -> None:
    index(root).write_text("")


def latin1_index(root: Path) -> None:
    text = index(root).read_text().replace("单篇论文的标题格式", "Café")
    index(root).write_bytes(text.encode("utf-8").replace("é".encode(), "é".encode("latin-1")))


def gbk_index(root: Path) -> None:
    index(root).write_bytes(index(root).read_text().encode("gbk"))


def index_is_a_folder(root: Path) -> None:
    index(root).unlink()
    index(root).mkdir()


def no_title_column(root: Path) -> None:
    edit(index(root), "| ID | Date | Title |", "| ID | Date | Name |")


def header_only(root: Path) -> None:
    index(root).write_text("| ID | Date | Title |\n| --- | --- | --- |\n")


def no_table(root: Path) -> None:
    index(root).write_text("# NICE\n\nThe sessions are listed somewhere else.\n")


@pytest.mark.parametrize(
    ("damage", "match"),
    [
        pytest.param(
            no_index, r"README\.md: no index README\.md in the archive folder", id="missing"
        ),
        pytest.param(
            empty_index, r"README\.md: no index table with ID and Title columns", id="empty"
        ),
        pytest.param(
            no_table, r"README\.md: no index table with ID and Title columns", id="no-table"
        ),
        pytest.param(latin1_index, rf"README\.md:{ROW_12}: not UTF-8 text", id="latin-1"),
        pytest.param(gbk_index, r"README\.md:3: not UTF-8 text", id="gbk"),
        pytest.param(index_is_a_folder, r"README\.md: no index README\.md", id="a-folder"),
        pytest.param(
            header_only, r"README\.md: the index table lists no sessions", id="header-only"
        ),
        pytest.param(
            no_title_column, r"README\.md: no index table with ID and Title", id="no-title-column"
        ),
    ],
)
def test_an_unreadable_index_imports_nothing_and_says_where(archive, damage, match):
    damage(archive)
    refused(match, "import_archive", str(archive))
    assert counts() == (0, 0, 0, 0)


def test_a_folder_that_does_not_exist_is_named(tmp_path):
    refused(r"nowhere: no such folder", "import_archive", str(tmp_path / "nowhere"))


# ---------------------------------------------------------------- docsify: bad rows and pages


def row_12(new_id: str) -> Callable[[Path], None]:
    return lambda root: edit(index(root), "| NICE 12期 |", f"| {new_id} |")


def time_12(new: str) -> Callable[[Path], None]:
    return lambda root: edit(page(root, 12), TIME_12, new)


def without_index_date_12(root: Path) -> None:
    edit(index(root), "| 2025.8.30 |", "| |")


def link_9(href: str, *, keep_page: bool = False) -> Callable[[Path], None]:
    def damage(root: Path) -> None:
        edit(index(root), "](./docs/files/nice_9.md)", f"]({href})")
        if not keep_page:
            page(root, 9).unlink()

    return damage


def page_9_is_a_folder(root: Path) -> None:
    page(root, 9).unlink()
    page(root, 9).mkdir()


def page_date_and_index_date_bad(root: Path) -> None:
    time_12("2025.13.45 10:00")(root)
    without_index_date_12(root)


def huge_title(root: Path) -> None:
    edit(index(root), "[单篇论文的标题格式](./docs/files/nice_12.0.md)", "标" * 10_000)
    edit(page(root, 12), "# NICE 12期 | 单篇论文的标题格式", "# NICE 12期 | " + "标" * 10_000)


# (damage, where, message): the page or row is skipped and reported; --strict aborts.
SKIPPED = [
    pytest.param(
        row_12("NICE abc期"),
        f"README.md:{ROW_12}",
        "no session number in the ID cell “NICE abc期”",
        id="non-numeric-number",
    ),
    pytest.param(
        row_12(f"NICE {10**30}期"),
        f"README.md:{ROW_12}",
        f"the session number {10**30} is too large",
        id="huge-number",
    ),
    pytest.param(
        row_12("NICE 0期"),
        f"README.md:{ROW_12}",
        "session numbers start at 1, not 0",
        id="zero-number",
    ),
    pytest.param(
        row_12("NICE -3期"),
        f"README.md:{ROW_12}",
        "session numbers start at 1, not -3",
        id="negative-number",
    ),
    pytest.param(
        link_9("./docs/files/gone.md"),
        f"README.md:{ROW_9}",
        "no page for session 9: the link ./docs/files/gone.md leads to no file, "
        "and there is no docs/files/nice_9.md",
        id="link-to-a-missing-page",
    ),
    pytest.param(
        link_9("../../etc/passwd"),
        f"README.md:{ROW_9}",
        "no page for session 9: the link ../../etc/passwd leads outside the archive, "
        "and there is no docs/files/nice_9.md",
        id="link-out-of-the-archive",
    ),
    pytest.param(
        link_9("../secret.md"),
        f"README.md:{ROW_9}",
        "no page for session 9: the link ../secret.md leads outside the archive",
        id="link-to-a-file-beside-the-archive",
    ),
    pytest.param(
        link_9("/etc/passwd"),
        f"README.md:{ROW_9}",
        "no page for session 9: the link /etc/passwd leads outside the archive",
        id="absolute-link",
    ),
    pytest.param(
        link_9("./docs/files/" + "x" * 300 + ".md"),
        f"README.md:{ROW_9}",
        "no page for session 9: the link ./docs/files/xxx",
        id="link-too-long-for-the-file-system",
    ),
    pytest.param(
        page_9_is_a_folder,
        f"README.md:{ROW_9}",
        "no page for session 9: the link ./docs/files/nice_9.md is a folder, not a page",
        id="page-is-a-folder",
    ),
    pytest.param(
        lambda root: page(root, 9).write_bytes(
            page(root, 9).read_bytes().replace("新型".encode(), "新型".encode("gbk"))
        ),
        f"{PAGE_9}:13",
        "not UTF-8 text",
        id="page-in-gbk",
    ),
    pytest.param(
        lambda root: page(root, 9).write_text("正文，没有标题也没有小节。\n"),
        f"{PAGE_9}:1",
        "not a session page",
        id="page-without-heading-or-sections",
    ),
    pytest.param(
        lambda root: edit(page(root, 9), "# NICE 9期", "# NICE 99999999999999999999期"),
        f"{PAGE_9}:1",
        "the page is for session 99999999999999999999, not 9",
        id="page-of-another-huge-number",
    ),
    pytest.param(
        page_date_and_index_date_bad,
        f"{PAGE_12}:9",
        "“2025.13.45” is not a date, and the index gives none",
        id="bad-date-on-page-none-in-index",
    ),
    pytest.param(
        time_12("9999.12.31 10:00"),
        f"{PAGE_12}:9",
        "session 12 not saved: starts_at: ",
        id="year-9999",
    ),
    pytest.param(
        time_12("9999.12.31 23:00-01:00"),
        f"{PAGE_12}:9",
        "session 12 not saved: starts_at: ",
        id="year-9999-past-midnight",
    ),
    pytest.param(
        time_12("0001.01.01 00:00"),
        f"{PAGE_12}:9",
        "session 12 not saved: starts_at: ",
        id="year-1",
    ),
    pytest.param(
        time_12("2025.08.31 10:00 - 2025.09.03 10:00"),
        f"{PAGE_12}:9",
        "session 12 not saved: ends_at: ",
        id="three-days",
    ),
]


@pytest.mark.parametrize(("damage", "where", "message"), SKIPPED)
def test_a_bad_row_or_page_is_skipped_and_reported_and_strict_aborts(
    archive, damage, where, message
):
    damage(archive)
    error = refused(r"^nothing imported: ", "import_archive", str(archive), "--strict")
    assert str(error).startswith(f"nothing imported: {where}: {message}")
    assert counts() == (0, 0, 0, 0)

    output = run("import_archive", str(archive))
    assert f"error: {where}: {message}" in output
    assert Session.objects.count() == 7


# ---------------------------------------------------------------- docsify: imported with a warning


def footer_12(src: str) -> Callable[[Path], None]:
    return lambda root: edit(page(root, 12), "../images/qr.png", src)


def duplicate_row_12(root: Path) -> None:
    row = next(line for line in index(root).read_text().splitlines() if "NICE 12期" in line)
    edit(
        index(root),
        row,
        row + "\n" + row.replace("2025.8.30", "2025.9.6").replace("单篇", "另一篇"),
    )


def short_row_9(root: Path) -> None:
    row = next(line for line in index(root).read_text().splitlines() if "NICE 9期" in line)
    edit(index(root), row, "| NICE 9期 | 2024.12.28 |")


def nul_in_page_12(root: Path) -> None:
    edit(page(root, 12), "标题：[ICLR 2025] Are", "标题：[ICLR 2025] A\x00re")


def controls_in_page_12(root: Path) -> None:
    edit(page(root, 12), "组合式推理", "\x1b组合式\x07推理\x08")


def page_9_without_sections(root: Path) -> None:
    page(root, 9).write_text("# NICE 9期 | 评估的新视角\n\n正文没有任何小节。\n")


def long_presenter(root: Path) -> None:
    edit(index(root), "| 尹同学 |", "| " + "尹" * 10_000 + " |")


def long_talk_title(root: Path) -> None:
    edit(
        page(root, 12),
        "Are Transformers Able to Reason by Connecting Separated Knowledge in Training Data?",
        "T" * 1000,
    )


def long_keywords(root: Path) -> None:
    edit(index(root), "| 模型推理 |", "| " + "推" * 10_000 + " |")


# (damage, where, message): every session is imported; the problem is a warning.
WARNED = [
    pytest.param(
        lambda root: edit(index(root), "| 2025.8.30 |", "| 2025.13.45 |"),
        f"README.md:{ROW_12}",
        "“2025.13.45” is not a date",
        id="index-date-2025.13.45",
    ),
    pytest.param(
        lambda root: edit(index(root), "| 2025.8.30 |", "| 0000.00.00 |"),
        f"README.md:{ROW_12}",
        "“0000.00.00” is not a date",
        id="index-date-0000.00.00",
    ),
    pytest.param(
        time_12("2025.13.45 10:00"),
        f"{PAGE_12}:9",
        "“2025.13.45” is not a date; the index's 2025-08-30 is used",
        id="page-date-2025.13.45",
    ),
    pytest.param(
        time_12("0000.00.00"),
        f"{PAGE_12}:9",
        "“0000.00.00” is not a date; the index's 2025-08-30 is used",
        id="page-date-0000.00.00",
    ),
    pytest.param(
        time_12("2025.08.31 25:99"),
        f"{PAGE_12}:9",
        "“25:99” is not a time of day; the session is imported without a start time",
        id="time-25:99",
    ),
    pytest.param(
        time_12("2025.08.31 19:00-18:00"),
        f"{PAGE_12}:9",
        "the end 18:00 is not after the start 19:00; the end is left out",
        id="time-19:00-18:00",
    ),
    pytest.param(
        time_12("2025.08.31-2025.09.03"),
        f"{PAGE_12}:9",
        "a session from 2025-08-31 to 2025-09-03 is imported on its first day only",
        id="three-days-without-times",
    ),
    pytest.param(
        lambda root: edit(page(root, 12), "abs/2501.15857v2", "abs/2501.1585x"),
        f"{PAGE_12}:15",
        "“https://arxiv.org/abs/2501.1585x” is not a valid arXiv link "
        "(an id looks like 2401.12345); kept as a plain link",
        id="malformed-arxiv-link",
    ),
    pytest.param(
        link_9("../../etc/passwd", keep_page=True),
        f"README.md:{ROW_9}",
        "the link ../../etc/passwd leads outside the archive; not followed",
        id="link-out-of-the-archive-with-the-usual-page-there",
    ),
    pytest.param(
        footer_12("../../../../etc/passwd"),
        f"{PAGE_12}:27",
        "the footer image ../../../../etc/passwd leads outside the archive; "
        "the group QR code is not imported",
        id="footer-image-out-of-the-archive",
    ),
    pytest.param(
        footer_12("../images/" + "q" * 300 + ".png"),
        f"{PAGE_12}:27",
        "the footer image ../images/qqq",
        id="footer-image-name-too-long",
    ),
    pytest.param(
        footer_12("../images"),
        f"{PAGE_12}:27",
        "the footer image ../images is a folder, not a file",
        id="footer-image-a-folder",
    ),
    pytest.param(
        duplicate_row_12,
        f"README.md:{ROW_12 + 1}",
        "session 12 is listed again with another date (2025-09-06 instead of 2025-08-30)",
        id="duplicate-number",
    ),
    pytest.param(
        short_row_9,
        f"README.md:{ROW_9}",
        "the row has 2 of the table's 6 columns; the others are read as empty",
        id="row-with-missing-columns",
    ),
    pytest.param(
        nul_in_page_12,
        f"{PAGE_12}:14",
        "control characters removed (U+0000)",
        id="nul-byte",
    ),
    pytest.param(
        controls_in_page_12,
        f"{PAGE_12}:18",
        "control characters removed (U+001B, U+0007, U+0008)",
        id="control-characters",
    ),
    pytest.param(
        page_9_without_sections,
        f"{PAGE_9}:3",
        "text outside a “## ” section is not imported",
        id="page-without-sections",
    ),
    pytest.param(
        long_presenter,
        f"README.md:{ROW_12}",
        "a presenter name of 10000 characters; only the first 200 are kept",
        id="presenter-of-10000-characters",
    ),
    pytest.param(
        huge_title,
        f"{PAGE_12}:1",
        "the title of 10000 characters; only the first 300 are kept",
        id="title-of-10000-characters",
    ),
    pytest.param(
        long_talk_title,
        f"{PAGE_12}:14",
        "a talk title of 1000 characters; only the first 500 are kept",
        id="talk-title-of-1000-characters",
    ),
    pytest.param(
        long_keywords,
        f"README.md:{ROW_12}",
        "a keyword of 10000 characters; only the first 100 are kept",
        id="keyword-of-10000-characters",
    ),
]


@pytest.mark.parametrize(("damage", "where", "message"), WARNED)
def test_a_doubtful_value_is_imported_with_a_warning(archive, damage, where, message):
    damage(archive)
    output = run("import_archive", str(archive), "--strict")
    assert f"warning: {where}: {message}" in output
    assert "8 sessions read, 0 skipped" in output
    assert Session.objects.count() == 8


def test_a_page_that_ends_past_midnight_is_not_a_warning(archive):
    time_12("2025.08.31 22:00-01:00")(archive)
    output = run("import_archive", str(archive), "--strict")
    assert "the end" not in output
    session = Session.objects.get(number=12)
    assert (session.local_starts_at.isoformat(), session.local_ends_at.isoformat()) == (
        "2025-08-31T22:00:00+08:00",
        "2025-09-01T01:00:00+08:00",
    )


def test_control_characters_never_reach_the_database(archive):
    nul_in_page_12(archive)
    controls_in_page_12(archive)
    run("import_archive", str(archive))
    talk = Session.objects.get(number=12).talks.get()
    assert talk.title.startswith("Are Transformers")
    assert talk.summary.startswith("组合式推理")


def test_long_presenters_and_keywords_are_cut_not_lost(archive):
    long_presenter(archive)
    long_keywords(archive)
    run("import_archive", str(archive))
    session = Session.objects.get(number=12)
    assert [p.name for p in session.presenters.all()] == ["尹" * 200]
    assert [k.name for k in session.keywords.all()] == ["推" * 100]


def snapshot() -> list[tuple]:
    return [
        (
            s.number,
            s.title,
            s.starts_at,
            s.ends_at,
            s.description,
            [(t.title, t.summary, t.segment) for t in s.talks.all()],
            [p.name for p in s.presenters.all()],
        )
        for s in Session.objects.order_by("number")
    ]


def test_a_byte_order_mark_and_crlf_line_endings_change_nothing(archive, tmp_path):
    run("import_archive", str(ARCHIVE))
    expected = snapshot()
    for model in (Session, Series, Person, Paper):
        model.objects.all().delete()
    for path in [index(archive), *archive.glob("docs/files/*.md")]:
        text = path.read_text(encoding="utf-8").replace("\n", "\r\n")
        path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    output = run("import_archive", str(archive), "--strict")
    assert "8 sessions read, 0 skipped" in output
    assert snapshot() == expected


def test_an_unknown_time_zone_is_named(archive):
    refused(
        "unknown time zone: Mars/Olympus",
        "import_archive",
        str(archive),
        "--timezone",
        "Mars/Olympus",
    )


def test_a_series_slug_the_model_refuses_is_named(archive):
    refused(
        "series “not a slug!” cannot be created",
        "import_archive",
        str(archive),
        "--series",
        "not a slug!",
    )


# ---------------------------------------------------------------- --format json


@pytest.fixture(scope="module")
def export(tmp_path_factory, django_db_setup, django_db_blocker) -> Path:
    """A JSON export of the hand-made archive, with one poster; the database is left
    as it was."""
    folder = tmp_path_factory.mktemp("export")
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")),
        transaction.atomic(),
    ):
        run("import_archive", str(ARCHIVE))
        Session.objects.get(number=12).poster.save("poster.png", ContentFile(png()))
        run("export_archive", str(folder / "backup"))
        transaction.set_rollback(True)
    return folder / "backup"


@pytest.fixture
def backup(export, tmp_path) -> Path:
    folder = tmp_path / "backup"
    shutil.copytree(export, folder)
    return folder


def change(folder: Path, edit_data: Callable[[dict], object]) -> None:
    path = folder / "archive.json"
    data = json.loads(path.read_text())
    edit_data(data)
    path.write_text(json.dumps(data, ensure_ascii=False))


def session_12(data: dict) -> dict:
    return next(s for s in data["series"][0]["sessions"] if s["number"] == 12)


def dig(data: dict, path: tuple) -> tuple:
    """The container of the last step of `path`, and that step. The step "#12"
    finds the session numbered 12."""
    node = data
    for step in path[:-1]:
        node = session_12(data) if step == "#12" else node[step]
    return node, path[-1]


def without(path: tuple) -> Callable[[dict], None]:
    def edit_data(data: dict) -> None:
        node, key = dig(data, path)
        del node[key]

    return edit_data


def setting(path: tuple, value: object) -> Callable[[dict], None]:
    def edit_data(data: dict) -> None:
        node, key = dig(data, path)
        node[key] = value

    return edit_data


SESSION = ("series", 0, "sessions", "#12")
TALK = (*SESSION, "talks", 0)
SESSION_KEYS = (
    "number",
    "title",
    "status",
    "starts_at",
    "ends_at",
    "has_start_time",
    "venue",
    "live_url",
    "description",
    "keywords",
    "poster",
    "qr_image",
    "presenters",
    "talks",
)
TALK_KEYS = (
    "segment",
    "title",
    "summary",
    "tags",
    "paper",
    "presenters",
    "slides",
    "slides_url",
    "recording_url",
)
MISSING = [
    ("format",),
    ("version",),
    ("series",),
    ("people",),
    ("papers",),
    *[
        ("series", 0, key)
        for key in ("slug", "name", "timezone", "description", "qr_image", "sessions")
    ],
    *[(*SESSION, key) for key in SESSION_KEYS],
    *[(*TALK, key) for key in TALK_KEYS],
    (*SESSION, "presenters", 0, "person"),
    (*SESSION, "presenters", 0, "affiliation"),
    (*TALK, "presenters", 0, "person"),
    *[("people", 0, key) for key in ("slug", "name", "affiliation", "homepage", "note", "photo")],
    *[("papers", 0, key) for key in ("key", "title", "year", "arxiv_id", "authors", "keywords")],
]


def test_the_export_imports_as_it_is(backup):
    assert "8 sessions, 10 talks" in run("import_archive", "--format", "json", str(backup))
    assert Session.objects.filter(number=12).values_list("poster", flat=True).get()


def test_it_takes_the_archive_json_file_itself(backup):
    assert "8 sessions" in run("import_archive", "--format", "json", str(backup / "archive.json"))


@pytest.mark.parametrize("path", MISSING, ids=lambda path: ".".join(map(str, path)))
def test_a_missing_key_at_any_level_imports_nothing(backup, path):
    change(backup, without(path))
    refused(r"archive\.json", "import_archive", "--format", "json", str(backup))
    assert counts() == (0, 0, 0, 0)


JSON_REFUSED = [
    pytest.param(
        lambda data: data.clear() or data.update({"format": "x"}),
        "not a nice-archive",
        id="not-an-export",
    ),
    pytest.param(setting((*SESSION, "number"), "twelve"), "archive.json", id="number-as-a-word"),
    pytest.param(setting((*SESSION, "number"), -12), "archive.json", id="negative-number"),
    pytest.param(setting((*SESSION, "number"), 10**30), "archive.json", id="huge-number"),
    pytest.param(setting((*SESSION, "keywords"), None), "archive.json", id="null-keywords"),
    pytest.param(setting((*SESSION, "talks"), None), "archive.json", id="null-talks"),
    pytest.param(setting((*SESSION, "presenters"), None), "archive.json", id="null-presenters"),
    pytest.param(setting(("people",), None), "archive.json", id="null-people"),
    pytest.param(setting(("papers",), {"a": 1}), "archive.json", id="papers-as-an-object"),
    pytest.param(
        setting(("series", 0, "sessions"), "abc"), "archive.json", id="sessions-as-a-string"
    ),
    pytest.param(setting((*TALK, "tags"), None), "archive.json", id="null-tags"),
    pytest.param(setting((*TALK, "paper"), "arxiv:0000.00000"), "archive.json", id="unknown-paper"),
    pytest.param(
        setting((*TALK, "presenters", 0, "person"), "nobody"), "archive.json", id="unknown-person"
    ),
    pytest.param(
        setting((*SESSION, "starts_at"), "31/08/2025 10:00"), "archive.json", id="starts-at-not-iso"
    ),
    pytest.param(
        setting((*SESSION, "starts_at"), 1756605600), "archive.json", id="starts-at-a-number"
    ),
    pytest.param(
        setting((*SESSION, "ends_at"), "2025-08-31T09:00:00+08:00"),
        "ends_at",
        id="ends-before-it-starts",
    ),
    pytest.param(
        setting((*SESSION, "starts_at"), "1900-08-31T10:00:00+08:00"), "starts_at", id="year-1900"
    ),
    pytest.param(setting((*SESSION, "status"), "archived"), "status", id="unknown-status"),
    pytest.param(
        setting(("series", 0, "timezone"), "Mars/Olympus"), "timezone", id="unknown-time-zone"
    ),
    pytest.param(
        setting((*TALK, "slides_url"), "javascript:alert(1)"), "slides_url", id="javascript-link"
    ),
    pytest.param(
        setting((*SESSION, "poster"), "posters/missing.png"),
        "missing from the export",
        id="media-missing",
    ),
]


@pytest.mark.parametrize(("edit_data", "match"), JSON_REFUSED)
def test_a_wrong_value_imports_nothing_and_says_where(backup, edit_data, match):
    change(backup, edit_data)
    error = refused(match, "import_archive", "--format", "json", str(backup))
    assert "archive.json" in str(error) or "media" in str(error)
    assert counts() == (0, 0, 0, 0)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(None, id="missing"),
        pytest.param(b"{not json", id="not-json"),
        pytest.param(b"[1, 2, 3]", id="a-list"),
        pytest.param(b"null", id="null"),
        pytest.param('{"format": "nice-archive", "name": "Café"}'.encode("latin-1"), id="latin-1"),
        pytest.param(b"", id="empty"),
    ],
)
def test_an_unreadable_archive_json_is_named(backup, content):
    if content is None:
        (backup / "archive.json").unlink()
    else:
        (backup / "archive.json").write_bytes(content)
    refused(r"archive\.json", "import_archive", "--format", "json", str(backup))


@pytest.mark.parametrize("name", ["../x.png", "/etc/hostname"])
def test_a_media_name_that_leaves_the_folder_imports_nothing(backup, name):
    (backup / "x.png").write_bytes(png())
    change(backup, setting((*SESSION, "poster"), name))
    refused(
        re.escape(name),
        "import_archive",
        "--format",
        "json",
        str(backup),
    )
    assert counts() == (0, 0, 0, 0)


def test_a_session_number_zero_imports_nothing(backup):
    change(backup, setting((*SESSION, "number"), 0))
    refused(r"archive\.json: .*number: ", "import_archive", "--format", "json", str(backup))


@pytest.mark.parametrize("year", [1800, 2300])
def test_a_paper_year_the_database_refuses_imports_nothing(backup, year):
    change(backup, setting(("papers", 0, "year"), year))
    refused(r"archive\.json: .*year: ", "import_archive", "--format", "json", str(backup))


@pytest.mark.parametrize(
    ("key", "value"),
    [
        pytest.param("number", "12", id="number-as-a-string"),
        pytest.param("has_start_time", "false", id="flag-as-a-string"),
        pytest.param("title", ["a", "b"], id="list-for-a-string"),
    ],
)
def test_a_value_of_the_wrong_type_imports_nothing(backup, key, value):
    change(backup, setting((*SESSION, key), value))
    refused(
        rf"archive\.json: .*“{key}”: expected", "import_archive", "--format", "json", str(backup)
    )


# ---------------------------------------------------------------- paper lists and notes


@pytest.fixture
def paper_list(tmp_path) -> Path:
    path = tmp_path / "papers.md"
    shutil.copy(PAPER_LIST, path)
    return path


@pytest.fixture
def notes(tmp_path) -> Path:
    path = tmp_path / "notes.md"
    shutil.copy(NOTES, path)
    return path


CRITIC = "**LLaVA-Critic**: Learning to Evaluate Multimodal Models. CVPR2025"


@pytest.mark.parametrize("command", ["import_paper_list", "import_notes"])
@pytest.mark.parametrize(
    ("encoding", "line"),
    [pytest.param("latin-1", 6, id="latin-1"), pytest.param("gbk", 8, id="gbk")],
)
def test_a_list_that_is_not_utf8_is_refused_with_its_line(paper_list, command, encoding, line):
    text = PAPER_LIST.read_text().replace("📖 ", "")
    if encoding == "gbk":
        paper_list.write_bytes(text.encode("gbk"))
    else:  # one é written in Latin-1 in an otherwise UTF-8 file
        text = text.replace("Evaluate", "Évaluate")
        paper_list.write_bytes(text.encode().replace("É".encode(), "É".encode("latin-1")))
    refused(rf"papers\.md:{line}: not UTF-8 text", command, str(paper_list))


@pytest.mark.parametrize("command", ["import_paper_list", "import_notes"])
def test_a_missing_list_is_named(tmp_path, command):
    refused(r"gone\.md: cannot be read", command, str(tmp_path / "gone.md"))


PAPER_WARNINGS = [
    pytest.param(
        "[Paper](https://arxiv.org/abs/2410.02712v2)",
        "[Paper](https://arxiv.org/abs/2410.0271x)",
        "“https://arxiv.org/abs/2410.0271x” is not a valid arXiv link (an id looks like "
        "2401.12345); kept as the paper's plain link",
        id="malformed-arxiv-link",
    ),
    pytest.param(
        "Models. CVPR2025",
        "Models. CVPR99999",
        "“CVPR99999”: 99999 is not a year; the venue is kept as “CVPR”",
        id="year-99999",
    ),
    pytest.param(
        "Models. CVPR2025",
        "Models. CVPR9999",
        "“CVPR9999”: 9999 is not a year; the venue is kept as “CVPR”",
        id="year-9999",
    ),
    pytest.param(
        "Learning to Evaluate Multimodal Models.",
        "L" + "o" * 1000 + "ng.",
        "the title has 1017 characters; only the first 500 are kept",
        id="title-of-1000-characters",
    ),
    pytest.param(
        "Learning to Evaluate",
        "Learning\x00 to\x1b Evaluate",
        "control characters removed (U+0000, U+001B)",
        id="control-characters",
    ),
]


@pytest.mark.parametrize(("old", "new", "message"), PAPER_WARNINGS)
def test_a_doubtful_paper_is_imported_with_a_warning(paper_list, old, new, message):
    edit(paper_list, old, new)
    output = run("import_paper_list", str(paper_list))
    assert f"warning: papers.md:6: {message}" in output
    assert "3 papers: 3 created" in output
    assert all(len(p.title) <= 500 and "\x00" not in p.title for p in Paper.objects.all())


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        pytest.param(
            "[CVPR 2024] DINOv",
            "[CVPR 9999] DINOv",
            "“CVPR 9999”: 9999 is not a year; the venue is kept as “CVPR”",
            id="year-9999",
        ),
        pytest.param(
            "[CVPR 2024] DINOv: Visual In-Context Prompting",
            "[CVPR 2024] " + "D" * 1000,
            "the title has 1000 characters; only the first 500 are kept",
            id="title-of-1000-characters",
        ),
        pytest.param(
            "[CVPR 2024] DINOv",
            "[CVPR 2024] DI\x00NOv",
            "control characters removed (U+0000)",
            id="nul-byte",
        ),
    ],
)
def test_doubtful_notes_are_imported_with_a_warning(notes, old, new, message):
    edit(notes, old, new)
    line = next(
        n
        for n, text in enumerate(notes.read_text().split("\n"), 1)
        if "[CVPR 2024]" in text or "[CVPR 9999]" in text
    )
    output = run("import_notes", str(notes))
    assert f"warning: notes.md:{line}: {message}" in output
    assert Paper.objects.count() == 3


def test_a_refused_link_names_the_line_and_imports_nothing(paper_list):
    edit(paper_list, "[Code](https://github.com/dongyh20/Insight-V)", "[Code](javascript:alert(1))")
    refused(r"papers\.md:\d+: .*nothing imported", "import_paper_list", str(paper_list))


def test_an_unknown_session_is_named(paper_list):
    refused(
        "no session nice/99999999999999999999",
        "import_paper_list",
        str(paper_list),
        "--session",
        "nice/99999999999999999999",
    )
