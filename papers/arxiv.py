"""Paper metadata from the arXiv API, with a short timeout and a cache.

An organizer pasting an id must never wait long or see an error page: when
arXiv is slow or unreachable this answers None and the talk is added with
the id alone.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from urllib.error import URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

_NS = {"atom": "http://www.w3.org/2005/Atom", "arxiv": "http://arxiv.org/schemas/atom"}
_MAX_RESPONSE_BYTES = 1_000_000
CACHE_SECONDS = 24 * 60 * 60


@dataclass(frozen=True)
class ArxivMetadata:
    arxiv_id: str
    title: str
    authors: tuple[str, ...]
    year: int | None
    abstract: str
    primary_category: str


def fetch_arxiv(arxiv_id: str) -> ArxivMetadata | None:
    """Metadata of a normalised arXiv id, or None when arXiv cannot tell (cached either way
    for successes only, so a network blip is retried next time)."""
    key = f"arxiv:{arxiv_id}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    url = f"{settings.ARXIV_API_URL}?{urlencode({'id_list': arxiv_id, 'max_results': 1})}"
    try:
        request = Request(url, headers={"User-Agent": "nice paper-sharing app"})
        with urlopen(request, timeout=settings.ARXIV_TIMEOUT_SECONDS) as response:
            body = response.read(_MAX_RESPONSE_BYTES)
    except (URLError, TimeoutError, OSError, ValueError) as error:
        logger.info("arXiv lookup of %s failed: %s", arxiv_id, error)
        return None
    metadata = parse_atom(body, arxiv_id)
    if metadata is not None:
        cache.set(key, metadata, CACHE_SECONDS)
    return metadata


def parse_atom(body: bytes, arxiv_id: str) -> ArxivMetadata | None:
    """The first entry of an arXiv Atom feed; None for arXiv's error entries or junk."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return None
    entry = root.find("atom:entry", _NS)
    if entry is None or "/abs/" not in (entry.findtext("atom:id", "", _NS)):
        return None  # arXiv answers unknown ids with an entry titled "Error"
    published = entry.findtext("atom:published", "", _NS)
    category = entry.find("arxiv:primary_category", _NS)
    return ArxivMetadata(
        arxiv_id=arxiv_id,
        title=" ".join(entry.findtext("atom:title", "", _NS).split()),
        authors=tuple(
            " ".join(author.findtext("atom:name", "", _NS).split())
            for author in entry.findall("atom:author", _NS)
        ),
        year=int(published[:4]) if published[:4].isdigit() else None,
        abstract=" ".join(entry.findtext("atom:summary", "", _NS).split()),
        primary_category=category.get("term", "") if category is not None else "",
    )
