"""`make bench`: how long the worker takes to send N reminders (default 10,000) over
SMTP, and how much memory it needs. Target: under 60 s for 10,000.

One published session due for its reminder, N confirmed subscribers of its series
(half zh-hans, half en), on DATABASE_URL (a fresh `<name>_bench_mail` database on
its PostgreSQL server when it names one, else a throwaway SQLite file). The real
`manage.py run_worker --batch` sends to a real SMTP server on loopback (aiosmtpd in
this process, answering at once) and exits when the queue is done; its wall time
and peak resident memory (getrusage of the child) are printed.

    .venv/bin/python scripts/bench_mail.py [--mails 10000]
    scripts/with-postgres .venv/bin/python scripts/bench_mail.py
    .venv/bin/python scripts/bench_mail.py --mails 1000 --profile   # the worker under cProfile
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
TARGET_SECONDS = 60

from tests.mail_server import MailServer  # noqa: E402


def prepare_environment(workdir: str, smtp: MailServer) -> None:
    url = os.environ.get("DATABASE_URL", f"sqlite:///{workdir}/bench.sqlite3")
    if url.startswith("postgres"):
        from local_servers import create_postgres_database

        parts = urllib.parse.urlsplit(url)
        url = parts._replace(path=f"{parts.path.rstrip('/')}_bench_mail").geturl()
        create_postgres_database(url, fresh=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nice.settings")
    os.environ.update(
        {
            "DATABASE_URL": url,
            "DEBUG": "true",
            "MEDIA_ROOT": f"{workdir}/media",
            "CACHE_DIR": f"{workdir}/cache",
            **smtp.environment(),
        }
    )


def create_reminders(mails: int) -> None:
    """A session starting in two hours (its 24-hour reminder is due) with a talk, and
    `mails` confirmed subscribers; the announcement publishing planned is removed."""
    from datetime import timedelta

    from django.core.management import call_command
    from django.db import connections
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from sessions.models import Person, Series, Session, Talk, TalkPresenter
    from sessions.outreach.models import Mailing, Subscription

    call_command("migrate", verbosity=0)
    series = Series.objects.create(slug="nice", name="NICE 每周分享", timezone="Asia/Shanghai")
    session = Session.objects.create(
        series=series,
        number=47,
        title="多模态论文分享@ICLR2025",
        status=Session.Status.PUBLISHED,
        starts_at=timezone.now() + timedelta(hours=2),
        live_url="https://meeting.example/j/1",
    )
    talk = Talk.objects.create(session=session, title="LLaVA-Critic", order=1)
    TalkPresenter.objects.create(talk=talk, person=Person.objects.create(name="张宇森"), order=1)
    Mailing.objects.all().delete()
    DBTaskResult.objects.all().delete()
    now = timezone.now()
    Subscription.objects.bulk_create(
        (
            Subscription(
                series=series,
                email=f"s{n:05d}@example.org",
                language=("zh-hans", "en")[n % 2],
                confirmed_at=now,
            )
            for n in range(mails)
        ),
        batch_size=1000,
    )
    connections.close_all()


def run_workers(
    workdir: str, count: int = 1, profile: str | None = None
) -> tuple[float, float, float]:
    """`count` workers side by side until the queue is done: (wall seconds, CPU seconds
    of all, the largest peak resident MB). With `profile`, one worker runs, under
    cProfile, which writes its statistics there."""
    command = ["manage.py", "run_worker", "--batch", "--no-startup-delay", "--no-reload"]
    if profile:
        command = ["-m", "cProfile", "-o", profile, *command]
    logs = [Path(workdir, f"worker-{n}.log") for n in range(count)]
    began = time.perf_counter()
    workers = []
    for log in logs:
        with log.open("w") as output:
            workers.append(
                subprocess.Popen(
                    [sys.executable, *command], cwd=ROOT, stdout=output, stderr=subprocess.STDOUT
                )
            )
    cpu = peak = 0.0
    for worker, log in zip(workers, logs, strict=True):
        _, status, usage = os.wait4(worker.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"a worker failed:\n{log.read_text()}")
        cpu += usage.ru_utime + usage.ru_stime
        peak = max(peak, usage.ru_maxrss / 1024)
    return time.perf_counter() - began, cpu, peak


def print_profile(path: str, rows: int = 25) -> None:
    import pstats

    stats = pstats.Stats(path)
    stats.sort_stats("cumulative").print_stats(rows)
    stats.sort_stats("tottime").print_stats(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=1, help="run this many side by side")
    parser.add_argument("--profile", action="store_true", help="run the worker under cProfile")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="nice-bench-mail-")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every line
    with MailServer() as smtp:
        prepare_environment(workdir, smtp)
        import django

        django.setup()
        from django.db import connection, connections

        from sessions.outreach.models import Delivery

        create_reminders(args.mails)
        profile = f"{workdir}/worker.prof" if args.profile else None
        before = resource.getrusage(resource.RUSAGE_SELF)
        elapsed, cpu, peak_mb = run_workers(workdir, 1 if profile else args.workers, profile)
        after = resource.getrusage(resource.RUSAGE_SELF)
        server_cpu = sum(getattr(after, f) - getattr(before, f) for f in ("ru_utime", "ru_stime"))
        received = [rcpt for item in smtp.received for rcpt in item.recipients]
        sent = Delivery.objects.filter(status=Delivery.Status.SENT).count()
        engine = connection.vendor
        connections.close_all()

    once = len(received) == len(set(received)) == sent == args.mails
    verdict = "met" if elapsed < TARGET_SECONDS else "MISSED"
    who = "worker" if args.workers == 1 or profile else f"{args.workers} workers"
    print(f"{who} sending {args.mails:,} reminders to loopback SMTP ({engine}):")
    print(f"  {'wall time':<26}{elapsed:>9.1f} s   (target {TARGET_SECONDS} s: {verdict})")
    print(f"  {'rate':<26}{args.mails / elapsed:>9,.0f} mails/s")
    per_mail = f"{cpu / args.mails * 1000:.1f} ms a mail"
    print(f"  {'CPU time of the ' + who:<26}{cpu:>9.1f} s   ({per_mail})")
    print(f"  {'CPU time of the server':<26}{server_cpu:>9.1f} s   (aiosmtpd, in this process)")
    print(f"  {'peak memory (worker RSS)':<26}{peak_mb:>9.0f} MB")
    print(f"  {'each delivered once':<26}{'yes' if once else 'NO':>9}")
    if not once:
        sys.exit(f"received {len(received):,} ({len(set(received)):,} addresses), sent {sent:,}")
    if profile:
        print_profile(profile)


if __name__ == "__main__":
    main()
