import re

from django import template
from django.utils import translation
from django.utils.html import format_html
from django.utils.safestring import SafeString

from nice.markdown import render_markdown
from nice.renditions import rendition_name, widths_below
from sessions import history

register = template.Library()


@register.filter
def markdown(text: str) -> SafeString:
    """Render Markdown with math to sanitized HTML."""
    return render_markdown(text or "")


@register.filter
def rendered(instance, field: str) -> SafeString:
    """A model's Markdown field as HTML, rendered when it was saved: {{ talk|rendered:"summary" }}."""
    return instance.rendered(field)


# Han ideographs (with extension A and compatibility forms) against Latin letters.
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")


def text_language(text: str) -> str | None:
    """The language a text is mostly in: "zh", "en", or None for neither
    (numbers, symbols, empty). A Han character counts as three letters, about a word each:
    "GRPO 解读" is Chinese, "Attention Is All You Need (中文解读)" English."""
    han = len(_HAN.findall(text or ""))
    latin = len(_LATIN.findall(text or ""))
    if not han and not latin:
        return None
    return "zh" if 3 * han >= latin else "en"


@register.filter
def lang_attr(text: str) -> SafeString:
    """` lang="zh"` on a Chinese text in an English page, ` lang="en"` on an English text in a
    Chinese page, else nothing: <h1{{ session.title|lang_attr }}>. The one rule every
    template uses for names, titles and summaries."""
    language = text_language(str(text or ""))
    page = "zh" if (translation.get_language() or "").startswith("zh") else "en"
    if language is None or language == page:
        return SafeString("")
    return format_html(' lang="{}"', language)


@register.filter
def in_its_language(text: str) -> SafeString | str:
    """A name or title inside a translated sentence, marked with its own language
    when it differs from the page's: {% blocktranslate with name=x|in_its_language %}."""
    return format_html("<span{}>{}</span>", lang_attr(text), text) if lang_attr(text) else text


@register.filter
def change_label(field: str) -> str:
    """A history entry's field in the reader's language: {{ field|change_label }}."""
    return history.change_label(field)


@register.filter
def change_value(value: str, field: str) -> str:
    """A history entry's value for people: {{ before|change_value:field }}."""
    return history.change_value(value, field)


@register.filter
def get_item(mapping: dict, key):
    """mapping[key] in a template, None when absent."""
    return mapping.get(key)


@register.simple_tag
def responsive_image(file, width, height, alt: str, sizes: str = "100vw") -> SafeString:
    """<img> with WebP renditions in srcset, explicit dimensions and lazy loading."""
    if not file:
        return SafeString("")
    candidates = [
        f"{file.storage.url(rendition_name(file.name, w))} {w}w" for w in widths_below(width)
    ]
    if width:
        candidates.append(f"{file.url} {width}w")
    return format_html(
        '<img src="{}" srcset="{}" sizes="{}" width="{}" height="{}" alt="{}" loading="lazy" decoding="async">',
        file.url,
        ", ".join(candidates),
        sizes,
        width or "",
        height or "",
        alt,
    )
