"""Keeps the index right whoever writes: the writers, the workspace, the admin, a shell.

Every save and delete of an archive model (post_save, post_delete, m2m_changed)
marks what changed; the rows whose text or visibility depend on it are
rewritten right away, in the same transaction as the change. The writers add
what saves no signal (bulk_create, bulk_update) through `changed()`, and wrap
many saves in `deferred()` so that each row is rewritten once, at the end, and
may hand over what they just wrote (`known()`) so that the flush builds the rows
from it instead of reading it back.
"""

from __future__ import annotations

import contextlib
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import Model
from django.db.models.signals import m2m_changed, post_delete, post_init, post_save

from papers.models import Paper
from search import documents
from search.models import SearchDocument
from sessions.models import (
    Keyword,
    Person,
    Series,
    Session,
    SessionPresenter,
    Talk,
    TalkPresenter,
)

Kind = SearchDocument.Kind
BATCH_SIZE = 500

# (model name, pk) of what changed since the last flush; per thread, as requests are.
_state = threading.local()


def _pending() -> dict[str, set[int]]:
    if not hasattr(_state, "pending"):
        _state.pending = defaultdict(set)
        _state.known = {}
        _state.depth = 0
    return _state.pending


def changed(source: str, ids: Iterable[int | None]) -> None:
    """Note that these objects changed and rewrite the rows that depend on them,
    unless deferred. Sources: "series", "session", "talk", "person", "paper",
    "keyword" (the object itself changed: every row that shows it is rewritten);
    "session_row", "person_row", "paper_row" (only the object's own row: what it
    presents or where it is presented changed, not the object)."""
    pending = _pending()
    pending[source].update(pk for pk in ids if pk is not None)
    if not _state.depth:
        flush()


