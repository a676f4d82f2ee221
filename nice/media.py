"""One pipeline for every uploaded file: posters, QR images, photos (images) and slides (PDF).

The format is decided by the file's first bytes, never its name. Images
are checked against the size and pixel caps from their header before any
decoding, verified, decoded in full (truncated files fail here), turned
upright, converted to a web colour mode, and re-encoded without metadata:
EXIF (GPS included), comments and anything appended after the image data
do not survive. PDFs keep their bytes but always get the name `.pdf`, so
they are served as application/pdf whatever they were called. Every
rejection is a ValidationError with a message for the form that received
the file. Forms reach the pipeline through nice.fields; anything else
(importers) through sanitize_file.
"""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

# Magic bytes → Pillow's format name. A GIF is stored as PNG (its first frame).
IMAGE_SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": "PNG",
    b"\xff\xd8\xff": "JPEG",
    b"GIF87a": "GIF",
    b"GIF89a": "GIF",
}
PDF_SIGNATURE = b"%PDF-"
# What each accepted format is re-encoded as.
OUTPUT_FORMAT = {"PNG": "PNG", "GIF": "PNG", "JPEG": "JPEG", "WEBP": "WEBP"}
OUTPUT_EXTENSION = {"PNG": ".png", "JPEG": ".jpg", "WEBP": ".webp"}
CONTENT_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".webp": "image/webp",
    ".pdf": "application/pdf",
}
ACCEPTED_IMAGES = _("Upload a PNG, JPEG, WebP or GIF image.")


@dataclass(frozen=True)
class ProcessedImage:
    content: bytes
    extension: str
    width: int
    height: int


def sniff_image_format(head: bytes) -> str | None:
    """PNG, JPEG, GIF or WEBP from the first bytes; None for anything else (SVG, HTML…)."""
    for signature, name in IMAGE_SIGNATURES.items():
        if head.startswith(signature):
            return name
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return None


def header_dimensions(data: bytes, image_format: str) -> tuple[int, int] | None:
    """Width and height read from the file's header bytes, without Pillow.

    Pillow refuses huge images with an error that does not say their size,
    and a cap must be checked before anything is decoded anyway.
    """
    try:
        if image_format == "PNG":
            return struct.unpack(">II", data[16:24])
        if image_format == "GIF":
            return struct.unpack("<HH", data[6:10])
        if image_format == "WEBP":
            return _webp_dimensions(data)
        if image_format == "JPEG":
            return _jpeg_dimensions(data)
    except struct.error:
        return None
    return None


