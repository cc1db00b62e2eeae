"""Matplotlib mechanics of the sweep plots: lazily drawn figures with fixed margins, cheap
axes, and rendering to PNG or SVG (the object-oriented API on Agg; no pyplot state).

On Agg a plot costs mostly per text (a tick label, ~1 ms to measure and draw), per
legend (~30 ms: boxes measured and laid out), per axes (~15 ms: tick objects) and per
PNG (~15 ms to encode). So the plots are few figures of several panels; an axis gets
about five ticks with plain labels (no mathtext, no offset text) and no minor ticks (a
log axis makes dozens); titles and axis labels sit at fixed places (no layout pass, no
measuring of tick labels to place them, no ``bbox_inches="tight"``); a legend is
coloured lines of text in the right margin (:func:`draw_key`); every plot is drawn only
when it is written, all of them on one figure whose axes and ticks are made once
(:func:`render_plots`), and a PNG has 256 colours (a plot has few), which is faster to
encode and a third of the size. Writing the plots of a 100-point sweep takes ~0.5 s
here, against ~1.4 s drawn as one figure per plot with matplotlib's defaults; importing
matplotlib (~0.5 s) is paid once per process. ``python benchmarks/bench_plots.py``
prints both.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from imcsim.sweep.objectives import is_number

DPI = 100
# Tableau's ten categorical colours (matplotlib's tab10), one per line or category
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")
# viridis at nine even stops (matplotlib's colormap sampled), for numeric colour scales
VIRIDIS = ("#440154", "#472d7b", "#3b528b", "#2c728e", "#21918c", "#28ae80", "#5ec962",
           "#addc30", "#fde725")
FRONT, FEASIBLE, OUTSIDE = "front", "feasible", "outside"  # what a scatter point is
GREY, MUTED, RED = "#c4c9d0", "#7f93ad", "#d1495b"
MAX_TICKS = 5  # major ticks of a numeric axis, about
WIDE = 30.0  # a positive axis spanning more than this ratio is drawn on a log scale
Series = dict[str, tuple[list[float], list[float]]]  # line label -> (x, y) as drawn


@dataclass(frozen=True, slots=True)
class Plot:
    name: str  # file stem
    title: str
    caption: str
    draw: Callable[[], Any]  # a new matplotlib Figure with the plot drawn on it
    series: dict[str, Series] = field(default_factory=dict)  # per panel: the lines drawn
    scatter: Any = None  # an imcsim.sweep.scatter.Scatter: the HTML page's hover view

    def figure(self) -> Any:
        return self.draw()


Images = dict[str, dict[str, bytes]]  # plot name -> format -> file contents


def render_plots(plots: Sequence[Plot], svg: bool = False) -> Images:
    """Each plot as PNG, and as SVG too when ``svg``; every plot but those whose panels
    share axes is drawn on one figure, emptied in between."""
    formats = ("png", "svg") if svg else ("png",)
    out: Images = {}
    token = _POOL.set(_Shared())
    try:
        for p in plots:
            fig = p.draw()
            out[p.name] = {fmt: _save(fig, p.name, fmt) for fmt in formats}
    finally:
        _POOL.reset(token)
    return out


def render(plot: Plot, fmt: str) -> bytes:
    return _save(plot.draw(), plot.name, fmt)


def _save(fig: Any, name: str, fmt: str) -> bytes:
    buf = io.BytesIO()
    if fmt == "svg":
        import matplotlib

        with matplotlib.rc_context({"svg.hashsalt": f"imcsim-{name}"}):  # same ids
            fig.savefig(buf, format=fmt, dpi=DPI, metadata={"Date": None})
        return buf.getvalue()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    if not isinstance(fig.canvas, FigureCanvasAgg):  # kept: its renderer caches text sizes
        FigureCanvasAgg(fig)
    fig.canvas.draw()
    image = Image.frombuffer("RGBA", fig.canvas.get_width_height(), fig.canvas.buffer_rgba(),
                             "raw", "RGBA", 0, 1)
    # 256 colours (a plot has few; anti-aliasing looks the same) and zlib level 1: half
    # the time of matplotlib's RGBA PNG, a third of its size
    image = image.convert("RGB").quantize(256, method=Image.Quantize.FASTOCTREE)
    palette = image.getpalette() or []
    for i in range(0, len(palette), 3):  # the octree's near-white background: white
        if min(palette[i:i + 3]) >= 250:
            palette[i:i + 3] = [255, 255, 255]
    image.putpalette(palette)
    image.save(buf, format="png", compress_level=1, dpi=(DPI, DPI))
    return buf.getvalue()


@dataclass(frozen=True, slots=True)
class Layout:
    """A grid of panels with fixed margins, in inches."""

    panels: int = 1
    cols: int = 0  # 0: up to two panels in a row, then rows of two
    width: float = 4.6  # of one panel
    height: float = 3.3
    left: float = 0.9
    right: float = 0.25
    top: float = 0.55
    bottom: float = 0.6
    wgap: float = 0.85  # between panels (room for the y tick labels and label)
    hgap: float = 0.75
    share: bool = False  # panels share their x and y axes (tick labels on the outer ones)

    @property
    def ncols(self) -> int:
        return self.cols or min(self.panels, 2)

    def size(self) -> tuple[float, float]:
        """The figure's width and height."""
        cols = self.ncols
        rows = math.ceil(self.panels / cols)
        return (self.left + cols * self.width + (cols - 1) * self.wgap + self.right,
                self.top + rows * self.height + (rows - 1) * self.hgap + self.bottom)

    def rects(self) -> list[tuple[float, float, float, float]]:
        """Each panel's (left, bottom, width, height) in figure fractions, row by row."""
        cols = self.ncols
        w, h = self.size()
        out = []
        for i in range(self.panels):
            row, col = divmod(i, cols)
            x = self.left + col * (self.width + self.wgap)
            y = h - self.top - (row + 1) * self.height - row * self.hgap
            out.append((x / w, y / h, self.width / w, self.height / h))
        return out


