"""Papers as BibTeX, talks as CSV: for reference managers and spreadsheets."""

from __future__ import annotations

import csv
import io
import re
import unicodedata

from django.utils import timezone

from papers.models import Paper


def _bibtex_escape(text: str) -> str:
    return re.sub(r"([{}\\\\])", r"\\\1", text).replace("&", r"\&").replace("%", r"\%")


def bibtex_key(paper: Paper, taken: set[str]) -> str:
    """surname + year + first title word, ASCII, unique within one file."""
    authors = paper.author_list
    surname = authors[0].split()[-1] if authors else "anon"
    word = next((w for w in re.findall(r"[A-Za-z]+", paper.title) if len(w) > 3), "paper")
    base = f"{surname}{paper.year or ''}{word}".lower()
    base = (
        unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode() or f"paper{paper.pk}"
    )
    key, suffix = base, ord("a")
    while key in taken:
        key, suffix = f"{base}{chr(suffix)}", suffix + 1
    taken.add(key)
    return key


def bibtex(papers) -> str:
    taken: set[str] = set()
    entries = []
    for paper in papers:
        fields = {
            "title": "{" + _bibtex_escape(paper.title) + "}",
            "author": " and ".join(_bibtex_escape(a) for a in paper.author_list),
            "year": str(paper.year or ""),
            "booktitle": _bibtex_escape(paper.venue),
            "doi": paper.doi,
            "eprint": paper.arxiv_id,
            "archiveprefix": "arXiv" if paper.arxiv_id else "",
            "primaryclass": paper.primary_category,
            "url": paper.link,
        }
        kind = "inproceedings" if paper.venue else "misc"
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields.items() if value)
        entries.append(f"@{kind}{{{bibtex_key(paper, taken)},\n{body}\n}}\n")
    return "\n".join(entries)


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


def talks_csv(talks, absolute) -> str:
    """One row per talk; UTF-8 with a byte-order mark so spreadsheet apps read Chinese."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for talk in talks:
        session, paper = talk.session, talk.paper
        writer.writerow(
            [
                session.series.slug,
                session.number,
                timezone.localtime(session.starts_at, session.series.zone).strftime(
                    "%Y-%m-%d %H:%M"
                ),
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
        )
    return buffer.getvalue()
