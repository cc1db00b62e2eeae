"""Plots of a sweep (PNG, and SVG when asked; see :mod:`imcsim.sweep.figure` for how they
are drawn and why that is fast).

- ``objectives_vs_KEY``: for each numeric swept key with more than one value (the first
  MAX_KEYS), one panel per objective that is not itself a swept key (at most MAX_PANELS):
  the best feasible value at each of the key's values over the other swept keys, one line
  per value of a line key (at most MAX_LINES, evenly spread), else one line. The line key
  is the first categorical swept key (``arch``, ``model``: names, never an x axis) that
  varies at a fixed value of this one, else the next numeric swept key that does;
- ``pareto``: one panel per pair of objectives (:mod:`imcsim.sweep.scatter`): every
  valid point, those failing a constraint greyed, the Pareto front of the objectives
  highlighted; in the HTML page the same points in an SVG that names each on hover;
- ``adc`` (when the ADC resolution varies): against ADC bits, one line per array size
  (at most MAX_LINES, evenly spread): the best TOPS/W over the other swept keys, the
  ADCs' share of energy and of area (mean) and, when accuracy was swept, hardware top-1
  (top-1 agreement with float on unlabelled data; mean), the float model dashed;
- ``breakdown``: energy and area by component of the best points (up to BEST_POINTS
  points of the Pareto front, evenly spread along it).

``imcsim report --x KEY --y KEY`` adds a plot of any two columns
(:func:`imcsim.sweep.scatter.custom_plot`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from imcsim.sweep.analysis import Analysed
from imcsim.sweep.figure import (
    DPI,
    KEY_LINE,
    PALETTE,
    Images,
    Layout,
    Plot,
    Series,
    draw_key,
    file_name,
    key_width,
    new_figure,
    render,
    render_plots,
    sort_key,
    style,
    value_text,
)
from imcsim.sweep.objectives import Objective, is_number
from imcsim.sweep.pareto import spread

__all__ = ["DPI", "Images", "Plot", "make_plots", "render", "render_plots", "write_plots"]

BEST_POINTS = 8
MAX_LINES = 8  # lines of one panel (evenly spread when there are more)
MAX_KEYS = 6  # swept keys plotted against (the first ones)
MAX_PANELS = 4  # objectives of one swept-key figure (the first ones)
MAX_PARTS = 9  # components of a breakdown named (the others summed as "other")
_BITS = "arch.adc_bits"
T = TypeVar("T")


def _default(records: list[dict[str, Any]]) -> Analysed:
    from imcsim.sweep.analysis import analyse
    from imcsim.sweep.objectives import Analysis, default_objectives

    return analyse(records, Analysis(default_objectives(None)))


def make_plots(records: list[dict[str, Any]], analysed: Analysed | None = None) -> list[Plot]:
    """The plots of ``records`` as ``analysed`` judges them (default: energy and area,
    both minimised, no constraints). Nothing is drawn until a plot is rendered."""
    from imcsim.sweep.scatter import pairwise

    judged = analysed if analysed is not None else _default(records)
    if not judged.valid:
        return []
    made = [pairwise(judged), _adc(judged), _breakdown(judged)]
    return [*swept_plots(judged), *(p for p in made if p is not None)]


def write_plots(records: list[dict[str, Any]], folder: Path, plots: list[Any] | None = None,
                analysed: Analysed | None = None, svg: bool = False,
                images: Images | None = None) -> list[Path]:
    """Every plot as ``folder/NAME.png`` (and ``NAME.svg`` when ``svg``): ``images`` as
    rendered, else ``plots`` rendered, else the plots of ``records`` and ``analysed``."""
    from imcsim.errors import ImcsimError
    from imcsim.report import atomic_write

    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise ImcsimError(f"{folder}: is a file or a link, not the sweep's plots folder; "
                          "remove it and rerun (or pass --no-plots)")
    if images is None:
        images = render_plots(make_plots(records, analysed) if plots is None else plots, svg)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, files in images.items():
        for fmt, data in files.items():
            path = folder / f"{name}.{fmt}"
            atomic_write(str(path), lambda f, d=data: f.write(d), "--out")
            written.append(path)
    return written


def _even(items: Sequence[T], k: int) -> list[T]:
    """At most ``k`` of ``items``, evenly spread, keeping both ends."""
    return [items[i] for i in spread(range(len(items)), k)]


def hashable(v: Any) -> Any:
    """A value as a dict key (lists and mappings from a sweep file as their JSON)."""
    return json.dumps(v, sort_keys=True) if isinstance(v, list | dict) else v


def _distinct(rows: list[dict[str, Any]], key: str) -> set[Any]:
    return {hashable(r.get(key)) for r in rows}


def _varies(rows: list[dict[str, Any]], key: str) -> bool:
    return len({r.get(key) for r in rows if is_number(r.get(key))}) > 1


def plot_keys(judged: Analysed) -> list[str]:
    """The swept keys plotted against: numeric at every valid point, more than one value."""
    rows = judged.valid
    return [k for k in judged.keys
            if all(is_number(r.get(k)) for r in rows) and _varies(rows, k)]


def category_keys(judged: Analysed) -> list[str]:
    """Swept keys with a value that is not a number (``arch``, ``model``, ``duplication``
    = auto…) and more than one value: lines, colours and facets, never an x axis."""
    rows = judged.valid
    return [k for k in judged.keys
            if not all(is_number(r.get(k)) for r in rows) and len(_distinct(rows, k)) > 1]


def swept_plots(judged: Analysed) -> list[Plot]:
    """Each objective against each swept key (see the module's docstring)."""
    keys = plot_keys(judged)
    rows = judged.feasible
    objectives = [o for o in judged.analysis.objectives if o.key not in judged.keys]
    if not rows or not objectives:
        return []
    lines = category_keys(judged)
    plots = []
    for i, key in enumerate(keys[:MAX_KEYS]):
        others = [*lines, *keys[i + 1:], *keys[:i]]
        line = next((k for k in others if _varies_within(rows, key, k)), None)
        plots.append(_swept_plot(rows, key, line, objectives[:MAX_PANELS],
                                 bool(judged.analysis.constraints)))
    return plots


def _varies_within(rows: list[dict[str, Any]], key: str, line: str) -> bool:
    """Whether ``line`` takes more than one value at some value of ``key``."""
    seen: dict[Any, set[Any]] = {}
    for r in rows:
        seen.setdefault(r[key], set()).add(hashable(r.get(line)))
    return any(len(v) > 1 for v in seen.values())


def swept_series(rows: list[dict[str, Any]], key: str, line: str | None,
                 objective: Objective) -> Series:
    """Per value of ``line`` (label ``LINE=V``; one line ``""`` without it): the values of
    ``key`` and the objective's best value at each, over the other swept keys."""
    pick = max if objective.maximise else min
    groups: dict[Any, dict[Any, list[float]]] = {}
    for r in rows:
        group = groups.setdefault(hashable(r.get(line)) if line else None, {})
        group.setdefault(r[key], []).append(r[objective.key])
    chosen = _even(sorted(groups, key=sort_key), MAX_LINES) if line else [None]
    series: Series = {}
    for g in chosen:
        xs = sorted(groups[g])
        series[f"{line}={value_text(g)}" if line else ""] = (xs, [pick(groups[g][x]) for x in xs])
    return series


def _swept_plot(rows: list[dict[str, Any]], key: str, line: str | None,
                objectives: list[Objective], constrained: bool) -> Plot:
    series = {o.key: swept_series(rows, key, line, o) for o in objectives}
    ticks = sorted({r[key] for r in rows})

    values = list(next(iter(series.values())))  # the lines, LINE=V
    entries = [(label.split("=", 1)[-1], PALETTE[j % len(PALETTE)])
               for j, label in enumerate(values)] if line else []
    layout = Layout(len(objectives), right=key_width([e for e, _ in entries], line or "")
                    if line else 0.25)

    def draw() -> Any:
        fig, axes = new_figure(layout, f"Objectives vs {key}")
        for ax, o in zip(axes, objectives, strict=True):
            drawn = series[o.key]
            for j, (label, (xs, ys)) in enumerate(drawn.items()):
                ax.plot(xs, ys, "o-", ms=4, color=PALETTE[j % len(PALETTE)],
                        label=label or o.key)
            style(ax, ticks, [y for _, ys in drawn.values() for y in ys], key,
                  f"{o.key} ({o.direction})", xticks=ticks)
        draw_key(fig, layout, entries, line or "")
        return fig

    what = "best feasible" if constrained else "best"
    names = ", ".join(f"{o.key} ({o.direction})" for o in objectives)
    caption = (f"The {what} value of each objective ({names}) at each {key}, over the "
               "other swept keys")
    caption += (f"; one line per {line} (at most {MAX_LINES}, evenly spread)." if line
                else ".")
    return Plot(file_name(f"objectives_vs_{key}"), f"Objectives vs {key}", caption, draw,
                series)


def _size(r: dict[str, Any]) -> str:
    return f"{r.get('arch.rows')}×{r.get('arch.cols')}"


def _by_size(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Rows per array size; at most MAX_LINES sizes, evenly spread from smallest to largest."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in sorted(rows, key=lambda r: (sort_key(r.get("arch.rows")),
                                         sort_key(r.get("arch.cols")))):
        groups.setdefault(_size(r), []).append(r)
    return {k: groups[k] for k in _even(list(groups), MAX_LINES)}


