"""Public pages served from a cache that every write invalidates at once.

The rule: a response is *public* when anyone asking the same URL, in the same
language, would get the same bytes. Only public responses are cached, given
ETag/Last-Modified (so browsers and proxies get 304s) and compressed (Brotli, gzip).
Everything else (logged-in pages, anything that used a CSRF token, set a
cookie or said `private`) passes through untouched: never cached for others,
and never compressed, because a compressed secret next to reflected input is
what BREACH reads (issue 13: "never for responses that carry a CSRF token").

Invalidation is exact and global: every key carries the *content version*, a
token that changes whenever a row of the archive's apps is written (every
writer saves through the models, so their signals cover the writers, the
admin and the workspace alike; the few bulk statements call
`content_changed()` themselves) and whenever a session starts or ends (what
is "coming" and what is "past" changes with the clock, not with a write).
One version for the whole site is coarse, but writes are rare next to reads,
and a finer one would have to know which pages show what, which is exactly
the kind of rule that goes stale.

The version lives in the shared cache (file cache on one machine, Redis across
machines), so a change made through one worker or instance is seen by all.
"""

from __future__ import annotations

import gzip
import hashlib
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

import brotli
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Min, Q
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date
from django.utils.translation import get_language

VERSION_KEY = "content-version"
# Apps whose rows public pages show. A write to any of their models changes the version.
CONTENT_APPS = frozenset({"nice_sessions", "papers", "search"})
# Cookies that change what a page shows to this visitor (the language is in the key).
PERSONAL_COOKIES = (settings.SESSION_COOKIE_NAME, "messages")
HTMX_HEADERS = ("HX-Request", "HX-Target", "HX-Trigger", "HX-Boosted", "HX-History-Restore-Request")
# Headers of the view's response worth keeping; the outer middleware adds the rest again.
KEPT_HEADERS = (
    "Content-Type",
    "Content-Disposition",
    "Content-Language",
    "Vary",
    "Link",
    "Access-Control-Allow-Origin",
)
# What a view's decorators tell the outer middleware (a view's own CSP, "may be framed"):
# without them a page served from the cache would get the site's defaults instead.
KEPT_ATTRIBUTES = ("_csp_config", "_csp_ro_config", "xframe_options_exempt")
# Below this, compression's own header costs more than it saves.
MIN_COMPRESSED_LENGTH = 200
# 0-11: at 8, 59 KB of text takes ~8 ms here, once per page and content version.
BROTLI_QUALITY = 8
# Pages this process served lately, by key: a key names one version of one page, so
# a copy can never be stale, and a hit then skips reading and unpickling it.
RECENT_PAGES_BYTES = 16 * 1024 * 1024


@dataclass
class ContentVersion:
    token: str
    changed_at: datetime
    # When a public session next starts or ends; None: nothing ahead; unknown until looked up.
    next_change_at: datetime | None = None
    next_change_known: bool = False


def _store(version: ContentVersion) -> ContentVersion:
    cache.set(VERSION_KEY, version, timeout=None)
    return version


def publish_new_version() -> ContentVersion:
    """A new token for everybody: every cached page is stale from now on."""
    return _store(ContentVersion(token=uuid.uuid4().hex, changed_at=timezone.now()))


def _next_clock_change(now: datetime) -> datetime | None:
    """When a public session next starts or ends. One query, after each new version."""
    from sessions.models import Session

    moments = Session.objects.public().aggregate(
        start=Min("starts_at", filter=Q(starts_at__gt=now)),
        end=Min("ends_at", filter=Q(ends_at__gt=now)),
    )
    return min(filter(None, moments.values()), default=None)


def current_version() -> ContentVersion:
    now = timezone.now()
    version = cache.get(VERSION_KEY)
    if version is None or (version.next_change_at is not None and now >= version.next_change_at):
        version = publish_new_version()
    if not version.next_change_known:
        version.next_change_at = _next_clock_change(now)
        version.next_change_known = True
        _store(version)
    return version


def content_changed(**kwargs) -> None:
    """Called on every write to the archive (signals, and by bulk statements directly).

    Outside a transaction the row is already committed: publish at once. Inside
    one, publish when it commits (once per transaction), never before: a reader
    that rendered the old rows under a new version would keep them cached. Until
    then this connection counts its own uncommitted changes, so what it reads
    itself (a test, or a view that writes then renders) is never served stale.
    """
    connection = transaction.get_connection()
    connection.nice_uncommitted_changes = getattr(connection, "nice_uncommitted_changes", 0) + 1
    if not connection.in_atomic_block:
        publish_new_version()
    elif not _publish_pending(connection):
        transaction.on_commit(publish_new_version)


