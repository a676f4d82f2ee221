from __future__ import annotations

import hashlib
from datetime import datetime

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers
from django_htmx.middleware import HtmxDetails

from nice import pagecache
from papers.models import Paper
from sessions import calendar
from sessions.cards import attach_cards
from sessions.models import Keyword, Person, Series, Session, Talk, TalkPresenter


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def _paginate(request: HttpRequest, queryset, per_page: int, count: int | None = None) -> Page:
    """The requested page; a missing, malformed or too large ?page= gives a valid page.
    `count`, when known already, saves the COUNT query (it grows with the archive)."""
    paginator = Paginator(queryset, per_page)
    if count is not None:
        paginator.count = count  # a cached_property: this value is used instead
    return paginator.get_page(request.GET.get("page"))


def _featured_sessions() -> list[tuple[Series, Session | None]]:
    """Each series with its next public session, or its latest when none is coming.

    Two queries, however many series there are; the cards come from attach_cards.
    """
    latest = Session.objects.public().newest_first()
    series_list = list(
        Series.objects.annotate(
            featured_id=Coalesce(
                Subquery(Session.objects.coming().filter(series=OuterRef("pk")).values("pk")[:1]),
                Subquery(latest.filter(series=OuterRef("pk")).values("pk")[:1]),
            )
        )
    )
    sessions = Session.objects.select_related("series").in_bulk(
        [series.featured_id for series in series_list if series.featured_id]
    )
    return [(series, sessions.get(series.featured_id)) for series in series_list]


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    featured = _featured_sessions()
    featured_ids = [session.pk for _, session in featured if session]
    recent = list(
        Session.objects.public()
        .past()
        .exclude(pk__in=featured_ids)
        .select_related("series")
        .newest_first()[:6]
    )
    attach_cards([session for _, session in featured if session] + recent)
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


def _filter_bar(request: HttpRequest, series: Series, filters: dict, choices) -> str:
    """The filter bar: a link per year, keyword and venue (hundreds in a large archive),
    the same for everyone who asks this URL (its page aside). So it is rendered once per
    version of the archive, like the cards, not on every load (issue 13's profile: 500
    {% querystring %} links were two thirds of the archive page at 5,000 sessions)."""
    query = request.GET.copy()
    query.pop("page", None)
    digest = hashlib.blake2b(query.urlencode().encode(), digest_size=12).hexdigest()
    return pagecache.derived(
        f"archive-filter-bar:{series.pk}:{get_language()}:{digest}",
        lambda: render_to_string(
            "sessions/series_archive.html#filter-bar",
            {"series": series, "filters": filters, "choices": choices},
            request=request,
        ),
    )


@require_safe
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
    choices = series.archive_filters()
    page = _paginate(
        request,
        sessions.select_related("series").newest_first(),
        settings.SESSIONS_PER_PAGE,
        count=choices.count(**filters),
    )
    page.object_list = attach_cards(list(page.object_list))
    context = {"series": series, "filters": filters, "page": page}
    if request.htmx and request.GET.get("page"):
        # "More": only the next page of cards, appended in place of the button.
        return render(request, "sessions/series_archive.html#more", context)
    context["filter_bar"] = mark_safe(_filter_bar(request, series, filters, choices))
    if request.htmx:
        # A filter changed: the filter bar and the results, replaced together.
        return render(request, "sessions/series_archive.html#results", context)
    context["next_session"] = Session.objects.coming().filter(series=series).first()
    return render(request, "sessions/series_archive.html", context)


@require_safe
def series_next(request: HttpRequest, slug: str) -> HttpResponse:
    """Redirect to the series' next session: a link that never goes stale in a group chat."""
    series = get_object_or_404(Series, slug=slug)
    upcoming = Session.objects.coming().filter(series=series).select_related("series").first()
    return redirect(upcoming or series)


def _visible_session(request: HttpRequest, slug: str, number: int) -> Session:
    """The session with its cards' prefetches, if the visitor may see it (a draft:
    its series' organizers and admins, who preview it); else 404."""
    return get_object_or_404(
        Session.objects.visible_to(request.user).with_cards(), series__slug=slug, number=number
    )


@require_safe
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


@require_safe
def person_detail(request: HttpRequest, slug: str) -> HttpResponse:
    person = get_object_or_404(Person.objects.visible_to(request.user), slug=slug)
    talk_roles = (
        TalkPresenter.objects.filter(person=person, talk__in=Talk.objects.visible_to(request.user))
        .select_related("talk__session__series", "talk__paper")
        .order_by("-talk__session__starts_at", "-talk__session__number", "talk__order", "pk")
    )
    # Sessions that name them as presenter without saying which talk was theirs.
    other_sessions = (
        Session.objects.visible_to(request.user)
        .filter(session_presenters__person=person)
        .exclude(pk__in=talk_roles.values("talk__session"))
        .select_related("series")
        .newest_first()
    )
    # A page at a time: a regular presenter's list grows with the archive.
    page = _paginate(request, talk_roles, settings.TALKS_PER_PAGE)
    return render(
        request,
        "sessions/person_detail.html",
        {"person": person, "page": page, "other_sessions": other_sessions},
    )


@require_safe
def keyword_detail(request: HttpRequest, slug: str) -> HttpResponse:
    keyword = get_object_or_404(Keyword.objects.visible_to(request.user), slug=slug)
    sessions = keyword.sessions.visible_to(request.user).select_related("series").newest_first()
    # A page at a time: a broad keyword grows with the archive.
    page = _paginate(request, sessions, settings.SESSIONS_PER_PAGE)
    page.object_list = attach_cards(list(page.object_list))
    return render(request, "sessions/keyword_detail.html", {"keyword": keyword, "page": page})


@require_safe
def paper_detail(request: HttpRequest, pk: int) -> HttpResponse:
    paper = get_object_or_404(Paper.objects.visible_to(request.user), pk=pk)
    talks = (
        Talk.objects.visible_to(request.user)
        .filter(paper=paper)
        .with_context()
        .order_by("-session__starts_at")
    )
    return render(request, "papers/paper_detail.html", {"paper": paper, "talks": talks})
