"""Template tags for spreading the word: {% announcement session %} and {% your_time session %}."""

from __future__ import annotations

from django import template

from sessions.announcement import announcement_text
from sessions.models import Session

register = template.Library()


@register.inclusion_tag("sessions/_announcement.html", takes_context=True)
def announcement(context, session: Session) -> dict:
    """The copyable announcement: a button with JavaScript, a selectable text without."""
    if "talks" not in getattr(session, "_prefetched_objects_cache", {}):
        # The workspace editor's session comes without its talks' presenters.
        session = Session.objects.with_cards().get(pk=session.pk)
    permalink = context["request"].build_absolute_uri(session.get_absolute_url())
    return {"session": session, "text": announcement_text(session, permalink)}


@register.inclusion_tag("sessions/_your_time.html")
def your_time(session: Session) -> dict:
    """The start in the visitor's own zone, filled in by static/js/session-share.js."""
    return {"session": session}
