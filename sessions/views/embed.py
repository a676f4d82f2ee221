"""The embeddable schedule page: framed by other sites, so it sets no cookie and
relaxes frame-ancestors for itself only (every other page refuses to be framed)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import translation
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_safe

from sessions.embed import parse_limit, upcoming_sessions
from sessions.models import Series

# The site's policy, except that any page may frame this one.
FRAMABLE_BY_ANY_SITE: dict[str, Any] = {**settings.SECURE_CSP, "frame-ancestors": ["*"]}


def _language(request: HttpRequest) -> str:
    """?lang= when it names one of our languages; else the visitor's own."""
    wanted = request.GET.get("lang", "")
    if wanted in dict(settings.LANGUAGES):
        return wanted
    return translation.get_language() or settings.LANGUAGE_CODE


@require_safe
@xframe_options_exempt
@csp_override(FRAMABLE_BY_ANY_SITE)
def series_embed(request: HttpRequest, slug: str) -> HttpResponse:
    series = get_object_or_404(Series, slug=slug)
    sessions = upcoming_sessions(series, parse_limit(request.GET.get("limit")))
    language = _language(request)
    # Not translation.activate(): the language cookie and the rest of the site stay as they are.
    with translation.override(language):
        response = render(request, "sessions/embed.html", {"series": series, "sessions": sessions})
    response["Content-Language"] = language
    return response
