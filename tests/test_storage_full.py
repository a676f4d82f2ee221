"""An upload into a full disk: a form error, nothing saved, no partial file left.

The disk is real: a 64 KiB tmpfs mounted for the test (we are root on the
developers' and CI's machines), so the kernel itself answers ENOSPC.
"""

import io
import os
import subprocess

import pytest
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from nice.storage import AtomicFileSystemStorage, StorageFullError
from sessions.models import Session
from tests.factories import make_series, make_session

pytestmark = pytest.mark.django_db(transaction=True)

NO_SPACE = "not enough space"


@pytest.fixture
def full_disk(tmp_path, settings):
    """MEDIA_ROOT on a 64 KiB filesystem of its own."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small filesystem here: {mounted.stderr.decode().strip()}")
    settings.MEDIA_ROOT = disk
    yield disk
    subprocess.run(["umount", str(disk)], check=True)


def files_in(folder) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def noisy_png(side: int = 300) -> bytes:
    """Noise does not compress: ~270 KB however it is re-encoded, more than the disk holds."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def organizer(client):
    series = make_series()
    user = User.objects.create_user("organizer")
    series.organizers.add(user)
    client.force_login(user)
    return client, series


def test_a_file_too_big_for_the_disk_is_refused_and_leaves_nothing(full_disk):
    storage = AtomicFileSystemStorage(location=full_disk)
    with pytest.raises(StorageFullError):
        storage.save("posters/big.bin", ContentFile(os.urandom(200_000)))
    assert files_in(full_disk) == []


def test_a_file_that_fits_is_stored_whole_under_a_new_name_when_taken(full_disk):
    storage = AtomicFileSystemStorage(location=full_disk)
    first = storage.save("qr/code.png", ContentFile(b"first"))
    second = storage.save("qr/code.png", ContentFile(b"second"))
    assert first == "qr/code.png" and second != first and second.startswith("qr/code")
    assert (full_disk / first).read_bytes() == b"first"
    assert (full_disk / second).read_bytes() == b"second"
    assert files_in(full_disk) == sorted([first, second])  # no temporary file left


def test_new_session_form_says_the_disk_is_full_and_saves_nothing(organizer, full_disk):
    client, series = organizer
    response = client.post(
        f"/manage/{series.slug}/new/",
        {
            "number": 7,
            "title": "海报",
            "starts_at": "2030-03-16T19:00",
            "poster": SimpleUploadedFile("poster.png", noisy_png()),
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert NO_SPACE in response.content.decode()
    assert 'value="海报"' in response.content.decode()  # the input is kept
    assert not Session.objects.exists()
    assert files_in(full_disk) == []


def test_editing_a_session_with_a_poster_too_big_keeps_the_session_as_it_was(organizer, full_disk):
    client, series = organizer
    session = make_session(series=series, number=3, title="原来的标题")
    response = client.post(
        f"/manage/{series.slug}/3/",
        {
            "number": 3,
            "title": "新的标题",
            "starts_at": "2030-03-16T19:00",
            "version": session.version,
            "poster": SimpleUploadedFile("poster.png", noisy_png()),
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 507
    assert NO_SPACE in response.content.decode()
    session.refresh_from_db()
    assert (session.title, session.poster.name) == ("原来的标题", "")
    assert files_in(full_disk) == []


def test_the_admin_answers_a_full_disk_with_a_page_that_says_so(client, full_disk):
    client.force_login(User.objects.create_superuser("admin", "a@example.org", "x"))
    series = make_series()
    response = client.post(
        "/admin/nice_sessions/session/add/",
        {
            "series": series.pk,
            "number": 7,
            "title": "海报",
            "status": "draft",
            "starts_at_0": "2030-03-16",
            "starts_at_1": "11:00:00",
            "starts_at": "2030-03-16T19:00",
            "session_presenters-TOTAL_FORMS": 0,
            "session_presenters-INITIAL_FORMS": 0,
            "talks-TOTAL_FORMS": 0,
            "talks-INITIAL_FORMS": 0,
            "poster": SimpleUploadedFile("poster.png", noisy_png()),
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 507
    assert NO_SPACE in response.content.decode()
    assert not Session.objects.exists()
    assert files_in(full_disk) == []
