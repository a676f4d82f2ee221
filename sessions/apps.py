from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SessionsConfig(AppConfig):
    # "sessions" is django.contrib.sessions' label; ours needs its own.
    name = "sessions"
    label = "nice_sessions"
    verbose_name = _("Sessions")

    def ready(self) -> None:
        from nice.filecleanup import track_files_of
        from sessions.models import Person, Series, Session, Talk

        track_files_of(Series, Session, Person, Talk)
