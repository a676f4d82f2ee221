"""python manage.py import_notes FILE [--dry-run]

Reads study notes exported as text: `[VENUE YEAR] Title` lines start a paper,
a GitHub link right after is its code, the text until the next paper is its
note (Markdown, $…$ math kept), topic headings become keywords.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from papers.lists import parse_notes
from sessions.management.commands.import_paper_list import (
    fit_titles,
    read_repaired,
    report_problems,
    save_all,
)
from sessions.writers import tag_papers


class Command(BaseCommand):
    help = "Import papers and their notes from exported study notes."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, file: Path, dry_run: bool, **options):
        entries, preamble = parse_notes(read_repaired(self, file))
        if not entries:
            raise CommandError(f"{file}: no “[VENUE YEAR] Title” lines found")
        fit_titles(entries)
        counts: Counter = Counter()
        with transaction.atomic():
            papers = save_all(file, entries, counts)
            tag_papers(papers, [entry.topic for entry in entries])
            if dry_run:
                transaction.set_rollback(True)
        report_problems(self, file, entries)
        topics = sorted({entry.topic for entry in entries if entry.topic})
        if preamble:
            self.stdout.write(
                f"{file.name}: lines 1–{preamble} come before the first paper and were not imported"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"{'dry run, nothing written: ' if dry_run else ''}{len(entries)} papers: "
                f"{counts['created']} created, {counts['updated']} updated, {counts['unchanged']} unchanged; "
                f"keywords: {', '.join(topics) or 'none'}"
            )
        )
