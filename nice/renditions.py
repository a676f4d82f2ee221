"""Smaller WebP copies of uploaded images, for srcset.

Made once the upload's transaction has committed, removed with the
original; pages pick them by width, so a phone never downloads a
24-megapixel poster.
"""

from __future__ import annotations

import io
import logging
from pathlib import PurePosixPath

from PIL import Image

WIDTHS = (320, 640, 1280)
logger = logging.getLogger(__name__)


def rendition_name(name: str, width: int) -> str:
    path = PurePosixPath(name)
    return f"renditions/{path.parent.name}/{path.stem}-{width}.webp"


def widths_below(original_width: int | None) -> list[int]:
    return [width for width in WIDTHS if original_width and width < original_width]


def make_renditions(storage, name: str) -> None:
    try:
        with storage.open(name, "rb") as handle, Image.open(handle) as image:
            image.load()
            for width in widths_below(image.width):
                height = round(image.height * width / image.width)
                copy = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB")
                copy = copy.resize((width, height), Image.Resampling.LANCZOS)
                buffer = io.BytesIO()
                copy.save(buffer, "WEBP", quality=80, method=4)
                target = rendition_name(name, width)
                if storage.exists(target):
                    storage.delete(target)
                storage.save(target, io.BytesIO(buffer.getvalue()))
    except OSError:
        logger.exception("Could not make renditions of %s", name)


def delete_renditions(storage, name: str) -> None:
    for width in WIDTHS:
        storage.delete(rendition_name(name, width))
