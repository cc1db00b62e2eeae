"""One self-contained HTML page for a sweep: plots inline (PNG as ``data:`` URIs, or SVG
when they were rendered as SVG too; scatter plots — the objectives pairwise, custom
plots — as SVG drawn here whose points name themselves on hover), sortable tables, the
definition, the software version and seed. No external resource: it opens offline.

Tables sort by a click on a header (numbers numerically, text alphabetically; again for
descending). A URL fragment ``#sort=COLUMN`` (``#sort=-COLUMN`` descending) sorts the
results table on load, which is how a headless browser can check the script.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from typing import Any

import yaml

from imcsim import __version__
from imcsim.sweep.analysis import Analysed, analyse, stored_analysis
from imcsim.sweep.plots import Images, Plot, make_plots, render_plots
from imcsim.sweep.svg import CSS as _SCATTER_CSS
from imcsim.sweep.svg import scatter_html

METRICS = (
    ("energy.total_j", "energy/inf (J)"), ("area.total_mm2", "area (mm²)"),
    ("energy.tops_per_w", "TOPS/W"), ("area.tops_per_mm2", "TOPS/mm²"),
    ("performance.throughput_inf_per_s", "inf/s"), ("performance.latency_s", "latency (s)"),
    ("mapping.arrays", "arrays"), ("mapping.chips", "chips"),
    ("adc.energy_fraction", "ADC energy"), ("adc.area_fraction", "ADC area"),
    ("accuracy.hw_top1", "hw top-1"), ("accuracy.top1_agreement", "top-1 agreement"),
    ("app.hw", "quality (hw)"), ("app.float", "quality (float)"), ("app.energy_j", "energy (J)"),
    ("app.time_s", "time (s)"),
)

_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1200px}
h1{font-size:1.6em}h2{margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
th,td{border:1px solid #ccc;padding:.2em .5em;text-align:right}
th{background:#f0f2f5;cursor:pointer;user-select:none}
th.asc::after{content:" ▲"}th.desc::after{content:" ▼"}
td.text{text-align:left}figure{margin:1em 0}figcaption{font-size:.9em;color:#555}
figure img{max-width:100%}
pre{background:#f6f8fa;padding:1em;overflow:auto}.meta td{text-align:left}
.scroll{max-height:36em;overflow:auto}tr.infeasible td{color:#9aa0a6}
code{font-size:.85em;white-space:pre-wrap}
""" + _SCATTER_CSS

_JS = """
(function(){
  function key(td){var v=td.getAttribute('data-v');if(v===null)v=td.textContent;
    var n=parseFloat(v);return isNaN(n)||!/^\\s*[-+]?[\\d.]/.test(v)?{s:v.toLowerCase()}:{n:n};}
  function cmp(a,b){if(a.n!==undefined&&b.n!==undefined)return a.n-b.n;
    if(a.n!==undefined)return -1;if(b.n!==undefined)return 1;return a.s<b.s?-1:a.s>b.s?1:0;}
  function sortBy(table,col,desc){var body=table.tBodies[0];
    var rows=Array.prototype.slice.call(body.rows);
    rows.sort(function(r1,r2){var c=cmp(key(r1.cells[col]),key(r2.cells[col]));return desc?-c:c;});
    rows.forEach(function(r){body.appendChild(r);});
    var ths=table.tHead.rows[0].cells;
    for(var i=0;i<ths.length;i++){ths[i].classList.remove('asc','desc');}
    ths[col].classList.add(desc?'desc':'asc');}
  var tables=document.querySelectorAll('table.sortable');
  tables.forEach(function(t){var ths=t.tHead.rows[0].cells;
    Array.prototype.forEach.call(ths,function(th,i){th.addEventListener('click',function(){
      sortBy(t,i,th.classList.contains('asc'));});});});
  var m=/sort=(-?)([^&]+)/.exec(decodeURIComponent(location.hash.slice(1)));
  var results=document.getElementById('results');
  if(m&&results){var ths=results.tHead.rows[0].cells;
    for(var i=0;i<ths.length;i++){if(ths[i].getAttribute('data-key')===m[2]){sortBy(results,i,m[1]==='-');}}}
  document.body.setAttribute('data-ready','1');
})();
"""


def _fmt(v: Any) -> tuple[str, str]:
    """(text shown, sort value) of a cell."""
    if v is None or v == "":
        return "", ""
    if isinstance(v, bool):
        return str(v).lower(), str(v)
    if isinstance(v, float):
        return f"{v:.4g}", repr(v)
    return str(v), str(v)


def _table(table_id: str, columns: list[tuple[str, str]], rows: list[dict[str, Any]],
           grey: bool = False) -> str:
    """A sortable table; ``grey``: rows outside the constraints (``feasible`` false) greyed."""
    head = "".join(f'<th data-key="{html.escape(k)}">{html.escape(label)}</th>'
                   for k, label in columns)
    body = []
    for r in rows:
        cells = []
        for k, _ in columns:
            text, sort = _fmt(r.get(k))
            cls = "" if isinstance(r.get(k), int | float) else ' class="text"'
            cells.append(f'<td{cls} data-v="{html.escape(sort)}">{html.escape(text)}</td>')
        infeasible = grey and not r.get("feasible")
        body.append(('<tr class="infeasible">' if infeasible else "<tr>") + "".join(cells)
                    + "</tr>")
    return (f'<div class="scroll"><table class="sortable" id="{table_id}"><thead><tr>{head}'
            f'</tr></thead><tbody>{"".join(body)}</tbody></table></div>')


