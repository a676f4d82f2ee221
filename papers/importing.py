"""Save parsed paper entries through the one paper writer."""

from __future__ import annotations

from collections import Counter

from papers.lists import PaperEntry
from papers.models import Paper
from papers.writers import write_paper

FIELDS = ("title", "venue", "year", "arxiv_id", "url", "code_url", "project_url", "notes")


def save_entries(entries: list[PaperEntry], counts: Counter) -> list[Paper]:
    """Create or update one paper per entry; counts created/updated/unchanged.
    Hits the database; raises ValidationError for a value the model refuses."""
    papers = []
    for entry in entries:
        paper, outcome = write_paper({name: getattr(entry, name) for name in FIELDS})
        counts[outcome] += 1
        papers.append(paper)
    return papers
