"""Per-school SVG logos and colours for the demo (generated, no image files)."""

from __future__ import annotations

import hashlib
from xml.sax.saxutils import escape

__all__ = ["default_color", "guess_kind", "logo_svg", "text_color"]

_KIND_COLORS = {"music": "#7a1f5c", "gymnasium": "#1d4e89", "kindergarten": "#a34700", "school": "#2e6b30"}

_MOTIFS = {
    # a pair of quavers
    "music": '<path d="M26 44V18l20-5v26" fill="none" stroke="#fff" stroke-width="4" stroke-linejoin="round"/>'
             '<ellipse cx="21" cy="45" rx="6" ry="5" fill="#fff"/><ellipse cx="41" cy="40" rx="6" ry="5" fill="#fff"/>',
    # an open book
    "gymnasium": '<path d="M12 18c7-3 14-3 20 2v28c-6-5-13-5-20-2zM52 18c-7-3-14-3-20 2v28c6-5 13-5 20-2z" '
                 'fill="#fff"/><path d="M32 20v28" stroke="#1a1a1a" stroke-opacity=".35" stroke-width="2"/>',
    # a sun
    "kindergarten": '<circle cx="32" cy="32" r="10" fill="#fff"/><g stroke="#fff" stroke-width="4" '
                    'stroke-linecap="round"><path d="M32 10v6M32 48v6M10 32h6M48 32h6M16 16l4 4M44 44l4 4'
                    'M16 48l4-4M44 20l4-4"/></g>',
}


def guess_kind(name: str, slug: str = "") -> str:
    """``music``, ``gymnasium``, ``kindergarten`` or ``school`` from the school's name."""
    text = f"{name} {slug}".lower()
    if "muusika" in text or "music" in text:
        return "music"
    if "gümnaasium" in text or "gymnasium" in text or "gumnaasium" in text:
        return "gymnasium"
    if "lasteaed" in text or "kindergarten" in text:
        return "kindergarten"
    return "school"


def default_color(kind: str, slug: str) -> str:
    """A dark brand colour (white text on it meets WCAG AA)."""
    if kind in _KIND_COLORS and kind != "school":
        return _KIND_COLORS[kind]
    digest = hashlib.sha256(slug.encode()).digest()
    return "#{:02x}{:02x}{:02x}".format(*(40 + b % 60 for b in digest[:3]))


def _luminance(color: str) -> float:
    def channel(v: int) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.03928 else float(((c + 0.055) / 1.055) ** 2.4)

    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def text_color(background: str) -> str:
    """``#ffffff`` or ``#1a1a1a``, whichever contrasts more with ``background`` (WCAG 2.x)."""
    lum = _luminance(background)
    white = 1.05 / (lum + 0.05)
    dark = (lum + 0.05) / (_luminance("#1a1a1a") + 0.05)
    return "#ffffff" if white >= dark else "#1a1a1a"


def logo_svg(name: str, kind: str, color: str) -> str:
    """A 64×64 SVG logo: the brand colour with a motif (or the initials)."""
    motif = _MOTIFS.get(kind)
    if motif is None:
        initials = "".join(w[0] for w in name.split()[:2]).upper() or "S"
        motif = (f'<text x="32" y="41" font-family="sans-serif" font-size="24" font-weight="bold" '
                 f'text-anchor="middle" fill="{text_color(color)}">{escape(initials)}</text>')
    title = escape(name)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64" '
            f'role="img" aria-label="{escape(name, {chr(34): "&quot;"})}"><title>{title}</title>'
            f'<rect width="64" height="64" rx="12" fill="{escape(color)}"/>{motif}</svg>')
