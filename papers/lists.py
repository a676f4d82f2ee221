"""Read the shapes presenters keep their papers in: an awesome-style paper list
(`- [x] **Name**: Title. CVPR2025 [Paper](…) [Code](…)` + an indented summary,
grouped under `## Topic Venue` headings) and exported study notes (`[VENUE YEAR]
Title` lines, a GitHub link, then notes until the next paper or topic heading).

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
    entries: list[PaperEntry] = []
    topic = ""
    for number, line in enumerate(text.split("\n"), start=1):
        if line.startswith("## "):
            topic = _topic_without_venue(line[3:].strip())
            continue
        match = _LIST_ITEM.match(line)
        if match:
            entries.append(_list_entry(match, number, topic))
        elif entries and (line.startswith("  ") or not line.strip()):
            entries[-1].notes_lines.append(line)
        elif line.startswith("#"):
            topic = ""
    for entry in entries:
        entry.notes = _markdown(entry.notes_lines)
    return entries


def _topic_without_venue(heading: str) -> str:
    """`Image LLMs CVPR2025` → `Image LLMs`: the venue is each paper's own."""
    return _VENUE_AT_END.sub("", heading).strip() or heading


def _list_entry(match, number: int, topic: str) -> PaperEntry:
    rest = match["rest"]
    entry = PaperEntry(line=number, title="", topic=topic)
    for link in _LINK.finditer(rest):
        _apply_link(entry, link["label"], link["url"], number)
    title = _LINK.sub("", rest).strip()
    venue = _VENUE_AT_END.search(title)
    if venue:
        problems: list[str] = []
        entry.venue, entry.year = venue_and_year(venue["name"] + venue["year"], problems)
        entry.problems += [(number, problem) for problem in problems]
        title = title[: venue.start()].strip()
    title = title.rstrip(". ").strip()
    entry.title = f"{match['name'].strip()}: {title}" if title else match["name"].strip()
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
