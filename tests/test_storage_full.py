"""An upload into a full disk: a form error, nothing saved, no partial file left.

The disk is real: a 64 KiB tmpfs mounted for the test (we are root on the
developers' and CI's machines), so the kernel itself answers ENOSPC.
"""

import io
import os
import subprocess

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from nice.storage import NO_SPACE_MESSAGE, AtomicFileSystemStorage, StorageFullError
from sessions.models import Series, Session
from tests.factories import make_session
from tests.test_media import post_poster

pytestmark = pytest.mark.django_db(transaction=True)


def no_space_message() -> str:
    """As the site shows it by default (no Accept-Language)."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(NO_SPACE_MESSAGE)


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


def test_new_session_form_says_the_disk_is_full_and_saves_nothing(organizer_client, full_disk):
    response = post_poster(organizer_client, "form", "poster.png", noisy_png())
    assert response.status_code == 200
    assert no_space_message() in response.content.decode()
    assert 'value="海报"' in response.content.decode()  # the input is kept
    assert not Session.objects.exists()
    assert files_in(full_disk) == []


def test_editing_a_session_with_a_poster_too_big_keeps_the_session_as_it_was(
    organizer_client, full_disk
):
    client, series = organizer_client, Series.objects.get()
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
    )
    assert response.status_code == 507
    assert no_space_message() in response.content.decode()
    session.refresh_from_db()
    assert (session.title, session.poster.name) == ("原来的标题", "")
    assert files_in(full_disk) == []


def test_the_admin_answers_a_full_disk_with_a_page_that_says_so(admin_client, full_disk):
    response = post_poster(admin_client, "admin", "poster.png", noisy_png())
    assert response.status_code == 507
    assert no_space_message() in response.content.decode()
    assert not Session.objects.exists()
    assert files_in(full_disk) == []
