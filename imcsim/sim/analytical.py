"""Analytical timing, energy and area: prices the action counts of :mod:`imcsim.sim.actions`.

Timing model:

- an ADC converts q = cols_per_adc · arrays_per_adc columns per read (fewer when columns
  are combined in analog first: one conversion per differential pair, one per weight's
  slices), each in the model's conversion time;
- ``per_bit`` readout: an input cycle is max(read time, q conversions) — the S&H holds a
  read while the shared ADC converts its columns, so reads and conversions overlap; a step
  (one MVM) is input cycles × row groups × that;
- ``integrate`` readout: in each phase the columns integrate Σ_k 2^(k·dac_bits) unit pulses
  of the read time, then the ADCs convert q columns; the integrator holds its charge while
  converting, so a step is row groups × Σ_phases (pulses · read time + q conversions), no
  overlap;
- a crossbar layer with d copies takes max(ceil(mvms / d), sequential) steps (an RNN's
  time steps run one after another);
- a digital layer takes ops / (units per tile · tiles in use · clock) on its unit, data
  movement bytes / (bus width · tiles in use · clock);
- a layer that reads activations from another chip adds bytes / (links · link bandwidth)
  (nothing with ``chip.io_links: 0``, a macro with no links of its own);
- layers form a pipeline of output rows (:mod:`imcsim.sim.workload`): a layer makes its
  rows in order, each in stage time / rows, and a row starts once the layer's previous
  row is done and its producers have made the rows it reads (a conv window with its
  stride and padding, the matching row of a row-wise op, everything for Gemm/global
  pooling); with unbounded buffers this recurrence has a closed form per layer. Latency
  is the finish of the last row; steady-state throughput is 1 / the slowest stage (layers
  sharing arrays add up), which is named as the bottleneck. The cycle-level simulator
  (:mod:`imcsim.sim.cycle`) runs the same rows with finite buffers and shared links,
  buses and digital units.

With a batch (``net.batch`` inferences per run of the graph) stage times and the latency
are those of the whole batch; throughput is batch / slowest stage in inferences per
second, and energies are per inference (the batch's energy / batch).

Energy lines that belong to no layer are their own lines, so the per-layer energies and
these add up to the total: ``model I/O`` (model inputs and outputs through the off-chip
links) and ``static`` (every component's leakage over the batch's latency, per inference).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from imcsim.compiler.errors import MappingError
from imcsim.compiler.ir import DigitalKind, Network
from imcsim.compiler.mapping import Mapping
from imcsim.config import Arch, ReadoutStyle
from imcsim.cost import Component, Level, build_components
from imcsim.sim.actions import (
    Activity,
    LayerActions,
    count_actions,
    crossbar_step,
    input_cycles,
    io_bytes,
    layer_activity,
    output_traffic,
    pulse_weights,
)
from imcsim.sim.workload import Fabric, Workload, build_workload, pipeline

IO_LINE = "model I/O"  # layer-table line of the model's inputs and outputs
STATIC_LINE = "static"  # layer-table line of leakage energy


def conversion_time_s(arch: Arch, comps: dict[str, Component]) -> float:
    """Time one ADC needs for the conversions of one read."""
    per_adc = arch.array_spec().sensed_columns(arch.adc.cols_per_adc * arch.adc.arrays_per_adc)
    return per_adc * comps["adc"].latency_s


def array_cycle_s(arch: Arch, comps: dict[str, Component]) -> float:
    """One input cycle of a per-bit read (read and conversions overlap)."""
    return max(comps["crossbar"].latency_s, conversion_time_s(arch, comps))


def step_time_s(arch: Arch, comps: dict[str, Component], *, signed: bool = False,
                row_groups: int = 1) -> float:
    """Time of one input-vector step (one MVM, all input-bit cycles) of a crossbar layer."""
    c = input_cycles(arch, signed)
    if arch.readout.style is ReadoutStyle.INTEGRATE:
        pulses = sum(pulse_weights(arch, c))
        phases = len(arch.readout.phases(c))
        return row_groups * (pulses * comps["crossbar"].latency_s
                             + phases * conversion_time_s(arch, comps))
    return row_groups * c * array_cycle_s(arch, comps)


@dataclass
class LayerResult:
    name: str
    op: str
    kind: str
    macs: int  # in one run of the graph (the whole batch)
    weights: int
    arrays: int
    duplication: int
    utilization: float | None
    latency_s: float  # time this stage needs per run of the graph (the whole batch)
    start_s: float
    finish_s: float
    energy_j: float  # per inference
    energy_by_component: dict[str, float]  # per inference


@dataclass
class SimResult:
    layers: list[LayerResult]
    latency_s: float  # the whole batch through the layer pipeline
    throughput_inf_per_s: float  # inferences per second: batch / slowest stage
    bottleneck: str
    energy_j: float  # per inference
    energy_by_component: dict[str, float]  # per inference
    area_m2: float
    area_by_component: dict[str, float]
    chips: int
    peak_ops_per_s: float
    batch: int = 1  # inferences per run of the graph
    activity_source: str = "default"  # where the crossbar layers' data statistics came from
    actions: dict[str, LayerActions] = field(repr=False, default_factory=dict)  # per run
    workload: Workload | None = field(repr=False, default=None)  # what the timing came from


def area_units(arch: Arch, c: Component) -> float:
    """Units of component ``c`` on one chip."""
    h = arch.hierarchy
    per = {
        Level.ARRAY: h.arrays_per_core * h.cores_per_tile * h.tiles_per_chip,
        Level.CORE: h.cores_per_tile * h.tiles_per_chip,
        Level.TILE: h.tiles_per_chip,
        Level.CHIP: 1,
    }
    return c.count * per[c.level]


def chip_area(arch: Arch, comps: dict[str, Component]) -> dict[str, float]:
    """Area of one chip by component (m²)."""
    return {c.name: area_units(arch, c) * c.area_m2 for c in comps.values()}


def check_units(net: Network, actions: dict[str, LayerActions],
                comps: dict[str, Component]) -> None:
    """A digital op needs its unit: refuse a model whose ops the architecture cannot run."""
    keys = {"alu": "tile.alus", "activation": "tile.activation_units",
            "pooling": "tile.pooling_units", "digital_mac": "tile.digital_macs"}
    for layer in net.digital_layers():
        for unit, key in keys.items():
            if unit in actions[layer.name].counts and unit not in comps:
                raise MappingError(
                    f"layer '{layer.name}' ({layer.op}) needs the '{unit}' unit, but the "
                    f"architecture has none ({key} = 0); set {key} ≥ 1")


def peak_ops_per_s(arch: Arch, comps: dict[str, Component]) -> float:
    """2 ops per MAC, every array of one chip busy with a full weight block."""
    spec = arch.array_spec()
    weights_per_array = spec.rows * spec.cols / (spec.slices * spec.scheme.columns_per_weight)
    return 2 * spec.arrays_per_chip * weights_per_array / step_time_s(
        arch, comps, row_groups=math.ceil(spec.rows / spec.read_rows))


def simulate(net: Network, mapping: Mapping, arch: Arch,
             activity: dict[str, Activity] | None = None) -> SimResult:
    """Timing, energy and area of one run of the graph; ``activity`` (per crossbar layer,
    e.g. measured by :func:`imcsim.functional.activity.measure_activity`) replaces the defaults."""
    comps = build_components(arch)
    activity = {**layer_activity(net, arch), **(activity or {})}
    actions = count_actions(net, mapping, arch, activity)
    check_units(net, actions, comps)
    stage, io, units = stage_times(net, mapping, arch, comps, actions, activity)
    link = arch.chip.io_links * arch.chip.io_bandwidth_bytes_per_s if arch.chip.io_links else 0.0
    bus = {layer.name: actions[layer.name].counts.get("bus", 0.0)
           for layer in net.crossbar_layers()}
    work = build_workload(net, mapping, stage, arch.precision.output_bits, arch.tile.buffer_bytes,
                          io, link, fabric(arch), bus, units)
    start, finish = schedule(work)
    bottleneck, slowest = bottleneck_stage(net, mapping, stage)
    batch = max(1, net.batch)
    energy = {name: {c: n * comps[c].energy_j / batch for c, n in a.counts.items()
                     if c in comps}  # an absent component (sized 0) costs nothing
              for name, a in actions.items()}
    latency = max(finish.values(), default=0.0)
    io_e = io_bytes(net, arch) * comps["io"].energy_j / batch if "io" in comps else 0.0
    if io_e:
        energy[IO_LINE] = {"io": io_e}
    area = {c: a * mapping.chips for c, a in chip_area(arch, comps).items()}
    static = {c.name: area_units(arch, c) * mapping.chips * c.static_w * latency / batch
              for c in comps.values() if c.static_w}
    if static:
        energy[STATIC_LINE] = static
    energy_by_comp: dict[str, float] = {}
    for e in energy.values():
        for c, v in e.items():
            energy_by_comp[c] = energy_by_comp.get(c, 0.0) + v
    layer_results = []
    for layer in net.layers():
        m = mapping.layers.get(layer.name)
        layer_results.append(LayerResult(
            name=layer.name, op=layer.op, kind=layer.kind.value, macs=layer.macs,
            weights=layer.crossbar.weights if layer.crossbar else 0,
            arrays=m.arrays if m else 0, duplication=m.duplication if m else 0,
            utilization=m.utilization if m else None, latency_s=stage[layer.name],
            start_s=start[layer.name], finish_s=finish[layer.name],
            energy_j=sum(energy[layer.name].values()), energy_by_component=energy[layer.name],
        ))
    layer_results.extend(
        LayerResult(name=line, op="", kind="other", macs=0, weights=0, arrays=0, duplication=0,
                    utilization=None, latency_s=0.0, start_s=0.0, finish_s=latency,
                    energy_j=sum(energy[line].values()), energy_by_component=energy[line])
        for line in (IO_LINE, STATIC_LINE) if line in energy)
    return SimResult(
        layers=layer_results, latency_s=latency,
        throughput_inf_per_s=batch / slowest if slowest > 0 else math.inf,
        bottleneck=bottleneck, energy_j=sum(energy_by_comp.values()),
        energy_by_component=energy_by_comp, area_m2=sum(area.values()), area_by_component=area,
        chips=mapping.chips, peak_ops_per_s=peak_ops_per_s(arch, comps) * mapping.chips,
        batch=batch, actions=actions, activity_source=activity_label(arch, activity),
        workload=work,
    )


def activity_label(arch: Arch, activity: dict[str, Activity]) -> str:
    sources = sorted({a.source for a in activity.values() if a.source != "default"})
    if sources:
        return "measured: " + ", ".join(sources)
    return (f"default: input activity {arch.array.input_activity:g} per input bit, cells read at "
            "G_ref = (G_on + G_off)/2")


def fabric(arch: Arch) -> Fabric:
    """The tile buses and the mesh network-on-chip of ``arch`` (``tile.routers`` routers
    per tile: 1/routers tiles share one; none: no network modelled)."""
    clock = arch.technology.clock_hz
    routers = arch.tile.routers
    return Fabric(
        tiles_per_chip=arch.hierarchy.tiles_per_chip,
        tiles_per_router=max(1, round(1 / routers)) if routers > 0 else 1,
        noc_bytes_per_s=arch.noc.flit_bits / 8 * clock if routers > 0 else 0.0,
        hop_s=arch.noc.hop_cycles / clock, bus_bytes_per_s=arch.tile.bus_width_bits / 8 * clock)


def stage_times(net: Network, mapping: Mapping, arch: Arch, comps: dict[str, Component],
                actions: dict[str, LayerActions], activity: dict[str, Activity],
                ) -> tuple[dict[str, float], dict[str, float], dict[str, str]]:
    """Time each layer needs for one run of the graph, on its own (s); the part of it
    spent receiving inputs from other chips over the chip links (s); and for each digital
    layer the unit its time is spent on (the slowest of those it uses)."""
    tiles_used = mapping.tiles_used
    clock = arch.technology.clock_hz
    bus_bytes_per_s = arch.tile.bus_width_bits / 8 * clock * tiles_used
    # no links (a macro): traffic between chips is neither timed nor costed (the CLI says so)
    io_bytes_per_s = (arch.chip.io_links * arch.chip.io_bandwidth_bytes_per_s
                      if arch.chip.io_links else math.inf)
    stage: dict[str, float] = {}
    io: dict[str, float] = {}
    units: dict[str, str] = {}
    steps: dict[tuple[bool, int], float] = {}  # step time by (signed inputs, row groups)
    for layer in net.layers():
        acts = actions[layer.name].counts
        if layer.crossbar is not None:
            m = mapping.layers[layer.name]
            act = activity.get(layer.name)
            key = (bool(act and act.signed), m.tiling.row_groups)
            if key not in steps:
                steps[key] = step_time_s(arch, comps, signed=key[0], row_groups=key[1])
            t = m.steps * steps[key]
        else:
            assert layer.digital is not None
            t = 0.0
            for unit in ("alu", "activation", "pooling", "digital_mac"):
                if unit in acts:
                    n = max(1.0, comps[unit].count) * tiles_used
                    if acts[unit] / (n * clock) > t:
                        t, units[layer.name] = acts[unit] / (n * clock), unit
            if layer.digital.kind is DigitalKind.DATA_MOVE:
                if acts.get("bus", 0.0) / bus_bytes_per_s > t:
                    t, units[layer.name] = acts.get("bus", 0.0) / bus_bytes_per_s, "bus"
        io[layer.name] = acts.get("io", 0.0) / io_bytes_per_s  # inputs from other chips
        stage[layer.name] = t + io[layer.name]
    return stage, io, units


def schedule(work: Workload) -> tuple[dict[str, float], dict[str, float]]:
    """Start (first row) and finish (last row) of every layer in the row pipeline (s):
    :func:`imcsim.sim.workload.pipeline`, rows flowing with unbounded buffers."""
    start, finish = pipeline(work)
    names = [w.name for w in work.layers]
    return dict(zip(names, start, strict=True)), dict(zip(names, finish, strict=True))


def bottleneck_stage(net: Network, mapping: Mapping,
                     stage: dict[str, float]) -> tuple[str, float]:
    """The slowest steady-state stage (layers sharing arrays are one stage) and its time."""
    shared: dict[str, float] = {}
    for layer in net.layers():
        key = mapping.layers[layer.name].weight if layer.crossbar is not None else layer.name
        shared[key] = shared.get(key, 0.0) + stage[layer.name]
    key = max(shared, key=shared.__getitem__)
    name = next((n for n, m in mapping.layers.items() if m.weight == key and m.owner), key)
    return name, shared[key]


@dataclass
class PeakResult:
    ops_per_s: float
    power_w: float
    power_by_component: dict[str, float]
    area_m2: float
    area_by_component: dict[str, float]
    array_cycle_s: float
    components: dict[str, Component]


def peak(arch: Arch) -> PeakResult:
    """Peak figures of one chip: every core runs a full weight block every step.

    The synthetic load goes through the same action counting as a model layer: per core
    and step, K = rows inputs, N = arrays·cols / (slices·columns per weight) outputs, one
    special-function op, one pooling op and the output traffic of each output; the chip's
    off-chip links run at their full bandwidth.
    """
    comps = build_components(arch)
    spec = arch.array_spec()
    h = arch.hierarchy
    n_out = h.arrays_per_core * spec.cols // (spec.slices * spec.scheme.columns_per_weight)
    row_groups = math.ceil(spec.rows / spec.read_rows)
    sensed = spec.sensed_columns(spec.cols)
    step = crossbar_step(
        arch, k=spec.rows, n=n_out, rows_driven=spec.rows * h.arrays_per_core,
        cols_read=sensed * row_groups * h.arrays_per_core,
        extra_adds=(row_groups - 1) * n_out,
    )
    step.update(output_traffic(arch, n_out))
    step["activation"] = n_out
    step["pooling"] = n_out
    t_step = step_time_s(arch, comps, row_groups=row_groups)
    cores = h.cores_per_tile * h.tiles_per_chip
    power = {c: n * comps[c].energy_j * cores / t_step for c, n in step.items() if c in comps}
    if "io" in comps:
        power["io"] = comps["io"].count * arch.chip.io_bandwidth_bytes_per_s * comps["io"].energy_j
    for c in comps.values():
        if c.static_w:
            power[c.name] = power.get(c.name, 0.0) + area_units(arch, c) * c.static_w
    area = chip_area(arch, comps)
    return PeakResult(
        ops_per_s=peak_ops_per_s(arch, comps), power_w=sum(power.values()),
        power_by_component=power, area_m2=sum(area.values()), area_by_component=area,
        array_cycle_s=t_step / (row_groups * input_cycles(arch, False)), components=comps,
    )