def _publish_pending(connection) -> bool:
    return any(callback is publish_new_version for _, callback, _ in connection.run_on_commit)


def model_written(sender, **kwargs) -> None:
    """post_save / post_delete / m2m_changed receiver: only the archive's own models count."""
    if sender._meta.app_label in CONTENT_APPS and getattr(sender, "changes_public_pages", True):
        content_changed()


def version_key(version: ContentVersion) -> str:
    token = version.token
    connection = transaction.get_connection()
    if connection.in_atomic_block and _publish_pending(connection):
        # Our own uncommitted writes: a key nobody else shares.
        return f"{token}.{id(connection)}.{connection.nice_uncommitted_changes}"
    return token


def derived[T](name: str, compute: Callable[[], T]) -> T:
    """A value computed from the archive once per content version: summaries that
    many pages (and signed-in people, whose pages are never cached) share.

    Not switched off with the page cache: a summary is data, not a page, and the
    same write that makes a page stale makes it stale.
    """
    key = f"derived:{name}:{version_key(current_version())}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout=settings.PAGE_CACHE_SECONDS or 600)
    return value


CODINGS: dict[str, Callable[[bytes], bytes]] = {
    "br": lambda content: brotli.compress(content, quality=BROTLI_QUALITY),
    "gzip": lambda content: gzip.compress(content, compresslevel=6, mtime=0),
}


def _compressed(content: bytes, codings: Iterable[str] = CODINGS) -> dict[str, bytes]:
    """The page in each of these encodings we offer, best first. Done once per page and
    content version, so Brotli can take its time: 10-25 % smaller than gzip on our pages."""
    if len(content) < MIN_COMPRESSED_LENGTH:
        return {}
    return {coding: compress(content) for coding, compress in CODINGS.items() if coding in codings}


def _accepted_encodings(request: HttpRequest) -> set[str]:
    """Content codings the client takes (RFC 9110: a q of 0 means "not this one")."""
    accepted = set()
    for item in request.headers.get("Accept-Encoding", "").split(","):
        coding, _, params = item.strip().partition(";")
        quality = params.strip().removeprefix("q=").strip() if params else "1"
        try:
            if float(quality) > 0:
                accepted.add(coding.strip().lower())
        except ValueError:
            continue
    return accepted


def derived_many[K, V](keys: dict[K, str], compute: Callable[[list[K]], dict[K, V]]) -> dict[K, V]:
    """Like derived(), for many values at once: one cache read for all of them, and
    `compute` called once with the ids whose values are missing."""
    suffix = version_key(current_version())
    names = {item: f"derived:{name}:{suffix}" for item, name in keys.items()}
    found = cache.get_many(list(names.values()))
    values = {item: found[name] for item, name in names.items() if name in found}
    missing = [item for item in keys if item not in values]
    if missing:
        computed = compute(missing)
        cache.set_many(
            {names[item]: value for item, value in computed.items()},
            timeout=settings.PAGE_CACHE_SECONDS or 600,
        )
        values |= computed
    return values


@dataclass
class CachedPage:
    status: int
    content: bytes
    headers: list[tuple[str, str]]
    etag: str
    last_modified: datetime
    encoded: dict[str, bytes] = field(default_factory=dict)
    attributes: dict[str, object] = field(default_factory=dict)

    @classmethod
    def of(
        cls, response: HttpResponse, last_modified: datetime, codings: Iterable[str] = CODINGS
    ) -> CachedPage:
        content = response.content
        return cls(
            status=response.status_code,
            content=content,
            headers=[(name, response[name]) for name in KEPT_HEADERS if response.has_header(name)],
            # Weak: the compressed and the plain bytes are the same page, not the same bytes.
            etag=f'W/"{hashlib.blake2b(content, digest_size=16).hexdigest()}"',
            last_modified=last_modified,
            encoded=_compressed(content, codings),
            attributes={
                name: getattr(response, name) for name in KEPT_ATTRIBUTES if hasattr(response, name)
            },
        )

    @property
    def size(self) -> int:
        return len(self.content) + sum(len(encoded) for encoded in self.encoded.values())

    def response_for(self, request: HttpRequest) -> HttpResponseBase:
        response = HttpResponse(self.content, status=self.status)
        for name, value in self.headers:
            response[name] = value
        if len(self.content) >= MIN_COMPRESSED_LENGTH:  # offered compressed, if asked
            patch_vary_headers(response, ["Accept-Encoding"])
            accepted = _accepted_encodings(request)
            coding = next((coding for coding in self.encoded if coding in accepted), None)
            if coding:
                response.content = self.encoded[coding]
                response["Content-Encoding"] = coding
        response["Content-Length"] = str(len(response.content))
        response["ETag"] = self.etag
        response["Last-Modified"] = http_date(self.last_modified.timestamp())
        _public_cache_control(response)
        # A 304 when the browser has this page already; else the page itself.
        conditional = get_conditional_response(
            request,
            etag=self.etag,
            last_modified=int(self.last_modified.timestamp()),
            response=response,
        )
        answer = conditional or response
        for attribute, setting in self.attributes.items():
            setattr(answer, attribute, setting)
        return answer


