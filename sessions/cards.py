"""Session cards, rendered once per version of the archive and language.

Lists of cards (home, archive, keyword pages) are most of what visitors load,
and a card is the same for everyone who may see it: it shows the session, never
the viewer. So each card's HTML is kept under the content version
(nice.pagecache.derived_many): the next write to the archive makes it stale.
A list then costs one query for its sessions and one cache read; only cards not
yet rendered load their presenters, talks and keywords (Session.with_cards).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from nice import pagecache
from sessions.models import Session


def attach_cards(sessions: Sequence[Session]) -> Sequence[Session]:
    """Give each session its `card_html`; returns them, in the same order."""
    language = get_language()
    keys = {session.pk: f"card:{session.pk}:{language}" for session in sessions}

    def render(missing: list[int]) -> dict[int, str]:
        loaded = Session.objects.with_cards().in_bulk(missing)
        return {
            pk: render_to_string("sessions/_session_card.html", {"session": session})
            for pk, session in loaded.items()
        }

    cards = pagecache.derived_many(keys, render)
    for session in sessions:
        session.card_html = mark_safe(cards.get(session.pk, ""))  # type: ignore[attr-defined]
    return sessions
