"""Load the project's own demo archive into an empty database.

`make run` calls this on every start; it does nothing once a series
exists, so it never touches real data.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from sessions.archive.docsify import PaperRef, PersonRef, SessionData, TalkData
from sessions.archive.importer import ArchiveWriter, Report
from sessions.models import Series, Session
from sessions.writers import write_series

DEMO_ARCHIVE = Path(__file__).resolve().parents[2] / "demo" / "archive.json"


def next_weekday_evening(zone, days_ahead: int, now: datetime | None = None) -> datetime:
    """19:00 local time on the Saturday at least `days_ahead` days from now.

    Keeps the demo's upcoming sessions upcoming whenever it is loaded.
    """
    local_now = timezone.localtime(now or timezone.now(), zone)
    day = local_now.date() + timedelta(days=days_ahead)
    day += timedelta(days=(5 - day.weekday()) % 7)
    return datetime(day.year, day.month, day.day, 19, 0, tzinfo=zone)


class Command(BaseCommand):
    help = "Load the demo archive (one series, 15 sessions) if the database has no series yet."

    def add_arguments(self, parser):
        parser.add_argument("--path", type=Path, default=DEMO_ARCHIVE)

    def handle(self, *args, path: Path, **options):
        if Series.objects.exists():
            if options["verbosity"]:
                self.stdout.write("The database already has a series; demo data not loaded.")
            return
        data = json.loads(path.read_text(encoding="utf-8"))
        with transaction.atomic():
            counts = load_archive(data)
        if options["verbosity"]:
            self.stdout.write(
                self.style.SUCCESS(
                    "Loaded {sessions} sessions, {talks} talks, {papers} papers, {people} people.".format(
                        **counts
                    )
                )
            )


def load_archive(data: dict) -> dict[str, int]:
    """Create the series, people, papers, sessions and talks described by `data`,
    through the same writers as every importer and the workspace."""
    series, _outcome = write_series(**data["series"])
    writer = ArchiveWriter(series, Report())
    people = {entry["name"]: PersonRef(**entry) for entry in data.get("people", [])}
    writer.write_people(people.values())
    talk_count = 0
    for entry in data["sessions"]:
        starts_at, ends_at = _times(entry, series)
        writer.write(
            SessionData(
                number=entry["number"],
                title=entry["title"],
                starts_at=starts_at,
                ends_at=ends_at,
                has_start_time=True,
                keywords=entry.get("keywords", []),
                presenters=[people[name] for name in entry.get("presenters", [])],
                talks=[_talk(talk, people) for talk in entry.get("talks", [])],
                description=entry.get("description", ""),
                source=f"demo session {entry['number']}",
                status=entry.get("status", Session.Status.PUBLISHED),
                venue=entry.get("venue", ""),
                live_url=entry.get("live_url", ""),
            )
        )
        talk_count += len(entry.get("talks", []))
    return {
        "sessions": len(data["sessions"]),
        "talks": talk_count,
        "papers": len(writer.papers_by_ref),
        "people": len(people),
    }


def _talk(entry: dict, people: dict[str, PersonRef]) -> TalkData:
    paper = entry.get("paper")
    return TalkData(
        title=entry["title"],
        segment=entry.get("segment", ""),
        summary=entry.get("summary", ""),
        tags=[tag.strip() for tag in entry.get("tags", "").split(",") if tag.strip()],
        presenters=[replace(people[name], affiliation="") for name in entry.get("presenters", [])],
        paper=(
            PaperRef(
                title=paper.get("title", ""),
                arxiv_id=paper["arxiv_id"],
                authors="\n".join(paper.get("authors", [])),
                venue=paper.get("venue", ""),
                year=paper.get("year"),
                code_url=paper.get("code_url", ""),
                project_url=paper.get("project_url", ""),
            )
            if paper
            else None
        ),
    )


def _times(entry: dict, series: Series) -> tuple[datetime, datetime | None]:
    if "upcoming_in_days" in entry:
        starts_at = next_weekday_evening(series.zone, entry["upcoming_in_days"])
        return starts_at, starts_at + timedelta(minutes=entry["duration_minutes"])

    def parse(value: str | None) -> datetime | None:
        if not value:
            return None
        return datetime.strptime(value, "%Y-%m-%d %H:%M").replace(tzinfo=series.zone)

    starts_at = datetime.strptime(entry["starts_at"], "%Y-%m-%d %H:%M").replace(tzinfo=series.zone)
    return starts_at, parse(entry.get("ends_at"))
