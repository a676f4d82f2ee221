"""A stand-in for the arXiv API on loopback, answering with recorded responses.

Tests talk HTTP to it through our real client code; nothing of ours is mocked
and the network is never used.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

RECORDED = Path(__file__).parent / "fixtures" / "arxiv"


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.requests.append(self.path)
        arxiv_id = parse_qs(urlparse(self.path).query).get("id_list", [""])[0]
        recorded = RECORDED / f"{arxiv_id.replace('/', '_')}.xml"
        body = (recorded if recorded.is_file() else RECORDED / "error.xml").read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "application/atom+xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class RecordedArxiv:
    def __init__(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.requests = []
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/query"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def requests(self) -> list[str]:
        return self.server.requests

    def __enter__(self) -> RecordedArxiv:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def unreachable_url() -> str:
    """A loopback port nothing listens on: connections are refused at once."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/query"
