"""Keeps the index right whoever writes: the writers, the workspace, the admin, a shell.

Every save and delete of an archive model (post_save, post_delete, m2m_changed)
marks what changed; the rows whose text or visibility depend on it are
rewritten right away, in the same transaction as the change. The writers add
what saves no signal (bulk_create, bulk_update) through `changed()`, and wrap
many saves in `deferred()` so that each row is rewritten once, at the end.
"""

from __future__ import annotations

import contextlib
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator

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
        _state.depth = 0
    return _state.pending


def changed(source: str, ids: Iterable[int | None]) -> None:
    """Note that these objects changed ("series", "session", "talk", "person",
    "paper", "keyword"; "session_row": the session's own row only) and rewrite
    the rows that depend on them, unless deferred."""
    pending = _pending()
    pending[source].update(pk for pk in ids if pk is not None)
    if not _state.depth:
        flush()


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
        raise
    _state.depth -= 1
    if not _state.depth:
        flush()


def flush() -> None:
    pending = _pending()
    if not pending:
        return
    marks = {source: set(ids) for source, ids in pending.items()}
    pending.clear()
    for kind, ids in _affected(marks).items():
        write(kind, ids)


def _affected(marks: dict[str, set[int]]) -> dict[str, set[int]]:
    """The rows whose text or visibility depend on what changed (a few queries)."""
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
    rows[Kind.PAPER] |= papers
    rows[Kind.PERSON] |= people
    rows[Kind.TALK] |= talks
    if sessions:
        # Their talks show the session; its papers and people are public with it.
        for talk, paper in Talk.objects.filter(session__in=sessions).values_list("pk", "paper"):
            rows[Kind.TALK].add(talk)
            if paper:
                rows[Kind.PAPER].add(paper)
        rows[Kind.PERSON] |= _people_in(sessions=sessions)
    if talks:
        for session, paper in Talk.objects.filter(pk__in=talks).values_list("session", "paper"):
            rows[Kind.SESSION].add(session)
            if paper:
                rows[Kind.PAPER].add(paper)
        rows[Kind.PERSON] |= set(
            TalkPresenter.objects.filter(talk__in=talks).values_list("person", flat=True)
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


def write(kind: str, ids: Iterable[int]) -> int:
    """Rewrite the rows of these objects, batch by batch; rows of objects gone are
    deleted. Returns how many rows were written."""
    ids = sorted(set(ids))
    written = 0
    for start in range(0, len(ids), BATCH_SIZE):
        batch = ids[start : start + BATCH_SIZE]
        rows = documents.build(kind, batch)
        _upsert(rows)
        gone = set(batch) - {row.object_id for row in rows}
        if gone:
            SearchDocument.objects.filter(kind=kind, object_id__in=gone).delete()
        written += len(rows)
    return written


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
# objects whose rows show it.
_SOURCES = {
    Series: lambda row: [("series", row.pk)],
    Session: lambda row: [("session", row.pk)],
    Talk: lambda row: [
        ("talk", row.pk),
        ("session_row", row.session_id),
        ("paper", row.paper_id),
        ("paper", getattr(row, "_search_paper_id", None)),
    ],
    Person: lambda row: [("person", row.pk)],
    Paper: lambda row: [("paper", row.pk)],
    Keyword: lambda row: [("keyword", row.pk)],
    TalkPresenter: lambda row: [("talk", row.talk_id), ("person", row.person_id)],
    SessionPresenter: lambda row: [("session", row.session_id), ("person", row.person_id)],
}


def _saved(sender, instance, **kwargs) -> None:
    if kwargs.get("raw"):
        return  # loaddata: rebuild_search_index afterwards
    _mark(sender, instance)


def _deleted(sender, instance, **kwargs) -> None:
    _mark(sender, instance)


def _mark(sender, instance) -> None:
    with deferred():
        for source, pk in _SOURCES[sender](instance):
            changed(source, [pk])


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
