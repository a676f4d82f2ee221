"""Template tags for spreading the word: {% announcement session %}, {% your_time session %}
and {% embed_snippet series %}."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.urls import reverse

from sessions.announcement import announcement_text
from sessions.models import Series, Session, Talk

register = template.Library()


@register.inclusion_tag("sessions/_announcement.html", takes_context=True)
def announcement(context, session: Session, talks: list[Talk] | None = None) -> dict:
    """The copyable announcement: a button with JavaScript, a selectable text without.

    `session` with the prefetches of with_cards(), or its `talks` given (the editor's).
    """
    permalink = context["request"].build_absolute_uri(session.get_absolute_url())
    return {"session": session, "text": announcement_text(session, permalink, talks)}


@register.inclusion_tag("sessions/_your_time.html")
def your_time(session: Session) -> dict:
    """The start in the visitor's own zone, filled in by static/js/session-share.js."""
    return {"session": session}


@register.inclusion_tag("sessions/_embed_snippet.html", takes_context=True)
def embed_snippet(context, series: Series) -> dict:
    """The HTML another site pastes to show the series' next sessions: the frame and
    the script that sizes it, with absolute URLs. The script's URL is its plain name,
    not the hashed one: a pasted snippet must outlive our next deploy."""
    request = context["request"]
    return {
        "series": series,
        "frame_url": request.build_absolute_uri(
            reverse("sessions:series-embed", args=[series.slug])
        ),
        "script_url": request.build_absolute_uri(f"{settings.STATIC_URL}js/embed-host.js"),
    }
