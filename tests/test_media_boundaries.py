"""Where files enter the upload pipeline by a side door: slides named as something else,
and importers that hand bytes to nice.media.sanitize_file instead of posting a form."""

import io
import re

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from nice.media import sanitize_file
from sessions.models import Talk
from tests.factories import make_series, make_session, make_talk
from tests.test_media import image_bytes, jpeg_with_gps

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
HTML = b"<!doctype html><script>alert(document.cookie)</script>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>'


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("admin", "a@example.org", "x"))
    return client


def post_slides(client, talk: Talk, upload: SimpleUploadedFile):
    data = {
        "session": talk.session_id,
        "order": 1,
        "title": talk.title,
        "slides": upload,
        "talk_presenters-TOTAL_FORMS": 0,
        "talk_presenters-INITIAL_FORMS": 0,
    }
    return client.post(f"/admin/nice_sessions/talk/{talk.pk}/change/", data)


@pytest.mark.django_db(transaction=True)
def test_it_stores_slides_named_html_as_pdf_and_serves_them_as_pdf(
    admin_client, client, media_root, django_capture_on_commit_callbacks
):
    talk = make_talk(make_session(make_series(), number=1), "T")
    with django_capture_on_commit_callbacks(execute=True):
        response = post_slides(
            admin_client, talk, SimpleUploadedFile("evil.html", PDF, content_type="text/html")
        )
    assert response.status_code == 302
    name = Talk.objects.get().slides.name
    assert re.fullmatch(r"slides/[0-9a-f]{32}\.pdf", name), name
    assert (media_root / name).read_bytes() == PDF
    assert [p.name for p in media_root.rglob("*") if p.is_file()] == [name.split("/")[1]]
    served = client.get(f"/media/{name}")
    assert served.status_code == 200
    assert served["Content-Type"] == "application/pdf"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert b"".join(served.streaming_content) == PDF


@pytest.mark.django_db
def test_it_stores_slides_as_pdf_even_when_saved_without_a_form(media_root):
    talk = make_talk(make_session(make_series(), number=1), "T")
    talk.slides.save("evil.html", ContentFile(PDF))
    assert re.fullmatch(r"slides/[0-9a-f]{32}\.pdf", Talk.objects.get().slides.name)


def refusal(content: bytes, name: str, kind: str) -> list[str]:
    """The messages sanitize_file refuses the file with, in English."""
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        sanitize_file(content, name, kind)
    with translation.override("en"):
        return caught.value.messages


def test_it_refuses_an_svg_named_png():
    messages = refusal(SVG, "poster.png", "image")
    assert messages == [
        "This file is not an image we accept (SVG and HTML never are). "
        "Upload a PNG, JPEG, WebP or GIF image."
    ]


def test_it_refuses_html_named_pdf():
    assert refusal(HTML, "slides.pdf", "pdf") == ["Slides must be a PDF file."]


def test_it_refuses_html_named_pdf_as_an_image_too():
    assert refusal(HTML, "poster.png", "image")[0].startswith("This file is not an image we accept")


def test_it_accepts_a_pdf_named_html_and_names_it_pdf():
    cleaned = sanitize_file(PDF, "a.html", "pdf")
    assert isinstance(cleaned, ContentFile)
    assert cleaned.name == "a.pdf"
    assert cleaned.read() == PDF


def test_it_reencodes_a_jpeg_named_png_as_jpg_without_exif():
    original = jpeg_with_gps()
    cleaned = sanitize_file(original, "media/people/x.png", "image")
    assert cleaned.name == "x.jpg"
    data = cleaned.read()
    assert data != original and b"PhoneCo" not in data
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    assert dict(image.getexif()) == {}
    assert image.size == (40, 80)  # turned upright, as for uploads


def test_it_turns_a_gif_into_a_png():
    cleaned = sanitize_file(image_bytes("GIF"), "logo.gif", "image")
    assert cleaned.name == "logo.png"
    assert Image.open(io.BytesIO(cleaned.read())).format == "PNG"


def test_it_refuses_a_png_over_the_pixel_cap(settings):
    settings.IMAGE_UPLOAD_MAX_PIXELS = 2_000_000
    buffer = io.BytesIO()
    Image.new("1", (2000, 1001)).save(buffer, "PNG")
    messages = refusal(buffer.getvalue(), "big.png", "image")
    assert messages == ["The image is 2000×1001 pixels; the limit is 2 megapixels."]


def test_it_refuses_a_file_over_the_size_cap(settings):
    settings.IMAGE_UPLOAD_MAX_BYTES = 10
    assert refusal(PDF, "a.pdf", "pdf") == ["The file is 50\xa0bytes; the limit is 10\xa0bytes."]


def test_it_refuses_an_empty_file():
    assert refusal(b"", "a.pdf", "pdf") == ["The file is empty."]


def test_it_refuses_an_unknown_kind():
    with pytest.raises(ValueError, match="kind"):
        sanitize_file(PDF, "a.pdf", "video")
