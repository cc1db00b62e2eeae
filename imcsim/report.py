"""Reports: the documented JSON structure and rich tables for the terminal.

JSON report of ``imcsim compile`` (SI units unless a key says otherwise; ops = 2 per MAC).
With ``--batch N`` one run of the graph computes N inferences: counts, energies and
throughput are per inference, times (``latency_s``, per-layer ``latency_s``, ``start_s``,
``finish_s``) are those of the whole batch.

- ``model``: ``name``, ``macs`` (MACs mapped to crossbars, per inference), ``weights``
  (crossbar weight elements), ``parameters`` (all trained parameters incl. biases and
  norms), ``digital_ops`` (digital unit ops + digital MACs, per inference),
  ``digital_macs`` (per inference), ``batch`` (inferences per run of the graph),
  ``unknown_ops``
- ``arch``: ``name``, ``source``, ``adc_model`` (model and source), ``adc_bits``,
  ``adc_design_bits``, ``adcs_per_array``, ``readout`` (style, differential sensing),
  ``rows_per_read`` (0 = all), ``rows``, ``cols``, ``cell_bits``, ``weight_bits``,
  ``input_bits``, ``signed_scheme``
- ``mapping``: ``arrays``, ``chips``, ``cores``, ``utilization`` (cells holding weights /
  cells allocated), ``duplication`` (mode), ``fits_one_chip``
- ``performance``: ``latency_s`` (time for the whole batch — one inference without
  ``--batch`` — to pass through the layer pipeline), ``throughput_inf_per_s`` (steady
  state, inferences per second: batch / slowest stage), ``tops`` (achieved on this model:
  2 · macs per inference · throughput), ``peak_tops`` (all chips used), ``bottleneck``
  (layer name)
- ``energy``: ``total_j`` (per inference: the batch's energy / batch), ``tops_per_w``,
  ``breakdown`` (component → J per inference; ``io`` includes activations crossing chips),
  ``activity`` (where the crossbar layers' input activity and cell conductances came
  from: the documented defaults, or measured with ``--activity-from``), ``static_j``
  (leakage over the latency, per inference), ``io_j`` (model inputs and outputs)
- ``area``: ``total_mm2``, ``breakdown`` (component → mm²), ``tops_per_mm2`` (achieved)
- ``adc``: ``energy_fraction``, ``area_fraction``
- ``layers``: per layer ``name``, ``op``, ``kind``, ``macs`` (per inference), ``weights``,
  ``arrays``, ``duplication``, ``utilization`` (null for digital layers), ``latency_s``
  (stage time for the whole batch), ``start_s``, ``finish_s``, ``energy_j`` (per
  inference), ``energy_breakdown`` (per inference). Two lines belong to no layer and have
  kind ``other``: ``model I/O`` and ``static``; the ``energy_j`` of all lines add up to
  ``energy.total_j``.

JSON report of ``imcsim arch``: ``arch`` (as above), ``performance.peak_tops``,
``energy.peak_tops_per_w``, ``power.total_w``, ``power.breakdown`` (component → W at peak),
``area.total_mm2``, ``area.breakdown`` (mm²), ``area.tops_per_mm2``, ``adc.power_fraction``,
``adc.area_fraction`` (of the chip), ``adc.tile_power_fraction``,
``adc.tile_area_fraction`` (of the tiles: chip-level components, the off-chip links,
excluded), ``array_cycle_s``, ``components`` (per component: level, count, action,
energy_pj, area_um2, latency_ns, static_mw).
"""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from imcsim.compiler.ir import Network
from imcsim.compiler.mapping import Mapping
from imcsim.config import Arch
from imcsim.cost import Level, adc_model_name
from imcsim.cost.components import adcs_per_array
from imcsim.errors import ImcsimError
from imcsim.sim import PeakResult, SimResult
from imcsim.sim.analytical import IO_LINE, STATIC_LINE

if TYPE_CHECKING:  # numba loads only when a cycle-level run is asked for
    from imcsim.sim.cycle import CycleResult


def _arch_block(arch: Arch) -> dict[str, Any]:
    return {
        "name": arch.name, "source": arch.source, "adc_model": adc_model_name(arch),
        "adc_bits": arch.adc.bits, "adc_design_bits": arch.adc.design_bits or arch.adc.bits,
        "adcs_per_array": adcs_per_array(arch), "readout": arch.readout.describe,
        "rows_per_read": arch.array.rows_per_read,
        "rows": arch.array.rows, "cols": arch.array.cols,
        "cell_bits": arch.array.cell_bits, "weight_bits": arch.precision.weight_bits,
        "input_bits": arch.precision.input_bits,
        "signed_scheme": arch.precision.signed_scheme.value,
    }


