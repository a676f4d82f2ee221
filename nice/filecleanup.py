"""Files follow their rows: replaced or removed only after the transaction commits,
and never left behind by a transaction that rolled back.

Django writes an uploaded file while saving the row, before the transaction
ends, and has no hook for a rollback. So a file written inside a transaction
stays "pending" until its on_commit callback runs; whatever is still pending
when the request (or command) ends belonged to a rolled-back transaction and
is deleted. Old files of a replaced or deleted upload go only on commit.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial

from django.db import connection, models, transaction
from django.db.models.signals import post_delete, post_save, pre_save

from nice.renditions import delete_renditions, make_renditions

_pending: ContextVar[set | None] = ContextVar("pending_files", default=None)


def _file_fields(model) -> list[models.FileField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, models.FileField)]


def _remember_old_names(sender, instance, raw=False, **kwargs) -> None:
    if raw or instance.pk is None:
        instance._old_file_names = {}
        return
    names = [f.attname for f in _file_fields(sender)]
    row = sender._default_manager.filter(pk=instance.pk).values(*names).first() or {}
    instance._old_file_names = row


def _after_save(sender, instance, raw=False, **kwargs) -> None:
    if raw:
        return
    old = getattr(instance, "_old_file_names", {})
    for field in _file_fields(sender):
        storage, new_name, old_name = (
            field.storage,
            getattr(instance, field.attname).name,
            old.get(field.attname),
        )
        if new_name == old_name:
            continue
        if new_name:
            _track_written(storage, new_name)
            if _has_renditions(field):
                transaction.on_commit(partial(make_renditions, storage, new_name))
        if old_name:
            transaction.on_commit(partial(_delete, field, old_name))


def _after_delete(sender, instance, **kwargs) -> None:
    for field in _file_fields(sender):
        name = getattr(instance, field.attname).name
        if name:
            transaction.on_commit(partial(_delete, field, name))


def _has_renditions(field) -> bool:
    from nice.fields import SafeImageField

    return isinstance(field, SafeImageField)


def _delete(field, name: str) -> None:
    field.storage.delete(name)
    if _has_renditions(field):
        delete_renditions(field.storage, name)


def _track_written(storage, name: str) -> None:
    pending = _pending.get()
    if pending is None or not connection.in_atomic_block:
        return  # autocommit: the row is already committed with its file
    item = (storage, name)
    pending.add(item)
    transaction.on_commit(lambda: pending.discard(item))


def track_files_of(*models_with_files) -> None:
    for model in models_with_files:
        pre_save.connect(_remember_old_names, sender=model, weak=False)
        post_save.connect(_after_save, sender=model, weak=False)
        post_delete.connect(_after_delete, sender=model, weak=False)


@contextmanager
def no_orphan_files():
    """Delete, on the way out, every file whose transaction did not commit."""
    pending: set = set()
    token = _pending.set(pending)
    try:
        yield
    finally:
        _pending.reset(token)
        for storage, name in pending:
            storage.delete(name)


class NoOrphanFilesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with no_orphan_files():
            return self.get_response(request)
