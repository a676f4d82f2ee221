"""Subscribe, confirm, unsubscribe, RSVP and cancel: the visitor's side of outreach,
and the organizer's RSVP list under /manage/.

Every page here is personal (a form with a CSRF token, an address, a secret link), so
none is ever stored by the page cache (`never_cache`). Subscriptions and RSVPs are
written only by sessions.outreach.service; these views read forms and word outcomes.
Links in mails (confirm, unsubscribe, cancel) change nothing on GET: mail scanners
follow links. They change state on POST, and unsubscribe and cancel also accept
RFC 8058's one-click POST, which carries no CSRF token: the secret token is the authority.
"""

from __future__ import annotations

import csv
import io

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from nice import ratelimit
from sessions.exports import _csv_cell
from sessions.models import Series, Session
from sessions.outreach import service
from sessions.outreach.forms import CapacityForm, OwnAddressSubscribeForm, RsvpForm, SubscribeForm
from sessions.outreach.models import Rsvp, Subscription, normalize_email

HOUR = 3600

# ---------------------------------------------------------------- shared


def _language() -> str:
    """The page's language as one of ours (what mails are written in by default)."""
    codes = [code for code, _name in settings.LANGUAGES]
    language = get_language() or settings.LANGUAGE_CODE
    return language if language in codes else settings.LANGUAGE_CODE


def _client_ip(request: HttpRequest) -> str:
    # The same notion of "the visitor's address" as the login lockout (django-axes).
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request) or "unknown"


def _allowed_from_ip(request: HttpRequest) -> bool:
    """Counts every POST of the subscribe and RSVP forms, valid or not."""
    return ratelimit.hit(
        "outreach-ip", _client_ip(request), settings.OUTREACH_ATTEMPTS_PER_IP_PER_HOUR, HOUR
    )


def _allowed_for_address(address: str) -> bool:
    return ratelimit.hit(
        "outreach-address", normalize_email(address), settings.OUTREACH_ATTEMPTS_PER_HOUR, HOUR
    )


def _too_many(request: HttpRequest, back: str) -> HttpResponse:
    return render(request, "sessions/outreach/too_many.html", {"back": back}, status=429)


def _visible_session(request: HttpRequest, slug: str, number: int) -> Session:
    """The session if the visitor may see it (a draft: its organizers and admins); else 404."""
    return get_object_or_404(
        Session.objects.visible_to(request.user).select_related("series"),
        series__slug=slug,
        number=number,
    )


def _account_email(request: HttpRequest) -> str:
    user = request.user
    return user.email if user.is_authenticated and user.email else ""


# ---------------------------------------------------------------- subscribe


SUBSCRIBE_OUTCOMES = {a.value for a in service.Asked}


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def subscribe(request: HttpRequest, slug: str, number: int | None = None) -> HttpResponse:
    """Mail about a series (or one session of it): a form, or one click when signed in."""
    session = _visible_session(request, slug, number) if number is not None else None
    series = session.series if session else get_object_or_404(Series, slug=slug)
    here = request.path
    # A session that is over or cancelled has nothing left to remind of.
    closed = bool(session and (session.is_cancelled or session.is_over or not session.is_public))
    own_address = _account_email(request)
    use_own = bool(own_address) and "other" not in request.GET
    form_class = OwnAddressSubscribeForm if use_own else SubscribeForm
    status = 200
    if request.method == "POST":
        if closed:
            status = 409
            form = form_class(initial={"language": _language()})
        else:
            if not _allowed_from_ip(request):
                return _too_many(request, here)
            form = form_class(request.POST)
            if form.is_valid():
                address = own_address if use_own else form.cleaned_data["email"]
                if not _allowed_for_address(address):
                    return _too_many(request, here)
                _, asked = service.subscribe(
                    series,
                    address,
                    language=form.cleaned_data["language"],
                    session=session,
                    user=request.user,
                )
                return redirect(f"{here}?asked={asked.value}")
            status = 400
    else:
        form = form_class(initial={"language": _language()})
    outcome = request.GET.get("asked")
    context = {
        "series": series,
        "session": session,
        "closed": closed,
        "form": form,
        "own_address": own_address if use_own else "",
        "other_address": bool(own_address) and not use_own,
        "asked": outcome if outcome in SUBSCRIBE_OUTCOMES else None,
        "confirmation_days": service.CONFIRMATION_MAX_AGE.days,
    }
    return render(request, "sessions/outreach/subscribe.html", context, status=status)


