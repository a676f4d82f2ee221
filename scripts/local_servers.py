"""Real servers on loopback for the scripts that need them (two_instances, bench_http)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def manage(env: dict[str, str], *args: str) -> str:
    """Runs manage.py; stops the script with its output if it fails."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode:
        sys.exit(result.stdout + result.stderr)
    return result.stdout


def create_postgres_database(url: str, *, fresh: bool = False) -> None:
    """scripts/with-postgres starts an empty server: make the database the URL names."""
    import psycopg

    name = urllib.parse.urlsplit(url).path.lstrip("/")
    server = urllib.parse.urlsplit(url)._replace(path="/postgres").geturl()
    with psycopg.connect(server, autocommit=True) as connection:
        if fresh:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if exists.fetchone() is None:
            connection.execute(f'CREATE DATABASE "{name}"')


def start_gunicorn(
    env: dict[str, str], log: Path, workers: int = 2
) -> tuple[str, subprocess.Popen]:
    """gunicorn as the Dockerfile runs it, in its own process group (a SIGKILL to the
    group reaches every worker); returns its base URL once /healthz answers."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "nice.wsgi", "--workers", str(workers)]
    process = subprocess.Popen(
        [*command, "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn exited early:\n{log.read_text()}")
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1).close()
            return base, process
        except OSError:
            time.sleep(0.1)
    sys.exit(f"gunicorn did not answer /healthz:\n{log.read_text()}")