def _image(plot: Plot, files: dict[str, bytes] | None) -> str:
    """The plot inline: a scatter as SVG with hover titles; else its SVG when rendered,
    else its PNG as a ``data:`` URI."""
    if plot.scatter is not None:
        return scatter_html(plot.scatter)
    if files is None:
        files = render_plots([plot])[plot.name]
    if "svg" in files:
        text = files["svg"].decode("utf-8")
        return text[text.index("<svg"):]  # drop the XML prologue and DOCTYPE
    data = base64.b64encode(files["png"]).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(plot.title)}">'


def page(definition: dict[str, Any], records: list[dict[str, Any]],
         analysed: Analysed | None = None, plots: Sequence[Plot] | None = None,
         images: Images | None = None) -> str:
    """The page; ``analysed``: the records judged by the objectives and constraints
    (default: those sweep.json keeps, else the default ones); ``plots`` and their
    rendered ``images`` (default: drawn here, PNG; scatter plots are never drawn by
    matplotlib for the page)."""
    sweep = definition.get("sweep") if isinstance(definition.get("sweep"), dict) else {}
    if analysed is None:
        analysed = analyse(records, stored_analysis(definition)[0], sweep)
    spec = analysed.analysis
    keys = analysed.keys
    valid = analysed.valid
    invalid = [r for r in analysed.rows if r["status"] != "ok"]
    shown = [o.key for o in spec.objectives] + [c.key for c in spec.constraints]
    labels = dict(METRICS)
    present = [(k, label) for k, label in METRICS if any(r.get(k) is not None for r in valid)]
    present = [(k, f"{labels.get(k, k)} ({_direction(spec, k)})") for k in dict.fromkeys(shown)
               if k not in keys] + [m for m in present if m[0] not in shown]
    columns = [("point", "point"), *[(k, k) for k in keys], *present]
    if plots is None:
        plots = make_plots(records, analysed)
    if images is None:
        images = render_plots([p for p in plots if p.scatter is None])
    figures = "".join(
        f'<figure id="plot-{html.escape(p.name)}">{_image(p, images.get(p.name))}<figcaption>'
        f"<b>{html.escape(p.title)}.</b> {html.escape(p.caption)}</figcaption></figure>"
        for p in plots)
    feasible = len(analysed.feasible)
    meta = [
        ("model", f"{sweep.get('model')} ({definition.get('identity', {}).get('model_name')})"),
        ("architecture", str(sweep.get("arch"))),
        ("points", f"{len(records)} of {definition.get('points', len(records))} finished; "
                   f"{len(valid)} valid, {len(invalid)} invalid"
                   + (f"; {feasible} meet the constraints" if spec.constraints else "")),
        ("objectives", ", ".join(f"{o.key} ({o.direction})" for o in spec.objectives)),
        ("constraints", ", ".join(str(c) for c in spec.constraints) or "none"),
        ("seed", str(sweep.get("seed"))),
        ("imcsim", f"{__version__} (report); sweep run with {definition.get('imcsim')}"),
    ]
    meta_rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                        for k, v in meta)
    text = yaml.safe_dump(sweep, sort_keys=False, allow_unicode=True, width=100)
    best = [{"objective": f"{b.objective.key} ({b.objective.direction})", "best": b.value,
             "point": b.row["point"], **b.config, "command": b.command} for b in analysed.best]
    best_columns = [("objective", "objective"), ("best", "best"), ("point", "point"),
                    *[(k, k) for k in keys], ("command", "reproduce")]
    nothing = ("<p>No valid point.</p>" if not valid else
               "<p>No valid point meets the constraints.</p>")
    parts = [
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">",
        f"<title>imcsim sweep: {html.escape(str(sweep.get('model')))}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Design-space sweep of {html.escape(str(sweep.get('model')))}</h1>",
        f'<table class="meta">{meta_rows}</table>',
        "<h2>Plots</h2>", figures or "<p>No valid point yet.</p>",
        "<h2>Best point per objective</h2>",
        _table("best", best_columns, best) if best else nothing,
        f"<h2>Pareto front ({html.escape(', '.join(str(o) for o in spec.objectives))})</h2>",
        _table("pareto", columns, analysed.front) if analysed.front else nothing,
        "<h2>All valid points</h2>",
        _table("results", [*columns, ("feasible", "feasible")], valid, grey=True),
    ]
    if invalid:
        parts += ["<h2>Invalid points</h2>",
                  _table("invalid", [("point", "point"), *[(k, k) for k in keys],
                                     ("reason", "reason")], invalid)]
    parts += ["<h2>Sweep definition</h2>", f"<pre>{html.escape(text)}</pre>",
              f"<script>{_JS}</script></body></html>\n"]
    return "".join(parts)


def _direction(spec: Any, key: str) -> str:
    for o in spec.objectives:
        if o.key == key:
            return o.direction
    return "constrained"
