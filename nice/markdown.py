"""Markdown with math, rendered on the server and sanitized.

Summaries and descriptions are written by presenters and organizers, so
the output is untrusted until nh3 has cleaned it. Math ($…$ and $$…$$)
becomes MathML here, so no JavaScript is needed to read it.
"""

from __future__ import annotations

import functools
import html
import re
from importlib import metadata
from typing import ClassVar

import nh3
from django.db import models
from django.utils.safestring import SafeString, mark_safe
from latex2mathml.converter import convert as latex_to_mathml
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

MATHML_TAGS = frozenset(
    {
        "math",
        "semantics",
        "annotation",
        "mrow",
        "mi",
        "mo",
        "mn",
        "ms",
        "mtext",
        "mspace",
        "mfrac",
        "msqrt",
        "mroot",
        "msub",
        "msup",
        "msubsup",
        "munder",
        "mover",
        "munderover",
        "mtable",
        "mtr",
        "mtd",
        "mstyle",
        "mpadded",
        "mphantom",
        "menclose",
        "merror",
        "mmultiscripts",
        "mprescripts",
        "none",
    }
)
# Presentation attributes only: no href, no event handlers, no style.
MATHML_ATTRIBUTES = frozenset(
    {
        "display",
        "mathvariant",
        "stretchy",
        "fence",
        "separator",
        "lspace",
        "rspace",
        "accent",
        "accentunder",
        "movablelimits",
        "largeop",
        "symmetric",
        "minsize",
        "maxsize",
        "displaystyle",
        "scriptlevel",
        "columnalign",
        "rowalign",
        "columnspacing",
        "rowspacing",
        "columnlines",
        "rowlines",
        "frame",
        "linethickness",
        "notation",
        "width",
        "height",
        "depth",
        "encoding",
    }
)

ALLOWED_TAGS = nh3.ALLOWED_TAGS | MATHML_TAGS
ALLOWED_ATTRIBUTES = {
    **{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()},
    **{tag: set(MATHML_ATTRIBUTES) for tag in MATHML_TAGS},
}
ALLOWED_ATTRIBUTES["math"] |= {"xmlns"}
# Display math scrolls in its own box on a phone: a keyboard must reach it (see _for_phones).
ALLOWED_ATTRIBUTES["div"] = ALLOWED_ATTRIBUTES.get("div", set()) | {"tabindex"}


def _render_math(latex: str, options: dict) -> str:
    display = "block" if options.get("display_mode") else "inline"
    try:
        return latex_to_mathml(latex, display=display)
    except Exception:  # latex2mathml raises many kinds on bad input; show the source instead.
        return f"<code>{html.escape(latex)}</code>"


_parser = (
    MarkdownIt("commonmark", {"html": False, "typographer": False})
    .enable(["table", "strikethrough"])
    .use(dollarmath_plugin, renderer=_render_math, allow_space=False, allow_digits=False)
)


# An inline formula and the punctuation right after it ("$x$。"): kept on one line, so the
# "。" never starts a line alone.
_MATH_THEN_PUNCTUATION = re.compile(
    r'(<span class="math inline">(?:(?!</span>).)*</span>)([。，、；：！？）」』》”’.,;:!?)]+)',
    re.S,
)


def _for_phones(rendered_html: str) -> str:
    """Formulas that behave on a narrow screen (the CSS is in site.css, "math on a phone")."""
    rendered_html = _MATH_THEN_PUNCTUATION.sub(
        r'<span class="math-nowrap">\1\2</span>', rendered_html
    )
    return rendered_html.replace(
        '<div class="math block">', '<div class="math block" tabindex="0">'
    )


def sanitize(unsafe_html: str) -> str:
    return nh3.clean(
        unsafe_html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        allowed_classes={"span": {"math", "inline", "math-nowrap"}, "div": {"math", "block"}},
    )


@functools.lru_cache(maxsize=2048)
def render_markdown(text: str) -> SafeString:
    """Markdown (with $…$ / $$…$$ math) to sanitized HTML, safe to put in a page."""
    if not text:
        return mark_safe("")
    return mark_safe(sanitize(_for_phones(_parser.render(text))))


# Stored HTML names the renderer that made it: an upgrade of any of these (or a change
# to the rules above: bump the first number) makes `rerender_markdown` redo it.
RENDERER_VERSION = "2/" + ":".join(
    metadata.version(package)
    for package in ("markdown-it-py", "mdit-py-plugins", "latex2mathml", "nh3")
)


class RenderedMarkdownModel(models.Model):
    """A model whose Markdown fields are rendered once, when saved, not on every request.

    `MARKDOWN_FIELDS` names them; each has a `<name>_html` field beside it. Rows that
    were written without save() (bulk statements) or by an older renderer are still
    shown right: `rendered()` renders them on the fly until `rerender_markdown` runs.
    """

    MARKDOWN_FIELDS: ClassVar[tuple[str, ...]] = ()
    rendered_with = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        update_fields = kwargs.get("update_fields")
        if update_fields is None or set(update_fields) & set(self.MARKDOWN_FIELDS):
            self.render_markdown_fields()
            if update_fields is not None:
                kwargs["update_fields"] = {
                    *update_fields,
                    "rendered_with",
                    *(f"{name}_html" for name in self.MARKDOWN_FIELDS),
                }
        super().save(*args, **kwargs)

    def render_markdown_fields(self) -> None:
        for name in self.MARKDOWN_FIELDS:
            setattr(self, f"{name}_html", str(render_markdown(getattr(self, name) or "")))
        self.rendered_with = RENDERER_VERSION

    def rendered(self, name: str) -> SafeString:
        """The HTML of Markdown field `name`: stored, or rendered now if it is stale."""
        if self.rendered_with == RENDERER_VERSION:
            return mark_safe(getattr(self, f"{name}_html"))  # sanitized when it was stored
        return render_markdown(getattr(self, name) or "")
