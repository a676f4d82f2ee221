"""SQLite: one FTS5 table per kind, whose rowid orders its rows newest first.

A search wants the newest matches of each kind. FTS5 walks a match's rows in
rowid order and stops at a LIMIT, so each kind's table (search_fts_person,
_paper, _session, _talk) numbers its rows by recency: the row's sort_date in
whole minutes times 2**36, plus its id (below 2**36, so the key is unique and
gives the id back as key & (2**36 - 1)). `ORDER BY rowid DESC LIMIT n` then
reads n matches, not every row a broad term matches.

The tables are contentless (the tokens stay in the row, written once); the
triggers remove a row with the values it was indexed with. Search reads only
rowids from them, and the candidates' columns from the covering index
search_candidate.
"""

from django.db import migrations

KINDS = ("person", "paper", "session", "talk")
TOKENIZE = "unicode61 remove_diacritics 0 tokenchars './_-'"
# The key of a row (old or new): minutes since 1970 * 2**36 + id.
KEY = "(unixepoch({row}.sort_date) / 60) * 68719476736 + {row}.id"
COLUMNS = "tokens_a, tokens_b, tokens_c"


def _values(row: str) -> str:
    return ", ".join(f"{row}.{column.strip()}" for column in COLUMNS.split(","))


def _insert(kind: str, row: str = "new") -> str:
    return (
        f"INSERT INTO search_fts_{kind}(rowid, {COLUMNS})"
        f" SELECT {KEY.format(row=row)}, {_values(row)} WHERE {row}.kind = '{kind}';"
    )


def _delete(kind: str) -> str:
    return (
        f"INSERT INTO search_fts_{kind}(search_fts_{kind}, rowid, {COLUMNS})"
        f" SELECT 'delete', {KEY.format(row='old')}, {_values('old')} WHERE old.kind = '{kind}';"
    )


FORWARD = [
    "DROP TRIGGER IF EXISTS search_fts_insert",
    "DROP TRIGGER IF EXISTS search_fts_delete",
    "DROP TRIGGER IF EXISTS search_fts_update",
    "DROP TABLE IF EXISTS search_fts",
    # What a search reads of its candidates, found by id without the (long) row.
    "CREATE INDEX search_candidate ON search_searchdocument (id, public, kind, object_id,"
    " sort_date, year, series_slug, series_name, venue, session_id)",
    *(
        f"""CREATE VIRTUAL TABLE search_fts_{kind} USING fts5(
            {COLUMNS}, content='', tokenize="{TOKENIZE}", prefix='1 2 3'
        )"""
        for kind in KINDS
    ),
    *(
        f"INSERT INTO search_fts_{kind}(rowid, {COLUMNS})"
        f" SELECT {KEY.format(row='d')}, {_values('d')} FROM search_searchdocument d"
        f" WHERE d.kind = '{kind}'"
        for kind in KINDS
    ),
    "CREATE TRIGGER search_fts_insert AFTER INSERT ON search_searchdocument BEGIN "
    + " ".join(_insert(kind) for kind in KINDS)
    + " END",
    "CREATE TRIGGER search_fts_delete AFTER DELETE ON search_searchdocument BEGIN "
    + " ".join(_delete(kind) for kind in KINDS)
    + " END",
    "CREATE TRIGGER search_fts_update AFTER UPDATE OF kind, sort_date, tokens_a, tokens_b,"
    " tokens_c ON search_searchdocument BEGIN "
    + " ".join(_delete(kind) for kind in KINDS)
    + " "
    + " ".join(_insert(kind) for kind in KINDS)
    + " END",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for statement in FORWARD:
        schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    from importlib import import_module

    engines = import_module("search.migrations.0002_engines")
    for statement in ("search_fts_insert", "search_fts_delete", "search_fts_update"):
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {statement}")
    for kind in KINDS:
        schema_editor.execute(f"DROP TABLE IF EXISTS search_fts_{kind}")
    schema_editor.execute("DROP INDEX IF EXISTS search_candidate")
    for forward_sql, _backward_sql in engines.SQLITE:
        schema_editor.execute(forward_sql)
    schema_editor.execute("INSERT INTO search_fts(search_fts) VALUES ('rebuild')")


class Migration(migrations.Migration):
    dependencies = [("search", "0002_engines")]

    operations = [migrations.RunPython(forward, backward)]
