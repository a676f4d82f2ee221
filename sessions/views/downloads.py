"""Downloads: calendars, BibTeX and CSV exports, and the images the app draws."""

from __future__ import annotations

import hashlib
import io
import tempfile
from collections.abc import Callable
from typing import TextIO

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db.models import Min, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import translation
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.views.decorators.http import require_safe
from PIL import Image

from nice import pagecache
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


# Rows fetched per query, and bytes kept in memory before the file spills to disk.
EXPORT_BATCH = 500
EXPORT_SPOOL_BYTES = 1024 * 1024

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


def _papers_of(sessions) -> QuerySet[Paper]:
    """The papers presented in `sessions`, each once, in the order first presented."""
    return (
        Paper.objects.filter(talks__session__in=sessions)
        .annotate(first_presented=Min("talks__session__starts_at"))
        .order_by("first_presented", "pk")
    )


@require_safe
def session_bibtex(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    session = _visible_session(request, slug, number)
    return _download(
        exports.bibtex(_papers_of([session])),
        "application/x-bibtex; charset=utf-8",
        f"{slug}-{number}.bib",
    )


@require_safe
def series_bibtex(request: HttpRequest, slug: str) -> HttpResponseBase:
    series = get_object_or_404(Series, slug=slug)
    papers = _papers_of(Session.objects.public().filter(series=series))
    return _archive_export(
        request,
        f"{slug}.bib",
        "application/x-bibtex; charset=utf-8",
        lambda out: exports.write_bibtex(papers.iterator(chunk_size=EXPORT_BATCH), out),
    )


@require_safe
def series_talks_csv(request: HttpRequest, slug: str) -> HttpResponseBase:
    series = get_object_or_404(Series, slug=slug)
    talks = (
        Talk.objects.public()
        .filter(session__series=series)
        .with_context()
        .order_by("session__starts_at", "session__number", "order", "pk")
    )
    return _archive_export(
        request,
        f"{slug}-talks.csv",
        "text/csv; charset=utf-8",
        lambda out: exports.write_talks_csv(
            talks.iterator(chunk_size=EXPORT_BATCH), request.build_absolute_uri, out
        ),
    )


def _archive_export(
    request: HttpRequest, filename: str, content_type: str, write: Callable[[TextIO], None]
) -> HttpResponseBase:
    """A whole-archive download, written once per change of the archive and streamed
    from storage: memory stays flat however large the archive, and a second download
    costs a file read, not thousands of rows.

    The file is named after the content version (nice.pagecache), so the next write
    to the archive makes it stale; older ones are removed when a new one is written.
    """
    version = pagecache.current_version()
    key = pagecache.version_key(version)
    # Per host: the CSV holds absolute links (get_host() is checked against ALLOWED_HOSTS).
    folder = f"exports/{request.get_host().split(':')[0] or 'site'}"
    name = f"{folder}/{hashlib.blake2b(key.encode(), digest_size=8).hexdigest()}-{filename}"
    if not default_storage.exists(name):
        with tempfile.SpooledTemporaryFile(max_size=EXPORT_SPOOL_BYTES) as spool:
            text = io.TextIOWrapper(spool, encoding="utf-8", newline="")
            write(text)
            text.flush()
            spool.seek(0)
            _remove_stale_exports(folder, filename)
            default_storage.save(name, File(spool))
            text.detach()
    etag = f'"{hashlib.blake2b(name.encode(), digest_size=16).hexdigest()}"'
    last_modified = version.changed_at.timestamp()
    unchanged = get_conditional_response(request, etag=etag, last_modified=int(last_modified))
    response = unchanged or FileResponse(
        default_storage.open(name), content_type=content_type, as_attachment=True, filename=filename
    )
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified)
    response["Cache-Control"] = f"public, max-age=0, s-maxage={settings.PUBLIC_CACHE_SECONDS}"
    return response


def _remove_stale_exports(folder: str, filename: str) -> None:
    if not default_storage.exists(folder):
        return
    for stale in default_storage.listdir(folder)[1]:
        if stale.endswith(f"-{filename}"):
            default_storage.delete(f"{folder}/{stale}")


def _download(data, content_type: str, filename: str, inline: bool = False) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response
