"""Archives out and back in: JSON with media files (a full backup), and Markdown in
the NICE docsify shape (so a group can keep publishing its git repo).

JSON is keyed by content, never by database ids, and ordered, so exporting,
importing into an empty database and exporting again gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from papers.models import Paper
from sessions.models import Keyword, Person, Series, Session, SessionPresenter, Talk, TalkPresenter

FORMAT = "nice-archive"
VERSION = 1
PAPER_FIELDS = (
    "title",
    "venue",
    "year",
    "arxiv_id",
    "doi",
    "url",
    "code_url",
    "project_url",
    "abstract",
    "notes",
    "primary_category",
)
PERSON_FIELDS = ("name", "affiliation", "homepage", "note")


def paper_key(paper: Paper) -> str:
    if paper.arxiv_id:
        return f"arxiv:{paper.arxiv_id}"
    if paper.doi:
        return f"doi:{paper.doi}"
    return "title:" + hashlib.sha256(paper.title.encode()).hexdigest()[:16]


# ---------------------------------------------------------------- JSON out


def export_json(folder: Path, series_slug: str | None = None) -> dict:
    """Write archive.json and media/ into `folder`; return the data. Hits the database."""
    series_list = Series.objects.order_by("slug")
    if series_slug:
        series_list = series_list.filter(slug=series_slug)
    media: set[str] = set()
    people: dict[str, Person] = {}
    papers: dict[str, Paper] = {}
    data = {"format": FORMAT, "version": VERSION, "series": []}
    for series in series_list:
        data["series"].append(_series(series, media, people, papers))
    data["people"] = [
        {"slug": slug, **{f: getattr(p, f) for f in PERSON_FIELDS}, "photo": _file(p.photo, media)}
        for slug, p in sorted(people.items())
    ]
    data["papers"] = [
        {
            "key": key,
            **{f: getattr(p, f) for f in PAPER_FIELDS},
            "authors": p.author_list,
            "keywords": sorted(k.name for k in p.keywords.all()),
        }
        for key, p in sorted(papers.items())
    ]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "archive.json").write_text(dump(data), encoding="utf-8")
    for name in sorted(media):
        target = folder / "media" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with default_storage.open(name, "rb") as source:
            target.write_bytes(source.read())
    return data


def dump(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def _file(field_file, media: set[str]) -> str | None:
    if not field_file:
        return None
    media.add(field_file.name)
    return field_file.name


def _series(series: Series, media, people, papers) -> dict:
    sessions = series.sessions.order_by("number").prefetch_related(
        "keywords",
        "session_presenters__person",
        "talks__talk_presenters__person",
        "talks__paper__keywords",
    )
    return {
        "slug": series.slug,
        "name": series.name,
        "description": series.description,
        "timezone": series.timezone,
        "qr_image": _file(series.qr_image, media),
        "sessions": [_session(session, series, media, people, papers) for session in sessions],
    }


def _presenters(rows, people) -> list[dict]:
    result = []
    for row in rows:
        people[row.person.slug] = row.person
        result.append({"person": row.person.slug, "affiliation": row.affiliation})
    return result


def _session(session: Session, series: Series, media, people, papers) -> dict:
    zone = series.zone
    talks = []
    for talk in session.talks.all():
        if talk.paper:
            papers[paper_key(talk.paper)] = talk.paper
        talks.append(
            {
                "order": talk.order,
                "segment": talk.segment,
                "title": talk.title,
                "summary": talk.summary,
                "tags": talk.tags,
                "paper": paper_key(talk.paper) if talk.paper else None,
                "presenters": _presenters(talk.talk_presenters.all(), people),
                "slides": _file(talk.slides, media),
                "slides_url": talk.slides_url,
                "recording_url": talk.recording_url,
            }
        )
    return {
        "number": session.number,
        "title": session.title,
        "status": session.status,
        "starts_at": timezone.localtime(session.starts_at, zone).isoformat(),
        "ends_at": timezone.localtime(session.ends_at, zone).isoformat()
        if session.ends_at
        else None,
        "has_start_time": session.has_start_time,
        "venue": session.venue,
        "live_url": session.live_url,
        "description": session.description,
        "keywords": sorted(k.name for k in session.keywords.all()),
        "poster": _file(session.poster, media),
        "qr_image": _file(session.qr_image, media),
        "presenters": _presenters(session.session_presenters.all(), people),
        "talks": talks,
    }


# ---------------------------------------------------------------- JSON in


class ArchiveFormatError(ValueError):
    pass


def import_json(folder: Path) -> dict[str, int]:
    """Read an export back: creates what is missing, updates what exists. One transaction."""
    path = folder / "archive.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ArchiveFormatError(f"{path}: cannot be read as JSON ({error})") from None
    if data.get("format") != FORMAT or data.get("version") != VERSION:
        raise ArchiveFormatError(f"{path}: not a {FORMAT} version {VERSION} export")
    counts = {"series": 0, "sessions": 0, "talks": 0, "papers": 0, "people": 0}
    with transaction.atomic():
        keywords: dict[str, Keyword] = {}
        people = {entry["slug"]: _person(entry, folder) for entry in data["people"]}
        papers = {entry["key"]: _paper(entry, keywords) for entry in data["papers"]}
        counts["people"], counts["papers"] = len(people), len(papers)
        for entry in data["series"]:
            series, _created = Series.objects.update_or_create(
                slug=entry["slug"],
                defaults={
                    "name": entry["name"],
                    "description": entry["description"],
                    "timezone": entry["timezone"],
                },
            )
            _attach(series, "qr_image", entry["qr_image"], folder)
            counts["series"] += 1
            for session_entry in entry["sessions"]:
                counts["talks"] += _import_session(
                    series, session_entry, people, papers, keywords, folder
                )
                counts["sessions"] += 1
    return counts


def _keyword(name: str, keywords: dict[str, Keyword]) -> Keyword:
    if name not in keywords:
        keywords[name] = Keyword.objects.filter(name=name).first() or Keyword.objects.create(
            name=name
        )
    return keywords[name]


def _person(entry: dict, folder: Path) -> Person:
    person = Person.objects.filter(slug=entry["slug"]).first() or Person(slug=entry["slug"])
    for name in PERSON_FIELDS:
        setattr(person, name, entry[name])
    person.save()
    _attach(person, "photo", entry["photo"], folder)
    return person


def _paper(entry: dict, keywords) -> Paper:
    paper = None
    if entry["arxiv_id"]:
        paper = Paper.objects.filter(arxiv_id=entry["arxiv_id"]).first()
    if paper is None and entry["doi"]:
        paper = Paper.objects.filter(doi=entry["doi"]).first()
    paper = (
        paper or Paper.objects.filter(title=entry["title"], arxiv_id="", doi="").first() or Paper()
    )
    for name in PAPER_FIELDS:
        setattr(paper, name, entry[name])
    paper.authors = "\n".join(entry["authors"])
    paper.save()
    for name in entry["keywords"]:
        _keyword(name, keywords).papers.add(paper)
    return paper


def _import_session(series, entry, people, papers, keywords, folder) -> int:
    session = Session.objects.filter(series=series, number=entry["number"]).first() or Session(
        series=series, number=entry["number"]
    )
    for name in ("title", "status", "has_start_time", "venue", "live_url", "description"):
        setattr(session, name, entry[name])
    session.starts_at = datetime.fromisoformat(entry["starts_at"])
    session.ends_at = datetime.fromisoformat(entry["ends_at"]) if entry["ends_at"] else None
    session.save()
    session.keywords.set([_keyword(name, keywords) for name in entry["keywords"]])
    _attach(session, "poster", entry["poster"], folder)
    _attach(session, "qr_image", entry["qr_image"], folder)
    session.session_presenters.all().delete()
    SessionPresenter.objects.bulk_create(
        SessionPresenter(
            session=session, person=people[row["person"]], affiliation=row["affiliation"], order=i
        )
        for i, row in enumerate(entry["presenters"], start=1)
    )
    session.talks.all().delete()
    for talk_entry in entry["talks"]:
        talk = Talk.objects.create(
            session=session,
            order=talk_entry["order"],
            segment=talk_entry["segment"],
            title=talk_entry["title"],
            summary=talk_entry["summary"],
            tags=talk_entry["tags"],
            paper=papers[talk_entry["paper"]] if talk_entry["paper"] else None,
            slides_url=talk_entry["slides_url"],
            recording_url=talk_entry["recording_url"],
        )
        _attach(talk, "slides", talk_entry["slides"], folder)
        TalkPresenter.objects.bulk_create(
            TalkPresenter(
                talk=talk, person=people[row["person"]], affiliation=row["affiliation"], order=i
            )
            for i, row in enumerate(talk_entry["presenters"], start=1)
        )
    return len(entry["talks"])


def _attach(instance, field: str, name: str | None, folder: Path) -> None:
    """Put an exported file back under its own name (names are random, so they stay unique)."""
    current = getattr(instance, field)
    if not name or current.name == name:
        return
    source = folder / "media" / name
    if not source.is_file():
        raise ArchiveFormatError(f"{source}: missing from the export")
    if not default_storage.exists(name):
        default_storage.save(name, ContentFile(source.read_bytes()))
    setattr(instance, field, name)
    instance.save()


# ---------------------------------------------------------------- Markdown out


def export_markdown(folder: Path, series: Series) -> int:
    """The NICE docsify shape: README.md index plus docs/files/nice_<N>.md per public session."""
    prefix = series.slug.upper()
    sessions = list(Session.objects.public().filter(series=series).with_cards().order_by("-number"))
    rows = [
        "| ID | Date | Title | Presenter | Keywords | Link |",
        "| ---- | ---- | --- | --- | --- | --- |",
    ]
    pages = folder / "docs" / "files"
    pages.mkdir(parents=True, exist_ok=True)
    for session in sessions:
        local = timezone.localtime(session.starts_at, series.zone)
        link = f"./docs/files/nice_{session.number}.md"
        presenters = ", ".join(
            a.person.name + (f"（{a.person.note}）" if a.person.note else "")
            for a in session.appearances
        )
        keywords = "，".join(k.name for k in session.keywords.all())
        rows.append(
            f"| {prefix} {session.number}期 | {local.year}.{local.month}.{local.day} | [{_cell(session.title)}]({link}) "
            f"| {_cell(presenters)} | {_cell(keywords)} | [Link]({link}) |"
        )
        (pages / f"nice_{session.number}.md").write_text(_page(session, prefix), encoding="utf-8")
    index = f"# {series.name}\n\n## {prefix} 往期分享\n\n" + "\n".join(rows) + "\n"
    (folder / "README.md").write_text(index, encoding="utf-8")
    return len(sessions)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _page(session: Session, prefix: str) -> str:
    zone = session.series.zone
    start = timezone.localtime(session.starts_at, zone)
    when = f"{start.year}.{start.month}.{start.day}"
    if session.has_start_time:
        when += start.strftime(" %H:%M")
        if session.ends_at:
            when += timezone.localtime(session.ends_at, zone).strftime("-%H:%M")
    parts = [
        f"# {prefix} {session.number}期 | {session.title}",
        "## 主题",
        session.title,
        "## 时间",
        when,
        "## 内容",
    ]
    talks = list(session.talks.all())
    if any(t.appearances for t in talks) and not any(t.summary for t in talks):
        parts.append(_talk_list(talks))
    elif talks:
        blocks, segment = [], ""
        for talk in talks:
            if talk.segment and talk.segment != segment:
                blocks.append(f"{talk.segment}：")
            segment = talk.segment
            blocks.append(_paper_block(talk))
        parts.append("\n\n".join(blocks))
    elif session.description:
        parts.append(session.description)
    return "\n\n".join(parts) + "\n"


def _paper_block(talk: Talk) -> str:
    venue = f"[{talk.paper.venue}] " if talk.paper and talk.paper.venue else ""
    lines = [f"论文：{venue}{talk.title}"]
    if talk.paper and talk.paper.arxiv_id:
        lines.append(f"论文链接：{talk.paper.arxiv_url}")
    elif talk.paper and talk.paper.url:
        lines.append(f"论文链接：{talk.paper.url}")
    if talk.paper and talk.paper.code_url:
        lines.append(f"项目地址：{talk.paper.code_url}")
    block = "\n".join(lines)
    if talk.summary:
        block += "\n\n" + "\n".join(
            f"论文介绍：{line}" if i == 0 else line
            for i, line in enumerate(talk.summary.split("\n"))
            if line.strip()
        )
    return block


def _talk_list(talks: list[Talk]) -> str:
    lines, segment = [], None
    for talk in talks:
        if talk.segment != segment and talk.segment:
            lines.append(f"\n{talk.segment}：")
        segment = talk.segment
        tags = "".join(f"[{tag}] " for tag in talk.tag_list)
        person = talk.appearances[0]
        lines.append(f"- {tags}{talk.title}，{person.person.name} {person.affiliation}".rstrip())
    return "\n".join(lines).strip()
