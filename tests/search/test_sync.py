"""The index follows every way the archive changes: the writers (importers, demo),
the workspace, the admin and deletes; and the rebuild command."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from papers.models import Paper
from papers.writers import write_paper
from search.models import SearchDocument
from search.query import search
from sessions import writers
from sessions.models import Keyword, Session, Talk
from tests.factories import (
    SHANGHAI,
    add_session_presenter,
    make_paper,
    make_person,
    make_series,
    make_session,
    make_talk,
)

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def found(query: str, kind: str) -> list[str]:
    """Titles of the public results of one kind, best first."""
    ids = [hit.object_id for hit in search(query).ranked(kind)]
    titles = dict(
        SearchDocument.objects.filter(kind=kind, object_id__in=ids).values_list(
            "object_id", "title"
        )
    )
    return [titles[pk] for pk in ids]


def index_snapshot() -> list[tuple]:
    return list(
        SearchDocument.objects.order_by("kind", "object_id").values_list(
            "kind",
            "object_id",
            "public",
            "title",
            "body",
            "tokens_a",
            "tokens_b",
            "tokens_c",
            "vector",
        )
    )


@pytest.fixture
def organizer(client):
    series = make_series()
    user = User.objects.create_user("organizer")
    series.organizers.add(user)
    client.force_login(user)
    return series


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("admin", "admin@example.org", "x"))
    return client


# ---------------------------------------------------------------- the writers


def test_the_writers_index_what_they_write_in_one_go():
    series, _ = writers.write_series("nice", name="NICE")
    session, _ = writers.write_session(
        series, 3, {"title": "视觉幻觉", "starts_at": datetime(2025, 3, 1, 19, tzinfo=SHANGHAI)}
    )
    paper, _ = write_paper({"title": "POPE benchmark", "arxiv_id": "2305.10355v3"})
    tomas, _ = writers.write_person("Tomás Ferreira", affiliation="清华大学")
    writers.write_talks(
        session,
        [writers.TalkValues("Object hallucination", paper=paper, presenters=[(tomas, "")])],
    )
    writers.write_session_keywords(session, [writers.write_keyword("多模态")])
    assert found("tomas", "person") == ["Tomás Ferreira"]
    assert found("Tomas", "talk") == ["Object hallucination"]
    assert found("2305.10355", "paper") == ["POPE benchmark"]
    assert found("清华", "talk") == ["Object hallucination"]  # the affiliation
    assert found("多模态", "talk") == ["Object hallucination"]  # the session's keyword
    assert found("hallucination", "session") == ["视觉幻觉"]  # its talks' titles
    writers.write_person("Tomás Ferreira", note="知乎：tf")
    assert found("知乎", "person") == ["Tomás Ferreira"]


def test_a_draft_written_by_an_importer_is_indexed_but_never_public():
    series = make_series()
    session, _ = writers.write_session(
        series,
        9,
        {"title": "秘密草稿", "starts_at": datetime(2025, 3, 1, tzinfo=SHANGHAI)},
        status_if_new="draft",
    )
    writers.append_talk(session, title="Secret talk")
    assert SearchDocument.objects.filter(kind="session", object_id=session.pk, public=False)
    assert found("秘密", "session") == found("secret", "talk") == []


def test_paper_lists_tag_papers_and_add_talks():
    session = make_session(make_series(), number=1)
    paper = make_paper("Diffusion Policy")
    writers.tag_papers([paper], ["机器人"])
    writers.add_papers_as_talks([paper], session)
    assert found("机器人", "paper") == ["Diffusion Policy"]
    assert found("diffusion", "talk") == ["Diffusion Policy"]


# ---------------------------------------------------------------- the workspace


def test_publishing_unpublishing_and_cancelling_in_the_workspace(client, organizer):
    session = make_session(organizer, number=47, title="多模态草稿", status="draft")
    person = make_person("只在草稿里的人")
    paper = make_paper("Draft-only paper")
    make_talk(session, "Draft talk", presenters=[person], paper=paper)

    def act(action):
        version = Session.objects.get(pk=session.pk).version
        client.post("/manage/nice/47/status/", {"action": action, "version": version})

    assert found("多模态", "session") == found("只在", "person") == found("draft", "paper") == []
    act("publish")
    assert found("多模态", "session") == ["多模态草稿"]
    assert found("只在", "person") == ["只在草稿里的人"]
    assert found("draft", "paper") == ["Draft-only paper"]
    assert found("draft", "talk") == ["Draft talk"]
    act("unpublish")
    assert found("多模态", "session") == found("只在", "person") == found("draft", "talk") == []
    act("publish")
    act("cancel")  # cancelled sessions stay in the public archive
    assert found("多模态", "session") == ["多模态草稿"]


def test_editing_deleting_and_presenters_in_the_workspace(client, organizer):
    session = make_session(organizer, number=47, title="第47期")
    talk = make_talk(session, "原题目")
    version = Session.objects.get(pk=session.pk).version
    prefix = f"talk-{talk.pk}"
    client.post(
        f"/manage/nice/47/talks/{talk.pk}/",
        {f"{prefix}-version": version, f"{prefix}-title": "新题目 transformers"},
        headers=HTMX,
    )
    assert found("transformers", "talk") == ["新题目 transformers"]
    assert found("transformers", "session") == ["第47期"]  # its talks' titles
    client.post(f"/manage/nice/47/talks/{talk.pk}/presenters/", {"name": "黎健进"}, headers=HTMX)
    assert found("健进", "talk") == ["新题目 transformers"]
    assert found("健进", "person") == ["黎健进"]
    person = Talk.objects.get(pk=talk.pk).presenters.get()
    client.post(f"/manage/nice/47/talks/{talk.pk}/presenters/{person.pk}/delete/", headers=HTMX)
    assert found("健进", "talk") == []
    client.post(f"/manage/nice/47/talks/{talk.pk}/delete/", headers=HTMX)
    assert not Talk.objects.filter(pk=talk.pk).exists()
    assert found("transformers", "talk") == found("transformers", "session") == []


def test_deleting_a_draft_removes_its_rows(client, organizer):
    session = make_session(organizer, number=47, title="Draft", status="draft")
    talk = make_talk(session, "Draft talk")
    client.post("/manage/nice/47/delete/")
    assert not Session.objects.filter(pk=session.pk).exists()
    assert not SearchDocument.objects.filter(kind="session", object_id=session.pk).exists()
    assert not SearchDocument.objects.filter(kind="talk", object_id=talk.pk).exists()


# ---------------------------------------------------------------- the admin and the shell


def test_admin_saves_of_sessions_people_and_papers(admin_client):
    series = make_series()
    data = {
        "series": series.pk,
        "number": 7,
        "title": "海报测试",
        "status": "published",
        "starts_at": "2025-03-15T19:00",
        "session_presenters-TOTAL_FORMS": 0,
        "session_presenters-INITIAL_FORMS": 0,
        "talks-TOTAL_FORMS": 0,
        "talks-INITIAL_FORMS": 0,
    }
    admin_client.post("/admin/nice_sessions/session/add/", data)
    assert found("海报", "session") == ["海报测试"]
    session = Session.objects.get()
    admin_client.post(
        f"/admin/nice_sessions/session/{session.pk}/change/", data | {"status": "draft"}
    )
    assert found("海报", "session") == []
    paper = make_paper("Old title")
    response = admin_client.post(
        f"/admin/papers/paper/{paper.pk}/change/", {"title": "New title", "authors": "Zhou Yu"}
    )
    assert response.status_code == 302
    assert found("zhou", "paper") == ["New title"]
    person = make_person("Ada")
    admin_client.post(
        f"/admin/nice_sessions/person/{person.pk}/change/",
        {"name": "Ada Lovelace", "slug": person.slug},
    )
    assert found("lovelace", "person") == ["Ada Lovelace"]
    admin_client.post(f"/admin/papers/paper/{paper.pk}/delete/", {"post": "yes"})
    assert not Paper.objects.exists()
    assert found("zhou", "paper") == []


def test_renaming_a_person_a_series_or_a_keyword_reaches_every_row_that_shows_it():
    series = make_series()
    session = make_session(series, number=1, keywords=["旧关键词"])
    person = make_person("Old Name")
    add_session_presenter(session, person)
    make_talk(session, "A talk", presenters=[person])
    person.name = "Grace Hopper"
    person.save()
    assert found("hopper", "talk") == ["A talk"]
    assert found("hopper", "session") == ["Session 1"]
    series.name = "Reading group"
    series.save()
    assert found("reading", "session") == ["Session 1"]
    keyword = Keyword.objects.get()
    keyword.name = "新关键词"
    keyword.save()
    assert found("新关键词", "talk") == ["A talk"]
    keyword.sessions.clear()
    assert found("新关键词", "talk") == []
    session.keywords.add(keyword)
    assert found("新关键词", "session") == ["Session 1"]
    session.keywords.remove(keyword)
    assert found("新关键词", "session") == []


def test_a_paper_taken_off_its_only_talk_is_a_library_paper_again():
    draft = make_session(make_series(), number=1, status="draft")
    paper = make_paper("Hidden paper")
    talk = make_talk(draft, "Draft talk", paper=paper)
    assert found("hidden", "paper") == []
    talk = Talk.objects.get(pk=talk.pk)
    talk.paper = None
    talk.save()
    assert found("hidden", "paper") == ["Hidden paper"]  # presented nowhere: visible


# ---------------------------------------------------------------- rebuilding


def test_rebuilding_is_idempotent_and_repairs_what_went_behind_its_back(demo):
    before = index_snapshot()
    assert len(before) > 100
    SearchDocument.objects.filter(kind="talk").delete()
    Session.objects.filter(number=1).update(title="Changed behind the index's back")
    SearchDocument.objects.create(
        kind="person",
        object_id=999_999,
        url="/",
        title="Ghost",
        sort_date=datetime(2020, 1, 1, tzinfo=SHANGHAI),
    )
    call_command("rebuild_search_index", verbosity=0)
    after = index_snapshot()
    call_command("rebuild_search_index", verbosity=0)
    assert index_snapshot() == after
    assert found("behind", "session") == ["Changed behind the index's back"]
    assert found("ghost", "person") == []
    assert len(after) == len(before)
