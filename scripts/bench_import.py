"""Import at scale: a synthetic NICE-format archive of N sessions × 3 talks, imported
twice (first into an empty database, then again unchanged), on DATABASE_URL
(PostgreSQL when given, else a throwaway SQLite file).

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


def timed_import(root: Path, slug: str) -> tuple[float, str]:
    out = StringIO()
    began = time.perf_counter()
    call_command("import_archive", str(root), "--series", slug, stdout=out)
    return time.perf_counter() - began, out.getvalue().strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, nargs="+", default=[90, 1000])
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    engine = connection.vendor
    for count in args.sessions:
        root = Path(workdir) / f"archive-{count}"
        write_synthetic_archive(root, count)
        first, summary = timed_import(root, f"synthetic-{count}")
        again, _ = timed_import(root, f"synthetic-{count}")
        print(
            f"import {count:,} sessions × 3 talks ({engine}): first {first:.1f} s "
            f"({count / first:,.0f} sessions/s), again unchanged {again:.1f} s "
            f"({again / first:.0%} of the first)  [{summary}]"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of the importing process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
