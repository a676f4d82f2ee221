"""Rewrite every search row from the archive: after a restore, a raw SQL change, or a
new normaliser. Idempotent; batch by batch, each in its own transaction."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from nice.progress import ProgressBar
from papers.models import Paper
from search import sync
from search.models import SearchDocument
from sessions.models import Person, Session, Talk

Kind = SearchDocument.Kind
MODELS: dict[str, Any] = {
    Kind.SESSION: Session,
    Kind.TALK: Talk,
    Kind.PAPER: Paper,
    Kind.PERSON: Person,
}


class Command(BaseCommand):
    help = "Rebuild the search index from the archive (sessions, talks, papers, people)."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=sync.BATCH_SIZE)

    def handle(self, *args, batch_size: int, verbosity: int, **options):
        started = time.monotonic()
        total = 0
        for kind, model in MODELS.items():
            ids = list(model.objects.order_by("pk").values_list("pk", flat=True))
            # Rows of objects that no longer exist (deleted behind the index's back).
            SearchDocument.objects.filter(kind=kind).exclude(
                object_id__in=model.objects.values("pk")
            ).delete()
            progress = ProgressBar(self.stdout, f"{kind:8}", len(ids), enabled=bool(verbosity))
            for start in range(0, len(ids), batch_size):
                with transaction.atomic():
                    total += sync.write(kind, ids[start : start + batch_size])
                progress.update(min(start + batch_size, len(ids)))
        if verbosity:
            self.stdout.write(
                self.style.SUCCESS(f"Indexed {total} rows in {time.monotonic() - started:.1f} s.")
            )
