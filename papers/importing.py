"""Save parsed paper entries: reuse papers by arXiv id (else title), fill what is new."""

from __future__ import annotations

from collections import Counter

from django.db.models import Max

from papers.lists import PaperEntry
from papers.models import Paper

FIELDS = ("venue", "year", "arxiv_id", "url", "code_url", "project_url", "notes")


def save_entries(entries: list[PaperEntry], counts: Counter) -> list[Paper]:
    """Create or update one paper per entry; counts created/updated/unchanged. Hits the database."""
    from sessions.models import Keyword

    papers = []
    for entry in entries:
        paper = Paper.objects.matching(arxiv_id=entry.arxiv_id, title=entry.title)
        values = {name: getattr(entry, name) for name in FIELDS if getattr(entry, name)}
        if paper is None:
            paper = Paper.objects.create(title=entry.title[:500], **values)
            counts["created"] += 1
        else:
            changed = {
                name: value for name, value in values.items() if getattr(paper, name) != value
            }
            for name, value in changed.items():
                setattr(paper, name, value)
            if changed:
                paper.save(update_fields=list(changed))
            counts["updated" if changed else "unchanged"] += 1
        if entry.topic:
            keyword = Keyword.objects.filter(
                name=entry.topic[:100]
            ).first() or Keyword.objects.create(name=entry.topic[:100])
            keyword.papers.add(paper)
        papers.append(paper)
    return papers


def add_as_talks(papers: list[Paper], session) -> int:
    """Append the papers not yet presented in `session` as talks; returns how many."""
    from sessions.models import Talk

    present = set(session.talks.values_list("paper_id", flat=True))
    last = session.talks.aggregate(Max("order"))["order__max"] or 0
    added = 0
    for paper in papers:
        if paper.pk in present:
            continue
        last += 1
        Talk.objects.create(
            session=session, order=last, title=paper.title, paper=paper, summary=paper.notes
        )
        present.add(paper.pk)
        added += 1
    return added
