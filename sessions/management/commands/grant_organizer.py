"""python manage.py grant_organizer USERNAME SERIES_SLUG [--revoke]"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from sessions.models import Series


class Command(BaseCommand):
    help = "Let a user organize a series (or, with --revoke, stop them)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("series", help="the series slug, e.g. nice")
        parser.add_argument("--revoke", action="store_true")

    def handle(self, *args, username: str, series: str, revoke: bool, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user named “{username}”")
        target = Series.objects.filter(slug=series).first()
        if target is None:
            raise CommandError(f"no series with slug “{series}”")
        if revoke:
            target.organizers.remove(user)
            self.stdout.write(f"{username} no longer organizes {target.slug}.")
        else:
            target.organizers.add(user)
            self.stdout.write(f"{username} now organizes {target.slug}.")
