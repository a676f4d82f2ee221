"""Atom and RSS feeds of newly published sessions, per series and per keyword."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from sessions.models import Keyword, Series, Session

FEED_LENGTH = 30


def _newest(sessions):
    return (
        sessions.public()
        .with_cards()
        .order_by(Coalesce("published_at", "created_at").desc())[:FEED_LENGTH]
    )


class SeriesFeed(Feed):
    """RSS 2.0; AtomSeriesFeed below is the same in Atom."""

    def get_object(self, request, slug: str) -> Series:
        return get_object_or_404(Series, slug=slug)

    def title(self, series: Series) -> str:
        return series.name

    def link(self, series: Series) -> str:
        return series.get_absolute_url()

    def description(self, series: Series) -> str:
        return series.description or _("New sessions of %(series)s") % {"series": series.name}

    def items(self, series: Series):
        return _newest(Session.objects.filter(series=series))

    def item_title(self, session: Session) -> str:
        return (
            f"{session.series.name} "
            + _("No. %(number)s") % {"number": session.number}
            + f"：{session.title}"
        )

    def item_description(self, session: Session) -> str:
        return render_to_string("sessions/_feed_item.html", {"session": session})

    def item_link(self, session: Session) -> str:
        return session.get_absolute_url()

    def item_guid(self, session: Session) -> str:
        return f"session-{session.pk}@nice"

    item_guid_is_permalink = False

    def item_pubdate(self, session: Session):
        return session.published_at or session.created_at

    def item_updateddate(self, session: Session):
        return session.updated_at

    def item_categories(self, session: Session) -> list[str]:
        return [keyword.name for keyword in session.keywords.all()]


class AtomSeriesFeed(SeriesFeed):
    feed_type = Atom1Feed
    subtitle = SeriesFeed.description


class KeywordFeed(SeriesFeed):
    def get_object(self, request, slug: str) -> Keyword:
        return get_object_or_404(Keyword, slug=slug)

    def title(self, keyword: Keyword) -> str:
        return _("Sessions about %(keyword)s") % {"keyword": keyword.name}

    def link(self, keyword: Keyword) -> str:
        return keyword.get_absolute_url()

    def description(self, keyword: Keyword) -> str:
        return self.title(keyword)

    def items(self, keyword: Keyword):
        return _newest(keyword.sessions.all())


class AtomKeywordFeed(KeywordFeed):
    feed_type = Atom1Feed
    subtitle = KeywordFeed.description
