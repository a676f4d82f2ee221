"""The upload pipeline, fed a corpus of bad and awkward files made here, through the
admin and through the organizer's form: each is refused with a message or safely
normalised, never a 500, never a file left behind."""

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

from sessions.models import Series, Session, Talk
from tests.factories import make_series, make_session, make_talk

# Real commits: stored files are kept only when their transaction commits.
pytestmark = pytest.mark.django_db(transaction=True)


def image_bytes(fmt: str, size=(60, 40), mode="RGB", color="red", **save) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, fmt, **save)
    return buffer.getvalue()


def noise_png(size=(200, 200)) -> bytes:
    import os

    buffer = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(buffer, "PNG")
    return buffer.getvalue()


def header_only_png(width: int, height: int) -> bytes:
    """A PNG that claims width×height pixels and holds none: a decompression bomb's shape."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # the camera was held sideways
    exif[ExifTags.Base.Make] = "PhoneCo"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (39.0, 54.0, 27.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (116.0, 23.0, 50.0),
    }
    return image_bytes("JPEG", size=(80, 40), exif=exif)


def palette_png_with_transparency() -> bytes:
    image = Image.new("P", (20, 20), 0)
    image.putpalette([255, 0, 0, 0, 255, 0] + [0] * 762)
    image.paste(1, (10, 0, 20, 20))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", transparency=0)
    return buffer.getvalue()


REFUSED = {
    "truncated PNG": ("poster.png", lambda: noise_png()[:3000], "图片已损坏或不完整"),
    "header-only 20000×20000 PNG": (
        "bomb.png",
        lambda: header_only_png(20000, 20000),
        "图片为 20000×20000 像素，上限是 40 百万像素",
    ),
    "SVG with onload": (
        "poster.svg",
        lambda: b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>',
        "不是可接受的图片（SVG 和 HTML 一律不接受）",
    ),
    "HTML named .png": (
        "poster.png",
        lambda: b"<!doctype html><script>alert(1)</script>",
        "不是可接受的图片（SVG 和 HTML 一律不接受）",
    ),
    "0 bytes": ("poster.png", lambda: b"", "所提交的是空文件。"),
    "over the size cap": ("poster.png", lambda: noise_png((700, 700)), "上限是 1.0\xa0MB"),
}


def post_poster(client, route: str, name: str, content: bytes):
    series = Series.objects.first() or make_series()
    upload = SimpleUploadedFile(name, content)
    if route == "admin":
        data = {
            "series": series.pk,
            "number": 7,
            "title": "海报",
            "status": "draft",
            # The same instant for the split UTC widget and for the single input on
            # the series' clock (Asia/Shanghai), whichever the admin form uses.
            "starts_at_0": "2030-03-16",
            "starts_at_1": "11:00:00",
            "starts_at": "2030-03-16T19:00",
            "session_presenters-TOTAL_FORMS": 0,
            "session_presenters-INITIAL_FORMS": 0,
            "talks-TOTAL_FORMS": 0,
            "talks-INITIAL_FORMS": 0,
            "poster": upload,
        }
        return client.post("/admin/nice_sessions/session/add/", data)
    data = {"number": 7, "title": "海报", "starts_at": "2030-03-16T19:00", "poster": upload}
    return client.post(f"/manage/{series.slug}/new/", data)


@pytest.fixture(params=["admin", "organizer form"])
def route(request):
    client_fixture = "admin_client" if request.param == "admin" else "organizer_client"
    return request.param, request.getfixturevalue(client_fixture)


@pytest.mark.parametrize("case", list(REFUSED))
def test_bad_files_are_refused_with_a_message_and_leave_nothing(
    route, case, media_root, settings, django_capture_on_commit_callbacks
):
    settings.IMAGE_UPLOAD_MAX_BYTES = 1024 * 1024
    name, make, message = REFUSED[case]
    where, client = route
    with django_capture_on_commit_callbacks(execute=True):
        response = post_poster(client, "admin" if where == "admin" else "form", name, make())
    assert response.status_code in (200, 400)
    assert message in response.content.decode()
    assert not Session.objects.exists()
    assert not media_root.exists() or not any(p.is_file() for p in media_root.rglob("*"))


def stored_poster(route, name: str, content: bytes, capture) -> Image.Image:
    where, client = route
    with capture(execute=True):
        response = post_poster(client, "admin" if where == "admin" else "form", name, content)
    assert response.status_code == 302, response.content.decode()[:500]
    session = Session.objects.get()
    with session.poster.open("rb") as stored:
        data = stored.read()
    image = Image.open(io.BytesIO(data))
    image.load()
    image.stored_name, image.stored_bytes, image.session = session.poster.name, data, session
    return image


def test_gps_and_all_exif_are_stripped_and_orientation_applied(
    route, django_capture_on_commit_callbacks
):
    image = stored_poster(route, "photo.jpg", jpeg_with_gps(), django_capture_on_commit_callbacks)
    assert image.format == "JPEG" and image.stored_name.endswith(".jpg")
    assert dict(image.getexif()) == {}
    assert b"PhoneCo" not in image.stored_bytes
    assert image.size == (40, 80)  # turned upright, as the camera meant
    assert (image.session.poster_width, image.session.poster_height) == (40, 80)


def test_a_script_appended_to_a_png_does_not_survive(route, django_capture_on_commit_callbacks):
    content = image_bytes("PNG") + b"<script>alert(1)</script>"
    image = stored_poster(route, "poster.png", content, django_capture_on_commit_callbacks)
    assert b"<script" not in image.stored_bytes
    assert image.size == (60, 40)


def test_a_cmyk_jpeg_becomes_rgb(route, django_capture_on_commit_callbacks):
    image = stored_poster(
        route,
        "print.jpg",
        image_bytes("JPEG", mode="CMYK", color=(0, 255, 255, 0)),
        django_capture_on_commit_callbacks,
    )
    assert image.mode == "RGB"
    red, green, blue = image.getpixel((5, 5))
    assert red > 200 and green < 60 and blue < 60


def test_a_palette_png_keeps_its_transparency(route, django_capture_on_commit_callbacks):
    image = stored_poster(
        route, "logo.png", palette_png_with_transparency(), django_capture_on_commit_callbacks
    )
    assert image.mode == "RGBA"
    assert image.getpixel((2, 2))[3] == 0 and image.getpixel((15, 2)) == (0, 255, 0, 255)


@pytest.mark.parametrize(
    ("name", "content", "extension", "image_format"),
    [
        ("wrong-extension.jpg", image_bytes("PNG"), ".png", "PNG"),
        ("animated.gif", image_bytes("GIF"), ".png", "PNG"),
        ("modern.webp", image_bytes("WEBP"), ".webp", "WEBP"),
    ],
)
def test_the_content_decides_the_format_not_the_name(
    route, name, content, extension, image_format, django_capture_on_commit_callbacks
):
    image = stored_poster(route, name, content, django_capture_on_commit_callbacks)
    assert image.stored_name.endswith(extension) and image.format == image_format
    assert image.stored_name.startswith("posters/") and "wrong" not in image.stored_name


def test_media_is_served_with_its_type_and_nosniff(
    client, django_capture_on_commit_callbacks, admin_client
):
    image = stored_poster(
        ("admin", admin_client), "p.png", image_bytes("PNG"), django_capture_on_commit_callbacks
    )
    response = client.get(f"/media/{image.stored_name}")
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_replacing_a_poster_deletes_the_old_file_only_after_commit(
    admin_client, media_root, django_capture_on_commit_callbacks
):
    from django.db import transaction

    from sessions.forms import SessionForm

    first = stored_poster(
        ("admin", admin_client), "a.png", image_bytes("PNG"), django_capture_on_commit_callbacks
    )
    session, old_path = first.session, media_root / first.stored_name
    with transaction.atomic():
        edit = SessionForm(
            {
                "number": 7,
                "title": "海报",
                "starts_at": "2030-03-16T19:00",
                "version": session.version,
            },
            {"poster": SimpleUploadedFile("b.png", image_bytes("PNG", color="blue"))},
            instance=session,
            series=session.series,
        )
        assert edit.is_valid(), edit.errors
        edit.save()
        assert old_path.exists()  # still there: the transaction may yet roll back
    assert not old_path.exists()
    assert (media_root / Session.objects.get().poster.name).exists()


def test_a_rolled_back_save_leaves_no_file(media_root):
    from django.db import transaction

    from nice.filecleanup import no_orphan_files

    session = make_session(make_series(), number=3)
    with no_orphan_files():
        try:
            with transaction.atomic():
                session.poster.save("x.png", SimpleUploadedFile("x.png", image_bytes("PNG")))
                assert any(p.is_file() for p in media_root.rglob("*.png"))
                raise RuntimeError("the database refused something after the file was written")
        except RuntimeError:
            pass
    assert not any(p.is_file() for p in media_root.rglob("*.png"))
    assert not Session.objects.get(pk=session.pk).poster


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<html>not a pdf</html>", "幻灯片必须是 PDF 文件。"),
        (b"%PDF-1.4\n1 0 obj << >> endobj\n", "这个 PDF 不完整，请重新上传。"),
    ],
)
def test_slides_must_be_a_whole_pdf(admin_client, content, message, media_root):
    talk = make_talk(make_session(make_series(), number=1), "T")
    data = {
        "session": talk.session_id,
        "order": 1,
        "title": "T",
        "slides": SimpleUploadedFile("s.pdf", content),
        "talk_presenters-TOTAL_FORMS": 0,
        "talk_presenters-INITIAL_FORMS": 0,
    }
    response = admin_client.post(f"/admin/nice_sessions/talk/{talk.pk}/change/", data)
    assert message in response.content.decode()
    assert not Talk.objects.get().slides
    valid = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
    data["slides"] = SimpleUploadedFile("s.pdf", valid)
    assert (
        admin_client.post(f"/admin/nice_sessions/talk/{talk.pk}/change/", data).status_code == 302
    )
    assert Talk.objects.get().slides.name.startswith("slides/")


def test_renditions_are_made_after_commit_used_in_srcset_and_removed_with_the_poster(
    admin_client, client, media_root, django_capture_on_commit_callbacks
):
    image = stored_poster(
        ("admin", admin_client),
        "big.png",
        image_bytes("PNG", size=(1500, 1000)),
        django_capture_on_commit_callbacks,
    )
    session = image.session
    stem = image.stored_name.split("/")[-1].rsplit(".", 1)[0]
    renditions = sorted((media_root / "renditions" / "posters").glob(f"{stem}-*.webp"))
    assert [Image.open(path).size for path in renditions] == [(1280, 853), (320, 213), (640, 427)]
    session.status = "published"
    session.save()
    html = client.get(f"/nice/{session.number}/").content.decode()
    assert (
        f'srcset="/media/renditions/posters/{stem}-320.webp 320w, /media/renditions/posters/{stem}-640.webp 640w, '
        f'/media/renditions/posters/{stem}-1280.webp 1280w, /media/{image.stored_name} 1500w"'
    ) in html
    assert 'width="1500" height="1000" alt="海报: 海报" loading="lazy"' in html
    Session.objects.get().delete()
    assert not any(p.is_file() for p in media_root.rglob("*"))
