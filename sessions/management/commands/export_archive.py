"""python manage.py export_archive [--format json|markdown] [--series SLUG] PATH

json: everything (of one series, or all) as PATH/archive.json with media files
in PATH/media/; `import_archive --format json PATH` reads it back.
markdown: the NICE docsify shape (README.md index + docs/files/nice_<N>.md).
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sessions.archive.exchange import export_json, export_markdown
from sessions.models import Series


class Command(BaseCommand):
    help = "Export an archive as JSON (a full backup with media) or as NICE-style Markdown."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--format", choices=["json", "markdown"], default="json")
        parser.add_argument(
            "--series", help="one series only (required for markdown when there are several)"
        )

    def handle(self, *args, path: Path, format: str, series: str | None, **options):
        if series and not Series.objects.filter(slug=series).exists():
            raise CommandError(f"no series with slug “{series}”")
        if format == "json":
            data = export_json(path, series)
            sessions = sum(len(s["sessions"]) for s in data["series"])
            self.stdout.write(
                self.style.SUCCESS(
                    f"{path / 'archive.json'}: {len(data['series'])} series, {sessions} sessions, "
                    f"{len(data['papers'])} papers, {len(data['people'])} people"
                )
            )
            return
        candidates = Series.objects.filter(slug=series) if series else Series.objects.all()
        if candidates.count() != 1:
            raise CommandError("say which series with --series: a Markdown archive holds one")
        count = export_markdown(path, candidates.get())
        self.stdout.write(self.style.SUCCESS(f"{path / 'README.md'}: {count} public sessions"))
