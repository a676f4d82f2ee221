"""python manage.py import_paper_list FILE [--session SERIES/NUMBER] [--dry-run]

Reads an awesome-style paper list. Chinese that arrived as UTF-8 read as
Windows-1252 (with bytes lost) is repaired first, and the repair reported.
"""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from papers.importing import EntryError, save_entries
from papers.lists import parse_paper_list
from papers.mojibake import looks_garbled, repair
from sessions.writers import add_papers_as_talks, tag_papers


def read_repaired(command: BaseCommand, path: Path) -> str:
    """The file's text, with the encoding damage undone and reported."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(f"{path}: cannot be read as UTF-8 text ({error})") from None
    if not looks_garbled(text):
        return text
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
        counts: Counter = Counter()
        with transaction.atomic(), reported(file):
            papers = save_entries(entries, counts)
            tag_papers(papers, [entry.topic for entry in entries])
            talks = add_papers_as_talks(papers, target) if target else 0
            if dry_run:
                transaction.set_rollback(True)
        self.stdout.write(
            self.style.SUCCESS(
                f"{'dry run, nothing written: ' if dry_run else ''}{len(entries)} papers: "
                f"{counts['created']} created, {counts['updated']} updated, {counts['unchanged']} unchanged"
                + (f"; {talks} talks added to {session}" if target else "")
            )
        )


@contextmanager
def reported(path: Path):
    """A refused entry becomes file:line and a rollback of the whole file."""
    try:
        yield
    except EntryError as error:
        raise CommandError(f"{path}:{error}; nothing imported") from None
