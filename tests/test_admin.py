import io

import pytest
from django.contrib.auth.models import User
from PIL import Image

from sessions.models import Session
from tests.factories import make_full_session, make_series, make_session

pytestmark = pytest.mark.django_db

MODELS = [
    "papers/paper",
    "nice_sessions/series",
    "nice_sessions/session",
    "nice_sessions/talk",
    "nice_sessions/person",
    "nice_sessions/keyword",
]


def image_bytes(fmt: str, size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "white").save(buffer, fmt)
    return buffer.getvalue()


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("admin", "admin@example.org", "x"))
    return client


def test_anonymous_visitors_are_sent_to_the_login(client):
    response = client.get("/admin/nice_sessions/session/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_attendees_without_staff_status_are_refused(client):
    client.force_login(User.objects.create_user("attendee"))
    assert client.get("/admin/nice_sessions/session/")["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("model", MODELS)
def test_admins_see_every_model_listed_searchable_and_addable(admin_client, model):
    make_full_session(make_series(), 1)
    assert admin_client.get(f"/admin/{model}/").status_code == 200
    assert admin_client.get(f"/admin/{model}/?q=1").status_code == 200
    assert admin_client.get(f"/admin/{model}/add/").status_code == 200


def test_the_session_form_has_talks_inline_and_autocomplete(admin_client):
    session = make_full_session(make_series(), 1)
    html = admin_client.get(f"/admin/nice_sessions/session/{session.pk}/change/").content.decode()
    assert 'id="talks-group"' in html
    assert "Talk 1.0" in html
    assert "admin-autocomplete" in html
    response = admin_client.get(
        "/admin/autocomplete/?app_label=nice_sessions&model_name=talk&field_name=paper&term=Paper"
    )
    assert [r["text"] for r in response.json()["results"]] == ["Paper 1.0", "Paper 1.1"]


def session_form(series, **overrides) -> dict:
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
    return data | overrides


def test_the_admin_reads_times_in_the_series_zone(admin_client):
    response = admin_client.post("/admin/nice_sessions/session/add/", session_form(make_series()))
    assert response.status_code == 302
    assert Session.objects.get().starts_at.isoformat() == "2025-03-15T11:00:00+00:00"


def test_the_admin_shows_times_in_the_series_zone_and_names_it(admin_client):
    session = make_session(make_series(), number=7)  # 19:00 in Shanghai, 11:00 UTC
    html = admin_client.get(f"/admin/nice_sessions/session/{session.pk}/change/").content.decode()
    assert 'name="starts_at" value="2025-03-15T19:00"' in html
    assert "Asia/Shanghai (UTC+08:00)" in html
    assert "UTC timezone" not in html
    listing = admin_client.get("/admin/nice_sessions/session/").content.decode()
    assert "2025-03-15 19:00 Asia/Shanghai" in listing


def test_an_admin_fixing_a_time_keeps_it_on_the_series_clock(admin_client):
    session = make_session(make_series(), number=7)
    data = session_form(session.series, starts_at="2025-03-15T20:00")
    admin_client.post(f"/admin/nice_sessions/session/{session.pk}/change/", data)
    session.refresh_from_db()
    assert session.starts_at.isoformat() == "2025-03-15T12:00:00+00:00"


def test_admins_can_see_drafts_in_the_admin_list(admin_client):
    make_session(make_series(), number=3, title="Draft for admins", status="draft")
    assert "Draft for admins" in admin_client.get("/admin/nice_sessions/session/").content.decode()


def test_admin_edits_are_recorded_and_bump_the_version(admin_client):
    session = make_session(make_series(), number=7, title="Before")
    data = session_form(session.series, title="After", status="draft")
    response = admin_client.post(f"/admin/nice_sessions/session/{session.pk}/change/", data)
    assert response.status_code == 302
    session.refresh_from_db()
    assert (session.title, session.version) == ("After", 2)
    revision = session.revisions.get()
    assert (revision.user.username, revision.summary) == ("admin", "在后台修改")
    assert ["title", "Before", "After"] in revision.changes


def talk_rows(session) -> dict:
    """The talks inline as the admin posts it back, unchanged."""
    talks = list(session.talks.order_by("order"))
    data = {"talks-TOTAL_FORMS": len(talks), "talks-INITIAL_FORMS": len(talks)}
    for index, talk in enumerate(talks):
        data |= {
            f"talks-{index}-id": talk.pk,
            f"talks-{index}-session": session.pk,
            f"talks-{index}-order": talk.order,
            f"talks-{index}-title": talk.title,
        }
    return data


def test_swapping_two_talks_places_in_the_admin_saves_both(admin_client):
    session = make_full_session(make_series(), 7)  # Talk 7.0 first, Talk 7.1 second
    data = session_form(session.series) | talk_rows(session)
    data |= {"talks-0-order": 2, "talks-1-order": 1}
    response = admin_client.post(f"/admin/nice_sessions/session/{session.pk}/change/", data)
    assert response.status_code == 302
    assert list(session.talks.order_by("order").values_list("title", "order")) == [
        ("Talk 7.1", 1),
        ("Talk 7.0", 2),
    ]


def test_two_talks_in_one_place_is_a_form_error_in_the_admin(admin_client):
    session = make_full_session(make_series(), 7)
    data = session_form(session.series) | talk_rows(session) | {"talks-1-order": 1}
    response = admin_client.post(
        f"/admin/nice_sessions/session/{session.pk}/change/", data, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert "Please correct the duplicate data for order." in response.content.decode()
    assert list(session.talks.order_by("order").values_list("order", flat=True)) == [1, 2]


def test_a_talk_moved_onto_a_deleted_ones_place_in_the_admin(admin_client):
    session = make_full_session(make_series(), 7)
    data = session_form(session.series) | talk_rows(session)
    data |= {"talks-0-DELETE": "on", "talks-1-order": 1}
    response = admin_client.post(f"/admin/nice_sessions/session/{session.pk}/change/", data)
    assert response.status_code == 302
    assert list(session.talks.values_list("title", "order")) == [("Talk 7.1", 1)]
