"""Recordings that play on the session page: a YouTube or Bilibili link read once, here.

`player(url)` is the one rule: the player to embed for a recording link, or None,
and then the page shows a plain link. The player hosts are the only ones the CSP's
frame-src allows (nice/settings.py); nothing else is ever framed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

YOUTUBE_PLAYER = "https://www.youtube-nocookie.com"
BILIBILI_PLAYER = "https://player.bilibili.com"
# What frame-src lets in: the two players, nothing else.
PLAYER_ORIGINS = (YOUTUBE_PLAYER, BILIBILI_PLAYER)

_YOUTUBE_HOSTS = frozenset({"youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com"})
_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_BILIBILI_HOSTS = frozenset({"bilibili.com", "www.bilibili.com", "m.bilibili.com"})
_BV_ID = re.compile(r"^BV1[A-Za-z0-9]{9}$")
_AV_ID = re.compile(r"^av([1-9][0-9]{0,15})$", re.IGNORECASE)
_SECONDS = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?$")


@dataclass(frozen=True)
class Player:
    """Where a recording plays: `site` names it for people, `url` goes in the <iframe>."""

    site: str
    url: str


def player(url: str) -> Player | None:
    """The embedded player for a YouTube or Bilibili recording link, else None.

    youtu.be/ID, youtube.com/watch?v=ID, /shorts/ID, /live/ID and /embed/ID (a
    start time t= kept); bilibili.com/video/BV… or av… (the part p= kept). Any
    other host, path or id is refused: the page links to it instead.
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or parts.port is not None:
        return None
    host = (parts.hostname or "").lower()
    query = parse_qs(parts.query)
    if host == "youtu.be":
        return _youtube(parts.path.strip("/"), query)
    if host in _YOUTUBE_HOSTS:
        segments = [segment for segment in parts.path.split("/") if segment]
        if segments == ["watch"]:
            return _youtube(_first(query, "v"), query)
        if len(segments) == 2 and segments[0] in ("shorts", "live", "embed"):
            return _youtube(segments[1], query)
        return None
    if host in _BILIBILI_HOSTS:
        segments = [segment for segment in parts.path.split("/") if segment]
        if len(segments) == 2 and segments[0] == "video":
            return _bilibili(segments[1], query)
    return None


def _first(query: dict[str, list[str]], name: str) -> str:
    values = query.get(name)
    return values[0] if values else ""


def _youtube(video: str, query: dict[str, list[str]]) -> Player | None:
    if not _YOUTUBE_ID.match(video):
        return None
    # The visitor asked for it by pressing the button: play at once.
    options = {"autoplay": "1"}
    start = _seconds(_first(query, "t") or _first(query, "start"))
    if start:
        options["start"] = str(start)
    return Player("YouTube", f"{YOUTUBE_PLAYER}/embed/{video}?{urlencode(options)}")


def _bilibili(video: str, query: dict[str, list[str]]) -> Player | None:
    if _BV_ID.match(video):
        options = {"bvid": video}
    elif match := _AV_ID.match(video):
        options = {"aid": match[1]}
    else:
        return None
    page = _first(query, "p")
    options["page"] = page if page.isdigit() and 0 < int(page) < 10_000 else "1"
    options["autoplay"] = "1"
    return Player("Bilibili", f"{BILIBILI_PLAYER}/player.html?{urlencode(options)}")


def _seconds(value: str) -> int:
    """YouTube's t=: 90, 90s or 1m30s; 0 when it is none of these."""
    match = _SECONDS.match(value)
    if not value or not match:
        return 0
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds
