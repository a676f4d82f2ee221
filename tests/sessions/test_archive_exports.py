"""Whole-archive downloads (papers.bib, talks.csv): streamed from a file written once
per change of the archive, so a large archive costs neither memory nor a query per row
on each download, and a change is in the next download."""

import csv
import io

import pytest
from django.http import FileResponse

from tests.factories import make_full_session, make_paper, make_series, make_talk

pytestmark = pytest.mark.django_db(transaction=True)


def rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.getvalue().decode().lstrip("\ufeff"))))


def stored_exports(media_root) -> list[str]:
    folder = media_root / "exports"
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


@pytest.fixture
def archive():
    series = make_series()
    for number in (1, 2, 3):
        make_full_session(series, number)
    return series


def test_a_download_is_streamed_from_a_file_written_once_per_change(
    client, archive, media_root, django_assert_num_queries
):
    first = client.get("/nice/talks.csv")
    assert isinstance(first, FileResponse)
    assert first["Content-Disposition"] == 'attachment; filename="nice-talks.csv"'
    first_rows = rows(first)
    assert [row[6] for row in first_rows[1:]] == [
        f"Talk {n}.{i}" for n in (1, 2, 3) for i in (0, 1)
    ]
    with django_assert_num_queries(1):  # the series; no row is read again
        again = client.get("/nice/talks.csv")
    assert rows(again) == first_rows
    [stored] = stored_exports(media_root)
    assert stored.endswith("-nice-talks.csv")


def test_the_next_write_is_in_the_next_download_and_the_old_file_goes(client, archive, media_root):
    client.get("/nice/papers.bib").getvalue()
    before = stored_exports(media_root)
    make_talk(
        archive.sessions.get(number=2), "新的报告", paper=make_paper("A Fresh Paper", year=2025)
    )
    text = client.get("/nice/papers.bib").getvalue().decode()
    assert "A Fresh Paper" in text
    after = stored_exports(media_root)
    assert len(after) == 1 and after != before


def test_a_browser_that_has_the_download_gets_304(client, archive):
    first = client.get("/nice/papers.bib")
    first.getvalue()
    assert first["ETag"] and first["Last-Modified"]
    assert "public" in first["Cache-Control"]
    again = client.get("/nice/papers.bib", headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    assert again.getvalue() == b""


def test_a_paper_presented_twice_is_listed_once(client):
    series = make_series()
    paper = make_paper("Shared Paper", year=2024)
    early, late = make_full_session(series, 1), make_full_session(series, 2)
    make_talk(late, "again", paper=paper)
    make_talk(early, "first", paper=paper)
    text = client.get("/nice/papers.bib").getvalue().decode()
    assert text.count("Shared Paper") == 1
