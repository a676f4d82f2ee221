"""Throughput of public pages over HTTP, as ratios to /healthz on the same server (issue 13).

    .venv/bin/python scripts/bench_http.py                    # SQLite, demo archive
    scripts/with-postgres .venv/bin/python scripts/bench_http.py --sessions 5000

Runs gunicorn as the Dockerfile does (DEBUG off, sync workers) and wrk
(Debian's `wrk`) against it. Each page is measured in rounds interleaved with
/healthz (the machine is shared and noisy, so only the ratio means anything):
"cached" is the server as shipped, "uncached" the same server with the page
cache off (PAGE_CACHE_SECONDS=0). Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from local_servers import create_postgres_database, manage, start_gunicorn

ROOT = Path(__file__).resolve().parents[1]
# The session with 10 talks that the "uncached session page" row is about.
TEN_TALKS_NUMBER = 900
PAGES = [
    "/",
    "/nice/",
    "/nice/?year=2024",
    "/nice/{session}/",
    f"/nice/{TEN_TALKS_NUMBER}/",
    "/people/{person}/",
    "/keywords/{keyword}/",
    "/nice/feed/atom/",
    "/nice/calendar.ics",
    "/api/v1/series/nice/sessions",
    "/api/v1/series/nice/sessions/{session}",
]

TEN_TALKS = f"""
from datetime import timedelta
from django.utils import timezone
from papers.models import Paper
from sessions.models import Person, Series, Session, Talk, TalkPresenter
series = Series.objects.get(slug="nice")
session = Session.objects.create(
    series=series, number={TEN_TALKS_NUMBER}, title="十个报告：多模态大模型专场",
    starts_at=timezone.now() - timedelta(days=3), status="published",
    description="本期讨论 **多模态** 模型的幻觉，$x^2$ 与对比学习。",
)
for t in range(10):
    paper = Paper.objects.create(title=f"Ten talks paper {{t}}", venue="ICLR 2025", year=2025,
                                 arxiv_id=f"2501.{{90000 + t}}", authors="Ada Lovelace\\nAlan Turing")
    talk = Talk.objects.create(session=session, order=t + 1, title=f"第{{t + 1}}个报告", paper=paper,
                               summary=f"损失 $\\\\mathcal{{{{L}}}}_{{t}} = -\\\\log p(x)$，摘要。")
    person = Person.objects.create(name=f"讲者 {{t}}", slug=f"ten-talks-{{t}}")
    TalkPresenter.objects.create(talk=talk, person=person, order=1)
"""

GENERATE = """
import random
from datetime import timedelta
from django.db import transaction
from papers.models import Paper
from sessions.models import Keyword, Person, Series, Session, Talk, TalkPresenter
count, talks_per = {sessions}, {talks}
series = Series.objects.get(slug="nice")
start = Session.objects.earliest("starts_at").starts_at
random.seed(13)
with transaction.atomic():
    people = Person.objects.bulk_create(
        Person(name=f"嘉宾 {{i}}", slug=f"guest-{{i}}", name_key=f"guest {{i}}") for i in range(2000)
    )
    keywords = Keyword.objects.bulk_create(
        Keyword(name=f"主题{{i}}", slug=f"topic-{{i}}") for i in range(200)
    )
    sessions = Session.objects.bulk_create(
        Session(series=series, number=1000 + n, title=f"合成分享 {{n}}：多模态与推理",
                starts_at=start - timedelta(days=n + 1), status="published",
                description="本期讨论 **多模态** 模型的幻觉，$x^2$ 与对比学习。")
        for n in range(count)
    )
    papers = Paper.objects.bulk_create(
        Paper(title=f"Synthetic paper {{n}}.{{t}}", venue="ICLR 2025", year=2024 - n % 5,
              arxiv_id=f"24{{n % 12 + 1:02d}}.{{n * 10 + t:05d}}")
        for n in range(count) for t in range(talks_per)
    )
    talks = Talk.objects.bulk_create(
        Talk(session=session, order=t + 1, title=f"Talk {{n}}.{{t}}", paper=papers[n * talks_per + t],
             summary=f"损失 $\\\\mathcal{{{{L}}}}_{{t}} = -\\\\log p(x)$，第{{t}}个报告的摘要。")
        for n, session in enumerate(sessions) for t in range(talks_per)
    )
    TalkPresenter.objects.bulk_create(
        TalkPresenter(talk=talk, person=random.choice(people), order=1) for talk in talks
    )
    Through = Session.keywords.through
    Through.objects.bulk_create(
        Through(session=session, keyword=random.choice(keywords)) for session in sessions
    )
# Planner statistics, as autovacuum would have them on a live server after such growth.
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("ANALYZE")
print(len(sessions), "sessions", len(talks), "talks")
"""


@contextlib.contextmanager
def gunicorn(env: dict[str, str], workdir: Path, name: str) -> Iterator[str]:
    base, process = start_gunicorn(env, workdir / f"{name}.log", workers=3)
    try:
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


def wrk(url: str, seconds: float, connections: int) -> tuple[float, float]:
    """Requests per second and p99 latency in ms."""
    result = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds:g}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    )
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)[1])  # type: ignore[index]
    if re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout):
        sys.exit(f"{url} answered errors:\n{result.stdout}")
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", result.stdout)
    assert p99, result.stdout
    factor = {"us": 0.001, "ms": 1, "s": 1000}[p99[2]]
    return rps, float(p99[1]) * factor


def ratio(
    base: str, path: str, rounds: int, seconds: float, connections: int
) -> tuple[float, float]:
    """Median of per-round ratios page/healthz, interleaved; and the page's worst p99."""
    wrk(base + path, 2, connections)  # warm: templates, connections, the cache
    ratios, p99s = [], []
    for _ in range(rounds):
        health, _ = wrk(base + "/healthz", seconds, connections)
        page, p99 = wrk(base + path, seconds, connections)
        if not health:
            sys.exit(f"/healthz answered nothing in {seconds:g} s: the machine is overloaded")
        ratios.append(page / health)
        p99s.append(p99)
    return statistics.median(ratios), max(p99s)


