"""python manage.py import_paper_list FILE [--session SERIES/NUMBER] [--dry-run] [--accept]

Reads a paper list: awesome-style items, numbered lists, Markdown tables or bare
arXiv links. Text that arrived wrongly decoded (UTF-8 read as Windows-1252,
Latin-1 or GBK, GBK and Big5 mixed up, twice garbled; bytes lost on the way)
is repaired first, and the repair reported. Characters the repair is unsure
of stop the import: on a terminal each is asked for (Enter takes the
suggestion), elsewhere the command refuses unless --accept takes every
suggestion. Every choice is printed, so the output records it.
A doubtful value (a malformed arXiv link, a year no paper has, an overlong
title) is read as well as it can be and reported with its file:line; a value
the paper model refuses imports nothing and says where it is.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path
from typing import TextIO

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, transaction

from nice.text import clean_text, has_unwanted
from papers.importing import EntryError, save_entries
from papers.lists import PaperEntry, apply_choices, parse_paper_list
from papers.models import Paper
from papers.mojibake import (
    RepairResult,
    Unsure,
    describe,
    looks_garbled,
    repair,
    undo_wrong_decodings,
)
from sessions.writers import add_papers_as_talks, tag_papers


def read_text(path: Path) -> str:
    """The file's text; a CommandError naming the line where it is not UTF-8."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise CommandError(f"{path}: cannot be read ({error.strerror})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise CommandError(
            f"{path}:{line}: not UTF-8 text; save the file as UTF-8 and import again"
        ) from None


def needs_repair(text: str) -> bool:
    """Whether the repair has anything to look at (clean ASCII or clean Chinese is spared
    the model's load)."""
    return looks_garbled(text) or (not text.isascii() and bool(undo_wrong_decodings(text)[1]))


def read_repaired(command: BaseCommand, path: Path, choose=None) -> str:
    """The file's text, with the encoding damage undone and reported, each unsure
    character settled by `choose(path, result)` (which returns {(line, column):
    character}; by default the suggestions are taken and printed, as import_notes
    wants), and without control characters (reported too)."""
    text = read_text(path)
    if needs_repair(text) or _LOST.search(text):
        result = _repaired(command, path, text)
        text = result.text
        if result.unsure:
            text = apply_choices(text, (choose or accept_suggestions(command))(path, result))
    if has_unwanted(text):
        text = _without_controls(command, path, text)
    return text


_LOST = re.compile("锟斤拷|\ufffd")


def _repaired(command: BaseCommand, path: Path, text: str) -> RepairResult:
    result = repair(text)
    found = describe(result.damage) or "none"
    command.stdout.write(
        f"{path.name}: repaired {result.repaired} characters; damage found: {found}"
    )
    for line in result.unrepairable_lines:
        command.stdout.write(f"  could not repair: {path.name}:{line}")
    if "\ufffd" in result.text and "lost" not in result.damage:
        raise CommandError(f"{path}: the repair left replacement characters; nothing imported")
    return result


def describe_unsure(path: Path, item: Unsure) -> str:
    candidates = ", ".join(f"{c} {p:.0%}" for c, p in item.candidates)
    return f"{path.name}:{item.line}:{item.column + 1}: “{item.context}” — {candidates}"


def refuse_unsure(path: Path, result: RepairResult) -> dict[tuple[int, int], str]:
    listing = "\n".join(f"  unsure: {describe_unsure(path, item)}" for item in result.unsure)
    raise CommandError(
        f"{path}: {len(result.unsure)} repaired characters are unsure; nothing imported.\n"
        f"{listing}\nRun it on a terminal to choose each, or pass --accept to take the suggestions."
    )


def accept_suggestions(command: BaseCommand):
    def choose(path: Path, result: RepairResult) -> dict[tuple[int, int], str]:
        for item in result.unsure:
            command.stdout.write(
                f"  accepted suggestion {item.chosen}: {describe_unsure(path, item)}"
            )
        return {(item.line, item.column): item.chosen for item in result.unsure}

    return choose


def ask_on_terminal(command: BaseCommand, stdin: TextIO):
    """Ask for each unsure character: its number, or Enter for the suggestion."""

    def choose(path: Path, result: RepairResult) -> dict[tuple[int, int], str]:
        chosen = {}
        command.stdout.write(
            f"{len(result.unsure)} unsure characters: type a candidate's number, "
            "or Enter to take the suggestion (the first)."
        )
        for number, item in enumerate(result.unsure, start=1):
            command.stdout.write(f"[{number}/{len(result.unsure)}] {describe_unsure(path, item)}")
            options = "  ".join(
                f"{index}) {c}" for index, (c, _p) in enumerate(item.candidates, start=1)
            )
            while True:
                command.stdout.write(f"  {options} > ", ending="")
                command.stdout.flush()
                answer = stdin.readline()
                if not answer:
                    raise CommandError("no answer (end of input); nothing imported")
                answer = answer.strip()
                if not answer:
                    character = item.chosen
                    break
                if answer.isdigit() and 1 <= int(answer) <= len(item.candidates):
                    character = item.candidates[int(answer) - 1][0]
                    break
                if answer in {c for c, _p in item.candidates}:
                    character = answer
                    break
                command.stdout.write(f"  “{answer}” is not one of the numbers shown")
            chosen[(item.line, item.column)] = character
            verb = "kept suggestion" if character == item.chosen else "chose"
            command.stdout.write(
                f"  {verb} {character} at {path.name}:{item.line}:{item.column + 1}"
            )
        return chosen

    return choose


