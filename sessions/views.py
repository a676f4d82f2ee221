from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.paginator import Page, Paginator
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers
from django_htmx.middleware import HtmxDetails
from PIL import Image

from papers.models import Paper
from sessions import artwork, calendar, exports
from sessions.models import Keyword, Person, Series, Session, Talk, TalkPresenter

SEARCH_RESULT_LIMIT = 50


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def _paginate(request: HttpRequest, queryset, per_page: int) -> Page:
    """The requested page; a missing, malformed or too large ?page= gives a valid page."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def _featured_sessions() -> list[tuple[Series, Session | None]]:
    """Each series with its next public session, or its latest when none is coming.

    Two queries plus the cards' prefetches, however many series there are.
    """
    latest = Session.objects.public().order_by("-starts_at")
    series_list = list(
        Series.objects.annotate(
            featured_id=Coalesce(
                Subquery(Session.objects.coming().filter(series=OuterRef("pk")).values("pk")[:1]),
                Subquery(latest.filter(series=OuterRef("pk")).values("pk")[:1]),
            )
        )
    )
    sessions = Session.objects.with_cards().in_bulk(
        [series.featured_id for series in series_list if series.featured_id]
    )
    return [(series, sessions.get(series.featured_id)) for series in series_list]


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    featured = _featured_sessions()
    featured_ids = [session.pk for _, session in featured if session]
    recent = (
        Session.objects.public()
        .past()
        .exclude(pk__in=featured_ids)
        .with_cards()
        .order_by("-starts_at")[:6]
    )
    return render(request, "sessions/home.html", {"featured": featured, "recent": recent})


def _archive_filters(request: HttpRequest) -> dict:
    """The archive's filters from the query string; a malformed or absurd year is ignored."""
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = None
    if year is not None and not 1900 <= year <= 2200:
        year = None
    return {
        "year": year,
        "keyword": request.GET.get("keyword", "").strip(),
        "venue": request.GET.get("venue", "").strip(),
    }


def _filter_choices(series: Series) -> dict:
    public = Session.objects.public().filter(series=series)
    return {
        "years": public.datetimes("starts_at", "year", order="DESC", tzinfo=series.zone),
        "keywords": Keyword.objects.filter(sessions__in=public).distinct(),
        "venues": Paper.objects.filter(talks__session__in=public)
        .exclude(venue="")
        .order_by("venue")
        .values_list("venue", flat=True)
        .distinct(),
    }


