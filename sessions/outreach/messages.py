"""What each mail says: subject, plain-text and HTML parts, the session's .ics, and the
unsubscribe headers of RFC 8058. Built in the recipient's language (the one they
chose), with times on the series' clock and the zone named (announcement.when_text).

The session's part of a mail is the same for every recipient of a mailing in one
language, so MessageBuilder renders it once per (mailing, language) and only the
personal links differ per address.
"""

from __future__ import annotations

import email.policy
import secrets
from dataclasses import dataclass
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formatdate

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, make_msgid
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from sessions.announcement import announcement_text, presenter_names, when_text
from sessions.calendar import calendar_for, event_title
from sessions.models import Session, Talk
from sessions.outreach.models import Delivery, Mailing, Subscription
from sessions.outreach.service import confirmation_code

Kind = Mailing.Kind
Confirmation = Delivery.Confirmation
# What an SMTP server expects on the wire: CRLF line ends (RFC 5321).
# Long ASCII headers (a List-Unsubscribe link) stay on one line (the limit is 998);
# non-ASCII ones are encoded words, folded at 76 by Header.
WIRE = email.policy.compat32.clone(linesep="\r\n", max_line_length=998)


def _boundary() -> str:
    """A MIME boundary chosen up front, so the generator need not search each body for
    a safe one: every part here is base64 (utf-8 MIMEText), which never contains "=_"."""
    return "=_nice_" + secrets.token_hex(12)


class LeanMessage(EmailMultiAlternatives):
    """A mail serialized with the standard library's compat32 MIME classes.

    Django 6.1 builds messages with the modern email API, whose header registry
    costs about 5 ms of CPU a mail: three quarters of the worker's time when it
    sends ten thousand reminders (measured with scripts/bench_mail.py --profile).
    The compat32 classes, which Django used up to 5.x, take under 1 ms. Every
    backend (SMTP, console, locmem) calls message(), so all of them get this one.
    Header values are ours (subject from a cleaned title, links we built); a line
    break in one would be header injection, so it is refused here as Django does.
    """

    def message(self, *, policy=None):  # one wire format, whatever the backend asks
        body = MIMEMultipart("alternative", boundary=_boundary())
        body.attach(MIMEText(str(self.body), "plain", "utf-8"))
        for content, mimetype in self.alternatives:
            body.attach(MIMEText(str(content), mimetype.split("/", 1)[1], "utf-8"))
        message = (
            MIMEMultipart("mixed", boundary=_boundary(), policy=WIRE) if self.attachments else body
        )
        if self.attachments:
            message.attach(body)
            for filename, content, mimetype in self.attachments:  # text only: the .ics
                part = MIMEText(
                    content.decode() if isinstance(content, bytes) else str(content),
                    mimetype.split("/", 1)[1],
                    "utf-8",
                )
                part.add_header("Content-Disposition", "attachment", filename=filename)
                message.attach(part)
        message.policy = WIRE
        headers = {
            "Subject": self.subject,
            "From": self.from_email,
            "To": ", ".join(self.to),
            "Date": formatdate(),
            **self.extra_headers,
        }
        for name, value in headers.items():
            if "\n" in value or "\r" in value:
                raise ValueError(f"A line break in the {name} header: {value!r}")
            message[name] = value if value.isascii() else Header(value, "utf-8", 76).encode()
        return message


def absolute(path: str) -> str:
    return settings.SITE_URL + path


@dataclass
class SessionPart:
    """The parts of a session mail shared by all its recipients in one language."""

    session: Session
    permalink: str
    when: str
    announcement: str
    talks: list[tuple[Talk, str]]
    ics: bytes


