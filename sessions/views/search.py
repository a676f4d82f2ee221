"""Search: the page, the header's suggestions, the JSON API and the OpenSearch description.

All read the one index (search.query) with the same semantics; only public rows
are ever found, whoever asks, so a result list is the same for everybody.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from papers.identifiers import normalize_arxiv_id, normalize_doi
from papers.models import Paper
from search import query as index
from search.models import SearchDocument
from search.normalize import highlight_terms
from search.snippets import highlight
from sessions.views.public import HtmxHttpRequest

Kind = SearchDocument.Kind
PER_PAGE = 20
# What the page shows of each kind before "all N …".
PREVIEW: dict[str, int] = {Kind.PERSON: 4, Kind.PAPER: 4, Kind.SESSION: 4, Kind.TALK: 10}
SUGGESTIONS: dict[str, int] = {Kind.PERSON: 3, Kind.PAPER: 2, Kind.SESSION: 2, Kind.TALK: 3}
SNIPPET_WIDTH = 160
GROUP_TITLES: dict[str, Any] = {
    Kind.PERSON: _("People"),
    Kind.PAPER: _("Papers"),
    Kind.SESSION: _("Sessions"),
    Kind.TALK: _("Talks"),
}


@dataclass
class Result:
    kind: str
    url: str
    title: str  # marked
    snippet: str  # marked
    meta: dict
    year: int | None
    plain_title: str
    plain_snippet: str


@dataclass
class Group:
    kind: str
    title: str
    count: int
    capped: bool
    results: list[Result]
    more_url: str

    @property
    def count_label(self) -> str:
        """12, or 1,000+ when there are more than the index counts."""
        shown = number_format(self.count, force_grouping=True)
        return f"{shown}+" if self.capped else shown


def _query_text(request: HttpRequest) -> str:
    return " ".join(request.GET.get("q", "").split())[:200]


def _kind(request: HttpRequest) -> str:
    value = request.GET.get("type", "")
    return value if value in Kind.values else ""


def _page_number(request: HttpRequest) -> int:
    try:
        number = int(request.GET.get("page", "1"))
    except ValueError:
        return 1
    return min(max(number, 1), index.CAP // PER_PAGE)


def _filters(request: HttpRequest) -> index.Filters:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        year = None
    return index.Filters(
        year=year if year and 1900 <= year <= 2200 else None,
        series=request.GET.get("series", "")[:50],
        venue=request.GET.get("venue", "")[:100],
        keyword=request.GET.get("keyword", "")[:100],
    )


def named_paper(text: str) -> Paper | None:
    """The public paper an arXiv id, arXiv link or DOI (alone in the query) names."""
    for normalize, field in ((normalize_arxiv_id, "arxiv_id"), (normalize_doi, "doi")):
        try:
            value = normalize(text)
        except ValueError:
            continue
        return Paper.objects.visible_to(None).filter(**{field: value}).first()
    return None


def _results(hits: list[index.Hit], terms: list[str]) -> dict[int, Result]:
    """The shown rows of these hits, by hit id: one query."""
    rows = SearchDocument.objects.in_bulk([hit.id for hit in hits])
    return {
        pk: Result(
            kind=row.kind,
            url=row.url,
            title=highlight(row.title, terms),
            snippet=highlight(row.body, terms, SNIPPET_WIDTH),
            meta=row.meta,
            year=row.year,
            plain_title=row.title,
            plain_snippet=row.body[:SNIPPET_WIDTH],
        )
        for pk, row in rows.items()
    }


def _link(request: HttpRequest, **changes) -> str:
    """This search's URL with some parameters changed (None drops one); never a page."""
    params = {key: value for key, value in request.GET.items() if key != "page" and value}
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = str(value)
    return "?" + urlencode(params)


def _facet_links(request: HttpRequest, facets: dict, filters: index.Filters) -> list[dict]:
    chosen = {
        "year": str(filters.year or ""),
        "series": filters.series,
        "venue": filters.venue,
        "keyword": filters.keyword,
    }
    titles = {
        "year": _("Year"),
        "series": _("Series"),
        "venue": pgettext_lazy("where a paper was published", "Venue"),
        "keyword": _("Keyword"),
    }
    shown = []
    for name, values in facets.items():
        options = [
            {
                "label": label,
                "count": count,
                "selected": value == chosen[name],
                "url": _link(request, **{name: None if value == chosen[name] else value}),
            }
            for value, label, count in values
        ]
        if options:
            shown.append({"name": name, "title": titles[name], "options": options})
    return shown


