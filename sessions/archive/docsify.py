"""Read an archive kept in the NICE docsify format: an index table plus one page per session.

Pure parsing, no database: `read_archive()` turns a folder into SessionData
records and a list of problems, each with the file and line it comes from.
The shapes handled here are those of the real NICE archive (see
../shared/examples/README.md); each quirk has a small function of its own.

Malformed input never raises anything but ArchiveError (the index cannot be
read: nothing is imported) or PageError (one session is skipped, caught here
and reported); a doubtful value is read as well as it can be and a warning
says where.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from nice.text import clean_text, has_unwanted
from papers.identifiers import normalize_arxiv_id
from sessions.models import Keyword, Person, Session, Talk

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
    # Where values came from ("starts_at" → "docs/files/nice_12.md:9"), so that a
    # value the models refuse is reported at its line.
    where: dict[str, str] = field(default_factory=dict)
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


@dataclass
class RowError(Problem):
    """An index row that cannot be read at all: its session is skipped."""


class PageError(Exception):
    """A page that cannot be imported; its session is skipped."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.problem = Problem(where, message)


class ArchiveError(Exception):
    """The archive as a whole cannot be read (no index, an unreadable index): nothing
    is imported."""

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
# The largest session number every database stores (a PositiveIntegerField).
MAX_SESSION_NUMBER = 2**31 - 1
# "22:00-01:00" runs past midnight; an end this long after the start is a typo.
LONGEST_OVERNIGHT = timedelta(hours=12)


def parse_date(text: str) -> date | None:
    match = _DATE.search(text)
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


@dataclass
class When:
    """What a `## 时间` section says, and what in it could not be used."""

    day: date | None = None
    start: time | None = None
    end: time | None = None
    end_day: date | None = None  # a span written "2025.8.31 10:00 - 2025.9.3 10:00"
    bad_date: str = ""  # "2025.13.45": looks like a date, is none
    problems: list[str] = field(default_factory=list)


_SPAN_TO = re.compile(r"\s*[-–~～至]\s*")


def read_when(text: str) -> When:
    """The date, start and end of a `## 时间` section, in any of the archive's shapes.

    `2025.3.15 19:00`, `2023.11.26 14:00-17:00`, `2024.12.28 10:30-12:00 周六`,
    `第一场：2025.06.22 (周日) 9：00`, or a bare date. The first date wins. A time
    that is no time of day, or an end before the start, is left out and said why.
    """
    when = When()
    match = _DATE.search(text)
    if not match:
        return when
    when.day = parse_date(match[0])
    if when.day is None:
        when.bad_date = match[0]
    span = _span_end(text, match.end()) if when.day else None
    times = _TIME_RANGE.search(text, match.end())
    if times and span is None and not times[3] and when.day:
        span = _span_end(text, times.end())
    if times and span is not None and times.start() > span.start():
        times = None  # "2025.8.31-2025.9.3 10:00": the time is the end's
    if times:
        when.start = _clock(
            times[1], times[2], when, "the session is imported without a start time"
        )
        if times[3] and when.start:
            when.end = _clock(times[3], times[4], when, "the end is left out")
    if span is not None:
        _add_span_end(text, span, when)
    if when.start and when.end and not when.end_day and when.end <= when.start:
        overnight = datetime.combine(date.min, when.end) + timedelta(days=1)
        if overnight - datetime.combine(date.min, when.start) > LONGEST_OVERNIGHT:
            when.problems.append(
                f"the end {when.end:%H:%M} is not after the start {when.start:%H:%M}; "
                "the end is left out"
            )
            when.end = None
    return when


def _span_end(text: str, position: int) -> re.Match | None:
    """The date after a dash at `position`: the last day of a span."""
    dash = _SPAN_TO.match(text, position)
    return _DATE.match(text, dash.end()) if dash else None


