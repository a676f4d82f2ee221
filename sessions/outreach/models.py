"""Who asked to hear about sessions, and what was sent to them.

Addresses are personal: they appear in the admin and in the organizer's RSVP list
of their own sessions, never on a public page, in an export or in the API.
None of these models changes a public page, so writing them leaves the page cache
alone (`changes_public_pages`).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sessions.models import Series, Session


def new_token() -> str:
    """The secret in a confirm, unsubscribe or cancel link: 256 bits, URL-safe."""
    return secrets.token_urlsafe(32)


def normalize_email(address: str) -> str:
    """One spelling per mailbox for our records: trimmed, lower-cased.
    (The local part is case-sensitive in theory; no real provider treats it so.)"""
    return address.strip().lower()


LANGUAGE_CHOICES = settings.LANGUAGES


class Addressee(models.Model):
    """Someone we write to: their address, the language they chose, and the secret
    of the links in our mails (confirm, unsubscribe, cancel)."""

    changes_public_pages = False

    email = models.EmailField(_("email address"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    language = models.CharField(_("language"), max_length=10, choices=LANGUAGE_CHOICES)
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        abstract = True


class SubscriptionQuerySet(models.QuerySet["Subscription"]):
    def active(self) -> SubscriptionQuerySet:
        """Confirmed and not unsubscribed: the only ones that are ever mailed."""
        return self.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True)


class Subscription(Addressee):
    """An address that wants mail about a series (session empty) or one session."""

    series = models.ForeignKey(
        Series, on_delete=models.CASCADE, related_name="subscriptions", verbose_name=_("series")
    )
    session = models.ForeignKey(
        Session,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="subscriptions",
        verbose_name=_("session"),
        help_text=_("Empty: every session of the series."),
    )
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed"), null=True, blank=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [
            models.UniqueConstraint(
                fields=["series", "email"],
                condition=Q(session__isnull=True),
                name="subscription_once_per_series",
            ),
            models.UniqueConstraint(
                fields=["session", "email"],
                condition=Q(session__isnull=False),
                name="subscription_once_per_session",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.session or self.series}"

    @property
    def is_active(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None


class RsvpQuerySet(models.QuerySet["Rsvp"]):
    def attending(self) -> RsvpQuerySet:
        return self.filter(cancelled_at__isnull=True)


class Rsvp(Addressee):
    """Someone who said they will attend a session."""

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="rsvps", verbose_name=_("session")
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    objects = RsvpQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("RSVP")
        verbose_name_plural = _("RSVPs")
        constraints = [
            models.UniqueConstraint(fields=["session", "email"], name="rsvp_once_per_session")
        ]

    def __str__(self) -> str:
        return f"{self.name or self.email} → {self.session}"


class SuppressedAddress(models.Model):
    """An address nothing is sent to any more: it bounced, complained, or asked an admin."""

    changes_public_pages = False

    class Reason(models.TextChoices):
        BOUNCE = "bounce", _("Bounced")
        COMPLAINT = "complaint", _("Marked as spam")
        REQUEST = "request", _("Asked not to be mailed")

    email = models.EmailField(_("email address"), unique=True)
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("suppressed since"), auto_now_add=True)

    class Meta:
        ordering = ["email"]
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")

    def __str__(self) -> str:
        return self.email

    def save(self, *args, **kwargs) -> None:
        self.email = normalize_email(self.email)
        super().save(*args, **kwargs)


class Mailing(models.Model):
    """One mail-worthy event of a session: it was announced, is about to start, moved,
    was cancelled. `occasion` is the start it is about, so a session moved after its
    reminder was planned gets a reminder for the new start, and the old one is void."""

    changes_public_pages = False

    class Kind(models.TextChoices):
        ANNOUNCEMENT = "announcement", _("Announcement")
        REMINDER = "reminder", _("Reminder")
        SECOND_REMINDER = "reminder2", _("Second reminder")
        MOVED = "moved", _("Moved")
        CANCELLED = "cancelled", _("Cancelled")

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="mailings", verbose_name=_("session")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    occasion = models.DateTimeField(_("session start"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Set once its deliveries exist (one per recipient, written in one transaction).
    expanded_at = models.DateTimeField(_("recipients listed"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("mailing")
        verbose_name_plural = _("mailings")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "kind", "occasion"], name="mailing_once_per_occasion"
            )
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(expanded_at__isnull=True),
                name="mailing_to_expand",
            )
        ]

    def __str__(self) -> str:
        return f"{self.session}: {self.get_kind_display()}"

    def is_still_true(self) -> bool:
        """Whether the session still is what this mail says (its start and status)."""
        session = self.session
        if self.kind == self.Kind.CANCELLED:
            return session.status == Session.Status.CANCELLED
        return session.status == Session.Status.PUBLISHED and session.starts_at == self.occasion


class Delivery(models.Model):
    """One mail to one address: the record that makes sending it twice impossible."""

    changes_public_pages = False

    class Confirmation(models.TextChoices):
        """The mails that belong to no mailing: each answers one request."""

        SUBSCRIPTION = "confirm", _("Subscription confirmation")
        RSVP = "rsvp", _("RSVP confirmation")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        # The worker stopped while handing it to the mail server: it may or may not
        # have gone out. Never retried on its own (that could send it twice).
        UNKNOWN = "unknown", _("Unknown (worker stopped)")
        SKIPPED = "skipped", _("Not sent (no longer true)")

    mailing = models.ForeignKey(
        Mailing, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    # A mailing's kind (copied, so confirmations and session mails read alike) or a confirmation.
    kind = models.CharField(
        _("kind"), max_length=12, choices=[*Mailing.Kind.choices, *Confirmation.choices]
    )
    email = models.EmailField(_("email address"))
    language = models.CharField(_("language"), max_length=10, choices=LANGUAGE_CHOICES)
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    rsvp = models.ForeignKey(
        Rsvp, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["mailing", "email"],
                condition=Q(mailing__isnull=False),
                name="delivery_once_per_address",
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="delivery_due",
            ),
            models.Index(fields=["email", "kind", "created_at"], name="delivery_by_address"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.email}"

    def backoff(self) -> timedelta:
        """How long to wait before the next try after `attempts` failures: 1, 4, 16, 64 min."""
        return timedelta(minutes=4 ** max(self.attempts - 1, 0))

    def retry_at(self, now: datetime) -> datetime:
        return now + self.backoff()
