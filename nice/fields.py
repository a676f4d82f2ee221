"""Model fields whose forms send every upload through nice.media.

Using them on the models means the admin, the workspace and any future
form get the same checks without remembering to add them.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from django import forms
from django.db import models

from nice.media import process_image, processed_pdf_upload, processed_upload

IMAGE_ACCEPT = "image/png,image/jpeg,image/webp,image/gif"


class SafeImageFormField(forms.FileField):
    """Validates like forms.ImageField, then hands on the re-encoded image instead."""

    widget = forms.ClearableFileInput(attrs={"accept": IMAGE_ACCEPT})

    def to_python(self, data):
        upload = super().to_python(data)  # empty files and missing names are refused here
        if upload is None:
            return None
        return processed_upload(upload, process_image(upload))


class SafeImageField(models.ImageField):
    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": SafeImageFormField, **kwargs})


class PdfFormField(forms.FileField):
    widget = forms.ClearableFileInput(attrs={"accept": "application/pdf"})

    def to_python(self, data):
        upload = super().to_python(data)
        if upload is None:
            return None
        return processed_pdf_upload(upload)


class PdfFileField(models.FileField):
    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": PdfFormField, **kwargs})

    def generate_filename(self, instance, filename) -> str:
        # Whatever a file was called, a slides file is stored as .pdf, so it is never
        # served as HTML. The form field has already checked that it is a PDF.
        stem = PurePosixPath(filename).stem or "slides"
        return super().generate_filename(instance, f"{stem}.pdf")