def _per_bits(group: list[dict[str, Any]], key: str,
              agg: Callable[[list[float]], float]) -> tuple[list[int], list[float]]:
    by: dict[int, list[float]] = {}
    for r in group:
        if is_number(r.get(key)) and is_number(r.get(_BITS)):
            by.setdefault(r[_BITS], []).append(r[key])
    bits = sorted(by)
    return bits, [agg(by[b]) for b in bits]


def _mean(v: list[float]) -> float:
    return sum(v) / len(v)


def _adc(judged: Analysed) -> Plot | None:
    rows = judged.valid
    if not _varies(rows, _BITS):
        return None
    labelled = any(r.get("accuracy.hw_top1") is not None for r in rows)
    accuracy = "accuracy.hw_top1" if labelled else "accuracy.top1_agreement"
    panels = [p for p in (
        ("energy.tops_per_w", max, 1.0, "TOPS/W (best over the other keys)"),
        ("adc.energy_fraction", _mean, 100.0, "ADC share of energy (%)"),
        ("adc.area_fraction", _mean, 100.0, "ADC share of area (%)"),
        (accuracy, _mean, 100.0, "hardware top-1 (%)" if labelled
         else "top-1 agreement with float (%)"),
    ) if any(is_number(r.get(p[0])) for r in rows)]
    if not panels:
        return None
    sizes = _by_size(rows)
    floats = [r["accuracy.float_top1"] for r in rows if is_number(r.get("accuracy.float_top1"))]
    bits = sorted({r[_BITS] for r in rows if is_number(r.get(_BITS))})
    entries = [(size, PALETTE[j % len(PALETTE)]) for j, size in enumerate(sizes)]
    layout = Layout(len(panels), width=3.6, height=2.8,
                    right=key_width(list(sizes), "rows×cols"))

    def draw() -> Any:
        fig, axes = new_figure(layout, "Against the ADC resolution, per array size")
        for ax, (key, agg, scale, label) in zip(axes, panels, strict=True):
            ys: list[float] = []
            for j, group in enumerate(sizes.values()):
                xs, vals = _per_bits(group, key, agg)
                ys += [scale * v for v in vals]
                ax.plot(xs, [scale * v for v in vals], "o-", ms=4,
                        color=PALETTE[j % len(PALETTE)])
            if key == "accuracy.hw_top1" and floats:
                ax.axhline(100 * floats[0], ls="--", color="k", lw=1)
            style(ax, bits, ys, "ADC bits", label, xticks=bits)
        draw_key(fig, layout, entries, "rows×cols")
        return fig

    shown = ", ".join(label.split(" (")[0] for _, _, _, label in panels)
    return Plot("adc", "Against the ADC resolution",
                f"Per array size, against ADC bits: {shown} (the best TOPS/W and the mean "
                "of the others over the other swept keys)"
                + ("; dashed: the float model." if floats and labelled else "."), draw)


