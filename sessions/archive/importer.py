"""Write parsed archive sessions into the database: create what is new, update
what changed, leave the rest alone, and say which was which.

Each session is written in a savepoint of its own, so a session that fails
rolls back alone; the caller decides whether that aborts the whole run.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils import timezone

from nice.media import process_image
from papers.models import Paper
from sessions.archive.docsify import PaperRef, PersonRef, Problem, SessionData, TalkData
from sessions.models import (
    Keyword,
    Person,
    Series,
    Session,
    SessionPresenter,
    Talk,
    TalkPresenter,
)

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
    """Upserts sessions of one series; remembers people, papers and keywords it has seen."""

    def __init__(self, series: Series, report: Report) -> None:
        self.series = series
        self.report = report
        self._people: dict[str, Person] = {}
        self._papers: dict[str, Paper] = {}
        self._keywords: dict[str, Keyword] = {}
        # Each person and paper counts once per run: created, updated or unchanged.
        self._counted: dict[tuple[str, int], str] = {}

    def _count(self, kind: str, record, outcome: str) -> None:
        """Record what happened to `record`; "created" or "updated" outrank "unchanged"."""
        key = (kind, record.pk)
        previous = self._counted.get(key)
        if previous in ("created", "updated") or previous == outcome:
            return
        if previous:
            getattr(self.report, previous)[kind] -= 1
        getattr(self.report, outcome)[kind] += 1
        self._counted[key] = outcome

    def write(self, data: SessionData) -> Session:
        """Create or update one session, its keywords, presenters and talks. Hits the database.

        On a database error the session's savepoint rolls back, and so does what
        this writer remembered and counted for it; the error is raised on.
        """
        remembered = self._remember()
        try:
            with transaction.atomic():
                session, created, changed = self._session(data)
                changed |= self._set_keywords(session, data.keywords)
                changed |= self._set_session_presenters(session, data.presenters)
                changed |= self._set_talks(session, data.talks)
        except DatabaseError:
            self._forget_since(remembered)
            raise
        if not changed:
            self.report.unchanged["sessions"] += 1
        elif created:
            self.report.created["sessions"] += 1
        else:
            self.report.updated["sessions"] += 1
            # Calendars and open editors must see that it changed.
            Session.objects.filter(pk=session.pk).update(
                version=F("version") + 1, updated_at=timezone.now()
            )
        return session

    def _remember(self) -> tuple:
        report = self.report
        counters = (report.created, report.updated, report.deleted, report.unchanged)
        return tuple(Counter(c) for c in counters), dict(self._counted)

    def _forget_since(self, remembered: tuple) -> None:
        """Undo the counts of a rolled-back session, and drop every cached row: one may
        have been created, or changed in memory, inside the savepoint."""
        counters, counted = remembered
        report = self.report
        report.created, report.updated, report.deleted, report.unchanged = counters
        self._counted = counted
        self._people, self._papers, self._keywords = {}, {}, {}

    # -------------------------------------------------------------- session

    def _session(self, data: SessionData) -> tuple[Session, bool, bool]:
        """The session, whether it was created, and whether anything changed."""
        values = {
            "title": data.title,
            "starts_at": data.starts_at,
            "ends_at": data.ends_at,
            "has_start_time": data.has_start_time,
            "description": data.description,
        }
        session = Session.objects.filter(series=self.series, number=data.number).first()
        if session is None:
            session = Session.objects.create(
                series=self.series, number=data.number, status=Session.Status.PUBLISHED, **values
            )
            return session, True, True
        # The status is the organizers' to change: an import never un-cancels a session.
        changed = [name for name, value in values.items() if getattr(session, name) != value]
        for name in changed:
            setattr(session, name, values[name])
        if changed:
            session.save(update_fields=[*changed, "updated_at"])
        return session, False, bool(changed)

    def _set_keywords(self, session: Session, names: list[str]) -> bool:
        wanted = {self._keyword(name).pk for name in names}
        if wanted == {keyword.pk for keyword in session.keywords.all()}:
            return False
        session.keywords.set(wanted)
        return True

    def _set_session_presenters(self, session: Session, people: list[PersonRef]) -> bool:
        wanted = [(self._person(ref).pk, ref.affiliation) for ref in people]
        current = list(session.session_presenters.values_list("person_id", "affiliation"))
        if wanted == current:
            return False
        session.session_presenters.all().delete()
        SessionPresenter.objects.bulk_create(
            SessionPresenter(
                session=session, person_id=person_id, affiliation=affiliation, order=order
            )
            for order, (person_id, affiliation) in enumerate(wanted, start=1)
        )
        return True

    def _set_talks(self, session: Session, talks: list[TalkData]) -> bool:
        """Replace the session's talks when anything about them differs from the archive."""
        wanted = [self._talk_signature(order, talk) for order, talk in enumerate(talks, start=1)]
        existing = list(session.talks.prefetch_related("talk_presenters"))
        current = [
            (
                t.order,
                t.segment,
                t.title,
                t.summary,
                t.tags,
                t.paper_id,
                tuple((p.person_id, p.affiliation) for p in t.talk_presenters.all()),
            )
            for t in existing
        ]
        if wanted == current:
            self.report.unchanged["talks"] += len(existing)
            return False
        session.talks.all().delete()
        self.report.deleted["talks"] += len(existing)
        for order, segment, title, summary, tags, paper_id, presenters in wanted:
            talk = Talk.objects.create(
                session=session,
                order=order,
                segment=segment,
                title=title,
                summary=summary,
                tags=tags,
                paper_id=paper_id,
            )
            TalkPresenter.objects.bulk_create(
                TalkPresenter(
                    talk=talk, person_id=person_id, affiliation=affiliation, order=position
                )
                for position, (person_id, affiliation) in enumerate(presenters, start=1)
            )
        self.report.created["talks"] += len(wanted)
        return True

    def _talk_signature(self, order: int, talk: TalkData) -> tuple:
        paper = self._paper(talk.paper) if talk.paper else None
        return (
            order,
            talk.segment,
            talk.title[:500],
            talk.summary,
            ", ".join(talk.tags),
            paper.pk if paper else None,
            tuple((self._person(ref).pk, ref.affiliation) for ref in talk.presenters),
        )

    # -------------------------------------------------------------- shared records

    def _keyword(self, name: str) -> Keyword:
        if name not in self._keywords:
            self._keywords[name] = Keyword.objects.filter(
                name=name
            ).first() or Keyword.objects.create(name=name)
        return self._keywords[name]

    def _person(self, ref: PersonRef) -> Person:
        """One Person per name across the whole archive; notes and affiliations fill gaps."""
        person = self._people.get(ref.name)
        if person is None:
            person = Person.objects.filter(name=ref.name).order_by("pk").first()
            if person is None:
                person = Person.objects.create(
                    name=ref.name, note=ref.note, affiliation=ref.affiliation
                )
                self._count("people", person, "created")
            self._people[ref.name] = person
        # The archive fills gaps in a person's note and affiliation, never overwrites them.
        missing = {
            name: value
            for name, value in (("note", ref.note), ("affiliation", ref.affiliation))
            if value and not getattr(person, name)
        }
        self._update("people", person, missing)
        return person

    def _paper(self, ref: PaperRef) -> Paper:
        """The paper by arXiv id, else by title; fields the archive gives are kept current."""
        key = ref.arxiv_id or ref.title.casefold()
        paper = self._papers.get(key)
        if paper is None:
            paper = Paper.objects.matching(arxiv_id=ref.arxiv_id, title=ref.title)
            if paper is None:
                paper = Paper.objects.create(
                    title=ref.title[:500],
                    arxiv_id=ref.arxiv_id,
                    url=ref.url,
                    code_url=ref.code_url,
                    project_url=ref.project_url,
                    venue=ref.venue,
                    year=ref.year,
                )
                self._count("papers", paper, "created")
            self._papers[key] = paper
        given = {
            name: getattr(ref, name)
            for name in ("arxiv_id", "url", "code_url", "project_url", "venue", "year")
            if getattr(ref, name)
        }
        self._update("papers", paper, given)
        return paper

    def _update(self, kind: str, record, values: dict) -> None:
        """Set the values that differ, save only those, and count the record once."""
        changed = {name: value for name, value in values.items() if getattr(record, name) != value}
        for name, value in changed.items():
            setattr(record, name, value)
        if changed:
            record.save(update_fields=list(changed))
        self._count(kind, record, "updated" if changed else "unchanged")


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
