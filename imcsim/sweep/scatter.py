"""Scatter plots of a sweep's points: the objectives pairwise with the Pareto front
highlighted, and any two columns a user asks for (``imcsim report --x --y [--color]
[--facet]``).

A :class:`Scatter` holds the points as drawn (position, kind, colour, hover text); it is
drawn twice from the same data — by matplotlib for ``plots/NAME.png`` and by
:func:`imcsim.sweep.svg.scatter_html` as inline SVG in the HTML page, where each point
carries a ``<title>`` (hovering it shows its number, swept values and plotted values).

- ``pareto``: one panel per pair of objectives (the first MAX_PAIRS pairs, in the
  objectives' order; a lone objective is paired with area, or energy), y the first of the
  pair: every valid point with both values, those failing a constraint greyed, the
  Pareto front of all the objectives highlighted (joined by a line when there are only
  the two objectives of the panel). Energy vs area by default; with accuracy swept, also
  energy vs accuracy and area vs accuracy.
- ``custom_Y_vs_X[_by_COLOR][_per_FACET]``: every valid point with a number in both
  columns; ``--color``: one colour per value (at most len(PALETTE) values), or a
  colour scale with a colour bar for a numeric column with more values; ``--facet``: one
  panel per value (at most MAX_FACETS), sharing their axes. Points failing a constraint
  are drawn faded.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from imcsim.errors import ImcsimError
from imcsim.sweep.analysis import Analysed
from imcsim.sweep.figure import (
    FEASIBLE,
    FRONT,
    GREY,
    MUTED,
    OUTSIDE,
    PALETTE,
    RED,
    VIRIDIS,
    Layout,
    Plot,
    colour_scale,
    draw_key,
    file_name,
    is_wide,
    key_width,
    new_figure,
    sort_key,
    style,
    tick_text,
    value_text,
)
from imcsim.sweep.objectives import AREA, ENERGY, is_number

MAX_PAIRS = 3  # panels of the pairwise scatter
MAX_FACETS = 12  # panels of a custom plot
FACET_COLS = 4
_HOVER_KEYS = 8  # swept values named in a point's hover text


@dataclass(frozen=True, slots=True)
class Dot:
    point: int  # the point number
    x: float
    y: float
    kind: str  # FRONT, FEASIBLE or OUTSIDE (fails a constraint)
    colour: str  # fill
    title: str  # hover text


@dataclass(frozen=True, slots=True)
class Panel:
    title: str  # "" or KEY=V (a facet)
    x: str  # column on the x axis
    y: str
    x_label: str
    y_label: str
    dots: tuple[Dot, ...]
    line: bool = False  # join the FRONT dots (by x)


@dataclass(frozen=True, slots=True)
class ColourBar:
    key: str
    lo: float
    hi: float
    log: bool


@dataclass(frozen=True, slots=True)
class Scatter:
    panels: tuple[Panel, ...]
    legend: tuple[tuple[str, str], ...]  # (label, colour): what the colours mean
    legend_title: str = ""
    colour_bar: ColourBar | None = None
    shared: bool = False  # panels share their axes (facets)
    faded: bool = False  # OUTSIDE dots faded in their colour (else grey crosses)

    def values(self, panel: Panel, axis: str) -> list[float]:
        """The values that decide ``axis`` ("x" or "y") of ``panel``: its own, or every
        panel's when they share their axes."""
        return [getattr(d, axis) for p in (self.panels if self.shared else (panel,))
                for d in p.dots]


def objective_pairs(judged: Analysed) -> list[tuple[str, str]]:
    """(y, x) column pairs of the pairwise scatter."""
    keys = list(dict.fromkeys(o.key for o in judged.analysis.objectives))
    if len(keys) == 1:
        keys.append(AREA if keys[0] != AREA else ENERGY)
    return list(combinations(keys, 2))[:MAX_PAIRS]


def _kind(row: dict[str, Any]) -> str:
    return FRONT if row.get("pareto") else FEASIBLE if row.get("feasible") else OUTSIDE


_KIND_COLOUR = {FRONT: RED, FEASIBLE: MUTED, OUTSIDE: GREY}


def hover(row: dict[str, Any], keys: Sequence[str], shown: Sequence[str]) -> str:
    """A point's hover text: its number and what it is, its swept values, the values shown."""
    kind = _kind(row)
    head = f"point {row.get('point')}" + {FRONT: " (Pareto front)", FEASIBLE: "",
                                          OUTSIDE: " (fails a constraint)"}[kind]
    swept = ", ".join(f"{k}={value_text(row.get(k))}" for k in keys[:_HOVER_KEYS])
    if len(keys) > _HOVER_KEYS:
        swept += ", …"
    values = [f"{k}={_number(row.get(k))}" for k in dict.fromkeys(shown)]
    return "\n".join([head, *([swept] if swept else []), *values])


