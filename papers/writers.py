"""The one writer of papers: every importer and the workspace go through it."""

from __future__ import annotations

import contextlib
from enum import StrEnum

from papers.identifiers import normalize_arxiv_id, normalize_doi
from papers.models import Paper

WRITABLE_FIELDS = (
    "title",
    "authors",
    "venue",
    "year",
    "arxiv_id",
    "doi",
    "primary_category",
    "url",
    "code_url",
    "project_url",
    "abstract",
    "notes",
)


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


def save_validated(instance, update_fields: list[str] | None = None) -> None:
    """full_clean() then save(): the models' rules (text, URLs, lengths, identifiers)
    hold for importers as they do for forms. Raises ValidationError.

    Uniqueness is left to the database: the writers look rows up first, and a
    unique check here would cost a query per field.
    """
    validate(instance, only=update_fields)
    instance.save(update_fields=update_fields)


def validate(instance, only: list[str] | None = None) -> None:
    """The model's field rules and clean(); on an update `only` the fields written, so
    a value stored before a rule existed does not block every later import.
    Relations are not looked up again (the writers just fetched them) and
    uniqueness is the database's to enforce."""
    fields = instance._meta.concrete_fields
    exclude = [f.name for f in fields if f.is_relation or (only is not None and f.name not in only)]
    instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)


def apply(instance, values: dict, *, overwrite: bool = True) -> list[str]:
    """Set the given values (empty ones are "not given") and return the names that
    changed. Without `overwrite`, only fields still empty are filled."""
    changed = []
    for name, value in values.items():
        if value in ("", None):
            continue
        current = getattr(instance, name)
        if current == value or (not overwrite and current not in ("", None)):
            continue
        setattr(instance, name, value)
        changed.append(name)
    return changed


def write_paper(values: dict, *, overwrite: bool = True) -> tuple[Paper, Outcome]:
    """The library's paper with this arXiv id, else DOI, else title, created when new,
    updated with the values given. Hits the database; raises ValidationError."""
    unknown = set(values) - set(WRITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not paper fields: {sorted(unknown)}")
    values = _normalized(values)
    paper = Paper.objects.matching(
        arxiv_id=values.get("arxiv_id") or "",
        doi=values.get("doi") or "",
        title=values.get("title") or "",
    )
    if paper is None:
        paper = Paper(**{name: value for name, value in values.items() if value is not None})
        save_validated(paper)
        return paper, Outcome.CREATED
    changed = apply(paper, values, overwrite=overwrite)
    if not changed:
        return paper, Outcome.UNCHANGED
    save_validated(paper, update_fields=[*changed, "updated_at"])
    return paper, Outcome.UPDATED


def _normalized(values: dict) -> dict:
    """Identifiers in their one spelling, so 2401.12345v2 finds 2401.12345; a malformed
    one is left as given for validation to refuse with its message."""
    values = dict(values)
    if values.get("title"):
        values["title"] = values["title"][:500]
    for name, normalize in (("arxiv_id", normalize_arxiv_id), ("doi", normalize_doi)):
        if values.get(name):
            with contextlib.suppress(ValueError):
                values[name] = normalize(values[name])
    return values
