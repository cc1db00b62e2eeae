"""Plots of a sweep (matplotlib's object-oriented API on Agg, no pyplot state; PNG, and
SVG when asked).

Figures have fixed margins (no layout engine, no ``bbox_inches="tight"``): each is drawn
once per format, which keeps a report of up to 100 points near a second
(``python benchmarks/bench_plots.py``).

- ``OBJECTIVE_vs_KEY``: for each numeric swept key with more than one value, each
  objective (not itself a swept key) against it — the best feasible value at each of
  the key's values over the other swept keys, one line per value of the next swept key
  that varies at a fixed value of this one (at most 8 lines, evenly spread), else one line;
- ``pareto``: energy per inference vs area, every valid point (greyed when it fails a
  constraint), the energy–area front of the feasible points as a line and, when the
  objectives are others, the points of their Pareto front ringed;
- ``tops_per_w`` (when the ADC resolution varies): TOPS/W vs ADC bits, one line per
  array size (the best point of each ADC resolution over the other swept keys; at most 8
  sizes, evenly spread);
- ``adc_share`` (when the ADC resolution varies): the ADC's share of energy and of area
  vs ADC bits, per array size (mean over the other swept keys);
- ``breakdown``: energy and area by component of the best points (up to 8 points of the
  Pareto front of the objectives, evenly spread along it);
- ``accuracy`` (when accuracy was swept and the ADC resolution varies): hardware top-1 (or top-1 agreement with float
  for unlabelled data) vs ADC bits per array size (mean), float top-1 dashed.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imcsim.sweep.analysis import Analysed
from imcsim.sweep.objectives import Objective, is_number
from imcsim.sweep.pareto import pareto_front, spread
from imcsim.sweep.store import rows as flat_rows

BEST_POINTS = 8
MAX_LINES = 8  # lines of one plot (evenly spread when there are more)
DPI = 100
_E, _A = "energy.total_j", "area.total_mm2"
_BITS = "arch.adc_bits"
# margins in inches (left, right, top, bottom): fixed, so a figure is drawn once
_MARGINS = (0.8, 0.25, 0.4, 0.6)
Series = dict[str, tuple[list[float], list[float]]]  # line label -> (x, y) as drawn


@dataclass(frozen=True, slots=True)
class Plot:
    name: str  # file stem
    title: str
    caption: str
    figure: Any  # matplotlib Figure
    series: Series = field(default_factory=dict)  # what the lines show (swept-key plots)


def valid_rows(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in flat_rows(records) if r["status"] == "ok"]


def front_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The two-objective Pareto front (energy/inference, area), by ascending area."""
    idx = pareto_front([r[_A] for r in rows], [r[_E] for r in rows])
    return [rows[i] for i in idx]


def _default(records: list[dict[str, Any]]) -> Analysed:
    from imcsim.sweep.analysis import analyse
    from imcsim.sweep.objectives import Analysis, default_objectives

    return analyse(records, Analysis(default_objectives(None)))


def make_plots(records: list[dict[str, Any]], analysed: Analysed | None = None) -> list[Plot]:
    """The plots of ``records`` as ``analysed`` judges them (default: energy and area,
    both minimised, no constraints)."""
    judged = analysed if analysed is not None else _default(records)
    rows = judged.valid
    if not rows:
        return []
    makers: list[Callable[[list[dict[str, Any]], Analysed], Plot | None]] = [
        _pareto, _tops_per_w, _adc_share, _breakdown, _accuracy]
    return [*swept_plots(judged), *(p for p in (m(rows, judged) for m in makers)
                                    if p is not None)]


Images = dict[str, dict[str, bytes]]  # plot name -> format -> file contents


def render_plots(plots: Sequence[Plot], svg: bool = False) -> Images:
    """Each plot as PNG, and as SVG too when ``svg``."""
    formats = ("png", "svg") if svg else ("png",)
    return {p.name: {fmt: render(p, fmt) for fmt in formats} for p in plots}


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


