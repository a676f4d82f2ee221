"""The one writer of subscriptions and RSVPs: what the forms, the admin and the
tests call. Mail is never sent here, only queued (a Delivery row) for the worker."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from sessions.models import Series, Session
from sessions.outreach.mailer import send_soon
from sessions.outreach.models import (
    Delivery,
    Rsvp,
    Subscription,
    SuppressedAddress,
    new_token,
    normalize_email,
)

CONFIRMATION_SALT = "nice.subscription.confirm"
CONFIRMATION_MAX_AGE = timedelta(days=3)


class Asked(StrEnum):
    """What a subscribe request did; the view words it for the visitor."""

    CONFIRMATION_SENT = "confirmation-sent"
    ALREADY_ACTIVE = "already-active"
    SUBSCRIBED = "subscribed"  # a logged-in user's own verified address: no mail needed
    TOO_MANY_CONFIRMATIONS = "too-many-confirmations"
    SUPPRESSED = "suppressed"


def is_suppressed(email: str) -> bool:
    return SuppressedAddress.objects.filter(email=normalize_email(email)).exists()


def confirmations_sent_today(email: str) -> int:
    return Delivery.objects.filter(
        email=email,
        kind=Delivery.Confirmation.SUBSCRIPTION,
        created_at__gte=timezone.now() - timedelta(days=1),
    ).count()


def subscribe(
    series: Series,
    email: str,
    *,
    language: str,
    session: Session | None = None,
    user=None,
) -> tuple[Subscription | None, Asked]:
    """Ask to subscribe `email` to a series (or one session of it).

    Double opt-in: nothing is mailed until the link in the confirmation mail is
    followed, except for a logged-in user subscribing their own account's address,
    which is confirmed at once. Asking again re-sends the confirmation (up to
    OUTREACH_CONFIRMATIONS_PER_DAY a day) and never creates a second subscription.
    """
    email = normalize_email(email)
    if is_suppressed(email):
        return None, Asked.SUPPRESSED
    own_address = bool(user and user.is_authenticated and normalize_email(user.email) == email)
    with transaction.atomic():
        subscription = _find_or_create(
            series, session, email, language, user if own_address else None
        )
        if subscription.is_active:
            return subscription, Asked.ALREADY_ACTIVE
        changed: list[str] = []
        if subscription.language != language:
            subscription.language, changed = language, [*changed, "language"]
        if subscription.unsubscribed_at is not None:
            # Coming back: confirmed again like a new subscription.
            subscription.unsubscribed_at = subscription.confirmed_at = None
            changed += ["unsubscribed_at", "confirmed_at"]
        if own_address:
            subscription.confirmed_at, subscription.user = timezone.now(), user
            changed += ["confirmed_at", "user"]
        if changed:
            subscription.save(update_fields=changed)
        if own_address:
            return subscription, Asked.SUBSCRIBED
        if confirmations_sent_today(email) >= settings.OUTREACH_CONFIRMATIONS_PER_DAY:
            return subscription, Asked.TOO_MANY_CONFIRMATIONS
        Delivery.objects.create(
            kind=Delivery.Confirmation.SUBSCRIPTION,
            email=email,
            language=language,
            subscription=subscription,
        )
        transaction.on_commit(send_soon)
    return subscription, Asked.CONFIRMATION_SENT


def _find_or_create(series, session, email, language, user) -> Subscription:
    found = Subscription.objects.filter(series=series, session=session, email=email).first()
    if found:
        return found
    try:
        with transaction.atomic():
            return Subscription.objects.create(
                series=series, session=session, email=email, language=language, user=user
            )
    except IntegrityError:  # the same address asked twice at once
        return Subscription.objects.get(series=series, session=session, email=email)


def confirmation_code(subscription: Subscription) -> str:
    """The signed, expiring part of a confirmation link (it names the subscription's token)."""
    return signing.dumps(subscription.token, salt=CONFIRMATION_SALT, compress=False)


class ConfirmationError(Exception):
    """A confirmation link that is expired, altered or for a subscription that is gone."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "expired" or "invalid"


def subscription_for(code: str) -> Subscription:
    """The subscription a confirmation link names, changing nothing (mail scanners
    open links). ConfirmationError when the link is expired, altered, or names a
    subscription since cancelled (only a new request brings that back)."""
    try:
        token = signing.loads(code, salt=CONFIRMATION_SALT, max_age=CONFIRMATION_MAX_AGE)
    except signing.SignatureExpired:
        raise ConfirmationError("expired") from None
    except signing.BadSignature:
        raise ConfirmationError("invalid") from None
    subscription = (
        Subscription.objects.select_related("series", "session").filter(token=token).first()
    )
    if subscription is None or subscription.unsubscribed_at is not None:
        raise ConfirmationError("invalid")
    return subscription


def confirm(code: str) -> tuple[Subscription, bool]:
    """Confirm the subscription a link names; (subscription, whether it was new).
    Following a link twice is harmless (the second time says it is confirmed)."""
    subscription = subscription_for(code)
    if subscription.confirmed_at is not None:
        return subscription, False
    subscription.confirmed_at = timezone.now()
    subscription.save(update_fields=["confirmed_at"])
    return subscription, True


def unsubscribe(token: str) -> Subscription | None:
    """Stop a subscription by the token of its mails' links (idempotent); None when unknown."""
    subscription = (
        Subscription.objects.select_related("series", "session").filter(token=token).first()
    )
    if subscription is not None and subscription.unsubscribed_at is None:
        subscription.unsubscribed_at = timezone.now()
        subscription.save(update_fields=["unsubscribed_at"])
    return subscription


# ---------------------------------------------------------------- RSVP


class RsvpClosedError(Exception):
    """Why a session takes no RSVP now; `reason` is "draft", "cancelled", "past" or "full"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class RsvpState:
    attending: int
    capacity: int | None

    @property
    def is_full(self) -> bool:
        return self.capacity is not None and self.attending >= self.capacity

    @property
    def places_left(self) -> int | None:
        return None if self.capacity is None else max(self.capacity - self.attending, 0)


def rsvp_state(session: Session) -> RsvpState:
    return RsvpState(
        Rsvp.objects.attending().filter(session=session).count(), session.rsvp_capacity
    )


def rsvp_closed_reason(session: Session, now=None) -> str | None:
    """None when `session` takes RSVPs; else "draft", "cancelled", "past" or "full"."""
    now = now or timezone.now()
    if session.status == Session.Status.DRAFT:
        return "draft"
    if session.status == Session.Status.CANCELLED:
        return "cancelled"
    if session.starts_at <= now:
        return "past"
    if rsvp_state(session).is_full:
        return "full"
    return None


def attend(
    session: Session, email: str, *, name: str = "", language: str, user=None
) -> tuple[Rsvp, bool]:
    """Say `email` will attend; (rsvp, whether it is new). Refused (RsvpClosedError) for a
    draft, cancelled, past or full session. The confirmation mail carries the cancel
    link. The session row is locked while counting, so two last places are not both
    given away (on SQLite writes are serialized anyway)."""
    email = normalize_email(email)
    with transaction.atomic():
        session = Session.objects.select_for_update().get(pk=session.pk)
        existing = Rsvp.objects.filter(session=session, email=email).first()
        if existing and existing.cancelled_at is None:
            return existing, False
        reason = rsvp_closed_reason(session)
        if reason:
            raise RsvpClosedError(reason)
        if existing:
            # A cancelled RSVP taken up again is a new one: whoever typed the address
            # now gets a new secret link, never the old one, nor the old name.
            existing.cancelled_at = None
            existing.name = name
            existing.language = language
            existing.user = user if user and user.is_authenticated else None
            existing.token = new_token()
            existing.save(update_fields=["cancelled_at", "name", "language", "user", "token"])
            rsvp = existing
        else:
            rsvp = Rsvp.objects.create(
                session=session,
                email=email,
                name=name,
                language=language,
                user=user if user and user.is_authenticated else None,
            )
        if not is_suppressed(email):
            Delivery.objects.create(
                kind=Delivery.Confirmation.RSVP, email=email, language=language, rsvp=rsvp
            )
            transaction.on_commit(send_soon)
    return rsvp, True


def cancel_rsvp(token: str) -> Rsvp | None:
    """Cancel an RSVP by its link's token (idempotent); None when unknown."""
    rsvp = Rsvp.objects.select_related("session__series").filter(token=token).first()
    if rsvp is not None and rsvp.cancelled_at is None:
        rsvp.cancelled_at = timezone.now()
        rsvp.save(update_fields=["cancelled_at"])
    return rsvp