SCHEMA_VERSION = 1  # of every JSON output; raised when a key changes meaning or goes


def config_dict(arch: Arch) -> dict[str, Any]:
    """The fully resolved configuration (after every override) as plain JSON values."""
    import dataclasses
    from enum import Enum

    def plain(v: Any) -> Any:
        if isinstance(v, Enum):
            return v.value
        if isinstance(v, dict):
            return {str(k): plain(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [plain(x) for x in v]
        return v

    out = plain(dataclasses.asdict(arch))
    out.pop("source", None)  # where it was read from: in the inputs, not a config key
    return out


def provenance(arch: Arch | None, inputs: Iterable[Any] = (), seed: int | None = None,
               command: Sequence[str] | None = None) -> dict[str, Any]:
    """What reproduces a result: the tool's version, the output's schema version, the
    command line (CLI), the resolved configuration, the seed, and every input file's
    SHA-256 and size."""
    import hashlib

    files = []
    for p in inputs:
        if isinstance(p, str | os.PathLike) and str(p) not in ("", "-") and Path(p).is_file():
            h = hashlib.sha256()
            with open(p, "rb") as f:
                for block in iter(lambda f=f: f.read(1 << 20), b""):
                    h.update(block)
            files.append({"path": str(p), "sha256": h.hexdigest(), "bytes": Path(p).stat().st_size})
    from imcsim import __version__

    out: dict[str, Any] = {"version": __version__, "schema_version": SCHEMA_VERSION}
    if command is not None:
        out["command"] = list(command)
    out["seed"] = seed
    out["inputs"] = files
    if arch is not None:
        out["config"] = config_dict(arch)
    return out


def _per_inference(count: int, batch: int) -> int | float:
    """A count for the whole batch, per inference (an int when the batch divides it)."""
    return count // batch if count % batch == 0 else count / batch


def compile_report(net: Network, mapping: Mapping, sim: SimResult, arch: Arch,
                   cycle: CycleResult | None = None) -> dict[str, Any]:
    """The compile report; ``cycle``: a cycle-level run of the same workload, reported as
    the ``cycle`` section and each layer's ``cycle`` figures."""
    batch = sim.batch
    macs = _per_inference(net.macs, batch)
    ops = 2 * macs  # per inference
    tops = ops * sim.throughput_inf_per_s / 1e12
    area_mm2 = sim.area_m2 * 1e6
    digital_macs = sum(layer.digital.macs for layer in net.digital_layers() if layer.digital)
    report: dict[str, Any] = {
        "model": {
            "name": net.name, "macs": macs, "weights": net.weights,
            "parameters": net.parameters, "digital_ops": _per_inference(net.digital_ops, batch),
            "digital_macs": _per_inference(digital_macs, batch), "batch": batch,
            "unknown_ops": list(net.unknown_ops),
        },
        "arch": _arch_block(arch),
        "mapping": {
            "arrays": mapping.arrays, "chips": mapping.chips, "cores": mapping.cores_used,
            "utilization": mapping.utilization, "duplication": mapping.duplication_mode,
            "fits_one_chip": mapping.fits_one_chip,
        },
        "performance": {
            "latency_s": sim.latency_s, "throughput_inf_per_s": sim.throughput_inf_per_s,
            "tops": tops, "peak_tops": sim.peak_ops_per_s / 1e12, "bottleneck": sim.bottleneck,
        },
        "energy": {
            "total_j": sim.energy_j,
            "tops_per_w": ops / sim.energy_j / 1e12 if sim.energy_j else 0.0,
            "breakdown": dict(sorted(sim.energy_by_component.items(), key=lambda kv: -kv[1])),
            "activity": sim.activity_source,
            "static_j": sum(r.energy_j for r in sim.layers if r.name == STATIC_LINE),
            "io_j": sum(r.energy_j for r in sim.layers if r.name == IO_LINE),
        },
        "area": {
            "total_mm2": area_mm2,
            "breakdown": {k: v * 1e6 for k, v in sorted(sim.area_by_component.items(),
                                                        key=lambda kv: -kv[1])},
            "tops_per_mm2": tops / area_mm2 if area_mm2 else 0.0,
        },
        "adc": {
            "energy_fraction": sim.energy_by_component.get("adc", 0.0) / sim.energy_j
            if sim.energy_j else 0.0,
            "area_fraction": sim.area_by_component.get("adc", 0.0) / sim.area_m2,
        },
        "layers": [
            {
                "name": r.name, "op": r.op, "kind": r.kind, "macs": _per_inference(r.macs, batch),
                "weights": r.weights,
                "arrays": r.arrays, "duplication": r.duplication, "utilization": r.utilization,
                "latency_s": r.latency_s, "start_s": r.start_s, "finish_s": r.finish_s,
                "energy_j": r.energy_j, "energy_breakdown": r.energy_by_component,
            }
            for r in sim.layers
        ],
    }
    if cycle is not None:
        report["cycle"] = cycle_block(sim, cycle, arch, mapping)
        by = {c.name: c for c in cycle.layers}
        for row in report["layers"]:
            c = by.get(row["name"])
            if c is not None:
                row["cycle"] = {"start_s": c.start_s, "end_s": c.end_s, "busy_s": c.busy_s,
                                "stall_s": sum(c.stall_s.values()), "stalls": dict(c.stall_s)}
    return report


def cycle_block(sim: SimResult, cycle: CycleResult, arch: Arch,
                mapping: Mapping) -> dict[str, Any]:
    """The ``cycle`` section: the cycle-level figures next to the analytical ones, the
    utilisation of the ADCs and the tile buses over the run (their busy time from the
    action counts: conversions × conversion time over the ADCs of the arrays in use,
    bytes over the buses of the tiles in use), and the energy with leakage over the
    cycle-level latency (dynamic energy is the same: one cost model prices both)."""
    from imcsim.cost import build_components

    static = sum(r.energy_j for r in sim.layers if r.name == STATIC_LINE)
    static_cycle = static * cycle.latency_s / sim.latency_s if sim.latency_s > 0 else 0.0
    data = cycle.to_json()
    comps = build_components(arch)
    counts: dict[str, float] = {}
    for a in sim.actions.values():
        for c, n in a.counts.items():
            counts[c] = counts.get(c, 0.0) + n
    used = dict(cycle.utilization)
    if cycle.latency_s > 0 and mapping.arrays:
        adcs = mapping.arrays * adcs_per_array(arch)
        if "adc" in comps and adcs > 0:
            converting = counts.get("adc", 0.0) * comps["adc"].latency_s
            used["adcs"] = min(1.0, converting / (adcs * cycle.latency_s))
        bus = arch.tile.bus_width_bits / 8 * arch.technology.clock_hz * mapping.tiles_used
        used["buses"] = min(1.0, counts.get("bus", 0.0) / bus / cycle.latency_s)
    data["utilization"] = used
    return {**data,
            "analytical_latency_s": sim.latency_s,
            "analytical_throughput_inf_per_s": sim.throughput_inf_per_s,
            "static_j": static_cycle, "energy_j": sim.energy_j - static + static_cycle}


def arch_report(arch: Arch, p: PeakResult) -> dict[str, Any]:
    tops = p.ops_per_s / 1e12
    mm2 = p.area_m2 * 1e6
    tile_level = {name for name, c in p.components.items() if c.level is not Level.CHIP}
    tile_power = sum(v for k, v in p.power_by_component.items() if k in tile_level)
    tile_area = sum(v for k, v in p.area_by_component.items() if k in tile_level)
    return {
        "arch": _arch_block(arch),
        "performance": {"peak_tops": tops},
        "energy": {"peak_tops_per_w": tops / p.power_w},
        "power": {"total_w": p.power_w, "breakdown": dict(
            sorted(p.power_by_component.items(), key=lambda kv: -kv[1]))},
        "area": {"total_mm2": mm2, "tops_per_mm2": tops / mm2, "breakdown": {
            k: v * 1e6 for k, v in sorted(p.area_by_component.items(), key=lambda kv: -kv[1])}},
        "adc": {"power_fraction": p.power_by_component.get("adc", 0.0) / p.power_w,
                "area_fraction": p.area_by_component.get("adc", 0.0) / p.area_m2,
                "tile_power_fraction": p.power_by_component.get("adc", 0.0) / tile_power,
                "tile_area_fraction": p.area_by_component.get("adc", 0.0) / tile_area},
        "array_cycle_s": p.array_cycle_s,
        "components": {
            c.name: {"level": c.level.value, "count": c.count, "action": c.action,
                     "energy_pj": c.energy_j * 1e12, "area_um2": c.area_m2 * 1e12,
                     "latency_ns": c.latency_s * 1e9, "static_mw": c.static_w * 1e3}
            for c in p.components.values()
        },
    }


_INPUTS: set[Path] = set()  # the files this run reads: never an output
_UMASK = os.umask(0)  # read once, at import (single-threaded): outputs get the user's umask
os.umask(_UMASK)


def protect_inputs(*paths: object) -> None:
    """Declare files this run reads; no output may resolve to one of them."""
    for p in paths:
        if isinstance(p, str | os.PathLike) and str(p) not in ("", "-"):
            path = Path(p)
            if path.is_file():
                _INPUTS.add(path.resolve())


def check_json_target(target: str, option: str = "--json",
                      inputs: Iterable[str | os.PathLike[str]] = ()) -> None:
    """Fail early (before any work) when ``target`` cannot receive an output file: it must
    be a new path or a regular file — not a directory, device, FIFO or symbolic link, and
    not a file this run reads (declared with :func:`protect_inputs`, or ``inputs``). '-'
    (stdout) only for --json."""
    if target == "-":
        if option == "--json":
            return
        raise ImcsimError(f"{option} -: writes a file, not standard output; give a file name")
    path = Path(target)
    if path.is_symlink():
        raise ImcsimError(f"{option} {target}: is a symbolic link; outputs are written only to "
                          "regular files — give the real path")
    if path.exists() and not path.is_dir() and not path.is_file():
        raise ImcsimError(f"{option} {target}: is not a regular file (a device, FIFO or "
                          "socket); give a file name")
    if path.resolve() in _INPUTS or any(
            Path(p).resolve() == path.resolve() for p in inputs if str(p) not in ("", "-")):
        raise ImcsimError(f"{option} {target}: is an input of this run; writing there would "
                          "destroy it — give another file name")
    if not path.parent.exists():
        raise ImcsimError(f"{option} {target}: directory {path.parent} does not exist; create it first")
    if not path.parent.is_dir():
        raise ImcsimError(f"{option} {target}: {path.parent} is not a directory; fix the path")
    if path.is_dir():
        raise ImcsimError(f"{option} {target}: is a directory; give a file name, e.g. "
                          f"{path / ('report.json' if option == '--json' else 'out.npz')}")


WRITTEN: list[str] = []  # every file this process wrote (the CLI's --verbose lists them)


def atomic_write(target: str, write: Callable[[BinaryIO], None], option: str = "--json") -> None:
    """Write a file atomically: a complete file or none at all (no half-written output)."""
    check_json_target(target, option)
    path = Path(target)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.fchmod(fd, 0o666 & ~_UMASK)  # the user's umask, not mkstemp's 0600
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        WRITTEN.append(str(path))
    except BaseException as e:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise ImcsimError(f"{option} {target}: cannot write ({e.strerror or e}); "
                              "check the path and its permissions") from None
        raise


def _non_finite(value: Any, path: str = "") -> list[str]:
    """Key paths of the inf/NaN numbers in a report."""
    if isinstance(value, float) and not math.isfinite(value):
        return [path or "(top)"]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _non_finite(v, f"{path}.{k}" if path else k)]
    if isinstance(value, list | tuple):
        return [p for i, v in enumerate(value) for p in _non_finite(v, f"{path}[{i}]")]
    return []


def write_json(report: dict[str, Any], target: str) -> None:
    """Write to ``target`` ('-' = stdout) atomically; a report holding inf or NaN (finite
    but extreme inputs overflowed) is refused, naming where."""
    bad = _non_finite(report)
    if bad:
        raise ImcsimError(f"the report's {', '.join(bad[:3])}{' …' if len(bad) > 3 else ''} "
                          "overflowed to inf/NaN; a config value (or --set, or a matrix entry) "
                          "is too extreme — use realistic values")
    text = json.dumps(report, indent=2, allow_nan=False, default=str) + "\n"
    if target == "-":
        sys.stdout.write(text)
        return
    atomic_write(target, lambda f: f.write(text.encode("utf-8")))


# ---------------------------------------------------------------- terminal


def printable(value: Any, limit: int = 300) -> Any:
    """A report (or string) safe for a terminal: every string from a file (node names, file
    names) has its control characters escaped — no colour codes, no forged second lines —
    and is cut to ``limit`` characters. Containers are copied, numbers kept."""
    if isinstance(value, str):
        text = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in value)
        return text if len(text) <= limit else text[: limit - 1] + "…"
    if isinstance(value, dict):
        return {printable(k, limit): printable(v, limit) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(printable(v, limit) for v in value)
    return value


def _si(value: float, unit: str) -> str:
    for factor, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1, ""),
                           (1e-3, "m"), (1e-6, "µ"), (1e-9, "n"), (1e-12, "p"), (1e-15, "f")):
        if abs(value) >= factor:
            return f"{value / factor:.3g} {prefix}{unit}"
    return f"{value:.3g} {unit}"


