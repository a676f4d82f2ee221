"""Who sees what, as a matrix: every public URL × every kind of visitor × every status.

The rule (Session.objects.visible_to and the querysets built on it): a draft,
and whatever exists only in a draft (its paper, presenter, keyword), is seen
by the organizers of its series and by admins, on the pages of one thing;
lists, feeds, calendars, exports and the API list show what the public sees,
to everybody. The URL names come from the URLconf, so a new public URL
without a case here fails test_every_public_url_has_a_case.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import get_resolver

from sessions.models import Series
from tests.factories import (
    add_session_presenter,
    days_from_now,
    make_paper,
    make_person,
    make_series,
    make_session,
    make_talk,
)

pytestmark = pytest.mark.django_db

SECRET = "Zyxwvut"  # in every title of the session's world, and nowhere else

ROLES = ["anonymous", "attendee", "organizer of another series", "organizer", "admin"]
STATUSES = ["draft", "published", "cancelled"]

# Pages of one thing: 200 for who may see it, 404 for everyone else.
ONE_THING = {
    "session": "/nice/1/",
    "session-qr": "/nice/1/qr.svg",
    "session-card": "/nice/1/card.png",
    "session-calendar": "/nice/1/calendar.ics",
    "session-bibtex": "/nice/1/papers.bib",
    "session-poster": "/nice/1/poster.pdf",
    "paper": "/papers/{paper}/",
    "person": "/people/{person}/",
    "keyword": "/keywords/{keyword}/",
    "keyword-atom": "/keywords/{keyword}/feed/atom/",
    "keyword-rss": "/keywords/{keyword}/feed/rss/",
    "api-session-detail": "/api/v1/series/nice/sessions/1",
    "session-rsvp": "/nice/1/rsvp/",
    "session-subscribe": "/nice/1/subscribe/",
}
# Lists: 200 for everybody, and the session's world appears only when it is public.
LISTS = {
    "home": "/",
    "search": f"/search/?q={SECRET.lower()}",  # the box echoes it in lower case
    "search-suggest": f"/search/suggest/?q={SECRET.lower()}",
    "api-search": f"/api/v1/search?q={SECRET.lower()}",
    "series": "/nice/",
    "series-calendar": "/nice/calendar.ics",
    "series-atom": "/nice/feed/atom/",
    "series-rss": "/nice/feed/rss/",
    "series-bibtex": "/nice/papers.bib",
    "series-talks-csv": "/nice/talks.csv",
    "api-session-list": "/api/v1/series/nice/sessions",
    "series-embed": "/nice/embed/",
    "api-upcoming": "/api/v1/series/nice/upcoming",
}
# Pages that show nothing of a session: the same for everybody.
NOTHING_OF_IT = {
    "series-next": "/nice/next/",  # there is no coming session, so: the archive
    "series-calendar-qr": "/nice/calendar-qr.svg",
    "api-series-list": "/api/v1/series",
    "api-openapi": "/api/openapi.json",
    "opensearch": "/search/opensearch.xml",
    "series-subscribe": "/nice/subscribe/",
}
# Links from mails, opened by their secret alone: an unknown one is 404 for everybody.
SECRET_LINKS = {
    "subscription-confirm": "/mail/confirm/unknown/",
    "unsubscribe": "/mail/unsubscribe/unknown/",
    "rsvp-detail": "/rsvp/unknown/",
    "rsvp-cancel": "/rsvp/unknown/cancel/",
}


def public_url_names() -> set[str]:
    resolver = get_resolver()
    names = set()
    for pattern in resolver.url_patterns:
        if getattr(pattern, "namespace", None) == "sessions":
            names |= {name for name in pattern.reverse_dict if isinstance(name, str)}
    return {name for name in names if not name.startswith("manage-")}


def test_every_public_url_has_a_case():
    assert public_url_names() == (
        set(ONE_THING) | set(LISTS) | set(NOTHING_OF_IT) | set(SECRET_LINKS)
    )


@pytest.fixture
def world():
    nice = make_series()
    other = make_series(slug="other", name="Other")
    organizer = User.objects.create_user("organizer")
    other_organizer = User.objects.create_user("other-organizer")
    nice.organizers.add(organizer)
    other.organizers.add(other_organizer)
    session = make_session(
        nice,
        number=1,
        title=f"{SECRET} session",
        starts_at=days_from_now(10),  # within the calendar feed's window
        keywords=[f"{SECRET}kw"],
    )
    person = make_person(f"{SECRET} Person")
    add_session_presenter(session, person)
    paper = make_paper(f"{SECRET} paper", arxiv_id="2501.99999", venue="ICLR 2025", year=2025)
    make_talk(session, f"{SECRET} talk", presenters=[person], paper=paper)
    return {
        "session": session,
        "users": {
            "anonymous": None,
            "attendee": User.objects.create_user("attendee"),
            "organizer of another series": other_organizer,
            "organizer": organizer,
            "admin": User.objects.create_user("admin", is_staff=True),
        },
        "ids": {"paper": paper.pk, "person": person.slug, "keyword": f"{SECRET.lower()}kw"},
    }


def visit(client, world, role: str, status: str, url: str):
    session = world["session"]
    session.status = status
    session.save(update_fields=["status"])  # as the workspace does: the search index follows
    user = world["users"][role]
    if user:
        client.force_login(user)
    return client.get(url.format(**world["ids"]))


def may_see(role: str, status: str) -> bool:
    return status != "draft" or role in ("organizer", "admin")


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(ONE_THING))
def test_pages_of_one_thing_show_it_only_to_who_may_see_it(client, world, name, role, status):
    response = visit(client, world, role, status, ONE_THING[name])
    assert response.status_code == (200 if may_see(role, status) else 404)


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(LISTS))
def test_lists_show_the_public_archive_to_everybody(client, world, name, role, status):
    response = visit(client, world, role, status, LISTS[name])
    assert response.status_code == 200
    assert (SECRET in response.getvalue().decode()) == (status != "draft")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(NOTHING_OF_IT))
def test_pages_without_sessions_are_the_same_for_everybody(client, world, name, role):
    response = visit(client, world, role, "draft", NOTHING_OF_IT[name])
    assert response.status_code in (200, 302)
    assert SECRET not in response.getvalue().decode()
    if name == "series-next":
        assert response["Location"] == "/nice/"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(SECRET_LINKS))
def test_links_from_mails_open_nothing_without_their_secret(client, world, name, role):
    response = visit(client, world, role, "published", SECRET_LINKS[name])
    assert response.status_code == 404
    assert SECRET not in response.getvalue().decode()


def test_the_preview_link_works_for_an_organizer_who_is_not_staff(client, world):
    world["session"].__class__.objects.filter(pk=world["session"].pk).update(status="draft")
    client.force_login(world["users"]["organizer"])
    html = client.get("/nice/1/").content.decode()
    assert "草稿：只有本系列的组织者和管理员能看到此页面" in html
    assert f"{SECRET} talk" in html


def test_an_organizer_of_another_series_is_not_told_about_a_draft(client, world):
    """The scheduling warning and the people autocomplete of another series' editor."""
    session = world["session"]
    session.__class__.objects.filter(pk=session.pk).update(status="draft")
    shared = make_person("Shared Speaker")
    make_talk(session, "Second talk", presenters=[shared])
    theirs = make_session(
        Series.objects.get(slug="other"),
        number=1,
        title="Same evening",
        starts_at=session.starts_at,
        status="draft",
    )
    talk = make_talk(theirs, "Their talk", presenters=[shared])
    client.force_login(world["users"]["organizer of another series"])
    editor = client.get("/manage/other/1/").content.decode()
    assert "NICE 每周分享" not in editor and SECRET not in editor
    results = client.get(f"/manage/people/?talk={talk.pk}&name={SECRET}").content.decode()
    assert f"{SECRET} Person" not in results
    # The organizer of NICE may see both sessions' names: theirs is a draft, the
    # other is published now.
    theirs.__class__.objects.filter(pk=theirs.pk).update(status="published")
    client.force_login(world["users"]["organizer"])
    own = client.get("/manage/nice/1/").content.decode()
    assert "Shared Speaker 同时在 Other 第 1 期报告。" in own


@pytest.mark.parametrize(("status", "cache"), [("draft", "private"), ("published", "public")])
def test_a_drafts_drawn_images_are_never_kept_by_a_shared_cache(client, world, status, cache):
    for url in ("/nice/1/card.png", "/nice/1/poster.pdf"):
        response = visit(client, world, "organizer", status, url)
        assert response["Cache-Control"] == f"{cache}, max-age=300"
