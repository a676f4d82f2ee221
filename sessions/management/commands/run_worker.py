"""`manage.py run_worker`: the background worker (what `make run` and compose start).

django-tasks-db's `db_worker` with one addition: on start it queues a mail dispatch,
so a worker that was killed mid-batch resumes sending at once, and the periodic
dispatch chain (sessions.outreach.tasks) exists even on a fresh database.
Options are db_worker's (e.g. --batch to run what is queued and exit).
"""

from __future__ import annotations

from django_tasks_db.management.commands.db_worker import Command as DatabaseWorker

from sessions.outreach.tasks import dispatch_mail


class Command(DatabaseWorker):
    help = "Runs background tasks (mail) from the database queue; starts a mail dispatch first."

    def handle(self, *args, **options):
        dispatch_mail.enqueue()
        return super().handle(*args, **options)
