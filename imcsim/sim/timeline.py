"""A Gantt chart of a cycle-level run (``imcsim compile --cycle --timeline FILE``): one row
per layer that takes time, its span from first row started to last row finished in a light
colour, the time its arrays computed in a dark one (each row's work, back to back rows
merged into one bar), crossbar layers blue and digital ones grey."""

from __future__ import annotations

import io
from pathlib import Path
from typing import BinaryIO

import numpy as np

from imcsim.errors import ImcsimError
from imcsim.sim.cycle import CycleResult
from imcsim.sim.workload import Workload

FORMATS = (".png", ".svg")


def _busy_bars(finish: np.ndarray, t: float) -> list[tuple[float, float]]:
    """(start, width) of the merged busy intervals [F − t, F] of one layer's rows."""
    if finish.size == 0 or t <= 0:
        return []
    starts = finish - t
    gap = starts[1:] > finish[:-1] + 1e-9 * t  # a new bar where a row did not follow at once
    first = np.concatenate(([0], np.flatnonzero(gap) + 1))
    last = np.concatenate((np.flatnonzero(gap), [finish.size - 1]))
    return [(float(starts[a]), float(finish[b] - starts[a])) for a, b in zip(first, last,
                                                                             strict=True)]


def check_target(path: str) -> None:
    if Path(path).suffix.lower() not in FORMATS:
        raise ImcsimError(f"--timeline {path}: give a .png or .svg file")


def timeline(work: Workload, result: CycleResult, path: str) -> None:
    """Write the chart to ``path`` (.png or .svg), atomically."""
    from matplotlib.figure import Figure

    from imcsim.report import atomic_write

    check_target(path)
    assert result.rows is not None and result.row_time_s is not None
    shown = [i for i, t in enumerate(work.times) if t > 0]
    height = max(3.0, 0.13 * len(shown) + 1.2)
    fig = Figure(figsize=(11, height), dpi=100)
    fig.subplots_adjust(left=0.28, right=0.98, top=1 - 0.5 / height, bottom=0.6 / height)
    ax = fig.add_subplot()
    scale = 1e6  # µs
    for y, i in enumerate(shown):
        w, lc = work.layers[i], result.layers[i]
        dark, light = ("#1f77b4", "#c6dbef") if w.crossbar else ("#555555", "#dddddd")
        ax.broken_barh([(lc.start_s * scale, (lc.end_s - lc.start_s) * scale)], (y - 0.4, 0.8),
                       facecolors=light)
        bars = _busy_bars(result.rows[i], result.row_time_s[i])
        ax.broken_barh([(a * scale, b * scale) for a, b in bars], (y - 0.4, 0.8),
                       facecolors=dark)
    ax.set_yticks(range(len(shown)))
    ax.set_yticklabels([_short(work.layers[i].name) for i in shown], fontsize=6)
    ax.set_ylim(len(shown) - 0.5, -0.5)
    ax.set_xlim(0, result.latency_s * scale * 1.01 or 1)
    ax.set_xlabel("time (µs)")
    ax.set_title(f"{len(shown)} layers over {result.latency_s * 1e6:.4g} µs: dark = computing, "
                 "light = waiting (inputs or buffer room); blue = crossbar, grey = digital",
                 fontsize=9)
    buf = io.BytesIO()
    fmt = Path(path).suffix.lower()[1:]
    fig.savefig(buf, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    data = buf.getvalue()

    def write(f: BinaryIO) -> None:
        f.write(data)

    atomic_write(path, write, "--timeline")


def _short(name: str, limit: int = 40) -> str:
    return name if len(name) <= limit else "…" + name[-(limit - 1):]
