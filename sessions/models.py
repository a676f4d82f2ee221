from __future__ import annotations

import unicodedata
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MinValueValidator
from django.db import models
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q
from django.db.models.functions import Coalesce, ExtractYear
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from nice import pagecache
from nice.fields import PdfFileField, SafeImageField
from nice.markdown import RenderedMarkdownModel
from nice.text import LONG_TEXT_MAX_LENGTH, CleanTextModel, HttpURLField
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
        "mail",
        "manage",
        "media",
        "papers",
        "people",
        "rsvp",
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


def unique_slug(model, text: str, fallback: str) -> str:
    """A slug for `text` not yet used in `model` (hits the database)."""
    base = slugify(text, allow_unicode=True)[:80] or fallback
    slug, suffix = base, 2
    while model.objects.filter(slug=slug).exists():
        slug, suffix = f"{base}-{suffix}", suffix + 1
    return slug


def fold_name(name: str) -> str:
    """A name as people match it: accents on Latin letters, case, width and spacing
    do not count (Tomas Ferreira is Tomás Ferreira; ＡＢＣ is abc). Marks on other
    scripts are kept: in Japanese they make different names."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", name))
    kept: list[str] = []
    for char in decomposed:
        if unicodedata.combining(char) and kept and ord(kept[-1]) < 0x250:
            continue
        kept.append(char)
    # Folding can lengthen a name (ß → ss); the stored key has room for 200.
    return " ".join(unicodedata.normalize("NFC", "".join(kept)).casefold().split())[:200]


def long_text(label, **kwargs) -> models.TextField:
    """A Markdown text field with the site's length limit."""
    return models.TextField(
        label, blank=True, validators=[MaxLengthValidator(LONG_TEXT_MAX_LENGTH)], **kwargs
    )


# When a session may take place: a window that refuses typos such as 0025 or
# 9999 (which used to break date arithmetic on every page that derives a date).
# The database refuses anything else, so no page has to guard against it.
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100
EARLIEST_START = datetime(EARLIEST_YEAR, 1, 1, tzinfo=UTC)
LATEST_START = datetime(LATEST_YEAR + 1, 1, 1, tzinfo=UTC)  # exclusive
LONGEST_SESSION = timedelta(hours=24)


