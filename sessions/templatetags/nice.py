from django import template
from django.utils.safestring import SafeString

from nice.markdown import render_markdown

register = template.Library()


@register.filter
def markdown(text: str) -> SafeString:
    """Render Markdown with math to sanitized HTML."""
    return render_markdown(text or "")


@register.filter
def get_item(mapping: dict, key):
    """mapping[key] in a template, None when absent."""
    return mapping.get(key)
