"""Import at scale: a synthetic NICE-format archive of N sessions × 3 talks, imported
twice (first into an empty database, then again unchanged), on DATABASE_URL
(PostgreSQL when given, else a throwaway SQLite file). Prints wall time, the
importing process's CPU time (wall time on a shared machine depends on its load)
and statements per session.

    scripts/with-postgres .venv/bin/python scripts/bench_import.py --sessions 10000
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from io import StringIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
workdir = tempfile.mkdtemp(prefix="nice-bench-import-")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir}/bench.sqlite3")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nice.settings")
if os.environ["DATABASE_URL"].startswith("postgres"):
    from local_servers import create_postgres_database

    create_postgres_database(os.environ["DATABASE_URL"], fresh=True)

import django  # noqa: E402

django.setup()

from bench import write_synthetic_archive  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402


def timed_import(root: Path, slug: str) -> tuple[float, float, int, str]:
    """Wall seconds, CPU seconds of this process, statements sent, the summary line."""
    out = StringIO()
    statements = 0

    def count(execute, sql, params, many, context):
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    cpu = time.process_time()
    began = time.perf_counter()
    with connection.execute_wrapper(count):
        call_command("import_archive", str(root), "--series", slug, stdout=out)
    wall, cpu = time.perf_counter() - began, time.process_time() - cpu
    return wall, cpu, statements, out.getvalue().strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, nargs="+", default=[90, 1000])
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    engine = connection.vendor
    for count in args.sessions:
        root = Path(workdir) / f"archive-{count}"
        write_synthetic_archive(root, count)
        first, first_cpu, first_statements, summary = timed_import(root, f"synthetic-{count}")
        again, again_cpu, again_statements, _ = timed_import(root, f"synthetic-{count}")
        print(
            f"import {count:,} sessions × 3 talks ({engine}): first {first:.1f} s "
            f"({count / first:,.0f} sessions/s; CPU {first_cpu:.1f} s; "
            f"{first_statements / count:.1f} statements/session), again unchanged {again:.1f} s "
            f"({again / first:.0%} of the first; CPU {again_cpu:.1f} s; "
            f"{again_statements / count:.1f} statements/session)  [{summary}]"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of the importing process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
