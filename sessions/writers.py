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

from django.db.models import F, Max, Model, Prefetch, prefetch_related_objects

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
    fold_name,
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


class _LookUp:
    """The default of `existing`: the writer looks the row up itself."""


LOOK_UP = _LookUp()


def person_key(name: str, slug: str = "") -> tuple[str, str]:
    """How write_person() finds a person: ("slug", slug) when a slug is given, else
    ("name_key", fold_name(name)) for the name as it will be stored. An importer that
    reads people in bulk (people_by_key) passes what it found as `existing`."""
    if slug:
        return ("slug", slug)
    return ("name_key", fold_name(" ".join(clean_text(name).split())[:200]))


def people_by_key(keys: set[tuple[str, str]]) -> dict[tuple[str, str], Person]:
    """The people these person_key()s find, in two queries per 500: the oldest of a
    name, as Person.objects.named() takes."""
    found: dict[tuple[str, str], Person] = {}
    for name in ("slug", "name_key"):
        values = sorted(value for kind, value in keys if kind == name)
        for start in range(0, len(values), 500):
            chunk = values[start : start + 500]
            for person in Person.objects.filter(**{f"{name}__in": chunk}).order_by("pk"):
                found.setdefault((name, getattr(person, name)), person)
    return found


def write_person(
    name: str,
    *,
    slug: str = "",
    note: str = "",
    affiliation: str = "",
    homepage: str = "",
    existing: Person | _LookUp | None = LOOK_UP,
) -> tuple[Person, Outcome]:
    """The person with this slug when one is given, else by name spelled any way
    fold_name() ignores; created when new. Notes, affiliation and homepage fill gaps,
    never overwrite. `existing`: the person person_key() finds, when the caller has
    read it already (None: there is none)."""
    name = " ".join(clean_text(name).split())[:200]
    # A slug (from a JSON backup) names one person exactly: two 张伟 stay two.
    if isinstance(existing, _LookUp):
        person = Person.objects.filter(slug=slug).first() if slug else Person.objects.named(name)
    else:
        person = existing
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
    series: Series,
    number: int,
    values: dict,
    *,
    status_if_new: str = Session.Status.PUBLISHED,
    existing: Session | _LookUp | None = LOOK_UP,
) -> tuple[Session, Outcome]:
    """The session `number` of `series`, created when new (with `status_if_new`), else
    updated with the values given. A None value is "not given"; an import never
    changes the status unless it gives one (and the archive format does not).
    `existing`: the session, when the caller has read it already (None: there is none).

    A new session is returned knowing it has no keywords, presenters or talks yet,
    so the writers below do not ask."""
    given = {name: value for name, value in values.items() if value is not None}
    if isinstance(existing, _LookUp):
        session = Session.objects.filter(series=series, number=number).first()
    else:
        session = existing
    if session is None:
        session = Session(series=series, number=number, **{"status": status_if_new, **given})
        save_validated(session)
        for name in ("keywords", "session_presenters", "talks"):
            set_loaded(session, name, [])
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
    """Make `keywords` the session's; True if that changed anything. Uses the session's
    keywords when loaded (prefetched), and leaves them loaded."""
    prefetch_related_objects([session], "keywords")
    current = {keyword.pk: keyword for keyword in session.keywords.all()}
    wanted = {keyword.pk: keyword for keyword in keywords}
    if wanted.keys() == current.keys():
        return False
    through = Session.keywords.through
    gone = current.keys() - wanted.keys()
    if gone:
        through.objects.filter(session=session, keyword__in=gone).delete()
    through.objects.bulk_create(
        [through(session=session, keyword_id=pk) for pk in wanted.keys() - current.keys()]
    )
    # In Keyword's own order (by name), as a query would give them.
    set_loaded(session, "keywords", sorted(wanted.values(), key=lambda keyword: keyword.name))
    # Statements on the relation's rows send no signal: say what changed.
    search_index.changed("session", [session.pk])
    pagecache.content_changed()
    return True


def set_loaded(obj: Model, relation: str, rows: list) -> None:
    """Give `obj` these rows as its prefetched `relation`, as prefetch_related would:
    what the writer just wrote, so nobody reads it back."""
    queryset = getattr(obj, relation).all()
    queryset._result_cache = list(rows)
    queryset._prefetch_done = True
    obj.__dict__.setdefault("_prefetched_objects_cache", {})[relation] = queryset


def write_session_presenters(session: Session, people: list[tuple[Person, str]]) -> bool:
    """Name `people` (with their affiliation then) as the session's presenters, in
    order, keeping anyone already named; True if anything changed. Uses the session's
    presenters when loaded (prefetched), and leaves them loaded."""
    prefetch_related_objects([session], "session_presenters")
    rows = list(session.session_presenters.all())
    new_rows, updated = _place_people(
        {row.person_id: row for row in rows},
        people,
        lambda person, affiliation, order: SessionPresenter(
            session=session, person=person, affiliation=affiliation, order=order
        ),
    )
    changed = _save_people(SessionPresenter, new_rows, updated)
    if changed:
        set_loaded(session, "session_presenters", _in_order([*rows, *new_rows]))
    return changed


def _place_people(existing: dict, people, make) -> tuple[list, list]:
    """The rows to add for the missing people, and the existing rows whose affiliation
    or order changed (set, not saved); nobody is removed."""
    new_rows, updated = [], []
    for order, (person, affiliation) in enumerate(people, start=1):
        row = existing.get(person.pk)
        if row is None:
            new_rows.append(make(person, affiliation, order))
            continue
        if (row.affiliation, row.order) != (affiliation, order):
            row.affiliation, row.order = affiliation, order
            updated.append(row)
    return new_rows, updated