class SeriesQuerySet(models.QuerySet["Series"]):
    def managed_by(self, user) -> SeriesQuerySet:
        """The series `user` may organize: every one for admins (staff), their own
        for organizers, none for anyone else. The one rule behind the workspace
        and behind who may preview drafts."""
        if user is None or not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self.all()
        return self.filter(organizers=user)

    def with_subscriber_count(self) -> SeriesQuerySet:
        """`subscriber_count`: confirmed, active subscriptions to the whole series
        (a subquery, so the count costs no query of its own)."""
        from sessions.outreach.models import Subscription

        subscribers = (
            Subscription.objects.active()
            .filter(series=OuterRef("pk"), session__isnull=True)
            .values("series")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return self.annotate(subscriber_count=Coalesce(models.Subquery(subscribers), 0))


@dataclass(frozen=True)
class FilterChoice:
    """One choice of the archive's filter bar: what goes in the link, what it says,
    and how many public sessions it leaves."""

    value: int | str
    label: str
    count: int


@dataclass(frozen=True)
class ArchiveFilters:
    years: list[FilterChoice]
    keywords: list[FilterChoice]
    venues: list[FilterChoice]

    def count(self, year: int | None = None, keyword: str = "", venue: str = "") -> int | None:
        """Public sessions the archive shows with at most one of these filters set (the
        sum of the years when none is): the paginator's count without a COUNT over the
        series. None when two filters combine, which the summary cannot tell."""
        chosen = [
            (choices, value)
            for choices, value in (
                (self.years, year),
                (self.keywords, keyword),
                (self.venues, venue),
            )
            if value
        ]
        if not chosen:
            return sum(choice.count for choice in self.years)
        if len(chosen) > 1:
            return None
        choices, value = chosen[0]
        return next((choice.count for choice in choices if choice.value == value), 0)


class Series(RenderedMarkdownModel, CleanTextModel):
    """A recurring programme, such as NICE's weekly paper sharing."""

    MARKDOWN_FIELDS = ("description",)

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(
        _("slug"),
        unique=True,
        help_text=_("Used in links: /nice/47/."),
        validators=[validate_series_slug],
    )
    description = long_text(_("description"), help_text=_("Markdown."))
    description_html = models.TextField(blank=True, editable=False)
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
    reminder_lead = models.DurationField(
        _("first reminder"),
        default=timedelta(hours=24),
        validators=[MinValueValidator(timedelta(minutes=5))],
        help_text=_("How long before a session starts its subscribers are reminded."),
    )
    second_reminder_lead = models.DurationField(
        _("second reminder"),
        null=True,
        blank=True,
        validators=[MinValueValidator(timedelta(minutes=5))],
        help_text=_("Optional, e.g. 1:00:00 for one hour before."),
    )
    organizers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="organized_series",
        verbose_name=_("organizers"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SeriesQuerySet.as_manager()

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
        """The series' zone; UTC if what is stored is not a zone (validation refuses
        such names, but a page must not fail on one that got in some other way)."""
        try:
            return zoneinfo.ZoneInfo(self.timezone)
        except (ValueError, zoneinfo.ZoneInfoNotFoundError):
            return zoneinfo.ZoneInfo("UTC")

    def is_managed_by(self, user) -> bool:
        """Hits the database."""
        return Series.objects.managed_by(user).filter(pk=self.pk).exists()

    def local(self, moment: datetime) -> datetime:
        """`moment` on the series' clock."""
        return timezone.localtime(moment, self.zone)

    def archive_filters(self) -> ArchiveFilters:
        """The archive's filter bar: years, keywords and venues with their counts of
        public sessions. Computed once per change of the archive (pagecache.derived),
        not on every load: at 500,000 talks the scan takes half a second."""
        return pagecache.derived(f"archive-filters:{self.pk}", self._count_archive_filters)

    def _count_archive_filters(self) -> ArchiveFilters:
        public = Session.objects.public().filter(series=self)
        years = (
            public.annotate(year=ExtractYear("starts_at", tzinfo=self.zone))
            .values("year")
            .annotate(count=Count("pk"))
            .order_by("-year")
        )
        keywords = (
            Keyword.objects.filter(sessions__in=public)
            .values("slug", "name")
            .annotate(count=Count("sessions", distinct=True))
            .order_by("name")
        )
        venues = (
            Talk.objects.filter(session__in=public)
            .exclude(paper__venue="")
            .exclude(paper__isnull=True)
            .values("paper__venue")
            .annotate(count=Count("session", distinct=True))
            .order_by("paper__venue")
        )
        return ArchiveFilters(
            years=[FilterChoice(row["year"], str(row["year"]), row["count"]) for row in years],
            keywords=[FilterChoice(row["slug"], row["name"], row["count"]) for row in keywords],
            venues=[
                FilterChoice(row["paper__venue"], row["paper__venue"], row["count"])
                for row in venues
            ],
        )

    def next_session_defaults(self, now: datetime | None = None) -> dict:
        """Number, time and place for a new session: the last one's weekday, local time,
        length and venue, on the first such day after both today and the last session.
        Hits the database.

        Times are the series' own: 19:00 in Shanghai stays 19:00 whatever the server's
        zone. A session stored outside the time window (an old typo) is not a model.
        """
        zone = self.zone
        number = (self.sessions.aggregate(models.Max("number"))["number__max"] or 0) + 1
        now = self.local(now or timezone.now())
        last = (
            self.sessions.filter(
                starts_at__gte=EARLIEST_START,
                starts_at__lt=LATEST_START - LONGEST_SESSION,
            )
            .newest_first()
            .first()
        )
        if last is None:
            weekday, start_time, length, venue, live_url = 5, (19, 0), timedelta(hours=2), "", ""
        else:
            local = self.local(last.starts_at)
            weekday, start_time = local.weekday(), (local.hour, local.minute)
            length = (last.ends_at - last.starts_at) if last.ends_at else timedelta(hours=2)
            length = min(length, LONGEST_SESSION)
            venue, live_url = last.venue, last.live_url
            now = max(now, local)
        day = now.date() + timedelta(days=1)
        day += timedelta(days=(weekday - day.weekday()) % 7)
        starts_at = datetime(day.year, day.month, day.day, *start_time, tzinfo=zone)
        return {
            "number": number,
            "starts_at": starts_at,
            "ends_at": starts_at + length,
            "venue": venue,
            "live_url": live_url,
        }

    def zone_label(self, moment: datetime | None = None) -> str:
        """The zone named for people: "Asia/Shanghai (UTC+08:00)"."""
        offset = self.local(moment or timezone.now()).strftime("%z")
        return f"{self.timezone} (UTC{offset[:3]}:{offset[3:]})"


class KeywordQuerySet(models.QuerySet["Keyword"]):
    def visible_to(self, user) -> KeywordQuerySet:
        """Keywords of a session or a paper `user` may see, and keywords of nothing yet:
        hidden is only what labels drafts alone."""
        sessions = Session.objects.filter(keywords=OuterRef("pk"))
        papers = Paper.objects.filter(keywords=OuterRef("pk"))
        return self.filter(
            Exists(Session.objects.visible_to(user).filter(keywords=OuterRef("pk")))
            | Exists(Paper.objects.visible_to(user).filter(keywords=OuterRef("pk")))
            | (~Exists(sessions) & ~Exists(papers))
        )


class Keyword(CleanTextModel):
    """A topic sessions are tagged with: 多模态, 模型推理, …"""

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True, allow_unicode=True)
    papers = models.ManyToManyField(
        Paper, blank=True, related_name="keywords", verbose_name=_("papers")
    )

    objects = KeywordQuerySet.as_manager()

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


class PersonQuerySet(models.QuerySet["Person"]):
    def visible_to(self, user) -> PersonQuerySet:
        """People presenting in a session `user` may see, and people presenting nowhere
        yet (added by hand): hidden is only who appears in drafts alone."""
        sessions = Session.objects.visible_to(user)
        talks = TalkPresenter.objects.filter(person=OuterRef("pk"))
        hosts = SessionPresenter.objects.filter(person=OuterRef("pk"))
        return self.filter(
            Exists(talks.filter(talk__session__in=sessions))
            | Exists(hosts.filter(session__in=sessions))
            | (~Exists(talks) & ~Exists(hosts))
        )

    def named(self, name: str) -> Person | None:
        """The person with this name, spelled any way fold_name() ignores. Hits the database."""
        return self.filter(name_key=fold_name(name)).order_by("pk").first()


class Person(CleanTextModel):
    """Someone who presents talks, in any series."""

    name = models.CharField(_("name"), max_length=200)
    # fold_name(name), kept by save(): how a typed or imported name finds its person.
    name_key = models.CharField(max_length=200, db_index=True, editable=False, default="")
    slug = models.SlugField(_("slug"), max_length=100, unique=True, allow_unicode=True)
    affiliation = models.CharField(_("affiliation"), max_length=200, blank=True)
    homepage = HttpURLField(_("homepage"), blank=True)
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

    objects = PersonQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = unique_slug(Person, self.name, fallback="person")
        self.name_key = fold_name(self.name)
        if kwargs.get("update_fields") is not None and "name" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "name_key"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("sessions:person", args=[self.slug])


class SessionQuerySet(models.QuerySet["Session"]):
    def public(self) -> SessionQuerySet:
        """Sessions anyone may see: published ones, and cancelled ones, which stay in the archive.

        What every list shows (home, archive, search, feeds, calendars, exports,
        API lists), whoever asks: a list is the same for everybody.
        """
        return self.filter(status__in=PUBLIC_STATUSES)

    def visible_to(self, user) -> SessionQuerySet:
        """Who may see a session: everyone a public one; its series' organizers and
        admins a draft too (the preview). Every page of one session, paper, person
        or keyword finds it through this rule, and so do the workspace's warnings."""
        if user is None or not user.is_authenticated:
            return self.public()
        if user.is_staff:
            return self.all()
        managed = Series.objects.managed_by(user)
        return self.filter(Q(status__in=PUBLIC_STATUSES) | Q(series__in=managed))

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

    def mark_changed(self) -> int:
        """A new version for these sessions (calendars, feeds and open editors see the
        change). A bulk statement sends no signal, so it tells the page cache itself."""
        count = self.update(version=F("version") + 1, updated_at=timezone.now())
        pagecache.content_changed()
        return count

    def newest_first(self) -> SessionQuerySet:
        """The order of every list that is paged: by start, then number, so two sessions
        starting together never swap places between one page and the next."""
        return self.order_by("-starts_at", "-number", "-pk")

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
                    # In the session's own order: Talk's default order joins the
                    # sessions and series tables to sort by series name.
                    queryset=Talk.objects.select_related("paper")
                    .order_by("order", "pk")
                    .prefetch_related(
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


class Session(RenderedMarkdownModel, CleanTextModel):
    """One meeting of a series: NICE 第47期."""

    MARKDOWN_FIELDS = ("description",)

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        CANCELLED = "cancelled", _("Cancelled")

    series = models.ForeignKey(
        Series, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("series")
    )
    number = models.PositiveIntegerField(
        _("number"),
        validators=[MinValueValidator(1)],
        help_text=_("The session number (期), unique within the series."),
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
    live_url = HttpURLField(_("live link"), max_length=500, blank=True)
    live_url_for_rsvp_only = models.BooleanField(
        _("live link only for those who RSVP"),
        default=False,
        help_text=_("The page shows the live link after an RSVP; the reminder carries it."),
    )
    rsvp_capacity = models.PositiveIntegerField(
        _("RSVP capacity"),
        null=True,
        blank=True,
        help_text=_("RSVP closes when this many have said they will attend. Empty: no limit."),
    )
    description = long_text(_("description"), help_text=_("Markdown."))
    description_html = models.TextField(blank=True, editable=False)
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
        # The orders of the paged lists (newest_first) and of the feeds, so a page of
        # the newest reads a few index entries instead of sorting the whole archive.
        indexes = [
            models.Index(
                fields=["series", "-starts_at", "-number", "-id"], name="session_series_newest"
            ),
            models.Index(fields=["-starts_at", "-number", "-id"], name="session_newest"),
            models.Index(
                F("series"),
                Coalesce("published_at", "created_at").desc(),
                name="session_series_announced",
            ),
            models.Index(fields=["status", "starts_at"], name="session_status_start"),
            # upcoming(): sessions not over yet, by when they end (or start).
            models.Index(Coalesce("ends_at", "starts_at"), name="session_until"),
        ]
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
            models.CheckConstraint(
                condition=Q(starts_at__gte=EARLIEST_START, starts_at__lt=LATEST_START)
                & (Q(ends_at__isnull=True) | Q(ends_at__lt=LATEST_START + LONGEST_SESSION)),
                name="session_within_time_window",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.series} #{self.number}: {self.title}"

    @classmethod
    def from_db(cls, db, field_names, values, *, fetch_mode=None):
        session = super().from_db(db, field_names, values, fetch_mode=fetch_mode)
        session._stored_schedule = session._schedule()
        return session

    def _schedule(self) -> tuple[str | None, datetime | None]:
        """Status and start as far as loaded (a deferred field stays unknown)."""
        return self.__dict__.get("status"), self.__dict__.get("starts_at")

    def save(self, *args, **kwargs) -> None:
        if self.status != self.Status.DRAFT and self.published_at is None:
            self.published_at = timezone.now()
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "published_at"}
        super().save(*args, **kwargs)
        # Whoever saves (workspace, admin, importer), subscribers hear of a publication,
        # a move or a cancellation: the one rule is in outreach.mailer.
        from sessions.outreach.mailer import plan_mailings

        plan_mailings(self, before=getattr(self, "_stored_schedule", (None, None)))
        self._stored_schedule = self._schedule()

    def get_absolute_url(self) -> str:
        return reverse("sessions:session", args=[self.series.slug, self.number])

    def clean(self) -> None:
        """The time rule: a start between 2000 and 2100, an end after it and within a day."""
        errors: dict[str, str] = {}
        if self.starts_at and not EARLIEST_START <= self.starts_at < LATEST_START:
            errors["starts_at"] = gettext("Give a date between %(first)s and %(last)s.") % {
                "first": EARLIEST_YEAR,
                "last": LATEST_YEAR,
            }
        elif self.ends_at and self.starts_at:
            if self.ends_at <= self.starts_at:
                errors["ends_at"] = gettext("The end must be after the start.")
            elif self.ends_at - self.starts_at > LONGEST_SESSION:
                errors["ends_at"] = gettext("A session lasts at most a day; check the end.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_public(self) -> bool:
        return self.status != self.Status.DRAFT

    @property
    def public_live_url(self) -> str:
        """The live link as pages, calendars and announcements show it to everyone: none
        when it is kept for those who RSVP (their RSVP page and their mails carry it)."""
        return "" if self.live_url_for_rsvp_only else self.live_url

    @property
    def is_over(self) -> bool:
        return (self.ends_at or self.starts_at) < timezone.now()

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED

    @property
    def local_starts_at(self) -> datetime:
        return self.series.local(self.starts_at)

    @property
    def local_ends_at(self) -> datetime | None:
        return self.series.local(self.ends_at) if self.ends_at else None

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
        rows: list[SessionPresenter | TalkPresenter] = list(self.session_presenters.all())
        for talk in self.talks.all():
            rows.extend(talk.talk_presenters.all())
        for row in rows:
            if row.person_id not in seen:
                seen.add(row.person_id)
                result.append(Appearance(row.person, row.affiliation or row.person.affiliation))
        return result

    def scheduling_warnings(self, talks: list[Talk], user) -> list[dict]:
        """Things worth a second look, never blockers: overlapping sessions of the series,
        presenters booked elsewhere at the same time, papers the series has heard before;
        and placeholders left in (marked "placeholder": the editor repeats them by its
        Publish button): a talk titled by an identifier, a talk with no presenter, a start
        hours away from the series' usual time. Only sessions `user` may see are named.
        Four queries; `talks` have their presenters prefetched."""
        from sessions import placeholders

        assumed_length = timedelta(hours=2)
        end = self.ends_at or self.starts_at + assumed_length
        overlapping = list(
            Session.objects.visible_to(user)
            .exclude(pk=self.pk)
            .exclude(status=Session.Status.CANCELLED)
            .alias(
                until=Coalesce(
                    "ends_at",
                    models.ExpressionWrapper(
                        F("starts_at") + assumed_length, output_field=models.DateTimeField()
                    ),
                )
            )
            .filter(starts_at__lt=end, until__gt=self.starts_at)
            .select_related("series")
        )
        warnings = [
            _warning(
                gettext("Overlaps with session %(number)s of this series.")
                % {"number": other.number},
                reverse("sessions:manage-session", args=[other.series.slug, other.number]),
            )
            for other in overlapping
            if other.series_id == self.series_id
        ]
        people = {row.person_id for talk in talks for row in talk.talk_presenters.all()}
        if people and overlapping:
            for row in TalkPresenter.objects.filter(
                person__in=people, talk__session__in=overlapping
            ).select_related("person", "talk__session__series"):
                other = row.talk.session
                warnings.append(
                    _warning(
                        gettext(
                            "%(name)s also presents in %(series)s, session %(number)s, at the same time."
                        )
                        % {
                            "name": row.person.name,
                            "series": other.series.name,
                            "number": other.number,
                        },
                        other.get_absolute_url(),
                    )
                )
        papers = {talk.paper_id for talk in talks if talk.paper_id}
        if papers:
            for earlier in (
                Talk.objects.filter(paper__in=papers, session__series=self.series_id)
                .exclude(session=self)
                .select_related("session__series", "paper")
            ):
                warnings.append(
                    _warning(
                        gettext("“%(paper)s” was already presented in session %(number)s.")
                        % {
                            "paper": earlier.paper.title if earlier.paper else earlier.title,
                            "number": earlier.session.number,
                        },
                        earlier.session.get_absolute_url(),
                    )
                )
        editor = reverse("sessions:manage-session", args=[self.series.slug, self.number])
        for position, talk in enumerate(talks, start=1):
            names = {"position": position, "title": talk.title}
            if placeholders.looks_like_identifier(talk.title):
                warnings.append(
                    _warning(
                        gettext("Talk %(position)s is still titled “%(title)s”: type its title.")
                        % names,
                        f"{editor}#talk-{talk.pk}",
                    )
                    | {"placeholder": True}
                )
            if not talk.talk_presenters.all():
                warnings.append(
                    _warning(
                        gettext("Talk %(position)s, “%(title)s”, has no presenter.") % names,
                        f"{editor}#presenter-{talk.pk}",
                    )
                    | {"placeholder": True}
                )
        if self.has_start_time:
            latest = (
                Session.objects.public()
                .filter(series=self.series_id, has_start_time=True)
                .exclude(pk=self.pk)
                .newest_first()
                .values_list("starts_at", flat=True)[: placeholders.USUAL_START_SAMPLE]
            )
            usual = placeholders.usual_start(self.series.local(moment) for moment in latest)
            starts = self.local_starts_at.time()
            if usual and placeholders.minutes_apart(starts, usual) >= (
                placeholders.UNUSUAL_START_MINUTES
            ):
                warnings.append(
                    _warning(
                        gettext(
                            "It starts at %(time)s; sessions of this series usually start at %(usual)s."
                        )
                        % {"time": starts.strftime("%H:%M"), "usual": usual.strftime("%H:%M")},
                        f"{editor}#id_starts_at",
                    )
                    | {"placeholder": True}
                )
        return warnings

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


def _warning(text: str, url: str) -> dict:
    return {"text": text, "url": url}


# Cancelled sessions stay in the public archive, marked as such.
PUBLIC_STATUSES = (Session.Status.PUBLISHED, Session.Status.CANCELLED)


class SessionPresenter(CleanTextModel):
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


class TalkQuerySet(models.QuerySet["Talk"]):
    def public(self) -> TalkQuerySet:
        """Talks of sessions anyone may see (Session.objects.public)."""
        return self.filter(session__in=Session.objects.public())

    def visible_to(self, user) -> TalkQuerySet:
        """Talks of the sessions `user` may see (Session.objects.visible_to)."""
        return self.filter(session__in=Session.objects.visible_to(user))

    def with_context(self) -> TalkQuerySet:
        """What a talk row shows: its session and series, paper and presenters (3 queries)."""
        return self.select_related("session__series", "paper").prefetch_related(
            Prefetch("talk_presenters", queryset=TalkPresenter.objects.select_related("person"))
        )


class Talk(RenderedMarkdownModel, CleanTextModel):
    """A slot in a session, usually one paper presented by one or more people."""

    MARKDOWN_FIELDS = ("summary",)

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="talks", verbose_name=_("session")
    )
    # Unique per session (a constraint); gaps are harmless. Talks change places only
    # through sessions.writers.place_talks, which never lets two share one.
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    segment = models.CharField(
        _("segment"), max_length=50, blank=True, help_text=_("e.g. 第一场 / 第二场")
    )
    title = models.CharField(_("title"), max_length=500)
    summary = long_text(_("summary"), help_text=_("Markdown, with $…$ math."))
    summary_html = models.TextField(blank=True, editable=False)
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
    slides_url = HttpURLField(_("slides link"), max_length=500, blank=True)
    recording_url = HttpURLField(_("recording link"), max_length=500, blank=True)

    objects = TalkQuerySet.as_manager()

    class Meta:
        ordering = ["session", "order", "pk"]
        verbose_name = _("talk")
        verbose_name_plural = _("talks")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "order"],
                name="talk_order_once_per_session",
                violation_error_message=_("Two talks of a session cannot share a place."),
            )
        ]

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


class TalkPresenter(CleanTextModel):
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


# Subscriptions, RSVPs and mail records live in their own module; importing it here
# registers them with this app.
from sessions.outreach import models as outreach_models  # noqa: E402, F401
