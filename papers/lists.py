"""Read the shapes presenters keep their papers in: an awesome-style paper list
(`- [x] **Name**: Title. CVPR2025 [Paper](…) [Code](…)` + an indented summary,
grouped under `## Topic Venue` headings), numbered lists (`1. Title. CVPR 2024
[arXiv](…)`), Markdown tables (`| Title | Venue | Paper | Code |`), bare arXiv
links one a line, and exported study notes (`[VENUE YEAR] Title` lines, a GitHub
link, then notes until the next paper or topic heading).

Pure parsing: PaperEntry records, each with the line it starts on and the
problems found in it (a malformed arXiv link, a year no paper has), each with
its own line, for the importer to report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from papers.identifiers import normalize_arxiv_id


@dataclass
class PaperEntry:
    line: int
    title: str
    venue: str = ""
    year: int | None = None
    arxiv_id: str = ""
    url: str = ""
    code_url: str = ""
    project_url: str = ""
    notes: str = ""
    topic: str = ""
    notes_lines: list[str] = field(default_factory=list, repr=False)
    # (line, what was wrong): read as well as it could be, to be reported as a warning.
    problems: list[tuple[int, str]] = field(default_factory=list, repr=False)


_LIST_ITEM = re.compile(r"^- \[[ xX]\] \*\*(?P<name>.+?)\*\*\s*:?\s*(?P<rest>.*)$")
_NUMBERED = re.compile(r"^\d{1,4}[.)]\s+(?P<rest>\S.*)$")
_BOLD_NAME = re.compile(r"^\*\*(?P<name>.+?)\*\*\s*:?\s*(?P<rest>.*)$")
_LEADING_LINK = re.compile(r"^\[(?P<label>[^\]]+)\]\((?P<url>[^)\s]+)\)\s*[.:,]?\s*(?P<rest>.*)$")
_BARE_ARXIV = re.compile(
    r"^(?:[-*+]\s+)?<?(?P<url>https?://(?:www\.)?arxiv\.org/(?:abs|pdf|html)/[^\s>]+)>?\s*$",
    re.IGNORECASE,
)
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_URL = re.compile(r"https?://\S+")
_PARENTHESIZED_VENUE = re.compile(
    r"\s*[(（\[](?P<venue>[A-Za-z][A-Za-z&-]*\s?'?\d{2,4})[)）\]]\s*$"
)
# What a table's header cells mean, by the words they contain.
_COLUMNS = (
    ("title", ("title", "paper title", "name", "标题", "题目", "论文标题")),
    ("venue", ("venue", "conference", "conf", "journal", "会议", "期刊", "来源")),
    ("year", ("year", "年份", "年")),
    ("paper", ("paper", "link", "pdf", "arxiv", "url", "论文", "链接")),
    ("code", ("code", "github", "repo", "代码")),
    ("project", ("page", "project", "homepage", "website", "主页", "项目")),
    ("notes", ("notes", "note", "summary", "abstract", "笔记", "总结", "摘要", "备注")),
)
_LINK = re.compile(r"\[(?P<label>[^\]]+)\]\((?P<url>[^)\s]+)\)")
_VENUE_AT_END = re.compile(r"(?:^|[\s.])(?P<name>[A-Z][A-Za-z]+)\s?'?(?P<year>\d{4,})\.?$")
_VENUE = re.compile(r"^(?P<name>[A-Za-z][A-Za-z&-]*)\s?'?(?P<year>\d{4,}|\d{2})$")
_DATE_TAG = re.compile(r"^(?P<year>\d{2}|\d{4})\.\d{1,2}$")
_NOTE_PAPER = re.compile(r"^\[(?P<tag>[^\]]+)\]\s*(?P<title>\S.*)$")
_SCREENSHOT = re.compile(r"^\s*截屏.*\.(png|jpe?g)\s*$", re.IGNORECASE)
_BULLET = re.compile(r"^(?P<indent>\s*)[•·▪◦]\s*")
_GITHUB_TITLE = re.compile(r"^GitHub - (?P<repo>[\w.-]+/[\w.-]+)")
_TOPIC = re.compile(r"[A-Za-z][A-Za-z0-9 &/+-]{0,39}")
_ARXIV_PAPER_LINK = re.compile(r"arxiv\.org/(abs|pdf|html)/", re.IGNORECASE)
# The years papers.models.Paper accepts (its paper_year_plausible constraint).
PAPER_YEARS = range(1900, 2201)


def venue_and_year(text: str, problems: list[str] | None = None) -> tuple[str, int | None]:
    """`CVPR2025` → ("CVPR 2025", 2025); `NIPS 2024` → ("NIPS 2024", 2024); `24.10` → ("", 2024).

    A year no paper can have (`CVPR9999`) is left out, and `problems` says so.
    """
    text = text.strip()
    match = _VENUE.match(text)
    if match:
        year = int(match["year"]) if len(match["year"]) != 2 else 2000 + int(match["year"])
        if year not in PAPER_YEARS:
            if problems is not None:
                problems.append(
                    f"“{text}”: {match['year']} is not a year; the venue is kept as “{match['name']}”"
                )
            return match["name"], None
        return f"{match['name']} {year}", year
    match = _DATE_TAG.match(text)
    if match:
        year = int(match["year"]) if len(match["year"]) != 2 else 2000 + int(match["year"])
        if year not in PAPER_YEARS:
            if problems is not None:
                problems.append(f"“{text}”: {match['year']} is not a year; left out")
            return "", None
        return "", year
    return "", None


def _apply_link(entry: PaperEntry, label: str, url: str, line: int) -> None:
    label = label.lower()
    try:
        arxiv_id = normalize_arxiv_id(url)
    except ValueError:
        arxiv_id = ""
        if _ARXIV_PAPER_LINK.search(url):
            entry.problems.append(
                (
                    line,
                    f"“{url}” is not a valid arXiv link (an id looks like 2401.12345); "
                    "kept as the paper's plain link",
                )
            )
    if arxiv_id:
        entry.arxiv_id = entry.arxiv_id or arxiv_id
        return
    if label == "code" or "github.com/" in url:
        entry.code_url = entry.code_url or url
    elif label in ("page", "project", "homepage", "website"):
        entry.project_url = entry.project_url or url
    else:
        entry.url = entry.url or url


def parse_paper_list(text: str) -> list[PaperEntry]:
    """Papers of a list in any of the shapes above, mixed freely, in file order."""
    entries: list[PaperEntry] = []
    topic = ""
    table: dict[str, int] | None = None
    for number, line in enumerate(text.split("\n"), start=1):
        if _TABLE_ROW.match(line):
            cells = _cells(line)
            if table is None:
                table = _table_columns(cells)
            elif table and not _TABLE_RULE.match(line):
                entry = _table_entry(cells, table, number, topic)
                if entry is not None:
                    entries.append(entry)
            continue
        table = None
        if line.startswith("## "):
            topic = _topic_without_venue(line[3:].strip())
            continue
        entry = _line_entry(line, number, topic)
        if entry is not None:
            entries.append(entry)
        elif (
            entries
            and entries[-1].notes_lines is not None
            and (line.startswith("  ") or not line.strip())
        ):
            entries[-1].notes_lines.append(line)
        elif line.startswith("#"):
            topic = ""
    for entry in entries:
        entry.notes = entry.notes or _markdown(entry.notes_lines)
    return entries


def _line_entry(line: str, number: int, topic: str) -> PaperEntry | None:
    """The paper a list line starts, in any list shape; None if it starts none."""
    match = _LIST_ITEM.match(line)
    if match:
        return _list_entry(match["name"], match["rest"], number, topic)
    match = None if line.startswith("  ") else _BARE_ARXIV.match(line.strip())
    if match:
        return _bare_arxiv_entry(match["url"], number, topic)
    match = _NUMBERED.match(line)
    if match:
        rest = match["rest"]
        named = _BOLD_NAME.match(rest)
        if named:
            return _list_entry(named["name"], named["rest"], number, topic)
        linked = _LEADING_LINK.match(rest)
        if linked and not _ARXIV_PAPER_LINK.search(linked["label"]):
            entry = _list_entry("", linked["rest"], number, topic)
            _apply_link(entry, "paper", linked["url"], number)
            entry.title = linked["label"].strip() + (f": {entry.title}" if entry.title else "")
            return entry
        return _list_entry("", rest, number, topic)
    return None


def _bare_arxiv_entry(url: str, number: int, topic: str) -> PaperEntry:
    entry = PaperEntry(line=number, title="", topic=topic)
    _apply_link(entry, "paper", url, number)
    if entry.arxiv_id:
        entry.title = f"arXiv:{entry.arxiv_id}"
        entry.problems.append(
            (number, f"a bare arXiv link: the title is “{entry.title}” until someone edits it")
        )
    else:
        entry.title = url
    return entry


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _table_columns(header: list[str]) -> dict[str, int]:
    """Which column holds what, from the header row; empty if it has no title column."""
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = cell.strip("* ").lower()
        for meaning, words in _COLUMNS:
            if meaning not in columns and name in words:
                columns[meaning] = index
                break
    return columns if "title" in columns else {}


def _table_entry(
    cells: list[str], columns: dict[str, int], number: int, topic: str
) -> PaperEntry | None:
    def cell(meaning: str) -> str:
        index = columns.get(meaning)
        return cells[index] if index is not None and index < len(cells) else ""

    title = cell("title")
    entry = PaperEntry(line=number, title="", topic=topic)
    for link in _LINK.finditer(title):
        _apply_link(entry, "paper", link["url"], number)
    title = _LINK.sub(lambda link: link["label"], title).replace("**", "").strip()
    if not title:
        return None
    for meaning in ("paper", "code", "project"):
        value = cell(meaning)
        links = [(link["label"], link["url"]) for link in _LINK.finditer(value)]
        links += [(meaning, url) for url in _URL.findall(_LINK.sub("", value))]
        for label, url in links:
            _apply_link(entry, meaning if meaning != "paper" else label, url, number)
    problems: list[str] = []
    venue = cell("venue")
    year = cell("year")
    if venue:
        entry.venue, entry.year = venue_and_year(
            venue.replace(" ", "") if year == "" else venue + year, problems
        )
        if not entry.venue and not entry.year:
            entry.venue = venue
    elif year:
        _name, entry.year = venue_and_year(f"Y{year}", problems)
    entry.problems += [(number, problem) for problem in problems]
    entry.title = title
    entry.notes = cell("notes")
    entry.notes_lines = []
    return entry


def _topic_without_venue(heading: str) -> str:
    """`Image LLMs CVPR2025` → `Image LLMs`: the venue is each paper's own."""
    return _VENUE_AT_END.sub("", heading).strip() or heading


