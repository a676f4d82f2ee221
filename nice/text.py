"""What text may enter the app: one rule, used by models, the request boundary and outputs.

Control characters (NUL, ESC, backspace, C1 codes), lone surrogates and
Unicode non-characters have no business in a title or a name: PostgreSQL
refuses NUL, XML feeds refuse most of the rest, and none of them can be
typed on purpose. Tabs and line breaks stay in multi-line text.
"""

from __future__ import annotations

import re

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
