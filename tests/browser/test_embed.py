"""Issue 11: another site frames /nice/embed/ in real Chromium; the frame fits its
content (embed-frame.js posts its height, embed-host.js sets it), and no other path
of ours can be framed."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.factories import days_from_now, make_person, make_series, make_session, make_talk

HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A lab homepage</title>
<style>iframe {{ border: 0; width: 360px; display: block; }}</style></head>
<body>
<h1>Our reading group</h1>
<iframe id="schedule" src="{base}/nice/embed/?lang=en" data-nice-embed height="40"
  title="Next sessions"></iframe>
<iframe id="archive" src="{base}/nice/" height="200" title="The archive"></iframe>
<iframe id="session" src="{base}/nice/1/" height="200" title="A session"></iframe>
<script src="{base}/static/js/embed-host.js"></script>
</body></html>
"""


@pytest.fixture
def series(transactional_db):
    series = make_series()
    for number in range(1, 5):
        session = make_session(
            series,
            number=number,
            title=f"第{number}期 多模态论文分享",
            starts_at=days_from_now(number),
        )
        make_talk(session, f"Talk {number}", presenters=[make_person(f"Speaker {number}")])
    return series


@pytest.fixture
def host_site(live_server):
    """A lab's homepage on another loopback port (another origin) that embeds the schedule."""
    body = HOST_PAGE.format(base=live_server.url).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_another_site_frames_the_schedule_sized_to_its_content(browser, series, host_site):
    context = browser.new_context()
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.set_default_timeout(10_000)
    page.goto(host_site)

    frame = page.frame_locator("#schedule")
    frame.locator(".embed__link").first.wait_for()
    assert frame.locator(".embed__link").count() == 4
    embed = next(f for f in page.frames if "/nice/embed/" in f.url)
    content_height = embed.evaluate("document.documentElement.getBoundingClientRect().height")
    assert content_height > 200  # four sessions, far more than the 40 px it started with
    page.wait_for_function(
        "h => Math.abs(document.getElementById('schedule').getBoundingClientRect().height - h) <= 3",
        arg=content_height,
    )
    # Nothing inside the frame scrolls: it is as tall as its content.
    assert embed.evaluate(
        "document.documentElement.scrollHeight <= document.documentElement.clientHeight + 1"
    )

    # A message from anywhere but the frame itself changes nothing.
    page.evaluate("window.postMessage({type: 'nice-embed:height', height: 5}, '*')")
    page.wait_for_timeout(300)
    height = page.evaluate("document.getElementById('schedule').getBoundingClientRect().height")
    assert abs(height - content_height) <= 3

    # Links open the full page in a new tab.
    with context.expect_page() as opened:
        frame.locator(".embed__link").first.click()
    assert opened.value.url.endswith("/nice/1/")

    # Any other page of ours refuses to be framed: Chromium shows its error page instead.
    for frame_id in ("archive", "session"):
        assert page.frame_locator(f"#{frame_id}").locator(".breadcrumbs").count() == 0
    urls = [f.url for f in page.frames]
    assert urls.count("chrome-error://chromewebdata/") == 2, urls
    refusals = [text for text in console if "frame-ancestors 'none'" in text]
    assert len(refusals) == 2, console
    context.close()