def render(plot: Plot, fmt: str) -> bytes:
    buf = io.BytesIO()
    if fmt == "svg":
        import matplotlib

        with matplotlib.rc_context({"svg.hashsalt": f"imcsim-{plot.name}"}):  # same ids
            plot.figure.savefig(buf, format=fmt, dpi=DPI, metadata={"Date": None})
    else:  # zlib level 1: a fraction of the default's time for a PNG a little larger
        plot.figure.savefig(buf, format=fmt, dpi=DPI, metadata={"Software": None},
                            pil_kwargs={"compress_level": 1})
    return buf.getvalue()


def _figure(ncols: int = 1, width: float = 6.4, height: float = 4.2,
            bottom: float = _MARGINS[3]) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI)
    left, right, top, _ = _MARGINS
    fig.subplots_adjust(left=left / width, right=1 - right / width, top=1 - top / height,
                        bottom=bottom / height, wspace=0.3)
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    return fig, axes


def _varies(rows: list[dict[str, Any]], key: str) -> bool:
    return len({r.get(key) for r in rows if is_number(r.get(key))}) > 1


def plot_keys(judged: Analysed) -> list[str]:
    """The swept keys plotted against: numeric at every valid point, more than one value."""
    rows = judged.valid
    return [k for k in judged.keys
            if all(is_number(r.get(k)) for r in rows) and _varies(rows, k)]


def _file_name(text: str) -> str:
    return re.sub(r"[^\w.\-]+", "_", text)


def swept_plots(judged: Analysed) -> list[Plot]:
    """Each objective against each swept key (see the module's docstring)."""
    keys = plot_keys(judged)
    rows = judged.feasible
    plots = []
    for i, key in enumerate(keys):
        others = [k for k in keys[i + 1:] + keys[:i] if k != key]
        line = next((k for k in others if _varies_within(rows, key, k)), None)
        plots.extend(_swept_plot(rows, key, line, o, bool(judged.analysis.constraints))
                     for o in judged.analysis.objectives if o.key not in keys and rows)
    return plots


def _varies_within(rows: list[dict[str, Any]], key: str, line: str) -> bool:
    """Whether ``line`` takes more than one value at some value of ``key``."""
    seen: dict[Any, set[Any]] = {}
    for r in rows:
        seen.setdefault(r[key], set()).add(r[line])
    return any(len(v) > 1 for v in seen.values())


def swept_series(rows: list[dict[str, Any]], key: str, line: str | None,
                 objective: Objective) -> Series:
    """Per value of ``line`` (label ``LINE=V``; one line ``""`` without it): the values of
    ``key`` and the objective's best value at each, over the other swept keys."""
    pick = max if objective.maximise else min
    groups: dict[Any, dict[Any, list[float]]] = {}
    for r in rows:
        groups.setdefault(r[line] if line else None, {}).setdefault(r[key], []).append(
            r[objective.key])
    chosen = spread(sorted(groups), MAX_LINES) if line else [None]
    series: Series = {}
    for g in chosen:
        xs = sorted(groups[g])
        series[f"{line}={g}" if line else ""] = (xs, [pick(groups[g][x]) for x in xs])
    return series


def _swept_plot(rows: list[dict[str, Any]], key: str, line: str | None, o: Objective,
                constrained: bool) -> Plot:
    fig, (ax,) = _figure()
    series = swept_series(rows, key, line, o)
    for label, (xs, ys) in series.items():
        ax.plot(xs, ys, "o-", ms=4, label=label or o.key)
    _log_if_wide(ax, [x for xs, _ in series.values() for x in xs],
                 [y for _, ys in series.values() for y in ys])
    ax.set_xlabel(key)
    ax.set_ylabel(f"{o.key} ({o.direction})")
    ax.set_title(f"{o.key} vs {key}")
    if line:
        ax.legend(fontsize=8)
    what = "best feasible" if constrained else "best"
    caption = (f"The {what} {o.key} ({o.direction}imised) at each {key}, over the other "
               "swept keys")
    caption += f"; one line per {line}." if line else "."
    return Plot(_file_name(f"{o.key}_vs_{key}"), f"{o.key} vs {key}", caption, fig, series)