def run_search(request: HttpRequest, text: str, kind: str, page: int) -> dict:
    """What the page and the API show: groups of results, counts, facets."""
    filters = _filters(request)
    kinds = [kind] if kind else list(index.KINDS)
    results = index.search(text, kinds, filters)
    terms = highlight_terms(text)
    wanted: list[index.Hit] = []
    slices: dict[str, list[index.Hit]] = {}
    for each in results.hits:
        ranked = results.ranked(each)
        first = (page - 1) * PER_PAGE if kind else 0
        slices[each] = ranked[first : first + (PER_PAGE if kind else PREVIEW[each])]
        wanted += slices[each]
    by_id = _results(wanted, terms)
    groups = [
        Group(
            kind=each,
            title=str(GROUP_TITLES[each]),
            count=results.count(each),
            capped=results.capped(each),
            results=[by_id[hit.id] for hit in slices[each] if hit.id in by_id],
            more_url=_link(request, type=each),
        )
        for each in index.KINDS
        if each in slices
    ]
    return {
        "query": text,
        "kind": kind,
        "page": page,
        "filters": filters,
        "groups": groups,
        "results": results,
        "facets": index.facets(results) if text else {},
    }


@require_safe
@vary_on_headers("HX-Request")
def search(request: HtmxHttpRequest) -> HttpResponse:
    text = _query_text(request)
    paper = named_paper(text) if text else None
    if paper is not None:
        return redirect(paper)
    kind = _kind(request)
    page = _page_number(request)
    context = run_search(request, text, kind, page)
    group = context["groups"][0] if kind and context["groups"] else None
    context |= {
        "facet_groups": _facet_links(request, context["facets"], context["filters"]),
        "group": group,
        "previous_url": _link(request, page=page - 1) if kind and page > 1 else "",
        "next_url": (
            _link(request, page=page + 1) if group and group.count > page * PER_PAGE else ""
        ),
        "all_kinds_url": _link(request, type=None),
        "has_results": any(group.results for group in context["groups"]),
        "kind_title": GROUP_TITLES.get(kind, ""),
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "sessions/search.html#results", context)
    return render(request, "sessions/search.html", context)


@require_safe
def suggest(request: HttpRequest) -> HttpResponse:
    """The header box's suggestions as you type: a few of each kind."""
    text = _query_text(request)
    results = index.search(text, list(index.KINDS), cap=20) if text else None
    terms = highlight_terms(text)
    suggestions: list[Result] = []
    if results is not None:
        hits = [hit for kind in index.KINDS for hit in results.ranked(kind)[: SUGGESTIONS[kind]]]
        shown = _results(hits, terms)
        suggestions = [shown[hit.id] for hit in hits if hit.id in shown]
    return render(
        request,
        "sessions/_search_suggestions.html",
        {"query": text, "suggestions": suggestions, "kind_titles": GROUP_TITLES},
    )


@require_safe
def opensearch(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "sessions/opensearch.xml",
        {
            "page": request.build_absolute_uri(reverse("sessions:search")),
            "api": request.build_absolute_uri(reverse("sessions:api-search")),
            "icon": request.build_absolute_uri(static("img/favicon.svg")),
        },
        content_type="application/opensearchdescription+xml",
    )


# ---------------------------------------------------------------- the API


def _api_error(detail: str, status: int) -> JsonResponse:
    return JsonResponse(
        {"detail": detail}, status=status, json_dumps_params={"ensure_ascii": False}
    )


@require_safe
def api_search(request: HttpRequest) -> JsonResponse:
    """GET /api/v1/search?q=&type=&page=: the page's results as JSON."""
    text = _query_text(request)
    kind = request.GET.get("type", "")
    if kind and kind not in Kind.values:
        return _api_error(f"type must be one of {', '.join(Kind.values)}", 400)
    try:
        page = int(request.GET.get("page", "1"))
    except ValueError:
        return _api_error("page must be a whole number from 1", 400)
    if not 1 <= page <= index.CAP // PER_PAGE:
        return _api_error(f"page must be between 1 and {index.CAP // PER_PAGE}", 400)
    context = run_search(request, text, kind, page)
    return JsonResponse(
        {
            "query": text,
            "type": kind or None,
            "page": page,
            "counts": {group.kind: group.count for group in context["groups"]},
            "capped": {group.kind: group.capped for group in context["groups"]},
            "results": [
                {
                    "type": result.kind,
                    "title": result.plain_title,
                    "url": request.build_absolute_uri(result.url),
                    "snippet": result.plain_snippet,
                    "year": result.year,
                }
                for group in context["groups"]
                for result in group.results
            ],
        },
        json_dumps_params={"ensure_ascii": False},
    )