def page_urls(env: dict[str, str]) -> list[str]:
    ids = manage(
        env,
        "shell",
        "-c",
        "from django.db.models import Count; from sessions.models import Session;"
        f"s = Session.objects.filter(series__slug='nice').exclude(number={TEN_TALKS_NUMBER})"
        ".annotate(n=Count('talks')).order_by('-n', 'number').first();"
        "p = s.talks.first().talk_presenters.first();"
        "print(s.number, p.person.slug if p else '-', (s.keywords.first() or s).slug)",
    ).splitlines()
    session, person, keyword = ids[-1].split()
    urls = []
    for page in PAGES:
        quoted = {"person": person, "keyword": keyword, "session": session}
        urls.append(page.format(**{k: urllib.parse.quote(v) for k, v in quoted.items()}))
    return urls


TARGETS = """
issue 13's table ({engine}; ratios to /healthz on the same gunicorn; p99 at {connections} connections)
| | measured | target |
|---|---|---|
"""


def measure(env: dict, workdir: Path, urls: list[str], args) -> dict[str, tuple[float, ...]]:
    """Per URL: cached ratio, cached p99, uncached ratio, uncached p99."""
    results: dict[str, list[float]] = {url: [] for url in urls}
    for label, extra in (("cached", {}), ("uncached", {"PAGE_CACHE_SECONDS": "0"})):
        with gunicorn({**env, **extra}, workdir, label) as base:
            for url in urls:
                results[url].extend(ratio(base, url, args.rounds, args.seconds, args.connections))
    return {url: tuple(values) for url, values in results.items()}


def print_results(title: str, results: dict[str, tuple[float, ...]]) -> None:
    print(f"\n{title}")
    print(f"{'page':<36}{'cached':>9}{'p99 ms':>9}{'uncached':>10}{'p99 ms':>9}")
    for url, (cached, cached_p99, uncached, uncached_p99) in results.items():
        print(f"{url:<36}{cached:>8.2f}×{cached_p99:>9.1f}{uncached:>9.2f}×{uncached_p99:>9.1f}")


def print_targets(engine: str, args, demo: dict, large: dict | None) -> None:
    def slowest(results: dict, urls: list[str], column: int) -> str:
        worst = min(urls, key=lambda url: results[url][column])
        return f"{results[worst][column]:.2f}× ({worst})"

    main_pages = [url for url in demo if url in ("/", "/nice/") or re.fullmatch(r"/nice/\d+/", url)]
    ten = f"/nice/{TEN_TALKS_NUMBER}/"
    print(TARGETS.format(engine=engine, connections=args.connections), end="")
    print(
        f"| cached anonymous page, slowest of home, archive, session | {slowest(demo, main_pages, 0)} | ≥ 0.8× |"
    )
    print(f"| uncached session page, 10 talks | {demo[ten][2]:.2f}× | ≥ 0.3× |")
    if large is None:
        print("| (the rows at 5,000 sessions: run with --sessions 5000 on PostgreSQL) | | |")
        return
    archive = large["/nice/"]
    print(
        f"| uncached archive page, {args.sessions:,} sessions | {archive[2]:.2f}×, p99 "
        f"{archive[3]:.0f} ms | ≥ 0.15×, p99 < 100 ms |"
    )
    # Time per request relative to /healthz is 1/ratio: large over demo, uncached.
    growth = {url: demo[url][2] / large[url][2] for url in demo}
    worst = max(growth, key=growth.__getitem__)
    print(
        f"| every public page, {args.sessions:,} sessions vs demo (uncached) | worst "
        f"{growth[worst]:.2f}× ({worst}) | ≤ 1.5× |"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--sessions", type=int, default=0, help="generated sessions on top of the demo"
    )
    parser.add_argument("--talks", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=2)
    parser.add_argument("--connections", type=int, default=20)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (apt-get install wrk)")

    workdir = Path(tempfile.mkdtemp(prefix="nice-bench-http-"))
    database_url = os.environ.get("DATABASE_URL", f"sqlite:///{workdir}/bench.sqlite3")
    if database_url.startswith("postgres"):
        create_postgres_database(database_url, fresh=True)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": "bench-only",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DB_CONN_MAX_AGE": "60",
        "CACHE_DIR": str(workdir / "cache"),
        "LOG_LEVEL": "WARNING",
    }
    manage(env, "migrate", "--noinput")
    manage(env, "load_demo")
    manage(env, "shell", "-c", TEN_TALKS)
    manage(env, "collectstatic", "--noinput", "-v0")
    engine = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    urls = page_urls(env)
    print(
        f"{engine}; gunicorn 3 workers, wrk {args.connections} connections, "
        f"{args.rounds} interleaved rounds of {args.seconds:g} s; ratio = page req/s ÷ /healthz req/s"
    )
    demo = measure(env, workdir, urls, args)
    print_results(f"{engine}, demo archive", demo)
    large = None
    if args.sessions:
        began = time.perf_counter()
        output = manage(
            env, "shell", "-c", GENERATE.format(sessions=args.sessions, talks=args.talks)
        )
        made = output.strip().splitlines()[-1]  # the shell's own banner comes first
        print(f"\ngenerated {made.strip()} in {time.perf_counter() - began:.1f} s")
        large = measure(env, workdir, urls, args)
        print_results(f"{engine}, demo + {made.strip()}", large)
    print_targets(engine, args, demo, large)
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
