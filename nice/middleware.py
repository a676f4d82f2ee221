"""The request boundary: text from the outside obeys nice.text before any view sees it.

Why here and not in each view: a NUL in `?q=`, `?keyword=` or a path
segment reached a query, and PostgreSQL refuses it ("PostgreSQL text fields
cannot contain NUL (0x00) bytes"), so every filter on user text was a 500.
Guarding each view would be one more thing to forget in the next view;
one middleware covers every view, feed and API answer, today's and later
ones, with the same rule the models apply (nice.text).

- A path with such characters names nothing we could have published (slugs
  and names are cleaned on save), so it is a 404 before any view runs.
- Query-string and form values lose those characters, as the models would
  strip them on save anyway: a search for "a<NUL>b" is a search for "ab".
  Posted text keeps its tabs and line breaks (summaries are multi-line);
  query values are single-line. Uploaded files are left alone.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse, QueryDict

from nice.text import clean_text, has_unwanted

FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _cleaned(data: QueryDict, *, multiline: bool) -> QueryDict:
    cleaned = QueryDict(mutable=True, encoding=data.encoding)
    for key, values in data.lists():
        for value in values:
            cleaned.appendlist(
                clean_text(key, multiline=False), clean_text(value, multiline=multiline)
            )
    cleaned._mutable = False
    return cleaned


class CleanInputMiddleware:
    """Installed after CsrfViewMiddleware: process_view runs in list order, so
    CSRF has read its token from the raw POST before the values are replaced."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # request.path is percent-decoded; bytes that are not UTF-8 stay %XX.
        if has_unwanted(request.path):
            raise Http404
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        # The copies are immutable like Django's own (_mutable is False), which
        # the stubs' _ImmutableQueryDict cannot express: hence the ignores.
        request.GET = _cleaned(request.GET, multiline=False)  # type: ignore[assignment]
        # Only forms: reading POST parses the body, which a JSON view reads itself.
        if request.method == "POST" and request.content_type in FORM_CONTENT_TYPES:
            request.POST = _cleaned(request.POST, multiline=True)  # type: ignore[assignment]
        return None
