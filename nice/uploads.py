"""Where uploaded files are stored. Their checks live in nice.media."""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.utils.deconstruct import deconstructible


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