def _list_entry(name: str, rest: str, number: int, topic: str) -> PaperEntry:
    """`**name**: rest`, where rest is a title, perhaps a venue, then links."""
    entry = PaperEntry(line=number, title="", topic=topic)
    for link in _LINK.finditer(rest):
        _apply_link(entry, link["label"], link["url"], number)
    for url in _URL.findall(_LINK.sub("", rest)):
        _apply_link(entry, "", url.rstrip(".,;"), number)
    title = _URL.sub("", _LINK.sub("", rest)).strip()
    venue = _VENUE_AT_END.search(title) or _PARENTHESIZED_VENUE.search(title)
    if venue:
        problems: list[str] = []
        if "name" in venue.groupdict():
            entry.venue, entry.year = venue_and_year(venue["name"] + venue["year"], problems)
        else:
            entry.venue, entry.year = venue_and_year(venue["venue"].replace(" ", ""), problems)
        entry.problems += [(number, problem) for problem in problems]
        title = title[: venue.start()].strip()
    title = title.rstrip(".,:;- ").strip()
    name = name.strip()
    entry.title = f"{name}: {title}" if name and title else (name or title)
    return entry


def parse_notes(text: str) -> tuple[list[PaperEntry], int]:
    """Papers of a notes export, and how many lines came before the first one."""
    lines = text.split("\n")
    entries: list[PaperEntry] = []
    topic = ""
    for index, line in enumerate(lines):
        match = _NOTE_PAPER.match(line)
        if match and not line.startswith(" "):
            problems: list[str] = []
            venue, year = venue_and_year(match["tag"], problems)
            entries.append(
                PaperEntry(
                    line=index + 1,
                    title=match["title"].strip(),
                    venue=venue,
                    year=year,
                    topic=topic,
                    problems=[(index + 1, problem) for problem in problems],
                )
            )
            continue
        if _is_topic_heading(lines, index):
            topic = line.strip()
            continue
        if not entries:
            continue
        entry = entries[-1]
        url = line.strip()
        rich_link = _GITHUB_TITLE.match(url)
        if not "".join(entry.notes_lines).strip() and re.fullmatch(r"https?://\S+", url):
            _apply_link(entry, "code" if "github.com/" in url else "", url, index + 1)
        elif not "".join(entry.notes_lines).strip() and rich_link:
            # Notes apps export a pasted link as its page title: "GitHub - owner/repo: …".
            entry.code_url = f"https://github.com/{rich_link['repo']}"
        elif not _SCREENSHOT.match(line):
            entry.notes_lines.append(line)
    for entry in entries:
        entry.notes = _markdown(entry.notes_lines)
    preamble = entries[0].line - 1 if entries else len(lines)
    return entries, preamble


