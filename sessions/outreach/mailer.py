"""The one place mail about sessions leaves, exactly once per address and occasion.

A change that deserves mail (plan_mailings, called by Session.save) writes a small
Mailing row in the same transaction as the change; reminders become due by the
clock (plan_due_reminders). `dispatch` then lists each mailing's recipients as
Delivery rows (one transaction per mailing, unique per address) and sends what is
due. Sending claims one row at a time (pending → sending, a conditional UPDATE),
so any number of workers can share the work and none sends a row another took.

What "exactly once" means when a worker dies: a row it had claimed but not
recorded as sent may or may not have reached the mail server. It is marked
UNKNOWN after CLAIM_TIMEOUT and never retried on its own (an admin can); every
other row is sent by the next dispatch. SMTP errors are retried with back-off
(Delivery.backoff) MAX_ATTEMPTS times, then recorded as FAILED, never dropped.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.mail import mailers
from django.db import transaction
from django.db.models import DateTimeField, Exists, ExpressionWrapper, F, OuterRef, Q
from django.utils import timezone

from sessions.models import Session
from sessions.outreach.models import (
    Delivery,
    Mailing,
    Rsvp,
    Subscription,
    SuppressedAddress,
)

logger = logging.getLogger(__name__)

CLAIM_TIMEOUT = timedelta(minutes=10)
MAX_ATTEMPTS = 5
BATCH_SIZE = 200
# After this many connection failures in a row the mail server is down: stop this round.
CONSECUTIVE_FAILURES_TO_STOP = 3

Status = Delivery.Status


# ---------------------------------------------------------------- what deserves mail


def plan_mailings(session: Session, *, before: tuple[str | None, datetime | None]) -> None:
    """After a session is saved: an upcoming session just published is announced, a
    published one that moved is announced as moved, one cancelled is announced as such."""
    status_before, start_before = before
    if session.starts_at is None or session.starts_at <= timezone.now():
        return  # the past (an imported archive) is never mailed
    kind = None
    if session.status == Session.Status.PUBLISHED:
        if status_before != Session.Status.PUBLISHED:
            kind = Mailing.Kind.ANNOUNCEMENT
        elif start_before is not None and start_before != session.starts_at:
            kind = Mailing.Kind.MOVED
    elif session.status == Session.Status.CANCELLED and status_before == Session.Status.PUBLISHED:
        kind = Mailing.Kind.CANCELLED
    if kind is None:
        return
    _, created = Mailing.objects.get_or_create(
        session=session, kind=kind, occasion=session.starts_at
    )
    if created:
        transaction.on_commit(send_soon)


def send_soon() -> None:
    """Ask a worker to dispatch now (the periodic dispatch would within a minute anyway)."""
    from sessions.outreach.tasks import dispatch_mail

    dispatch_mail.enqueue()


def plan_due_reminders(now: datetime) -> int:
    """A Mailing for every reminder whose time has come, for the session's current start.

    A reminder whose time had already passed when the session was announced (or its new
    time announced) is not sent: that mail, moments ago, said all a reminder would.
    """
    created = 0
    for kind, lead in (
        (Mailing.Kind.REMINDER, "series__reminder_lead"),
        (Mailing.Kind.SECOND_REMINDER, "series__second_reminder_lead"),
    ):
        due = (
            Session.objects.filter(
                status=Session.Status.PUBLISHED, starts_at__gt=now, **{f"{lead}__isnull": False}
            )
            .alias(remind_at=ExpressionWrapper(F("starts_at") - F(lead), DateTimeField()))
            .filter(remind_at__lte=now)
            .exclude(
                Exists(
                    Mailing.objects.filter(
                        session=OuterRef("pk"), kind=kind, occasion=OuterRef("starts_at")
                    )
                )
            )
            .exclude(
                Exists(
                    Mailing.objects.filter(
                        session=OuterRef("pk"),
                        kind__in=[Mailing.Kind.ANNOUNCEMENT, Mailing.Kind.MOVED],
                        occasion=OuterRef("starts_at"),
                        created_at__gt=OuterRef("remind_at"),
                    )
                )
            )
            .values_list("pk", "starts_at")
        )
        rows = [Mailing(session_id=pk, kind=kind, occasion=start) for pk, start in due]
        Mailing.objects.bulk_create(rows, ignore_conflicts=True)
        created += len(rows)
    return created


# ---------------------------------------------------------------- who receives it


@dataclass(frozen=True)
class Recipient:
    email: str
    language: str
    subscription_id: int | None = None
    rsvp_id: int | None = None


def recipients(mailing: Mailing) -> list[Recipient]:
    """Everyone this mailing goes to, each address once: those who RSVPed (their mail
    carries what RSVP gives), then subscribers of the session, then of the series. An
    announcement goes to the series' subscribers only (nobody else knew of it)."""
    session = mailing.session
    suppressed = SuppressedAddress.objects.values("email")
    found: dict[str, Recipient] = {}
    if mailing.kind != Mailing.Kind.ANNOUNCEMENT:
        for pk, email, language in (
            Rsvp.objects.attending()
            .filter(session=session)
            .exclude(email__in=suppressed)
            .values_list("pk", "email", "language")
        ):
            found.setdefault(email, Recipient(email, language, rsvp_id=pk))
    subscriptions = Subscription.objects.active().filter(series=session.series_id)
    subscriptions = (
        subscriptions.filter(session=None)
        if mailing.kind == Mailing.Kind.ANNOUNCEMENT
        else subscriptions.filter(Q(session=None) | Q(session=session.pk))
    )
    for pk, email, language in (
        subscriptions.exclude(email__in=suppressed)
        .order_by("-session", "pk")  # a session's own subscription first
        .values_list("pk", "email", "language")
    ):
        found.setdefault(email, Recipient(email, language, subscription_id=pk))
    return list(found.values())


