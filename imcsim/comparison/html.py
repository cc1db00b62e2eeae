"""One self-contained HTML page for a comparison (opens offline: no external resource):
the table with the best value of each row highlighted, the combinations that could not
be computed and why, and per model a horizontal grouped bar chart of its crossbar layers'
energy on each architecture (inline SVG; hovering a bar shows its value). The styles are
the sweep page's (:mod:`imcsim.sweep.html`); this page's own classes start ``cmp-`` so
that the two never restyle each other."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from imcsim import __version__
from imcsim.comparison.table import MISSING, cell_text, failures, summary
from imcsim.report import _si, short_name
from imcsim.sweep.figure import PALETTE
from imcsim.sweep.html import _CSS
from imcsim.sweep.svg import escape, nice_ticks

_CSS_COMPARE = """
table.compare th,table.meta th{cursor:auto}table.compare th.metric{text-align:left}
table.compare td.best{background:#fff1a8;font-weight:bold}
table.compare td.missing{color:#9aa0a6;text-align:center}p.missing{color:#666}
.cmp-legend span{margin-right:1.2em;white-space:nowrap}
.cmp-swatch{display:inline-block;width:.9em;height:.9em;margin-right:.3em;vertical-align:-.1em}
svg.cmp-bars text{font:11px system-ui,sans-serif;fill:#333}svg.cmp-bars line{stroke:#ddd}
"""
BAR_PX, GAP_PX, PLOT_PX, NAME_CHARS = 9, 7, 520, 40


def _esc(value: Any) -> str:
    return escape(str(value))


def _table(data: Mapping[str, Any]) -> str:
    head = "".join(f'<th data-column="{_esc(c["label"])}">{_esc(c["label"])}</th>'
                   for c in data["columns"])
    rows = []
    for m in data["metrics"]:
        best = set(m["best"])
        cells = []
        for c, v in zip(data["columns"], m["values"], strict=True):
            cls = "best" if c["label"] in best else "missing" if v is None else ""
            cells.append(f'<td class="{cls}" data-v="{"" if v is None else repr(v)}">'
                         f"{_esc(cell_text(m, v))}</td>")
        better = "lower" if m["direction"] == "min" else "higher"
        rows.append(f'<tr data-key="{_esc(m["key"])}"><th class="metric">{_esc(m["label"])}'
                    f'</th><td class="text">{better}</td>{"".join(cells)}</tr>')
    return (f'<table class="compare" id="compare"><thead><tr><th class="metric">metric</th>'
            f'<th>better</th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>')


def _ticks(top: float) -> list[float]:
    """0 and round steps up to the first at or above ``top`` (> 0)."""
    ticks = nice_ticks(0.0, top)
    step = ticks[1] - ticks[0] if len(ticks) > 1 else top
    while ticks[-1] < top * (1 - 1e-9):
        ticks.append(ticks[-1] + step)
    return ticks


def bars(columns: Sequence[Mapping[str, Any]]) -> str:
    """A model's crossbar-layer energy, one bar per architecture (``columns``: the model's
    columns), layers top to bottom in model order, as inline SVG."""
    names: dict[str, str] = {}  # layer name → shown name, in model order
    energy: dict[tuple[int, str], float] = {}
    for i, c in enumerate(columns):
        for r in c["layers"]:
            names.setdefault(r["name"], short_name(r["name"], r["op"]))
            energy[i, r["name"]] = r["energy_j"]
    top = max(energy.values(), default=0.0)
    if not names or top <= 0:
        return "<p>No crossbar layer energy to show.</p>"
    label_px = 8 + 7 * min(NAME_CHARS, max(len(n) for n in names.values()))
    group = len(columns) * BAR_PX + GAP_PX
    height = GAP_PX + group * len(names) + 28
    width = label_px + PLOT_PX + 60
    ticks = _ticks(top)
    scale = PLOT_PX / ticks[-1]
    parts = [f'<svg class="cmp-bars" xmlns="http://www.w3.org/2000/svg" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" role="img">']
    axis_y = height - 22
    for t in ticks:
        x = label_px + t * scale
        parts.append(f'<line x1="{x:.1f}" y1="{GAP_PX}" x2="{x:.1f}" y2="{axis_y}"/>'
                     f'<text x="{x:.1f}" y="{axis_y + 14}" text-anchor="middle">'
                     f"{_esc(_si(t, 'J') if t else '0')}</text>")
    for row, (name, shown) in enumerate(names.items()):
        y0 = GAP_PX + row * group
        text = shown if len(shown) <= NAME_CHARS else shown[: NAME_CHARS - 1] + "…"
        parts.append(f'<text x="{label_px - 6}" y="{y0 + len(columns) * BAR_PX / 2 + 4:.1f}" '
                     f'text-anchor="end"><title>{_esc(name)}</title>{_esc(text)}</text>')
        for i, c in enumerate(columns):
            e = energy.get((i, name))
            if e is None:
                continue
            parts.append(
                f'<rect class="cmp-bar" x="{label_px}" y="{y0 + i * BAR_PX}" '
                f'width="{max(e * scale, 0.5):.2f}" height="{BAR_PX - 1}" '
                f'fill="{PALETTE[i % len(PALETTE)]}" data-arch="{_esc(c["arch"])}" '
                f'data-layer="{_esc(name)}" data-v="{e!r}"><title>{_esc(shown)} @ '
                f"{_esc(c['arch'])}: {_esc(_si(e, 'J'))}</title></rect>")
    parts.append("</svg>")
    return "".join(parts)


def _legend(columns: Sequence[Mapping[str, Any]]) -> str:
    items = "".join(
        f'<span><span class="cmp-swatch" style="background:{PALETTE[i % len(PALETTE)]}"></span>'
        f'{_esc(c["arch"])}{"" if c["layers"] else " (not computed)"}</span>'
        for i, c in enumerate(columns))
    return f'<p class="cmp-legend">{items}</p>'


def page(data: Mapping[str, Any], command: Sequence[str] | None = None) -> str:
    """The page of a comparison report (:func:`imcsim.compare`'s data)."""
    models = [m["name"] for m in data["models"]]
    archs = [a["label"] for a in data["archs"]]
    title = f"{', '.join(models)} on {', '.join(archs)}"
    accuracy = data.get("accuracy")
    meta = [
        ("models", "; ".join(f"{m['name']} ({m['path'] or 'in memory'})"
                             for m in data["models"])),
        ("architectures", "; ".join(f"{a['label']} ({a['name']}, {a['source']})"
                                    for a in data["archs"])),
        ("compared", summary(data)),
        ("accuracy", "not simulated" if accuracy is None else
         ", ".join(f"{k} {v}" for k, v in accuracy.items() if v is not None)),
        ("imcsim", __version__),
    ]
    if command:
        meta.append(("command", " ".join(command)))
    meta_rows = "".join(f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>" for k, v in meta)
    missing = "".join(f'<p class="missing">{_esc(line)}</p>' for line in failures(data))
    charts = []
    for model in models:
        own = [c for c in data["columns"] if c["model"] == model]
        charts.append(f'<figure id="layers-{_esc(model)}">{_legend(own)}{bars(own)}'
                      f"<figcaption><b>{_esc(model)}.</b> Energy per inference of each "
                      "crossbar layer (digital layers, I/O and leakage left out) on each "
                      "architecture; hover a bar for its value.</figcaption></figure>")
    return "".join([
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        f"<title>imcsim compare: {_esc(title)}</title>",
        f"<style>{_CSS}{_CSS_COMPARE}</style></head><body>",
        f"<h1>Comparison: {_esc(title)}</h1>",
        f'<table class="meta">{meta_rows}</table>',
        f"<h2>Metrics</h2><p>The best value of each row is highlighted ({MISSING}: not "
        "computed).</p>", _table(data), missing,
        "<h2>Energy per crossbar layer</h2>", *charts,
        "</body></html>\n",
    ])