def _without_controls(command: BaseCommand, path: Path, text: str) -> str:
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        if has_unwanted(line):
            found = dict.fromkeys(f"U+{ord(c):04X}" for c in line if has_unwanted(c))
            command.stdout.write(
                f"warning: {path.name}:{number}: control characters removed ({', '.join(found)})"
            )
    return clean_text(text)


def fit_titles(entries: list[PaperEntry]) -> None:
    """Titles cut to what a paper holds, with a warning (a new paper would be cut
    silently, an existing one refused)."""
    limit = Paper._meta.get_field("title").max_length
    assert limit is not None
    for entry in entries:
        if len(entry.title) > limit:
            entry.problems.append(
                (
                    entry.line,
                    f"the title has {len(entry.title)} characters; only the first {limit} are kept",
                )
            )
            entry.title = entry.title[:limit]


def save_all(path: Path, entries: list[PaperEntry], counts: Counter) -> list[Paper]:
    """Save every entry; the first one refused stops the import with its file:line
    (the caller's transaction then rolls back the whole file)."""
    papers = []
    for entry in entries:
        try:
            papers += save_entries([entry], counts)
        except EntryError as error:
            raise CommandError(f"{path}:{error}; nothing imported") from None
        except DatabaseError as error:
            raise CommandError(
                f"{path}:{entry.line}: the database refused this paper ({error}); nothing imported"
            ) from None
    return papers


def report_problems(command: BaseCommand, path: Path, entries: list[PaperEntry]) -> None:
    for line, problem in sorted(p for entry in entries for p in entry.problems):
        command.stdout.write(f"warning: {path.name}:{line}: {problem}")


def session_argument(value: str | None):
    if not value:
        return None
    from sessions.models import Session

    slug, _slash, number = value.partition("/")
    session = Session.objects.filter(
        series__slug=slug, number=int(number) if number.isdigit() else -1
    ).first()
    if session is None:
        raise CommandError(f"no session {value}: give it as SERIES/NUMBER, e.g. nice/47")
    return session


def import_entries(
    path: Path, entries: list[PaperEntry], target=None, dry_run: bool = False
) -> tuple[list[Paper], Counter, int]:
    """Save the entries, tag them with their topics and add them as talks of `target`,
    all or nothing. Returns the papers, the created/updated/unchanged counts and the
    number of talks added. Hits the database."""
    fit_titles(entries)
    counts: Counter = Counter()
    with transaction.atomic():
        papers = save_all(path, entries, counts)
        tag_papers(papers, [entry.topic for entry in entries])
        talks = add_papers_as_talks(papers, target) if target else 0
        if dry_run:
            transaction.set_rollback(True)
    return papers, counts, talks


NO_ENTRIES = (
    "no papers found: “- [x] **Name**: Title” items, numbered items, "
    "a table with a Title column, or arXiv links"
)


class Command(BaseCommand):
    help = "Import papers from a paper list (with encoding repair)."
    # Tests answer the prompts through call_command(..., stdin=...).
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--session", help="also add the papers as talks of SERIES/NUMBER")
        parser.add_argument("--dry-run", action="store_true")
        parser.add_argument(
            "--accept",
            action="store_true",
            help="take the suggestion for every character the repair is unsure of",
        )
        parser.add_argument(
            "--no-input",
            dest="interactive",
            action="store_false",
            default=None,
            help="never ask, even on a terminal",
        )

    def handle(
        self,
        *args,
        file: Path,
        session: str | None,
        dry_run: bool,
        accept: bool = False,
        interactive: bool | None = None,
        **options,
    ):
        target = session_argument(session)
        stdin = options.get("stdin") or sys.stdin
        if interactive is None:
            interactive = stdin.isatty()
        if accept:
            choose = accept_suggestions(self)
        elif interactive:
            choose = ask_on_terminal(self, stdin)
        else:
            choose = refuse_unsure
        entries = parse_paper_list(read_repaired(self, file, choose))
        if not entries:
            raise CommandError(f"{file}: {NO_ENTRIES}")
        _papers, counts, talks = import_entries(file, entries, target, dry_run)
        report_problems(self, file, entries)
        self.stdout.write(
            self.style.SUCCESS(
                f"{'dry run, nothing written: ' if dry_run else ''}{len(entries)} papers: "
                f"{counts['created']} created, {counts['updated']} updated, {counts['unchanged']} unchanged"
                + (f"; {talks} talks added to {session}" if target else "")
            )
        )
