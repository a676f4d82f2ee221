"""The one writer of papers: every importer and the workspace go through it."""

from __future__ import annotations

import contextlib
from enum import StrEnum

from django.db.models.functions import Lower
from django.db.models.signals import post_save

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
    return write_papers([values], overwrite=overwrite)[0]


def write_papers(
    values_list: list[dict], *, overwrite: bool = True, index: PaperIndex | None = None
) -> list[tuple[Paper, Outcome]]:
    """write_paper() for many papers at once: found through `index` (read in bulk for
    what it has not seen yet), the new ones created in one statement. Values that name
    the same paper get the same Paper. Hits the database; raises ValidationError
    before writing anything.

    A created paper is announced with post_save, as save() would, so that whoever
    follows the library's changes (the search index, the page cache) sees it.
    """
    for values in values_list:
        unknown = set(values) - set(WRITABLE_FIELDS)
        if unknown:
            raise TypeError(f"not paper fields: {sorted(unknown)}")
    values_list = [_normalized(values) for values in values_list]
    index = index or PaperIndex()
    index.load(values_list)
    results: list[tuple[Paper, Outcome]] = []
    new: list[Paper] = []
    for values in values_list:
        paper = index.find(values)
        if paper is None:
            paper = Paper(**{name: value for name, value in values.items() if value is not None})
            validate(paper)
            new.append(paper)
            index.add(paper)
            results.append((paper, Outcome.CREATED))
        elif paper._state.adding:
            # Named twice in this call: what the second adds goes into the one new row.
            changed = apply(paper, values, overwrite=overwrite)
            if changed:
                validate(paper, only=changed)
                index.add(paper)
            results.append((paper, Outcome.CREATED))
        else:
            changed = apply(paper, values, overwrite=overwrite)
            if changed:
                save_validated(paper, update_fields=[*changed, "updated_at"])
                index.add(paper)
            results.append((paper, Outcome.UPDATED if changed else Outcome.UNCHANGED))
    if new:
        _create(new)
        for paper in new:
            index.add(paper)
    return results


def _create(papers: list[Paper]) -> None:
    """Insert new papers in one statement, as save() would have: Markdown rendered,
    identifiers normalised (validate() did), post_save sent."""
    for paper in papers:
        paper.render_markdown_fields()
    Paper.objects.bulk_create(papers)
    for paper in papers:
        # Nothing links to a paper yet: its keywords are known to be none.
        paper._prefetched_objects_cache = {"keywords": paper.keywords.none()}  # type: ignore[attr-defined]
        post_save.send(
            sender=Paper,
            instance=paper,
            created=True,
            update_fields=None,
            raw=False,
            using=paper._state.db,
        )


class PaperIndex:
    """The library's papers by arXiv id, DOI and title, read in bulk: the rule of
    Paper.objects.matching() (arXiv id, else DOI, else title in any case, the oldest
    first) for many values at once. An importer keeps one for its whole run, so each
    paper is one instance that every later write sees, and reads what each batch of
    values needs in three queries at most.

    Titles that differ in the case of a letter outside ASCII are compared by the
    database one by one (its idea of case is not Python's).
    """

    def __init__(self) -> None:
        self.by_pk: dict[int, Paper] = {}
        self._arxiv: dict[str, Paper] = {}
        self._doi: dict[str, Paper] = {}
        self._title: dict[str, Paper] = {}
        self._asked: set[tuple[str, str]] = set()

    def find(self, values: dict) -> Paper | None:
        """The paper these (normalised) values name, from what load() read."""
        arxiv_id, doi, title = (values.get(name) or "" for name in ("arxiv_id", "doi", "title"))
        return (
            (arxiv_id and self._arxiv.get(arxiv_id))
            or (doi and self._doi.get(doi))
            or (title and self._title.get(_title_key(title)))
            or None
        )

    def add(self, paper: Paper) -> Paper:
        """Remember `paper` (new or written) under its identifiers and title."""
        if paper.pk is not None:
            self.by_pk.setdefault(paper.pk, paper)
        if paper.arxiv_id:
            self._arxiv[paper.arxiv_id] = paper
        if paper.doi:
            self._doi[paper.doi] = paper
        if paper.title:
            # matching() takes the oldest paper of a title: one already known stays.
            self._title.setdefault(_title_key(paper.title), paper)
        return paper

    def load(self, values_list: list[dict]) -> None:
        """Read the papers these (normalised) values may name and that are not known
        yet: by arXiv id, then DOI, then title for those still not found."""
        wanted = [values for values in values_list if self.find(values) is None]
        for name in ("arxiv_id", "doi"):
            keys = {values[name] for values in wanted if values.get(name)}
            keys = {key for key in keys if (name, key) not in self._asked}
            self._asked |= {(name, key) for key in keys}
            for chunk in _chunks(sorted(keys)):
                for paper in Paper.objects.filter(**{f"{name}__in": chunk}).order_by("pk"):
                    self._remember(paper)
            wanted = [values for values in wanted if self.find(values) is None]
        titles = {
            _title_key(values["title"]): values["title"] for values in wanted if values.get("title")
        }
        titles = {key: title for key, title in titles.items() if ("title", key) not in self._asked}
        self._asked |= {("title", key) for key in titles}
        plain = sorted(key for key, title in titles.items() if _ascii_case_only(title))
        for chunk in _chunks(plain):
            found = Paper.objects.alias(key=Lower("title")).filter(key__in=chunk).order_by("pk")
            for paper in found:
                self._remember(paper)
        for key, title in titles.items():
            if not _ascii_case_only(title):
                match = Paper.objects.filter(title__iexact=title[:500]).order_by("pk").first()
                if match is not None:
                    self._remember(match)
                    self._title.setdefault(key, self.by_pk[match.pk])

    def _remember(self, paper: Paper) -> None:
        self.add(self.by_pk.get(paper.pk, paper))


def _title_key(title: str) -> str:
    return title[:500].lower()


def _ascii_case_only(text: str) -> bool:
    """No letter outside ASCII has a case: lower() here is LOWER() in every database."""
    return all(char.isascii() or char.lower() == char.upper() for char in text)


def _chunks(items: list, size: int = 500):
    for start in range(0, len(items), size):
        yield items[start : start + size]


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