def _is_topic_heading(lines: list[str], index: int) -> bool:
    """A short Latin-script name on its own line whose next non-empty line starts a paper
    ("Visual Prompt", "Grounding-MLLM"). A Chinese line there is a comment on the paper
    before it ("在32张A100中进行大乱炖"), and stays in its notes."""
    line = lines[index].strip()
    if lines[index].startswith((" ", "\t")) or not _TOPIC.fullmatch(line):
        return False
    following = next((later for later in lines[index + 1 :] if later.strip()), "")
    return bool(_NOTE_PAPER.match(following))


def _markdown(lines: list[str]) -> str:
    """Dedented text; `•` bullets become Markdown list items, nested by indent."""
    content = [line for line in lines]
    while content and not content[0].strip():
        content.pop(0)
    while content and not content[-1].strip():
        content.pop()
    indents = [len(line) - len(line.lstrip()) for line in content if line.strip()]
    base = min(indents) if indents else 0
    result = []
    for line in content:
        line = line[base:] if not line[:base].strip() else line.lstrip()
        bullet = _BULLET.match(line)
        if bullet:
            depth = len(bullet["indent"]) // 4
            line = "  " * depth + "- " + line[bullet.end() :]
        result.append(line.rstrip())
    return "\n".join(result).strip()


# ---------------------------------------------------------------- garbled lists


def apply_choices(text: str, choices: dict[tuple[int, int], str]) -> str:
    """`text` with the character at each (line, column) replaced by the one chosen
    (1-based lines, 0-based columns: where papers.mojibake.Unsure points)."""
    lines = text.split("\n")
    for (line, column), character in choices.items():
        current = lines[line - 1]
        lines[line - 1] = current[:column] + character + current[column + 1 :]
    return "\n".join(lines)
