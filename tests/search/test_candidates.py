"""Which rows a search considers: each kind's newest public matches, at most CAP + 1,
whatever order the rows were written in, and kept right as rows move in time or go.

SQLite reads them from per-kind FTS5 tables numbered by recency (migration 0003),
PostgreSQL from per-kind GIN indexes (0004); both must give the same candidates."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from search import query as index
from search.models import SearchDocument
from sessions.models import Session
from tests.factories import SHANGHAI, make_paper, make_person, make_series, make_session, make_talk

pytestmark = pytest.mark.django_db
Kind = SearchDocument.Kind
START = datetime(2024, 3, 2, 14, 0, tzinfo=SHANGHAI)


def titles(results: index.Results, kind: str) -> list[str]:
    ids = [hit.object_id for hit in results.ranked(kind)]
    names = dict(
        SearchDocument.objects.filter(kind=kind, object_id__in=ids).values_list(
            "object_id", "title"
        )
    )
    return [names[pk] for pk in ids]


def test_the_candidates_are_the_newest_matches_not_the_last_written(monkeypatch):
    series = make_series()
    # Written newest first: the highest ids are the oldest sessions.
    for weeks in (5, 4, 3, 2, 1, 0):
        session = make_session(
            series, number=10 - weeks, title=f"Sparse attention {weeks}", starts_at=START
        )
        Session.objects.filter(pk=session.pk).update(starts_at=START - timedelta(weeks=weeks))
        session.refresh_from_db()
        session.title = f"Sparse attention, {weeks} weeks before"
        session.save()
    monkeypatch.setattr(index, "CAP", 2)
    results = index.search("sparse attention")
    assert titles(results, Kind.SESSION) == [
        "Sparse attention, 0 weeks before",
        "Sparse attention, 1 weeks before",
    ]
    assert results.capped(Kind.SESSION)


def test_a_session_moved_in_time_is_found_once_at_its_new_place(monkeypatch):
    series = make_series()
    old = make_session(series, number=1, title="Mixture of experts, first", starts_at=START)
    make_session(
        series, number=2, title="Mixture of experts, second", starts_at=START + timedelta(days=7)
    )
    make_session(
        series, number=3, title="Mixture of experts, third", starts_at=START + timedelta(days=14)
    )
    old.starts_at = START + timedelta(days=21)
    old.save()
    monkeypatch.setattr(index, "CAP", 2)
    results = index.search("mixture experts")
    assert titles(results, Kind.SESSION) == [
        "Mixture of experts, first",
        "Mixture of experts, third",
    ]
    monkeypatch.setattr(index, "CAP", 10)
    assert titles(index.search("mixture experts"), Kind.SESSION) == [
        "Mixture of experts, first",
        "Mixture of experts, third",
        "Mixture of experts, second",
    ]


def test_deleted_and_renamed_rows_are_not_found_under_their_old_text():
    series = make_series()
    session = make_session(series, number=1, title="Inference tricks", starts_at=START)
    talk = make_talk(session, "Speculative decoding in practice")
    assert titles(index.search("speculative"), Kind.TALK) == ["Speculative decoding in practice"]
    talk.title = "Draft models in practice"
    talk.save()
    assert titles(index.search("speculative"), Kind.TALK) == []
    assert titles(index.search("draft models"), Kind.TALK) == ["Draft models in practice"]
    talk.delete()
    assert titles(index.search("draft models"), Kind.TALK) == []
    assert titles(index.search("inference tricks"), Kind.SESSION) == ["Inference tricks"]


def test_each_kind_finds_its_own_rows_and_tiers_only_among_them():
    series = make_series()
    session = make_session(series, number=1, title="Reward hacking", starts_at=START)
    make_talk(
        session,
        "What goes wrong with rewards",
        presenters=[make_person("Reward Hacking Fan")],
        paper=make_paper("Reward hacking in the wild"),
    )
    make_talk(session, "Reward hacking, measured")
    results = index.search("reward hacking")
    assert titles(results, Kind.SESSION) == ["Reward hacking"]
    assert titles(results, Kind.PAPER) == ["Reward hacking in the wild"]
    assert titles(results, Kind.PERSON) == ["Reward Hacking Fan"]
    # Title first; then the talk the words reach through its presenter and paper.
    assert titles(results, Kind.TALK) == [
        "Reward hacking, measured",
        "What goes wrong with rewards",
    ]
    assert [hit.tier for hit in results.ranked(Kind.TALK)] == [3, 2]


def test_drafts_rows_are_candidates_only_for_pickers():
    series = make_series()
    make_session(
        series,
        number=1,
        title="Unreleased scaling laws",
        starts_at=START,
        status=Session.Status.DRAFT,
    )
    assert titles(index.search("scaling laws"), Kind.SESSION) == []
    assert titles(index.search("scaling laws", public_only=False), Kind.SESSION) == [
        "Unreleased scaling laws"
    ]


def test_keyword_facets_count_each_session_as_often_as_it_was_found():
    series = make_series()
    busy = make_session(
        series, number=1, title="Tokenizers", starts_at=START, keywords=["分词", "多语言"]
    )
    make_talk(busy, "Tokenizers for Chinese")
    make_talk(busy, "Tokenizers for code")
    quiet = make_session(
        series, number=2, title="Tokenizers again", starts_at=START, keywords=["多语言"]
    )
    assert quiet.pk
    facets = index.facets(index.search("tokenizers"))
    # 多语言: the busy session's row and two talks, and the quiet session's row.
    assert [(name, count) for _slug, name, count in facets["keyword"]] == [
        ("多语言", 4),
        ("分词", 3),
    ]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's FTS5 tables")
def test_sqlite_numbers_each_kinds_rows_by_recency():
    series = make_series()
    session = make_session(series, number=1, title="Kernel fusion", starts_at=START)
    make_talk(session, "Kernel fusion on GPUs")
    with connection.cursor() as cursor:
        cursor.execute("SELECT rowid FROM search_fts_talk WHERE search_fts_talk MATCH 'kernel'")
        (key,) = cursor.fetchone()
    row = SearchDocument.objects.get(kind=Kind.TALK)
    minutes = int(row.sort_date.timestamp()) // 60
    assert key == minutes * 2**36 + row.id
    assert timezone.is_aware(row.sort_date)


def test_a_common_term_walks_the_newest_rows_and_finds_the_same(monkeypatch):
    # More matches among the newest rows than the probe's threshold: on PostgreSQL
    # the newest-first walk answers, and must give what the index would.
    series = make_series()
    for number in range(1, 41):
        session = make_session(series, number=number, title=f"Common ground {number}")
        Session.objects.filter(pk=session.pk).update(starts_at=START - timedelta(days=number))
        session.refresh_from_db()
        session.title = f"Common ground, {number} days before"
        session.save()
    assert index.Postgres.COMMON < 40
    monkeypatch.setattr(index, "CAP", 3)
    results = index.search("common ground")
    assert titles(results, Kind.SESSION) == [
        "Common ground, 1 days before",
        "Common ground, 2 days before",
        "Common ground, 3 days before",
    ]
    assert results.capped(Kind.SESSION)
