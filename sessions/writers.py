"""One writer per entity: series, session, talk, person and keyword (papers: papers.writers).

The docsify importer, the JSON import, the paper-list import, the demo loader
and the workspace create and update through these functions, so the same
rules hold whoever writes: every row passes the model's validation (text,
links, lengths, the time window) before it is saved, a person is found
however their name is accented or cased, and a re-import updates in place
and never deletes what an organizer added (slides, recordings, presenters).

Each function hits the database and raises ValidationError for values the
models refuse; callers decide whether that skips a session or a request.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import F, Max

from nice import pagecache
from nice.text import clean_text
from papers.models import Paper
from papers.writers import Outcome, apply, save_validated, validate
from search import sync as search_index
from sessions.models import (
    LONGEST_SESSION,
    Keyword,
    Person,
    Series,
    Session,
    SessionPresenter,
    Talk,
    TalkPresenter,
    unique_slug,
)

# ---------------------------------------------------------------- series, keywords, people


def write_series(
    slug: str, *, name: str, timezone: str | None = None, description: str | None = None
) -> tuple[Series, Outcome]:
    """The series with this slug, created when new; name, zone and description updated."""
    values = {"name": name, "timezone": timezone, "description": description}
    series = Series.objects.filter(slug=slug).first()
    if series is None:
        series = Series(slug=slug, **{k: v for k, v in values.items() if v is not None})
        save_validated(series)
        return series, Outcome.CREATED
    changed = apply(series, values)
    if not changed:
        return series, Outcome.UNCHANGED
    save_validated(series, update_fields=[*changed, "updated_at"])
    return series, Outcome.UPDATED


def write_keyword(name: str) -> Keyword:
    """The keyword with this name, created when new."""
    name = " ".join(clean_text(name).split())[:100]
    keyword = Keyword.objects.filter(name__iexact=name).order_by("pk").first()
    if keyword is None:
        keyword = Keyword(name=name, slug=unique_slug(Keyword, name, "keyword"))
        save_validated(keyword)
    return keyword


def write_person(
    name: str,
    *,
    slug: str = "",
    note: str = "",
    affiliation: str = "",
    homepage: str = "",
) -> tuple[Person, Outcome]:
    """The person with this slug when one is given, else by name spelled any way
    fold_name() ignores; created when new. Notes, affiliation and homepage fill gaps, never overwrite."""
    name = " ".join(clean_text(name).split())[:200]
    # A slug (from a JSON backup) names one person exactly: two 张伟 stay two.
    person = Person.objects.filter(slug=slug).first() if slug else Person.objects.named(name)
    values = {"note": note, "affiliation": affiliation, "homepage": homepage}
    if person is None:
        person = Person(name=name, slug=slug or unique_slug(Person, name, "person"), **values)
        save_validated(person)
        return person, Outcome.CREATED
    changed = apply(person, values, overwrite=False)
    if not changed:
        return person, Outcome.UNCHANGED
    save_validated(person, update_fields=changed)
    return person, Outcome.UPDATED


# ---------------------------------------------------------------- sessions


def write_session(
    series: Series, number: int, values: dict, *, status_if_new: str = Session.Status.PUBLISHED
) -> tuple[Session, Outcome]:
    """The session `number` of `series`, created when new (with `status_if_new`), else
    updated with the values given. A None value is "not given"; an import never
    changes the status unless it gives one (and the archive format does not)."""
    given = {name: value for name, value in values.items() if value is not None}
    session = Session.objects.filter(series=series, number=number).first()
    if session is None:
        session = Session(series=series, number=number, **{"status": status_if_new, **given})
        save_validated(session)
        return session, Outcome.CREATED
    changed = [name for name, value in given.items() if getattr(session, name) != value]
    for name in changed:
        setattr(session, name, given[name])
    if not changed:
        return session, Outcome.UNCHANGED
    if "starts_at" in changed and "ends_at" not in given and _end_no_longer_fits(session):
        # The start moved and the archive gives no end: the old end belongs to the
        # old start, and keeping it would make the session end before it begins.
        session.ends_at = None
        changed.append("ends_at")
    save_validated(session, update_fields=[*changed, "updated_at"])
    return session, Outcome.UPDATED


def _end_no_longer_fits(session: Session) -> bool:
    end, start = session.ends_at, session.starts_at
    return end is not None and not start < end <= start + LONGEST_SESSION


def write_session_keywords(session: Session, keywords: list[Keyword]) -> bool:
    """Make `keywords` the session's; True if that changed anything."""
    wanted = {keyword.pk for keyword in keywords}
    if wanted == set(session.keywords.values_list("pk", flat=True)):
        return False
    session.keywords.set(wanted)
    return True


