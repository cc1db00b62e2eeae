"""A :class:`imcsim.sweep.scatter.Scatter` as inline SVG for the HTML page: one
``<svg class="scatter">`` per panel (frame, ticks, axis labels, the front's line, one
``<circle>`` per point), and its legend or colour bar as HTML.

Each circle carries ``data-point`` (the point number), a ``class`` (``front``,
``feasible`` or ``outside``) and a ``<title>`` child: browsers show the title when the
pointer rests on the point, so the page needs no script for it. Colours are attributes,
so a panel reads the same copied out of the page. Text is escaped for XML (every panel
parses with :mod:`xml.etree`).
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence

from imcsim.sweep.figure import FRONT, OUTSIDE, RED, VIRIDIS, is_wide, tick_text
from imcsim.sweep.scatter import Panel, Scatter

_SIZE = {False: (440, 320), True: (300, 230)}  # width, height: a panel, a facet
_LEFT, _RIGHT, _TOP, _BOTTOM = 78, 14, 26, 42
_RADIUS = {FRONT: 4.5, OUTSIDE: 3.0}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CSS = """
.panels{display:flex;flex-wrap:wrap;gap:.5em 1.5em}
svg.scatter{font-family:system-ui,sans-serif;overflow:visible}
svg.scatter circle:hover{stroke:#000;stroke-width:2}
.legend{font-size:.85em;margin:.3em 0}.legend span{margin-right:1em;white-space:nowrap}
.swatch{display:inline-block;width:.8em;height:.8em;border-radius:50%;margin-right:.3em;
vertical-align:middle}.bar{display:inline-block;width:12em;height:.8em;margin:0 .5em;
vertical-align:middle}
"""


def escape(text: str) -> str:
    """Text as XML and HTML both read it (control characters, invalid in XML, as '?')."""
    return html.escape(_CONTROL.sub("?", text), quote=True)


def scatter_html(scatter: Scatter) -> str:
    """The panels side by side, then the legend (or the colour bar)."""
    panels = "".join(_panel(scatter, p) for p in scatter.panels)
    return f'<div class="panels">{panels}</div>{_legend(scatter)}'


def _legend(scatter: Scatter) -> str:
    if scatter.colour_bar is not None:
        bar = scatter.colour_bar
        stops = ",".join(VIRIDIS)
        return (f'<div class="legend">{escape(bar.key)}: {escape(tick_text(bar.lo))}'
                f'<span class="bar" style="background:linear-gradient(to right,{stops})">'
                f'</span>{escape(tick_text(bar.hi))}{" (log scale)" if bar.log else ""}</div>')
    if not scatter.legend:
        return ""
    title = f"{escape(scatter.legend_title)}: " if scatter.legend_title else ""
    items = "".join(f'<span><span class="swatch" style="background:{c}"></span>'
                    f"{escape(label)}</span>" for label, c in scatter.legend)
    return f'<div class="legend">{title}{items}</div>'


class _Scale:
    """Data to pixels along one axis (log10 when the values are wide)."""

    def __init__(self, values: Sequence[float], start: float, end: float) -> None:
        self.log = is_wide(values)
        t = [math.log10(v) for v in values] if self.log else list(values)
        lo, hi = min(t), max(t)
        pad = (hi - lo) * 0.05 or (0.05 if self.log else abs(lo) * 0.1 or 0.5)
        self.lo, self.hi = lo - pad, hi + pad
        self.start, self.end = start, end

    def __call__(self, v: float) -> float:
        t = math.log10(v) if self.log else v
        return self.start + (t - self.lo) / (self.hi - self.lo) * (self.end - self.start)

    def ticks(self) -> list[float]:
        if self.log:
            lo, hi = 10 ** self.lo, 10 ** self.hi
            for mantissas in ((1.0,), (1.0, 2.0, 5.0)):
                out = [m * 10.0 ** k for k in range(math.floor(self.lo), math.ceil(self.hi) + 1)
                       for m in mantissas if lo <= m * 10.0 ** k <= hi]
                if len(out) >= 2:
                    return out[::math.ceil(len(out) / 6)]
            return [v for v in nice_ticks(lo, hi) if v > 0]
        return nice_ticks(self.lo, self.hi)


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round values (1, 2, 2.5 or 5 × 10^k apart) between lo and hi (also the
    bar charts of :mod:`imcsim.comparison.html`)."""
    raw = (hi - lo) / n
    if raw <= 0 or not math.isfinite(raw):
        return [lo]
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * power >= raw)
    first = math.ceil(lo / step)
    return [k * step for k in range(first, math.floor(hi / step) + 1)]