# ---------------------------------------------------------------- confirm


def _peek_confirmation(code: str) -> tuple[Subscription | None, str | None]:
    """What a confirmation link names, without confirming it (GET must change nothing):
    (subscription, None), or (None, "expired" / "invalid")."""
    try:
        return service.subscription_for(code), None
    except service.ConfirmationError as error:
        return None, error.reason


CONFIRM_ERROR_STATUS = {"expired": 410, "invalid": 404}


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def subscription_confirm(request: HttpRequest, code: str) -> HttpResponse:
    subscription: Subscription | None
    problem: str | None
    if request.method == "POST":
        try:
            subscription, new = service.confirm(code)
        except service.ConfirmationError as error:
            subscription, problem = None, error.reason
        else:
            problem = None if new else "already"
    else:
        subscription, problem = _peek_confirmation(code)
        if subscription is not None and subscription.confirmed_at is not None:
            problem = "already"
    status = CONFIRM_ERROR_STATUS.get(problem or "", 409 if problem else 200)
    return render(
        request,
        "sessions/outreach/confirm.html",
        {
            "subscription": subscription,
            "problem": problem,
            "done": request.method == "POST" and problem is None,
        },
        status=status,
    )


# ---------------------------------------------------------------- unsubscribe


@csrf_exempt  # RFC 8058 one-click: the mail client posts without a token; ours is the authority
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        subscription = service.unsubscribe(token)
    else:
        subscription = (
            Subscription.objects.select_related("series", "session").filter(token=token).first()
        )
    if subscription is None:
        return render(request, "sessions/outreach/unknown_link.html", status=404)
    return render(
        request,
        "sessions/outreach/unsubscribe.html",
        {"subscription": subscription, "done": request.method == "POST"},
    )


# ---------------------------------------------------------------- RSVP

