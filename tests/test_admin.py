import io
import os
import re

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
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
        "starts_at_0": "2025-03-15",
        "starts_at_1": "11:00:00",
        "session_presenters-TOTAL_FORMS": 0,
        "session_presenters-INITIAL_FORMS": 0,
        "talks-TOTAL_FORMS": 0,
        "talks-INITIAL_FORMS": 0,
    }
    return data | overrides


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("p.gif", image_bytes("GIF")), "不接受 GIF 格式的图片"),
        (
            SimpleUploadedFile(
                "p.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
            ),
            "请上传一张有效的图片",
        ),
        (
            SimpleUploadedFile("p.png", b"<html><script>alert(1)</script></html>"),
            "请上传一张有效的图片",
        ),
        (SimpleUploadedFile("p.png", b""), "所提交的是空文件"),
    ],
)
def test_a_poster_that_is_not_an_allowed_image_is_refused_with_a_message(
    admin_client, media_root, upload, message
):
    series = make_series()
    response = admin_client.post(
        "/admin/nice_sessions/session/add/", session_form(series, poster=upload)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Session.objects.exists()
    assert not media_root.exists() or not any(media_root.rglob("*.*"))


def test_a_poster_over_the_pixel_cap_is_refused(admin_client, media_root, settings):
    settings.IMAGE_UPLOAD_MAX_PIXELS = 1000
    upload = SimpleUploadedFile("big.png", image_bytes("PNG", size=(100, 100)))
    response = admin_client.post(
        "/admin/nice_sessions/session/add/", session_form(make_series(), poster=upload)
    )
    assert "图片为 100×100 像素" in response.content.decode()
    assert not Session.objects.exists()


def test_a_poster_over_the_size_cap_is_refused(admin_client, settings):
    settings.IMAGE_UPLOAD_MAX_BYTES = 4096
    noise = Image.frombytes("RGB", (64, 64), os.urandom(64 * 64 * 3))
    buffer = io.BytesIO()
    noise.save(buffer, "PNG")
    upload = SimpleUploadedFile("p.png", buffer.getvalue())
    response = admin_client.post(
        "/admin/nice_sessions/session/add/", session_form(make_series(), poster=upload)
    )
    assert re.search(r"文件大小为 1\d\.\d\sKB，上限是 4\.0\sKB。", response.content.decode())
    assert not Session.objects.exists()


def test_a_valid_poster_is_stored_under_a_random_name_with_its_size(admin_client, media_root):
    upload = SimpleUploadedFile("我的海报.jpg", image_bytes("JPEG", size=(60, 90)))
    response = admin_client.post(
        "/admin/nice_sessions/session/add/", session_form(make_series(), poster=upload)
    )
    assert response.status_code == 302
    session = Session.objects.get()
    assert session.poster.name.startswith("posters/") and session.poster.name.endswith(".jpg")
    assert "我的海报" not in session.poster.name
    assert (session.poster_width, session.poster_height) == (60, 90)
    assert (media_root / session.poster.name).exists()


def test_the_admin_stores_the_start_it_was_given_in_utc(admin_client):
    admin_client.post("/admin/nice_sessions/session/add/", session_form(make_series()))
    assert Session.objects.get().starts_at.isoformat() == "2025-03-15T11:00:00+00:00"


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
