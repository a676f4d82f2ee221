from typing import cast

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from sessions import history, writers
from sessions.forms import SessionAdminForm
from sessions.models import (
    Keyword,
    Person,
    Series,
    SeriesQuerySet,
    Session,
    SessionPresenter,
    Talk,
    TalkPresenter,
)
from sessions.outreach.mailer import send_soon
from sessions.outreach.models import Delivery, Mailing, Rsvp, Subscription, SuppressedAddress


@admin.register(Series)
class SeriesAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "timezone", "session_count", "subscriber_count"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["organizers"]

    def get_queryset(self, request):
        series = cast(SeriesQuerySet, super().get_queryset(request))
        return series.with_subscriber_count().annotate(session_count=Count("sessions"))

    @admin.display(description=_("sessions"), ordering="session_count")
    def session_count(self, series: Series) -> int:
        return series.session_count  # type: ignore[attr-defined]  # annotated in get_queryset

    @admin.display(description=_("subscribers"), ordering="subscriber_count")
    def subscriber_count(self, series: Series) -> int:
        """Confirmed, not unsubscribed, to the whole series."""
        return series.subscriber_count  # type: ignore[attr-defined]  # annotated in get_queryset


@admin.register(Keyword)
class KeywordAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["name", "affiliation", "note"]
    search_fields = ["name", "affiliation", "note"]
    prepopulated_fields = {"slug": ["name"]}


class SessionPresenterInline(admin.TabularInline):
    model = SessionPresenter
    autocomplete_fields = ["person"]
    extra = 0


class TalkInlineForm(forms.ModelForm):
    def validate_constraints(self) -> None:
        """Not "is this place taken" row by row: in a swap, the place is freed by the same
        save. The formset checks the places among all the session's talks, and the
        admin moves them in two steps (_make_room_for_talks)."""
        # Both are ModelForm's own (Django's validate_constraints uses them); not in the stubs.
        exclude = self._get_validation_exclusions() | {"order"}  # type: ignore[attr-defined]
        try:
            self.instance.validate_constraints(exclude=exclude)
        except ValidationError as error:
            self._update_errors(error)  # type: ignore[attr-defined]


