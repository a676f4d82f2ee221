"""An import killed halfway keeps the sessions it finished, each of them whole.

A real process on a real SQLite file, killed with SIGKILL: nothing here is
simulated, so the test shows what an organizer whose terminal closed would see.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SESSIONS = 200


def write_archive(root: Path) -> None:
    """A NICE-format archive: an index row and a page with three talks per session."""
    pages = root / "docs" / "files"
    pages.mkdir(parents=True)
    rows = []
    for n in range(1, SESSIONS + 1):
        link = f"./docs/files/nice_{n}.md"
        rows.append(
            f"| NICE {n}期 | 2020.1.{n % 28 + 1} | [第{n}期]({link}) | 讲者{n} | 多模态 | [Link]({link}) |"
        )
        talks = "\n\n".join(
            f"论文：Paper {n}.{t}\n论文链接：https://arxiv.org/abs/{2001 + n % 12:04d}.{n * 3 + t:05d}"
            for t in range(3)
        )
        (pages / f"nice_{n}.md").write_text(
            f"# NICE {n}期 | 第{n}期\n\n## 时间\n\n2020.1.{n % 28 + 1} 19:00-21:00\n\n## 内容\n\n{talks}\n",
            encoding="utf-8",
        )
    header = (
        "| ID | Date | Title | Presenter | Keywords | Link |\n| -- | -- | -- | -- | -- | -- |\n"
    )
    (root / "README.md").write_text(header + "\n".join(rows) + "\n", encoding="utf-8")


def manage(env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def counts(database: Path) -> list[tuple[int, int]]:
    """(session number, talks) for every committed session."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as connection:
        return connection.execute(
            "SELECT s.number, COUNT(t.id) FROM nice_sessions_session s "
            "LEFT JOIN nice_sessions_talk t ON t.session_id = s.id GROUP BY s.number"
        ).fetchall()


def test_a_killed_import_keeps_the_sessions_it_finished(tmp_path):
    database = tmp_path / "import.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "DEBUG": "true",
    }
    assert manage(env, "migrate", "--noinput").wait(timeout=120) == 0
    archive = tmp_path / "archive"
    write_archive(archive)

    importing = manage(env, "import_archive", str(archive), "--series", "syn")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and importing.poll() is None:
            if len(counts(database)) >= 10:
                break
            time.sleep(0.05)
        if importing.poll() is not None:
            pytest.fail(f"the import ended before it could be killed:\n{importing.stdout.read()}")
        importing.send_signal(signal.SIGKILL)
        importing.wait(timeout=10)
    finally:
        if importing.poll() is None:
            importing.kill()

    kept = counts(database)
    assert 10 <= len(kept) < SESSIONS
    assert all(talks == 3 for _number, talks in kept)  # each finished session is whole

    again = manage(env, "import_archive", str(archive), "--series", "syn")
    output, _ = again.communicate(timeout=120)
    assert again.returncode == 0, output
    assert (
        f"sessions: {SESSIONS - len(kept)} created, 0 updated, 0 deleted, {len(kept)} unchanged"
        in output
    )
    assert len(counts(database)) == SESSIONS
