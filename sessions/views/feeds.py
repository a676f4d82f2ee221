"""Atom and RSS feeds of newly published sessions, per series and per keyword.

Every text goes through clean_text: XML 1.0 has no place for control
characters, and Django's feed generator fails on one rather than drop it,
so a single odd title stored years ago would otherwise break the feed.
"""

from __future__ import annotations

import html
import re

from django.contrib.syndication.views import Feed
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from nice.text import clean_text
from sessions.models import Keyword, Series, Session

FEED_LENGTH = 30
# A channel description is a line or two in a feed reader, not the series page.
DESCRIPTION_LENGTH = 300
_HTTP_URL = re.compile(r"https?://", re.IGNORECASE)


def _newest(sessions):
    return (
        sessions.public()
        .with_cards()
        .order_by(Coalesce("published_at", "created_at").desc())[:FEED_LENGTH]
    )


def _line(text: str) -> str:
    return clean_text(text, multiline=False)


def _plain_text(rendered: str, length: int = DESCRIPTION_LENGTH) -> str:
    """Rendered Markdown as the words a reader sees, on one line, cut to `length` characters.

    Readers show a channel description as HTML or as text, so it must be
    text with no markup: Markdown's own tags go, and so does any HTML the
    author typed (the page shows it as text; a reader would run it).
    """
    text = html.unescape(strip_tags(rendered))
    text = strip_tags(text)
    return Truncator(" ".join(_line(text).split())).chars(length)


def _http(url: str) -> str:
    """`url` if it is an http(s) link, else "": nothing else becomes an href."""
    return url if _HTTP_URL.match(url) else ""


class SessionFeed(Feed):
    """Newly published sessions: the items of every feed here. Subclasses say which
    sessions (items) and describe the feed (get_object, title, link, description)."""

    def item_title(self, session: Session) -> str:
        return _line(
            f"{session.series.name} "
            + _("No. %(number)s") % {"number": session.number}
            + f"：{session.title}"
        )

    def item_description(self, session: Session) -> str:
        talks = [
            {
                "talk": talk,
                "paper_url": _http(talk.paper.link) if talk.paper else "",
                "code_url": _http(talk.paper.code_url) if talk.paper else "",
                # Added after the talk: a reader sees the item change when they arrive.
                "slides_url": _http(talk.slides_url),
                "recording_url": _http(talk.recording_url),
            }
            for talk in session.talks.all()
        ]
        html_text = render_to_string(
            "sessions/_feed_item.html", {"session": session, "talks": talks}
        )
        return clean_text(html_text)

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
        return [_line(keyword.name) for keyword in session.keywords.all()]


class SeriesFeed(SessionFeed):
    """RSS 2.0; AtomSeriesFeed below is the same in Atom."""

    def get_object(self, request, slug: str) -> Series:
        return get_object_or_404(Series, slug=slug)

    def title(self, series: Series) -> str:
        return _line(series.name)

    def link(self, series: Series) -> str:
        return series.get_absolute_url()

    def description(self, series: Series) -> str:
        return _plain_text(series.rendered("description")) or _("New sessions of %(series)s") % {
            "series": _line(series.name)
        }

    def items(self, series: Series):
        return _newest(Session.objects.filter(series=series))


class AtomSeriesFeed(SeriesFeed):
    feed_type = Atom1Feed
    subtitle = SeriesFeed.description


class KeywordFeed(SessionFeed):
    """Sessions about one keyword, which must be one the visitor may see."""

    def get_object(self, request, slug: str) -> Keyword:
        return get_object_or_404(Keyword.objects.visible_to(request.user), slug=slug)

    def title(self, keyword: Keyword) -> str:
        return _("Sessions about %(keyword)s") % {"keyword": _line(keyword.name)}

    def link(self, keyword: Keyword) -> str:
        return keyword.get_absolute_url()

    def description(self, keyword: Keyword) -> str:
        return self.title(keyword)

    def items(self, keyword: Keyword):
        return _newest(keyword.sessions.all())


class AtomKeywordFeed(KeywordFeed):
    feed_type = Atom1Feed
    subtitle = KeywordFeed.description