def short_name(name: str, op: str) -> str:
    """A torch-exported node name for display: '/layer4/layer4.1/conv2/Conv' → 'layer4.1/conv2'."""
    parts = [p for p in name.strip("/").split("/") if p]
    if len(parts) > 1 and parts[-1].split("_")[0] == op:
        parts.pop()
    kept = [p for i, p in enumerate(parts) if i + 1 >= len(parts) or not parts[i + 1].startswith(p)]
    return "/".join(kept) or name


def render_compile(report: dict[str, Any], console: Any, max_layers: int = 40) -> None:
    from imcsim.tables import Table

    report = printable(report)

    m, a, mp = report["model"], report["arch"], report["mapping"]
    perf, en, ar = report["performance"], report["energy"], report["area"]
    console.print(f"{m['name']} on {a['name']} ({a['source']}); "
                  f"ADC model: {a['adc_model']}; readout: {a['readout']}")
    console.print(f"crossbar activity: {en['activity']}")
    summary = Table(title="Summary", show_header=False)
    rows = [
        ("MACs on crossbars", f"{m['macs']:,}"), ("weights / parameters",
                                                  f"{m['weights']:,} / {m['parameters']:,}"),
        ("digital ops", f"{m['digital_ops']:,}"),
        ("arrays / chips", f"{mp['arrays']:,} / {mp['chips']}"
         + ("" if mp["fits_one_chip"] else "  (model spans several chips)")),
        ("utilization", f"{mp['utilization']:.1%}  (duplication {mp['duplication']})"),
        ("latency" + (f" / batch of {m['batch']}" if m["batch"] > 1 else " / inference"),
         _si(perf["latency_s"], "s")),
        ("throughput", f"{perf['throughput_inf_per_s']:,.1f} inf/s  (bottleneck: {perf['bottleneck']})"),
        ("achieved / peak", f"{perf['tops']:.3g} / {perf['peak_tops']:.3g} TOPS"),
        ("energy / inference", _si(en["total_j"], "J") + f"  ({en['tops_per_w']:.3g} TOPS/W)"),
        ("area", f"{ar['total_mm2']:.4g} mm²  ({ar['tops_per_mm2']:.3g} TOPS/mm²)"),
        ("ADC share", f"{report['adc']['energy_fraction']:.1%} of energy, "
                      f"{report['adc']['area_fraction']:.1%} of area"),
    ]
    for k, v in rows:
        summary.add_row(k, v)
    console.print(summary)
    breakdown = Table(title="Breakdown by component")
    for col in ("component", "energy", "share", "area mm²", "share"):
        breakdown.add_column(col, justify="right" if col != "component" else "left")
    names = list(dict.fromkeys([*en["breakdown"], *ar["breakdown"]]))
    for name in names:
        e, s = en["breakdown"].get(name, 0.0), ar["breakdown"].get(name, 0.0)
        breakdown.add_row(name, _si(e, "J"), f"{e / en['total_j']:.1%}" if en["total_j"] else "-",
                          f"{s:.4g}", f"{s / ar['total_mm2']:.1%}")
    console.print(breakdown)
    layers = Table(title="Crossbar layers" + (
        f" (first {max_layers})" if sum(1 for r in report["layers"] if r["arrays"]) > max_layers else ""))
    for col in ("layer", "op", "MACs", "arrays", "dup", "util", "time", "energy"):
        if col in ("layer", "op"):
            layers.add_column(col, justify="left", overflow="fold",
                              min_width=16 if col == "layer" else None)
        else:
            layers.add_column(col, justify="right", no_wrap=True)
    shown = 0
    for r in report["layers"]:
        if r["utilization"] is None:
            continue
        if shown == max_layers:
            break
        shown += 1
        layers.add_row(short_name(r["name"], r["op"]), r["op"], _si(r["macs"], ""), f"{r['arrays']:,}",
                       str(r["duplication"]), f"{r['utilization']:.0%}",
                       _si(r["latency_s"], "s"), _si(r["energy_j"], "J"))
    console.print(layers)
    if "cycle" in report:
        render_cycle(report, console)


