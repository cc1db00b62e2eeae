"""Analytical timing, energy and area: prices the action counts of :mod:`imcsim.sim.actions`.

Timing model:

- an array cycle is max(read time, cols_per_adc / ADC sample rate): the S&H holds a read
  while the shared ADC converts its columns, so reads and conversions overlap;
- a crossbar layer with d copies takes ceil(mvms / d) · input_cycles · array cycle;
- a digital layer takes ops / (units per tile · tiles in use · clock) on its unit, data
  movement bytes / (bus width · tiles in use · clock);
- layers form a pipeline: a layer starts once its producers have made the rows it needs
  (a k-row conv window, one row for a row-wise op, everything for Gemm/global pooling),
  and finishes no earlier than one of its output rows after its last producer. Latency is
  the finish of the last layer; steady-state throughput is 1 / the slowest stage (layers
  sharing arrays add up), which is named as the bottleneck.
Static (leakage) power is not modelled: energies are dynamic, per action.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from compiler.ir import DigitalKind, LayerKind, Network
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
    macs: int
    weights: int
    arrays: int
    duplication: int
    utilization: float | None
    latency_s: float  # time this stage needs per inference
    start_s: float
    finish_s: float
    energy_j: float
    energy_by_component: dict[str, float]


@dataclass
class SimResult:
    layers: list[LayerResult]
    latency_s: float
    throughput_inf_per_s: float
    bottleneck: str
    energy_j: float
    energy_by_component: dict[str, float]
    area_m2: float
    area_by_component: dict[str, float]
    chips: int
    peak_ops_per_s: float
    actions: dict[str, LayerActions] = field(repr=False, default_factory=dict)


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
    step = step_time_s(arch, comps)
    tiles_used = max(1, len({(c[0], c[1]) for m in mapping.layers.values() for c in m.cores}))
    clock = arch.technology.clock_hz
    bus_bytes_per_s = arch.tile.bus_width_bits / 8 * clock * tiles_used

    stage: dict[str, float] = {}
    rows_of: dict[str, int] = {}
    for layer in net.layers():
        if layer.crossbar is not None:
            stage[layer.name] = mapping.layers[layer.name].steps * step
            rows_of[layer.name] = max(1, layer.crossbar.out_rows)
        else:
            d = layer.digital
            assert d is not None
            acts = actions[layer.name].counts
            t = 0.0
            for unit in ("alu", "activation", "pooling", "digital_mac"):
                if unit in acts:
                    units = max(1.0, comps[unit].count) * tiles_used
                    t = max(t, acts[unit] / (units * clock))
            if d.kind is DigitalKind.DATA_MOVE:
                t = max(t, acts.get("bus", 0.0) / bus_bytes_per_s)
            stage[layer.name] = t
            rows_of[layer.name] = layer.out_shape[2] if len(layer.out_shape) >= 4 else 1

    # pipeline schedule over the DAG
    start: dict[str, float] = {}
    finish: dict[str, float] = {}
    for layer in net.layers():
        preds = net.predecessors(layer.name)
        s, f_min = 0.0, 0.0
        for p in preds:
            need = _fraction_needed(layer, rows_of[p])
            s = max(s, start[p] + need * stage[p])
            f_min = max(f_min, finish[p])
        start[layer.name] = s
        finish[layer.name] = max(s + stage[layer.name],
                                 f_min + stage[layer.name] / rows_of[layer.name])
    latency = max(finish.values()) if finish else 0.0

    # steady state: layers sharing arrays are one stage
    shared: dict[str, float] = {}
    for layer in net.layers():
        key = mapping.layers[layer.name].weight if layer.crossbar is not None else layer.name
        shared[key] = shared.get(key, 0.0) + stage[layer.name]
    bottleneck_key = max(shared, key=shared.__getitem__)
    bottleneck = next(
        (name for name, m in mapping.layers.items() if m.weight == bottleneck_key and m.owner),
        bottleneck_key)
    slowest = shared[bottleneck_key]

    energy_by_comp: dict[str, float] = {}
    layer_results = []
    for layer in net.layers():
        e = {c: n * comps[c].energy_j for c, n in actions[layer.name].counts.items()}
        for c, v in e.items():
            energy_by_comp[c] = energy_by_comp.get(c, 0.0) + v
        m = mapping.layers.get(layer.name)
        layer_results.append(LayerResult(
            name=layer.name, op=layer.op, kind=layer.kind.value, macs=layer.macs,
            weights=layer.crossbar.weights if layer.crossbar else 0,
            arrays=m.arrays if m else 0, duplication=m.duplication if m else 0,
            utilization=m.utilization if m else None, latency_s=stage[layer.name],
            start_s=start[layer.name], finish_s=finish[layer.name],
            energy_j=sum(e.values()), energy_by_component=e,
        ))
    io_e = io_bytes(net, arch) * comps["io"].energy_j
    if io_e:
        energy_by_comp["io"] = energy_by_comp.get("io", 0.0) + io_e
    area = {c: a * mapping.chips for c, a in chip_area(arch, comps).items()}
    return SimResult(
        layers=layer_results, latency_s=latency,
        throughput_inf_per_s=1.0 / slowest if slowest > 0 else math.inf,
        bottleneck=bottleneck, energy_j=sum(energy_by_comp.values()),
        energy_by_component=energy_by_comp, area_m2=sum(area.values()), area_by_component=area,
        chips=mapping.chips, peak_ops_per_s=peak_ops_per_s(arch, comps) * mapping.chips,
        actions=actions,
    )


def _fraction_needed(layer, producer_rows: int) -> float:  # type: ignore[no-untyped-def]
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
        kernel = layer.attr("kernel_shape", (1,))
        return min(1.0, kernel[0] / producer_rows) if kernel else 1.0
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
