"""Each database's own full-text index over the search rows.

PostgreSQL: a GIN index on the tsvector column. SQLite: an FTS5 table over
tokens_a/b/c (external content: the tokens are stored once, in the row) kept in
step by triggers; its tokenizer keeps . / _ - inside tokens, as the normaliser does.
"""

from django.db import migrations

POSTGRES = [
    (
        "CREATE INDEX search_vector ON search_searchdocument USING gin (vector)",
        "DROP INDEX IF EXISTS search_vector",
    ),
]

SQLITE = [
    (
        """CREATE VIRTUAL TABLE search_fts USING fts5(
            tokens_a, tokens_b, tokens_c,
            content='search_searchdocument', content_rowid='id',
            tokenize="unicode61 remove_diacritics 0 tokenchars './_-'",
            prefix='1 2 3'
        )""",
        "DROP TABLE IF EXISTS search_fts",
    ),
    (
        """CREATE TRIGGER search_fts_insert AFTER INSERT ON search_searchdocument BEGIN
            INSERT INTO search_fts(rowid, tokens_a, tokens_b, tokens_c)
            VALUES (new.id, new.tokens_a, new.tokens_b, new.tokens_c);
        END""",
        "DROP TRIGGER IF EXISTS search_fts_insert",
    ),
    (
        """CREATE TRIGGER search_fts_delete AFTER DELETE ON search_searchdocument BEGIN
            INSERT INTO search_fts(search_fts, rowid, tokens_a, tokens_b, tokens_c)
            VALUES ('delete', old.id, old.tokens_a, old.tokens_b, old.tokens_c);
        END""",
        "DROP TRIGGER IF EXISTS search_fts_delete",
    ),
    (
        """CREATE TRIGGER search_fts_update AFTER UPDATE ON search_searchdocument BEGIN
            INSERT INTO search_fts(search_fts, rowid, tokens_a, tokens_b, tokens_c)
            VALUES ('delete', old.id, old.tokens_a, old.tokens_b, old.tokens_c);
            INSERT INTO search_fts(rowid, tokens_a, tokens_b, tokens_c)
            VALUES (new.id, new.tokens_a, new.tokens_b, new.tokens_c);
        END""",
        "DROP TRIGGER IF EXISTS search_fts_update",
    ),
]

STATEMENTS = {"postgresql": POSTGRES, "sqlite": SQLITE}


def create(apps, schema_editor):
    for forward, _backward in STATEMENTS.get(schema_editor.connection.vendor, []):
        schema_editor.execute(forward)


def drop(apps, schema_editor):
    for _forward, backward in reversed(STATEMENTS.get(schema_editor.connection.vendor, [])):
        schema_editor.execute(backward)


class Migration(migrations.Migration):
    dependencies = [("search", "0001_index")]

    operations = [migrations.RunPython(create, drop)]
