"""The public page cache (nice.pagecache): what it keeps, what it never keeps, and
that every kind of write makes every public URL fresh on the next request."""

from __future__ import annotations

import gzip
import re
from datetime import timedelta

import brotli
import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from nice import pagecache
from papers.writers import write_paper
from sessions import writers
from sessions.models import Keyword, Session
from tests.factories import (
    add_session_presenter,
    days_from_now,
    make_paper,
    make_person,
    make_series,
    make_session,
    make_talk,
)
from tests.sessions.test_visibility import LISTS, NOTHING_OF_IT, ONE_THING


def queries_for(client, url: str, **headers) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, headers=headers)
    return len(context), response


@pytest.fixture
def session(db):
    series = make_series()
    session = make_session(series, number=1, title="多模态论文分享", starts_at=days_from_now(3))
    make_talk(session, "Attention Is All You Need", presenters=[make_person("Ashish")])
    return session


def test_a_public_page_is_served_again_without_a_query(client, session):
    first = client.get("/nice/1/")
    count, again = queries_for(client, "/nice/1/")
    assert count == 0
    assert again.content == first.content
    assert "多模态论文分享" in again.content.decode()


def test_it_answers_304_to_a_browser_that_has_the_page(client, session):
    first = client.get("/nice/")
    assert first["ETag"].startswith('W/"')
    assert first["Last-Modified"]
    assert "max-age=0" in first["Cache-Control"] and "public" in first["Cache-Control"]
    assert "s-maxage=60" in first["Cache-Control"] and "stale-if-error" in first["Cache-Control"]
    count, again = queries_for(client, "/nice/", **{"If-None-Match": first["ETag"]})
    assert (again.status_code, again.content, count) == (304, b"", 0)
    changed = client.get("/nice/", headers={"If-None-Match": 'W/"something-else"'})
    assert changed.status_code == 200


