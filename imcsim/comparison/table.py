"""The comparison table: the metrics compared, the best column of each row, the JSON
report (described in :mod:`imcsim.comparison`) and its terminal rendering."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from imcsim.report import _si, printable

MISSING = "—"  # a value that could not be computed


@dataclass(frozen=True, slots=True)
class Metric:
    """One row of the table."""

    key: str  # key path in the compile (or accuracy) report, e.g. energy.total_j
    label: str  # the row's name
    unit: str  # of the JSON value ('' for counts and fractions)
    direction: str  # min | max: which value is best
    text: Callable[[float], str]  # the value as the table shows it


def _fraction(v: float) -> str:
    return f"{v:.1%}"


def _rate(v: float) -> str:
    return f"{v:,.0f} inf/s" if v >= 100 else f"{v:.3g} inf/s"


HARDWARE = (
    Metric("energy.total_j", "energy / inference", "J", "min", lambda v: _si(v, "J")),
    Metric("performance.latency_s", "latency", "s", "min", lambda v: _si(v, "s")),
    Metric("performance.throughput_inf_per_s", "throughput", "inf/s", "max", _rate),
    Metric("energy.tops_per_w", "TOPS/W", "TOPS/W", "max", lambda v: f"{v:.4g}"),
    Metric("area.tops_per_mm2", "TOPS/mm²", "TOPS/mm²", "max", lambda v: f"{v:.4g}"),
    Metric("area.total_mm2", "area", "mm²", "min", lambda v: f"{v:.4g} mm²"),
    Metric("adc.energy_fraction", "ADC share of energy", "", "min", _fraction),
    Metric("adc.area_fraction", "ADC share of area", "", "min", _fraction),
    Metric("mapping.chips", "chips", "", "min", lambda v: f"{v:,}"),
    Metric("mapping.arrays", "arrays", "", "min", lambda v: f"{v:,}"),
)
ACCURACY = (
    Metric("accuracy.hw_top1", "hardware top-1", "", "max", _fraction),
    Metric("accuracy.top1_agreement", "top-1 agreement with float", "", "max", _fraction),
    Metric("accuracy.float_top1", "float top-1", "", "max", _fraction),
)
METRICS = HARDWARE + ACCURACY
_BY_KEY = {m.key: m for m in METRICS}


def value_at(report: Mapping[str, Any], key: str) -> float | None:
    """The number at a dotted key path; None where absent, null or not finite."""
    node: Any = report
    for part in key.split("."):
        if not isinstance(node, Mapping) or node.get(part) is None:
            return None
        node = node[part]
    if isinstance(node, bool) or not isinstance(node, int | float):
        return None
    return node if math.isfinite(node) else None


def best_columns(values: Sequence[float | None], direction: str) -> list[int]:
    """Indexes of the best values (``min`` or ``max``); none when fewer than two values
    are present or all present values are equal."""
    present = [(i, v) for i, v in enumerate(values) if v is not None]
    if len(present) < 2:
        return []
    pick = min if direction == "min" else max
    best = pick(v for _, v in present)
    if all(v == best for _, v in present):
        return []
    return [i for i, v in present if v == best]


@dataclass(frozen=True, slots=True)
class Column:
    """One model × architecture: its compile (and accuracy) report, or why it failed."""

    model: str  # model label
    arch: str  # architecture label
    compiled: Mapping[str, Any] | None  # the compile report's data (None: failed)
    accuracy: Mapping[str, Any] | None = None  # the accuracy report's data
    reason: str | None = None  # the one-line error when failed
    warnings: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.model} @ {self.arch}"

    @property
    def status(self) -> str:
        """ok; failed (nothing computed); accuracy failed (the hardware figures were)."""
        if self.reason is None:
            return "ok"
        return "failed" if self.compiled is None else "accuracy failed"

    def value(self, key: str) -> float | None:
        source = self.accuracy if key.startswith("accuracy.") else self.compiled
        return None if source is None else value_at(source, key)

    def layers(self) -> list[dict[str, Any]]:
        """The crossbar layers' energy per inference."""
        if self.compiled is None:
            return []
        return [{"name": r["name"], "op": r["op"], "energy_j": r["energy_j"]}
                for r in self.compiled["layers"] if r["utilization"] is not None]


def compare_data(models: Sequence[dict[str, Any]], archs: Sequence[dict[str, Any]],
                 columns: Sequence[Column], overrides: Sequence[str], duplication: str,
                 accuracy: dict[str, Any] | None) -> dict[str, Any]:
    """The JSON report (without its provenance block)."""
    metrics = []
    for m in HARDWARE + (ACCURACY if accuracy is not None else ()):
        values = [c.value(m.key) for c in columns]
        metrics.append({"key": m.key, "label": m.label, "unit": m.unit,
                        "direction": m.direction, "values": values,
                        "best": [columns[i].label for i in best_columns(values, m.direction)]})
    return {
        "models": list(models), "archs": list(archs), "set": list(overrides),
        "duplication": duplication, "accuracy": accuracy,
        "columns": [{"label": c.label, "model": c.model, "arch": c.arch,
                     "status": c.status, "reason": c.reason,
                     "warnings": list(c.warnings), "layers": c.layers()} for c in columns],
        "metrics": metrics,
    }


def cell_text(metric: Mapping[str, Any], value: float | None) -> str:
    """A value as the table shows it; '—' where missing."""
    if value is None:
        return MISSING
    known = _BY_KEY.get(metric["key"])
    return known.text(value) if known is not None else f"{value:.4g}"


def failures(data: Mapping[str, Any]) -> list[str]:
    """One line per column that could not be computed."""
    return [f"{MISSING} {c['label']}: {'accuracy ' * (c['status'] != 'failed')}not computed: "
            f"{c['reason']}" for c in data["columns"] if c["status"] != "ok"]


def summary(data: Mapping[str, Any]) -> str:
    """What was compared, in one line."""
    models, archs = len(data["models"]), len(data["archs"])
    line = (f"{models} model{'s' * (models != 1)} × {archs} architecture{'s' * (archs != 1)}; "
            f"duplication {data['duplication']}")
    if data["set"]:
        line += f"; on every architecture: --set {' --set '.join(data['set'])}"
    return line


def render_compare(report: Mapping[str, Any], console: Any) -> None:
    from rich.text import Text

    from imcsim.tables import Table

    data = printable(dict(report))
    markdown = getattr(console, "fmt", None) == "markdown"
    console.print(summary(data))
    t = Table(title="Comparison (best of each row in bold)")
    t.add_column("metric", justify="left")
    t.add_column("better", justify="left")
    for c in data["columns"]:
        t.add_column(c["label"], justify="right")
    for m in data["metrics"]:
        best = set(m["best"])
        cells: list[Any] = []
        for c, v in zip(data["columns"], m["values"], strict=True):
            text = cell_text(m, v)
            if c["label"] in best:
                cells.append(f"**{text}**" if markdown else Text(text, style="bold"))
            else:
                cells.append(text)
        t.add_row(m["label"], "lower" if m["direction"] == "min" else "higher", *cells)
    console.print(t)
    for line in failures(data):
        console.print(line)
