"""Archives out and back in: JSON round trips exactly; Markdown reproduces the sessions."""

import io
import json
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from PIL import Image

from papers.models import Paper
from sessions.models import Keyword, Person, Series, Session

# Real commits: exported and imported media files are kept only when committed.
pytestmark = pytest.mark.django_db(transaction=True)


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "teal").save(buffer, "PNG")
    return buffer.getvalue()


def empty_the_database(settings, tmp_path) -> None:
    for model in (Session, Series, Person, Paper, Keyword):
        model.objects.all().delete()
    settings.MEDIA_ROOT = tmp_path / "fresh-media"


def test_export_import_into_an_empty_database_and_export_again_is_identical(tmp_path, settings):
    call_command("load_demo", verbosity=0)
    session = Session.objects.get(number=3)
    session.poster.save("poster.png", ContentFile(png()))
    Person.objects.filter(name="李若曦").get().photo.save("p.png", ContentFile(png()))
    Paper.objects.get(arxiv_id="2305.18290").keywords.add(Keyword.objects.get(name="对齐"))
    first = tmp_path / "first"
    assert "1 series, 15 sessions, 38 papers, 13 people" in run("export_archive", str(first))
    assert (first / "media" / session.poster.name).read_bytes() == png()

    empty_the_database(settings, tmp_path)
    assert "15 sessions, 40 talks, 38 papers, 13 people imported" in run(
        "import_archive", "--format", "json", str(first)
    )
    second = tmp_path / "second"
    run("export_archive", str(second))
    assert (second / "archive.json").read_text() == (first / "archive.json").read_text()
    # Restored through the upload pipeline: the same picture, re-encoded.
    restored = Image.open(settings.MEDIA_ROOT / Session.objects.get(number=3).poster.name)
    assert (restored.format, restored.size, restored.getpixel((5, 5))) == (
        "PNG",
        (20, 20),
        (0, 128, 128),
    )
    draft = json.loads((second / "archive.json").read_text())["series"][0]["sessions"][-1]
    assert (draft["number"], draft["status"]) == (15, "draft")  # a backup keeps drafts too


def test_importing_the_same_json_twice_changes_nothing(tmp_path):
    call_command("load_demo", verbosity=0)
    run("export_archive", str(tmp_path / "a"))
    run("import_archive", "--format", "json", str(tmp_path / "a"))
    run("export_archive", str(tmp_path / "b"))
    assert (tmp_path / "a" / "archive.json").read_text() == (
        tmp_path / "b" / "archive.json"
    ).read_text()
    assert Session.objects.count() == 15 and Paper.objects.count() == 38


def test_a_broken_export_is_refused_clearly(tmp_path):
    (tmp_path / "archive.json").write_text('{"format": "something else"}')
    with pytest.raises(CommandError, match="not a nice-archive version 1 export"):
        run("import_archive", "--format", "json", str(tmp_path))
    (tmp_path / "archive.json").write_text("{not json")
    with pytest.raises(CommandError, match="cannot be read as JSON"):
        run("import_archive", "--format", "json", str(tmp_path))


def snapshot() -> list:
    """What a NICE Markdown archive can hold of each public session."""
    result = []
    for s in Session.objects.public().with_cards().order_by("number"):
        result.append(
            (
                s.number,
                s.title,
                s.local_starts_at.isoformat(),
                s.ends_at and s.local_ends_at.isoformat(),
                sorted(k.name for k in s.keywords.all()),
                [a.person.name for a in s.appearances],
                [
                    (t.segment, t.title, t.paper.arxiv_id if t.paper else "", t.summary)
                    for t in s.talks.all()
                ],
            )
        )
    return result


def test_markdown_export_imports_back_to_the_same_sessions(tmp_path, settings):
    call_command("load_demo", verbosity=0)
    before = snapshot()
    assert "14 public sessions" in run(
        "export_archive", "--format", "markdown", str(tmp_path / "md")
    )
    index = (tmp_path / "md" / "README.md").read_text()
    assert "| NICE 10期 | 2025.11.22 | [推理模型与强化学习](./docs/files/nice_10.md) |" in index
    page = (tmp_path / "md" / "docs" / "files" / "nice_10.md").read_text()
    assert page.startswith("# NICE 10期 | 推理模型与强化学习\n\n## 主题")
    assert "## 时间\n\n2025.11.22 14:00-17:00" in page and "第二场：" in page

    empty_the_database(settings, tmp_path)
    output = run("import_archive", str(tmp_path / "md"))
    assert "14 sessions read, 0 skipped" in output
    assert snapshot() == before


def test_markdown_needs_one_series(tmp_path):
    Series.objects.create(slug="a", name="A")
    Series.objects.create(slug="b", name="B")
    with pytest.raises(CommandError, match="say which series"):
        run("export_archive", "--format", "markdown", str(tmp_path))
    with pytest.raises(CommandError, match="no series with slug"):
        run("export_archive", "--series", "zzz", str(tmp_path))