def known(objects: Iterable[Model]) -> None:
    """Objects just written, with the relations their rows show already loaded
    (select_related, prefetched, or set by the writer): the next flush builds their
    rows, and finds what depends on them, from these instances instead of reading
    them back; what they lack is still read. Whatever is loaded must be what the
    database holds at the flush, so call this at the end of a unit of work, inside
    deferred(). Objects not changed() are not rewritten because of this."""
    _pending()
    for obj in objects:
        _state.known[(type(obj), obj.pk)] = obj


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Rewrite the rows once when the block ends (nested blocks: the outermost).
    Call inside the caller's transaction; on an error nothing is written, and the
    transaction it rolls back held the changes anyway."""
    _pending()
    _state.depth += 1
    try:
        yield
    except BaseException:
        _state.depth -= 1
        if not _state.depth:
            _state.pending.clear()
            _state.known = {}
        raise
    _state.depth -= 1
    if not _state.depth:
        flush()


def flush() -> None:
    pending = _pending()
    if not pending:
        _state.known = {}
        return
    marks = {source: set(ids) for source, ids in pending.items()}
    pending.clear()
    loaded, _state.known = _state.known, {}
    rows: list[SearchDocument] = []
    gone: dict[str, set[int]] = {}
    for kind, ids in _affected(marks, loaded).items():
        kind_rows, gone[kind] = _build(kind, ids, loaded)
        rows += kind_rows
    _save(rows, gone)


def _loaded(obj: Any, *names: str) -> list[list[Any]] | None:
    """The rows of these prefetched relations of `obj`, or None if one is not loaded."""
    cache = getattr(obj, "_prefetched_objects_cache", None)
    if cache is None or any(name not in cache for name in names):
        return None
    return [list(cache[name]) for name in names]


def _affected(
    marks: dict[str, set[int]], loaded: dict[tuple[type, int], Any] | None = None
) -> dict[str, set[int]]:
    """The rows whose text or visibility depend on what changed: a few queries, fewer
    for what `loaded` holds (see known())."""
    loaded = loaded or {}
    rows: dict[str, set[int]] = defaultdict(set)
    series = marks.get("series", set())
    sessions = marks.get("session", set())
    talks = marks.get("talk", set())
    people = marks.get("person", set())
    papers = marks.get("paper", set())
    keywords = marks.get("keyword", set())
    if keywords:
        sessions |= set(
            Session.keywords.through.objects.filter(keyword__in=keywords).values_list(
                "session", flat=True
            )
        )
        papers |= set(
            Keyword.papers.through.objects.filter(keyword__in=keywords).values_list(
                "paper", flat=True
            )
        )
    if series:
        rows[Kind.SESSION] |= set(
            Session.objects.filter(series__in=series).values_list("pk", flat=True)
        )
        rows[Kind.TALK] |= set(
            Talk.objects.filter(session__series__in=series).values_list("pk", flat=True)
        )
    rows[Kind.SESSION] |= sessions | marks.get("session_row", set())
    rows[Kind.PAPER] |= papers | marks.get("paper_row", set())
    rows[Kind.PERSON] |= people | marks.get("person_row", set())
    rows[Kind.TALK] |= talks
    if sessions:
        # Their talks show the session; its papers and people are public with it.
        to_read = set()
        for pk in sessions:
            relations = _loaded(loaded.get((Session, pk)), "talks", "session_presenters")
            talk_rows: list[Any] = (
                [_loaded(talk, "talk_presenters") for talk in relations[0]] if relations else []
            )
            if relations is None or None in talk_rows:
                to_read.add(pk)
                continue
            for talk, (presenters,) in zip(relations[0], talk_rows, strict=True):
                rows[Kind.TALK].add(talk.pk)
                if talk.paper_id:
                    rows[Kind.PAPER].add(talk.paper_id)
                rows[Kind.PERSON] |= {row.person_id for row in presenters}
            rows[Kind.PERSON] |= {row.person_id for row in relations[1]}
        if to_read:
            for talk_id, paper_id in Talk.objects.filter(session__in=to_read).values_list(
                "pk", "paper"
            ):
                rows[Kind.TALK].add(talk_id)
                if paper_id:
                    rows[Kind.PAPER].add(paper_id)
            rows[Kind.PERSON] |= _people_in(sessions=to_read)
    if talks:
        to_read = set()
        for pk in talks:
            talk = loaded.get((Talk, pk))
            relations = _loaded(talk, "talk_presenters")
            if talk is None or relations is None:
                to_read.add(pk)
                continue
            rows[Kind.SESSION].add(talk.session_id)
            if talk.paper_id:
                rows[Kind.PAPER].add(talk.paper_id)
            rows[Kind.PERSON] |= {row.person_id for row in relations[0]}
        if to_read:
            for session, paper in Talk.objects.filter(pk__in=to_read).values_list(
                "session", "paper"
            ):
                rows[Kind.SESSION].add(session)
                if paper:
                    rows[Kind.PAPER].add(paper)
            rows[Kind.PERSON] |= set(
                TalkPresenter.objects.filter(talk__in=to_read).values_list("person", flat=True)
            )
    if people:
        rows[Kind.TALK] |= set(
            TalkPresenter.objects.filter(person__in=people).values_list("talk", flat=True)
        )
        rows[Kind.SESSION] |= set(
            SessionPresenter.objects.filter(person__in=people).values_list("session", flat=True)
        ) | set(
            TalkPresenter.objects.filter(person__in=people).values_list("talk__session", flat=True)
        )
    if papers:
        rows[Kind.TALK] |= set(Talk.objects.filter(paper__in=papers).values_list("pk", flat=True))
    return rows


def _people_in(*, sessions: set[int]) -> set[int]:
    return set(
        TalkPresenter.objects.filter(talk__session__in=sessions).values_list("person", flat=True)
    ) | set(SessionPresenter.objects.filter(session__in=sessions).values_list("person", flat=True))


_MODELS: dict[str, type[Model]] = {
    Kind.TALK: Talk,
    Kind.SESSION: Session,
    Kind.PAPER: Paper,
    Kind.PERSON: Person,
}


def _build(
    kind: str, ids: Iterable[int], loaded: dict[tuple[type, int], Any] | None = None
) -> tuple[list[SearchDocument], set[int]]:
    """The rows of these objects, and the ids of those that no longer exist."""
    ids = sorted(set(ids))
    model = _MODELS[kind]
    loaded = loaded or {}
    instances = {pk: loaded[(model, pk)] for pk in ids if (model, pk) in loaded}
    rows = []
    for start in range(0, len(ids), BATCH_SIZE):
        batch = ids[start : start + BATCH_SIZE]
        rows += documents.build(kind, batch, known=instances)
    return rows, set(ids) - {row.object_id for row in rows}


def write(kind: str, ids: Iterable[int]) -> int:
    """Rewrite the rows of these objects, batch by batch; rows of objects gone are
    deleted. Returns how many rows were written."""
    ids = sorted(set(ids))
    written = 0
    for start in range(0, len(ids), BATCH_SIZE):
        rows, gone = _build(kind, ids[start : start + BATCH_SIZE])
        _save(rows, {kind: gone})
        written += len(rows)
    return written


def _save(rows: list[SearchDocument], gone: dict[str, set[int]]) -> None:
    """Upsert the rows (of any kinds, in one statement per batch) and delete those of
    objects gone."""
    for start in range(0, len(rows), BATCH_SIZE):
        _upsert(rows[start : start + BATCH_SIZE])
    for kind, ids in gone.items():
        if ids:
            SearchDocument.objects.filter(kind=kind, object_id__in=ids).delete()


UPDATED_FIELDS = [
    field.name
    for field in SearchDocument._meta.concrete_fields
    if field.name not in ("id", "kind", "object_id")
]


def _upsert(rows: list[SearchDocument]) -> None:
    if rows:
        SearchDocument.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["kind", "object_id"],
            update_fields=UPDATED_FIELDS,
        )


# ---------------------------------------------------------------- signals

# What each model's change is, for changed(): the model's own rows, or the
# objects whose rows show it. A presenter or a talk changes the rows of the people
# and papers it names, not what else shows them: "_row".
_SOURCES = {
    Series: lambda row: [("series", row.pk)],
    Session: lambda row: [("session", row.pk)],
    Talk: lambda row: [
        ("talk", row.pk),
        ("session_row", row.session_id),
        ("paper_row", row.paper_id),
        ("paper_row", getattr(row, "_search_paper_id", None)),
    ],
    Person: lambda row: [("person", row.pk)],
    Paper: lambda row: [("paper", row.pk)],
    Keyword: lambda row: [("keyword", row.pk)],
    TalkPresenter: lambda row: [("talk", row.talk_id), ("person_row", row.person_id)],
    SessionPresenter: lambda row: [
        ("session_row", row.session_id),
        ("person_row", row.person_id),
    ],
}
# A new object is shown by no other row yet: only its own row is written (a series
# and a keyword have none).
_NEW = {"session": "session_row", "person": "person_row", "paper": "paper_row"}


def _saved(sender, instance, created=False, **kwargs) -> None:
    if kwargs.get("raw"):
        return  # loaddata: rebuild_search_index afterwards
    _mark(sender, instance, created=created)


def _deleted(sender, instance, **kwargs) -> None:
    _mark(sender, instance)


def _mark(sender, instance, *, created: bool = False) -> None:
    with deferred():
        for source, pk in _SOURCES[sender](instance):
            if created and source in ("series", "keyword"):
                continue
            changed(_NEW.get(source, source) if created else source, [pk])


def _remember_paper(sender, instance, **kwargs) -> None:
    """The paper a talk had when loaded: if it changes, that paper's row changes too
    (it may no longer be presented anywhere)."""
    instance._search_paper_id = instance.__dict__.get("paper_id")


# The side of each relation whose rows show it.
_SHOWN_SIDE = {
    Session.keywords.through: ("session", Session),
    Keyword.papers.through: ("paper", Paper),
}


def _relation_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    """Keywords given to or taken from sessions and papers, from either side."""
    source, model = _SHOWN_SIDE[sender]
    if isinstance(instance, model):
        if action in ("post_add", "post_remove", "post_clear"):
            changed(source, [instance.pk])
        return
    # From the keyword's side: a clear names no objects, so note them before it.
    if action == "pre_clear":
        through = sender.objects.filter(keyword=instance)
        instance._search_cleared = list(through.values_list(source, flat=True))
    elif action == "post_clear":
        changed(source, getattr(instance, "_search_cleared", []))
    elif action in ("post_add", "post_remove"):
        changed(source, pk_set or [])


def connect_signals() -> None:
    for model in _SOURCES:
        post_save.connect(_saved, sender=model, dispatch_uid=f"search-save-{model.__name__}")
        post_delete.connect(_deleted, sender=model, dispatch_uid=f"search-del-{model.__name__}")
    post_init.connect(_remember_paper, sender=Talk, dispatch_uid="search-talk-paper")
    for through in _SHOWN_SIDE:
        m2m_changed.connect(
            _relation_changed, sender=through, dispatch_uid=f"search-m2m-{through.__name__}"
        )