def expand(mailing: Mailing, now: datetime) -> int:
    """Write the mailing's deliveries (none when it is no longer true), in one transaction."""
    with transaction.atomic():
        rows = []
        if mailing.is_still_true():
            rows = [
                Delivery(
                    mailing=mailing,
                    kind=mailing.kind,
                    email=recipient.email,
                    language=recipient.language,
                    subscription_id=recipient.subscription_id,
                    rsvp_id=recipient.rsvp_id,
                    next_attempt_at=now,
                )
                for recipient in recipients(mailing)
            ]
            Delivery.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
        Mailing.objects.filter(pk=mailing.pk).update(expanded_at=now)
    return len(rows)


# ---------------------------------------------------------------- sending


@dataclass
class DispatchReport:
    mailings: int = 0
    sent: int = 0
    failed: int = 0
    retrying: int = 0
    skipped: int = 0
    unknown: int = 0
    errors: list[str] = field(default_factory=list)


def dispatch(now: datetime | None = None) -> DispatchReport:
    """Everything due now: stale claims recorded, reminders planned, recipients listed, mail sent."""
    now = now or timezone.now()
    report = DispatchReport()
    report.unknown = Delivery.objects.filter(
        status=Status.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT
    ).update(status=Status.UNKNOWN)
    plan_due_reminders(now)
    for mailing in Mailing.objects.filter(expanded_at=None).select_related("session"):
        expand(mailing, now)
        report.mailings += 1
    send_due(now, report)
    return report


def send_due(now: datetime, report: DispatchReport) -> None:
    """Send every pending delivery due at `now`, batch by batch, over one SMTP connection."""
    from sessions.outreach.messages import MessageBuilder

    builder = MessageBuilder()
    connection = mailers.default
    failures_in_a_row = 0
    try:
        while failures_in_a_row < CONSECUTIVE_FAILURES_TO_STOP:
            batch = list(
                Delivery.objects.filter(status=Status.PENDING, next_attempt_at__lte=now)
                .select_related("mailing__session__series", "subscription", "rsvp")
                .order_by("next_attempt_at", "pk")[:BATCH_SIZE]
            )
            if not batch:
                break
            suppressed = set(
                SuppressedAddress.objects.filter(email__in=[d.email for d in batch]).values_list(
                    "email", flat=True
                )
            )
            for delivery in batch:
                if not _claim(delivery, now):
                    continue  # another worker took it
                if delivery.email in suppressed or (
                    delivery.mailing and not delivery.mailing.is_still_true()
                ):
                    _finish(delivery, Status.SKIPPED)
                    report.skipped += 1
                    continue
                outcome = _send_one(delivery, builder, connection, now, report)
                failures_in_a_row = failures_in_a_row + 1 if outcome == "server" else 0
                if failures_in_a_row >= CONSECUTIVE_FAILURES_TO_STOP:
                    break
    finally:
        connection.close()


def _send_one(
    delivery: Delivery, builder, connection, now: datetime, report: DispatchReport
) -> str:
    """Hand one claimed delivery to the server: "sent", "refused" or "server" (its fault)."""
    try:
        message = builder.message(delivery)
    except Exception as error:  # a bug of ours must not leave the row claimed forever
        logger.exception("Could not write the mail to %s", delivery.email)
        _finish(delivery, Status.FAILED, error=f"{type(error).__name__}: {error}"[:1000])
        report.failed += 1
        return "refused"
    try:
        # Opened here, the connection stays open for the next mail (send_messages
        # closes only a connection it opened itself).
        connection.open()
        connection.send_messages([message])
    except (smtplib.SMTPException, OSError) as error:
        connection.close()  # a fresh connection for the next one
        return "server" if _record_failure(delivery, error, now, report) else "refused"
    _finish(delivery, Status.SENT, sent_at=timezone.now())
    report.sent += 1
    return "sent"


def _claim(delivery: Delivery, now: datetime) -> bool:
    claimed = Delivery.objects.filter(pk=delivery.pk, status=Status.PENDING).update(
        status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    delivery.attempts += 1
    return claimed == 1


def _finish(delivery: Delivery, status: str, **fields) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(status=status, **fields)


def _record_failure(
    delivery: Delivery, error: Exception, now: datetime, report: DispatchReport
) -> int:
    """Retry later, or give up when the server refused the address or tries ran out.
    Returns 1 when the failure looks like the server's (counts towards stopping)."""
    message = f"{type(error).__name__}: {error}"[:1000]
    refused = _is_permanent(error)
    if refused or delivery.attempts >= MAX_ATTEMPTS:
        _finish(delivery, Status.FAILED, error=message)
        report.failed += 1
    else:
        _finish(
            delivery,
            Status.PENDING,
            error=message,
            next_attempt_at=delivery.retry_at(now),
        )
        report.retrying += 1
    report.errors.append(f"{delivery.email}: {message}")
    logger.warning("Mail to %s failed (attempt %s): %s", delivery.email, delivery.attempts, message)
    return 0 if refused else 1


def _is_permanent(error: Exception) -> bool:
    """A 5xx answer: the server will never take this mail. 4xx and network errors pass."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    return isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500
