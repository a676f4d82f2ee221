"""What text may enter the app: one rule, used by models, the request boundary and outputs.

Control characters (NUL, ESC, backspace, C1 codes), lone surrogates and
Unicode non-characters have no business in a title or a name: PostgreSQL
refuses NUL, XML feeds refuse most of the rest, and none of them can be
typed on purpose. Tabs and line breaks stay in multi-line text.
"""

from __future__ import annotations

import re

from django.core.validators import URLValidator
from django.db import models

# C0 controls but \t \n \r, DEL, C1 controls, lone surrogates, non-characters.
_UNWANTED = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]"
)
_LINE_BREAKS = re.compile(r"[\t\r\n\u2028\u2029]+")


def clean_text(value: str, *, multiline: bool = True) -> str:
    """`value` without the characters above; single-line text also loses tabs and breaks."""
    value = _UNWANTED.sub("", value)
    if not multiline:
        value = _LINE_BREAKS.sub(" ", value)
    return value


def has_unwanted(value: str) -> bool:
    return bool(_UNWANTED.search(value))


# ---------------------------------------------------------------- the rule on models

# Long enough for the longest real paper notes (about 8,000 characters) with
# room to spare; short enough that rendering one cannot tie up a worker.
LONG_TEXT_MAX_LENGTH = 20_000
HTTP_SCHEMES = ["http", "https"]


class HttpURLField(models.URLField):
    """A link: http(s) only, so no javascript: or data: URL reaches an href."""

    default_validators = [URLValidator(schemes=HTTP_SCHEMES)]

    def formfield(self, **kwargs):
        return super().formfield(
            **{
                "validators": [URLValidator(schemes=HTTP_SCHEMES)],
                "assume_scheme": "https",
                **kwargs,
            }
        )


class CleanTextModel(models.Model):
    """Applies clean_text to every text field when the model is validated: by forms
    (the workspace and the admin call full_clean) and by the writers every importer
    goes through (sessions.writers, papers.writers). A bare save() or update() skips
    it, which is why nothing else writes these models; outputs (feeds) clean again."""

    class Meta:
        abstract = True

    def clean_fields(self, exclude=None) -> None:
        for field in self._meta.concrete_fields:
            value = getattr(self, field.attname)
            if isinstance(value, str) and isinstance(field, (models.CharField, models.TextField)):
                multiline = isinstance(field, models.TextField)
                setattr(self, field.attname, clean_text(value, multiline=multiline))
        super().clean_fields(exclude=exclude)
