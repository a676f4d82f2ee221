"""python manage.py import_archive PATH [--series SLUG] [--dry-run] [--strict]

Imports a session archive kept in the NICE docsify format (an index table
plus one Markdown page per session). Safe to run again: an unchanged
archive changes nothing, a newer one updates what changed.
"""

from __future__ import annotations

import time
import zoneinfo
from contextlib import nullcontext
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, transaction
from django.utils.text import slugify

from nice.filecleanup import no_orphan_files
from nice.progress import ProgressBar
from sessions.archive.docsify import ArchiveError, Problem, SessionData, read_archive
from sessions.archive.exchange import ArchiveFormatError, import_json
from sessions.archive.importer import ArchiveWriter, Report, attach_series_qr
from sessions.models import Series, validate_timezone
from sessions.writers import write_series

DEFAULT_ZONE = "Asia/Shanghai"


class Command(BaseCommand):
    help = "Import a session archive in the NICE docsify format (index README.md + pages)."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="the archive's root: the folder with README.md")
        parser.add_argument(
            "--format",
            choices=["docsify", "json"],
            default="docsify",
            help="docsify: NICE's Markdown archive (default); json: an export_archive backup",
        )
        parser.add_argument("--series", help="series slug (default: from the index, e.g. nice)")
        parser.add_argument("--series-name", help="name for a new series (default: e.g. NICE)")
        parser.add_argument(
            "--timezone",
            help="the zone the archive's times are in (default: an existing series' own, "
            f"else {DEFAULT_ZONE})",
        )
        parser.add_argument("--dry-run", action="store_true", help="report, write nothing")
        parser.add_argument("--strict", action="store_true", help="abort on the first bad page")

    def handle(self, *args, path: Path, dry_run: bool, strict: bool, **options):
        started = time.perf_counter()
        if options["format"] == "json":
            return self._import_json(path)
        given = options["timezone"]
        try:
            validate_timezone(given or DEFAULT_ZONE)
        except ValidationError:
            raise CommandError(f"unknown time zone: {given}") from None
        zone = zoneinfo.ZoneInfo(given or DEFAULT_ZONE)
        archive = self._read(path, zone)
        slug = (
            options["series"] or slugify(archive.series_prefix or path.resolve().name) or "archive"
        )
        existing = Series.objects.filter(slug=slug).first()
        if existing and existing.timezone != zone.key:
            # The series' zone is the one rule for its times; an import follows it.
            if given:
                raise CommandError(
                    f"nothing imported: series “{slug}” keeps its times in {existing.timezone}, "
                    f"not {given}; leave out --timezone"
                )
            zone = existing.zone
            archive = self._read(path, zone)

        report = Report(warnings=list(archive.warnings), errors=list(archive.errors))
        if strict and report.errors:
            raise CommandError(f"nothing imported: {report.errors[0]}")
        prefix = archive.series_prefix or path.resolve().name
        # Each session commits on its own, so an import that is stopped halfway keeps
        # the sessions it finished; --strict (all or nothing) and --dry-run (nothing)
        # wrap the whole run in one transaction instead.
        whole_run = transaction.atomic() if strict or dry_run else nullcontext()
        with no_orphan_files(), whole_run:
            series = self._series(slug, options["series_name"] or prefix, zone.key)
            writer = ArchiveWriter(series, report)
            progress = ProgressBar(self.stderr, "sessions", len(archive.sessions))
            in_order = sorted(archive.sessions, key=lambda s: s.number)
            writer.prepare(in_order)
            for done, data in enumerate(in_order, 1):
                progress.update(done)
                try:
                    writer.write(data)
                except (DatabaseError, ValidationError) as error:
                    problem = Problem(
                        _where(error, data), f"session {data.number} not saved: {_describe(error)}"
                    )
                    if strict:
                        raise CommandError(f"nothing imported: {problem}") from None
                    report.errors.append(problem)
            attach_series_qr(
                series, next((s.qr_image for s in archive.sessions if s.qr_image), None), report
            )
            if dry_run:
                # Everything ran for real, so the report is exact; none of it stays.
                transaction.set_rollback(True)
        if dry_run:
            self.stdout.write("dry run: nothing was written. It would have made these changes:")

        for line in report.summary_lines():
            self.stdout.write(line)
        seconds = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(archive.sessions)} sessions read, {len(report.errors)} skipped, "
                f"{report.changes} changes, in {seconds:.2f} s"
            )
        )

    def _read(self, path: Path, zone: zoneinfo.ZoneInfo):
        try:
            return read_archive(path, zone)
        except ArchiveError as error:
            raise CommandError(f"nothing imported: {error}") from None

    def _series(self, slug: str, name: str, zone: str) -> Series:
        """The series to import into; a new one is written like any other series."""
        existing = Series.objects.filter(slug=slug).first()
        if existing:
            return existing
        try:
            series, _outcome = write_series(slug, name=name, timezone=zone)
        except ValidationError as error:
            raise CommandError(f"series “{slug}” cannot be created: {_describe(error)}") from None
        self.stdout.write(f"created series “{series.name}” ({slug})")
        return series

    def _import_json(self, path: Path) -> None:
        if path.is_file():
            if path.name != "archive.json":
                raise CommandError(
                    f"{path}: give the folder of an export (archive.json and media/)"
                )
            path = path.parent
        warnings: list[str] = []
        try:
            with no_orphan_files():
                counts = import_json(path, warnings)
        except ArchiveFormatError as error:
            raise CommandError(str(error)) from None
        for warning in warnings:
            self.stdout.write(f"warning: {warning}")
        self.stdout.write(
            self.style.SUCCESS(
                ", ".join(f"{count} {kind}" for kind, count in counts.items()) + " imported"
            )
        )


def _where(error: Exception, data: SessionData) -> str:
    """The file:line of the first refused field the archive says where it came from."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for name in error.error_dict:
            if name in data.where:
                return data.where[name]
    return data.source


def _describe(error: Exception) -> str:
    """A validation or database error as one line for the report."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        return "; ".join(
            f"{name}: {' '.join(str(m) for m in messages)}"
            for name, messages in error.message_dict.items()
        )
    if isinstance(error, ValidationError):
        return " ".join(str(m) for m in error.messages)
    return str(error)
