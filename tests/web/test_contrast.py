"""Text contrast of the status pages (WCAG 2.x AA, success criterion 1.4.3).

The helper (``tests/web/contrast.py``) is checked against published pairs; then every
rendered text element of the real pages, served over the seeded store and opened in Debian's
headless Chromium, is measured with its computed colour against the first opaque background
under it (translucent layers composited), in the light and the emulated dark colour scheme.
A second test renders a sample of every colour rule of the stylesheet that has a class of
its own (every state badge, banner, met/missed, maintenance kind), so a state the seeded data
does not show is still measured.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.web import fixtures
from tests.web.contrast import (
    Rgba,
    composite,
    contrast_ratio,
    is_large_text,
    parse_css_color,
    relative_luminance,
    required_ratio,
)

MEASURE_TEXT = (Path(__file__).parent / "measure_text.js").read_text()
WHITE = Rgba(255, 255, 255)
BLACK = Rgba(0, 0, 0)

# The overview, both kinds of client page (one with a site in maintenance), a site with an
# ongoing outage, a site with the response-time chart, and the maintenance page.
PAGES = (
    "/",
    f"/clients/acme?token={fixtures.ACME_TOKEN}",
    f"/clients/secretco?token={fixtures.VAULT_TOKEN}",
    "/sites/api",
    "/sites/shop",
    "/maintenance",
)
SCHEMES = ("light", "dark")


# --- the helper ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("foreground", "background", "expected"),
    [
        ("#000000", "#ffffff", 21.0),
        ("#ffffff", "#000000", 21.0),  # symmetric
        ("#777777", "#ffffff", 4.48),  # the classic "grey that just fails AA"
        ("#767676", "#ffffff", 4.54),  # the lightest grey that passes on white
        ("#0000ff", "#ffffff", 8.59),
        ("#ff0000", "#ffffff", 4.00),
        ("#123456", "#123456", 1.0),
    ],
)
def test_contrast_ratio_of_known_pairs(foreground: str, background: str, expected: float) -> None:
    ratio = contrast_ratio(parse_css_color(foreground), parse_css_color(background))
    assert ratio == pytest.approx(expected, abs=0.005)


def test_relative_luminance_spans_zero_to_one() -> None:
    assert relative_luminance(BLACK) == 0
    assert relative_luminance(WHITE) == pytest.approx(1.0)
    assert relative_luminance(Rgba(0, 255, 0)) == pytest.approx(0.7152)
    with pytest.raises(ValueError, match="opaque"):
        relative_luminance(Rgba(0, 0, 0, 0.5))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rgb(27, 31, 36)", Rgba(27, 31, 36)),
        ("rgba(0, 0, 0, 0)", Rgba(0, 0, 0, 0.0)),
        ("rgba(10, 20, 30, 0.25)", Rgba(10, 20, 30, 0.25)),
        ("rgb(10 20 30 / 50%)", Rgba(10, 20, 30, 0.5)),
        ("#abc", Rgba(0xAA, 0xBB, 0xCC)),
        ("#0B57D0", Rgba(0x0B, 0x57, 0xD0)),
        ("transparent", Rgba(0, 0, 0, 0.0)),
    ],
)
def test_css_colours_are_parsed(text: str, expected: Rgba) -> None:
    assert parse_css_color(text) == expected


@pytest.mark.parametrize("text", ["oklch(0.5 0.1 200)", "red", "#12345", "rgb(1, 2)"])
def test_colours_it_cannot_measure_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not an sRGB colour"):
        parse_css_color(text)


def test_translucent_colours_are_composited_over_what_is_under_them() -> None:
    grey = composite(Rgba(0, 0, 0, 0.5), WHITE)
    assert grey == Rgba(127.5, 127.5, 127.5, 1.0)
    assert composite(Rgba(9, 9, 9, 0.0), WHITE) == WHITE
    # Half-transparent black text on white measures as the grey it looks like.
    assert contrast_ratio(Rgba(0, 0, 0, 0.5), WHITE) == pytest.approx(contrast_ratio(grey, WHITE))


@pytest.mark.parametrize(
    ("size_px", "weight", "large", "ratio"),
    [
        (16, 400, False, 4.5),
        (23.9, 400, False, 4.5),
        (24, 400, True, 3.0),
        (25.6, 700, True, 3.0),  # the pages' h1
        (19.2, 700, True, 3.0),  # the pages' h2
        (18.66, 700, True, 3.0),
        (18.66, 600, False, 4.5),  # semi-bold is not bold
        (18.5, 700, False, 4.5),
    ],
)
def test_large_text_needs_three_to_one(
    size_px: float, weight: int, large: bool, ratio: float
) -> None:
    assert is_large_text(size_px, weight) is large
    assert required_ratio(size_px, weight) == ratio


# --- the pages in the browser ----------------------------------------------------------


@dataclass(frozen=True)
class TextSample:
    """One rendered text element and its measured contrast."""

    where: str
    element: str
    text: str
    foreground: Rgba
    background: Rgba
    ratio: float
    required: float
    problem: str = ""

    def failed(self) -> bool:
        return bool(self.problem) or self.ratio < self.required

    def __str__(self) -> str:
        if self.problem:
            return f"{self.where}: <{self.element}> {self.text!r}: {self.problem}"
        return (
            f"{self.where}: <{self.element}> {self.text!r}: {self.ratio:.2f}:1 < "
            f"{self.required}:1 ({self.foreground.hex()} on {self.background.hex()})"
        )


def sample(where: str, record: dict[str, Any]) -> TextSample:
    """Turn what ``measure_text.js`` saw into a ratio: the background layers (element
    first) are painted from the bottom up over the white canvas, then the text over them."""
    under = WHITE
    for layer in reversed(record["layers"]):
        under = composite(parse_css_color(layer), under)
    fg = parse_css_color(record["color"])
    fg = Rgba(fg.r, fg.g, fg.b, fg.a * record["opacity"])
    problem = ""
    if record["images"]:
        problem = f"text over a background image ({', '.join(record['images'])}): not measurable"
    return TextSample(
        where=where,
        element=record["element"],
        text=record["text"],
        foreground=fg,
        background=under,
        ratio=contrast_ratio(fg, under),
        required=required_ratio(record["fontSizePx"], record["fontWeight"]),
        problem=problem,
    )


def measure(page: Page, where: str, root: str | None = None) -> list[TextSample]:
    """Every rendered text element under ``root`` (default: the body) of the open page."""
    return [sample(where, record) for record in page.evaluate(MEASURE_TEXT, root)]


def classes(samples: list[TextSample]) -> set[str]:
    """The class names of the measured elements."""
    return {name for s in samples for name in s.element.split(".")[1:]}


@pytest.fixture(params=SCHEMES)
def scheme_page(request: pytest.FixtureRequest, browser: Browser) -> Iterator[tuple[str, Page]]:
    """A page in the light or the emulated dark colour scheme (``prefers-color-scheme``)."""
    scheme: str = request.param
    context = browser.new_context(
        color_scheme=scheme,  # type: ignore[arg-type]
        viewport={"width": 1100, "height": 900},
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield scheme, page
    context.close()


@pytest.mark.browser
def test_every_text_on_the_pages_has_aa_contrast(
    scheme_page: tuple[str, Page], server: str
) -> None:
    scheme, page = scheme_page
    assert page.evaluate(f"matchMedia('(prefers-color-scheme: {scheme})').matches")
    samples: list[TextSample] = []
    for path in PAGES:
        response = page.goto(server + path)
        assert response is not None and response.status == 200, path
        # The response-time table is folded in a <details>: open it so its text is measured.
        page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
        found = measure(page, f"{path} [{scheme}]")
        assert len(found) > 20, f"{path}: only {len(found)} text elements measured"
        samples += found
    # The day bar's tooltip is text only while the bar has focus (or the pointer).
    page.goto(server + "/")
    page.locator("li.bar").first.focus()
    tip = measure(page, f"/ focused bar tooltip [{scheme}]", ".bar:focus .tip")
    assert len(tip) == 1
    samples += tip
    # The seeded data shows every state, met and missed, an emergency window, links: all of
    # them were measured, not skipped.
    shown = classes(samples)
    for cls in ("state-up", "state-degraded", "state-down", "state-maintenance"):
        assert cls in shown, f"no {cls} badge was measured"
    for cls in ("met-met", "met-missed", "kind-emergency", "banner", "skip", "target", "tick"):
        assert cls in shown, f"no .{cls} text was measured"
    assert any(s.element.split(".")[0] == "a" for s in samples), "no link was measured"
    failures = list(dict.fromkeys(str(s) for s in samples if s.failed()))
    assert failures == [], "text below WCAG AA contrast:\n" + "\n".join(failures)


# Renders one sample per class selector of the stylesheet that sets a text colour, inside
# <main>, where the pages put them.
RENDER_COLOUR_CLASSES = """() => {
  const names = new Set();
  const visit = (rules) => {
    for (const rule of rules) {
      if (rule.cssRules && !(rule instanceof CSSStyleRule)) { visit(rule.cssRules); continue; }
      if (!(rule instanceof CSSStyleRule) || !rule.style.getPropertyValue("color")) continue;
      for (const selector of rule.selectorText.split(",")) {
        const m = selector.trim().match(/^\\.([A-Za-z0-9_-]+)$/);
        if (m) names.add(m[1]);
      }
    }
  };
  for (const sheet of document.styleSheets) visit(sheet.cssRules);
  const box = document.createElement("div");
  box.id = "colour-classes";
  for (const name of [...names].sort()) {
    const p = document.createElement("p");
    p.className = name;
    p.textContent = "Sample text 99.9 %";
    box.appendChild(p);
  }
  document.querySelector("main").appendChild(box);
  return [...names].sort();
}"""


@pytest.mark.browser
def test_every_colour_class_of_the_stylesheet_has_aa_contrast(
    scheme_page: tuple[str, Page], server: str
) -> None:
    scheme, page = scheme_page
    page.goto(server + "/")
    names: list[str] = page.evaluate(RENDER_COLOUR_CLASSES)
    for status in ("up", "degraded", "down", "maintenance", "unknown"):
        assert f"state-{status}" in names and f"banner-{status}" in names, status
    samples = measure(page, f"stylesheet [{scheme}]", "#colour-classes")
    assert classes(samples) == set(names)
    failures = list(dict.fromkeys(str(s) for s in samples if s.failed()))
    assert failures == [], "colour classes below WCAG AA contrast:\n" + "\n".join(failures)
