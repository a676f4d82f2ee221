from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from nice.markdown import render_markdown
from nice.renditions import rendition_name, widths_below

register = template.Library()


@register.filter
def markdown(text: str) -> SafeString:
    """Render Markdown with math to sanitized HTML."""
    return render_markdown(text or "")


@register.filter
def rendered(instance, field: str) -> SafeString:
    """A model's Markdown field as HTML, rendered when it was saved: {{ talk|rendered:"summary" }}."""
    return instance.rendered(field)


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
