from django import template
from django.utils.safestring import SafeString

from nice.markdown import render_markdown

register = template.Library()


@register.filter
def markdown(text: str) -> SafeString:
    """Render Markdown with math to sanitized HTML."""
    return render_markdown(text or "")
