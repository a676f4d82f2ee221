"""Model fields whose forms send every upload through nice.media.

Using them on the models means the admin, the workspace and any future
form get the same checks without remembering to add them.
"""

from __future__ import annotations

from django import forms
from django.db import models

from nice.media import process_image, process_pdf, processed_upload

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
        if upload is not None:
            process_pdf(upload)
        return upload


class PdfFileField(models.FileField):
    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": PdfFormField, **kwargs})
