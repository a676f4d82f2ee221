"""The one writer per entity: in-place updates that never lose an organizer's work."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from papers.models import Paper
from papers.writers import PaperIndex, write_paper, write_papers
from search import sync as search_index
from sessions.models import Person
from sessions.writers import (
    TalkValues,
    place_talks,
    write_keyword,
    write_person,
    write_talks,
)
from tests.factories import make_paper, make_person, make_series, make_session, make_talk

pytestmark = pytest.mark.django_db


@pytest.fixture
def session():
    return make_session(make_series(), number=1)


def test_a_talk_inserted_at_the_top_takes_nobody_elses_slides(session):
    a = make_talk(session, "A", order=1, slides_url="https://example.org/a.pdf")
    b = make_talk(session, "B", order=2, slides_url="https://example.org/b.pdf")
    changes = write_talks(session, [TalkValues("C"), TalkValues("A"), TalkValues("B")])
    c, a_again, b_again = changes.talks
    assert (a_again.pk, b_again.pk) == (a.pk, b.pk)
    assert (c.title, c.slides_url, c.order) == ("C", "", 1)
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.slides_url, a.order, b.slides_url, b.order) == (
        "https://example.org/a.pdf",
        2,
        "https://example.org/b.pdf",
        3,
    )
    assert (changes.created, changes.updated, changes.kept) == (1, 2, [])


def test_a_retitled_talk_without_a_paper_keeps_its_place_and_recording(session):
    talk = make_talk(session, "Old title", order=1, recording_url="https://example.org/r")
    (updated,) = write_talks(session, [TalkValues("New title")]).talks
    assert updated.pk == talk.pk
    talk.refresh_from_db()
    assert (talk.title, talk.recording_url) == ("New title", "https://example.org/r")


def test_titles_match_however_they_are_spaced_or_cased(session):
    talk = make_talk(session, "Hello world", order=2)
    make_talk(session, "Other", order=1)
    changes = write_talks(session, [TalkValues("Other"), TalkValues("hello\n  WORLD")])
    assert changes.talks[1].pk == talk.pk


def test_what_the_archive_leaves_out_stays(session):
    paper = make_paper("Linked in the workspace", arxiv_id="2501.00001")
    talk = make_talk(session, "T", paper=paper, summary="Written by an organizer", tags="Oral")
    write_talks(session, [TalkValues("T")])
    talk.refresh_from_db()
    assert (talk.paper, talk.summary, talk.tags) == (paper, "Written by an organizer", "Oral")


def test_presenters_are_added_never_removed(session):
    guest = make_person("Guest")
    talk = make_talk(session, "T", presenters=[guest])
    speaker = make_person("Speaker")
    write_talks(session, [TalkValues("T", presenters=[(speaker, "Lab")])])
    assert sorted(p.name for p in talk.presenters.all()) == ["Guest", "Speaker"]


def test_a_person_is_found_without_accents_case_or_full_width(db):
    tomas = make_person("Tomás Ferreira")
    assert write_person("TOMAS  ferreira")[0] == tomas
    assert write_person("Ｔｏｍáｓ Ferreira")[0] == tomas
    assert Person.objects.count() == 1


def test_a_slug_names_one_person_so_namesakes_stay_apart(db):
    first = make_person("张伟", slug="zhang-wei")
    second, outcome = write_person("张伟", slug="zhang-wei-2")
    assert second != first and second.slug == "zhang-wei-2" and outcome == "created"
    assert write_person("张伟", slug="zhang-wei")[0] == first


def test_keywords_are_one_whatever_the_case(db):
    assert write_keyword("LLM") == write_keyword("llm")


def test_a_start_moved_past_the_old_end_drops_the_end_the_archive_no_longer_gives(session):
    from datetime import timedelta

    from sessions.writers import write_session

    session.ends_at = session.starts_at + timedelta(hours=2)
    session.save()
    later = session.starts_at + timedelta(days=1)
    moved, outcome = write_session(session.series, 1, {"starts_at": later, "ends_at": None})
    assert (outcome, moved.starts_at, moved.ends_at) == ("updated", later, None)


def test_a_paper_the_archive_names_is_linked_in_place(session):
    talk = make_talk(session, "T")
    paper = make_paper("Now with a paper", arxiv_id="2501.00002")
    changes = write_talks(session, [TalkValues("T", paper=paper)])
    assert (changes.talks[0].pk, changes.updated) == (talk.pk, 1)
    talk.refresh_from_db()
    assert talk.paper == paper


def test_two_talks_can_never_share_a_place(session):
    make_talk(session, "A", order=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_talk(session, "B", order=1)


def test_talks_swap_places_without_ever_sharing_one(session):
    a, b, c = (make_talk(session, title, order=order) for order, title in enumerate("ABC", 1))
    moved = place_talks([a, b, c], {a.pk: 3, c.pk: 1})
    assert {talk.title for talk in moved} == {"A", "C"}
    assert list(session.talks.values_list("title", "order")) == [("C", 1), ("B", 2), ("A", 3)]
    assert place_talks(list(session.talks.all()), {a.pk: 3}) == []  # already there


def test_an_import_puts_talks_it_no_longer_has_after_its_own(session):
    old = make_talk(session, "Old", order=1)
    make_talk(session, "A", order=2)
    changes = write_talks(session, [TalkValues("A"), TalkValues("New")])
    assert changes.kept == [old]
    assert list(session.talks.values_list("title", "order")) == [("A", 1), ("New", 2), ("Old", 3)]
    assert changes.updated == 1  # A moved up


def test_many_papers_are_found_as_one_would_be_and_the_new_ones_made_at_once():
    by_arxiv = make_paper("Old title", arxiv_id="2401.00001")
    by_doi = make_paper("A DOI paper", doi="10.1145/3292500")
    by_title = make_paper("Attention Is All You Need")
    index = PaperIndex()
    # (The search rows are written when the block ends, after the count.)
    with search_index.deferred(), CaptureQueriesContext(connection) as queries:
        written = write_papers(
            [
                {"title": "New title", "arxiv_id": "https://arxiv.org/abs/2401.00001v3"},
                {"title": "Whatever", "doi": "https://doi.org/10.1145/3292500"},
                {"title": "ATTENTION is all you need", "venue": "NeurIPS 2017"},
                {"title": "Brand new", "arxiv_id": "2402.00002"},
                {"title": "brand NEW"},  # the paper just above, by its title
            ],
            overwrite=False,
            index=index,
        )
    papers = [paper for paper, _outcome in written]
    assert papers[:3] == [by_arxiv, by_doi, by_title]
    assert papers[3] is papers[4] and papers[3].pk is not None
    assert [outcome for _paper, outcome in written] == [
        "unchanged",
        "unchanged",
        "updated",
        "created",
        "created",
    ]
    assert Paper.objects.get(pk=by_title.pk).venue == "NeurIPS 2017"
    # Found by arXiv ids, then DOIs, then the titles still unfound: three reads; the
    # new paper inserted in one statement, the one that gained a venue updated.
    paper_statements = [
        q["sql"] for q in queries if '"papers_paper"' in q["sql"].split(" WHERE ")[0]
    ]
    assert [sql.split(" ")[0] for sql in paper_statements] == ["SELECT"] * 3 + ["UPDATE", "INSERT"]
    # The index remembers: asking again reads nothing.
    with CaptureQueriesContext(connection) as queries:
        again = write_papers([{"title": "Brand new"}, {"arxiv_id": "2401.00001"}], index=index)
    assert [paper for paper, _outcome in again] == [papers[3], by_arxiv]
    assert not [q for q in queries if '"papers_paper"' in q["sql"]]
    assert write_paper({"title": "brand new"})[0] == papers[3]


def test_a_title_cased_outside_ascii_is_compared_by_the_database():
    paper = make_paper("Études de cas")
    assert write_papers([{"title": "Études de cas"}])[0] == (paper, "unchanged")
