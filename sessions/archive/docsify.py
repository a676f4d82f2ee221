"""Read an archive kept in the NICE docsify format: an index table plus one page per session.

Pure parsing, no database: `read_archive()` turns a folder into SessionData
records and a list of problems, each with the file and line it comes from.
The shapes handled here are those of the real NICE archive (see
../shared/examples/README.md); each quirk has a small function of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from papers.identifiers import normalize_arxiv_id

# ---------------------------------------------------------------- records


@dataclass
class PersonRef:
    name: str
    note: str = ""
    affiliation: str = ""
    # Only the JSON exchange format has these.
    slug: str = ""
    homepage: str = ""


@dataclass
class PaperRef:
    title: str
    arxiv_id: str = ""
    url: str = ""
    code_url: str = ""
    project_url: str = ""
    venue: str = ""
    year: int | None = None
    # Only the JSON exchange format has these.
    doi: str = ""
    authors: str = ""
    abstract: str = ""
    notes: str = ""
    primary_category: str = ""


@dataclass
class TalkData:
    title: str
    segment: str = ""
    summary: str = ""
    tags: list[str] = field(default_factory=list)
    presenters: list[PersonRef] = field(default_factory=list)
    paper: PaperRef | None = None
    # None: the archive does not say, and what is stored stays (an organizer's work).
    slides_url: str | None = None
    recording_url: str | None = None


@dataclass
class SessionData:
    number: int
    title: str
    starts_at: datetime
    ends_at: datetime | None
    has_start_time: bool
    keywords: list[str]
    presenters: list[PersonRef]
    talks: list[TalkData]
    description: str
    source: str
    qr_image: Path | None = None
    # None: the archive does not say. Only the JSON format and the demo give these.
    status: str | None = None
    venue: str | None = None
    live_url: str | None = None


@dataclass
class Problem:
    """Something the importer could not take as it is, with where it stands."""

    where: str  # "README.md:12" or "docs/files/nice_47.md:9"
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


class PageError(Exception):
    """A page that cannot be imported; its session is skipped."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.problem = Problem(where, message)


@dataclass
class IndexRow:
    line: int
    number: int
    prefix: str
    day: date | None
    title: str
    links: list[str]
    presenters: list[PersonRef]
    keywords: list[str]


@dataclass
class Archive:
    series_prefix: str
    sessions: list[SessionData]
    errors: list[Problem]
    warnings: list[Problem]


# ---------------------------------------------------------------- small parsers

_DATE = re.compile(r"(\d{4})\s*[.\-/年]\s*(\d{1,2})\s*[.\-/月]\s*(\d{1,2})")
# 19:00, 9：00 (full-width colon), with an optional "-21:00" end.
_TIME_RANGE = re.compile(
    r"(?<!\d)(\d{1,2})\s*[:：]\s*(\d{2})(?:\s*[-–~～至]\s*(\d{1,2})\s*[:：]\s*(\d{2}))?"
)
_FULL_WIDTH_NOTE = re.compile(r"（([^（）]*)）")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.、)])\s+")
_SEGMENT_LABEL = re.compile(r"^(第[一二三四五六七八九十\d]+场)\s*[：:]?\s*$")
_BRACKET_PREFIX = re.compile(r"^\[([^\]]+)\]\s*")
_VENUE = re.compile(r"^([A-Za-z][A-Za-z&\- ]*?)\s*'?(\d{4}|\d{2})$")
_URL = re.compile(r"https?://\S+")
_LABELLED_LINE = re.compile(r"^([^\s：:]{1,6})[：:]\s*(.*)$")
_TERMINAL_PUNCTUATION = "。．.!！?？;；"
# A line this long, or a full sentence this long, is prose rather than a heading.
PROSE_MIN_CHARS = 60
SENTENCE_MIN_CHARS = 20
# A page with this much prose (and no other shape) is one talk with an abstract.
ABSTRACT_MIN_CHARS = 80


def parse_date(text: str) -> date | None:
    match = _DATE.search(text)
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def parse_time_section(text: str) -> tuple[date | None, time | None, time | None]:
    """The date, start and end of a `## 时间` section, in any of the archive's shapes.

    `2025.3.15 19:00`, `2023.11.26 14:00-17:00`, `2024.12.28 10:30-12:00 周六`,
    `第一场：2025.06.22 (周日) 9：00`, or a bare date. The first date wins.
    """
    match = _DATE.search(text)
    if not match:
        return None, None, None
    day = parse_date(match[0])
    if day is None:
        return None, None, None
    times = _TIME_RANGE.search(text, match.end())
    if not times:
        return day, None, None
    try:
        start = time(int(times[1]), int(times[2]))
        end = time(int(times[3]), int(times[4])) if times[3] else None
    except ValueError:
        return day, None, None
    return day, start, end


