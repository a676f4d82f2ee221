"""What an organizer may have left in by mistake when publishing: a talk still called by
its identifier, a start far from the series' usual time. Session.scheduling_warnings
asks these; papers is the only thing they know of."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, time

from papers.identifiers import normalize_arxiv_id, normalize_doi

# How far a start may be from the usual time before it is worth a second look.
UNUSUAL_START_MINUTES = 120
# The usual time is the commonest start of the latest sessions, when it is common enough.
USUAL_START_SAMPLE = 10
USUAL_START_AT_LEAST = 3

_URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|www\.)\S+$", re.IGNORECASE)
# The title the workspace gives a talk added by DOI until its real title is typed.
_DOI_PLACEHOLDER = re.compile(r"^doi\s+(\S+)$", re.IGNORECASE)


def looks_like_identifier(title: str) -> bool:
    """True for a title that is an arXiv id or link, a DOI or any bare URL:
    "arXiv:2501.00001", "2501.00001", "10.1145/3292500", "DOI 10.1145/…", "https://…"."""
    text = " ".join(title.split())
    if not text:
        return True
    if match := _DOI_PLACEHOLDER.match(text):
        text = match[1]
    for normalize in (normalize_arxiv_id, normalize_doi):
        try:
            normalize(text)
        except ValueError:
            continue
        return True
    return bool(_URL.match(text))


def usual_start(local_starts: Iterable[datetime]) -> time | None:
    """The commonest local start time of these (newest first), if it is usual enough."""
    counts = Counter(moment.time().replace(second=0, microsecond=0) for moment in local_starts)
    if not counts:
        return None
    usual, count = counts.most_common(1)[0]
    return usual if count >= USUAL_START_AT_LEAST else None


def minutes_apart(first: time, second: time) -> int:
    """Minutes between two times of day, the short way round midnight."""
    difference = abs((first.hour * 60 + first.minute) - (second.hour * 60 + second.minute))
    return min(difference, 24 * 60 - difference)
