"""The embeddable schedule: the next sessions of a series, for other sites.

One rule for the embed page (/<series>/embed/) and its JSON twin in the API
(/api/v1/series/<slug>/upcoming): which sessions, and how many.
"""

from __future__ import annotations

from sessions.models import Series, Session

DEFAULT_LIMIT = 5
# A lab homepage shows the next few weeks; more would make the frame a second archive.
MAX_LIMIT = 20


def parse_limit(raw: str | None) -> int:
    """?limit= as a count of sessions: too large is the maximum, anything not a
    positive number (empty, "abc", "-3", "²", a 5,000-digit number) the default."""
    raw = (raw or "").strip()
    if not (raw.isascii() and raw.isdigit()):
        return DEFAULT_LIMIT
    digits = raw.lstrip("0")
    if not digits:
        return DEFAULT_LIMIT
    return MAX_LIMIT if len(digits) > 3 else min(int(digits), MAX_LIMIT)


def upcoming_sessions(series: Series, limit: int) -> list[Session]:
    """The next public sessions not over yet, soonest first, with their cards'
    prefetches. Cancelled ones stay in, marked: a homepage should say so.
    A fixed number of queries, whatever the limit."""
    return list(Session.objects.public().filter(series=series).upcoming().with_cards()[:limit])
