"""python manage.py import_paper_list FILE [--session SERIES/NUMBER] [--dry-run]

Reads an awesome-style paper list. Chinese that arrived as UTF-8 read as
Windows-1252 (with bytes lost) is repaired first, and the repair reported.
A doubtful value (a malformed arXiv link, a year no paper has, an overlong
title) is read as well as it can be and reported with its file:line; a value
the paper model refuses imports nothing and says where it is.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, transaction

from nice.text import clean_text, has_unwanted
from papers.importing import EntryError, save_entries
from papers.lists import PaperEntry, parse_paper_list
from papers.models import Paper
from papers.mojibake import looks_garbled, repair
from sessions.writers import add_papers_as_talks, tag_papers


def read_repaired(command: BaseCommand, path: Path) -> str:
    """The file's text, with the encoding damage undone and reported, and without
    control characters (reported too)."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise CommandError(f"{path}: cannot be read ({error.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise CommandError(
            f"{path}:{line}: not UTF-8 text; save the file as UTF-8 and import again"
        ) from None
    if looks_garbled(text):
        text = _repaired(command, path, text)
    if has_unwanted(text):
        text = _without_controls(command, path, text)
    return text


def _repaired(command: BaseCommand, path: Path, text: str) -> str:
    result = repair(text)
    command.stdout.write(
        f"{path.name}: repaired {result.repaired} characters garbled as Windows-1252"
    )
    for line in result.unsure_lines:
        command.stdout.write(
            f"  unsure: {path.name}:{line}: {result.text.split(chr(10))[line - 1].strip()[:80]}"
        )
    for line in result.unrepairable_lines:
        command.stdout.write(f"  could not repair: {path.name}:{line}")
    if "\ufffd" in result.text:
        raise CommandError(f"{path}: the repair left replacement characters; nothing imported")
    return result.text


def _without_controls(command: BaseCommand, path: Path, text: str) -> str:
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        if has_unwanted(line):
            found = dict.fromkeys(f"U+{ord(c):04X}" for c in line if has_unwanted(c))
            command.stdout.write(
                f"warning: {path.name}:{number}: control characters removed ({', '.join(found)})"
            )
    return clean_text(text)


def fit_titles(entries: list[PaperEntry]) -> None:
    """Titles cut to what a paper holds, with a warning (a new paper would be cut
    silently, an existing one refused)."""
    limit = Paper._meta.get_field("title").max_length
    assert limit is not None
    for entry in entries:
        if len(entry.title) > limit:
            entry.problems.append(
                (
                    entry.line,
                    f"the title has {len(entry.title)} characters; only the first {limit} are kept",
                )
            )
            entry.title = entry.title[:limit]


def save_all(path: Path, entries: list[PaperEntry], counts: Counter) -> list[Paper]:
    """Save every entry; the first one refused stops the import with its file:line
    (the caller's transaction then rolls back the whole file)."""
    papers = []
    for entry in entries:
        try:
            papers += save_entries([entry], counts)
        except EntryError as error:
            raise CommandError(f"{path}:{error}; nothing imported") from None
        except DatabaseError as error:
            raise CommandError(
                f"{path}:{entry.line}: the database refused this paper ({error}); nothing imported"
            ) from None
    return papers


def report_problems(command: BaseCommand, path: Path, entries: list[PaperEntry]) -> None:
    for line, problem in sorted(p for entry in entries for p in entry.problems):
        command.stdout.write(f"warning: {path.name}:{line}: {problem}")


def session_argument(value: str | None):
    if not value:
        return None
    from sessions.models import Session

    slug, _slash, number = value.partition("/")
    session = Session.objects.filter(
        series__slug=slug, number=int(number) if number.isdigit() else -1
    ).first()
    if session is None:
        raise CommandError(f"no session {value}: give it as SERIES/NUMBER, e.g. nice/47")
    return session


class Command(BaseCommand):
    help = "Import papers from an awesome-style paper list (with encoding repair)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--session", help="also add the papers as talks of SERIES/NUMBER")
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, file: Path, session: str | None, dry_run: bool, **options):
        target = session_argument(session)
        entries = parse_paper_list(read_repaired(self, file))
        if not entries:
            raise CommandError(f"{file}: no “- [x] **Name**: Title” items found")
        fit_titles(entries)
        counts: Counter = Counter()
        with transaction.atomic():
            papers = save_all(file, entries, counts)
            tag_papers(papers, [entry.topic for entry in entries])
            talks = add_papers_as_talks(papers, target) if target else 0
            if dry_run:
                transaction.set_rollback(True)
        report_problems(self, file, entries)
        self.stdout.write(
            self.style.SUCCESS(
                f"{'dry run, nothing written: ' if dry_run else ''}{len(entries)} papers: "
                f"{counts['created']} created, {counts['updated']} updated, {counts['unchanged']} unchanged"
                + (f"; {talks} talks added to {session}" if target else "")
            )
        )
