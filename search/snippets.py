"""Snippets: the stretch of a text around what was searched, escaped, then marked."""

from __future__ import annotations

from functools import lru_cache

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from search.normalize import fold


@lru_cache(maxsize=8192)
def _fold_char(char: str) -> str:
    return fold(char)


def _folded_with_origins(text: str) -> tuple[str, list[int]]:
    """The folded text, and for each of its characters the index it came from:
    folding may lengthen (ß → ss) or shorten (e + accent → e) the text."""
    folded: list[str] = []
    origins: list[int] = []
    for index, char in enumerate(text):
        for folded_char in _fold_char(char):
            folded.append(folded_char)
            origins.append(index)
    return "".join(folded), origins


def _spans(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Where the terms occur in `text` (original indexes), in order, not overlapping."""
    folded, origins = _folded_with_origins(text)
    found: list[tuple[int, int]] = []
    for term in filter(None, terms):
        start = folded.find(term)
        while start != -1:
            end = start + len(term)
            found.append((origins[start], origins[end - 1] + 1))
            start = folded.find(term, end)
    found.sort()
    merged: list[tuple[int, int]] = []
    for start, end in found:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlight(text: str, terms: list[str], width: int = 0) -> SafeString:
    """`text` escaped, each term in <mark>; with a width, only the window around the
    first match (or the start), with an ellipsis where it was cut."""
    spans = _spans(text, terms)
    begin, end = 0, len(text)
    if width and len(text) > width:
        first = spans[0][0] if spans else 0
        begin = max(0, min(first - width // 4, len(text) - width))
        end = begin + width
    out: list[str] = ["…" if begin else ""]
    position = begin
    for start, stop in spans:
        if stop <= begin or start >= end:
            continue
        start, stop = max(start, begin), min(stop, end)
        out.append(escape(text[position:start]))
        out.append(f"<mark>{escape(text[start:stop])}</mark>")
        position = stop
    out.append(escape(text[position:end]))
    out.append("…" if end < len(text) else "")
    return mark_safe("".join(out))  # every piece of text is escaped above