# A POST to a session that takes no RSVP (draft, cancelled, past, full). A draft is
# 404 for those who may not see it, like its page; its organizers see the note.
RSVP_CLOSED_STATUS = 409


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def rsvp(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    session = _visible_session(request, slug, number)
    closed = service.rsvp_closed_reason(session)
    form = RsvpForm(request.POST if request.method == "POST" else None, user=request.user)
    status = 200
    if request.method == "POST":
        if closed:
            status = RSVP_CLOSED_STATUS
            form = RsvpForm(user=request.user)
        elif not _allowed_from_ip(request):
            return _too_many(request, request.path)
        elif form.is_valid():
            if not _allowed_for_address(form.address):
                return _too_many(request, request.path)
            try:
                attending, new = service.attend(
                    session,
                    form.address,
                    name=form.cleaned_data["name"],
                    language=_language(),
                    user=request.user,
                )
            except service.RsvpClosedError as error:  # the last place went meanwhile
                closed, status = error.reason, RSVP_CLOSED_STATUS
                form = RsvpForm(user=request.user)
            else:
                if new or form.email_from_account:
                    return redirect("sessions:rsvp-detail", token=attending.token)
                # Someone else may have typed this address: their page (and its cancel
                # link) is in the confirmation mail, never shown to whoever asks.
                return redirect(f"{request.path}?already=1")
        else:
            status = 400
    mine = None
    if request.user.is_authenticated and request.user.email:
        mine = (
            Rsvp.objects.attending()
            .filter(session=session, email=normalize_email(request.user.email))
            .first()
        )
    context = {
        "session": session,
        "series": session.series,
        "closed": closed,
        "form": form,
        "state": service.rsvp_state(session),
        "mine": mine,
        "already": "already" in request.GET,
    }
    return render(request, "sessions/outreach/rsvp.html", context, status=status)


@never_cache
@require_safe
def rsvp_detail(request: HttpRequest, token: str) -> HttpResponse:
    """The attendee's own page: what they said yes to, the live link, a way out."""
    rsvp_ = Rsvp.objects.select_related("session__series").filter(token=token).first()
    if rsvp_ is None:
        return render(request, "sessions/outreach/unknown_link.html", status=404)
    session = rsvp_.session
    return render(
        request,
        "sessions/outreach/rsvp_detail.html",
        {
            "rsvp": rsvp_,
            "session": session,
            "series": session.series,
            "reopen": service.rsvp_closed_reason(session) is None,
        },
    )


@csrf_exempt  # RFC 8058 one-click, like unsubscribe: the token is the authority
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def rsvp_cancel(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        rsvp_ = service.cancel_rsvp(token)
    else:
        rsvp_ = Rsvp.objects.select_related("session__series").filter(token=token).first()
    if rsvp_ is None:
        return render(request, "sessions/outreach/unknown_link.html", status=404)
    return render(
        request,
        "sessions/outreach/rsvp_cancel.html",
        {
            "rsvp": rsvp_,
            "session": rsvp_.session,
            "series": rsvp_.session.series,
            "done": request.method == "POST",
        },
    )


# ---------------------------------------------------------------- organizers


def _managed_session(user, slug: str, number: int) -> Session:
    """The session if `user` organizes its series (or is an admin); 404 / 403 otherwise."""
    series = get_object_or_404(Series, slug=slug)
    if not series.is_managed_by(user):
        raise PermissionDenied
    session = get_object_or_404(Session, series=series, number=number)
    session.series = series
    return session


@login_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def manage_rsvps(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """Who said they will attend, and the capacity (raising it reopens RSVP)."""
    session = _managed_session(request.user, slug, number)
    form = CapacityForm(
        request.POST if request.method == "POST" else None,
        initial={"rsvp_capacity": session.rsvp_capacity},
    )
    if request.method == "POST" and form.is_valid():
        session.rsvp_capacity = form.cleaned_data["rsvp_capacity"]
        session.save(update_fields=["rsvp_capacity"])
        messages.success(request, _("Capacity saved."))
        return redirect("sessions:manage-rsvps", slug, number)
    attendees = list(Rsvp.objects.attending().filter(session=session))
    state = service.rsvp_state(session)
    subscribers = Subscription.objects.active()
    context = {
        "series": session.series,
        "session": session,
        "attendees": attendees,
        "state": state,
        "closed": service.rsvp_closed_reason(session),
        "form": form,
        "series_subscribers": subscribers.filter(
            series=session.series, session__isnull=True
        ).count(),
        "session_subscribers": subscribers.filter(session=session).count(),
    }
    return render(request, "manage/rsvps.html", context, status=400 if form.is_bound else 200)


RSVP_CSV_COLUMNS = ["name", "email", "language", "rsvp_at"]


@login_required
@never_cache
@require_safe
def manage_rsvps_csv(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """The attendee list for a spreadsheet: UTF-8 with a byte-order mark, formula-safe."""
    session = _managed_session(request.user, slug, number)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(RSVP_CSV_COLUMNS)
    zone = session.series.zone
    for attendee in Rsvp.objects.attending().filter(session=session):
        row = [
            attendee.name,
            attendee.email,
            attendee.language,
            timezone.localtime(attendee.created_at, zone).strftime("%Y-%m-%d %H:%M"),
        ]
        writer.writerow([_csv_cell(value) for value in row])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    filename = f"{session.series.slug}-{session.number}-rsvps.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
