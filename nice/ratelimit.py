"""How often someone may do something: counters in the shared cache.

The cache is the site's (a file cache on one machine, Redis across machines), so every
worker and every server counts together. A fixed window per counter: simple, and at
worst lets twice the limit through across a window's edge, which is fine for the
abuse this stops (a form posted in a loop), not for anything that needs exactness.
"""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache


def _key(scope: str, ident: str, window: int) -> str:
    # Hashed: the identity may be an address, which has no business in cache keys
    # (nor the characters some caches refuse).
    digest = hashlib.blake2b(f"{scope}\n{ident}".encode(), digest_size=16).hexdigest()
    return f"ratelimit:{scope}:{digest}:{int(time.time() // window)}"


def hit(scope: str, ident: str, limit: int, window: int) -> bool:
    """Count one attempt of `ident` at `scope`; whether it is within `limit` per
    `window` seconds. Attempts over the limit count too (a loop stays blocked)."""
    key = _key(scope, ident, window)
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    return count <= limit