def render_cycle(report: dict[str, Any], console: Any, top: int = 8) -> None:
    """The cycle-level run: figures next to the analytical ones, stalls by reason and by
    layer, utilisation, and the critical path."""
    from imcsim.tables import Table

    c = report["cycle"]
    t = Table(title=f"Cycle-level simulation ({c['events']:,} row events, buffers "
              f"{c['buffers']})", show_header=True)
    for col in ("", "cycle-level", "analytical"):
        t.add_column(col, justify="right" if col else "left")
    t.add_row("latency", _si(c["latency_s"], "s"), _si(c["analytical_latency_s"], "s"))
    t.add_row("throughput", f"{c['throughput_inf_per_s']:,.1f} inf/s",
              f"{c['analytical_throughput_inf_per_s']:,.1f} inf/s")
    t.add_row("energy / inference", _si(c["energy_j"], "J"),
              _si(report["energy"]["total_j"], "J"))
    for reason, seconds in c["stalls"].items():
        t.add_row(f"stalls: {reason.replace('_', ' ')} (layer-seconds)", _si(seconds, "s"), "")
    for what, frac in c["utilization"].items():
        t.add_row(f"utilization: {what}", f"{frac:.1%}", "")
    console.print(t)
    def held_up(r: dict[str, Any]) -> tuple[float, float]:
        """Held up by the hardware first (buffer room, transfers, units); then crossbar
        layers waiting for inputs (a fast digital layer waiting for its input is idle,
        not held up)."""
        st = r["cycle"]["stalls"]
        return (sum(v for k, v in st.items() if k != "input_wait"),
                st["input_wait"] if r["kind"] != "digital" else 0.0)

    stalled = sorted((r for r in report["layers"] if r.get("cycle")),
                     key=lambda r: tuple(-v for v in held_up(r)))[:top]
    stalled = [r for r in stalled if any(held_up(r))]
    if stalled:
        s = Table(title=f"Most held-up layers (first {len(stalled)}: waiting for buffer "
                  "room, transfers or units, then crossbar layers waiting for inputs)")
        for col in ("layer", "start", "end", "busy", *c["stalls"]):
            s.add_column(col.replace("_", " "), justify="left" if col == "layer" else "right")
        for r in stalled:
            rc = r["cycle"]
            s.add_row(short_name(r["name"], r["op"]), _si(rc["start_s"], "s"),
                      _si(rc["end_s"], "s"), _si(rc["busy_s"], "s"),
                      *(_si(rc["stalls"][k], "s") for k in c["stalls"]))
        console.print(s)
    path = c["critical_path"]
    shown = " → ".join(path if len(path) <= 12 else [*path[:5], "…", *path[-6:]])
    console.print(f"critical path ({len(path)} layers): {shown}", soft_wrap=True)


