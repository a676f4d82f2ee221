"""Sessions as iCalendar events: one .ics per session and a subscribable feed per series.

UIDs never change for a session; SEQUENCE is its version and LAST-MODIFIED
its last change, so calendar clients update events in place. Times carry
the series' zone, with its VTIMEZONE.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Alarm, Calendar, Event

from sessions.models import Series, Session

PRODID = "-//nice//paper sharing sessions//EN"


def event_uid(session: Session) -> str:
    return f"session-{session.pk}@nice"


def event_title(session: Session) -> str:
    return (
        f"{session.series.name} "
        + _("No. %(number)s") % {"number": session.number}
        + f"：{session.title}"
    )


def event_description(session: Session, url: str) -> str:
    """The talk list and the link. Uses prefetched talks and presenters."""
    lines = []
    for index, talk in enumerate(session.talks.all(), start=1):
        people = "、".join(a.person.name for a in talk.appearances)
        lines.append(f"{index}. {talk.title}" + (f"（{people}）" if people else ""))
    if session.public_live_url:
        lines.append(_("Live") + f": {session.public_live_url}")
    lines.append(url)
    return "\n".join(lines)


def session_event(session: Session, url: str) -> Event:
    zone = session.series.zone
    event = Event()
    event.add("uid", event_uid(session))
    event.add("sequence", session.version)
    event.add("dtstamp", session.updated_at)
    event.add("last-modified", session.updated_at)
    event.add("summary", event_title(session))
    event.add("description", event_description(session, url))
    event.add("url", url)
    location = session.venue or session.public_live_url
    if location:
        event.add("location", location)
    start = timezone.localtime(session.starts_at, zone)
    if session.has_start_time:
        event.add("dtstart", start)
        end = (
            timezone.localtime(session.ends_at, zone)
            if session.ends_at
            else start + timedelta(hours=2)
        )
        event.add("dtend", end)
    else:
        event.add("dtstart", start.date())  # the day is all that is known
    event.add("status", "CANCELLED" if session.is_cancelled else "CONFIRMED")
    if not session.is_cancelled:
        for lead in reminder_leads(session.series):
            event.add_component(reminder(lead, event_title(session)))
    return event


def reminder_leads(series: Series) -> list[timedelta]:
    """How long before a session its calendar reminds: the series' lead, and its second one."""
    return [lead for lead in (series.reminder_lead, series.second_reminder_lead) if lead]


def reminder(lead: timedelta, title: str) -> Alarm:
    """A VALARM going off `lead` before the event starts (RFC 5545 3.6.6)."""
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("trigger", -lead)
    alarm.add("description", title)
    return alarm


def calendar_for(sessions, url_of, name: str) -> bytes:
    """An iCalendar file of `sessions` (with their cards' prefetches)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    with translation.override(settings.LANGUAGE_CODE):
        for session in sessions:
            calendar.add_component(session_event(session, url_of(session)))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def feed_sessions(series: Series):
    """Upcoming public sessions and a bounded past window, so subscriptions stay small."""
    since = timezone.now() - timedelta(weeks=settings.CALENDAR_PAST_WEEKS)
    return (
        Session.objects.public()
        .filter(series=series, starts_at__gte=since)
        .with_cards()
        .order_by("starts_at")
    )


def google_calendar_link(session: Session, url: str) -> str:
    """Google Calendar's "add event" page, prefilled."""
    start = session.starts_at.astimezone(UTC)
    end = (session.ends_at or session.starts_at + timedelta(hours=2)).astimezone(UTC)
    stamp = "%Y%m%dT%H%M%SZ"
    query = {
        "action": "TEMPLATE",
        "text": event_title(session),
        "dates": f"{start.strftime(stamp)}/{end.strftime(stamp)}",
        "details": url,
        "location": session.venue or session.public_live_url,
        "ctz": session.series.timezone,
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(query)
