"""Load the project's own demo archive into an empty database.

`make run` calls this on every start; it does nothing once a series
exists, so it never touches real data.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from papers.identifiers import normalize_arxiv_id
from papers.models import Paper
from sessions.models import Keyword, Person, Series, Session, SessionPresenter, Talk, TalkPresenter

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
    """Create the series, people, papers, sessions and talks described by `data`."""
    series = Series.objects.create(**data["series"])
    people = {entry["name"]: Person.objects.create(**entry) for entry in data.get("people", [])}
    papers: dict[str, Paper] = {}
    keywords: dict[str, Keyword] = {}
    talk_count = 0
    for entry in data["sessions"]:
        session = Session.objects.create(
            series=series,
            number=entry["number"],
            title=entry["title"],
            status=entry.get("status", Session.Status.PUBLISHED),
            venue=entry.get("venue", ""),
            live_url=entry.get("live_url", ""),
            description=entry.get("description", ""),
            **_times(entry, series),
        )
        for name in entry.get("keywords", []):
            if name not in keywords:
                keywords[name] = Keyword.objects.create(name=name)
            session.keywords.add(keywords[name])
        for order, talk_entry in enumerate(entry.get("talks", []), start=1):
            talk = Talk.objects.create(
                session=session,
                order=order,
                segment=talk_entry.get("segment", ""),
                title=talk_entry["title"],
                summary=talk_entry.get("summary", ""),
                tags=talk_entry.get("tags", ""),
                paper=_paper(talk_entry.get("paper"), papers),
            )
            for position, name in enumerate(talk_entry.get("presenters", []), start=1):
                TalkPresenter.objects.create(talk=talk, person=people[name], order=position)
            talk_count += 1
        for position, name in enumerate(entry.get("presenters", []), start=1):
            SessionPresenter.objects.create(session=session, person=people[name], order=position)
    return {
        "sessions": len(data["sessions"]),
        "talks": talk_count,
        "papers": len(papers),
        "people": len(people),
    }


def _times(entry: dict, series: Series) -> dict[str, datetime | None]:
    if "upcoming_in_days" in entry:
        starts_at = next_weekday_evening(series.zone, entry["upcoming_in_days"])
        return {
            "starts_at": starts_at,
            "ends_at": starts_at + timedelta(minutes=entry["duration_minutes"]),
        }

    def parse(value: str | None) -> datetime | None:
        if not value:
            return None
        return datetime.strptime(value, "%Y-%m-%d %H:%M").replace(tzinfo=series.zone)

    return {"starts_at": parse(entry["starts_at"]), "ends_at": parse(entry.get("ends_at"))}


def _paper(entry: dict | None, papers: dict[str, Paper]) -> Paper | None:
    """The paper a talk presents, created on first mention and reused by arXiv id after."""
    if not entry:
        return None
    arxiv_id = normalize_arxiv_id(entry["arxiv_id"])
    if arxiv_id not in papers:
        papers[arxiv_id] = Paper.objects.create(
            title=entry["title"],
            authors="\n".join(entry.get("authors", [])),
            venue=entry.get("venue", ""),
            year=entry.get("year"),
            arxiv_id=arxiv_id,
            code_url=entry.get("code_url", ""),
            project_url=entry.get("project_url", ""),
        )
    return papers[arxiv_id]