def write_session_presenters(session: Session, people: list[tuple[Person, str]]) -> bool:
    """Name `people` (with their affiliation then) as the session's presenters, in
    order, keeping anyone already named; True if anything changed."""
    existing = {row.person_id: row for row in session.session_presenters.all()}
    return _place_people(
        existing,
        people,
        lambda person, affiliation, order: SessionPresenter(
            session=session, person=person, affiliation=affiliation, order=order
        ),
        SessionPresenter,
    )


def _place_people(existing: dict, people, make, model) -> bool:
    """Add the missing people, update affiliations and order; remove nobody."""
    changed = False
    new_rows, updated = [], []
    for order, (person, affiliation) in enumerate(people, start=1):
        row = existing.get(person.pk)
        if row is None:
            new_rows.append(make(person, affiliation, order))
            continue
        if (row.affiliation, row.order) != (affiliation, order):
            row.affiliation, row.order = affiliation, order
            updated.append(row)
    for row in [*new_rows, *updated]:
        validate(row)
    if new_rows:
        model.objects.bulk_create(new_rows)
        changed = True
    if updated:
        model.objects.bulk_update(updated, ["affiliation", "order"])
        changed = True
    if changed:
        # Bulk writes send no signals: tell the search index what they touched.
        _reindex_presenters([*new_rows, *updated])
    return changed


def _reindex_presenters(rows: list) -> None:
    with search_index.deferred():
        search_index.changed("person", [row.person_id for row in rows])
        for row in rows:
            if isinstance(row, TalkPresenter):
                search_index.changed("talk", [row.talk_id])
            else:
                search_index.changed("session_row", [row.session_id])


# ---------------------------------------------------------------- talks


@dataclass
class TalkValues:
    """A talk as an archive describes it. What the archive leaves out (None, and an
    empty segment, summary or tags) is "not given": an existing talk keeps its own."""

    title: str
    segment: str = ""
    summary: str = ""
    tags: str = ""
    paper: Paper | None = None
    presenters: list[tuple[Person, str]] = field(default_factory=list)
    slides_url: str | None = None
    recording_url: str | None = None


@dataclass
class TalkChanges:
    talks: list[Talk] = field(default_factory=list)  # in the archive's order
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # In the database but no longer in the archive: kept, since they may carry
    # an organizer's work; the importer reports them.
    kept: list[Talk] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


# Talks being moved wait above every real place: orders stay unique at each step.
_PARKED = 10_000


def place_talks(talks: list[Talk], places: dict[int, int]) -> list[Talk]:
    """Move talks (of one session) to the places given by pk, in two steps so that no
    two ever share a place, whatever the database checks when. Returns the talks that
    moved, their `order` updated. Call in a transaction that locked the session.

    A bulk statement sends no signal: the page cache is told here.
    """
    moving = [talk for talk in talks if talk.pk in places and places[talk.pk] != talk.order]
    if not moving:
        return []
    Talk.objects.filter(pk__in=[talk.pk for talk in moving]).update(order=F("order") + _PARKED)
    for talk in moving:
        talk.order = places[talk.pk]
    Talk.objects.bulk_update(moving, ["order"])
    pagecache.content_changed()
    return moving


def write_talks(session: Session, wanted: list[TalkValues]) -> TalkChanges:
    """Update the session's talks in place to match `wanted` (see _match_talks);
    new ones are created. Nothing is deleted, and slides, recordings, papers and
    presenters an organizer added stay (presenters are added, never removed)."""
    existing = list(session.talks.prefetch_related("talk_presenters"))
    matches, unmatched = _match_talks(existing, wanted)
    changes = TalkChanges(kept=unmatched)
    # The archive's talks take places 1..n in its order; those it no longer has, after.
    places = {talk.pk: order for order, talk in enumerate(matches, start=1) if talk is not None}
    places |= {talk.pk: len(wanted) + index for index, talk in enumerate(unmatched, start=1)}
    moved = {talk.pk for talk in place_talks(existing, places)}
    # Each search row the talks touch is rewritten once, when all are written.
    with search_index.deferred():
        for order, (values, talk) in enumerate(zip(wanted, matches, strict=True), start=1):
            if talk is None:
                talk = _create_talk(session, order, values)
                changes.created += 1
            else:
                changed = _update_talk(talk, order, values) or talk.pk in moved
                changes.updated += changed
                changes.unchanged += not changed
            changes.talks.append(talk)
    return changes


def _title_key(title: str) -> str:
    return " ".join(clean_text(title, multiline=False).split()).casefold()[:500]