def _add_span_end(text: str, span: re.Match, when: When) -> None:
    assert when.day is not None
    end_day = parse_date(span[0])
    if end_day is None:
        when.problems.append(f"“{span[0]}” is not a date; the end is left out")
        return
    end = _TIME_RANGE.search(text, span.end())
    end_time = _clock(end[1], end[2], when, "the end is left out") if end else None
    if end_day < when.day:
        when.problems.append(
            f"the end date {end_day} comes before the start date {when.day}; the end is left out"
        )
    elif when.start and end_time:
        when.end, when.end_day = end_time, (end_day if end_day > when.day else None)
    elif end_day > when.day:
        when.problems.append(
            f"a session from {when.day} to {end_day} is imported on its first day only"
        )


def _clock(hours: str, minutes: str, when: When, consequence: str) -> time | None:
    try:
        return time(int(hours), int(minutes))
    except ValueError:
        when.problems.append(f"“{hours}:{minutes}” is not a time of day; {consequence}")
        return None


def parse_time_section(text: str) -> tuple[date | None, time | None, time | None]:
    """read_when() as (date, start, end); no times without a date."""
    when = read_when(text)
    if when.day is None:
        return None, None, None
    return when.day, when.start, when.end


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
    """The cells between the row's outer pipes; `||` at the end is an empty last cell."""
    line = line.strip()
    line = line[1:] if line.startswith("|") else line
    line = line[:-1] if line.endswith("|") and not line.endswith("\\|") else line
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", line)]


def _link(cell: str) -> tuple[str, str]:
    """`[text](href)` → (text, href); the text may hold brackets of its own: `…分享[1]`."""
    match = re.fullmatch(r"\[(.*)\]\(\s*([^)\s]*)\s*\)", cell.strip())
    return (match[1].strip(), match[2]) if match else (cell.strip(), "")


def parse_index(text: str, where: str) -> tuple[list[IndexRow], list[Problem]]:
    """The rows of the `| ID | Date | Title | Presenter | Keywords | Link |` table, and
    what was wrong with them: a RowError for a row that was skipped, a plain Problem
    for a value read as well as it could be. Raises ArchiveError when there is no table.
    """
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
        raise ArchiveError(
            where,
            "no index table with ID and Title columns was found "
            "(a header row such as | ID | Date | Title | Presenter | Keywords | Link |)",
        )
    return rows, problems


def _index_row(cells, columns, line, where, problems) -> IndexRow | None:
    def cell(name: str) -> str:
        index = columns.get(name)
        return cells[index] if index is not None and index < len(cells) else ""

    here = f"{where}:{line}"
    if not any(cells):
        return None  # an empty row
    id_match = re.match(r"\s*([A-Za-z]*)\s*(-?\d+)", cell("id"))
    if not id_match:
        problems.append(RowError(here, f"no session number in the ID cell “{_short(cell('id'))}”"))
        return None
    number = int(id_match[2])
    if number < 1:
        problems.append(RowError(here, f"session numbers start at 1, not {number}"))
        return None
    if number > MAX_SESSION_NUMBER:
        problems.append(
            RowError(
                here, f"the session number {number} is too large (at most {MAX_SESSION_NUMBER})"
            )
        )
        return None
    width = max(columns.values()) + 1
    if len(cells) < width:
        problems.append(
            Problem(
                here,
                f"the row has {len(cells)} of the table's {width} columns; "
                "the others are read as empty",
            )
        )
    title, title_href = _link(cell("title"))
    _, link_href = _link(cell("link"))
    day = parse_date(cell("date"))
    if cell("date") and day is None:
        problems.append(Problem(here, f"“{_short(cell('date'))}” is not a date"))
    presenters = split_people(cell("presenter"))
    for person in presenters:
        person.name = _fit(
            person.name, Person._meta.get_field("name"), "a presenter name", here, problems
        )
    keywords = [
        _fit(keyword, Keyword._meta.get_field("name"), "a keyword", here, problems)
        for keyword in split_keywords(cell("keywords"))
    ]
    return IndexRow(
        line=line,
        number=number,
        prefix=id_match[1],
        day=day,
        title=title,
        links=[href for href in (link_href, title_href) if href],
        presenters=presenters,
        keywords=keywords,
    )


