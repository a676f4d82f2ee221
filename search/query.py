"""Searching the index: one statement finds the candidates of every kind.

Each kind's candidates are its newest matching public rows, at most CAP + 1 of
them: enough to rank any query with fewer than CAP matches exactly, and a
bounded cost (and a capped count, "1,000+") for a broad one. Candidates are
ranked in Python by tier (every term in the title; in the title, people and
paper; anywhere) and then by recency; facets are counted over them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection

from search.models import SearchDocument
from search.normalize import Term, parse_query
from sessions.models import Keyword, Session

Kind = SearchDocument.Kind
CAP = 1000
TABLE = SearchDocument._meta.db_table
KINDS = (Kind.PERSON, Kind.PAPER, Kind.SESSION, Kind.TALK)
# Facets narrow sessions, talks and papers; people have no year or venue.
FACETED_KINDS = (Kind.PAPER, Kind.SESSION, Kind.TALK)


@dataclass(frozen=True)
class Filters:
    year: int | None = None
    series: str = ""
    venue: str = ""
    keyword: str = ""  # slug

    def __bool__(self) -> bool:
        return bool(self.year or self.series or self.venue or self.keyword)


@dataclass(frozen=True)
class Hit:
    id: int
    kind: str
    object_id: int
    sort_date: datetime
    year: int | None
    series_slug: str
    series_name: str
    venue: str
    session_id: int | None
    tier: int  # 3: every term in the title; 2: in title, people, paper; 1: anywhere


@dataclass
class Results:
    terms: list[Term]
    hits: dict[str, list[Hit]] = field(default_factory=dict)  # ranked, per kind

    def count(self, kind: str) -> int:
        return min(len(self.hits.get(kind, [])), CAP)

    def capped(self, kind: str) -> bool:
        return len(self.hits.get(kind, [])) > CAP

    def ranked(self, kind: str) -> list[Hit]:
        return self.hits.get(kind, [])[:CAP]


def search(
    query: str,
    kinds=KINDS,
    filters: Filters | None = None,
    cap: int = CAP,
    public_only: bool = True,
) -> Results:
    """The ranked candidates of `query` (one query to the database; none for an
    empty query), at most `cap` + 1 of each kind. With filters, only the kinds
    they apply to. Drafts' rows only with `public_only=False`, for pickers that
    then apply visible_to(user) themselves."""
    terms = parse_query(query)
    results = Results(terms)
    filters = filters or Filters()
    if filters:
        kinds = [kind for kind in kinds if kind in FACETED_KINDS]
    if not terms or not kinds:
        return results
    engine = Postgres if connection.vendor == "postgresql" else Sqlite
    sql, params = engine.candidates(terms, list(kinds), filters, min(cap, CAP) + 1)
    if not public_only:
        sql = sql.replace("d.public AND", "").replace("WHERE public AND", "WHERE")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    by_kind: dict[str, list[Hit]] = {kind: [] for kind in kinds}
    for row in rows:
        *columns, in_title, in_people = row
        tier = 3 if in_title else 2 if in_people else 1
        hit = Hit(*columns, tier=tier)  # type: ignore[misc]
        by_kind[hit.kind].append(hit)
    for kind, hits in by_kind.items():
        hits.sort(key=lambda hit: (hit.tier, _timestamp(hit.sort_date), hit.id), reverse=True)
        results.hits[kind] = hits
    return results


def _timestamp(moment) -> float:
    # SQLite returns strings from raw SQL; both sort as time does.
    return moment.timestamp() if isinstance(moment, datetime) else float(_parse(moment))


def _parse(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


COLUMNS = "id, kind, object_id, sort_date, year, series_slug, series_name, venue, session_id"


def _filter_sql(filters: Filters, kind: str, column) -> tuple[str, list]:
    sql: list[str] = []
    params: list = []
    if filters.year:
        sql.append(f"{column('year')} = %s")
        params.append(filters.year)
    if filters.series:
        sql.append(f"{column('series_slug')} = %s")
        params.append(filters.series)
    if filters.venue:
        sql.append(f"{column('venue')} = %s")
        params.append(filters.venue)
    if filters.keyword:
        if kind == Kind.PAPER:
            through = Keyword.papers.through._meta.db_table
            sql.append(
                f"{column('object_id')} IN (SELECT t.paper_id FROM {through} t"
                f" JOIN {Keyword._meta.db_table} k ON k.id = t.keyword_id WHERE k.slug = %s)"
            )
        else:
            through = Session.keywords.through._meta.db_table
            sql.append(
                f"{column('session_id')} IN (SELECT t.session_id FROM {through} t"
                f" JOIN {Keyword._meta.db_table} k ON k.id = t.keyword_id WHERE k.slug = %s)"
            )
        params.append(filters.keyword)
    return "".join(f" AND {clause}" for clause in sql), params


class Postgres:
    @staticmethod
    def tsquery(terms: list[Term], weights: str = "") -> str:
        def lexeme(token: str, prefix: bool) -> str:
            quoted = "'{}'".format(token.replace("\\", "\\\\").replace("'", "''"))
            label = ("*" if prefix else "") + weights
            return f"{quoted}:{label}" if label else quoted

        parts = []
        for term in terms:
            last = len(term.tokens) - 1
            lexemes = [
                lexeme(token, term.prefix and index == last)
                for index, token in enumerate(term.tokens)
            ]
            parts.append("(" + " <-> ".join(lexemes) + ")")
        return " & ".join(parts)

    @classmethod
    def candidates(cls, terms: list[Term], kinds: list[str], filters: Filters, limit: int):
        anywhere, title, people = (cls.tsquery(terms, w) for w in ("", "A", "AB"))
        selects, params = [], []
        for kind in kinds:
            where, filter_params = _filter_sql(filters, kind, lambda name: name)
            selects.append(
                f"(SELECT {COLUMNS}, vector @@ %s::tsquery, vector @@ %s::tsquery"
                f" FROM {TABLE} WHERE public AND kind = %s AND vector @@ %s::tsquery{where}"
                f" ORDER BY sort_date DESC, id DESC LIMIT %s)"
            )
            params += [title, people, kind, anywhere, *filter_params, limit]
        return " UNION ALL ".join(selects), params


class Sqlite:
    @staticmethod
    def match(terms: list[Term], columns: str = "") -> str:
        def token(text: str, prefix: bool) -> str:
            return '"{}"'.format(text.replace('"', '""')) + (" *" if prefix else "")

        parts = []
        for term in terms:
            last = len(term.tokens) - 1
            parts.append(
                "("
                + " + ".join(
                    token(text, term.prefix and index == last)
                    for index, text in enumerate(term.tokens)
                )
                + ")"
            )
        expression = " AND ".join(parts)
        return f"{{{columns}}} : ({expression})" if columns else expression

    @classmethod
    def candidates(cls, terms: list[Term], kinds: list[str], filters: Filters, limit: int):
        params: list = [
            cls.match(terms),
            cls.match(terms, "tokens_a"),
            cls.match(terms, "tokens_a tokens_b"),
        ]
        sql = (
            "WITH anywhere AS MATERIALIZED"
            " (SELECT rowid FROM search_fts WHERE search_fts MATCH %s),"
            " title AS MATERIALIZED (SELECT rowid FROM search_fts WHERE search_fts MATCH %s),"
            " people AS MATERIALIZED (SELECT rowid FROM search_fts WHERE search_fts MATCH %s) "
        )
        selects = []
        for kind in kinds:
            where, filter_params = _filter_sql(filters, kind, lambda name: f"d.{name}")
            columns = ", ".join(f"d.{name.strip()}" for name in COLUMNS.split(","))
            selects.append(
                f"SELECT * FROM (SELECT {columns}, d.id IN title, d.id IN people"
                f" FROM {TABLE} d WHERE d.public AND d.kind = %s AND d.id IN anywhere{where}"
                f" ORDER BY d.sort_date DESC, d.id DESC LIMIT %s)"
            )
            params += [kind, *filter_params, limit]
        return sql + " UNION ALL ".join(selects), params


def facets(results: Results) -> dict[str, list[tuple[str, str, int]]]:
    """(value, label, count) for each facet, most frequent first, over the candidates
    of the faceted kinds; keywords (of the sessions found) take one query, the rest none."""
    years: Counter = Counter()
    series: Counter = Counter()
    venues: Counter = Counter()
    sessions: Counter = Counter()
    for kind in FACETED_KINDS:
        for hit in results.ranked(kind):
            if hit.year:
                years[hit.year] += 1
            if hit.series_slug:
                series[(hit.series_slug, hit.series_name)] += 1
            if hit.venue:
                venues[hit.venue] += 1
            if hit.session_id:
                sessions[hit.session_id] += 1
    keywords: Counter = Counter()
    if sessions:
        for keyword in Keyword.objects.filter(sessions__in=list(sessions)).values(
            "slug", "name", "sessions"
        ):
            keywords[(keyword["slug"], keyword["name"])] += sessions[keyword["sessions"]]
    return {
        "year": [(str(year), str(year), n) for year, n in sorted(years.items(), reverse=True)],
        "series": [(slug, name, n) for (slug, name), n in series.most_common(8)],
        "venue": [(venue, venue, n) for venue, n in venues.most_common(8)],
        "keyword": [(slug, name, n) for (slug, name), n in keywords.most_common(10)],
    }
