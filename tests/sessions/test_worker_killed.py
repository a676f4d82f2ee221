"""Issue 10, "exactly once": the worker killed in the middle of sending 1,000 reminders
and started again delivers each of them once.

A real `manage.py run_worker` process on a database of its own (a SQLite file, or a
fresh database on the suite's PostgreSQL server when DATABASE_URL names one), sending
over SMTP to a real server on loopback in this process, killed with SIGKILL: nothing
is simulated.

The kill lands at the worst moment: the server has received the whole 201st mail and
holds its answer, so the worker dies with that row claimed ("sending") and the mail
delivered, before it could record it as sent. No one can tell such a row from one
whose mail never left (a worker killed before the server had it), so
sessions/outreach/mailer.py never sends a "sending" row again (it becomes "unknown"
after CLAIM_TIMEOUT, for an admin to look at). Here that is what makes the held mail
arrive once, not twice; a kill at any other moment leaves at most that one row
unsent, never a duplicate. Every other row is sent by the restarted worker, once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from pathlib import Path

import pytest

from tests.mail_server import MailServer, _Handler

ROOT = Path(__file__).resolve().parents[2]
SUBSCRIBERS = 1000
KILL_AFTER = 200  # mails the server has received when the worker is killed
HOLD_SECONDS = 1.0

# Run by `manage.py shell` in the worker's database: one published session starting in
# two hours (its 24-hour reminder is due now) and 1,000 confirmed subscribers of its
# series. The announcement that publishing planned is removed (with the task that would
# dispatch it at once), so the reminder is the only mail there is to send.
SETUP = f"""
from datetime import timedelta
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from sessions.models import Series, Session
from sessions.outreach.models import Mailing, Subscription

series = Series.objects.create(slug="nice", name="NICE 每周分享", timezone="Asia/Shanghai")
Session.objects.create(
    series=series, number=47, title="多模态论文分享", status="published",
    starts_at=timezone.now() + timedelta(hours=2),
)
Mailing.objects.all().delete()
DBTaskResult.objects.all().delete()
Subscription.objects.bulk_create(
    Subscription(
        series=series, email=f"s{{n:04d}}@example.org",
        language=("en", "zh-hans")[n % 2], confirmed_at=timezone.now(),
    )
    for n in range({SUBSCRIBERS})
)
"""

# The deliveries as the worker's database has them: status → addresses.
REPORT = """
import json
from sessions.outreach.models import Delivery
rows = {}
for kind, status, email in Delivery.objects.values_list("kind", "status", "email"):
    rows.setdefault(f"{kind} {status}", []).append(email)
print(json.dumps(rows))
"""


class HoldingHandler(_Handler):
    """The loopback server's handler, which holds the mail after `hold_at` for a second
    once it has the whole message, before answering: the worker is then certainly
    waiting for the server's answer about a row it has claimed."""

    def __init__(self, hold_at: int) -> None:
        super().__init__()
        self.hold_at = hold_at
        self.holding = threading.Event()
        self.released = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        hold = len(self.received) == self.hold_at and not self.holding.is_set()
        if hold:
            self.holding.set()
            time.sleep(HOLD_SECONDS)  # blocks the server loop: nothing else gets through
        reply = await super().handle_DATA(server, session, envelope)
        if hold:
            self.released.set()
        return reply


def run(env: dict, *args: str, timeout: float = 120) -> str:
    """manage.py with these arguments, which must succeed; returns its standard output."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture
def worker_database(tmp_path):
    """A DATABASE_URL for the worker: a fresh PostgreSQL database beside the test
    database when the suite runs on PostgreSQL, else a SQLite file."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield f"sqlite:///{tmp_path / 'worker.sqlite3'}"
        return
    import psycopg

    name = f"worker_killed_{uuid.uuid4().hex[:12]}"
    server = urllib.parse.urlsplit(url)._replace(path="/postgres").geturl()
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield urllib.parse.urlsplit(url)._replace(path=f"/{name}").geturl()
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_worker_killed_mid_batch_and_restarted_delivers_each_reminder_exactly_once(
    tmp_path, worker_database
):
    smtp = MailServer()
    smtp.handler = smtp.controller.handler = HoldingHandler(hold_at=KILL_AFTER)
    with smtp:
        env = {
            **os.environ,
            **smtp.environment(),
            "DATABASE_URL": worker_database,
            "DEBUG": "true",
            "MEDIA_ROOT": str(tmp_path / "media"),
            "CACHE_DIR": str(tmp_path / "cache"),
        }
        run(env, "migrate", "--noinput")
        run(env, "shell", "--no-imports", "-c", SETUP)

        with (tmp_path / "worker.log").open("w") as log:
            worker = subprocess.Popen(
                [
                    sys.executable,
                    str(ROOT / "manage.py"),
                    "run_worker",
                    "--no-startup-delay",
                    "--no-reload",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            if not smtp.handler.holding.wait(timeout=60):
                pytest.fail(
                    f"no {KILL_AFTER + 1}th mail came:\n{(tmp_path / 'worker.log').read_text()}"
                )
            worker.send_signal(signal.SIGKILL)  # while the server holds that mail
            worker.wait(timeout=10)
        finally:
            if worker.poll() is None:
                worker.kill()
        assert smtp.handler.released.wait(timeout=10)
        assert len(smtp.received) == KILL_AFTER + 1  # the held one arrived, its sender dead

        # --batch runs what is due and exits; the next periodic dispatch, queued a
        # minute ahead, is not due yet, so it does not keep the worker waiting.
        run(env, "run_worker", "--batch", "--no-startup-delay", "--no-reload", timeout=120)
        deliveries = json.loads(run(env, "shell", "--no-imports", "-c", REPORT))
        received = Counter(rcpt for item in smtp.received for rcpt in item.recipients)

    everyone = {f"s{n:04d}@example.org" for n in range(SUBSCRIBERS)}
    assert set(received) == everyone
    assert [address for address, times in received.items() if times > 1] == []
    # The mail the dead worker had claimed reached the server: its row says "sending"
    # (never sent again); every other one was sent once and recorded so.
    held = smtp.received[KILL_AFTER].recipients
    assert deliveries.pop("reminder sending") == held
    assert list(deliveries) == ["reminder sent"]  # nothing else: no announcement, no failure
    assert sorted(deliveries["reminder sent"]) == sorted(everyone - set(held))
