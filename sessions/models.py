from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Prefetch, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from nice.fields import PdfFileField, SafeImageField
from nice.uploads import RandomUploadPath
from papers.models import Paper

# Series live at /<slug>/, so a slug must not shadow the site's own paths.
RESERVED_SERIES_SLUGS = frozenset(
    {
        "admin",
        "api",
        "accounts",
        "healthz",
        "i18n",
        "keywords",
        "manage",
        "media",
        "papers",
        "people",
        "search",
        "static",
    }
)


def validate_series_slug(value: str) -> None:
    if value in RESERVED_SERIES_SLUGS:
        raise ValidationError(_("“%(slug)s” is reserved by the site."), params={"slug": value})


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("“%(zone)s” is not an IANA time zone such as Asia/Shanghai."),
            params={"zone": value},
        )


def unique_slug(model: type[models.Model], text: str, fallback: str) -> str:
    """A slug for `text` not yet used in `model` (hits the database)."""
    base = slugify(text, allow_unicode=True)[:80] or fallback
    slug, suffix = base, 2
    while model.objects.filter(slug=slug).exists():
        slug, suffix = f"{base}-{suffix}", suffix + 1
    return slug


class Series(models.Model):
    """A recurring programme, such as NICE's weekly paper sharing."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(
        _("slug"),
        unique=True,
        help_text=_("Used in links: /nice/47/."),
        validators=[validate_series_slug],
    )
    description = models.TextField(_("description"), blank=True, help_text=_("Markdown."))
    timezone = models.CharField(
        _("time zone"),
        max_length=64,
        default="Asia/Shanghai",
        validators=[validate_timezone],
        help_text=_("IANA name; every time of this series is shown in it."),
    )
    qr_image = SafeImageField(
        _("join-group QR image"),
        blank=True,
        upload_to=RandomUploadPath("qr"),
        width_field="qr_width",
        height_field="qr_height",
    )
    qr_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    qr_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    organizers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="organized_series",
        verbose_name=_("organizers"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("series")
        verbose_name_plural = _("series")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("sessions:series", args=[self.slug])

    @cached_property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class Keyword(models.Model):
    """A topic sessions are tagged with: 多模态, 模型推理, …"""

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True, allow_unicode=True)
    papers = models.ManyToManyField(
        Paper, blank=True, related_name="keywords", verbose_name=_("papers")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("keyword")
        verbose_name_plural = _("keywords")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = unique_slug(Keyword, self.name, fallback="keyword")
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("sessions:keyword", args=[self.slug])


class Person(models.Model):
    """Someone who presents talks, in any series."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=100, unique=True, allow_unicode=True)
    affiliation = models.CharField(_("affiliation"), max_length=200, blank=True)
    homepage = models.URLField(_("homepage"), blank=True)
    note = models.CharField(
        _("note"), max_length=200, blank=True, help_text=_("A short note, e.g. 知乎：Lil2J.")
    )
    photo = SafeImageField(
        _("photo"),
        blank=True,
        upload_to=RandomUploadPath("people"),
        width_field="photo_width",
        height_field="photo_height",
    )
    photo_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    photo_height = models.PositiveIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = unique_slug(Person, self.name, fallback="person")
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("sessions:person", args=[self.slug])


class SessionQuerySet(models.QuerySet):
    def public(self) -> SessionQuerySet:
        """Sessions anyone may see: published ones, and cancelled ones, which stay in the archive."""
        return self.filter(status__in=PUBLIC_STATUSES)

    def upcoming(self, now: datetime | None = None) -> SessionQuerySet:
        """Sessions not over yet, soonest first."""
        now = now or timezone.now()
        return (
            self.alias(until=Coalesce("ends_at", "starts_at"))
            .filter(until__gte=now)
            .order_by("starts_at")
        )

    def coming(self) -> SessionQuerySet:
        """What visitors can look forward to: public, not cancelled, not over, soonest first."""
        return self.public().exclude(status=Session.Status.CANCELLED).upcoming()

    def past(self, now: datetime | None = None) -> SessionQuerySet:
        now = now or timezone.now()
        return self.alias(until=Coalesce("ends_at", "starts_at")).filter(until__lt=now)

    def with_cards(self) -> SessionQuerySet:
        """Everything a session card shows, in a fixed number of queries.

        FETCH_PEERS is the safety net: should a template reach for a relation
        not prefetched here, it is loaded for all cards in one query, not one each.
        """
        return (
            self.fetch_mode(models.FETCH_PEERS)
            .select_related("series")
            .prefetch_related(
                "keywords",
                Prefetch(
                    "session_presenters",
                    queryset=SessionPresenter.objects.select_related("person"),
                ),
                Prefetch(
                    "talks",
                    queryset=Talk.objects.select_related("paper").prefetch_related(
                        Prefetch(
                            "talk_presenters",
                            queryset=TalkPresenter.objects.select_related("person"),
                        )
                    ),
                ),
            )
        )