class MessageBuilder:
    def __init__(self) -> None:
        self._parts: dict[tuple[int, str, bool], SessionPart] = {}
        self._bodies_cache: dict[tuple, tuple[str, str]] = {}

    def message(self, delivery: Delivery) -> EmailMultiAlternatives:
        with translation.override(delivery.language):
            if delivery.kind == Confirmation.SUBSCRIPTION:
                return self._confirmation(delivery, _subscription_of(delivery))
            return self._session_mail(delivery, _session_of(delivery))

    # ------------------------------------------------------------ session mails

    def _part(self, session: Session, language: str, for_attendee: bool) -> SessionPart:
        key = (session.pk, language, for_attendee)
        if key not in self._parts:
            session = Session.objects.with_cards().get(pk=session.pk)
            permalink = absolute(session.get_absolute_url())
            talks = list(session.talks.all())
            self._parts[key] = SessionPart(
                session=session,
                permalink=permalink,
                when=when_text(session),
                announcement=announcement_text(
                    session, permalink, talks, for_attendee=for_attendee
                ),
                talks=[(talk, presenter_names(talk)) for talk in talks],
                ics=calendar_for(
                    [session], lambda s: permalink, f"{session.series.name} {session.number}"
                ),
            )
        return self._parts[key]

    def _session_mail(self, delivery: Delivery, session: Session) -> EmailMultiAlternatives:
        is_rsvp = delivery.rsvp is not None
        part = self._part(session, delivery.language, for_attendee=is_rsvp)
        session = part.session
        if delivery.rsvp is not None:
            stop_url = absolute(reverse("sessions:rsvp-cancel", args=[delivery.rsvp.token]))
            own_url = absolute(reverse("sessions:rsvp-detail", args=[delivery.rsvp.token]))
        else:
            subscription = _subscription_of(delivery)
            stop_url = absolute(reverse("sessions:unsubscribe", args=[subscription.token]))
            own_url = ""
        for_one_session = delivery.subscription is not None and bool(
            delivery.subscription.session_id
        )
        text, html = self._bodies(part, delivery.kind, is_rsvp, for_one_session)
        message = LeanMessage(
            subject=_subject(delivery.kind, session, part.when),
            body=_personal(text, stop_url, own_url),
            to=[delivery.email],
            headers=_list_headers(session, stop_url),
        )
        message.attach_alternative(_personal(html, stop_url, own_url), "text/html")
        message.attach("session.ics", part.ics, "text/calendar")
        return message

    def _bodies(
        self, part: SessionPart, kind: str, is_rsvp: bool, for_one_session: bool
    ) -> tuple[str, str]:
        """The text and HTML of a session mail, rendered once for everyone who gets the
        same one; only the recipient's own links (STOP_URL, OWN_URL) are filled in per mail."""
        key = (part.session.pk, translation.get_language(), kind, is_rsvp, for_one_session)
        if key not in self._bodies_cache:
            session = part.session
            context = {
                "language": translation.get_language(),
                "kind": kind,
                "part": part,
                "session": session,
                # Kept for those who RSVP: their mails carry it, nobody else's do.
                "private_live_url": session.live_url
                if is_rsvp and session.live_url_for_rsvp_only
                else "",
                "is_rsvp": is_rsvp,
                "for_one_session": for_one_session,
                "stop_url": STOP_URL,
                "own_url": OWN_URL if is_rsvp else "",
            }
            self._bodies_cache[key] = (
                render_to_string("sessions/mail/session.txt", context),
                render_to_string("sessions/mail/session.html", context),
            )
        return self._bodies_cache[key]

    # ------------------------------------------------------------ confirmation

    def _confirmation(
        self, delivery: Delivery, subscription: Subscription
    ) -> EmailMultiAlternatives:
        target = subscription.session or subscription.series
        context = {
            "language": delivery.language,
            "subscription": subscription,
            "target": target,
            "series": subscription.series,
            "confirm_url": absolute(
                reverse("sessions:subscription-confirm", args=[confirmation_code(subscription)])
            ),
        }
        message = LeanMessage(
            subject=_("Confirm your subscription to %(target)s") % {"target": target},
            body=render_to_string("sessions/mail/confirm.txt", context),
            to=[delivery.email],
            headers={
                "Message-ID": make_msgid(domain=_domain()),
                "Auto-Submitted": "auto-generated",
            },
        )
        message.attach_alternative(
            render_to_string("sessions/mail/confirm.html", context), "text/html"
        )
        return message


# Stand-ins for a recipient's own links in bodies rendered once per mailing: nothing
# a template writes looks like them, and escaping leaves them as they are.
STOP_URL = "\u2063stop-url\u2063"
OWN_URL = "\u2063own-url\u2063"


def _personal(body: str, stop_url: str, own_url: str) -> str:
    """A shared body with this recipient's links (URL-safe characters only: no escaping)."""
    return body.replace(STOP_URL, stop_url).replace(OWN_URL, own_url)


def _session_of(delivery: Delivery) -> Session:
    if delivery.mailing is not None:
        return delivery.mailing.session
    if delivery.rsvp is not None:  # the confirmation of an RSVP
        return delivery.rsvp.session
    raise ValueError(f"Delivery {delivery.pk} names no session")


def _subscription_of(delivery: Delivery) -> Subscription:
    if delivery.subscription is None:
        raise ValueError(f"Delivery {delivery.pk} names no subscription")
    return delivery.subscription


def _subject(kind: str, session: Session, when: str) -> str:
    title = event_title(session)
    if kind == Kind.REMINDER or kind == Kind.SECOND_REMINDER:
        return _("Reminder: %(title)s, %(when)s") % {"title": title, "when": when}
    if kind == Kind.MOVED:
        return _("New time: %(title)s, %(when)s") % {"title": title, "when": when}
    if kind == Kind.CANCELLED:
        return _("Cancelled: %(title)s") % {"title": title}
    if kind == Confirmation.RSVP:
        return _("You are attending %(title)s") % {"title": title}
    return title


def _domain() -> str:
    return settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]


def _list_headers(session: Session, stop_url: str) -> dict[str, str]:
    """One-click unsubscribe (RFC 8058): a POST to stop_url stops these mails."""
    return {
        "Message-ID": make_msgid(domain=_domain()),
        "List-Id": f"<{session.series.slug}.{_domain()}>",
        "List-Unsubscribe": f"<{stop_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
    }