class TalkInline(admin.StackedInline):
    model = Talk
    form = TalkInlineForm
    autocomplete_fields = ["paper"]
    extra = 0
    show_change_link = True
    fields = [
        ("order", "segment", "tags"),
        "title",
        "paper",
        "summary",
        ("slides", "slides_url", "recording_url"),
    ]


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    form = SessionAdminForm
    list_display = ["__str__", "series", "number", "local_start", "status"]
    list_filter = ["status", "series", "keywords"]
    list_select_related = ["series"]
    search_fields = ["title", "description", "talks__title"]
    date_hierarchy = "starts_at"
    autocomplete_fields = ["keywords"]
    inlines = [SessionPresenterInline, TalkInline]
    fieldsets = [
        (None, {"fields": ["series", "number", "title", "status"]}),
        (_("When and where"), {"fields": ["starts_at", "ends_at", "venue", "live_url"]}),
        (_("RSVP"), {"fields": ["live_url_for_rsvp_only", "rsvp_capacity"]}),
        (_("About"), {"fields": ["description", "keywords"]}),
        (_("Images"), {"fields": ["poster", "qr_image"]}),
    ]

    @admin.display(description=_("starts at"), ordering="starts_at")
    def local_start(self, session: Session) -> str:
        """On the series' clock, zone named, as every other screen shows it."""
        return f"{session.local_starts_at:%Y-%m-%d %H:%M} {session.series.timezone}"

    # Admin edits go into the session's history and bump its version like the
    # workspace's, so an organizer's stale form cannot overwrite them.
    def save_model(self, request, obj, form, change):
        request._session_before = (
            history.snapshot(Session.objects.get(pk=obj.pk)) if change else None
        )
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        if formset.model is Talk:
            _make_room_for_talks(formset)
        super().save_formset(request, form, formset, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        summary = gettext("Edited in the admin") if change else gettext("Created in the admin")
        history.record(form.instance, request.user, summary, request._session_before)


def _make_room_for_talks(formset) -> None:
    """Two talks swapped in the inline would share a place for a moment, as the formset
    saves one row at a time: deleted talks go first, and the moved ones take their new
    places through the one writer that moves talks (in two steps). The formset then
    saves the rest, and new talks, whose places it checked to be free."""
    for deleted in formset.deleted_forms:
        if deleted.instance.pk is not None:
            deleted.instance.delete()
    places = {
        form.instance.pk: form.cleaned_data["order"]
        for form in formset.initial_forms
        if form.instance.pk is not None and form not in formset.deleted_forms
    }
    # As stored: the forms' instances already hold the new places.
    writers.place_talks(list(Talk.objects.filter(pk__in=places)), places)


class TalkPresenterInline(admin.TabularInline):
    model = TalkPresenter
    autocomplete_fields = ["person"]
    extra = 1


@admin.register(Talk)
class TalkAdmin(admin.ModelAdmin):
    list_display = ["title", "session", "order", "segment"]
    list_select_related = ["session__series"]
    list_filter = ["session__series"]
    search_fields = ["title", "summary", "paper__title"]
    autocomplete_fields = ["session", "paper"]
    inlines = [TalkPresenterInline]


# ---------------------------------------------------------------- outreach
# Addresses are personal: only admins see them here (organizers see their own sessions'
# RSVP lists in the workspace). Subscriptions and RSVPs are made by their owners
# through the site (double opt-in), never added here.


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["email", "series", "session", "language", "confirmed", "unsubscribed"]
    list_filter = ["series", "language"]
    list_select_related = ["series", "session__series"]
    search_fields = ["email"]
    readonly_fields = ["email", "series", "session", "user", "created_at", "confirmed_at"]
    fields = [
        "email",
        "series",
        "session",
        "user",
        "language",
        "created_at",
        "confirmed_at",
        "unsubscribed_at",
    ]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description=_("confirmed"), boolean=True, ordering="confirmed_at")
    def confirmed(self, subscription: Subscription) -> bool:
        return subscription.confirmed_at is not None

    @admin.display(description=_("unsubscribed"), boolean=True, ordering="unsubscribed_at")
    def unsubscribed(self, subscription: Subscription) -> bool:
        return subscription.unsubscribed_at is not None


@admin.register(Rsvp)
class RsvpAdmin(admin.ModelAdmin):
    list_display = ["email", "name", "session", "language", "created_at", "cancelled_at"]
    list_filter = ["session__series"]
    list_select_related = ["session__series"]
    search_fields = ["email", "name"]
    readonly_fields = ["session", "email", "user", "created_at"]
    fields = ["session", "name", "email", "user", "language", "created_at", "cancelled_at"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(SuppressedAddress)
class SuppressedAddressAdmin(admin.ModelAdmin):
    """How bounced or complaining addresses stop receiving mail: add them here."""

    list_display = ["email", "reason", "note", "created_at"]
    list_filter = ["reason"]
    search_fields = ["email", "note"]


class RecordAdmin(admin.ModelAdmin):
    """Records of what was sent: read, never written by hand (the worker writes them)."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(RecordAdmin):
    list_display = ["created_at", "kind", "email", "status", "attempts", "sent_at", "short_error"]
    list_filter = ["status", "kind"]
    search_fields = ["email"]
    list_select_related = ["mailing__session__series"]
    actions = ["send_again"]

    @admin.display(description=_("last error"))
    def short_error(self, delivery: Delivery) -> str:
        return delivery.error[:80]

    @admin.action(description=_("Send again (failed or unknown ones)"))
    def send_again(self, request, queryset) -> None:
        again = queryset.filter(status__in=[Delivery.Status.FAILED, Delivery.Status.UNKNOWN])
        count = again.update(
            status=Delivery.Status.PENDING, next_attempt_at=timezone.now(), claimed_at=None
        )
        if count:
            transaction.on_commit(send_soon)
        self.message_user(
            request,
            ngettext(
                "%(count)d mail will be sent again.",
                "%(count)d mails will be sent again.",
                count,
            )
            % {"count": count},
        )


@admin.register(Mailing)
class MailingAdmin(RecordAdmin):
    list_display = ["session", "kind", "occasion", "created_at", "expanded_at"]
    list_filter = ["kind"]
    list_select_related = ["session__series"]
