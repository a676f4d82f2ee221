"""The announcement of a session as plain text, to paste into a group chat or a mail.

Built here and only here (the session page, the workspace editor and anything that
sends it use `announcement_text`); its layout is templates/sessions/text/announcement.txt.
Written in the active language, with the time on the series' clock and the zone named.
"""

from __future__ import annotations

import re

from django.template.defaultfilters import date as format_date
from django.template.loader import render_to_string
from django.utils.translation import get_language

from sessions.models import Session, Talk

# The template's {% if %} lines leave blank runs; one blank line is the most a paragraph needs.
_BLANK_RUNS = re.compile(r"\n{3,}")


def when_text(session: Session) -> str:
    """The start and end on the series' clock, the zone named:
    Fri, Mar 14, 2025, 19:30–21:00 Asia/Shanghai (UTC+08:00)."""
    series = session.series
    start = session.local_starts_at
    day = format_date(start, "DATE_FORMAT")  # the site's formats carry the weekday
    if not session.has_start_time:
        return day  # only the day is known: no made-up 00:00, and no zone to name
    hours = format_date(start, "H:i")
    end = session.local_ends_at
    if end and end.date() != start.date():
        hours += "–" + format_date(end, "DATE_FORMAT") + " " + format_date(end, "H:i")
    elif end:
        hours += "–" + format_date(end, "H:i")
    separator = (
        " " if _in_chinese() else ", "
    )  # 2025年3月14日 星期五 19:00 / Fri, Mar 14, 2025, 19:00
    return f"{day}{separator}{hours} {series.zone_label(session.starts_at)}"


def _in_chinese() -> bool:
    return (get_language() or "").startswith("zh")


def presenter_names(talk: Talk) -> str:
    separator = "、" if _in_chinese() else ", "
    return separator.join(appearance.person.name for appearance in talk.appearances)


def announcement_text(
    session: Session,
    permalink: str,
    talks: list[Talk] | None = None,
    *,
    for_attendee: bool = False,
) -> str:
    """The announcement in the active language. Uses the prefetches of with_cards(),
    or `talks` with their presenters (Talk.objects.with_context()) when given.

    A live link kept for those who RSVP is not in it (the text says to RSVP instead),
    unless it is for an attendee's own mail.
    """
    context = {
        "session": session,
        "when": when_text(session),
        "talks": [
            (talk, presenter_names(talk))
            for talk in (session.talks.all() if talks is None else talks)
        ],
        "live_url": session.live_url if for_attendee else session.public_live_url,
        "rsvp_for_link": not for_attendee
        and bool(session.live_url and session.live_url_for_rsvp_only),
        "permalink": permalink,
    }
    text = render_to_string("sessions/text/announcement.txt", context)
    lines = (line.rstrip() for line in text.strip().splitlines())
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines))