def render_arch(report: dict[str, Any], console: Any) -> None:
    from imcsim.tables import Table

    report = printable(report)

    a = report["arch"]
    console.print(f"{a['name']} ({a['source']}); ADC model: {a['adc_model']}; "
                  f"readout: {a['readout']}")
    t = Table(title="Peak figures (one chip)", show_header=False)
    t.add_row("peak throughput", f"{report['performance']['peak_tops']:.4g} TOPS")
    t.add_row("peak power", f"{report['power']['total_w']:.4g} W")
    t.add_row("efficiency", f"{report['energy']['peak_tops_per_w']:.4g} TOPS/W")
    t.add_row("area", f"{report['area']['total_mm2']:.4g} mm²  "
                      f"({report['area']['tops_per_mm2']:.4g} TOPS/mm²)")
    t.add_row("ADC share", f"{report['adc']['power_fraction']:.1%} of power, "
                           f"{report['adc']['area_fraction']:.1%} of area")
    t.add_row("ADC share of tiles", f"{report['adc']['tile_power_fraction']:.1%} of power, "
                                    f"{report['adc']['tile_area_fraction']:.1%} of area")
    console.print(t)
    c = Table(title="Components")
    for col in ("component", "level", "count", "action", "energy pJ", "area µm²", "peak W", "mm²"):
        c.add_column(col, justify="left" if col in ("component", "level", "action") else "right")
    for name, comp in report["components"].items():
        c.add_row(name, comp["level"], f"{comp['count']:g}", comp["action"],
                  f"{comp['energy_pj']:.4g}", f"{comp['area_um2']:.4g}",
                  f"{report['power']['breakdown'].get(name, 0.0):.4g}",
                  f"{report['area']['breakdown'].get(name, 0.0):.4g}")
    console.print(c)
