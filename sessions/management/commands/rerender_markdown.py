"""python manage.py rerender_markdown [--all]

Summaries, descriptions and notes are rendered to HTML when saved and stored
with the renderer's version (nice.markdown.RENDERER_VERSION). After an upgrade
of the renderer, or rows written by bulk statements, this renders what is
stale, in batches; pages show stale rows right meanwhile, only slower. The
Docker image runs it on every start: with nothing stale it is one query a model.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from nice import pagecache
from nice.markdown import RENDERER_VERSION, RenderedMarkdownModel
from papers.models import Paper
from sessions.models import Series, Session, Talk

BATCH = 500


class Command(BaseCommand):
    help = "Render stored Markdown that an older renderer (or none) made."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--all", action="store_true", help="render every row again")

    def handle(self, *args, **options) -> None:
        total = 0
        for model in (Series, Session, Talk, Paper):
            count = rerender(model, everything=options["all"])
            total += count
            if count:
                self.stdout.write(f"{model._meta.verbose_name_plural}: {count} rendered")
        if total:
            pagecache.content_changed()  # bulk statements send no signal
        self.stdout.write(f"{total} rendered with {RENDERER_VERSION}")


def rerender(model: type[RenderedMarkdownModel], *, everything: bool = False) -> int:
    """Render the stale rows of `model` in batches of BATCH; returns how many."""
    stale = model._default_manager.order_by("pk")
    if not everything:
        stale = stale.exclude(rendered_with=RENDERER_VERSION)
    fields = ["rendered_with", *(f"{name}_html" for name in model.MARKDOWN_FIELDS)]
    columns = ["pk", *model.MARKDOWN_FIELDS]
    done, last_pk = 0, 0
    while True:
        batch = list(stale.filter(pk__gt=last_pk).only(*columns)[:BATCH])
        if not batch:
            return done
        for row in batch:
            row.render_markdown_fields()
        model._default_manager.bulk_update(batch, fields)
        done += len(batch)
        last_pk = batch[-1].pk
