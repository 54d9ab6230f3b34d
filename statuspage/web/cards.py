"""Open Graph cards: the 1200×630 PNG a social network shows beside a shared incident.

A card is drawn with Pillow from a few words (site, title, status, impact, services) in the
page's language, with a TrueType font from Debian (`fonts-dejavu-core`, or Noto) or the one
`STATUSPAGE_CARD_FONT` names. The PNG is kept in memory by the digest of what it shows: an
incident that did not change is not drawn again, whatever else changed on the site.
"""

from __future__ import annotations

import hashlib
import io
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

log = logging.getLogger(__name__)

WIDTH, HEIGHT = 1200, 630
#: bumped when the drawing changes, so that cached cards and social networks' copies renew
LAYOUT = "1"

#: the colour of each status and impact, on badges and cards alike
COLOURS = {
    "none": "#1f7a3a",
    "operational": "#1f7a3a",
    "minor": "#8a6d00",
    "degraded_performance": "#8a6d00",
    "major": "#b35900",
    "partial_outage": "#b35900",
    "critical": "#b3261e",
    "major_outage": "#b3261e",
    "maintenance": "#1f5fa8",
    "under_maintenance": "#1f5fa8",
}

#: Debian's own fonts, first found wins: fonts-dejavu-core, then fonts-noto-core.
REGULAR_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
)
BOLD_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf",
)

INK, MUTED, PAPER, LINE = "#1b1f24", "#57606a", "#ffffff", "#d0d7de"


class FontMissing(ValueError):
    """The configured font file does not exist."""


@dataclass(frozen=True)
class Fonts:
    regular: str
    bold: str


def find_fonts(regular: str = "", bold: str = "") -> Fonts | None:
    """The fonts to draw with: the configured files (which must exist), else Debian's; None
    when the machine has none (cards are then left out of the pages)."""
    for configured in (regular, bold):
        if configured and not Path(configured).is_file():
            raise FontMissing(
                f"STATUSPAGE_CARD_FONT(_BOLD): no font file at {configured} "
                "(install fonts-dejavu-core or point the setting at a .ttf file)"
            )
    found_regular = regular or next((p for p in REGULAR_FONTS if Path(p).is_file()), "")
    found_bold = bold or next((p for p in BOLD_FONTS if Path(p).is_file()), found_regular)
    if not found_regular:
        return None
    return Fonts(found_regular, found_bold)


@dataclass(frozen=True)
class Card:
    """What a card shows, already in the reader's language."""

    lang: str
    site: str
    host: str
    title: str
    status: str
    impact: str  #: "" for a maintenance
    services_heading: str
    services: tuple[str, ...]
    colour: str  #: the status colour of the stripe and the status pill

    @property
    def alt(self) -> str:
        """The card in words, for og:image:alt (French sets a space before the colon)."""
        colon = "\u00a0: " if self.lang == "fr" else ": "
        parts = [f"{self.status}{colon}{self.title}"]
        if self.impact:
            parts.append(self.impact)
        if self.services:
            parts.append(f"{self.services_heading}{colon}{', '.join(self.services)}")
        return ". ".join(parts)

    def digest(self, fonts: Fonts) -> str:
        text = repr((LAYOUT, self, fonts.regular, fonts.bold))
        return hashlib.blake2b(text.encode(), digest_size=10).hexdigest()


def _fit(draw: ImageDraw.ImageDraw, text: str, font, width: int, lines: int) -> list[str]:
    """`text` cut into at most `lines` lines of `width` pixels, the last one ending in an
    ellipsis when words were left out; a word longer than a line is cut too."""
    words = text.split()
    result: list[str] = []
    current = ""
    for word in words:
        candidate = f"{current} {word}".strip()
        if draw.textlength(candidate, font=font) <= width:
            current = candidate
            continue
        if current:
            result.append(current)
        current = word
        while draw.textlength(current, font=font) > width:  # one very long word
            cut = len(current)
            while cut > 1 and draw.textlength(current[:cut], font=font) > width:
                cut -= 1
            result.append(current[:cut])
            current = current[cut:]
    if current:
        result.append(current)
    if len(result) > lines:
        last = result[lines - 1]
        while last and draw.textlength(last + "…", font=font) > width:
            last = last[:-1].rstrip()
        result = [*result[: lines - 1], last + "…"]
    return result


def render(card: Card, fonts: Fonts) -> bytes:
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)

    def font(bold: bool, size: int):
        return ImageFont.truetype(fonts.bold if bold else fonts.regular, size)

    left, right = 96, WIDTH - 80
    width = right - left
    draw.rectangle((0, 0, 32, HEIGHT), fill=card.colour)
    draw.text((left, 56), card.site, font=font(True, 34), fill=INK)
    draw.line((left, 118, right, 118), fill=LINE, width=2)

    pill_font = font(True, 30)
    y = 150
    pill = card.status
    pill_width = int(draw.textlength(pill, font=pill_font)) + 48
    draw.rounded_rectangle((left, y, left + pill_width, y + 52), radius=26, fill=card.colour)
    draw.text((left + 24, y + 26), pill, font=pill_font, fill="#ffffff", anchor="lm")
    if card.impact:
        draw.text(
            (left + pill_width + 24, y + 26),
            card.impact,
            font=font(False, 30),
            fill=MUTED,
            anchor="lm",
        )

    title_font = font(True, 60)
    y = 236
    for line in _fit(draw, card.title, title_font, width, 3):
        draw.text((left, y), line, font=title_font, fill=INK)
        y += 74

    if card.services:
        y = max(y + 16, 420)
        draw.text((left, y), card.services_heading, font=font(True, 26), fill=MUTED)
        services_font = font(False, 30)
        for line in _fit(draw, " · ".join(card.services), services_font, width, 2):
            y += 40
            draw.text((left, y), line, font=services_font, fill=INK)

    draw.text((left, HEIGHT - 48), card.host, font=font(False, 26), fill=MUTED, anchor="ls")
    buffer = io.BytesIO()
    # a 64-colour palette: a third of the bytes of RGB; the fast octree keeps a draw near 50 ms
    palette = image.quantize(colors=64, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    palette.save(buffer, "PNG")
    return buffer.getvalue()


class CardCache:
    """PNGs by digest, the most recently used kept."""

    def __init__(self, max_entries: int = 256) -> None:
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self.max_entries = max_entries
        self.renders = 0

    def png(self, card: Card, fonts: Fonts) -> bytes:
        key = card.digest(fonts)
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        body = render(card, fonts)
        with self._lock:
            self.renders += 1
            self._entries[key] = body
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return body


def init_app(app) -> None:
    """Finds the fonts once; a configured font that is missing stops the start with a clear
    message, a machine without any font serves pages without cards (and says so in the log)."""
    fonts = find_fonts(app.config["CARD_FONT"], app.config["CARD_FONT_BOLD"])
    if fonts is None:
        log.warning(
            "no font for the incidents' og:image cards: install fonts-dejavu-core "
            "or set STATUSPAGE_CARD_FONT; pages are served without cards"
        )
    app.extensions["statuspage_cards"] = (fonts, CardCache())
