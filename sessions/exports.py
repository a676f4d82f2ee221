"""Papers as BibTeX, talks as CSV: for reference managers and spreadsheets."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from typing import TextIO

from django.utils import timezone
from django.utils.encoding import iri_to_uri

from nice.text import clean_text
from papers.models import Paper

# ---------------------------------------------------------------- BibTeX

# LaTeX's special characters, each as text LaTeX prints as that character.
# The commands are in the LaTeX kernel, no package needed.
_LATEX_SPECIALS = {
    "\\": r"{\textbackslash}",
    "%": r"\%",
    "&": r"\&",
    "#": r"\#",
    "$": r"\$",
    "_": r"\_",
    "~": r"{\textasciitilde}",
    "^": r"{\textasciicircum}",
    "<": r"{\textless}",
    ">": r"{\textgreater}",
    "|": r"{\textbar}",
}


def _unmatched_braces(text: str) -> set[int]:
    """Positions of the braces in `text` that have no partner."""
    opened: list[int] = []
    unmatched: set[int] = set()
    for position, char in enumerate(text):
        if char == "{":
            opened.append(position)
        elif char == "}":
            if opened:
                opened.pop()
            else:
                unmatched.add(position)
    return unmatched | set(opened)


def _bibtex_text(text: str) -> str:
    """`text` as the value of a BibTeX field that LaTeX prints as `text`.

    BibTeX counts braces whether a backslash precedes them or not, so only
    braces that pair up may stay braces (as \\{ \\}); a lone one becomes a
    command, or it would close the field early and let the rest in as fields.
    """
    text = clean_text(text, multiline=False)
    unmatched = _unmatched_braces(text)
    out = []
    for position, char in enumerate(text):
        if char in "{}":
            if position in unmatched:
                out.append(r"{\textbraceleft}" if char == "{" else r"{\textbraceright}")
            else:
                out.append("\\" + char)
        else:
            out.append(_LATEX_SPECIALS.get(char, char))
    return "".join(out)


def _bibtex_verbatim(value: str) -> str:
    """A URL, DOI or arXiv id: read verbatim by biblatex, so escapes would show.
    Only what could end the field (braces) or start a command goes, percent-encoded."""
    value = clean_text(value, multiline=False).strip()
    return value.replace("\\", "%5C").replace("{", "%7B").replace("}", "%7D")


def _bibtex_name(name: str) -> str:
    """One author; braced whole where BibTeX would misread it (an " and " inside
    would split it in two, more than two commas is an error)."""
    escaped = _bibtex_text(name)
    if re.search(r"\sand\s", escaped, re.IGNORECASE) or escaped.count(",") > 2:
        return "{" + escaped + "}"
    return escaped


def _fold(text: str) -> str:
    """`text` in lower-case ASCII: é → e, Chinese → nothing."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _ascii_letters(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", _fold(text))


def _surname(name: str) -> str:
    """The ASCII surname of "Ashish Vaswani" or "Vaswani, Ashish"; "" for 王浩然."""
    if "," in name:
        return _ascii_letters(name.split(",")[0])
    words = [word for word in map(_ascii_letters, name.split()) if word]
    return words[-1] if words else ""


def _letters(index: int) -> str:
    """0 → a, 25 → z, 26 → aa: the suffixes that tell apart keys alike."""
    suffix = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        suffix = chr(ord("a") + rest) + suffix
    return suffix


def bibtex_key(paper: Paper, taken: set[str]) -> str:
    """surname + year + first title word, [a-z0-9] only, unique within one file.

    Without a Latin-script first author (Chinese names, no authors) the key
    is the arXiv id's digits, else the paper's id: no transliteration at hand,
    and a made-up one would be wrong half the time.
    """
    authors = paper.author_list
    surname = _surname(authors[0]) if authors else ""
    if surname:
        words = re.findall(r"[a-z]{4,}", _fold(paper.title))
        base = f"{surname}{paper.year or ''}{words[0] if words else 'paper'}"
    elif digits := re.sub(r"[^0-9]", "", paper.arxiv_id):
        base = f"arxiv{digits}"
    else:
        base = f"paper{paper.pk}"
    key, index = base, 0
    while key in taken:
        key, index = base + _letters(index), index + 1
    taken.add(key)
    return key


def bibtex(papers) -> str:
    buffer = io.StringIO()
    write_bibtex(papers, buffer)
    return buffer.getvalue()


def write_bibtex(papers: Iterable[Paper], out: TextIO) -> None:
    """One entry per paper, written as it comes: memory does not grow with the archive."""
    taken: set[str] = set()
    for index, paper in enumerate(papers):
        fields = {
            "title": "{" + _bibtex_text(paper.title) + "}",
            "author": " and ".join(_bibtex_name(name) for name in paper.author_list),
            "year": str(paper.year or ""),
            "booktitle": _bibtex_text(paper.venue),
            "doi": _bibtex_verbatim(paper.doi),
            "eprint": _bibtex_verbatim(paper.arxiv_id),
            "archiveprefix": "arXiv" if paper.arxiv_id else "",
            "primaryclass": _bibtex_text(paper.primary_category),
            "url": _bibtex_verbatim(iri_to_uri(paper.link)),
        }
        kind = "inproceedings" if paper.venue else "misc"
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields.items() if value)
        out.write(("\n" if index else "") + f"@{kind}{{{bibtex_key(paper, taken)},\n{body}\n}}\n")


# ---------------------------------------------------------------- CSV

CSV_COLUMNS = [
    "series",
    "number",
    "date",
    "session",
    "order",
    "segment",
    "talk",
    "presenters",
    "paper",
    "authors",
    "venue",
    "year",
    "arxiv_id",
    "doi",
    "paper_url",
    "code_url",
    "session_url",
]

# What makes a spreadsheet read a cell as a formula (OWASP, "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: str | int) -> str | int:
    """A cell a spreadsheet shows as written: text that would start a formula
    gets a leading quote. Numbers the app writes itself stay numbers."""
    if isinstance(value, int):
        return value
    value = clean_text(value)
    # After leading spaces too: some importers trim them and would find the formula.
    formula = value.startswith(_FORMULA_STARTS) or value.lstrip().startswith(_FORMULA_STARTS)
    return "'" + value if formula else value


def talks_csv(talks, absolute) -> str:
    buffer = io.StringIO()
    write_talks_csv(talks, absolute, buffer)
    return buffer.getvalue()


def write_talks_csv(talks: Iterable, absolute, out: TextIO) -> None:
    """One row per talk, written as it comes; UTF-8 with a byte-order mark so
    spreadsheet apps read Chinese."""
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for talk in talks:
        session, paper = talk.session, talk.paper
        row = [
            session.series.slug,
            session.number,
            timezone.localtime(session.starts_at, session.series.zone).strftime("%Y-%m-%d %H:%M"),
            session.title,
            talk.order,
            talk.segment,
            talk.title,
            "; ".join(a.person.name for a in talk.appearances),
            paper.title if paper else "",
            "; ".join(paper.author_list) if paper else "",
            paper.venue if paper else "",
            paper.year if paper and paper.year else "",
            paper.arxiv_id if paper else "",
            paper.doi if paper else "",
            paper.link if paper else "",
            paper.code_url if paper else "",
            absolute(session.get_absolute_url()),
        ]
        writer.writerow([_csv_cell(value) for value in row])