def split_people(cell: str) -> list[PersonRef]:
    """`张宇森 , 翟胜方，黎健进（知乎：Lil2J）` → three people, the note kept apart.

    Latin names keep their own ASCII parentheses: `Qiyao (Chi-Yao) Wei`.
    """
    people: list[PersonRef] = []
    seen: set[str] = set()
    for part in re.split(r"[,，、]", cell):
        note = "; ".join(n.strip() for n in _FULL_WIDTH_NOTE.findall(part))
        name = " ".join(_FULL_WIDTH_NOTE.sub("", part).split())
        if name and name not in seen:
            seen.add(name)
            people.append(PersonRef(name=name, note=note))
    return people


def split_keywords(cell: str) -> list[str]:
    keywords: list[str] = []
    for part in re.split(r"[,，、]", cell):
        keyword = part.strip()
        if keyword and keyword not in keywords:
            keywords.append(keyword)
    return keywords


def split_venue_and_tags(title: str) -> tuple[str, str, int | None, list[str]]:
    """Leading brackets of a title: `[ICLR 2025]` is a venue, `[Oral]` a tag."""
    venue, year, tags = "", None, []
    while match := _BRACKET_PREFIX.match(title):
        inside = match[1].strip()
        venue_match = _VENUE.match(inside)
        if venue_match and not venue:
            venue = inside
            digits = venue_match[2]
            year = int(digits) if len(digits) == 4 else 2000 + int(digits)
        else:
            tags.append(inside)
        title = title[match.end() :]
    return title.strip(), venue, year, tags


def paper_link_fields(url: str, label: str = "") -> dict[str, str]:
    """Where a link belongs on a paper: arXiv id, code, project page or plain link."""
    url = url.rstrip("。，,.;；)）")
    try:
        return {"arxiv_id": normalize_arxiv_id(url)}
    except ValueError:
        pass
    if re.match(r"https?://(www\.)?github\.com/", url):
        return {"code_url": url}
    if "项目" in label or "主页" in label or "project" in label.lower():
        return {"project_url": url}
    return {"url": url}


def as_markdown(lines: list[str]) -> str:
    """Source lines to Markdown that keeps their breaks: each line of prose its own
    paragraph (the archive breaks lines between paragraphs), list items together."""
    blocks: list[list[str]] = []
    for line in lines:
        stripped = line.strip()
        if not stripped:
            continue
        is_item = bool(_LIST_ITEM.match(stripped))
        if is_item and blocks and _LIST_ITEM.match(blocks[-1][-1]):
            blocks[-1].append(stripped)
        else:
            blocks.append([stripped])
    return "\n\n".join("\n".join(block) for block in blocks)


def _is_prose(line: str) -> bool:
    text = line.strip()
    if not text or _LIST_ITEM.match(text):
        return False
    is_sentence = len(text) >= SENTENCE_MIN_CHARS and text[-1] in _TERMINAL_PUNCTUATION
    return len(text) >= PROSE_MIN_CHARS or is_sentence


def _is_heading_like(line: str) -> bool:
    text = line.strip()
    return (
        0 < len(text) < PROSE_MIN_CHARS
        and not _LIST_ITEM.match(text)
        and text[-1] not in _TERMINAL_PUNCTUATION
        and not _URL.search(text)
    )


def same_but_spacing(a: str, b: str) -> bool:
    return "".join(a.split()) == "".join(b.split())


# ---------------------------------------------------------------- the index


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip().strip("|"))]


def _link(cell: str) -> tuple[str, str]:
    """`[text](href)` → (text, href); the text may hold brackets of its own: `…分享[1]`."""
    match = re.fullmatch(r"\[(.*)\]\(\s*([^)\s]*)\s*\)", cell.strip())
    return (match[1].strip(), match[2]) if match else (cell.strip(), "")


def parse_index(text: str, where: str) -> tuple[list[IndexRow], list[Problem]]:
    """The rows of the `| ID | Date | Title | Presenter | Keywords | Link |` table."""
    rows: list[IndexRow] = []
    problems: list[Problem] = []
    columns: dict[str, int] | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.lstrip().startswith("|"):
            if columns is not None and rows:
                break  # the table has ended
            continue
        cells = _cells(line)
        if columns is None:
            lowered = [cell.lower() for cell in cells]
            if "id" in lowered and "title" in lowered:
                columns = {name: lowered.index(name) for name in lowered}
            continue
        if all(re.fullmatch(r":?-{2,}:?", cell) for cell in cells if cell):
            continue  # the | --- | separator
        row = _index_row(cells, columns, number, where, problems)
        if row:
            rows.append(row)
    if columns is None:
        problems.append(Problem(where, "no index table with ID and Title columns was found"))
    return rows, problems


