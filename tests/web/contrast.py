"""WCAG 2.x contrast: relative luminance, contrast ratio and the AA thresholds.

Definitions from WCAG 2.2, "relative luminance" and "contrast ratio":
https://www.w3.org/TR/WCAG22/#dfn-relative-luminance. Colours are sRGB, 0–255 per channel;
a colour with alpha is composited over what is under it before it is measured, because the
ratio is defined only for opaque colours.
"""

from __future__ import annotations

import re
from typing import NamedTuple

#: AA minimum for normal text, and for large text (WCAG 2.x, success criterion 1.4.3).
NORMAL_TEXT_RATIO = 4.5
LARGE_TEXT_RATIO = 3.0
#: Large text: at least 18 pt, or at least 14 pt bold (1 pt = 4/3 CSS px).
LARGE_PX = 24.0
LARGE_BOLD_PX = 18.66
BOLD_WEIGHT = 700


class Rgba(NamedTuple):
    """An sRGB colour, channels 0–255, alpha 0–1."""

    r: float
    g: float
    b: float
    a: float = 1.0

    def hex(self) -> str:
        """``#rrggbb`` (alpha left out), for messages."""
        return "#{:02x}{:02x}{:02x}".format(*(round(c) for c in (self.r, self.g, self.b)))


_FUNCTION = re.compile(r"^rgba?\(\s*([^)]*)\)$")


def parse_css_color(text: str) -> Rgba:
    """A colour as CSS writes it: ``#rgb``, ``#rrggbb``, or ``rgb()``/``rgba()`` as
    ``getComputedStyle`` returns them (commas or spaces, ``/ alpha``)."""
    value = text.strip().lower()
    if value == "transparent":
        return Rgba(0, 0, 0, 0.0)
    if value.startswith("#") and len(value) in (4, 7):
        digits = value[1:] if len(value) == 7 else "".join(c * 2 for c in value[1:])
        return Rgba(*(int(digits[i : i + 2], 16) for i in (0, 2, 4)))
    match = _FUNCTION.match(value)
    if match:
        parts = [p for p in re.split(r"[\s,/]+", match.group(1)) if p]
        if len(parts) in (3, 4):
            alpha = 1.0
            if len(parts) == 4:
                alpha = float(parts[3][:-1]) / 100 if parts[3].endswith("%") else float(parts[3])
            return Rgba(float(parts[0]), float(parts[1]), float(parts[2]), alpha)
    raise ValueError(f"not an sRGB colour this helper can measure: {text!r}")


def composite(top: Rgba, under: Rgba) -> Rgba:
    """``top`` painted over ``under`` (source-over); opaque when ``under`` is."""
    alpha = top.a + under.a * (1 - top.a)
    if alpha == 0:
        return Rgba(0, 0, 0, 0.0)

    def channel(t: float, u: float) -> float:
        return (t * top.a + u * under.a * (1 - top.a)) / alpha

    return Rgba(channel(top.r, under.r), channel(top.g, under.g), channel(top.b, under.b), alpha)


def relative_luminance(color: Rgba) -> float:
    """WCAG relative luminance of an opaque colour, 0 (black) to 1 (white)."""
    if color.a < 1:
        raise ValueError(f"luminance needs an opaque colour, got alpha {color.a}")

    def linear(channel: float) -> float:
        c = channel / 255
        # 0.04045 is sRGB's threshold (WCAG 2.0 printed 0.03928; no 8-bit value lies between).
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(color.r) + 0.7152 * linear(color.g) + 0.0722 * linear(color.b)


def contrast_ratio(foreground: Rgba, background: Rgba) -> float:
    """(L1 + 0.05) / (L2 + 0.05), lighter over darker: 1 to 21, symmetric.

    A translucent foreground is first composited over the (opaque) background.
    """
    fg = composite(foreground, background) if foreground.a < 1 else foreground
    lighter, darker = sorted((relative_luminance(fg), relative_luminance(background)))[::-1]
    return (lighter + 0.05) / (darker + 0.05)


def is_large_text(font_size_px: float, font_weight: int) -> bool:
    """WCAG's "large scale" text: ≥ 24 px, or ≥ 18.66 px and bold."""
    return font_size_px >= LARGE_PX or (
        font_size_px >= LARGE_BOLD_PX and font_weight >= BOLD_WEIGHT
    )


def required_ratio(font_size_px: float, font_weight: int) -> float:
    """The AA minimum for text of this size and weight: 3 for large text, else 4.5."""
    return LARGE_TEXT_RATIO if is_large_text(font_size_px, font_weight) else NORMAL_TEXT_RATIO