def _save_people(model, new_rows: list, updated: list) -> bool:
    """Validate and write presenter rows, one statement each for the new and the
    changed; True if there were any."""
    for row in [*new_rows, *updated]:
        validate(row)
    if new_rows:
        model.objects.bulk_create(new_rows)
    if updated:
        model.objects.bulk_update(updated, ["affiliation", "order"])
    if not (new_rows or updated):
        return False
    # Bulk writes send no signals: tell the search index and the page cache.
    with search_index.deferred():
        search_index.changed("person_row", [row.person_id for row in [*new_rows, *updated]])
        for row in [*new_rows, *updated]:
            if isinstance(row, TalkPresenter):
                search_index.changed("talk", [row.talk_id])
            else:
                search_index.changed("session_row", [row.session_id])
    pagecache.content_changed()
    return True


def _forget_loaded(obj: Model, relation: str) -> None:
    """Drop a prefetched `relation` a write just made stale: the next use reads it."""
    getattr(obj, "_prefetched_objects_cache", {}).pop(relation, None)


def _in_order(rows: list) -> list:
    """Presenters or talks in their models' order: by place, then by id."""
    return sorted(rows, key=lambda row: (row.order, row.pk))


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
    new ones are created, in one statement. Nothing is deleted, and slides,
    recordings, papers and presenters an organizer added stay (presenters are added,
    never removed). Uses the session's talks and their presenters when loaded
    (prefetched), and leaves them loaded as written."""
    prefetch_related_objects(
        [session],
        Prefetch("talks", queryset=Talk.objects.order_by("order", "pk")),
        "talks__talk_presenters",
    )
    existing = list(session.talks.all())
    matches, unmatched = _match_talks(existing, wanted)
    changes = TalkChanges(kept=unmatched)
    # The archive's talks take places 1..n in its order; those it no longer has, after.
    places = {talk.pk: order for order, talk in enumerate(matches, start=1) if talk is not None}
    places |= {talk.pk: len(wanted) + index for index, talk in enumerate(unmatched, start=1)}
    moved = {talk.pk for talk in place_talks(existing, places)}
    new_talks: list[tuple[Talk, TalkValues]] = []
    rows: dict[Talk, tuple[list, list]] = {}  # presenters of each talk: new, changed
    # Each search row the talks touch is rewritten once, when all are written.
    with search_index.deferred():
        for order, (values, talk) in enumerate(zip(wanted, matches, strict=True), start=1):
            if talk is None:
                talk = Talk(session=session, **_talk_fields(order, values, new=True))
                validate(talk)
                new_talks.append((talk, values))
                changes.created += 1
            else:
                changed = _update_talk(talk, order, values)
                current = {row.person_id: row for row in talk.talk_presenters.all()}
                rows[talk] = _place_people(current, values.presenters, _talk_presenter(talk))
                changed = changed or any(rows[talk]) or talk.pk in moved
                changes.updated += changed
                changes.unchanged += not changed
            changes.talks.append(talk)
        if new_talks:
            _create_talks([talk for talk, _values in new_talks])
            for talk, values in new_talks:
                set_loaded(talk, "talk_presenters", [])
                rows[talk] = _place_people({}, values.presenters, _talk_presenter(talk))
        _save_people(
            TalkPresenter,
            [row for added, _ in rows.values() for row in added],
            [row for _, altered in rows.values() for row in altered],
        )
    # What is loaded stays what the database holds, in its order (places may have moved).
    for talk, (added, altered) in rows.items():
        if added or altered:
            set_loaded(talk, "talk_presenters", _in_order([*talk.talk_presenters.all(), *added]))
    set_loaded(session, "talks", _in_order([*existing, *(talk for talk, _ in new_talks)]))
    return changes


def _create_talks(talks: list[Talk]) -> None:
    """Insert validated new talks in one statement, as save() would have (Markdown
    rendered); a bulk insert sends no signal, so the search index and the page cache
    are told here."""
    for talk in talks:
        talk.render_markdown_fields()
    Talk.objects.bulk_create(talks)
    with search_index.deferred():
        search_index.changed("talk", [talk.pk for talk in talks])
        search_index.changed("session_row", {talk.session_id for talk in talks})
        search_index.changed("paper_row", {talk.paper_id for talk in talks})
    pagecache.content_changed()


def _talk_presenter(talk: Talk):
    return lambda person, affiliation, order: TalkPresenter(
        talk=talk, person=person, affiliation=affiliation, order=order
    )


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


def _update_talk(talk: Talk, order: int, values: TalkValues) -> bool:
    """Write what the archive gives that differs; True if anything did."""
    fields = _talk_fields(order, values, new=False)
    paper = fields.pop("paper", None)
    if paper is not None:
        # By id: comparing the Paper itself would load one per talk.
        fields["paper_id"] = paper.pk
    changed = [name for name, value in fields.items() if getattr(talk, name) != value]
    for name in changed:
        setattr(talk, name, fields[name])
    if paper is not None:
        talk.paper = paper  # the writer's own instance, as written
    if changed:
        save_validated(talk, update_fields=changed)
    return bool(changed)


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
    _forget_loaded(session, "talks")
    return talk


def add_presenter(talk: Talk, person: Person, affiliation: str = "") -> bool:
    """Add `person` after the talk's presenters; False if already there."""
    if talk.talk_presenters.filter(person=person).exists():
        return False
    last = talk.talk_presenters.aggregate(Max("order"))["order__max"] or 0
    row = TalkPresenter(talk=talk, person=person, affiliation=affiliation, order=last + 1)
    validate(row)
    row.save()
    _forget_loaded(talk, "talk_presenters")
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