@require_GET
@vary_on_headers("HX-Request")
def series_archive(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    series = get_object_or_404(Series, slug=slug)
    filters = _archive_filters(request)
    sessions = Session.objects.public().filter(series=series)
    if filters["year"]:
        # Years are the series' own: 00:30 on 1 January in Beijing is still
        # December in UTC, and belongs to the new year.
        sessions = sessions.filter(
            starts_at__gte=datetime(filters["year"], 1, 1, tzinfo=series.zone),
            starts_at__lt=datetime(filters["year"] + 1, 1, 1, tzinfo=series.zone),
        )
    if filters["keyword"]:
        sessions = sessions.filter(keywords__slug=filters["keyword"])
    if filters["venue"]:
        sessions = sessions.filter(talks__paper__venue=filters["venue"]).distinct()
    page = _paginate(
        request, sessions.with_cards().order_by("-starts_at"), settings.SESSIONS_PER_PAGE
    )
    context = {"series": series, "filters": filters, "page": page}
    if request.htmx and request.GET.get("page"):
        # "More": only the next page of cards, appended in place of the button.
        return render(request, "sessions/series_archive.html#more", context)
    context |= _filter_choices(series)
    if request.htmx:
        # A filter changed: the filter bar and the results, replaced together.
        return render(request, "sessions/series_archive.html#results", context)
    context["next_session"] = Session.objects.coming().filter(series=series).first()
    return render(request, "sessions/series_archive.html", context)


@require_GET
def series_next(request: HttpRequest, slug: str) -> HttpResponse:
    """Redirect to the series' next session: a link that never goes stale in a group chat."""
    series = get_object_or_404(Series, slug=slug)
    upcoming = Session.objects.coming().filter(series=series).select_related("series").first()
    return redirect(upcoming or series)


def _visible_session(request: HttpRequest, slug: str, number: int) -> Session:
    """The session with its cards' prefetches; drafts are 404 except for staff, who preview."""
    session = get_object_or_404(Session.objects.with_cards(), series__slug=slug, number=number)
    if not session.is_public and not request.user.is_staff:
        raise Http404
    return session


@require_GET
def session_detail(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    session = _visible_session(request, slug, number)
    neighbours = Session.objects.public().filter(series=session.series).only("number", "title")
    previous = neighbours.filter(number__lt=number).order_by("-number").first()
    following = neighbours.filter(number__gt=number).order_by("number").first()
    return render(
        request,
        "sessions/session_detail.html",
        {
            "session": session,
            "previous": previous,
            "following": following,
            "google_calendar": calendar.google_calendar_link(session, _permalink(request, session)),
        },
    )


def _permalink(request: HttpRequest, session: Session) -> str:
    return request.build_absolute_uri(session.get_absolute_url())


@require_GET
def session_qr(request: HttpRequest, slug: str, number: int, kind: str) -> HttpResponse:
    """The permalink as a QR code, drawn by the app (SVG for pages, PNG for chats)."""
    if kind not in ("svg", "png"):
        raise Http404
    url = _permalink(request, _visible_session(request, slug, number))
    if kind == "svg":
        return HttpResponse(artwork.qr_svg(url), content_type="image/svg+xml")
    return HttpResponse(artwork.qr_png(url), content_type="image/png")


@require_GET
def session_card(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """The 1200×630 share card: the page's og:image when no poster was uploaded."""
    session = _visible_session(request, slug, number)
    return _generated(
        session, "card", "png", artwork.card_content(session, _permalink(request, session))
    )


@require_GET
def session_poster(request: HttpRequest, slug: str, number: int, kind: str) -> HttpResponse:
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


def _generated(session: Session, kind: str, extension: str, content: dict) -> HttpResponse:
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
    response["Cache-Control"] = "public, max-age=300"
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


@require_GET
def person_detail(request: HttpRequest, slug: str) -> HttpResponse:
    person = get_object_or_404(Person, slug=slug)
    talk_roles = (
        TalkPresenter.objects.filter(person=person, talk__in=Talk.objects.public())
        .select_related("talk__session__series", "talk__paper")
        .order_by("-talk__session__starts_at", "talk__order")
    )
    talked_in = {role.talk.session_id for role in talk_roles}
    # Sessions that name them as presenter without saying which talk was theirs.
    other_sessions = (
        Session.objects.public()
        .filter(session_presenters__person=person)
        .exclude(pk__in=talked_in)
        .select_related("series")
        .order_by("-starts_at")
    )
    return render(
        request,
        "sessions/person_detail.html",
        {"person": person, "talk_roles": talk_roles, "other_sessions": other_sessions},
    )


@require_GET
def keyword_detail(request: HttpRequest, slug: str) -> HttpResponse:
    keyword = get_object_or_404(Keyword, slug=slug)
    sessions = keyword.sessions.public().with_cards().order_by("-starts_at")
    return render(
        request, "sessions/keyword_detail.html", {"keyword": keyword, "sessions": sessions}
    )


def search_sessions(query: str):
    """Public sessions whose title, description or keywords mention `query` (any case)."""
    return (
        Session.objects.public()
        .filter(
            Q(title__icontains=query)
            | Q(description__icontains=query)
            | Q(keywords__name__icontains=query)
        )
        .distinct()
    )


def search_talks(query: str):
    """Talks of public sessions whose title, summary, paper title or authors,
    or presenter names mention `query` (any case)."""
    return (
        Talk.objects.public()
        .filter(
            Q(title__icontains=query)
            | Q(summary__icontains=query)
            | Q(paper__title__icontains=query)
            | Q(paper__authors__icontains=query)
            | Q(talk_presenters__person__name__icontains=query)
        )
        .distinct()
    )


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    sessions = talks = []
    if query:
        sessions = search_sessions(query).with_cards().order_by("-starts_at")[:SEARCH_RESULT_LIMIT]
        talks = (
            search_talks(query)
            .with_context()
            .order_by("-session__starts_at", "order")[:SEARCH_RESULT_LIMIT]
        )
    return render(
        request, "sessions/search.html", {"query": query, "sessions": sessions, "talks": talks}
    )


# ---------------------------------------------------------------- calendars and exports


@require_GET
def session_calendar(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    session = _visible_session(request, slug, number)
    data = calendar.calendar_for([session], lambda s: _permalink(request, s), session.series.name)
    return _download(data, "text/calendar; charset=utf-8", f"{slug}-{number}.ics")


@require_GET
def series_calendar(request: HttpRequest, slug: str) -> HttpResponse:
    """The subscribable feed: upcoming sessions and a bounded window of past ones."""
    series = get_object_or_404(Series, slug=slug)
    data = calendar.calendar_for(
        calendar.feed_sessions(series), lambda s: _permalink(request, s), series.name
    )
    return _download(data, "text/calendar; charset=utf-8", f"{slug}.ics", inline=True)


@require_GET
def series_calendar_qr(request: HttpRequest, slug: str) -> HttpResponse:
    """The calendar feed's address as a QR code: scan it to subscribe from a phone."""
    series = get_object_or_404(Series, slug=slug)
    url = request.build_absolute_uri(reverse("series-calendar", args=[series.slug]))
    return HttpResponse(artwork.qr_svg(url), content_type="image/svg+xml")


def _papers_of(sessions) -> list[Paper]:
    talks = Talk.objects.filter(session__in=sessions, paper__isnull=False).select_related("paper")
    papers = {talk.paper_id: talk.paper for talk in talks.order_by("session__starts_at", "order")}
    return list(papers.values())


@require_GET
def session_bibtex(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    session = _visible_session(request, slug, number)
    return _download(
        exports.bibtex(_papers_of([session])),
        "application/x-bibtex; charset=utf-8",
        f"{slug}-{number}.bib",
    )


@require_GET
def series_bibtex(request: HttpRequest, slug: str) -> HttpResponse:
    series = get_object_or_404(Series, slug=slug)
    sessions = Session.objects.public().filter(series=series)
    return _download(
        exports.bibtex(_papers_of(sessions)), "application/x-bibtex; charset=utf-8", f"{slug}.bib"
    )


@require_GET
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
