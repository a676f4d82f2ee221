"""Uploads land whole or not at all, and a full disk is the uploader's error, not a 500.

Django's FileSystemStorage writes straight into the final name, so a write that
fails half-way (a full disk, a quota) leaves a truncated file that a page may
then serve. Here every file is written under a temporary name in the same
directory and linked into place only once it is complete.
"""

from __future__ import annotations

import errno
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.core.files.storage import FileSystemStorage
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

# What the operating system says when there is no room for the bytes.
NO_SPACE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})

NO_SPACE_MESSAGE = _(
    "The server has not enough space to store this file. Nothing was saved; "
    "please try again later or tell an administrator."
)


class StorageFullError(OSError):
    """No room to store a file. An OSError, so code that survives I/O errors survives this."""


class AtomicFileSystemStorage(FileSystemStorage):
    def _save(self, name: str, content) -> str:
        folder = os.path.dirname(name)
        temporary = os.path.join(folder, f".{uuid.uuid4().hex}.part")
        try:
            super()._save(temporary, content)  # type: ignore[misc]  # not in the stubs
            return self._move_into_place(temporary, name)
        except OSError as error:
            if error.errno in NO_SPACE_ERRNOS:
                raise StorageFullError(error.errno, str(NO_SPACE_MESSAGE)) from error
            raise
        finally:
            Path(self.path(temporary)).unlink(missing_ok=True)

    def _move_into_place(self, temporary: str, name: str) -> str:
        """Link the complete file under its name (a new one if taken); the caller unlinks
        the temporary name."""
        source = self.path(temporary)
        while True:
            target = self.path(name)
            if self._allow_overwrite:  # type: ignore[attr-defined]  # not in the stubs
                os.link(source, target + ".new")
                os.replace(target + ".new", target)
                break
            try:
                os.link(source, target)
                break
            except FileExistsError:
                name = self.get_available_name(name)
        return os.path.relpath(target, self.location).replace("\\", "/")


@contextmanager
def form_error_when_storage_full(form: BaseForm) -> Iterator[None]:
    """Turn a full disk while saving `form`'s files into an error on the form.

    Wrap the transaction that saves the form, so that it rolls back; afterwards
    `form.errors` says whether it was saved.
    """
    try:
        yield
    except StorageFullError:
        form.add_error(None, str(NO_SPACE_MESSAGE))


class StorageFullMiddleware:
    """Where no form catches it (the admin, a command run through a view), a full disk is
    a 507 page that says so, not a 500."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, StorageFullError):
            return None
        return render(request, "storage_full.html", status=507)
