"""Checks for uploaded images, run before anything is stored.

A first line of defence until the full media pipeline exists: the format
is decided by Pillow from the content (not the file name), SVG and every
format outside the allow-list are refused, and size and pixel caps are
checked from the header before the image is decoded.
"""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

ALLOWED_IMAGE_FORMATS = {"PNG", "JPEG", "WEBP"}


def _too_large(upload) -> ValidationError:
    return ValidationError(
        _("The file is %(size)s; the limit is %(limit)s."),
        code="too_large",
        params={
            "size": filesizeformat(upload.size),
            "limit": filesizeformat(settings.IMAGE_UPLOAD_MAX_BYTES),
        },
    )


def validate_image_upload(upload) -> None:
    """Raise ValidationError unless `upload` is a PNG, JPEG or WebP within the caps."""
    if upload.size > settings.IMAGE_UPLOAD_MAX_BYTES:
        raise _too_large(upload)
    position = upload.tell()
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            image_format = image.format
            width, height = image.size
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise ValidationError(
            _("This is not an image we accept. Upload a PNG, JPEG or WebP file."),
            code="not_an_image",
        ) from None
    finally:
        upload.seek(position)
    if image_format not in ALLOWED_IMAGE_FORMATS:
        raise ValidationError(
            _("%(format)s images are not accepted. Upload a PNG, JPEG or WebP file."),
            code="format",
            params={"format": image_format},
        )
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


def validate_pdf_upload(upload) -> None:
    """Raise ValidationError unless `upload` starts like a PDF and is within the size cap."""
    if upload.size > settings.IMAGE_UPLOAD_MAX_BYTES:
        raise _too_large(upload)
    position = upload.tell()
    upload.seek(0)
    header = upload.read(5)
    upload.seek(position)
    if header != b"%PDF-":
        raise ValidationError(_("Slides must be a PDF file."), code="not_a_pdf")


@deconstructible
class RandomUploadPath:
    """upload_to for every file: a random name in `folder`, keeping the extension.

    Random names mean an uploader can neither guess another file's URL nor
    overwrite it.
    """

    def __init__(self, folder: str) -> None:
        self.folder = folder

    def __call__(self, instance, filename: str) -> str:
        suffix = PurePath(filename).suffix.lower()[:8]
        return f"{self.folder}/{uuid.uuid4().hex}{suffix}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RandomUploadPath) and other.folder == self.folder
