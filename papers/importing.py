"""Save parsed paper entries through the one paper writer."""

from __future__ import annotations

from collections import Counter

from django.core.exceptions import ValidationError

from papers.lists import PaperEntry
from papers.models import Paper
from papers.writers import write_paper

FIELDS = ("title", "venue", "year", "arxiv_id", "url", "code_url", "project_url", "notes")


class EntryError(ValueError):
    """An entry the paper model refuses, with the line it starts on."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"{line}: {message}")
        self.line = line


def save_entries(entries: list[PaperEntry], counts: Counter) -> list[Paper]:
    """Create or update one paper per entry; counts created/updated/unchanged.
    Hits the database; raises EntryError for a value the model refuses."""
    papers = []
    for entry in entries:
        try:
            paper, outcome = write_paper({name: getattr(entry, name) for name in FIELDS})
        except ValidationError as error:
            messages = [
                f"{name}: {' '.join(str(m) for m in found)}"
                for name, found in error.message_dict.items()
            ]
            raise EntryError(entry.line, "; ".join(messages)) from None
        counts[outcome] += 1
        papers.append(paper)
    return papers
