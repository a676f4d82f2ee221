"""Archives out and back in: JSON with media files (a full backup), and Markdown in
the NICE docsify shape (so a group can keep publishing its git repo).

JSON is keyed by content, never by database ids, and ordered, so exporting,
importing into an empty database and exporting again gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path, PurePosixPath

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import DatabaseError, transaction
from django.utils import timezone

from nice.media import sanitize_file
from papers.models import Paper
from sessions import writers
from sessions.archive.docsify import PaperRef, PersonRef, SessionData, TalkData
from sessions.archive.importer import ArchiveWriter, Report
from sessions.models import Person, Series, Session, Talk

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
    data: dict = {"format": FORMAT, "version": VERSION}
    data["series"] = [_series(series, media, people, papers) for series in series_list]
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


def import_json(folder: Path, warnings: list[str] | None = None) -> dict[str, int]:
    """Read an export back through the same writers as every importer: creates what is
    missing, updates what exists, keeps what an organizer added. One transaction: a
    single bad value (a URL that is not http(s), a time zone that does not exist, a
    file that is not an image) imports nothing and says where it is. What the writers
    report (talks kept because they left the backup) is added to `warnings`."""
    path = folder / "archive.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ArchiveFormatError(f"{path}: cannot be read as JSON ({error})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("version") != VERSION:
        raise ArchiveFormatError(f"{path}: not a {FORMAT} version {VERSION} export")
    counts = {"series": 0, "sessions": 0, "talks": 0, "papers": 0, "people": 0}
    where = str(path)
    try:
        with transaction.atomic():
            where = f"{path}: people"
            people = {entry["slug"]: _person_ref(entry) for entry in data["people"]}
            photos = {entry["slug"]: entry["photo"] for entry in data["people"]}
            where = f"{path}: papers"
            papers = {entry["key"]: _paper_ref(entry) for entry in data["papers"]}
            paper_keywords = {entry["key"]: entry["keywords"] for entry in data["papers"]}
            counts["people"], counts["papers"] = len(people), len(papers)
            for index, entry in enumerate(data["series"]):
                where = f"{path}: series[{index}] ({entry.get('slug')})"
                series, _outcome = writers.write_series(
                    _get(entry, "slug", str),
                    name=_get(entry, "name", str),
                    timezone=_get(entry, "timezone", str),
                    description=_get(entry, "description", str),
                )
                _attach(series, "qr_image", _get(entry, "qr_image", str, nullable=True), folder)
                counts["series"] += 1
                report = Report()
                writer = ArchiveWriter(series, report)
                writer.write_people(people.values())
                for number, session_entry in enumerate(entry["sessions"]):
                    where = f"{path}: series[{index}].sessions[{number}] (number {session_entry.get('number')})"
                    session, talks = writer.write(
                        _session_data(session_entry, people, papers, where)
                    )
                    _attach(session, "poster", session_entry["poster"], folder)
                    _attach(session, "qr_image", session_entry["qr_image"], folder)
                    for talk, talk_entry in zip(talks, session_entry["talks"], strict=True):
                        _attach(talk, "slides", talk_entry["slides"], folder)
                    counts["talks"] += len(talks)
                    counts["sessions"] += 1
                if warnings is not None:
                    warnings.extend(str(problem) for problem in report.warnings)
                where = f"{path}: people and papers"
                for slug, photo in photos.items():
                    if slug in writer.people_by_slug:
                        _attach(writer.people_by_slug[slug], "photo", photo, folder)
                for key, names in paper_keywords.items():
                    if key in writer.papers_by_ref:
                        paper = writer.papers_by_ref[key]
                        for name in names:
                            writers.write_keyword(name).papers.add(paper)
    except ValidationError as error:
        raise ArchiveFormatError(
            f"{where}: {' '.join(_messages(error))}; nothing imported"
        ) from None
    except BackupEntryError as error:
        raise ArchiveFormatError(f"{where}: {error}; nothing imported") from None
    except DatabaseError as error:
        raise ArchiveFormatError(
            f"{where}: the database refused this entry ({error}); nothing imported"
        ) from None
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ArchiveFormatError(
            f"{where}: malformed entry ({type(error).__name__}: {error}); nothing imported"
        ) from None
    return counts


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [
            f"{name}: {' '.join(map(str, errors))}" for name, errors in error.message_dict.items()
        ]
    return [str(message) for message in error.messages]


class BackupEntryError(ValueError):
    """A value of the wrong type or a missing key, said in words."""


_KINDS = {
    str: "text",
    int: "a whole number",
    bool: "true or false",
    list: "a list",
    dict: "an object",
}


def _kind(value) -> str:
    return "null" if value is None else _KINDS.get(type(value), type(value).__name__)


def _get(entry, key: str, kind: type, *, nullable: bool = False):
    """entry[key], which must be of `kind` (or null when `nullable`): the format's own
    types, so "false" is not taken for true nor a list stored as its repr."""
    if not isinstance(entry, dict):
        raise BackupEntryError(f"expected an object, got {_kind(entry)}")
    if key not in entry:
        raise BackupEntryError(f"missing key “{key}”")
    value = entry[key]
    if value is None and nullable:
        return None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise BackupEntryError(f"“{key}”: expected {_KINDS[kind]}, got {_kind(value)}")
    return value


def _texts(entry, key: str) -> list[str]:
    values = _get(entry, key, list)
    if not all(isinstance(value, str) for value in values):
        raise BackupEntryError(f"“{key}”: expected a list of text")
    return values


def _time(entry, key: str) -> datetime:
    value = _get(entry, key, str)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BackupEntryError(f"“{key}”: “{value[:40]}” is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise BackupEntryError(f"“{key}”: “{value[:40]}” has no UTC offset")
    return moment


def _optional_time(entry, key: str) -> datetime | None:
    return None if _get(entry, key, str, nullable=True) is None else _time(entry, key)


def _person_ref(entry) -> PersonRef:
    return PersonRef(
        **{
            key: _get(entry, key, str)
            for key in ("name", "slug", "note", "affiliation", "homepage")
        }
    )


def _paper_ref(entry) -> PaperRef:
    fields = {name: _get(entry, name, str) for name in PAPER_FIELDS if name != "year"}
    return PaperRef(
        **fields,
        year=_get(entry, "year", int, nullable=True),
        authors="\n".join(_texts(entry, "authors")),
    )


def _session_data(entry, people: dict, papers: dict, where: str) -> SessionData:
    def presenters(owner) -> list[PersonRef]:
        rows = _get(owner, "presenters", list)
        return [
            replace(
                _known(people, _get(row, "person", str)), affiliation=_get(row, "affiliation", str)
            )
            for row in rows
        ]

    def talk_data(talk) -> TalkData:
        paper = _get(talk, "paper", str, nullable=True)
        return TalkData(
            title=_get(talk, "title", str),
            segment=_get(talk, "segment", str),
            summary=_get(talk, "summary", str),
            tags=[tag.strip() for tag in _get(talk, "tags", str).split(",") if tag.strip()],
            presenters=presenters(talk),
            paper=_known(papers, paper) if paper else None,
            slides_url=_get(talk, "slides_url", str),
            recording_url=_get(talk, "recording_url", str),
        )

    return SessionData(
        number=_get(entry, "number", int),
        title=_get(entry, "title", str),
        starts_at=_time(entry, "starts_at"),
        ends_at=_optional_time(entry, "ends_at"),
        has_start_time=_get(entry, "has_start_time", bool),
        keywords=_texts(entry, "keywords"),
        presenters=presenters(entry),
        talks=[talk_data(talk) for talk in _get(entry, "talks", list)],
        description=_get(entry, "description", str),
        source=where,
        status=_get(entry, "status", str),
        venue=_get(entry, "venue", str),
        live_url=_get(entry, "live_url", str),
    )


def _known(table: dict, key: str):
    if key not in table:
        raise BackupEntryError(f"“{key}” is not among the export's people or papers")
    return table[key]


def _attach(instance, field: str, name: str | None, folder: Path) -> None:
    """Put an exported file back, through the same pipeline as uploads (so an HTML
    file named .pdf or an SVG named .png is refused), under its exported name when
    the pipeline keeps its format."""
    current = getattr(instance, field)
    if not name or current.name == name:
        return
    media = (folder / "media").resolve()
    source = (media / name).resolve()
    if not source.is_relative_to(media) or PurePosixPath(name).is_absolute():
        raise ArchiveFormatError(f"{name}: a media name must stay inside media/; nothing imported")
    if not source.is_file():
        raise ArchiveFormatError(f"{source}: missing from the export")
    kind = "pdf" if field == "slides" else "image"
    try:
        cleaned = sanitize_file(source.read_bytes(), PurePosixPath(name).name, kind)
    except ValidationError as error:
        raise ArchiveFormatError(
            f"{source}: {' '.join(error.messages)}; nothing imported"
        ) from None
    # Always the checked bytes: a file already in storage under that name is not
    # trusted to be the same one (the storage picks a free name if it is taken).
    stored = default_storage.save(
        str(PurePosixPath(name).with_name(cleaned.name or PurePosixPath(name).name)), cleaned
    )
    setattr(instance, field, stored)
    instance.save(update_fields=[field])


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