def _index_row(cells, columns, line, where, problems) -> IndexRow | None:
    def cell(name: str) -> str:
        index = columns.get(name)
        return cells[index] if index is not None and index < len(cells) else ""

    here = f"{where}:{line}"
    id_match = re.match(r"\s*([A-Za-z]*)\s*(\d+)", cell("id"))
    if not id_match:
        problems.append(Problem(here, f"no session number in the ID cell “{cell('id')}”"))
        return None
    title, title_href = _link(cell("title"))
    _, link_href = _link(cell("link"))
    day = parse_date(cell("date"))
    if cell("date") and day is None:
        problems.append(Problem(here, f"“{cell('date')}” is not a date"))
    return IndexRow(
        line=line,
        number=int(id_match[2]),
        prefix=id_match[1],
        day=day,
        title=title,
        links=[href for href in (link_href, title_href) if href],
        presenters=split_people(cell("presenter")),
        keywords=split_keywords(cell("keywords")),
    )


def merge_rows(rows: list[IndexRow], where: str) -> tuple[list[list[IndexRow]], list[Problem]]:
    """Rows that share a session number (NICE 70 in two parts) become one group."""
    groups: dict[int, list[IndexRow]] = {}
    problems: list[Problem] = []
    for row in rows:
        group = groups.setdefault(row.number, [])
        if group and row.day and group[0].day and row.day != group[0].day:
            problems.append(
                Problem(
                    f"{where}:{row.line}",
                    f"session {row.number} is listed again with another date "
                    f"({row.day} instead of {group[0].day}); the first is kept",
                )
            )
        group.append(row)
    return list(groups.values()), problems


# ---------------------------------------------------------------- a page


@dataclass
class Page:
    heading_number: int | None
    heading_title: str
    sections: dict[str, list[tuple[int, str]]]  # name → [(line number, text)]
    footer_images: list[str]


def parse_page(text: str, where: str) -> Page:
    """Split a session page into its heading, its `##` sections and its 入群 footer."""
    heading_number, heading_title = None, ""
    sections: dict[str, list[tuple[int, str]]] = {}
    current: list[tuple[int, str]] | None = None
    footer_images: list[str] = []
    in_footer = False
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if in_footer:
            footer_images.extend(re.findall(r"<img[^>]*\bsrc=[\"']([^\"']+)", line))
            continue
        if stripped.startswith("# ") and not heading_title:
            match = re.match(r"#\s*[A-Za-z]*\s*(\d+)\s*期?\s*[|｜]\s*(.+)$", stripped)
            if match:
                heading_number, heading_title = int(match[1]), match[2].strip()
            else:
                heading_title = stripped[2:].strip()
            continue
        if re.match(r"#{2,}\s*入群", stripped) or stripped.startswith("<div"):
            # The fixed "join the group" footer: never part of a description.
            in_footer = True
            footer_images.extend(re.findall(r"<img[^>]*\bsrc=[\"']([^\"']+)", line))
            continue
        if re.match(r"##\s+", stripped) and not stripped.startswith("###"):
            current = sections.setdefault(stripped.lstrip("#").strip(), [])
            continue
        if current is not None:
            current.append((number, line.rstrip()))
    if not heading_title and not sections:
        raise PageError(f"{where}:1", "not a session page: no “# NICE N期 | title” heading")
    return Page(heading_number, heading_title, sections, footer_images)


# ---------------------------------------------------------------- talks


def extract_talks(
    lines: list[tuple[int, str]], session_title: str, presenters: list[PersonRef]
) -> tuple[list[TalkData], str]:
    """The talks of a `## 内容` section, and what remains as the session description.

    Tries each shape the archive uses, most specific first; an agenda or a list
    of topics stays the description rather than inventing talks.
    """
    # A first line that only repeats the section's name ("内容") says nothing.
    texts = [text for _, text in lines]
    while texts and texts[0].strip() in {"", "内容"}:
        texts.pop(0)
    stripped = [text.strip() for text in texts]
    if any(re.match(r"论文\s*[：:]", text) for text in stripped):
        talks = _paper_blocks(stripped)
    elif any(re.match(r"标题\s*[：:]", text) for text in stripped):
        talks = [_titled_paper(stripped)]
    elif talks := _presenter_list(stripped, presenters):
        pass
    else:
        talks = _headed_paragraphs(stripped)
        if not talks and sum(len(t) for t in stripped if _is_prose(t)) >= ABSTRACT_MIN_CHARS:
            # One talk: an outline and a long abstract (NICE 11).
            talks = [TalkData(title=session_title, summary=as_markdown(texts))]
    if not talks:
        return [], as_markdown(texts)
    if len(talks) == 1 and len(presenters) == 1 and not talks[0].presenters:
        talks[0].presenters = [presenters[0]]  # a single talk is the single presenter's
    return talks, ""


