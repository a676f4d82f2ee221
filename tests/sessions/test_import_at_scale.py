"""Import at scale: each session costs the same few statements however many the
archive already has, an unchanged archive costs next to nothing, and the search
rows built from what was just written are the rows a rebuild makes."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from search.models import SearchDocument
from sessions.models import Session

pytestmark = pytest.mark.django_db

PEOPLE = ["王明", "李华", "Tomás Ferreira", "张伟", "Ana Silva"]


def write_archive(
    root: Path, numbers: range, *, retitled: int | None = None, swapped: int | None = None
) -> Path:
    """A NICE-format archive: an index row with two of five recurring presenters and
    a page with three papers per session (paper 1 of each also presented elsewhere).
    Session `swapped` has its presenters and its talks in the reverse order."""
    pages = root / "docs" / "files"
    pages.mkdir(parents=True, exist_ok=True)
    rows = []
    for n in numbers:
        link = f"./docs/files/nice_{n}.md"
        people = [PEOPLE[n % 5], PEOPLE[(n + 2) % 5]]
        people = ", ".join(reversed(people) if n == swapped else people)
        rows.append(
            f"| NICE {n}期 | 2021.3.{n % 28 + 1} | [第{n}期]({link}) | {people} | 关键词{n % 3}，多模态 | [Link]({link}) |"
        )
        title = "A retitled paper" if n == retitled else f"Paper {n}.0"
        talks = [
            f"论文：{title}\n论文链接：https://arxiv.org/abs/2101.{n * 3:05d}",
            f"论文：Paper {n}.1\n论文链接：https://arxiv.org/abs/2102.{n % 7:05d}",
            f"论文：Paper {n}.2\n\n论文介绍：第{n}期的第三个报告，$x^2$ 与幻觉。",
        ]
        if n == swapped:
            talks.reverse()
        (pages / f"nice_{n}.md").write_text(
            f"# NICE {n}期 | 第{n}期\n\n## 时间\n\n2021.3.{n % 28 + 1} 19:00-21:00\n\n"
            f"## 内容\n\n" + "\n\n".join(talks) + "\n",
            encoding="utf-8",
        )
    header = (
        "| ID | Date | Title | Presenter | Keywords | Link |\n| -- | -- | -- | -- | -- | -- |\n"
    )
    (root / "README.md").write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    return root


def statements(root: Path, series: str = "nice") -> tuple[int, str]:
    """Statements that read or write rows (a transaction's BEGIN and COMMIT are not
    counted: SQLite sends them as statements, PostgreSQL does not), and the output."""
    count, output, _rows = run(root, series)
    return count, output


def run(root: Path, series: str = "nice") -> tuple[int, str, list[int]]:
    """statements(), and how many search rows each statement writing them wrote."""
    out = StringIO()
    with CaptureQueriesContext(connection) as queries:
        call_command("import_archive", str(root), "--series", series, stdout=out)
    control = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT")
    count = sum(not query["sql"].startswith(control) for query in queries)
    rows = [
        query["sql"].count("), (") + 1
        for query in queries
        if query["sql"].startswith('INSERT INTO "search_searchdocument"')
    ]
    return count, out.getvalue(), rows


def index_snapshot() -> list[tuple]:
    return list(
        SearchDocument.objects.order_by("kind", "object_id").values_list(
            "kind",
            "object_id",
            "public",
            "url",
            "title",
            "body",
            "meta",
            "sort_date",
            "year",
            "series_slug",
            "venue",
            "session_id",
            "tokens_a",
            "tokens_b",
            "tokens_c",
            "vector",
        )
    )


def test_a_session_costs_the_same_however_often_its_presenters_came_before(tmp_path):
    """Twenty new sessions after 10 and after 50 earlier ones: the same statements,
    a handful per session (a presenter's new session rewrites their own search row,
    not the rows of every session they ever presented in)."""
    write_archive(tmp_path / "a", range(1, 11))
    statements(tmp_path / "a")
    after_ten, output = statements(write_archive(tmp_path / "a", range(1, 31)))
    assert "sessions: 20 created, 0 updated, 0 deleted, 10 unchanged" in output

    # Another series of the same people and papers, fifty sessions long.
    statements(write_archive(tmp_path / "b", range(1, 51)), "other")
    after_fifty, output, rows = run(write_archive(tmp_path / "b", range(1, 71)), "other")
    assert "sessions: 20 created, 0 updated, 0 deleted, 50 unchanged" in output
    # One statement per session writes its rows: the session, three talks, three
    # papers, two people; not the rows of the people's other sessions and talks.
    assert rows == [9] * 20

    # The unchanged sessions are read ahead in the same few queries however many they
    # are, and each new session costs the same.
    assert after_fifty == after_ten
    assert after_ten <= 20 * 10 + 25


def test_an_unchanged_archive_is_read_in_a_few_queries(tmp_path):
    root = write_archive(tmp_path / "a", range(1, 41))
    first, _ = statements(root)
    again, output = statements(root)
    assert "sessions: 0 created, 0 updated, 0 deleted, 40 unchanged" in output
    assert "0 changes" in output
    # Sessions, talks, presenters, keywords, people and papers of the batch, read
    # ahead; nothing written.
    assert again <= 15
    assert first >= 40 * 8


def test_the_rows_built_from_what_was_written_are_the_rows_a_rebuild_makes(tmp_path):
    root = write_archive(tmp_path / "a", range(1, 21))
    statements(root)
    Session.objects.filter(number=4).update(status=Session.Status.DRAFT)
    call_command("rebuild_search_index", stdout=StringIO())
    # A newer archive: a paper retitled, presenters and talks reordered, two new
    # sessions, the rest unchanged.
    statements(write_archive(tmp_path / "a", range(1, 23), retitled=7, swapped=9))
    assert list(Session.objects.get(number=9).talks.values_list("title", flat=True)) == [
        "Paper 9.2",
        "Paper 9.1",
        "Paper 9.0",
    ]
    imported = index_snapshot()
    assert SearchDocument.objects.filter(title="A retitled paper").count() == 2  # talk, paper
    call_command("rebuild_search_index", stdout=StringIO())
    assert index_snapshot() == imported