def _size(r: dict[str, Any]) -> str:
    return f"{r['arch.rows']}×{r['arch.cols']}"


def _by_size(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Rows per array size; at most MAX_LINES sizes, evenly spread from smallest to largest."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in sorted(rows, key=lambda r: (r["arch.rows"], r["arch.cols"])):
        groups.setdefault(_size(r), []).append(r)
    return {k: groups[k] for k in spread(list(groups), MAX_LINES)}


def _per_bits(group: list[dict[str, Any]], key: str,
              agg: Callable[[list[float]], float]) -> tuple[list[int], list[float]]:
    by: dict[int, list[float]] = {}
    for r in group:
        if r.get(key) is not None:
            by.setdefault(r[_BITS], []).append(r[key])
    bits = sorted(by)
    return bits, [agg(by[b]) for b in bits]


def _mean(v: list[float]) -> float:
    return sum(v) / len(v)


def _log_if_wide(ax: Any, xs: list[float], ys: list[float]) -> None:
    if min(xs) > 0 and max(xs) / min(xs) > 30:
        ax.set_xscale("log")
    if min(ys) > 0 and max(ys) / min(ys) > 30:
        ax.set_yscale("log")


def _pareto(rows: list[dict[str, Any]], judged: Analysed) -> Plot:
    fig, (ax,) = _figure()
    xs, ys = [r[_A] for r in rows], [r[_E] * 1e6 for r in rows]
    feasible = [r for r in rows if r["feasible"]]
    outside = [r for r in rows if not r["feasible"]]
    ax.scatter([r[_A] for r in feasible], [r[_E] * 1e6 for r in feasible], s=12,
               color="#9aa7b8", label=f"design points ({len(feasible)})")
    if outside:
        ax.scatter([r[_A] for r in outside], [r[_E] * 1e6 for r in outside], s=12,
                   marker="x", color="#d5d9df", label=f"outside the constraints ({len(outside)})")
    plain = {(o.key, o.maximise) for o in judged.analysis.objectives} == {(_E, False),
                                                                           (_A, False)}
    front = front_rows(feasible) if feasible else []
    ax.plot([r[_A] for r in front], [r[_E] * 1e6 for r in front], "o-", color="#d1495b",
            ms=5, label=f"{'Pareto' if plain else 'energy–area'} front ({len(front)})")
    if not plain and judged.front:
        ax.scatter([r[_A] for r in judged.front], [r[_E] * 1e6 for r in judged.front], s=60,
                   facecolors="none", edgecolors="#222", linewidths=1,
                   label=f"Pareto front of the objectives ({len(judged.front)})")
    _log_if_wide(ax, xs, ys)
    ax.set_xlabel("area (mm²)")
    ax.set_ylabel("energy per inference (µJ)")
    ax.set_title("Energy per inference vs area")
    ax.legend(loc="upper right")
    caption = ("Every valid design point; the red line joins the front of energy and area "
               "(no other feasible point has both less energy and less area)")
    if outside:
        caption += "; grey crosses fail a constraint"
    if not plain:
        caption += "; ringed: the Pareto front of the objectives"
    return Plot("pareto", "Energy per inference vs area", caption + ".", fig)


def _tops_per_w(rows: list[dict[str, Any]], judged: Analysed) -> Plot | None:
    if not _varies(rows, _BITS):
        return None
    fig, (ax,) = _figure()
    for size, group in _by_size(rows).items():
        bits, best = _per_bits(group, "energy.tops_per_w", max)
        ax.plot(bits, best, "o-", ms=4, label=size)
    ax.set_xlabel("ADC bits")
    ax.set_ylabel("TOPS/W (best over the other swept keys)")
    ax.set_title("Energy efficiency vs ADC resolution")
    ax.legend(title="array rows×cols")
    return Plot("tops_per_w", "TOPS/W vs ADC bits",
                "Achieved TOPS/W on the model; each line is one array size, each marker "
                "the best point at that ADC resolution.", fig)


def _adc_share(rows: list[dict[str, Any]], judged: Analysed) -> Plot | None:
    if not _varies(rows, _BITS):
        return None
    fig, axes = _figure(2, width=9.6)
    for size, group in _by_size(rows).items():
        for ax, key in zip(axes, ("adc.energy_fraction", "adc.area_fraction"), strict=True):
            bits, share = _per_bits(group, key, _mean)
            ax.plot(bits, [100 * s for s in share], "o-", ms=4, label=size)
    for ax, what in zip(axes, ("energy", "area"), strict=True):
        ax.set_xlabel("ADC bits")
        ax.set_ylabel(f"ADC share of {what} (%)")
        ax.set_title(f"ADC share of {what}")
    axes[0].legend(title="array rows×cols")
    return Plot("adc_share", "ADC share of energy and area",
                "The ADCs' share of energy per inference and of chip area, mean over the "
                "other swept keys, per array size.", fig)


def _breakdown(rows: list[dict[str, Any]], judged: Analysed) -> Plot | None:
    best = spread(judged.front, BEST_POINTS)
    if not best:
        return None
    fig, axes = _figure(2, width=10.5, height=5.6, bottom=1.9)
    labels = [f"#{r['point']}" for r in best]
    names = sorted({k.split(".", 2)[2] for r in best for k in r
                    if k.startswith(("energy.breakdown.", "area.breakdown."))})
    color = dict(zip(names, _colors(len(names)), strict=True))  # one colour per component
    for ax, prefix, scale, unit in zip(axes, ("energy.breakdown.", "area.breakdown."),
                                       (1e6, 1.0), ("µJ per inference", "mm²"), strict=True):
        comps = list(dict.fromkeys(k for r in best for k in r if k.startswith(prefix)))
        comps.sort(key=lambda c: -sum(r.get(c) or 0.0 for r in best))
        left = [0.0] * len(best)
        for c in comps:
            vals = [(r.get(c) or 0.0) * scale for r in best]
            name = c[len(prefix):]
            ax.barh(labels, vals, left=left, color=color[name], label=name)
            left = [a + b for a, b in zip(left, vals, strict=True)]
        ax.invert_yaxis()
        ax.set_xlabel(unit)
        ax.set_title("energy by component" if prefix.startswith("energy") else "area by component")
        ax.legend(fontsize=7, ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.14))
    first = judged.analysis.objectives[0]
    return Plot("breakdown", "Energy and area breakdowns of the best points",
                f"Up to {BEST_POINTS} points of the Pareto front, from the best {first.key} "
                f"({first.direction}) at the top; labels are point numbers (see the Pareto "
                "table).", fig)


