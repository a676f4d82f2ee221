"""sessions.recordings.player: the one place a recording link becomes an embedded player."""

import pytest
from django.conf import settings

from sessions.recordings import PLAYER_ORIGINS, Player, player

YT = "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1"
BV = "https://player.bilibili.com/player.html?bvid=BV1GJ411x7h7"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://youtu.be/dQw4w9WgXcQ", YT),
        ("https://youtu.be/dQw4w9WgXcQ?si=abc", YT),
        ("https://youtu.be/dQw4w9WgXcQ?t=90", YT + "&start=90"),
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", YT),
        ("http://youtube.com/watch?v=dQw4w9WgXcQ&list=PL123&t=1m30s", YT + "&start=90"),
        ("https://m.youtube.com/watch?feature=share&v=dQw4w9WgXcQ", YT),
        ("https://www.youtube.com/shorts/dQw4w9WgXcQ", YT),
        ("https://www.youtube.com/live/dQw4w9WgXcQ?si=x", YT),
        ("https://www.youtube.com/embed/dQw4w9WgXcQ", YT),
        ("  https://WWW.YOUTUBE.COM/watch?v=dQw4w9WgXcQ  ", YT),
    ],
)
def test_it_plays_youtube_links_from_the_no_cookie_host(url, expected):
    assert player(url) == Player("YouTube", expected)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.bilibili.com/video/BV1GJ411x7h7", BV + "&page=1&autoplay=1"),
        ("https://www.bilibili.com/video/BV1GJ411x7h7/", BV + "&page=1&autoplay=1"),
        (
            "https://www.bilibili.com/video/BV1GJ411x7h7/?p=3&share_source=copy_web",
            BV + "&page=3&autoplay=1",
        ),
        ("https://m.bilibili.com/video/BV1GJ411x7h7?p=2", BV + "&page=2&autoplay=1"),
        ("https://bilibili.com/video/BV1GJ411x7h7?p=0", BV + "&page=1&autoplay=1"),
        ("https://bilibili.com/video/BV1GJ411x7h7?p=x", BV + "&page=1&autoplay=1"),
        (
            "https://www.bilibili.com/video/av170001?p=2",
            "https://player.bilibili.com/player.html?aid=170001&page=2&autoplay=1",
        ),
    ],
)
def test_it_plays_bilibili_videos_and_keeps_the_part(url, expected):
    assert player(url) == Player("Bilibili", expected)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "not a link",
        "https://vimeo.com/76979871",
        "https://b23.tv/AbCdEf1",  # a short link: where it leads is not known here
        "https://www.bilibili.com/bangumi/play/ep1234",
        "https://space.bilibili.com/12345",
        "https://www.bilibili.com/video/BV1GJ411x7h",  # too short
        "https://www.bilibili.com/video/BV1GJ411x7h7/extra",
        "https://youtu.be/",
        "https://youtu.be/dQw4w9WgXc",  # ten characters
        "https://youtu.be/dQw4w9WgXcQ/extra",
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ<script>",
        "https://www.youtube.com/watch",
        "https://www.youtube.com/playlist?list=PL123",
        "https://www.youtube.com/@channel",
        "https://youtube.com.example.org/watch?v=dQw4w9WgXcQ",
        "https://notyoutube.com/watch?v=dQw4w9WgXcQ",
        "https://www.youtube.com:8443/watch?v=dQw4w9WgXcQ",
        "https://user@evil.example/@www.youtube.com/watch?v=dQw4w9WgXcQ",
        "javascript:alert(1)//youtube.com/watch?v=dQw4w9WgXcQ",
        "ftp://youtu.be/dQw4w9WgXcQ",
        "https://[::1/watch",
    ],
)
def test_it_refuses_everything_else(url):
    assert player(url) is None


def test_the_csp_frames_the_two_players_and_nothing_else():
    assert settings.SECURE_CSP["frame-src"] == list(PLAYER_ORIGINS)
    assert {p.url.split("/")[2] for p in (player("https://youtu.be/dQw4w9WgXcQ"),)} <= {
        origin.removeprefix("https://") for origin in PLAYER_ORIGINS
    }
