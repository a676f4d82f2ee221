"""Write parsed archive sessions into the database: create what is new, update
what changed, leave the rest alone, and say which was which.

Each session is written in a transaction (or, inside the caller's, a savepoint)
of its own, so a session that fails rolls back alone; the caller decides
whether that aborts the whole run.
Every row goes through the entity writers (sessions.writers), the same ones
the workspace uses: re-importing updates talks in place and keeps what
organizers added.

What the writes need is read in bulk before them, a batch of sessions at a time
(prepare()): the series' sessions with their talks, presenters and keywords, and
the people and papers the batch names. Each session is then written in a
handful of statements, and its search rows are built from what was written.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import DatabaseError, connection, transaction
from django.db.models import Prefetch

from nice.media import process_image
from papers.models import Paper
from papers.writers import Outcome, PaperIndex, write_papers
from search import sync as search_index
from sessions import writers
from sessions.archive.docsify import PaperRef, PersonRef, Problem, SessionData, TalkData
from sessions.models import (
    Keyword,
    Person,
    Series,
    Session,
    Talk,
)

# Sessions read ahead at a time: bounded memory, a few queries per batch.
BATCH = 500

KINDS = ("sessions", "talks", "papers", "people")


@dataclass
class Report:
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    deleted: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    warnings: list[Problem] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values()) + sum(self.deleted.values())

    def summary_lines(self) -> list[str]:
        lines = [
            f"{kind}: {self.created[kind]} created, {self.updated[kind]} updated, "
            f"{self.deleted[kind]} deleted, {self.unchanged[kind]} unchanged"
            for kind in KINDS
        ]
        lines += [f"warning: {problem}" for problem in self.warnings]
        lines += [f"error: {problem}" for problem in self.errors]
        return lines


class ArchiveWriter:
    """Writes parsed sessions of one series through the entity writers
    (sessions.writers, papers.writers); remembers the people, papers and keywords it
    has seen and counts what happened to each."""

    def __init__(self, series: Series, report: Report) -> None:
        self.series = series
        self.report = report
        self._people: dict[str, Person] = {}
        self._papers: dict[str, Paper] = {}
        self._keywords: dict[str, Keyword] = {}
        # Each person and paper counts once per run: created, updated or unchanged.
        self._counted: dict[tuple[str, int], str] = {}
        self._counted_log: list[tuple[tuple[str, int], str | None]] = []  # to undo a session
        self._forget_reads()
        self._coming: list[SessionData] = []
        self._next = 0

    def _forget_reads(self) -> None:
        """Drop what was read ahead: rows changed in memory by a rolled-back session
        must be read again."""
        self._paper_index = PaperIndex()
        self._found_people: dict[tuple[str, str], Person | None] = {}  # None: not there
        self._sessions: dict[int, Session | None] = {}

    @property
    def people_by_slug(self) -> dict[str, Person]:
        return {person.slug: person for person in self._people.values()}

    @property
    def papers_by_ref(self) -> dict[str, Paper]:
        """The papers seen, keyed as the JSON exchange format keys them."""
        from sessions.archive.exchange import paper_key

        return {paper_key(paper): paper for paper in self._papers.values()}

    def prepare(self, sessions: list[SessionData]) -> None:
        """The sessions about to be written, in the order they will be: read in bulk,
        a batch ahead of the writes. Without it each session reads what it needs."""
        self._coming = list(sessions)
        self._next = 0

    def write_people(self, refs) -> None:
        """Write people with their own details first, so that the affiliation a
        presenter had at one session does not become the person's own."""
        refs = list(refs)
        self._read_people(refs)
        for ref in refs:
            self._person(ref)

    def _count(self, kind: str, record, outcome: str) -> None:
        """Record what happened to `record`; "created" or "updated" outrank "unchanged"."""
        key = (kind, record.pk)
        previous = self._counted.get(key)
        if previous in ("created", "updated") or previous == outcome:
            return
        if previous:
            getattr(self.report, previous)[kind] -= 1
        getattr(self.report, outcome)[kind] += 1
        self._counted_log.append((key, previous))
        self._counted[key] = outcome

    def write(self, data: SessionData) -> tuple[Session, list[Talk]]:
        """Create or update one session, its keywords, presenters and talks; returns the
        session and its talks in the archive's order. Hits the database.

        On a database or validation error the session's savepoint rolls back, and so
        does what this writer remembered and counted for it; the error is raised on.
        """
        self._read_ahead(data)
        remembered = self._remember()
        try:
            # Each search row the session touches is written once, when it is all written.
            with transaction.atomic(), search_index.deferred():
                session, outcome = writers.write_session(
                    self.series,
                    data.number,
                    {
                        "title": data.title,
                        "starts_at": data.starts_at,
                        "ends_at": data.ends_at,
                        "has_start_time": data.has_start_time,
                        "description": data.description,
                        "status": data.status,
                        "venue": data.venue,
                        "live_url": data.live_url,
                    },
                    # Read ahead, and let go once written: memory stays bounded.
                    existing=self._sessions.pop(data.number, writers.LOOK_UP),
                )
                session.series = self.series
                changed = outcome != writers.Outcome.UNCHANGED
                keywords = [self._keyword(name) for name in data.keywords]
                changed |= writers.write_session_keywords(session, keywords)
                changed |= writers.write_session_presenters(
                    session, [(self._person(ref), ref.affiliation) for ref in data.presenters]
                )
                papers = self._write_papers(data.talks)
                talks = writers.write_talks(
                    session, [self._talk(talk, papers) for talk in data.talks]
                )
                changed |= talks.changed
                # The search rows are built from what was just written, not read back.
                search_index.known([session, *session.talks.all()])
                search_index.known(self._people[_person_key(ref)] for ref in _people_of(data))
                search_index.known(paper for paper, _outcome in papers.values())
        except (DatabaseError, ValidationError):
            self._forget_since(remembered)
            raise
        self.report.created["talks"] += talks.created
        self.report.updated["talks"] += talks.updated
        self.report.unchanged["talks"] += talks.unchanged
        for kept in talks.kept:
            self.report.warnings.append(
                Problem(
                    data.source,
                    f"talk “{kept.title}” of session {data.number} is no longer in the "
                    "archive; kept (remove it in the workspace if it should go)",
                )
            )
        if outcome == writers.Outcome.CREATED:
            self.report.created["sessions"] += 1
        elif changed:
            self.report.updated["sessions"] += 1
            # Calendars and open editors must see that it changed.
            Session.objects.filter(pk=session.pk).mark_changed()
        else:
            self.report.unchanged["sessions"] += 1
        return session, talks.talks

    def _remember(self) -> tuple:
        report = self.report
        counters = (report.created, report.updated, report.deleted, report.unchanged)
        return tuple(Counter(c) for c in counters), len(self._counted_log), len(report.warnings)

    def _forget_since(self, remembered: tuple) -> None:
        """Undo the counts of a rolled-back session, and drop every cached row: one may
        have been created, or changed in memory, inside the savepoint."""
        counters, counted, warnings = remembered
        report = self.report
        report.created, report.updated, report.deleted, report.unchanged = counters
        del report.warnings[warnings:]
        for key, previous in reversed(self._counted_log[counted:]):
            if previous is None:
                del self._counted[key]
            else:
                self._counted[key] = previous
        del self._counted_log[counted:]
        self._people, self._papers, self._keywords = {}, {}, {}
        self._forget_reads()

    # -------------------------------------------------------------- reading ahead

    def _read_ahead(self, data: SessionData) -> None:
        """Read what the next batch of sessions needs, when `data` is not read yet."""
        if data.number in self._sessions:
            return
        coming = self._coming[self._next :]
        if not coming or coming[0] is not data:
            batch = [data]  # not announced by prepare(): this one alone
        else:
            batch = coming[:BATCH]
            self._next += len(batch)
        self._read_sessions([item.number for item in batch])
        self._read_people(
            [
                ref
                for item in batch
                for ref in _people_of(item)
                if _person_key(ref) not in self._people
            ]
        )
        self._paper_index.load(
            [_paper_values(talk.paper) for item in batch for talk in item.talks if talk.paper]
        )

    def _read_sessions(self, numbers: list[int]) -> None:
        """The series' sessions with these numbers, with what the writers compare."""
        # A number no column holds names no session (its write is refused with a message).
        low, high = connection.ops.integer_field_range("PositiveIntegerField")
        found = (
            Session.objects.filter(
                series=self.series, number__in=[n for n in numbers if low <= n <= high]
            )
            .order_by()
            .prefetch_related(
                "keywords",
                "session_presenters",
                Prefetch("talks", queryset=Talk.objects.order_by("order", "pk")),
                "talks__talk_presenters",
            )
        )
        self._sessions.update(dict.fromkeys(numbers))
        for session in found:
            session.series = self.series
            self._sessions[session.number] = session

    def _read_people(self, refs: list[PersonRef]) -> None:
        keys = {writers.person_key(ref.name, ref.slug) for ref in refs}
        keys -= self._found_people.keys()
        found = writers.people_by_key(keys)
        self._found_people |= {key: found.get(key) for key in keys}

    def _write_papers(self, talks: list[TalkData]) -> dict[str, tuple[Paper, bool]]:
        """The papers of these talks, written in one go, by _paper_key(): each with
        whether this call wrote it (a paper seen before is not written again)."""
        refs = {_paper_key(talk.paper): talk.paper for talk in talks if talk.paper}
        papers = {key: (self._papers[key], False) for key in refs if key in self._papers}
        new = {key: ref for key, ref in refs.items() if key not in self._papers}
        if new:
            written = write_papers(
                [_paper_values(ref) for ref in new.values()], index=self._paper_index
            )
            for key, (paper, outcome) in zip(new, written, strict=True):
                self._papers[key] = paper
                papers[key] = (paper, outcome != Outcome.UNCHANGED)
                self._count("papers", paper, outcome)
        return papers

    def _talk(self, talk: TalkData, papers: dict[str, tuple[Paper, bool]]) -> writers.TalkValues:
        return writers.TalkValues(
            title=talk.title,
            segment=talk.segment,
            summary=talk.summary,
            tags=", ".join(talk.tags),
            paper=papers[_paper_key(talk.paper)][0] if talk.paper else None,
            presenters=[(self._person(ref), ref.affiliation) for ref in talk.presenters],
            slides_url=talk.slides_url,
            recording_url=talk.recording_url,
        )

    # -------------------------------------------------------------- shared records

    def _keyword(self, name: str) -> Keyword:
        if name not in self._keywords:
            self._keywords[name] = writers.write_keyword(name)
        return self._keywords[name]

    def _person(self, ref: PersonRef) -> Person:
        """One Person per name across the whole archive; notes and affiliations fill gaps."""
        key = _person_key(ref)
        if key not in self._people:
            lookup = writers.person_key(ref.name, ref.slug)
            person, outcome = writers.write_person(
                ref.name,
                slug=ref.slug,
                note=ref.note,
                affiliation=ref.affiliation,
                homepage=ref.homepage,
                existing=self._found_people.get(lookup, writers.LOOK_UP),
            )
            self._people[key] = person
            self._found_people[lookup] = person
            self._count("people", person, outcome)
        return self._people[key]