def _fit(text: str, field, what: str, where: str, problems: list[Problem]) -> str:
    """`text` cut to what a model field holds (the writers would cut it silently, or
    refuse the session), with a warning."""
    limit = field.max_length
    if len(text) <= limit:
        return text
    problems.append(
        Problem(where, f"{what} of {len(text)} characters; only the first {limit} are kept")
    )
    return text[:limit]


def _short(text: str, limit: int = 80) -> str:
    """Text quoted in a message: a pasted paragraph is cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
        elif group and row.links and group[0].links and row.links[0] != group[0].links[0]:
            problems.append(
                Problem(
                    f"{where}:{row.line}",
                    f"session {row.number} is listed again with another page "
                    f"({_short(row.links[0])} instead of {_short(group[0].links[0])}); "
                    "the first that exists is read",
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
    stray_line: int | None = None  # the first line of text outside any section
    footer_line: int | None = None  # the line of the first footer image


def parse_page(text: str, where: str) -> Page:
    """Split a session page into its heading, its `##` sections and its 入群 footer."""
    heading_number, heading_title = None, ""
    sections: dict[str, list[tuple[int, str]]] = {}
    current: list[tuple[int, str]] | None = None
    footer_images: list[str] = []
    stray_line = footer_line = None
    in_footer = False
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if in_footer:
            footer_images.extend(re.findall(r"<img[^>]*\bsrc=[\"']([^\"']+)", line))
            footer_line = footer_line or (number if footer_images else None)
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
            footer_line = footer_line or (number if footer_images else None)
            continue
        if re.match(r"##\s+", stripped) and not stripped.startswith("###"):
            current = sections.setdefault(stripped.lstrip("#").strip(), [])
            continue
        if current is not None:
            current.append((number, line.rstrip()))
        elif stripped and stray_line is None:
            stray_line = number
    if not heading_title and not sections:
        raise PageError(f"{where}:1", "not a session page: no “# NICE N期 | title” heading")
    return Page(heading_number, heading_title, sections, footer_images, stray_line, footer_line)


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


def find_page(root: Path, row_group: list[IndexRow], warnings: list[Problem] | None = None) -> Path:
    """The page of a session: the index links first, then the usual file names.

    Never reads outside the archive, whatever a link says. Raises PageError, saying
    where each link led, when there is no page.
    """
    number = row_group[0].number
    archive = root.resolve()
    tried: list[str] = []
    reasons: list[str] = []
    for row in row_group:
        for href in row.links:
            found, reason = _follow(archive, href)
            tried.append(href)
            if found:
                return found
            if reason == "leads outside the archive" and warnings is not None:
                warnings.append(
                    Problem(
                        f"README.md:{row.line}",
                        f"the link {_short(href)} leads outside the archive; not followed",
                    )
                )
            if f"the link {_short(href)} {reason}" not in reasons:
                reasons.append(f"the link {_short(href)} {reason}")
    usual = [f"docs/files/nice_{number}.md", f"files/nice_{number}.md"]
    for href in usual:
        found, _reason = _follow(archive, href)
        if found:
            return found
    usual_path = archive / usual[0]
    if not any(_same_path(archive, href, usual_path) for href in tried):
        reasons.append(f"there is no {usual[0]}")
    raise PageError(
        f"README.md:{row_group[0].line}",
        f"no page for session {number}: " + ", and ".join(reasons),
    )


def _follow(archive: Path, href: str, what: str = "page") -> tuple[Path | None, str]:
    """The file a link leads to in the archive, or why there is none."""
    if re.match(r"[a-z][a-z0-9+.-]*:", href, re.IGNORECASE):
        return None, f"is a web address, not a {what} of the archive"
    try:
        path = (archive / href.split("#")[0]).resolve()
        if not path.is_relative_to(archive):
            return None, "leads outside the archive"
        if path.is_dir():
            return None, f"is a folder, not a {what}"
        if not path.is_file():
            return None, "leads to no file"
    except (OSError, ValueError):  # a name too long for the file system, a NUL byte
        return None, "leads to no file"
    return path, ""


def _same_path(archive: Path, href: str, path: Path) -> bool:
    try:
        return (archive / href.split("#")[0]).resolve() == path
    except (OSError, ValueError):
        return False


def read_archive(root: Path, zone: ZoneInfo) -> Archive:
    """Parse the index and every session page under `root`. Hits no database.

    Raises ArchiveError when the index cannot be read; a bad row or page is
    skipped and listed in the errors.
    """
    if not root.is_dir():
        raise ArchiveError(str(root), "no such folder")
    index_path = root / "README.md"
    if not index_path.is_file():
        raise ArchiveError(str(index_path), "no index README.md in the archive folder")
    warnings: list[Problem] = []
    try:
        text = _read_text(index_path, "README.md", warnings)
    except PageError as error:
        raise ArchiveError(error.problem.where, error.problem.message) from None
    rows, problems = parse_index(text, "README.md")
    errors: list[Problem] = [p for p in problems if isinstance(p, RowError)]
    warnings += [problem for problem in problems if not isinstance(problem, RowError)]
    if not rows and not errors:
        raise ArchiveError("README.md", "the index table lists no sessions")
    groups, merge_warnings = merge_rows(rows, "README.md")
    warnings += merge_warnings
    sessions = []
    for group in groups:
        try:
            sessions.append(_session(root, group, zone, warnings))
        except PageError as error:
            errors.append(error.problem)
    prefix = next((row.prefix for row in rows if row.prefix), "")
    return Archive(series_prefix=prefix, sessions=sessions, errors=errors, warnings=warnings)


def _read_text(path: Path, where: str, warnings: list[Problem]) -> str:
    """The file as text, without a byte order mark or control characters (a warning
    says where those were); PageError if it is no UTF-8 text."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise PageError(f"{where}:1", f"cannot be read ({error.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise PageError(
            f"{where}:{line}", "not UTF-8 text; save the file as UTF-8 and import again"
        ) from None
    if has_unwanted(text):
        text = _without_controls(text, where, warnings)
    return text


def _without_controls(text: str, where: str, warnings: list[Problem]) -> str:
    """clean_text() line by line, one warning for the first line that had any."""
    lines = text.split("\n")
    dirty = [number for number, line in enumerate(lines) if has_unwanted(line)]
    first = lines[dirty[0]]
    found = list(dict.fromkeys(c for c in first if has_unwanted(c)))
    more = f"; also on {len(dirty) - 1} more lines" if len(dirty) > 1 else ""
    warnings.append(
        Problem(
            f"{where}:{dirty[0] + 1}",
            "control characters removed ("
            + ", ".join(f"U+{ord(c):04X}" for c in found[:5])
            + (", …" if len(found) > 5 else "")
            + f"){more}",
        )
    )
    return clean_text(text)


def _session(
    root: Path, group: list[IndexRow], zone: ZoneInfo, warnings: list[Problem]
) -> SessionData:
    first = group[0]
    index_where = f"README.md:{first.line}"
    page_path = find_page(root, group, warnings)
    where = page_path.relative_to(root.resolve()).as_posix()
    page = parse_page(_read_text(page_path, where, warnings), where)
    if page.heading_number is not None and page.heading_number != first.number:
        raise PageError(
            f"{where}:1", f"the page is for session {page.heading_number}, not {first.number}"
        )
    if page.stray_line is not None:
        warnings.append(
            Problem(f"{where}:{page.stray_line}", "text outside a “## ” section is not imported")
        )

    presenters: list[PersonRef] = []
    for row in group:
        for person in row.presenters:
            if all(p.name != person.name for p in presenters):
                presenters.append(person)
    keywords = []
    for row in group:
        keywords += [k for k in row.keywords if k not in keywords]

    title, title_where = first.title, index_where
    if not title or (page.heading_title and same_but_spacing(title, page.heading_title)):
        title, title_where = page.heading_title, f"{where}:1"
    title = _fit(title, Session._meta.get_field("title"), "the title", title_where, warnings)

    starts_at, ends_at, has_time, time_where = _times(page, first, where, zone, warnings)
    content = page.sections.get("内容", [])
    warnings += _bad_arxiv_links(content, where)
    talks, description = extract_talks(content, title, presenters)
    for talk in talks:
        line = next((n for n, text in content if talk.title[:40] in text), 1)
        original = talk.title
        field = Talk._meta.get_field("title")
        talk.title = _fit(original, field, "a talk title", f"{where}:{line}", warnings)
        if talk.paper and talk.paper.title == original:
            talk.paper.title = talk.title
    qr = None
    if page.footer_images:
        src = page.footer_images[0]
        folder = page_path.parent.relative_to(root.resolve())
        qr, reason = _follow(root.resolve(), str(folder / src), "file")
        if qr is None:
            warnings.append(
                Problem(
                    f"{where}:{page.footer_line}",
                    f"the footer image {_short(src)} {reason}; the group QR code is not imported",
                )
            )
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
        # Only fields no talk, paper or person has: an error names the field, not the row.
        where={"number": index_where, "starts_at": time_where, "ends_at": time_where},
    )


def _bad_arxiv_links(lines: list[tuple[int, str]], where: str) -> list[Problem]:
    """arXiv paper links whose id is malformed: kept as plain links, and said so."""
    problems = []
    for number, line in lines:
        for match in _URL.finditer(line):
            url = match[0].rstrip("。，,.;；)）")
            if not re.search(r"arxiv\.org/(abs|pdf|html)/", url, re.IGNORECASE):
                continue
            try:
                normalize_arxiv_id(url)
            except ValueError:
                problems.append(
                    Problem(
                        f"{where}:{number}",
                        f"“{_short(url)}” is not a valid arXiv link (an id looks like "
                        "2401.12345); kept as a plain link",
                    )
                )
    return problems


def _times(
    page: Page, row: IndexRow, where: str, zone: ZoneInfo, warnings: list[Problem]
) -> tuple[datetime, datetime | None, bool, str]:
    """Start, end, whether a start time was given, and where the date came from."""
    section = page.sections.get("时间", [])
    text = " ".join(line for _, line in section)
    line = next((number for number, text in section if text.strip()), 1)
    here = f"{where}:{line}"
    when = read_when(text)
    warnings += [Problem(here, problem) for problem in when.problems]
    if when.bad_date and row.day:
        warnings.append(
            Problem(here, f"“{when.bad_date}” is not a date; the index's {row.day} is used")
        )
    elif when.bad_date:
        raise PageError(here, f"“{when.bad_date}” is not a date, and the index gives none")
    if when.day and row.day and when.day != row.day:
        warnings.append(
            Problem(here, f"the page says {when.day}, the index {row.day}; the page wins")
        )
    if when.day is None and row.day is None:
        raise PageError(here, "no date on the page or in the index")
    day = when.day or row.day
    assert day is not None
    source = here if when.day else f"README.md:{row.line}"
    starts_at = datetime.combine(day, when.start or time(0, 0), tzinfo=zone)
    ends_at = None
    if when.start and when.end:
        ends_at = datetime.combine(when.end_day or day, when.end, tzinfo=zone)
        if ends_at <= starts_at and day < date.max:
            ends_at += timedelta(days=1)  # 22:00-01:00 runs past midnight
    return starts_at, ends_at, when.start is not None, source
