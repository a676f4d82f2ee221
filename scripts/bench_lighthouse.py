"""Lighthouse 12 (npm, scripts/lighthouse) on home, the archive and a session page, served by
gunicorn with DEBUG=false on the demo archive: prints accessibility, SEO, best practices and
mobile performance (Lighthouse's default: a simulated mid-range phone on a slow 4G link).

Targets (issue 11): 100 / 100 / 100 / >= 95. Not asserted anywhere: run by `make bench`.
Chromium is Debian's (CHROME_PATH, /usr/bin/chromium unless set).
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from local_servers import ROOT, manage, start_gunicorn

LIGHTHOUSE_DIR = ROOT / "scripts" / "lighthouse"
LIGHTHOUSE = LIGHTHOUSE_DIR / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ["accessibility", "seo", "best-practices", "performance"]
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --no-first-run --disable-sync"
SESSION_URL = (
    "from sessions.models import Session; "
    "print(Session.objects.public().order_by('-number').first().get_absolute_url())"
)


def install_lighthouse() -> None:
    if LIGHTHOUSE.exists():
        return
    if shutil.which("npm") is None:
        sys.exit("npm is needed for Lighthouse: apt-get install nodejs npm")
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=LIGHTHOUSE_DIR, check=True
    )


def scores(url: str, workdir: Path, chrome: str) -> dict[str, int]:
    report = workdir / "report.json"
    subprocess.run(
        [
            str(LIGHTHOUSE),
            url,
            "--quiet",
            "--output=json",
            f"--output-path={report}",
            f"--only-categories={','.join(CATEGORIES)}",
            f"--chrome-flags={CHROME_FLAGS}",
        ],
        env={**os.environ, "CHROME_PATH": chrome},
        check=True,
    )
    result = json.loads(report.read_text())
    failing = [
        audit["id"]
        for category in CATEGORIES
        for ref in result["categories"][category]["auditRefs"]
        if ref["weight"] > 0
        and (audit := result["audits"][ref["id"]])["score"] is not None
        and audit["score"] < 1
    ]
    if failing:
        print(f"  below 1 on {url}: {', '.join(failing)}")
    return {c: round(result["categories"][c]["score"] * 100) for c in CATEGORIES}


def main() -> None:
    chrome = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
    if not Path(chrome).exists():
        sys.exit(f"no Chromium at {chrome}: apt-get install chromium (or set CHROME_PATH)")
    install_lighthouse()
    workdir = Path(tempfile.mkdtemp(prefix="nice-lighthouse-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{workdir}/lighthouse.sqlite3",
        "DEBUG": "false",
        "SECRET_KEY": "bench-only",
        "ALLOWED_HOSTS": "127.0.0.1",
        "CACHE_DIR": str(workdir / "cache"),
        "LOG_LEVEL": "WARNING",
    }
    manage(env, "migrate", "--noinput")
    manage(env, "load_demo")
    manage(env, "collectstatic", "--noinput", "-v0")
    session_path = manage(env, "shell", "-c", SESSION_URL).strip().splitlines()[-1]
    base, process = start_gunicorn(env, workdir / "gunicorn.log", workers=2)
    rows = []
    try:
        for name, path in [("home", "/"), ("archive", "/nice/"), ("session", session_path)]:
            rows.append((name, scores(base + path, workdir, chrome)))
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    print("Lighthouse 12, mobile; targets 100 / 100 / 100 / >= 95")
    print(f"{'page':<10}{'a11y':>6}{'SEO':>6}{'best':>6}{'perf':>6}")
    for name, score in rows:
        print(f"{name:<10}" + "".join(f"{score[c]:>6}" for c in CATEGORIES))


if __name__ == "__main__":
    main()
