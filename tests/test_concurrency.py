"""Parallel saves on SQLite wait for each other instead of failing with "database is locked".

Real gunicorn with two worker processes on a real SQLite file, a real login and
real concurrent POSTs: nothing here is mocked. On PostgreSQL the test is skipped,
since what it checks (SQLite's locking) does not exist there.
"""

from __future__ import annotations

import contextlib
import http.client
import http.cookiejar
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[1]
REQUESTS = 100
THREADS = 8
TIMEOUT = 15  # seconds, for every request and every wait

pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="checks SQLite's locking; the database under test is not SQLite",
)

SETUP = """
from datetime import datetime, UTC
from django.contrib.auth.models import User
from sessions.models import Series, Session
organizer = User.objects.create_user("organizer", password="a long test password")
series = Series.objects.create(slug="nice", name="NICE", timezone="Asia/Shanghai")
series.organizers.add(organizer)
Session.objects.create(
    series=series, number=47, title="Load", status="draft",
    starts_at=datetime(2030, 3, 16, 11, tzinfo=UTC),
)
"""


def manage(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(base: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("gunicorn did not answer /healthz:\n" + log.read_text())


def log_in(base: str) -> dict[str, str]:
    """The cookies of a real login: the session and the CSRF token it rotated."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(base + "/accounts/login/", timeout=TIMEOUT) as page:
        html = page.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert token, html
    form = {
        "username": "organizer",
        "password": "a long test password",
        "csrfmiddlewaretoken": token[1],
    }
    with opener.open(
        base + "/accounts/login/", urllib.parse.urlencode(form).encode(), timeout=TIMEOUT
    ) as answer:
        assert answer.url == base + "/manage/", answer.url
    return {cookie.name: cookie.value for cookie in jar}


def add_talk(address: str, cookies: dict[str, str], title: str) -> int:
    """The status of one "add a talk" POST, as the workspace's form sends it without htmx."""
    host, port = address.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=TIMEOUT)
    try:
        connection.request(
            "POST",
            "/manage/nice/47/talks/",
            body=urllib.parse.urlencode({"reference": title}),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items()),
                "X-CSRFToken": cookies["csrftoken"],
            },
        )
        return connection.getresponse().status
    finally:
        connection.close()


def test_it_saves_every_talk_of_parallel_adds_on_two_gunicorn_workers(tmp_path):
    database = tmp_path / "load.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "DEBUG": "true",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "CACHE_DIR": str(tmp_path / "cache"),  # its own, shared by its two workers
        "LOG_LEVEL": "WARNING",
    }
    manage(env, "migrate", "--noinput")
    manage(env, "shell", "-c", SETUP)

    address = f"127.0.0.1:{free_port()}"
    base = f"http://{address}"
    log = tmp_path / "gunicorn.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [
                *[sys.executable, "-m", "gunicorn", "nice.wsgi", "--workers", "2"],
                *["--bind", address, "--access-logfile", "-"],
                # Which worker answered each request, so the test knows both took some.
                *["--access-logformat", "worker=%(p)s %(m)s %(U)s"],
            ],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the master and its workers
        )
    try:
        wait_until_up(base, server, log)
        cookies = log_in(base)
        with ThreadPoolExecutor(THREADS) as pool:
            statuses = list(
                pool.map(
                    lambda n: add_talk(address, cookies, f"Parallel talk {n}"), range(REQUESTS)
                )
            )
    finally:
        # SIGINT is gunicorn's quick shutdown; killing the group ends a worker left stuck.
        server.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=5)

    with contextlib.closing(sqlite3.connect(database, timeout=5)) as connection:
        orders = [
            row[0]
            for row in connection.execute('SELECT "order" FROM nice_sessions_talk ORDER BY 1')
        ]
    lines = log.read_text().splitlines()
    workers = {line.split()[0] for line in lines if line.endswith("POST /manage/nice/47/talks/")}
    errors = [line for line in lines if "OperationalError" in line]
    assert len(workers) == 2, workers
    # Nothing lost and nothing half-saved: one talk for each request that succeeded...
    assert len(orders) == statuses.count(302)
    # ...and every request succeeded, each talk in its own place.
    assert Counter(statuses) == {302: REQUESTS}, errors[:3]
    assert orders == list(range(1, REQUESTS + 1))
