from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SessionsConfig(AppConfig):
    # "sessions" is django.contrib.sessions' label; ours needs its own.
    name = "sessions"
    label = "nice_sessions"
    verbose_name = _("Sessions")

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save
        from django.test.signals import setting_changed

        from nice import pagecache
        from nice.filecleanup import track_files_of
        from sessions.models import Person, Series, Session, Talk

        track_files_of(Series, Session, Person, Talk)
        # Every write to the archive's models makes cached public pages stale (nice.pagecache);
        # so does a deploy, which migrates and may change templates or data.
        for signal in (post_save, post_delete, m2m_changed):
            signal.connect(pagecache.model_written, dispatch_uid=f"pagecache-{signal!r}")
        setting_changed.connect(  # only tests change settings while running
            lambda **kwargs: pagecache.publish_new_version(), weak=False, dispatch_uid="pagecache"
        )
        post_migrate.connect(
            lambda **kwargs: pagecache.publish_new_version(), weak=False, dispatch_uid="pagecache"
        )