def _parts(best: list[dict[str, Any]], prefix: str) -> dict[str, float]:
    """Each component's share of the total over ``best``."""
    totals: dict[str, float] = {}
    for r in best:
        for k, v in r.items():
            if k.startswith(prefix) and is_number(v):
                totals[k[len(prefix):]] = totals.get(k[len(prefix):], 0.0) + v
    whole = sum(totals.values()) or 1.0
    return {k: v / whole for k, v in totals.items()}


def _split(row: dict[str, Any], prefix: str, named: list[str]) -> dict[str, float]:
    """A row's components under ``prefix``: the ``named`` ones, the others as "other"."""
    out: dict[str, float] = {}
    for k, v in row.items():
        if k.startswith(prefix) and is_number(v):
            name = k[len(prefix):] if k[len(prefix):] in named else "other"
            out[name] = out.get(name, 0.0) + v
    return out


def _breakdown(judged: Analysed) -> Plot | None:
    best = _even(judged.front, BEST_POINTS)
    prefixes = ("energy.breakdown.", "area.breakdown.")
    shares = [_parts(best, p) for p in prefixes]
    if not best or not any(shares):
        return None
    ranked = sorted({n for s in shares for n in s}, key=lambda n: -max(s.get(n, 0.0)
                                                                      for s in shares))
    named = ranked if len(ranked) <= MAX_PARTS + 1 else ranked[:MAX_PARTS]
    colour = {n: PALETTE[i] for i, n in enumerate(named)} | {"other": "#aaaaaa"}
    labels = [f"#{r['point']}" for r in best]

    entries = [(n, colour[n]) for n in [*named, "other"]]
    names = [n for n, _ in entries]
    layout = Layout(2, width=4.2, left=0.6, wgap=0.6, right=key_width(names),
                    height=max(0.35 * len(best) + 0.5, KEY_LINE * len(entries) + 0.2))

    def draw() -> Any:
        fig, axes = new_figure(layout, "Energy and area by component, best points")
        shown: set[str] = set()
        for ax, prefix, scale, unit in zip(axes, prefixes, (1e6, 1.0),
                                           ("µJ per inference", "mm²"), strict=True):
            left = [0.0] * len(best)
            parts = [_split(r, prefix, named) for r in best]
            for name in names:
                vals = [scale * p.get(name, 0.0) for p in parts]
                if any(vals):
                    shown.add(name)
                    ax.barh(range(len(best)), vals, left=left, color=colour[name])
                    left = [a + b for a, b in zip(left, vals, strict=True)]
            style(ax, [0.0, max(left) or 1.0], [], unit, "")
            ax.set_yticks(range(len(best)), labels, fontsize=8)
            ax.set_ylim(len(best) - 0.5, -0.5)  # the first point at the top
        draw_key(fig, layout, [e for e in entries if e[0] in shown], mark="■")
        return fig

    first = judged.analysis.objectives[0]
    return Plot("breakdown", "Energy and area breakdowns of the best points",
                f"Up to {BEST_POINTS} points of the Pareto front, from the best {first.key} "
                f"({first.direction}) at the top; labels are point numbers (see the Pareto "
                f"table); the {MAX_PARTS} largest components named, the rest summed as "
                "'other'.", draw)
