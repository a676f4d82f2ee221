"""Every organizer URL, for every kind of visitor: only the right people change anything."""

import pytest
from django.contrib.auth.models import User

from sessions.models import Person, Session, SessionRevision, Talk, TalkPresenter
from tests.factories import days_from_now, make_person, make_series, make_session, make_talk

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    nice = make_series()
    other = make_series(slug="other", name="Other")
    organizer = User.objects.create_user("organizer")
    other_organizer = User.objects.create_user("other-organizer")
    nice.organizers.add(organizer)
    other.organizers.add(other_organizer)
    published = make_session(nice, number=1, starts_at=days_from_now(7))
    make_session(nice, number=2, status="draft", starts_at=days_from_now(14))
    person = make_person("Ada")
    talk = make_talk(published, "T1", presenters=[person])
    make_talk(published, "T2")
    return {
        "users": {
            "attendee": User.objects.create_user("attendee"),
            "other organizer": other_organizer,
            "organizer": organizer,
            "admin": User.objects.create_user("admin", is_staff=True),
        },
        "talk": talk,
        "person": person,
    }


def requests_for(world) -> list[tuple[str, str, dict]]:
    talk, person = world["talk"], world["person"]
    t = f"/manage/nice/1/talks/{talk.pk}/"
    session_form = {"number": 1, "title": "Changed", "starts_at": "2030-01-05T19:00", "version": 1}
    other_talk = talk.session.talks.exclude(pk=talk.pk).get().pk
    return [
        ("get", "/manage/nice/new/", {}),
        (
            "post",
            "/manage/nice/new/",
            {"number": 9, "title": "New", "starts_at": "2030-01-05T19:00"},
        ),
        ("get", "/manage/nice/1/", {}),
        ("post", "/manage/nice/1/", session_form),
        ("post", "/manage/nice/1/?validate=1", session_form),
        ("post", "/manage/nice/1/status/", {"action": "cancel", "version": 1}),
        ("post", "/manage/nice/1/duplicate/", {}),
        ("get", "/manage/nice/2/delete/", {}),
        ("post", "/manage/nice/2/delete/", {}),
        ("get", "/manage/nice/1/history/", {}),
        # Before a talk is added, so that the order lists every talk.
        ("post", "/manage/nice/1/talks/order/", {"order": [other_talk, talk.pk]}),
        ("post", "/manage/nice/1/talks/", {"reference": "A title"}),
        # The talk form carries the session's version: 4 after the edit, the order and
        # the add above (the status change, posted from version 1, was refused).
        ("post", t, {f"talk-{talk.pk}-title": "Renamed", f"talk-{talk.pk}-version": 4}),
        ("post", t + "move/", {"direction": "down"}),
        ("post", t + "presenters/", {"name": "Someone new"}),
        ("post", t + f"presenters/{person.pk}/delete/", {}),
        ("get", f"/manage/people/?talk={talk.pk}&name=Ad", {}),
        ("post", t + "delete/", {}),  # last: the talk is gone after it
    ]


def state() -> tuple:
    """Everything a workspace URL could change."""
    return (
        list(Session.objects.order_by("pk").values_list("number", "title", "status", "version")),
        list(Talk.objects.order_by("pk").values_list("pk", "title", "order")),
        list(TalkPresenter.objects.order_by("pk").values_list("talk_id", "person_id")),
        Person.objects.count(),
        SessionRevision.objects.count(),
    )


def test_anonymous_visitors_are_sent_to_log_in_and_change_nothing(client, world):
    before = state()
    for method, url, data in [*requests_for(world), ("get", "/manage/", {})]:
        response = getattr(client, method)(url, data)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/?next="), url
    assert state() == before


@pytest.mark.parametrize("role", ["attendee", "other organizer"])
def test_people_without_the_right_get_403_and_change_nothing(client, world, role):
    client.force_login(world["users"][role])
    before = state()
    for method, url, data in requests_for(world):
        assert getattr(client, method)(url, data).status_code == 403, url
    assert state() == before


@pytest.mark.parametrize("role", ["organizer", "admin"])
def test_organizers_of_the_series_and_admins_may_use_every_url(client, world, role):
    client.force_login(world["users"][role])
    for method, url, data in requests_for(world):
        response = getattr(client, method)(url, data)
        assert response.status_code in (200, 302), (url, response.status_code)


def test_an_unknown_series_or_session_is_404_for_organizers(client, world):
    client.force_login(world["users"]["organizer"])
    assert client.get("/manage/nope/new/").status_code == 404
    assert client.get("/manage/nice/99/").status_code == 404
    assert client.post(f"/manage/nice/2/talks/{world['talk'].pk}/move/").status_code == 404


def test_the_dashboard_lists_only_the_users_series(client, world):
    client.force_login(world["users"]["other organizer"])
    html = client.get("/manage/").content.decode()
    assert "Other" in html and "NICE 每周分享" not in html
    client.force_login(world["users"]["attendee"])
    assert "你还没有负责任何系列" in client.get("/manage/").content.decode()
    client.force_login(world["users"]["admin"])
    html = client.get("/manage/").content.decode()
    assert "Other" in html and "NICE 每周分享" in html


@pytest.mark.parametrize(
    ("role", "status"),
    [("attendee", 403), ("other organizer", 200), ("organizer", 200), ("admin", 200)],
)
def test_the_preview_is_for_anyone_who_organizes_something(client, world, role, status):
    # It reads nothing of any series: it renders the text it is sent.
    client.force_login(world["users"][role])
    assert client.post("/manage/preview/", {"summary": "$x$"}).status_code == status


def test_mutations_refuse_get(client, world):
    client.force_login(world["users"]["organizer"])
    for url in [
        "/manage/nice/1/status/",
        "/manage/nice/1/duplicate/",
        "/manage/nice/1/talks/",
        "/manage/preview/",
    ]:
        assert client.get(url).status_code == 405, url
