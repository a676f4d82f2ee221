"""Searching the index: one statement finds the candidates of every kind.

Each kind's candidates are its newest matching public rows, at most CAP + 1 of
them: enough to rank any query with fewer than CAP matches exactly, and a
bounded cost (and a capped count, "1,000+") for a broad one. Candidates are
ranked in Python by tier (every term in the title; in the title, people and
paper; anywhere) and then by recency; facets are counted over them.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

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


class Hit(NamedTuple):
    """One candidate (a tuple: thousands are made per search)."""

    id: int
    kind: str
    object_id: int
    sort_date: datetime | str  # SQLite's raw SQL gives ISO text, which sorts as time does
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
    sql, params = engine.candidates(
        terms, list(kinds), filters, min(cap, CAP) + 1, public_only=public_only
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    by_kind: dict[str, list[Hit]] = {kind: [] for kind in kinds}
    for hit in map(Hit._make, rows):  # the columns are Hit's, tier computed in SQL
        by_kind[hit.kind].append(hit)
    for kind, hits in by_kind.items():
        hits.sort(key=_rank, reverse=True)
        results.hits[kind] = hits
    return results


def _rank(hit: Hit) -> tuple:
    return (hit.tier, hit.sort_date, hit.id)


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

    # How many of a kind's newest public rows are tried first, and how many of them
    # must match for the query to count as common: 5 % (the walk then reaches the
    # LIMIT within some 20,000 rows at about 2 us a row; the index costs 1-2 us a
    # match); 2.4 % for a phrase, whose every match the index must recheck against
    # the row's positions (about 15 us each).
    PROBE = 500
    WALK = 100_000
    COMMON = 25
    COMMON_PHRASE = 12

    @classmethod
    def candidates(
        cls,
        terms: list[Term],
        kinds: list[str],
        filters: Filters,
        limit: int,
        public_only: bool = True,
    ):
        """Each kind's newest matches, found one of two ways, chosen by a probe of
        its newest PROBE rows (in the same statement: the branch not taken is never
        run). A common term walks search_public_recent newest first, testing each
        row, and stops at the LIMIT; a rare one asks the kind's GIN index for every
        match and sorts them. The planner cannot choose for itself: it takes the
        lexemes of a phrase or of several words as independent, so 强化 <-> 化学 <->
        学习, found in one session in five, looked a hundred times rarer than it is,
        and the index then rechecked 22,000 rows' positions (350 ms at 100,000
        sessions, where the walk takes 9 ms)."""
        anywhere, title, people = (cls.tsquery(terms, w) for w in ("", "A", "AB"))
        public = "public AND " if public_only else ""
        tier = "CASE WHEN vector @@ %s::tsquery THEN 3 WHEN vector @@ %s::tsquery THEN 2 ELSE 1 END"
        probes, selects, params, probe_params = [], [], [], []
        phrase = any(len(term.tokens) > 1 for term in terms)
        threshold = cls.COMMON_PHRASE if phrase else cls.COMMON
        for kind in kinds:
            where, filter_params = _filter_sql(filters, kind, lambda name: name)
            # The kind written out (one of Kind's values), so the planner matches it
            # to that kind's partial GIN index (migration 0004).
            rows = f"FROM {TABLE} WHERE {public}kind = '{Kind(kind).value}'"
            newest = "ORDER BY sort_date DESC, id DESC LIMIT %s"
            if filters:
                selects.append(
                    f"(SELECT {COLUMNS}, {tier} {rows} AND vector @@ %s::tsquery{where} {newest})"
                )
                params += [title, people, anywhere, *filter_params, limit]
                continue
            probes.append(
                f"probe_{kind} AS (SELECT count(*) >= {threshold} AS common"
                f" FROM (SELECT vector FROM {TABLE} WHERE public AND kind = '{Kind(kind).value}'"
                f" ORDER BY sort_date DESC, id DESC LIMIT {cls.PROBE}) newest"
                f" WHERE vector @@ %s::tsquery)"
            )
            probe_params.append(anywhere)
            common = f"(SELECT common FROM probe_{kind})"
            # The walk: a subquery with its own LIMIT is planned on its own, as the
            # newest rows in order (the planner cannot turn it into "every match,
            # then sort"); the test is applied as rows come, up to the outer LIMIT.
            # WALK bounds it: the probe saw at least 2.4 % matches, so some 2,400
            # are expected within it. The index: the sort key's + interval '0'
            # hides the order from search_public_recent.
            selects.append(
                f"(SELECT {COLUMNS}, {tier} FROM (SELECT {COLUMNS}, vector {rows}"
                f" ORDER BY sort_date DESC, id DESC LIMIT {cls.WALK}) walked"
                f" WHERE vector @@ %s::tsquery AND {common} {newest})"
                f" UNION ALL (SELECT {COLUMNS}, {tier} {rows}"
                f" AND vector @@ %s::tsquery AND NOT {common}"
                f" ORDER BY sort_date + interval '0' DESC, id DESC LIMIT %s)"
            )
            params += [title, people, anywhere, limit, title, people, anywhere, limit]
        sql = " UNION ALL ".join(selects)
        if probes:
            sql = "WITH " + ", ".join(probes) + " " + sql
        return sql, probe_params + params


class Sqlite:
    """FTS5, one table per kind whose rowid orders rows newest first (see migration
    0003): each kind's newest matches are the first rows its MATCH gives in
    descending rowid order, so a broad term reads `limit` rows, not all it matches.
    Title and people matches are looked up among those rows only (rowid range)."""

    MASK = 2**36 - 1  # the row's id in its FTS key

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
    def candidates(
        cls,
        terms: list[Term],
        kinds: list[str],
        filters: Filters,
        limit: int,
        public_only: bool = True,
    ):
        anywhere, title, people = (
            cls.match(terms),
            cls.match(terms, "tokens_a"),
            cls.match(terms, "tokens_a tokens_b"),
        )
        # sort_date as text: ISO text sorts as time does, and is not parsed 3,000 times.
        columns = ", ".join(
            f"d.{name} || '' AS {name}" if name == "sort_date" else f"d.{name}"
            for name in (name.strip() for name in COLUMNS.split(","))
        )
        public = " AND d.public" if public_only else ""
        ctes, selects, params, tail = [], [], [], []
        for kind in kinds:
            fts = f"search_fts_{kind}"
            where, filter_params = _filter_sql(filters, kind, lambda name: f"d.{name}")
            ctes.append(
                f"c_{kind} AS MATERIALIZED (SELECT f.rowid AS k, {columns}"
                f" FROM {fts} f JOIN {TABLE} d INDEXED BY search_candidate"
                f" ON d.id = (f.rowid & {cls.MASK})"
                f" WHERE {fts} MATCH %s{public}{where} ORDER BY f.rowid DESC LIMIT %s)"
            )
            params += [anywhere, *filter_params, limit]
            low = f"(SELECT min(k) FROM c_{kind})"
            selects.append(
                f"SELECT {COLUMNS},"
                f" CASE WHEN k IN (SELECT rowid FROM {fts} WHERE {fts} MATCH %s AND rowid >= {low})"
                f" THEN 3 WHEN k IN (SELECT rowid FROM {fts} WHERE {fts} MATCH %s AND rowid >= {low})"
                f" THEN 2 ELSE 1 END FROM c_{kind}"
            )
            tail += [title, people]
        sql = "WITH " + ", ".join(ctes) + " " + " UNION ALL ".join(selects)
        return sql, params + tail


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
    keywords: list[tuple[str, str, int]] = []
    if sessions:
        keywords = _keyword_counts(sessions)
    return {
        "year": [(str(year), str(year), n) for year, n in sorted(years.items(), reverse=True)],
        "series": [(slug, name, n) for (slug, name), n in series.most_common(8)],
        "venue": [(venue, venue, n) for venue, n in venues.most_common(8)],
        "keyword": keywords,
    }


def _keyword_counts(sessions: Counter) -> list[tuple[str, str, int]]:
    """The ten keywords most found: each session's keywords count as many times as
    the session has candidates. One query, its sessions passed as one parameter."""
    through = Session.keywords.through._meta.db_table
    keyword = Keyword._meta.db_table
    if connection.vendor == "postgresql":
        found = "unnest(%s::bigint[], %s::bigint[]) AS s (session_id, n)"
        params: list = [list(sessions), list(sessions.values())]
    else:
        found = "(SELECT CAST(key AS INTEGER) AS session_id, value AS n FROM json_each(%s)) s"
        params = [json.dumps(sessions)]
    sql = (
        f"SELECT k.slug, k.name, SUM(s.n) FROM {found}"
        f" JOIN {through} t ON t.session_id = s.session_id"
        f" JOIN {keyword} k ON k.id = t.keyword_id"
        " GROUP BY k.id, k.slug, k.name ORDER BY SUM(s.n) DESC, k.name, k.id LIMIT 10"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(slug, name, int(n)) for slug, name, n in cursor.fetchall()]
