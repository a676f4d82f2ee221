"""The tasks the worker runs (`manage.py run_worker`; Django's tasks framework with
django-tasks-db's database queue, shared by every worker on every machine).

One task: `dispatch_mail` does whatever mail is due (outreach.mailer.dispatch) and
makes sure a next run is queued DISPATCH_EVERY from now, so reminders go out on
time and retries happen even when nothing else asks. Runs are idempotent: two
workers running it at once send nothing twice.
"""

from __future__ import annotations

from datetime import timedelta

from django.tasks import task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from sessions.outreach.mailer import dispatch

DISPATCH_EVERY = timedelta(seconds=60)
# Finished runs of the periodic task are deleted after this long: 1,440 rows a day otherwise.
KEEP_FINISHED_RUNS = timedelta(days=1)


@task()
def dispatch_mail() -> dict:
    report = dispatch()
    ensure_next_dispatch()
    return {
        "mailings": report.mailings,
        "sent": report.sent,
        "failed": report.failed,
        "retrying": report.retrying,
        "skipped": report.skipped,
        "unknown": report.unknown,
    }


def ensure_next_dispatch(after: timedelta = DISPATCH_EVERY) -> None:
    """Queue the next periodic run unless one is already waiting (the chain stays single)."""
    now = timezone.now()
    queued = DBTaskResult.objects.ready().filter(
        task_path=dispatch_mail.module_path, run_after__gt=now
    )
    if not queued.exists():  # two workers racing here make two chains; the next run merges them
        dispatch_mail.using(run_after=now + after).enqueue()
    DBTaskResult.objects.finished().filter(
        task_path=dispatch_mail.module_path, finished_at__lt=now - KEEP_FINISHED_RUNS
    ).delete()