def _colors(n: int) -> list[Any]:
    from matplotlib import colormaps

    cmap = colormaps["tab20"]
    return [cmap(i % 20) for i in range(n)]


def _accuracy(rows: list[dict[str, Any]], judged: Analysed) -> Plot | None:
    if not any("accuracy.top1_agreement" in r for r in rows) or not _varies(rows, _BITS):
        return None
    labelled = any(r.get("accuracy.hw_top1") is not None for r in rows)
    key = "accuracy.hw_top1" if labelled else "accuracy.top1_agreement"
    fig, (ax,) = _figure()
    for size, group in _by_size(rows).items():
        bits, acc = _per_bits(group, key, _mean)
        ax.plot(bits, [100 * a for a in acc], "o-", ms=4, label=size)
    floats = [r["accuracy.float_top1"] for r in rows if r.get("accuracy.float_top1") is not None]
    if labelled and floats:
        ax.axhline(100 * floats[0], ls="--", color="k", lw=1, label="float")
    ax.set_xlabel("ADC bits")
    ax.set_ylabel("hardware top-1 (%)" if labelled else "top-1 agreement with float (%)")
    ax.set_title("Accuracy vs ADC resolution")
    ax.legend(title="array rows×cols")
    return Plot("accuracy", "Accuracy vs ADC bits",
                "Top-1 on the simulated hardware, mean over the other swept keys, per array "
                "size." + (" Dashed: the float model." if labelled else ""), fig)
