"""The search index: one row per session, talk, paper and person.

Rows are written by search.sync whenever the archive changes (in the same
transaction) and by `manage.py rebuild_search_index`; nothing else writes them.
The searchable tokens live where each database's own full-text engine reads
them: `vector` (a tsvector, kept in the row, with one GIN index per kind) on
PostgreSQL, `tokens_*` (read by one FTS5 table per kind, search_fts_<kind>,
numbered newest first and kept in step by triggers) on SQLite.
"""

from __future__ import annotations

from django.db import models


class TsVectorField(models.Field):
    """PostgreSQL's tsvector, written as its text form ('tok':1A ...) and cast there;
    plain text (always NULL) on other databases, which index tokens_* instead."""

    description = "tsvector on PostgreSQL"

    def db_type(self, connection) -> str:
        return "tsvector" if connection.vendor == "postgresql" else "text"

    def get_placeholder_sql(self, value, compiler, connection) -> tuple[str, tuple]:
        if hasattr(value, "as_sql"):
            return compiler.compile(value)
        return ("%s::tsvector" if connection.vendor == "postgresql" else "%s"), (value,)


class SearchDocument(models.Model):
    class Kind(models.TextChoices):
        PERSON = "person"
        PAPER = "paper"
        SESSION = "session"
        TALK = "talk"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    object_id = models.BigIntegerField()
    # Who may see the row: what the public can see (Session.objects.public() and
    # the visible_to(None) rules of the other models). Search shows only these.
    public = models.BooleanField(default=False)
    url = models.CharField(max_length=500)
    title = models.CharField(max_length=500)
    # Plain text the snippet is cut from, and what a result shows around it.
    body = models.TextField(blank=True)
    meta = models.JSONField(default=dict)
    # The recency tie-break: the session's start, a paper's or person's latest talk
    # (else when it was added). Never empty, so one index serves "newest first".
    sort_date = models.DateTimeField()
    # Facets.
    year = models.PositiveSmallIntegerField(null=True)
    series_slug = models.CharField(max_length=50, blank=True)
    series_name = models.CharField(max_length=200, blank=True)
    venue = models.CharField(max_length=100, blank=True)
    session_id = models.BigIntegerField(null=True, db_index=True)
    # SQLite: space-separated tokens by weight (title; people, paper and names;
    # the rest). Empty on PostgreSQL.
    tokens_a = models.TextField(blank=True)
    tokens_b = models.TextField(blank=True)
    tokens_c = models.TextField(blank=True)
    vector = TsVectorField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "object_id"], name="search_one_row_per_object")
        ]
        indexes = [
            models.Index(
                fields=["kind", "-sort_date", "-id"],
                name="search_public_recent",
                condition=models.Q(public=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}: {self.title}"