def _public_cache_control(response: HttpResponseBase) -> None:
    """Browsers ask again every time (a 304 is cheap); a CDN or proxy may keep the
    page briefly and serve it stale while we are down."""
    patch_cache_control(
        response,
        public=True,
        max_age=0,
        s_maxage=settings.PUBLIC_CACHE_SECONDS,
        stale_while_revalidate=settings.PUBLIC_CACHE_SECONDS,
        stale_if_error=24 * 3600,
    )


def _is_public_request(request: HttpRequest) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    if any(name in request.COOKIES for name in PERSONAL_COOKIES):
        return False
    match = request.resolver_match
    return bool(
        match and match.namespace == "sessions" and not (match.url_name or "").startswith("manage-")
    )


def _page_key(request: HttpRequest, version: ContentVersion) -> str:
    parts = [
        version_key(version),
        request.scheme or "",
        request.get_host(),
        request.get_full_path(),
        get_language() or "",
        *(request.headers.get(name, "") for name in HTMX_HEADERS),
    ]
    digest = hashlib.blake2b("\n".join(parts).encode(), digest_size=20).hexdigest()
    return f"page:{digest}"


def _is_public_response(request: HttpRequest, response: HttpResponseBase) -> bool:
    return (
        response.status_code == 200
        and isinstance(response, HttpResponse)  # not streamed, not a file
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and "private" not in response.get("Cache-Control", "")
        and "no-store" not in response.get("Cache-Control", "")
    )


class RecentPages:
    """The pages last served by this process, up to a budget of bytes, oldest out first."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.size = 0
        self.pages: OrderedDict[str, CachedPage] = OrderedDict()

    def get(self, key: str) -> CachedPage | None:
        page = self.pages.get(key)
        if page is not None:
            self.pages.move_to_end(key)
        return page

    def add(self, key: str, page: CachedPage) -> None:
        if key in self.pages or page.size > self.budget:
            return
        self.pages[key] = page
        self.size += page.size
        while self.size > self.budget:
            _, oldest = self.pages.popitem(last=False)
            self.size -= oldest.size


_recent = RecentPages(RECENT_PAGES_BYTES)


def _cached_page(key: str, shared: bool) -> CachedPage | None:
    """The page stored under `key`: this process's copy, else the shared cache's.
    Only committed versions (`shared`) are copied: a key of this connection's own
    uncommitted writes could name other bytes after a rollback."""
    page = _recent.get(key)
    if page is None:
        page = cache.get(key)
        if page is not None and shared:
            _recent.add(key, page)
    return page


class PublicPageCacheMiddleware:
    """Serves and stores public pages; see the module docstring for the rule.

    Installed late, after AuthenticationMiddleware: it decides in process_view,
    once the URL is resolved, and stores the view's response before the outer
    middleware (CSRF, security headers, CSP) adds what those add to every response.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        if not _is_public_request(request):
            return None
        # Read once: the key and the stored page's Last-Modified name the same version.
        request.page_cache_version = version = current_version()  # type: ignore[attr-defined]
        request.page_cache_key = key = _page_key(request, version)  # type: ignore[attr-defined]
        cached = _cached_page(key, shared=version_key(version) == version.token)
        if cached is None:
            return None
        response = cached.response_for(request)
        response.served_from_page_cache = True  # type: ignore[attr-defined]
        return response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        key = getattr(request, "page_cache_key", None)
        if key is None or getattr(response, "served_from_page_cache", False):
            signed_in = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
            if key is None and signed_in and not response.has_header("Cache-Control"):
                # Perhaps a logged-in page: no proxy may keep it for someone else. A view
                # that said otherwise (a published session's card is public) knows better.
                patch_cache_control(response, private=True)
            return response
        if not _is_public_response(request, response):
            return response
        assert isinstance(response, HttpResponse)
        changed_at = request.page_cache_version.changed_at  # type: ignore[attr-defined]
        if settings.PAGE_CACHE_SECONDS <= 0:
            # Not kept: the same headers and 304s, compressed only as this client asks.
            page = CachedPage.of(response, changed_at, codings=_accepted_encodings(request))
            return page.response_for(request)
        page = CachedPage.of(response, last_modified=changed_at)
        cache.set(key, page, timeout=settings.PAGE_CACHE_SECONDS)
        return page.response_for(request)