def _paper_blocks(lines: list[str]) -> list[TalkData]:
    """`论文：<title>`, then `论文链接：`/`项目地址：` lines and summary paragraphs."""
    talks: list[TalkData] = []
    segment = ""
    for line in lines:
        title_match = re.match(r"论文\s*[：:]\s*(.+)$", line)
        label = _SEGMENT_LABEL.match(line)
        if label:
            segment = label[1]
        elif title_match:
            title, venue, year, tags = split_venue_and_tags(title_match[1].strip())
            paper = PaperRef(title=title, venue=venue, year=year)
            talks.append(TalkData(title=title, segment=segment, tags=tags, paper=paper))
        elif talks:
            _add_to_paper_block(talks[-1], line)
    for talk in talks:
        talk.summary = as_markdown(talk.summary.split("\n"))
    return talks


def _add_to_paper_block(talk: TalkData, line: str) -> None:
    labelled = _LABELLED_LINE.match(line)
    url = _URL.search(line)
    if url and (not labelled or _URL.fullmatch(labelled[2].strip())):
        for name, value in paper_link_fields(url[0], labelled[1] if labelled else "").items():
            if not getattr(talk.paper, name):
                setattr(talk.paper, name, value)
        return
    if labelled and labelled[1] in {"论文介绍", "内容介绍", "简介", "摘要"}:
        line = labelled[2]
    if line:
        talk.summary += ("\n" if talk.summary else "") + line


def _titled_paper(lines: list[str]) -> TalkData:
    """`论文信息` / `标题：[ICLR 2025] <title>` / `地址：<url>` / `内容介绍` + text (NICE 84)."""
    talk = TalkData(title="")
    summary: list[str] = []
    for line in lines:
        labelled = _LABELLED_LINE.match(line)
        if labelled and labelled[1] == "标题" and not talk.title:
            title, venue, year, tags = split_venue_and_tags(labelled[2].strip())
            talk.title, talk.tags = title, tags
            talk.paper = PaperRef(title=title, venue=venue, year=year)
        elif (
            labelled
            and labelled[1] in {"地址", "链接", "论文链接", "代码", "项目地址"}
            and talk.paper
        ):
            url = _URL.search(labelled[2])
            if url:
                for name, value in paper_link_fields(url[0], labelled[1]).items():
                    setattr(talk.paper, name, getattr(talk.paper, name) or value)
        elif line in {"论文信息", "内容介绍"}:
            continue
        elif talk.title:
            summary.append(line)
    talk.summary = as_markdown(summary)
    return talk


def _presenter_list(lines: list[str], presenters: list[PersonRef]) -> list[TalkData]:
    """`- [Oral] <title>，<presenter> <affiliation>` items under `第一场：` labels (NICE 80).

    An item counts only when what follows its last `，` starts with a presenter
    named in the index: topic lists use `，` inside titles too (NICE 1).
    """
    names = sorted((p.name for p in presenters), key=len, reverse=True)
    talks: list[TalkData] = []
    segment = ""
    for line in lines:
        label = _SEGMENT_LABEL.match(line)
        if label:
            segment = label[1]
            continue
        if not _LIST_ITEM.match(line):
            continue
        item = _LIST_ITEM.sub("", line)
        title_part, _, who = item.rpartition("，")
        name = next((n for n in names if who.strip().startswith(n)), None)
        if not title_part or name is None:
            continue
        title, venue, year, tags = split_venue_and_tags(title_part.strip())
        affiliation = who.strip()[len(name) :].strip()
        talks.append(
            TalkData(
                title=title,
                segment=segment,
                tags=tags,
                presenters=[PersonRef(name=name, affiliation=affiliation)],
                paper=PaperRef(title=title, venue=venue, year=year),
            )
        )
    return talks