# While render_plots runs: one figure that every plot is drawn on in turn (drawn and
# saved before the next takes it), resized and its axes placed for each; what costs to
# make — axes and their tick objects — is made once.
@dataclass(slots=True)
class _Shared:
    figure: Any = None
    axes: list[Any] = field(default_factory=list)  # made so far


_POOL: ContextVar[_Shared | None] = ContextVar("figure", default=None)


def new_figure(layout: Layout, title: str = "") -> tuple[Any, list[Any]]:
    """A Figure and its panels (row by row), with ``title`` above them: the shared
    figure, emptied, while render_plots draws (not for panels that share axes), else a
    new one."""
    from matplotlib.figure import Figure

    pool = _POOL.get()
    if pool is None or layout.share:
        fig = Figure(figsize=layout.size(), dpi=DPI)
        axes: list[Any] = []
        for rect in layout.rects():
            first = axes[0] if axes and layout.share else None
            axes.append(fig.add_axes(rect, sharex=first, sharey=first))
    else:
        if pool.figure is None:
            pool.figure = Figure(figsize=layout.size(), dpi=DPI)
        fig = pool.figure
        fig.set_size_inches(layout.size())
        axes = _reuse(pool, layout.rects())
    if title:
        fig.text(0.5, 1 - 0.1 / fig.get_figheight(), title, ha="center", va="top",
                 fontsize=12)
    return fig, axes


def _reuse(pool: _Shared, rects: list[tuple[float, float, float, float]]) -> list[Any]:
    """The shared figure's first axes, emptied and placed at ``rects`` (more made when
    needed), the others hidden; anything else added to it (a colour bar) removed."""
    fig, kept = pool.figure, pool.axes
    for artist in [*fig.texts, *fig.legends]:
        artist.remove()
    for extra in [a for a in fig.axes if not any(a is k for k in kept)]:
        extra.remove()
    while len(kept) < len(rects):
        kept.append(fig.add_axes(rects[len(kept)]))
    for ax in kept:
        for artist in [*ax.lines, *ax.collections, *ax.patches, *ax.texts]:
            artist.remove()
        ax.containers.clear()
        if ax.get_legend() is not None:
            ax.get_legend().remove()
        ax.set_title("")
        ax.set_xscale("linear")
        ax.set_yscale("linear")
        if ax.yaxis_inverted():
            ax.invert_yaxis()
        ax.relim()
        ax.set_autoscale_on(True)
        ax.set_visible(False)
    for ax, rect in zip(kept, rects, strict=False):
        ax.set_position(rect)
        ax.set_visible(True)
    return kept[:len(rects)]


KEY_LINE = 0.16  # inches between the lines of a key
KEY_LABEL = 28  # characters of a key's label shown (longer: the end, after "…")


def key_width(labels: Sequence[str], title: str = "") -> float:
    """The right margin (inches) that a :func:`draw_key` of ``labels`` needs."""
    longest = max([len(_short(label)) + 2 for label in labels] + [len(title)])
    return 0.35 + 0.06 * longest