def _person_key(ref: PersonRef) -> str:
    return ref.slug or ref.name


def _people_of(data: SessionData) -> list[PersonRef]:
    return [*data.presenters, *(ref for talk in data.talks for ref in talk.presenters)]


def _paper_key(ref: PaperRef) -> str:
    """The paper by arXiv id, else DOI, else title; fields the archive gives are kept current."""
    return ref.arxiv_id or ref.doi or ref.title.casefold()


def _paper_values(ref: PaperRef) -> dict:
    return {name: getattr(ref, name) for name in PAPER_REF_FIELDS}


PAPER_REF_FIELDS = (
    "title",
    "arxiv_id",
    "doi",
    "url",
    "code_url",
    "project_url",
    "venue",
    "year",
    "authors",
    "abstract",
    "notes",
    "primary_category",
)


def attach_series_qr(series: Series, path, report: Report) -> None:
    """Give the series the archive's join-group QR image if it has none yet.

    The file is written only once the transaction commits, so a rolled-back or
    dry run leaves no file behind.
    """
    if series.qr_image or path is None:
        return
    with path.open("rb") as handle:
        try:
            processed = process_image(File(handle, name=path.name))
        except ValidationError as error:
            report.warnings.append(
                Problem(path.name, f"QR image not used: {' '.join(error.messages)}")
            )
            return

    def save() -> None:
        series.qr_image.save(
            f"{path.stem}{processed.extension}", ContentFile(processed.content), save=True
        )

    transaction.on_commit(save)