def test_it_compresses_public_pages_with_brotli_or_gzip_as_the_client_accepts(client, session):
    plain = client.get("/nice/1/")
    packed = client.get("/nice/1/", headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert packed["Content-Encoding"] == "br"
    assert "Accept-Encoding" in packed["Vary"]
    assert brotli.decompress(packed.content) == plain.content
    assert int(packed["Content-Length"]) == len(packed.content)
    zipped = client.get("/nice/1/", headers={"Accept-Encoding": "gzip, br;q=0"})
    assert zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == plain.content
    assert len(packed.content) < len(zipped.content) < len(plain.content) / 2
    assert zipped["ETag"] == packed["ETag"] == plain["ETag"]  # one page, three encodings
    assert "Content-Encoding" not in client.get("/nice/1/", headers={"Accept-Encoding": "zstd"})
    api = client.get("/api/v1/series/nice/sessions", headers={"Accept-Encoding": "gzip"})
    assert api["Content-Encoding"] == "gzip"
    assert b"Attention Is All You Need" in gzip.decompress(api.content)


@pytest.mark.parametrize("page_cache_seconds", [600, 0])
def test_with_or_without_the_page_cache_a_page_is_compressed_as_asked(
    client, session, settings, page_cache_seconds
):
    """With the cache off nothing is kept, and only the encoding asked for is made;
    the answer is the same page either way, with the same headers."""
    settings.PAGE_CACHE_SECONDS = page_cache_seconds
    plain = client.get("/nice/1/")
    assert "Accept-Encoding" in plain["Vary"] and "Content-Encoding" not in plain
    for accepted, decompress in (("br", brotli.decompress), ("gzip", gzip.decompress)):
        packed = client.get("/nice/1/", headers={"Accept-Encoding": accepted})
        assert packed["Content-Encoding"] == accepted
        assert decompress(packed.content) == plain.content
        assert packed["ETag"] == plain["ETag"] and "Accept-Encoding" in packed["Vary"]
    count, again = queries_for(client, "/nice/1/", **{"If-None-Match": plain["ETag"]})
    assert again.status_code == 304
    assert (count == 0) is bool(page_cache_seconds)  # rendered again when not kept


def test_pages_of_signed_in_people_are_never_cached_nor_compressed(client, session):
    organizer = User.objects.create_user("organizer")
    session.series.organizers.add(organizer)
    client.get("/nice/1/")  # the public page is cached
    client.force_login(organizer)
    response = client.get("/nice/1/", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in response
    assert "private" in response["Cache-Control"]
    assert 'hx-headers=\'{"x-csrftoken"' in response.content.decode()
    count, _ = queries_for(client, "/nice/1/")
    assert count > 0


def test_a_draft_seen_by_its_organizer_never_reaches_the_public(client, session):
    Session.objects.filter(pk=session.pk).update(status=Session.Status.DRAFT)
    organizer = User.objects.create_user("organizer")
    session.series.organizers.add(organizer)
    client.force_login(organizer)
    assert "多模态论文分享" in client.get("/nice/1/").content.decode()
    client.logout()
    assert client.get("/nice/1/").status_code == 404


def test_a_page_that_used_a_csrf_token_is_not_cached(client, db):
    first = client.get("/accounts/login/")
    assert "csrfmiddlewaretoken" in first.content.decode()
    assert "ETag" not in first and "Content-Encoding" not in first
    # A token is masked afresh for every response: the same bytes would mean a cached page.
    assert client.get("/accounts/login/").content != first.content


def test_a_visitor_with_a_pending_message_gets_a_fresh_page(client, session):
    client.get("/nice/1/")
    client.cookies["messages"] = "something"
    count, _ = queries_for(client, "/nice/1/")
    assert count > 0


def test_htmx_fragments_and_languages_are_kept_apart(client, session):
    full = client.get("/nice/").content.decode()
    fragment = client.get("/nice/", headers={"HX-Request": "true"}).content.decode()
    assert "<html" in full and "<html" not in fragment
    client.cookies["django_language"] = "en"
    english = client.get("/nice/").content.decode()
    assert english != full and 'lang="en"' in english


def test_when_a_session_starts_the_pages_change_without_a_write(client, session, monkeypatch):
    """What is coming and what is past changes with the clock: the version does too."""
    soon = Session.objects.create(
        series=session.series,
        number=2,
        title="快开始了",
        starts_at=timezone.now() + timedelta(hours=1),
        status=Session.Status.PUBLISHED,
    )
    make_talk(soon, "A talk")
    home = client.get("/").content.decode()
    assert "快开始了" in home
    assert pagecache.current_version().next_change_at == soon.starts_at
    later = timezone.now() + timedelta(hours=3)
    monkeypatch.setattr(timezone, "now", lambda: later)
    count, _ = queries_for(client, "/")
    assert count > 0  # rendered again, not the page of an hour ago
    assert pagecache.current_version().next_change_at == session.starts_at


# ------------------------------------------------------------------ exact invalidation

MARK = "Qzxjv"  # written by each change below, and found nowhere before it


def _url_cases(ids: dict) -> list[str]:
    return [url.format(**ids) for url in [*ONE_THING.values(), *LISTS.values()]] + [
        *NOTHING_OF_IT.values(),
        f"/search/?q={MARK.lower()}",
        "/nice/?year=2030",
        "/nice/?page=2",
    ]


@pytest.fixture
def world(transactional_db):
    """The visibility matrix's world, committed for real (on_commit runs)."""
    series = make_series()
    session = make_session(
        series, number=1, title="Zyxwvut session", starts_at=days_from_now(10), keywords=["kw"]
    )
    person = make_person("Zyxwvut Person")
    add_session_presenter(session, person)
    paper = make_paper("Zyxwvut paper", arxiv_id="2501.99999", venue="ICLR 2025", year=2025)
    talk = make_talk(session, "Zyxwvut talk", presenters=[person], paper=paper)
    make_talk(session, "Second talk")
    organizer = User.objects.create_user("organizer", is_staff=True, is_superuser=True)
    series.organizers.add(organizer)
    return {
        "series": series,
        "session": session,
        "talk": talk,
        "person": person,
        "paper": paper,
        "organizer": organizer,
        "ids": {"paper": paper.pk, "person": person.slug, "keyword": "kw"},
    }


def _as_organizer(client, world):
    client.force_login(world["organizer"])
    return client


def _version(world) -> int:
    return Session.objects.get(pk=world["session"].pk).version


def _session_form(world, **changes) -> dict:
    session = Session.objects.get(pk=world["session"].pk)
    local = session.local_starts_at.strftime("%Y-%m-%dT%H:%M")
    return {
        "number": 1,
        "title": session.title,
        "starts_at": local,
        "version": session.version,
        **changes,
    }


def _rename_keyword(old: str, new: str) -> None:
    keyword = Keyword.objects.get(name=old)
    keyword.name = new
    keyword.save()


# Each kind of write, as the app does it: the writers (importers, demo, JSON restore),
# the workspace's views and the admin.
CHANGES = {
    "series renamed (writer)": lambda c, w: writers.write_series("nice", name=f"{MARK} series"),
    "session retitled (writer)": lambda c, w: writers.write_session(
        w["series"], 1, {"title": f"{MARK} session"}
    ),
    "talks rewritten (writer)": lambda c, w: writers.write_talks(
        w["session"],
        [writers.TalkValues(title=f"{MARK} talk"), writers.TalkValues(title="Second talk")],
    ),
    "talk appended (writer)": lambda c, w: writers.append_talk(w["session"], title=f"{MARK} talk"),
    "presenter added (writer)": lambda c, w: writers.add_presenter(
        w["talk"], writers.write_person(f"{MARK} Person")[0]
    ),
    "session presenters (writer)": lambda c, w: writers.write_session_presenters(
        w["session"], [(writers.write_person(f"{MARK} Host")[0], "")]
    ),
    "keywords (writer)": lambda c, w: writers.write_session_keywords(
        w["session"], [writers.write_keyword(f"{MARK}kw")]
    ),
    "paper retitled (writer)": lambda c, w: write_paper(
        {"arxiv_id": "2501.99999", "title": f"{MARK} paper"}
    ),
    "session edited (workspace)": lambda c, w: _as_organizer(c, w).post(
        "/manage/nice/1/", _session_form(w, title=f"{MARK} session")
    ),
    "unpublished (workspace)": lambda c, w: _as_organizer(c, w).post(
        "/manage/nice/1/status/", {"action": "unpublish", "version": _version(w)}
    ),
    "cancelled (workspace)": lambda c, w: _as_organizer(c, w).post(
        "/manage/nice/1/status/", {"action": "cancel", "version": _version(w)}
    ),
    "talk added (workspace)": lambda c, w: _as_organizer(c, w).post(
        "/manage/nice/1/talks/", {"reference": f"{MARK} talk"}
    ),
    "talks reordered (workspace)": lambda c, w: _as_organizer(c, w).post(
        f"/manage/nice/1/talks/{w['talk'].pk}/move/", {"direction": "down"}
    ),
    "talk removed (workspace)": lambda c, w: _as_organizer(c, w).post(
        f"/manage/nice/1/talks/{w['talk'].pk}/delete/"
    ),
    "presenter removed (workspace)": lambda c, w: _as_organizer(c, w).post(
        f"/manage/nice/1/talks/{w['talk'].pk}/presenters/{w['person'].pk}/delete/"
    ),
    "person renamed (admin)": lambda c, w: _as_organizer(c, w).post(
        f"/admin/nice_sessions/person/{w['person'].pk}/change/",
        {"name": f"{MARK} Person", "slug": w["person"].slug},
    ),
    "keyword renamed (ORM)": lambda c, w: _rename_keyword("kw", f"{MARK}kw"),
}

# Parts of a response that differ between two renders of the same data (a form's
# CSRF token: pages with forms are never cached, and differ per render).
VOLATILE = re.compile(
    rb'name="csrfmiddlewaretoken" value="[^"]*"|'
    rb"DTSTAMP:\S+|<updated>[^<]*</updated>|<lastBuildDate>[^<]*</lastBuildDate>|/CreationDate \(D:[^)]*\)|/ID \[<[0-9a-f]+> <[0-9a-f]+>\]"
)


def _anonymous_get(client, url: str) -> bytes:
    client.logout()
    response = client.get(url)
    if response.status_code != 200:
        return b"%d" % response.status_code
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return VOLATILE.sub(b"", body)


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_every_kind_of_write_makes_every_public_url_fresh(client, world, change):
    urls = _url_cases(world["ids"])
    before = {url: _anonymous_get(client, url) for url in urls}  # all cached now
    assert not any(MARK.encode() in body for body in before.values())
    count, _ = queries_for(client, "/nice/1/")
    assert count == 0  # served from the cache

    response = CHANGES[change](client, world)
    if hasattr(response, "status_code"):
        assert response.status_code < 400, response.content[:500]

    served = {url: _anonymous_get(client, url) for url in urls}
    cache.clear()
    rendered = {url: _anonymous_get(client, url) for url in urls}
    stale = [url for url in urls if served[url] != rendered[url]]
    assert stale == []
    assert served != before  # the change showed somewhere


def _page(size: int) -> pagecache.CachedPage:
    return pagecache.CachedPage(
        status=200, content=b"x" * size, headers=[], etag='W/"x"', last_modified=timezone.now()
    )


def test_the_process_keeps_the_pages_it_served_lately_within_its_budget():
    recent = pagecache.RecentPages(budget=1000)
    recent.add("a", _page(400))
    recent.add("b", _page(400))
    assert recent.get("a") is not None  # now the newest
    recent.add("c", _page(400))  # over budget: the oldest, b, goes
    assert recent.get("b") is None
    assert recent.get("a") is not None and recent.get("c") is not None
    assert recent.size == 800
    recent.add("huge", _page(5000))  # bigger than the budget: not kept, nothing evicted
    assert recent.get("huge") is None and recent.size == 800


def test_a_write_is_seen_at_once_though_the_process_kept_the_old_page(client, session):
    before = client.get("/nice/1/").content.decode()
    assert client.get("/nice/1/").content.decode() == before  # from this process's copy
    session.title = "A new title"
    session.save()
    assert "A new title" in client.get("/nice/1/").content.decode()
