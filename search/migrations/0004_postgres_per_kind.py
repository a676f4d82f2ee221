"""PostgreSQL: one GIN index per kind, and tsvectors kept in the row.

A search asks each kind for its newest matches. With one GIN index over every
kind, a name found in 40,000 talks and 3 people still collected the 40,000
before keeping the people; one partial index per kind (WHERE kind = ...) holds
only that kind's rows. (No `public` in the predicate: the pickers search drafts'
rows too.)

For a common term the planner walks search_public_recent newest first and tests
each row's vector, stopping at the LIMIT; that test read the vector from TOAST
(a 1-2 kB tsvector compresses badly, but rows just over 2 kB were moved out):
about 2.8 buffers a row. toast_tuple_target = 8160 and STORAGE MAIN keep vectors
in the row unless it is longer than a page: 2.4x faster walks on 100,000 session
rows, and a smaller table (212 MB instead of 356 MB). Existing rows are rewritten
so that they move in (VACUUM afterwards to give the old versions' space back).
"""

from django.db import migrations

KINDS = ("person", "paper", "session", "talk")
TABLE = "search_searchdocument"

FORWARD = [
    # Parallel workers only add their start-up to a search that stops at a LIMIT.
    f"ALTER TABLE {TABLE} SET (toast_tuple_target = 8160, parallel_workers = 0)",
    f"ALTER TABLE {TABLE} ALTER COLUMN vector SET STORAGE MAIN",
    # Concatenating nothing makes a new value, stored by the new rules.
    f"UPDATE {TABLE} SET vector = vector || ''::tsvector WHERE vector IS NOT NULL",
    "DROP INDEX IF EXISTS search_vector",
    *(
        f"CREATE INDEX search_vector_{kind} ON {TABLE} USING gin (vector) WHERE kind = '{kind}'"
        for kind in KINDS
    ),
    # More most-common lexemes counted, so the planner knows a broad term when it sees one.
    f"ALTER TABLE {TABLE} ALTER COLUMN vector SET STATISTICS 1000",
    f"ANALYZE {TABLE}",
    # JIT is switched off per connection in settings (DATABASES OPTIONS), not here:
    # altering the database needs its owner, which the app's role may not be.
]

BACKWARD = [
    *(f"DROP INDEX IF EXISTS search_vector_{kind}" for kind in KINDS),
    f"CREATE INDEX search_vector ON {TABLE} USING gin (vector)",
    f"ALTER TABLE {TABLE} ALTER COLUMN vector SET STATISTICS -1",
    f"ALTER TABLE {TABLE} ALTER COLUMN vector SET STORAGE EXTENDED",
    f"ALTER TABLE {TABLE} RESET (toast_tuple_target, parallel_workers)",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("search", "0003_sqlite_newest_first")]

    operations = [migrations.RunPython(forward, backward)]