def _headed_paragraphs(lines: list[str]) -> list[TalkData]:
    """Short heading lines each followed by prose: one talk per heading (NICE 41).

    Needs two or more: a lone heading over prose is one talk with an outline.
    """
    talks: list[TalkData] = []
    for index, line in enumerate(lines):
        following = next((later for later in lines[index + 1 :] if later), "")
        if _is_heading_like(line) and _is_prose(following):
            talks.append(TalkData(title=line))
        elif talks and line:
            talks[-1].summary += ("\n" if talks[-1].summary else "") + line
    if len(talks) < 2:
        return []
    for talk in talks:
        talk.summary = as_markdown(talk.summary.split("\n"))
    return talks


# ---------------------------------------------------------------- the whole archive


def find_page(root: Path, row_group: list[IndexRow]) -> Path | None:
    """The page of a session: the index links first, then the usual file names."""
    candidates = [href for row in row_group for href in row.links]
    number = row_group[0].number
    candidates += [f"docs/files/nice_{number}.md", f"files/nice_{number}.md"]
    for href in candidates:
        if re.match(r"[a-z]+://", href):
            continue
        path = (root / href.split("#")[0]).resolve()
        # Never read outside the archive, whatever a link says.
        if path.is_file() and path.is_relative_to(root.resolve()):
            return path
    return None


def read_archive(root: Path, zone: ZoneInfo) -> Archive:
    """Parse the index and every session page under `root`. Hits no database."""
    index_path = root / "README.md"
    if not index_path.is_file():
        raise FileNotFoundError(f"{index_path}: no index README.md in the archive folder")
    rows, warnings = parse_index(_read_text(index_path, "README.md"), "README.md")
    groups, merge_warnings = merge_rows(rows, "README.md")
    warnings += merge_warnings
    sessions, errors = [], []
    for group in groups:
        try:
            sessions.append(_session(root, group, zone, warnings))
        except PageError as error:
            errors.append(error.problem)
    prefix = next((row.prefix for row in rows if row.prefix), "")
    return Archive(series_prefix=prefix, sessions=sessions, errors=errors, warnings=warnings)


def _read_text(path: Path, where: str) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        line = path.read_bytes()[: error.start].count(b"\n") + 1
        raise PageError(f"{where}:{line}", "not UTF-8 text") from None
    except OSError as error:
        raise PageError(f"{where}:1", f"cannot be read ({error.strerror})") from None


def _session(
    root: Path, group: list[IndexRow], zone: ZoneInfo, warnings: list[Problem]
) -> SessionData:
    first = group[0]
    index_where = f"README.md:{first.line}"
    page_path = find_page(root, group)
    if page_path is None:
        raise PageError(index_where, f"no page found for session {first.number}")
    where = page_path.relative_to(root.resolve()).as_posix()
    page = parse_page(_read_text(page_path, where), where)
    if page.heading_number is not None and page.heading_number != first.number:
        raise PageError(
            f"{where}:1", f"the page is for session {page.heading_number}, not {first.number}"
        )

    presenters: list[PersonRef] = []
    for row in group:
        for person in row.presenters:
            if all(p.name != person.name for p in presenters):
                presenters.append(person)
    keywords = []
    for row in group:
        keywords += [k for k in row.keywords if k not in keywords]

    title = first.title or page.heading_title
    if page.heading_title and same_but_spacing(title, page.heading_title):
        title = page.heading_title

    starts_at, ends_at, has_time = _times(page, first, where, zone, warnings)
    talks, description = extract_talks(page.sections.get("内容", []), title, presenters)
    qr = next(((page_path.parent / src).resolve() for src in page.footer_images), None)
    if qr is not None and not (qr.is_file() and qr.is_relative_to(root.resolve())):
        warnings.append(Problem(where, f"the footer image {qr.name} is not in the archive"))
        qr = None
    return SessionData(
        number=first.number,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        has_start_time=has_time,
        keywords=keywords,
        presenters=presenters,
        talks=talks,
        description=description,
        source=where,
        qr_image=qr,
    )


def _times(page: Page, row: IndexRow, where: str, zone: ZoneInfo, warnings: list[Problem]):
    section = page.sections.get("时间", [])
    text = " ".join(line for _, line in section)
    line = next((number for number, text in section if text.strip()), 1)
    day, start, end = parse_time_section(text)
    if day and row.day and day != row.day:
        warnings.append(
            Problem(f"{where}:{line}", f"the page says {day}, the index {row.day}; the page wins")
        )
    day = day or row.day
    if day is None:
        raise PageError(f"{where}:{line}", "no date on the page or in the index")
    starts_at = datetime.combine(day, start or time(0, 0), tzinfo=zone)
    ends_at = datetime.combine(day, end, tzinfo=zone) if end else None
    if ends_at and ends_at <= starts_at:
        ends_at += timedelta(days=1)  # 22:00-01:00 runs past midnight
    return starts_at, ends_at, start is not None
