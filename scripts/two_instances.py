"""Two app servers, one PostgreSQL, one Redis: the app is stateless (issue 13).

    scripts/with-postgres .venv/bin/python scripts/two_instances.py

Starts Redis (Debian's redis-server) on a loopback port and two gunicorn
instances, A and B, on the PostgreSQL that DATABASE_URL names, sharing the
media folder as they would share a bucket. Then shows, against the real
servers, nothing mocked:
1. a change saved through A is what B serves on the very next request, though
   B had the old page in the shared cache (and a login made on A works on B);
2. a poster uploaded through A is served by B;
3. killing A (SIGKILL, master and workers) loses only A's own requests: B
   answers every request sent to it meanwhile, and what A saved is kept.
Exits non-zero with the reason when any of it fails. `.ci/run` runs it.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import io
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import redis
from local_servers import create_postgres_database, free_port, manage, start_gunicorn
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 20
SETUP = """
from datetime import datetime, UTC
from django.contrib.auth.models import User
from sessions.models import Series, Session
organizer = User.objects.create_user("organizer", password="a long test password")
series = Series.objects.create(slug="nice", name="NICE", timezone="Asia/Shanghai")
series.organizers.add(organizer)
Session.objects.create(
    series=series, number=1, title="Before the change", status="published",
    starts_at=datetime(2030, 3, 16, 11, tzinfo=UTC),
)
"""


@contextlib.contextmanager
def redis_server(workdir: Path) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


class Browser:
    """A visitor with cookies, who may be sent to either instance."""

    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, url: str) -> str:
        with self.opener.open(url, timeout=TIMEOUT) as response:
            return response.read().decode()

    def post(self, url: str, data: dict, files: dict | None = None) -> str:
        body, content_type = encode_form(data, files or {})
        request = urllib.request.Request(url, body, {"Content-Type": content_type})
        request.add_header("X-CSRFToken", self.cookie("csrftoken"))
        request.add_header("Referer", url)
        with self.opener.open(request, timeout=TIMEOUT) as response:
            return response.read().decode()

    def cookie(self, name: str) -> str:
        return next((c.value for c in self.jar if c.name == name), "")

    def log_in(self, base: str) -> None:
        html = self.get(base + "/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        assert token, html
        form = {"username": "organizer", "password": "a long test password"}
        self.post(base + "/accounts/login/", {**form, "csrfmiddlewaretoken": token[1]})
        if not self.cookie("sessionid"):
            sys.exit("the login did not give a session")


def encode_form(data: dict, files: dict) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in data.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    for name, (filename, content) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        )
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def anonymous_get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


def session_form(editor_html: str, **changes: str) -> dict:
    version = re.search(r'name="version" value="(\d+)"', editor_html)
    starts = re.search(r'name="starts_at" value="([^"]+)"', editor_html)
    assert version and starts, editor_html[:2000]
    return {"number": "1", "title": "Before the change", "starts_at": starts[1]} | {
        "version": version[1],
        **changes,
    }


def poster_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (600, 800), (20, 90, 160)).save(buffer, "PNG")
    return buffer.getvalue()


def check(condition: bool, message: str) -> None:
    if not condition:
        sys.exit("FAILED: " + message)
    print("ok:", message)


def main() -> None:
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgres"):
        sys.exit("DATABASE_URL must name a PostgreSQL database (run under scripts/with-postgres)")
    create_postgres_database(database_url)
    workdir = Path(tempfile.mkdtemp(prefix="nice-two-"))
    with redis_server(workdir) as redis_url:
        env = {
            **os.environ,
            "DEBUG": "false",
            "SECRET_KEY": "two-instances-" + uuid.uuid4().hex,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_COOKIES": "false",
            "REDIS_URL": redis_url,
            "MEDIA_ROOT": str(workdir / "media"),  # shared, as a bucket would be
            "SERVE_MEDIA": "true",
            "DB_CONN_MAX_AGE": "60",
            "LOG_LEVEL": "WARNING",
        }
        manage(env, "migrate", "--noinput")
        manage(env, "shell", "-c", SETUP)
        manage(env, "collectstatic", "--noinput", "-v0")
        a, server_a = start_gunicorn(env, workdir / "a.log")
        b, server_b = start_gunicorn(env, workdir / "b.log")
        try:
            run_checks(a, b, server_a, redis_url)
        finally:
            for server in (server_a, server_b):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=10)
    shutil.rmtree(workdir, ignore_errors=True)
    print("two instances: all checks passed")


def run_checks(a: str, b: str, server_a: subprocess.Popen, redis_url: str) -> None:
    status, before = anonymous_get(b + "/nice/1/")
    check(status == 200 and b"Before the change" in before, "B serves the session")
    check(anonymous_get(b + "/nice/1/")[1] == before, "B serves it again")
    pages = redis.Redis.from_url(redis_url).keys("*page:*")
    check(len(pages) >= 1, f"the page is in the shared cache (Redis holds {len(pages)} page)")

    organizer = Browser()
    organizer.log_in(a)
    editor = organizer.get(b + "/manage/nice/1/")
    check(
        "Before the change" in editor, "a login made on A is valid on B (sessions in the database)"
    )

    organizer.post(a + "/manage/nice/1/", session_form(editor, title="Changed through A"))
    status, after = anonymous_get(b + "/nice/1/")
    check(b"Changed through A" in after, "a change saved through A is served by B at once")

    editor = organizer.get(a + "/manage/nice/1/")
    organizer.post(
        a + "/manage/nice/1/",
        session_form(editor, title="Changed through A"),
        files={"poster": ("poster.png", poster_png())},
    )
    page = anonymous_get(b + "/nice/1/")[1].decode()
    poster = re.search(r'src="(/media/[^"]+)"', page)
    check(poster is not None, "B's page shows the poster uploaded through A")
    assert poster
    status, image = anonymous_get(b + poster[1])
    is_image = image.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff"))
    check(status == 200 and is_image, "B serves the poster file uploaded through A")

    def visit_b(_: int) -> int:
        return anonymous_get(b + "/nice/1/")[0]

    def visit_a(_: int) -> str:
        try:
            return str(anonymous_get(a + "/nice/1/")[0])
        except OSError as error:
            return type(error).__name__

    with ThreadPoolExecutor(8) as pool:
        on_b = [pool.submit(visit_b, n) for n in range(200)]
        on_a = [pool.submit(visit_a, n) for n in range(50)]
        time.sleep(0.05)
        os.killpg(server_a.pid, signal.SIGKILL)
        statuses_b = [future.result() for future in on_b]
        outcomes_a = {future.result() for future in on_a}
    check(statuses_b == [200] * 200, "B answered all 200 requests while A was killed")
    print("   A's requests ended as:", sorted(outcomes_a))
    check(anonymous_get(b + "/nice/1/")[0] == 200, "B keeps serving after A is gone")
    check(b"Changed through A" in anonymous_get(b + "/nice/1/")[1], "what A saved is kept")


if __name__ == "__main__":
    main()
