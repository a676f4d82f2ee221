"""Images the app draws for a session: its permalink QR code, a share card
(1200×630, the page's og:image) and a printable A4 poster (PNG and PDF).

Chinese needs a CJK font: settings.CJK_FONT, else fontconfig's answer for
Noto Sans CJK SC (the Dockerfile and CI install Debian's fonts-noto-cjk).
Long titles wrap and shrink before anything is cut; many talks still fit.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import logging
import re
import shutil
import subprocess
from dataclasses import dataclass

import segno
from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont

from sessions.models import Session

logger = logging.getLogger(__name__)

CARD_SIZE = (1200, 630)
POSTER_SIZE = (1240, 1754)  # A4 portrait at 150 dpi
POSTER_DPI = 150
INK, MUTED, ACCENT, PAPER, WASH = "#1d2330", "#5f6878", "#1f5fbf", "#ffffff", "#e8f0fc"
# Latin words, numbers and URLs stay whole; every CJK character may end a line.
_TOKENS = re.compile(r"[A-Za-z0-9][\w\-.:/'’@&+]*|\s+|.", re.UNICODE)


# ---------------------------------------------------------------- fonts


@dataclass(frozen=True)
class FontFace:
    path: str
    index: int = 0


@functools.cache
def cjk_font(bold: bool = False) -> FontFace | None:
    """The CJK font to draw with: the setting, else fontconfig's match; None if neither."""
    configured = getattr(settings, "CJK_FONT", "")
    if configured:
        return FontFace(configured)
    if shutil.which("fc-match"):
        pattern = f"Noto Sans CJK SC:style={'Bold' if bold else 'Regular'}"
        result = subprocess.run(
            ["fc-match", "-f", "%{file}|%{index}|%{lang}", pattern],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
        path, _sep, rest = result.stdout.partition("|")
        index, _sep, languages = rest.partition("|")
        if path and "zh-cn" in languages:
            return FontFace(path, int(index or 0))
    logger.warning("No CJK font found: Chinese on cards and posters will not render.")
    return None


def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    face = cjk_font(bold)
    if face is None:
        fallback = ImageFont.load_default(size)
        # Only a Pillow built without FreeType gives its bitmap font, which has no
        # size to lay lines out by; the wheels always have FreeType.
        if not isinstance(fallback, ImageFont.FreeTypeFont):
            raise RuntimeError("Pillow was built without FreeType: no font to draw text with.")
        return fallback
    return ImageFont.truetype(face.path, size, index=face.index)


# ---------------------------------------------------------------- text layout


def wrap(text: str, typeface: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Lines no wider than `width`: breaks between CJK characters and between words."""
    lines: list[str] = []
    line = ""
    for token in _TOKENS.findall(" ".join(text.split())):
        candidate = line + token
        if not line or typeface.getlength(candidate) <= width:
            line = candidate
            continue
        lines.append(line.rstrip())
        line = "" if token.isspace() else token
        while typeface.getlength(line) > width and len(line) > 1:  # a word longer than a line
            cut = _longest_prefix(line, typeface, width)
            lines.append(line[:cut])
            line = line[cut:]
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _longest_prefix(text: str, typeface: ImageFont.FreeTypeFont, width: int) -> int:
    cut = len(text)
    while cut > 1 and typeface.getlength(text[:cut]) > width:
        cut -= 1
    return cut


def fit(
    text: str, width: int, max_lines: int, sizes: range, bold: bool = False
) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest size at which `text` fits in `max_lines`; at the smallest, cut with …"""
    for size in sizes:
        typeface = font(size, bold)
        lines = wrap(text, typeface, width)
        if len(lines) <= max_lines:
            return typeface, lines
    lines = lines[:max_lines]
    while lines[-1] and typeface.getlength(lines[-1] + "…") > width:
        lines[-1] = lines[-1][:-1]
    lines[-1] += "…"
    return typeface, lines


def _draw_lines(
    draw: ImageDraw.ImageDraw,
    lines: list[str],
    typeface: ImageFont.FreeTypeFont,
    x: int,
    y: int,
    fill: str,
    spacing: float = 1.3,
) -> int:
    """Draw lines from (x, y); return the y below them."""
    step = int(typeface.size * spacing)
    for line in lines:
        draw.text((x, y), line, font=typeface, fill=fill)
        y += step
    return y


# ---------------------------------------------------------------- content


def card_content(session: Session, url: str) -> dict:
    """What the images show, as plain data: also what their cache is keyed on.

    Uses prefetched talks and presenters (Session.objects.with_cards()).
    """
    with translation.override(settings.LANGUAGE_CODE):
        local = timezone.localtime(session.starts_at, session.series.zone)
        when = formats.date_format(local, "DATE_FORMAT")
        if session.has_start_time:
            when += local.strftime(" %H:%M")
            if session.ends_at:
                when += timezone.localtime(session.ends_at, session.series.zone).strftime("–%H:%M")
        return {
            "series": session.series.name,
            "number": _("No. %(number)s") % {"number": session.number},
            "title": session.title,
            "when": when,
            "zone": f"{session.series.timezone} ({session.utc_offset})",
            "cancelled": _("Cancelled") if session.is_cancelled else "",
            "talks": [
                {
                    "title": talk.title,
                    "presenters": "、".join(a.person.name for a in talk.appearances),
                }
                for talk in session.talks.all()
            ],
            "presenters": "、".join(a.person.name for a in session.appearances),
            "url": url,
            "scan": _("Scan for the details"),
        }


def signature(content: dict) -> str:
    return hashlib.sha256(
        json.dumps(content, ensure_ascii=False, sort_keys=True).encode()
    ).hexdigest()[:16]


def qr_image(url: str, box_size: int) -> Image.Image:
    code = segno.make(url, error="m")
    buffer = io.BytesIO()
    code.save(
        buffer, kind="png", scale=max(1, box_size // (code.symbol_size(border=2)[0])), border=2
    )
    return (
        Image.open(io.BytesIO(buffer.getvalue()))
        .convert("RGB")
        .resize((box_size, box_size), Image.Resampling.NEAREST)
    )


def qr_svg(url: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(
        buffer, kind="svg", scale=6, border=2, xmldecl=False, svgns=True
    )
    return buffer.getvalue()


def qr_png(url: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=8, border=3)
    return buffer.getvalue()


# ---------------------------------------------------------------- drawing


def render_card(content: dict) -> Image.Image:
    """The 1200×630 share card: text on the left, the QR code in a column of its own."""
    width, height = CARD_SIZE
    image = Image.new("RGB", CARD_SIZE, PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 24, height), fill=ACCENT)
    qr_size = 260
    qr_left = width - qr_size - 56
    image.paste(qr_image(content["url"], qr_size), (qr_left, 64))
    _draw_lines(
        draw,
        wrap(content["scan"], font(24), qr_size),
        font(24),
        qr_left + 8,
        64 + qr_size + 14,
        MUTED,
    )
    left = 80
    text_width = qr_left - left - 48
    y = _draw_lines(draw, [content["series"]], font(30), left, 56, MUTED)
    label = content["number"] + (f" · {content['cancelled']}" if content["cancelled"] else "")
    y = _draw_lines(draw, [label], font(40, bold=True), left, y + 8, ACCENT)
    typeface, lines = fit(content["title"], text_width, 3, range(64, 35, -4), bold=True)
    y = _draw_lines(draw, lines, typeface, left, y + 12, INK, spacing=1.22)
    y = _draw_lines(
        draw, [content["when"], content["zone"]], font(28), left, y + 14, INK, spacing=1.35
    )
    _draw_card_talks(draw, content, left, y + 14, text_width, height - 40)
    return image


def _draw_card_talks(draw, content: dict, x: int, top: int, width: int, bottom: int) -> None:
    """As many talk titles as fit, one line each; else how many talks, and who presents."""
    talks = content["talks"]
    line_height = 38
    room = (bottom - top) // line_height
    if not talks or room < 1:
        return
    if len(talks) <= room:
        for talk in talks:
            typeface, (line, *_rest) = fit("· " + talk["title"], width, 1, range(26, 25, -1))
            top = _draw_lines(draw, [line], typeface, x, top, MUTED, spacing=1.45)
        return
    summary = _("%(count)s talks: %(presenters)s") % {
        "count": len(talks),
        "presenters": content["presenters"],
    }
    typeface, lines = fit(summary, width, room, range(26, 25, -1))
    _draw_lines(draw, lines, typeface, x, top, MUTED, spacing=1.45)


def render_poster(content: dict) -> Image.Image:
    """The A4 poster: header band, number and theme, time, the talks, the QR code."""
    width, height = POSTER_SIZE
    image = Image.new("RGB", POSTER_SIZE, PAPER)
    draw = ImageDraw.Draw(image)
    margin = 100
    draw.rectangle((0, 0, width, 330), fill=ACCENT)
    y = _draw_lines(draw, [content["series"]], font(44), margin, 80, "#dce8fb")
    label = content["number"] + (f" · {content['cancelled']}" if content["cancelled"] else "")
    _draw_lines(draw, [label], font(96, bold=True), margin, y + 20, PAPER)
    typeface, lines = fit(content["title"], width - 2 * margin, 3, range(84, 47, -4), bold=True)
    y = _draw_lines(draw, lines, typeface, margin, 390, INK, spacing=1.22)
    y = _draw_lines(
        draw, [content["when"], content["zone"]], font(42), margin, y + 24, INK, spacing=1.35
    )
    qr_size = 340
    footer_top = height - qr_size - 120
    y = _draw_talks(draw, content["talks"], margin, y + 50, width - 2 * margin, footer_top - 40)
    draw.rectangle((0, footer_top - 10, width, height), fill=WASH)
    image.paste(qr_image(content["url"], qr_size), (width - margin - qr_size, footer_top + 40))
    text_width = width - 3 * margin - qr_size
    footer_y = _draw_lines(
        draw,
        wrap(content["scan"], font(46, bold=True), text_width),
        font(46, bold=True),
        margin,
        footer_top + 80,
        INK,
    )
    _draw_lines(
        draw, wrap(content["url"], font(30), text_width), font(30), margin, footer_y + 20, MUTED
    )
    return image


def _draw_talks(draw, talks: list[dict], x: int, top: int, width: int, bottom: int) -> int:
    """Each talk's title and presenters, shrinking together until all of them fit."""
    for size in range(44, 23, -2):
        title_font, people_font = font(size, bold=True), font(int(size * 0.8))
        blocks = [
            (wrap(talk["title"], title_font, width - 40), talk["presenters"]) for talk in talks
        ]
        needed = sum(
            len(lines) * int(size * 1.25)
            + (int(size * 0.8 * 1.4) if people else 0)
            + int(size * 0.7)
            for lines, people in blocks
        )
        if top + needed <= bottom:
            break
    y = top
    for number, (lines, people) in enumerate(blocks, start=1):
        if y + int(size * 1.25) > bottom:
            break
        draw.text((x, y), f"{number}.", font=title_font, fill=ACCENT)
        y = _draw_lines(draw, lines, title_font, x + 40, y, INK, spacing=1.25)
        if people:
            y = _draw_lines(draw, [people], people_font, x + 40, y, MUTED, spacing=1.4)
        y += int(size * 0.7)
    return y


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def pdf_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "PDF", resolution=POSTER_DPI)
    return buffer.getvalue()