def _number(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else value_text(v)


def _label(judged: Analysed, key: str) -> str:
    for o in judged.analysis.objectives:
        if o.key == key:
            return f"{key} ({o.direction})"
    return key


def pairwise(judged: Analysed) -> Plot | None:
    """The objectives pairwise (see the module's docstring)."""
    rows = judged.valid
    objectives = {o.key for o in judged.analysis.objectives}
    panels = []
    for y, x in objective_pairs(judged):
        dots = tuple(Dot(r["point"], r[x], r[y], _kind(r), _KIND_COLOUR[_kind(r)],
                         hover(r, judged.keys, (y, x)))
                     for r in rows if is_number(r.get(x)) and is_number(r.get(y)))
        if dots:
            panels.append(Panel("", x, y, _label(judged, x), _label(judged, y), dots,
                                line=objectives == {x, y}))
    if not panels:
        return None
    counts = {k: sum(1 for d in panels[0].dots if d.kind == k) for k in (FEASIBLE, OUTSIDE,
                                                                          FRONT)}
    legend = tuple((f"{text} ({counts[k]})", _KIND_COLOUR[k]) for k, text in (
        (FEASIBLE, "feasible"), (OUTSIDE, "fails a constraint"), (FRONT, "Pareto front"))
        if counts[k])
    scatter = Scatter(tuple(panels), legend)
    names = "; ".join(f"{p.y} vs {p.x}" for p in panels)
    caption = (f"{names}: every valid point; highlighted, the Pareto front of the objectives "
               f"({', '.join(str(o) for o in judged.analysis.objectives)}: no other feasible "
               "point is at least as good on every objective and better on one)")
    if counts[OUTSIDE]:
        caption += "; grey: fails a constraint"
    caption += ". Hover a point in the HTML page for its values."
    return Plot("pareto", "The objectives pairwise, with the Pareto front", caption,
                lambda: draw(scatter, "The objectives pairwise"), scatter=scatter)


# ------------------------------------------------------------------ custom plots

def check_columns(judged: Analysed, x: str, y: str, color: str | None,
                  facet: str | None) -> None:
    """Each key names a column of results.csv; x and y numeric; a colour or facet key
    with few enough values — else one line saying what to give instead."""
    columns = list(dict.fromkeys(k for r in judged.rows for k in r))
    rows = judged.valid
    if not rows:
        raise ImcsimError("--x/--y: this sweep has no valid point yet; nothing to plot")
    numeric = [k for k in columns if any(is_number(r.get(k)) for r in rows)]
    for option, key in (("--x", x), ("--y", y), ("--color", color), ("--facet", facet)):
        if key is None:
            continue
        if key not in columns:
            close = difflib.get_close_matches(key, numeric if option in ("--x", "--y")
                                              else columns, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            axis = option in ("--x", "--y")
            examples = [k for k in judged.keys if k in numeric or not axis][:2]
            examples += [ENERGY, AREA] if axis else ["feasible"]
            raise ImcsimError(f"{option} {key}: not a column of results.csv{hint}; use one "
                              f"such as {', '.join(examples)}")
        if option in ("--x", "--y") and key not in numeric:
            sample = next((value_text(r.get(key)) for r in rows if r.get(key) is not None),
                          "none")
            raise ImcsimError(f"{option} {key}: not numeric (values such as {sample!r}); "
                              "use it as --color or --facet, and a numeric column as "
                              f"{option}, e.g. {ENERGY}")
    if facet is not None and len(_values(rows, facet)) > MAX_FACETS:
        raise ImcsimError(f"--facet {facet}: {len(_values(rows, facet))} values, at most "
                          f"{MAX_FACETS} panels; facet by a key with fewer values (or use "
                          "it as --color)")
    if color is not None and len(_values(rows, color)) > len(PALETTE) and not all(
            is_number(r.get(color)) for r in rows):
        raise ImcsimError(f"--color {color}: {len(_values(rows, color))} values that are not "
                          f"all numbers, at most {len(PALETTE)} colours; use it as --facet "
                          "or colour by another key")


def _values(rows: Sequence[dict[str, Any]], key: str) -> list[Any]:
    """The distinct values of a column, in order (numbers by value, then names)."""
    from imcsim.sweep.plots import hashable

    seen = {hashable(r.get(key)): r.get(key) for r in rows}
    return sorted(seen.values(), key=sort_key)


def custom_plot(judged: Analysed, x: str, y: str, color: str | None = None,
                facet: str | None = None) -> Plot:
    """``y`` against ``x`` at every valid point with both (see the module's docstring);
    raises :class:`ImcsimError` (one line) for a key it cannot plot."""
    from imcsim.sweep.plots import hashable

    check_columns(judged, x, y, color, facet)
    rows = [r for r in judged.valid if is_number(r.get(x)) and is_number(r.get(y))]
    if not rows:
        raise ImcsimError(f"--x {x} --y {y}: no valid point has a number in both; choose "
                          "columns the points have")
    shown = [k for k in (y, x, color, facet) if k is not None]
    legend: tuple[tuple[str, str], ...] = ()
    bar = None
    paint = {}
    if color is not None:
        values = _values(rows, color)
        if len(values) > len(PALETTE):
            nums = [float(v) for v in values]
            bar = ColourBar(color, min(nums), max(nums), is_wide(nums))
            scale = colour_scale(bar.lo, bar.hi, bar.log)
            paint = {hashable(v): scale(float(v)) for v in values}
        else:
            paint = {hashable(v): PALETTE[i] for i, v in enumerate(values)}
            legend = tuple((value_text(v), PALETTE[i]) for i, v in enumerate(values))
    facets = _values(rows, facet) if facet is not None else [None]
    panels = []
    for f in facets:
        dots = tuple(Dot(r["point"], r[x], r[y], OUTSIDE if not r.get("feasible") else FEASIBLE,
                         paint.get(hashable(r.get(color)), MUTED) if color else MUTED,
                         hover(r, judged.keys, shown))
                     for r in rows if facet is None or hashable(r.get(facet)) == hashable(f))
        panels.append(Panel(f"{facet}={value_text(f)}" if facet else "", x, y,
                            _label(judged, x), _label(judged, y), dots))
    scatter = Scatter(tuple(panels), legend, color or "", bar, shared=facet is not None,
                      faded=True)
    name = f"custom_{y}_vs_{x}" + (f"_by_{color}" if color else "") + (
        f"_per_{facet}" if facet else "")
    left = len(judged.valid) - len(rows)
    caption = (f"{y} against {x} at every valid point"
               + (f", coloured by {color}" if color else "")
               + (f", one panel per {facet}" if facet else "")
               + ("; faded: fails a constraint" if judged.analysis.constraints else "")
               + (f"; {left} valid points without a number in both left out" if left else "")
               + ".")
    return Plot(file_name(name), f"{y} vs {x}", caption,
                lambda: draw(scatter, f"{y} vs {x}"), scatter=scatter)


# ------------------------------------------------------------------ matplotlib

def draw(scatter: Scatter, title: str) -> Any:
    """The scatter on a new matplotlib Figure."""
    n = len(scatter.panels)
    labels = [label for label, _ in scatter.legend]
    side = (1.3 if scatter.colour_bar else key_width(labels, scatter.legend_title) if labels
            else 0.25)
    layout = (Layout(n, cols=min(n, FACET_COLS), width=3.0, height=2.4, right=side,
                     wgap=0.25, hgap=0.4, share=True) if scatter.shared else
              Layout(n, width=4.2, height=3.3, right=side))
    fig, axes = new_figure(layout, title)
    for ax, panel in zip(axes, scatter.panels, strict=True):
        _draw_panel(ax, panel, scatter.faded)
        style(ax, scatter.values(panel, "x"), scatter.values(panel, "y"), panel.x_label,
              panel.y_label)
        if panel.title:
            ax.set_title(panel.title, fontsize=9, y=1.0, pad=4)
    if scatter.shared:  # tick labels and axis labels on the outer panels only
        cols = layout.ncols
        for i, ax in enumerate(axes):
            if i % cols:
                ax.tick_params(labelleft=False)
                ax.set_ylabel("")
            if i + cols < n:
                ax.tick_params(labelbottom=False)
                ax.set_xlabel("")
    if scatter.legend:
        draw_key(fig, layout, scatter.legend, scatter.legend_title)
    if scatter.colour_bar:
        _colour_bar(fig, scatter.colour_bar, layout)
    return fig


def _draw_panel(ax: Any, panel: Panel, faded: bool) -> None:
    for kind in (OUTSIDE, FEASIBLE, FRONT):  # the front on top
        dots = [d for d in panel.dots if d.kind == kind]
        if not dots:
            continue
        xs, ys, colours = [d.x for d in dots], [d.y for d in dots], [d.colour for d in dots]
        if kind == FRONT:
            ax.scatter(xs, ys, s=30, c=colours, edgecolors="#222", linewidths=0.6, zorder=3)
        elif kind == OUTSIDE and faded:
            ax.scatter(xs, ys, s=14, c=colours, alpha=0.35, linewidths=0, zorder=2)
        elif kind == OUTSIDE:
            ax.scatter(xs, ys, s=14, c=GREY, marker="x", linewidths=1, zorder=2)
        else:
            ax.scatter(xs, ys, s=14, c=colours, linewidths=0, zorder=2)
    if panel.line:
        front = sorted((d.x, d.y) for d in panel.dots if d.kind == FRONT)
        ax.plot([p[0] for p in front], [p[1] for p in front], "-", color=RED, lw=1, zorder=3)


def _colour_bar(fig: Any, bar: ColourBar, layout: Layout) -> None:
    from matplotlib import cm, colors

    cmap = colors.LinearSegmentedColormap.from_list("imcsim_viridis", list(VIRIDIS))
    norm = colors.LogNorm(bar.lo, bar.hi) if bar.log else colors.Normalize(bar.lo, bar.hi)
    w, h = fig.get_figwidth(), fig.get_figheight()
    cax = fig.add_axes((1 - 1.2 / w, layout.bottom / h, 0.15 / w,
                        1 - (layout.bottom + layout.top) / h))
    fig.colorbar(cm.ScalarMappable(norm=norm, cmap=cmap), cax=cax)
    cax.set_ylabel(bar.key, fontsize=8)
    cax.tick_params(labelsize=7)
    if not bar.log:
        from matplotlib import ticker

        cax.yaxis.set_major_formatter(ticker.FuncFormatter(tick_text))