def _panel(scatter: Scatter, panel: Panel) -> str:
    w, h = _SIZE[scatter.shared]
    top = _TOP if panel.title else 12
    sx = _Scale(scatter.values(panel, "x"), _LEFT, w - _RIGHT)
    sy = _Scale(scatter.values(panel, "y"), h - _BOTTOM, top)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="scatter" width="{w}" '
             f'height="{h}" viewBox="0 0 {w} {h}" font-size="11" role="img" '
             f'aria-label="{escape(panel.y)} vs {escape(panel.x)}">']
    if panel.title:
        parts.append(f'<text x="{(_LEFT + w - _RIGHT) / 2:.1f}" y="16" '
                     f'text-anchor="middle" font-size="12">{escape(panel.title)}</text>')
    parts.append(f'<rect x="{_LEFT}" y="{top}" width="{w - _LEFT - _RIGHT}" '
                 f'height="{h - _BOTTOM - top}" fill="none" stroke="#888"/>')
    for v in sx.ticks():
        x = sx(v)
        parts.append(f'<line x1="{x:.1f}" y1="{h - _BOTTOM}" x2="{x:.1f}" '
                     f'y2="{h - _BOTTOM + 4}" stroke="#888"/><text x="{x:.1f}" '
                     f'y="{h - _BOTTOM + 15}" text-anchor="middle">{escape(tick_text(v))}</text>')
    for v in sy.ticks():
        y = sy(v)
        parts.append(f'<line x1="{_LEFT - 4}" y1="{y:.1f}" x2="{_LEFT}" y2="{y:.1f}" '
                     f'stroke="#888"/><text x="{_LEFT - 6}" y="{y + 4:.1f}" '
                     f'text-anchor="end">{escape(tick_text(v))}</text>')
    parts.append(f'<text x="{(_LEFT + w - _RIGHT) / 2:.1f}" y="{h - 8}" '
                 f'text-anchor="middle">{escape(panel.x_label)}'
                 f'{" (log)" if sx.log else ""}</text>')
    cy = (top + h - _BOTTOM) / 2
    parts.append(f'<text transform="translate(14 {cy:.1f}) rotate(-90)" '
                 f'text-anchor="middle">{escape(panel.y_label)}'
                 f'{" (log)" if sy.log else ""}</text>')
    if panel.line:
        front = sorted((d.x, d.y) for d in panel.dots if d.kind == FRONT)
        points = " ".join(f"{sx(a):.1f},{sy(b):.1f}" for a, b in front)
        parts.append(f'<polyline points="{points}" fill="none" stroke="{RED}"/>')
    order = {OUTSIDE: 0, FRONT: 2}
    for d in sorted(panel.dots, key=lambda d: order.get(d.kind, 1)):  # the front on top
        opacity = ' fill-opacity="0.35"' if d.kind == OUTSIDE and scatter.faded else ""
        stroke = ' stroke="#222"' if d.kind == FRONT else ' stroke="#fff" stroke-width="0.5"'
        parts.append(f'<circle class="{d.kind}" data-point="{d.point}" cx="{sx(d.x):.1f}" '
                     f'cy="{sy(d.y):.1f}" r="{_RADIUS.get(d.kind, 3.5)}" fill="{d.colour}"'
                     f"{opacity}{stroke}><title>{escape(d.title)}</title></circle>")
    parts.append("</svg>")
    return "".join(parts)