def _match_talks(
    existing: list[Talk], wanted: list[TalkValues]
) -> tuple[list[Talk | None], list[Talk]]:
    """The existing talk each wanted one updates, and the existing talks left over.

    In rounds over the whole list, surest first, so that a talk inserted at the
    top does not take the place (and the slides) of the one that was there: every
    talk by its paper, then the rest by title, then a paperless talk still
    unmatched by its position (a retitled talk keeps its slides and presenters).
    """
    free = list(existing)
    matches: list[Talk | None] = [None] * len(wanted)

    def take(index: int, fits) -> None:
        for talk in free:
            if fits(talk):
                matches[index] = talk
                free.remove(talk)
                return

    for index, values in enumerate(wanted):
        if (paper := values.paper) is not None:
            take(index, lambda talk, paper=paper: talk.paper_id == paper.pk)
    for index, values in enumerate(wanted):
        if matches[index] is None:
            key = _title_key(values.title)
            take(index, lambda talk, key=key: _title_key(talk.title) == key)
    for index, values in enumerate(wanted):
        if matches[index] is None and values.paper is None:
            take(index, lambda talk, order=index + 1: talk.order == order and talk.paper_id is None)
    return matches, free


def _talk_fields(order: int, values: TalkValues, *, new: bool) -> dict:
    """The fields to write; on an existing talk, only those the archive gives."""
    fields = {
        "order": order,
        "title": values.title[:500],
        "segment": values.segment,
        "summary": values.summary,
        "tags": values.tags,
        "paper": values.paper,
        "slides_url": values.slides_url,
        "recording_url": values.recording_url,
    }
    if new:
        return {
            name: value for name, value in fields.items() if value is not None or name == "paper"
        }
    return {name: value for name, value in fields.items() if value not in (None, "")}


def _create_talk(session: Session, order: int, values: TalkValues) -> Talk:
    talk = Talk(session=session, **_talk_fields(order, values, new=True))
    save_validated(talk)
    _write_talk_presenters(talk, values.presenters, existing={})
    return talk


def _update_talk(talk: Talk, order: int, values: TalkValues) -> bool:
    fields = _talk_fields(order, values, new=False)
    if "paper" in fields:
        # By id: comparing the Paper itself would load one per talk.
        fields["paper_id"] = fields.pop("paper").pk
    changed = [name for name, value in fields.items() if getattr(talk, name) != value]
    for name in changed:
        setattr(talk, name, fields[name])
    if changed:
        save_validated(talk, update_fields=changed)
    existing = {row.person_id: row for row in talk.talk_presenters.all()}
    return _write_talk_presenters(talk, values.presenters, existing) or bool(changed)


def _write_talk_presenters(talk: Talk, people, existing: dict) -> bool:
    return _place_people(
        existing,
        people,
        lambda person, affiliation, order: TalkPresenter(
            talk=talk, person=person, affiliation=affiliation, order=order
        ),
        TalkPresenter,
    )


def append_talk(
    session: Session, *, title: str, paper: Paper | None = None, summary: str = ""
) -> Talk:
    """A new talk at the end of the session (the workspace's "add a talk").

    Call in a transaction that locked the session row, so two at once do not
    take the same place.
    """
    last = session.talks.aggregate(Max("order"))["order__max"] or 0
    talk = Talk(session=session, order=last + 1, title=title[:500], paper=paper, summary=summary)
    save_validated(talk)
    return talk


def add_presenter(talk: Talk, person: Person, affiliation: str = "") -> bool:
    """Add `person` after the talk's presenters; False if already there."""
    if talk.talk_presenters.filter(person=person).exists():
        return False
    last = talk.talk_presenters.aggregate(Max("order"))["order__max"] or 0
    row = TalkPresenter(talk=talk, person=person, affiliation=affiliation, order=last + 1)
    validate(row)
    row.save()
    return True


def tag_papers(papers: list[Paper], topics: list[str]) -> None:
    """Give each paper its topic (from a reading list) as a keyword."""
    with search_index.deferred():
        for paper, topic in zip(papers, topics, strict=True):
            if topic.strip():
                write_keyword(topic).papers.add(paper)


def add_papers_as_talks(papers: list[Paper], session: Session) -> int:
    """Append the papers not yet presented in `session` as talks; returns how many."""
    present = set(session.talks.values_list("paper_id", flat=True))
    added = 0
    with search_index.deferred():
        for paper in papers:
            if paper.pk not in present:
                append_talk(session, title=paper.title, paper=paper, summary=paper.notes)
                present.add(paper.pk)
                added += 1
    return added