def draw_key(fig: Any, layout: Layout, entries: Sequence[tuple[str, str]], title: str = "",
             mark: str = "●") -> None:
    """A legend as coloured lines of text in the right margin, from the top of the
    panels: a tenth of the cost of a matplotlib legend (no boxes to measure)."""
    w, h = fig.get_size_inches()
    x, y = 1 - (layout.right - 0.2) / w, 1 - layout.top / h
    if title:
        fig.text(x, y, _short(title), fontsize=7, va="top", color="#333")
        y -= KEY_LINE / h
    for label, colour in entries:
        fig.text(x, y, f"{mark} {_short(label)}", fontsize=7, va="top", color=colour)
        y -= KEY_LINE / h


def _short(label: str) -> str:
    return label if len(label) <= KEY_LABEL else "…" + label[-(KEY_LABEL - 1):]


def tick_text(v: float, _pos: Any = None) -> str:
    """A tick label: three significant digits, plain text."""
    return f"{v:.3g}"


def is_wide(values: Sequence[float]) -> bool:
    """Positive values spanning more than WIDE: drawn on a log scale."""
    return bool(values) and min(values) > 0 and max(values) / min(values) > WIDE


def style(ax: Any, xs: Sequence[float], ys: Sequence[float], xlabel: str, ylabel: str,
          xticks: Sequence[float] | None = None) -> None:
    """Scales (log when wide), few plain ticks, no minor ticks, the axis labels;
    ``xticks``: the x values to mark when there are few (a swept key's values)."""
    from matplotlib import ticker

    for axis, values, setter in ((ax.xaxis, xs, ax.set_xscale), (ax.yaxis, ys, ax.set_yscale)):
        if is_wide(values):
            setter("log")
            decades = math.log10(max(values) / min(values))
            axis.set_major_locator(ticker.LogLocator(
                subs=(1.0,) if decades > 2 else (1.0, 2.0, 5.0), numticks=MAX_TICKS + 1))
        else:
            axis.set_major_locator(ticker.MaxNLocator(MAX_TICKS))
        axis.set_minor_locator(ticker.NullLocator())
        axis.set_major_formatter(ticker.FuncFormatter(tick_text))
    if xticks is not None and 1 < len(xticks) <= 2 * MAX_TICKS:
        ax.xaxis.set_major_locator(ticker.FixedLocator(list(xticks)))
    ax.tick_params(labelsize=8)
    ax.set_xlabel(xlabel, fontsize=9)
    ax.set_ylabel(ylabel, fontsize=9)
    # at fixed distances (inches) from the axes: no measuring of the tick labels to place them
    box = ax.get_position()
    fig = ax.get_figure()
    ax.xaxis.set_label_coords(0.5, -0.34 / (box.height * fig.get_figheight()))
    ax.yaxis.set_label_coords(-0.68 / (box.width * fig.get_figwidth()), 0.5)


def sort_key(v: Any) -> tuple[int, float, str]:
    """Orders mixed values: numbers by value, then anything else by its text."""
    return (0, float(v), "") if is_number(v) else (1, 0.0, value_text(v))


def value_text(v: Any) -> str:
    """A value as a label (a line, a colour, a panel) names it."""
    if isinstance(v, bool) or v is None:
        return str(v).lower() if v is not None else "none"
    return f"{v:.6g}" if isinstance(v, float) else str(v)


def file_name(text: str) -> str:
    return re.sub(r"[^\w.\-]+", "_", text)


def colour_scale(lo: float, hi: float, log: bool) -> Callable[[float], str]:
    """The VIRIDIS colour of a value between ``lo`` and ``hi`` (log: on a log scale)."""
    def colour(v: float) -> str:
        a, b, x = (math.log10(lo), math.log10(hi), math.log10(v)) if log else (lo, hi, v)
        t = 0.0 if b == a else min(1.0, max(0.0, (x - a) / (b - a)))
        pos = t * (len(VIRIDIS) - 1)
        i = min(int(pos), len(VIRIDIS) - 2)
        c0, c1 = _rgb(VIRIDIS[i]), _rgb(VIRIDIS[i + 1])
        f = pos - i
        return "#" + "".join(f"{round(p + (q - p) * f):02x}" for p, q in zip(c0, c1, strict=True))

    return colour


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return (int(hex_colour[1:3], 16), int(hex_colour[3:5], 16), int(hex_colour[5:7], 16))
