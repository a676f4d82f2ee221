"""What each searchable object says, as index rows: a few queries per batch of ids,
fewer when the caller hands over the objects it just wrote (`known`, see
search.sync.known()): what they have loaded is used, what they lack is read.

Weights: A the title (or a person's name); B who and what it is about (presenters,
the paper's title, authors, venue and identifiers, keywords); C the rest
(summaries, descriptions, abstracts, affiliations).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from django.db import connection
from django.db.models import Max, Model, Prefetch, Q, prefetch_related_objects

from papers.models import Paper
from search.models import SearchDocument
from search.normalize import index_tokens
from sessions.models import (
    PUBLIC_STATUSES,
    Person,
    Session,
    SessionPresenter,
    Talk,
    TalkPresenter,
)

Kind = SearchDocument.Kind
# Anything that has never happened sorts last.
NEVER = datetime(1970, 1, 1, tzinfo=UTC)
BODY_LIMIT = 2000
_MARKUP = re.compile(r"[*_`#$|~]+|!?\[|\]\([^)]*\)")
_YEAR_AT_END = re.compile(r"[\s'’]*(?:(?:19|20)\d{2}|'\d{2})$")


def venue_name(venue: str) -> str:
    """A venue without its year, as the facet lists it: ICLR 2025 → ICLR."""
    return _YEAR_AT_END.sub("", venue).strip()[:100]


def venue_with_year(paper: Paper) -> str:
    """ "ICLR 2025" when the venue says no year and the paper has one: either spelling finds it."""
    if paper.year and str(paper.year) not in paper.venue:
        return f"{paper.venue} {paper.year}"
    return paper.venue


def plain(text: str) -> str:
    """Markdown as plain text for snippets: marks off, one line."""
    return " ".join(_MARKUP.sub(" ", text).split())[:BODY_LIMIT]


def build(
    kind: str, ids: Iterable[int], known: dict[int, Model] | None = None
) -> list[SearchDocument]:
    """The rows of the objects of `kind` with these ids that still exist; `known`:
    instances by id to build from rather than read (those not asked for are ignored)."""
    ids = list(ids)
    if not ids:
        return []
    return BUILDERS[kind](ids, known or {})


def _instances[M: Model](model: type[M], ids: list[int], known: dict[int, Model], query) -> list[M]:
    """The known instances among `ids`, and the others read with `query` (a queryset of
    `model`): those that no longer exist are left out."""
    found: list = [known[pk] for pk in ids if pk in known]
    missing = [pk for pk in ids if pk not in known]
    if missing:
        found += list(query.filter(pk__in=missing))
    return found


def _document(
    kind: str, obj, *, a: list[str], b: list[str], c: list[str], **fields
) -> SearchDocument:
    # Names and titles may be longer than a column holds (a 10,000-character presenter
    # is cut on import, not refused); PostgreSQL refuses what SQLite would keep.
    for name, value in fields.items():
        limit = getattr(SearchDocument._meta.get_field(name), "max_length", None)
        if limit and isinstance(value, str):
            fields[name] = value[:limit]
    document = SearchDocument(kind=kind, object_id=obj.pk, **fields)
    weighted = [_tokens(values) for values in (a, b, c)]
    if connection.vendor == "postgresql":
        document.vector = tsvector_literal(weighted)
    else:
        document.tokens_a, document.tokens_b, document.tokens_c = (
            " ".join(tokens) for tokens in weighted
        )
    return document


def _tokens(values: list[str]) -> list[str]:
    return [token for value in values if value for token in index_tokens(value)]


def tsvector_literal(weighted: list[list[str]]) -> str:
    """tsvector input for tokens weighted A, B, C, positions counted across them; a
    gap between weights, so a phrase never runs from a title into a summary."""
    positions: dict[str, list[str]] = defaultdict(list)
    position = 1
    for weight, tokens in zip("ABC", weighted, strict=True):
        for token in tokens:
            positions[token].append(f"{min(position, 16383)}{weight}")
            position += 1
        position += 2
    return " ".join(
        "'{}':{}".format(token.replace("\\", "\\\\").replace("'", "''"), ",".join(places))
        for token, places in positions.items()
    )


# ---------------------------------------------------------------- talks


def _talks(ids: list[int], known: dict[int, Model]) -> list[SearchDocument]:
    talks = _instances(Talk, ids, known, Talk.objects.select_related("session__series", "paper"))
    prefetch_related_objects(
        talks,
        Prefetch("talk_presenters", queryset=TalkPresenter.objects.select_related("person")),
        "session__series",
        "session__keywords",
        "paper__keywords",
    )
    session_urls: dict[int, str] = {}  # reverse() once per session, not per talk
    # Public as Talk.objects.public() says: its session's status, loaded with it.
    return [
        _talk_document(talk, talk.session.status in PUBLIC_STATUSES, session_urls) for talk in talks
    ]


def _talk_document(talk: Talk, public: bool, session_urls: dict[int, str]) -> SearchDocument:
    session, paper = talk.session, talk.paper
    if session.pk not in session_urls:
        session_urls[session.pk] = session.get_absolute_url()
    series = session.series
    people = [row.person.name for row in talk.talk_presenters.all()]
    keywords = [keyword.name for keyword in session.keywords.all()]
    about = []
    if paper is not None:
        keywords += [keyword.name for keyword in paper.keywords.all()]
        about = [paper.title, paper.authors, venue_with_year(paper), paper.arxiv_id, paper.doi]
    return _document(
        Kind.TALK,
        talk,
        a=[talk.title],
        b=[*people, *about, *keywords],
        c=[
            talk.summary,
            *(appearance.affiliation for appearance in talk.appearances),
            session.title,
            series.name,
        ],
        public=public,
        url=f"{session_urls[session.pk]}#talk-{talk.pk}",  # as Talk.get_absolute_url()
        title=talk.title,
        body=plain(talk.summary),
        meta={
            "series": series.name,
            "number": session.number,
            "session_title": session.title,
            "people": people,
            "paper": paper.title if paper and paper.title != talk.title else "",
            "venue": paper.venue if paper else "",
        },
        sort_date=session.starts_at,
        year=session.local_starts_at.year,
        series_slug=series.slug,
        series_name=series.name,
        venue=venue_name(paper.venue) if paper else "",
        session_id=session.pk,
    )


# ---------------------------------------------------------------- sessions


def _sessions(ids: list[int], known: dict[int, Model]) -> list[SearchDocument]:
    sessions = _instances(Session, ids, known, Session.objects.select_related("series"))
    prefetch_related_objects(
        sessions,
        "series",
        "keywords",
        Prefetch("session_presenters", queryset=SessionPresenter.objects.select_related("person")),
        "talks",
        Prefetch("talks__talk_presenters", queryset=TalkPresenter.objects.select_related("person")),
    )
    # Public as Session.objects.public() says.
    return [_session_document(session, session.status in PUBLIC_STATUSES) for session in sessions]


def _session_document(session: Session, public: bool) -> SearchDocument:
    series = session.series
    people = [appearance.person.name for appearance in session.appearances]
    return _document(
        Kind.SESSION,
        session,
        a=[session.title],
        b=[
            *people,
            *(keyword.name for keyword in session.keywords.all()),
            f"{series.name} {session.number} 第{session.number}期",
        ],
        c=[session.description, session.venue, *(talk.title for talk in session.talks.all())],
        public=public,
        url=session.get_absolute_url(),
        title=session.title,
        body=plain(session.description),
        meta={
            "series": series.name,
            "number": session.number,
            "people": people,
            "cancelled": session.is_cancelled,
        },
        sort_date=session.starts_at,
        year=session.local_starts_at.year,
        series_slug=series.slug,
        series_name=series.name,
        session_id=session.pk,
    )


# ---------------------------------------------------------------- papers


def _papers(ids: list[int], known: dict[int, Model]) -> list[SearchDocument]:
    papers = _instances(Paper, ids, known, Paper.objects.all())
    prefetch_related_objects(papers, "keywords")
    # One grouped query: the latest public talk of each paper presented at all. Public
    # as Paper.objects.visible_to(None) says: presented in a public session, or nowhere.
    last_talk = dict(
        Talk.objects.filter(paper__in=ids)
        .values("paper")
        .annotate(last=Max("session__starts_at", filter=Q(session__status__in=PUBLIC_STATUSES)))
        .values_list("paper", "last")
        .order_by()
    )
    return [
        _paper_document(
            paper,
            paper.pk not in last_talk or last_talk[paper.pk] is not None,
            last_talk.get(paper.pk),
        )
        for paper in papers
    ]


def _paper_document(paper: Paper, public: bool, last_talk: datetime | None) -> SearchDocument:
    keywords = [keyword.name for keyword in paper.keywords.all()]
    return _document(
        Kind.PAPER,
        paper,
        a=[paper.title],
        b=[paper.authors, venue_with_year(paper), paper.arxiv_id, paper.doi, *keywords],
        c=[paper.abstract, paper.notes],
        public=public,
        url=paper.get_absolute_url(),
        title=paper.title,
        body=plain(paper.abstract or paper.notes),
        meta={
            "authors": paper.author_list[:6],
            "venue": paper.venue,
            "year": paper.year,
            "arxiv_id": paper.arxiv_id,
        },
        sort_date=last_talk or paper.created_at or NEVER,
        year=paper.year,
        venue=venue_name(paper.venue),
    )


# ---------------------------------------------------------------- people


def _people(ids: list[int], known: dict[int, Model]) -> list[SearchDocument]:
    people = _instances(Person, ids, known, Person.objects.all())
    last_seen: dict[int, datetime] = {}
    affiliations: dict[int, set[str]] = defaultdict(set)
    presenting: set[int] = set()
    for person_id, affiliation, last_public_start in _roles(ids):
        presenting.add(person_id)
        if affiliation:
            affiliations[person_id].add(affiliation)
        if last_public_start and last_public_start > last_seen.get(person_id, NEVER):
            last_seen[person_id] = last_public_start
    return [
        _person_document(
            person,
            # As Person.objects.visible_to(None): presenting in a public session, or nowhere.
            person.pk in last_seen or person.pk not in presenting,
            sorted(affiliations[person.pk] - {person.affiliation}),
            last_seen.get(person.pk),
        )
        for person in people
    ]


def _roles(ids: list[int]) -> list[tuple[int, str, datetime | None]]:
    """(person, affiliation then, latest start of a public session with it) for each
    affiliation they presented under: one query over talks and sessions presented, as
    long as their list of affiliations, not of talks (a regular presenter's row is
    rewritten each week)."""
    talks, hosts = (
        model.objects.filter(person__in=ids)
        .values("person", "affiliation")
        .annotate(
            last=Max(
                f"{session}__starts_at",
                # Session.objects.public(), said without a subquery.
                filter=Q(**{f"{session}__status__in": PUBLIC_STATUSES}),
            )
        )
        .values_list("person", "affiliation", "last")
        .order_by()
        for model, session in ((TalkPresenter, "talk__session"), (SessionPresenter, "session"))
    )
    return list(talks.union(hosts, all=True).order_by())


def _person_document(
    person: Person, public: bool, past_affiliations: list[str], last_seen: datetime | None
) -> SearchDocument:
    return _document(
        Kind.PERSON,
        person,
        a=[person.name],
        b=[person.affiliation, person.note, *past_affiliations],
        c=[],
        public=public,
        url=person.get_absolute_url(),
        title=person.name,
        body=" · ".join(value for value in (person.affiliation, person.note) if value),
        meta={"affiliation": person.affiliation},
        sort_date=last_seen or NEVER,
    )


BUILDERS: dict[str, Callable[[list[int], dict[int, Model]], list[SearchDocument]]] = {
    Kind.TALK: _talks,
    Kind.SESSION: _sessions,
    Kind.PAPER: _papers,
    Kind.PERSON: _people,
}