def _webp_dimensions(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X":
        return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
    if chunk == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    if chunk == b"VP8 ":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    return None


def _jpeg_dimensions(data: bytes) -> tuple[int, int] | None:
    """The size in the first start-of-frame marker."""
    position = 2
    while position + 9 < len(data):
        if data[position] != 0xFF:
            position += 1
            continue
        marker = data[position + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            position += 1 if marker == 0xFF else 2
            continue
        length = struct.unpack(">H", data[position + 2 : position + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[position + 5 : position + 9])
            return width, height
        position += 2 + length
    return None


def check_size(upload) -> None:
    if upload.size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    if upload.size > settings.IMAGE_UPLOAD_MAX_BYTES:
        raise ValidationError(
            _("The file is %(size)s; the limit is %(limit)s."),
            code="too_large",
            params={
                "size": filesizeformat(upload.size),
                "limit": filesizeformat(settings.IMAGE_UPLOAD_MAX_BYTES),
            },
        )


def _read_all(upload) -> bytes:
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    return data


def process_image(upload) -> ProcessedImage:
    """Check and re-encode an uploaded image. Raises ValidationError with a reason."""
    check_size(upload)
    data = _read_all(upload)
    detected = sniff_image_format(data[:16])
    if detected is None:
        raise ValidationError(
            _("This file is not an image we accept (SVG and HTML never are). %(accepted)s"),
            code="format",
            params={"accepted": ACCEPTED_IMAGES},
        )
    dimensions = header_dimensions(data, detected)
    if dimensions:
        _check_pixels(*dimensions)
    with warnings.catch_warnings():
        # We enforce our own, lower pixel cap below, before anything is decoded.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as header:
                width, height = header.size
                if header.format != detected:
                    raise ValidationError(
                        _("The file's content does not match its image type. %(accepted)s"),
                        code="format",
                        params={"accepted": ACCEPTED_IMAGES},
                    )
            _check_pixels(width, height)
            with Image.open(io.BytesIO(data)) as probe:
                probe.verify()
            image = Image.open(io.BytesIO(data))
            image.load()  # a full decode: truncated data fails here, not in a browser
        except ValidationError:
            raise
        except (
            UnidentifiedImageError,
            OSError,
            ValueError,
            SyntaxError,
            Image.DecompressionBombError,
        ):
            raise ValidationError(
                _("This image is damaged or incomplete and cannot be read. %(accepted)s"),
                code="broken",
                params={"accepted": ACCEPTED_IMAGES},
            ) from None
    return _reencode(image, detected)


def _check_pixels(width: int, height: int) -> None:
    if width * height > settings.IMAGE_UPLOAD_MAX_PIXELS:
        raise ValidationError(
            _("The image is %(width)s×%(height)s pixels; the limit is %(limit)s megapixels."),
            code="too_many_pixels",
            params={
                "width": width,
                "height": height,
                "limit": settings.IMAGE_UPLOAD_MAX_PIXELS // 1_000_000,
            },
        )


def _reencode(image: Image.Image, detected: str) -> ProcessedImage:
    """Upright, in a web colour mode, without metadata."""
    image = ImageOps.exif_transpose(image) or image
    output = OUTPUT_FORMAT[detected]
    image = _web_mode(image, output)
    buffer = io.BytesIO()
    if output == "JPEG":
        image.save(buffer, "JPEG", quality=88, optimize=True, progressive=True)
    elif output == "WEBP":
        image.save(buffer, "WEBP", quality=88, method=4)
    else:
        image.save(buffer, "PNG", optimize=True)
    return ProcessedImage(buffer.getvalue(), OUTPUT_EXTENSION[output], *image.size)


def _web_mode(image: Image.Image, output: str) -> Image.Image:
    """CMYK, 16-bit and palette images become RGB, or RGBA where they had transparency."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if output == "JPEG":
        if image.mode == "CMYK":
            # Adobe's CMYK JPEGs are stored inverted; Pillow's convert handles the usual case.
            return image.convert("RGB")
        return image.convert("L" if image.mode in ("L", "1") else "RGB")
    if has_alpha:
        return image.convert("RGBA")
    return image.convert("L" if image.mode in ("L", "1") else "RGB")


def process_pdf(upload) -> bytes:
    """Check an uploaded PDF (slides): its first bytes, its size and its end marker."""
    check_size(upload)
    data = _read_all(upload)
    if not data.startswith(PDF_SIGNATURE):
        raise ValidationError(_("Slides must be a PDF file."), code="not_a_pdf")
    if b"%%EOF" not in data[-2048:]:
        raise ValidationError(_("This PDF is incomplete; upload it again."), code="broken")
    return data


def processed_upload(upload, processed: ProcessedImage) -> SimpleUploadedFile:
    """The re-encoded image as an upload, named after what it now is."""
    name = _stem(upload.name, "image") + processed.extension
    return SimpleUploadedFile(
        name, processed.content, content_type=CONTENT_TYPES[processed.extension]
    )


def processed_pdf_upload(upload) -> SimpleUploadedFile:
    """A checked PDF as an upload named `.pdf`: the content decides, never the uploader's name."""
    return SimpleUploadedFile(
        _stem(upload.name, "slides") + ".pdf", process_pdf(upload), content_type="application/pdf"
    )


def sanitize_file(content: bytes, name: str, kind: str) -> ContentFile:
    """Put bytes that did not come from a form (an importer's) through the upload checks.

    kind is "image" or "pdf". Returns the file to store, named after `name`'s stem with
    the extension of what it now is (a JPEG named x.png comes back as x.jpg); raises
    ValidationError as an upload form would.
    """
    upload = ContentFile(content, name=name)
    if kind == "image":
        processed = process_image(upload)
        return ContentFile(processed.content, name=_stem(name, "image") + processed.extension)
    if kind == "pdf":
        return ContentFile(process_pdf(upload), name=_stem(name, "slides") + ".pdf")
    raise ValueError(f"sanitize_file: unknown kind {kind!r}; use 'image' or 'pdf'")


def _stem(name: str | None, default: str) -> str:
    return PurePath(name or default).stem[:80] or default