@dataclass(frozen=True)
class Appearance:
    """A person presenting, with the affiliation they had at the time."""

    person: Person
    affiliation: str


class Session(models.Model):
    """One meeting of a series: NICE 第47期."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        CANCELLED = "cancelled", _("Cancelled")

    series = models.ForeignKey(
        Series, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("series")
    )
    number = models.PositiveIntegerField(
        _("number"), help_text=_("The session number (期), unique within the series.")
    )
    title = models.CharField(_("title"), max_length=300)
    starts_at = models.DateTimeField(_("starts at"))
    # Archives sometimes give only the date; then the page must not show a made-up 00:00.
    has_start_time = models.BooleanField(
        _("start time known"), default=True, help_text=_("Off when only the date is known.")
    )
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    venue = models.CharField(
        pgettext_lazy("where a session meets", "venue"), max_length=300, blank=True
    )
    live_url = models.URLField(_("live link"), max_length=500, blank=True)
    description = models.TextField(_("description"), blank=True, help_text=_("Markdown."))
    keywords = models.ManyToManyField(
        Keyword, blank=True, related_name="sessions", verbose_name=_("keywords")
    )
    presenters = models.ManyToManyField(
        Person,
        through="SessionPresenter",
        blank=True,
        related_name="+",
        verbose_name=_("presenters"),
    )
    poster = SafeImageField(
        _("poster"),
        blank=True,
        upload_to=RandomUploadPath("posters"),
        width_field="poster_width",
        height_field="poster_height",
    )
    # Stored so pages can give the <img> its size without opening the file.
    poster_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    poster_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    qr_image = SafeImageField(
        _("QR image"),
        blank=True,
        upload_to=RandomUploadPath("qr"),
        width_field="qr_width",
        height_field="qr_height",
        help_text=_("Overrides the series' join-group QR image."),
    )
    qr_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    qr_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    # Bumped by every change to the session or its talks: a save made from an
    # older version is refused instead of silently overwriting someone's work.
    version = models.PositiveIntegerField(default=1, editable=False)
    # When it first became public: the order of the Atom/RSS feeds.
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["series", "-number"]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        constraints = [
            models.UniqueConstraint(fields=["series", "number"], name="session_unique_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="session_number_positive"),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=F("starts_at")),
                name="session_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "published", "cancelled"]),
                name="session_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["status", "starts_at"], name="session_status_start")]

    def __str__(self) -> str:
        return f"{self.series} #{self.number}: {self.title}"

    def save(self, *args, **kwargs) -> None:
        if self.status != self.Status.DRAFT and self.published_at is None:
            self.published_at = timezone.now()
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "published_at"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("sessions:session", args=[self.series.slug, self.number])

    def clean(self) -> None:
        if self.ends_at and self.starts_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("The end must be after the start.")})

    @property
    def is_public(self) -> bool:
        return self.status != self.Status.DRAFT

    @property
    def is_over(self) -> bool:
        return (self.ends_at or self.starts_at) < timezone.now()

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED

    @property
    def local_starts_at(self) -> datetime:
        return timezone.localtime(self.starts_at, self.series.zone)

    @property
    def local_ends_at(self) -> datetime | None:
        return timezone.localtime(self.ends_at, self.series.zone) if self.ends_at else None

    @property
    def utc_offset(self) -> str:
        """The series' offset at the session's start, as UTC+08:00."""
        offset = self.local_starts_at.strftime("%z")
        return f"UTC{offset[:3]}:{offset[3:]}"

    @property
    def qr_url(self) -> str:
        image = self.qr_image or self.series.qr_image
        return image.url if image else ""

    @property
    def appearances(self) -> list[Appearance]:
        """Everyone presenting in this session, in order: the session's own list first,
        then anyone presenting a talk who is not on it.

        Uses prefetched session_presenters and talks (see with_cards()).
        """
        seen: set[int] = set()
        result = []
        rows = list(self.session_presenters.all())
        for talk in self.talks.all():
            rows.extend(talk.talk_presenters.all())
        for row in rows:
            if row.person_id not in seen:
                seen.add(row.person_id)
                result.append(Appearance(row.person, row.affiliation or row.person.affiliation))
        return result

    @property
    def segments(self) -> list[tuple[str, list[Talk]]]:
        """Talks grouped by consecutive segment label (第一场, 第二场), in order."""
        groups: list[tuple[str, list[Talk]]] = []
        for talk in self.talks.all():
            if groups and groups[-1][0] == talk.segment:
                groups[-1][1].append(talk)
            else:
                groups.append((talk.segment, [talk]))
        return groups


# Cancelled sessions stay in the public archive, marked as such.
PUBLIC_STATUSES = (Session.Status.PUBLISHED, Session.Status.CANCELLED)


class SessionPresenter(models.Model):
    """A presenter named for the session as a whole (e.g. in the archive index)."""

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="session_presenters"
    )
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="session_roles")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    affiliation = models.CharField(
        _("affiliation then"),
        max_length=200,
        blank=True,
        help_text=_("Leave empty to use the person's current affiliation."),
    )

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("session presenter")
        verbose_name_plural = _("session presenters")
        constraints = [
            models.UniqueConstraint(fields=["session", "person"], name="session_presenter_once")
        ]

    def __str__(self) -> str:
        return str(self.person)


class TalkQuerySet(models.QuerySet):
    def public(self) -> TalkQuerySet:
        """Talks of sessions anyone may see."""
        return self.filter(session__status__in=PUBLIC_STATUSES)

    def with_context(self) -> TalkQuerySet:
        """What a talk row shows: its session and series, paper and presenters (3 queries)."""
        return self.select_related("session__series", "paper").prefetch_related(
            Prefetch("talk_presenters", queryset=TalkPresenter.objects.select_related("person"))
        )


class Talk(models.Model):
    """A slot in a session, usually one paper presented by one or more people."""

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="talks", verbose_name=_("session")
    )
    # Not unique per session: reordering swaps values one row at a time, and
    # ties are broken by pk. Gaps are harmless.
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    segment = models.CharField(
        _("segment"), max_length=50, blank=True, help_text=_("e.g. 第一场 / 第二场")
    )
    title = models.CharField(_("title"), max_length=500)
    summary = models.TextField(_("summary"), blank=True, help_text=_("Markdown, with $…$ math."))
    paper = models.ForeignKey(
        Paper,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="talks",
        verbose_name=_("paper"),
    )
    presenters = models.ManyToManyField(
        Person,
        through="TalkPresenter",
        blank=True,
        related_name="talks",
        verbose_name=_("presenters"),
    )
    tags = models.CharField(
        _("tags"), max_length=200, blank=True, help_text=_("Comma-separated, e.g. Oral, Highlight")
    )
    slides = PdfFileField(_("slides"), blank=True, upload_to=RandomUploadPath("slides"))
    slides_url = models.URLField(_("slides link"), max_length=500, blank=True)
    recording_url = models.URLField(_("recording link"), max_length=500, blank=True)

    objects = TalkQuerySet.as_manager()

    class Meta:
        ordering = ["session", "order", "pk"]
        verbose_name = _("talk")
        verbose_name_plural = _("talks")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return f"{self.session.get_absolute_url()}#talk-{self.pk}"

    @property
    def tag_list(self) -> list[str]:
        return [tag.strip() for tag in self.tags.replace("，", ",").split(",") if tag.strip()]

    @property
    def appearances(self) -> list[Appearance]:
        """Uses prefetched talk_presenters."""
        return [
            Appearance(row.person, row.affiliation or row.person.affiliation)
            for row in self.talk_presenters.all()
        ]

    @property
    def slides_link(self) -> str:
        return self.slides.url if self.slides else self.slides_url


class TalkPresenter(models.Model):
    """Who presented a talk, in order, with their affiliation at the time."""

    talk = models.ForeignKey(Talk, on_delete=models.CASCADE, related_name="talk_presenters")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="talk_roles")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    affiliation = models.CharField(
        _("affiliation then"),
        max_length=200,
        blank=True,
        help_text=_("Leave empty to use the person's current affiliation."),
    )

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("talk presenter")
        verbose_name_plural = _("talk presenters")
        constraints = [
            models.UniqueConstraint(fields=["talk", "person"], name="talk_presenter_once")
        ]

    def __str__(self) -> str:
        return str(self.person)


class SessionRevision(models.Model):
    """One change to a session or its talks: who, when, and what changed."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    summary = models.CharField(max_length=200)
    # The session as it was after the change, and [field, before, after] triples.
    snapshot = models.JSONField()
    changes = models.JSONField(default=list)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["session", "version"], name="revision_unique_version")
        ]

    def __str__(self) -> str:
        return f"{self.session} v{self.version}: {self.summary}"
