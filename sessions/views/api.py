"""The public, read-only JSON API (contract in sessions/openapi.py).

Plain function views: the API is small and read-only, so a framework
would add more than it saves. Absent values are null, URLs absolute,
times in the series' own UTC offset.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.core.paginator import EmptyPage, Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_safe

from papers.models import Paper
from sessions.embed import parse_limit, upcoming_sessions
from sessions.models import PUBLIC_STATUSES, Appearance, Series, Session, Talk
from sessions.openapi import build_schema


def _json(data, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def _error(detail: str, status: int) -> JsonResponse:
    return _json({"detail": detail}, status=status)


def _absolute(request: HttpRequest, url: str) -> str | None:
    return request.build_absolute_uri(url) if url else None


def person_json(request: HttpRequest, appearance: Appearance) -> dict:
    return {
        "name": appearance.person.name,
        "affiliation": appearance.affiliation or None,
        "url": _absolute(request, appearance.person.get_absolute_url()),
    }


def paper_json(paper: Paper | None) -> dict | None:
    if paper is None:
        return None
    return {
        "title": paper.title,
        "authors": paper.author_list,
        "venue": paper.venue or None,
        "year": paper.year,
        "arxiv_id": paper.arxiv_id or None,
        "doi": paper.doi or None,
        "url": paper.link or None,
        "code_url": paper.code_url or None,
        "project_url": paper.project_url or None,
    }


def talk_json(request: HttpRequest, talk: Talk) -> dict:
    return {
        "order": talk.order,
        "segment": talk.segment or None,
        "title": talk.title,
        "tags": talk.tag_list,
        "summary_markdown": talk.summary or None,
        "summary_html": str(talk.rendered("summary")) or None,
        "presenters": [person_json(request, a) for a in talk.appearances],
        "paper": paper_json(talk.paper),
    }


def session_json(request: HttpRequest, session: Session) -> dict:
    """Uses the prefetches of Session.objects.with_cards()."""
    return {
        "series": session.series.slug,
        "number": session.number,
        "title": session.title,
        "status": session.status,
        "starts_at": session.local_starts_at.isoformat(),
        "ends_at": local_end.isoformat() if (local_end := session.local_ends_at) else None,
        "timezone": session.series.timezone,
        "keywords": [keyword.name for keyword in session.keywords.all()],
        "url": _absolute(request, session.get_absolute_url()),
        "poster_url": _absolute(request, session.poster.url if session.poster else ""),
        "qr_url": _absolute(request, session.qr_url),
        "presenters": [person_json(request, a) for a in session.appearances],
        "talks": [talk_json(request, talk) for talk in session.talks.all()],
    }


@require_safe
def series_list(request: HttpRequest) -> JsonResponse:
    series = Series.objects.annotate(
        session_count=Count("sessions", filter=Q(sessions__status__in=PUBLIC_STATUSES))
    ).order_by("slug")
    return _json(
        [
            {
                "slug": s.slug,
                "name": s.name,
                "timezone": s.timezone,
                "session_count": s.session_count,
            }
            for s in series
        ]
    )


@require_safe
def session_list(request: HttpRequest, slug: str) -> JsonResponse:
    series = Series.objects.filter(slug=slug).first()
    if series is None:
        return _error(f"No series with slug “{slug}”.", 404)
    page_number = request.GET.get("page", "1")
    # isdigit() alone admits "²", and int() refuses 5,000 digits: a page that long
    # is simply beyond the last one.
    digits = page_number.lstrip("0")
    if not (page_number.isascii() and page_number.isdigit()) or not digits:
        return _error("page must be a positive integer.", 400)
    number = int(digits) if len(digits) <= 9 else 10**9
    sessions = Session.objects.public().filter(series=series).with_cards().newest_first()
    paginator = Paginator(sessions, settings.API_PAGE_SIZE)
    try:
        page = paginator.page(number)
    except EmptyPage:
        shown = digits if len(digits) <= 20 else digits[:20] + "…"
        return _error(f"Page {shown} does not exist; there are {paginator.num_pages}.", 404)
    base = request.build_absolute_uri(reverse("sessions:api-session-list", args=[slug]))
    return _json(
        {
            "count": paginator.count,
            "next": f"{base}?page={page.next_page_number()}" if page.has_next() else None,
            "previous": (
                f"{base}?page={page.previous_page_number()}" if page.has_previous() else None
            ),
            "results": [session_json(request, session) for session in page],
        }
    )


@require_safe
def session_detail(request: HttpRequest, slug: str, number: int) -> JsonResponse:
    session = (
        Session.objects.visible_to(request.user)
        .with_cards()
        .filter(series__slug=slug, number=number)
        .first()
    )
    if session is None:
        return _error(f"No published session {number} in series “{slug}”.", 404)
    return _json(session_json(request, session))


def readable_from_any_site(view):
    """CORS for a read-only view: any site's JavaScript may GET it (public data, no
    cookies involved), and the preflight some browsers send first is answered here."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method == "OPTIONS":
            response = HttpResponse(status=204)
            response["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
            response["Access-Control-Allow-Headers"] = "Accept, Content-Type"
            response["Access-Control-Max-Age"] = "86400"
        else:
            response = view(request, *args, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"
        return response

    return wrapped


@readable_from_any_site
@require_safe
def upcoming_list(request: HttpRequest, slug: str) -> JsonResponse:
    """The embeddable schedule's list (sessions/embed.py), for sites that build their own."""
    series = Series.objects.filter(slug=slug).first()
    if series is None:
        return _error(f"No series with slug “{slug}”.", 404)
    sessions = upcoming_sessions(series, parse_limit(request.GET.get("limit")))
    return _json(
        {
            "series": series.slug,
            "name": series.name,
            "timezone": series.timezone,
            "url": _absolute(request, series.get_absolute_url()),
            "results": [session_json(request, session) for session in sessions],
        }
    )


@require_safe
def openapi(request: HttpRequest) -> JsonResponse:
    return _json(build_schema(request.build_absolute_uri("/")))
