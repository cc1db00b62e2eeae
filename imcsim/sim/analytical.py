"""Analytical timing, energy and area: prices the action counts of :mod:`imcsim.sim.actions`.

Timing model:

- an array cycle is max(read time, cols_per_adc / ADC sample rate): the S&H holds a read
  while the shared ADC converts its columns, so reads and conversions overlap;
- a crossbar layer with d copies takes max(ceil(mvms / d), sequential) · input_cycles ·
  array cycle (an RNN's time steps run one after another);
- a digital layer takes ops / (units per tile · tiles in use · clock) on its unit, data
  movement bytes / (bus width · tiles in use · clock);
- a layer that reads activations from another chip adds bytes / (links · link bandwidth);
- layers form a pipeline: a layer starts once its producers have made the rows it needs
  (a k-row conv window, one row for a row-wise op, everything for Gemm/global pooling),
  and finishes no earlier than one of its output rows after its last producer. Latency is
  the finish of the last layer; steady-state throughput is 1 / the slowest stage (layers
  sharing arrays add up), which is named as the bottleneck.

With a batch (``net.batch`` inferences per run of the graph) stage times and the latency
are those of the whole batch; throughput is batch / slowest stage in inferences per
second, and energies are per inference (the batch's energy / batch).
Static (leakage) power is not modelled: energies are dynamic, per action.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from compiler.ir import DigitalKind, Layer, LayerKind, Network
from compiler.mapping import Mapping
from imcsim.config import Arch
from imcsim.cost import Component, Level, build_components
from imcsim.sim.actions import (
    LayerActions,
    count_actions,
    crossbar_step,
    io_bytes,
    output_traffic,
)


def array_cycle_s(arch: Arch, comps: dict[str, Component]) -> float:
    return max(comps["crossbar"].latency_s, arch.adc.cols_per_adc * comps["adc"].latency_s)


def step_time_s(arch: Arch, comps: dict[str, Component]) -> float:
    """Time of one input-vector step (all input-bit cycles) of a crossbar layer."""
    c = math.ceil(arch.precision.input_bits / arch.precision.dac_bits)
    return c * array_cycle_s(arch, comps)


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
    actions: dict[str, LayerActions] = field(repr=False, default_factory=dict)  # per run


def chip_area(arch: Arch, comps: dict[str, Component]) -> dict[str, float]:
    """Area of one chip by component (m²)."""
    h = arch.hierarchy
    per = {
        Level.ARRAY: h.arrays_per_core * h.cores_per_tile * h.tiles_per_chip,
        Level.CORE: h.cores_per_tile * h.tiles_per_chip,
        Level.TILE: h.tiles_per_chip,
        Level.CHIP: 1,
    }
    return {c.name: c.area_per_level_m2 * per[c.level] for c in comps.values()}


def peak_ops_per_s(arch: Arch, comps: dict[str, Component]) -> float:
    """2 ops per MAC, every array of one chip busy with a full weight block."""
    spec = arch.array_spec()
    weights_per_array = spec.rows * spec.cols / (spec.slices * spec.scheme.columns_per_weight)
    return 2 * spec.arrays_per_chip * weights_per_array / step_time_s(arch, comps)


def simulate(net: Network, mapping: Mapping, arch: Arch) -> SimResult:
    comps = build_components(arch)
    actions = count_actions(net, mapping, arch)
    stage = stage_times(net, mapping, arch, comps, actions)
    start, finish = schedule(net, stage)
    bottleneck, slowest = bottleneck_stage(net, mapping, stage)
    batch = max(1, net.batch)
    energy = {name: {c: n * comps[c].energy_j / batch for c, n in a.counts.items()}
              for name, a in actions.items()}
    energy_by_comp: dict[str, float] = {}
    for e in energy.values():
        for c, v in e.items():
            energy_by_comp[c] = energy_by_comp.get(c, 0.0) + v
    io_e = io_bytes(net, arch) * comps["io"].energy_j / batch
    if io_e:
        energy_by_comp["io"] = energy_by_comp.get("io", 0.0) + io_e
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
    area = {c: a * mapping.chips for c, a in chip_area(arch, comps).items()}
    return SimResult(
        layers=layer_results, latency_s=max(finish.values(), default=0.0),
        throughput_inf_per_s=batch / slowest if slowest > 0 else math.inf,
        bottleneck=bottleneck, energy_j=sum(energy_by_comp.values()),
        energy_by_component=energy_by_comp, area_m2=sum(area.values()), area_by_component=area,
        chips=mapping.chips, peak_ops_per_s=peak_ops_per_s(arch, comps) * mapping.chips,
        batch=batch, actions=actions,
    )


def stage_times(net: Network, mapping: Mapping, arch: Arch, comps: dict[str, Component],
                actions: dict[str, LayerActions]) -> dict[str, float]:
    """Time each layer needs for one run of the graph, on its own (s)."""
    step = step_time_s(arch, comps)
    tiles_used = max(1, len({(c[0], c[1]) for m in mapping.layers.values() for c in m.cores}))
    clock = arch.technology.clock_hz
    bus_bytes_per_s = arch.tile.bus_width_bits / 8 * clock * tiles_used
    io_bytes_per_s = max(1, arch.chip.io_links) * arch.chip.io_bandwidth_bytes_per_s
    stage: dict[str, float] = {}
    for layer in net.layers():
        acts = actions[layer.name].counts
        if layer.crossbar is not None:
            t = mapping.layers[layer.name].steps * step
        else:
            assert layer.digital is not None
            t = 0.0
            for unit in ("alu", "activation", "pooling", "digital_mac"):
                if unit in acts:
                    units = max(1.0, comps[unit].count) * tiles_used
                    t = max(t, acts[unit] / (units * clock))
            if layer.digital.kind is DigitalKind.DATA_MOVE:
                t = max(t, acts.get("bus", 0.0) / bus_bytes_per_s)
        stage[layer.name] = t + acts.get("io", 0.0) / io_bytes_per_s  # inputs from other chips
    return stage


def _out_rows(layer: Layer) -> int:
    """Rows a layer produces in order (the pipeline's unit of progress)."""
    if layer.crossbar is not None:
        return max(1, layer.crossbar.out_rows)
    return max(1, layer.out_shape[2]) if len(layer.out_shape) >= 4 else 1


def schedule(net: Network, stage: dict[str, float]) -> tuple[dict[str, float], dict[str, float]]:
    """Start and finish of every layer in the row pipeline over the DAG (s)."""
    start: dict[str, float] = {}
    finish: dict[str, float] = {}
    rows = {layer.name: _out_rows(layer) for layer in net.layers()}
    for layer in net.layers():
        s, f_min = 0.0, 0.0
        for p in net.predecessors(layer.name):
            s = max(s, start[p] + _fraction_needed(layer, rows[p]) * stage[p])
            f_min = max(f_min, finish[p])
        start[layer.name] = s
        finish[layer.name] = max(s + stage[layer.name],
                                 f_min + stage[layer.name] / rows[layer.name])
    return start, finish


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


def _window(kernel: Sequence[int], dilations: Sequence[int] | None) -> int:
    """Input rows under the first output row: d·(k − 1) + 1 on the row axis."""
    d = int(dilations[0]) if dilations else 1
    return d * (int(kernel[0]) - 1) + 1


def _fraction_needed(layer: Layer, producer_rows: int) -> float:
    """Fraction of a producer's output a layer needs before it can start."""
    if layer.kind is LayerKind.CONV and layer.crossbar is not None:
        return min(1.0, layer.crossbar.window_rows / producer_rows)
    if layer.kind in (LayerKind.GEMM, LayerKind.RNN):
        return 1.0
    d = layer.digital
    if d is not None and d.kind in (DigitalKind.REDUCE, DigitalKind.SOFTMAX, DigitalKind.NORM,
                                    DigitalKind.MATMUL):
        return 1.0
    if d is not None and d.kind is DigitalKind.POOL:
        kernel = layer.attr("kernel_shape")
        dilations = layer.attr("dilations")
        if not isinstance(kernel, Sequence) or not kernel:
            return 1.0
        window = _window(kernel, dilations if isinstance(dilations, Sequence) else None)
        return min(1.0, window / producer_rows)
    return min(1.0, 1.0 / producer_rows)


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
    step = crossbar_step(
        arch, k=spec.rows, n=n_out, rows_driven=spec.rows * h.arrays_per_core,
        cols_read=spec.cols * h.arrays_per_core, extra_adds=0,
    )
    step.update(output_traffic(arch, n_out))
    step["activation"] = n_out
    step["pooling"] = n_out
    t_step = step_time_s(arch, comps)
    cores = h.cores_per_tile * h.tiles_per_chip
    power = {c: n * comps[c].energy_j * cores / t_step for c, n in step.items()}
    power["io"] = comps["io"].count * arch.chip.io_bandwidth_bytes_per_s * comps["io"].energy_j
    area = chip_area(arch, comps)
    return PeakResult(
        ops_per_s=peak_ops_per_s(arch, comps), power_w=sum(power.values()),
        power_by_component=power, area_m2=sum(area.values()), area_by_component=area,
        array_cycle_s=array_cycle_s(arch, comps), components=comps,
    )
