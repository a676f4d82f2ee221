"""Downloads: calendars, BibTeX and CSV exports, and the images the app draws."""

from __future__ import annotations

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_safe
from PIL import Image

from papers.models import Paper
from sessions import artwork, calendar, exports
from sessions.models import Series, Session, Talk
from sessions.views.public import _permalink, _visible_session


@require_safe
def session_qr(request: HttpRequest, slug: str, number: int, kind: str) -> HttpResponse:
    """The permalink as a QR code, drawn by the app (SVG for pages, PNG for chats)."""
    if kind not in ("svg", "png"):
        raise Http404
    url = _permalink(request, _visible_session(request, slug, number))
    if kind == "svg":
        return HttpResponse(artwork.qr_svg(url), content_type="image/svg+xml")
    return HttpResponse(artwork.qr_png(url), content_type="image/png")


@require_safe
def session_card(request: HttpRequest, slug: str, number: int) -> HttpResponseBase:
    """The 1200×630 share card: the page's og:image when no poster was uploaded."""
    session = _visible_session(request, slug, number)
    return _generated(
        session, "card", "png", artwork.card_content(session, _permalink(request, session))
    )


@require_safe
def session_poster(request: HttpRequest, slug: str, number: int, kind: str) -> HttpResponseBase:
    """The printable A4 poster; an uploaded poster takes precedence over the drawn one."""
    if kind not in ("png", "pdf"):
        raise Http404
    session = _visible_session(request, slug, number)
    if session.poster and kind == "png":
        return redirect(session.poster.url)
    content = artwork.card_content(session, _permalink(request, session))
    if session.poster:
        content["uploaded_poster"] = session.poster.name
    return _generated(session, "poster", kind, content)


_CONTENT_TYPES = {"png": "image/png", "pdf": "application/pdf"}


def _generated(session: Session, kind: str, extension: str, content: dict) -> FileResponse:
    """A drawn image, from storage when its content has not changed since it was drawn."""
    folder = f"generated/{session.series.slug}/{session.number}"
    name = f"{folder}/{kind}-{artwork.signature(content)}.{extension}"
    if not default_storage.exists(name):
        data = _draw(session, kind, extension, content)
        for stale in default_storage.listdir(folder)[1] if default_storage.exists(folder) else []:
            if stale.startswith(f"{kind}-") and stale.endswith(f".{extension}"):
                default_storage.delete(f"{folder}/{stale}")
        default_storage.save(name, ContentFile(data))
    response = FileResponse(default_storage.open(name), content_type=_CONTENT_TYPES[extension])
    # A draft's preview must not be kept by a shared cache and shown to everyone.
    response["Cache-Control"] = f"{'public' if session.is_public else 'private'}, max-age=300"
    return response


def _draw(session: Session, kind: str, extension: str, content: dict) -> bytes:
    with translation.override(settings.LANGUAGE_CODE):
        if kind == "card":
            image = artwork.render_card(content)
        elif session.poster:
            with session.poster.open("rb") as uploaded:
                image = Image.open(uploaded)
                image.load()
        else:
            image = artwork.render_poster(content)
    return artwork.pdf_bytes(image) if extension == "pdf" else artwork.png_bytes(image)


@require_safe
def session_calendar(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    session = _visible_session(request, slug, number)
    data = calendar.calendar_for([session], lambda s: _permalink(request, s), session.series.name)
    return _download(data, "text/calendar; charset=utf-8", f"{slug}-{number}.ics")


@require_safe
def series_calendar(request: HttpRequest, slug: str) -> HttpResponse:
    """The subscribable feed: upcoming sessions and a bounded window of past ones."""
    series = get_object_or_404(Series, slug=slug)
    data = calendar.calendar_for(
        calendar.feed_sessions(series), lambda s: _permalink(request, s), series.name
    )
    return _download(data, "text/calendar; charset=utf-8", f"{slug}.ics", inline=True)


@require_safe
def series_calendar_qr(request: HttpRequest, slug: str) -> HttpResponse:
    """The calendar feed's address as a QR code: scan it to subscribe from a phone."""
    series = get_object_or_404(Series, slug=slug)
    url = request.build_absolute_uri(reverse("sessions:series-calendar", args=[series.slug]))
    return HttpResponse(artwork.qr_svg(url), content_type="image/svg+xml")


def _papers_of(sessions) -> list[Paper]:
    talks = Talk.objects.filter(session__in=sessions, paper__isnull=False).select_related("paper")
    papers: dict[int, Paper] = {}
    for talk in talks.order_by("session__starts_at", "order"):
        if talk.paper is not None:
            papers.setdefault(talk.paper.pk, talk.paper)
    return list(papers.values())


@require_safe
def session_bibtex(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    session = _visible_session(request, slug, number)
    return _download(
        exports.bibtex(_papers_of([session])),
        "application/x-bibtex; charset=utf-8",
        f"{slug}-{number}.bib",
    )


@require_safe
def series_bibtex(request: HttpRequest, slug: str) -> HttpResponse:
    series = get_object_or_404(Series, slug=slug)
    sessions = Session.objects.public().filter(series=series)
    return _download(
        exports.bibtex(_papers_of(sessions)), "application/x-bibtex; charset=utf-8", f"{slug}.bib"
    )


@require_safe
def series_talks_csv(request: HttpRequest, slug: str) -> HttpResponse:
    series = get_object_or_404(Series, slug=slug)
    talks = (
        Talk.objects.public()
        .filter(session__series=series)
        .with_context()
        .order_by("session__starts_at", "order")
    )
    return _download(
        exports.talks_csv(talks, request.build_absolute_uri),
        "text/csv; charset=utf-8",
        f"{slug}-talks.csv",
    )


def _download(data, content_type: str, filename: str, inline: bool = False) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response
