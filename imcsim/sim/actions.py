"""Action counts: how many times each component acts, per layer, per inference.

These counts are the reusable structure between the mapping and any simulator: the
analytical model here prices them, and a cycle-level simulator can schedule the same
counts. Counting conventions (per input-vector step of a crossbar layer, c = input
cycles = ceil(input_bits / dac_bits)):

- crossbar cell reads = c · rows driven · array columns (all cells on a driven row conduct)
- DAC pulses = c · rows driven; S&H samples = ADC conversions = shift-adds = c · columns read
- input register bytes = DAC pulses · dac_bits / 8; output register bytes = conversions ·
  adc_bits / 8
- buffer and bus bytes = K·G inputs · input bytes + N·G outputs · output bytes
- accumulator adds = N·G outputs + partial-sum adds across row tiles + offset correction
- router and tile-output-register bytes = the layer's output activations, once
Digital layers: ALU / special-function / pooling ops or digital MACs as counted by the
front end, buffer bytes for their outputs (read and written), router bytes for outputs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from compiler.ir import DigitalKind, Layer, Network
from compiler.mapping import Mapping
from imcsim.config import Arch

_UNIT_OF = {
    DigitalKind.ELEMENTWISE: "alu", DigitalKind.REDUCE: "alu", DigitalKind.NORM: "alu",
    DigitalKind.NONLINEAR: "activation", DigitalKind.SOFTMAX: "activation",
    DigitalKind.POOL: "pooling", DigitalKind.MATMUL: "digital_mac",
}


@dataclass
class LayerActions:
    layer: str
    counts: dict[str, float] = field(default_factory=dict)

    def add(self, component: str, n: float) -> None:
        if n:
            self.counts[component] = self.counts.get(component, 0.0) + float(n)


def crossbar_step(arch: Arch, *, k: int, n: int, rows_driven: int, cols_read: int,
                  extra_adds: int) -> dict[str, float]:
    """Actions of one input-vector step of a crossbar layer (one MVM on every group)."""
    p = arch.precision
    c = math.ceil(p.input_bits / p.dac_bits)
    in_b, out_b = p.input_bits / 8, p.output_bits / 8
    conversions = c * cols_read
    pulses = c * rows_driven
    moved = k * in_b + n * out_b
    return {
        "crossbar": pulses * arch.array.cols,
        "dac": pulses,
        "sample_hold": conversions,
        "adc": conversions,
        "shift_add": conversions,
        "input_register": pulses * p.dac_bits / 8,
        "output_register": conversions * arch.adc.bits / 8,
        "buffer": moved,
        "bus": moved,
        "accumulator": n + extra_adds,
    }


def output_traffic(arch: Arch, elements: int) -> dict[str, float]:
    b = elements * arch.precision.output_bits / 8
    return {"router": b, "tile_output_register": b}


def count_actions(net: Network, mapping: Mapping, arch: Arch) -> dict[str, LayerActions]:
    out_b = arch.precision.output_bits / 8
    result: dict[str, LayerActions] = {}
    for layer in net.layers():
        acts = LayerActions(layer.name)
        if layer.crossbar is not None:
            m = mapping.layers[layer.name]
            t, w = m.tiling, layer.crossbar
            step = crossbar_step(arch, k=w.rows * w.groups, n=w.cols * w.groups,
                                 rows_driven=t.rows_driven, cols_read=t.cols_read,
                                 extra_adds=t.partial_sum_adds + t.offset_adds)
            for comp, n in step.items():
                acts.add(comp, n * w.mvms)
        elif layer.digital is not None:
            _digital(acts, layer, out_b)
        if layer.digital is None or layer.digital.kind is not DigitalKind.VIEW:
            for comp, n in output_traffic(arch, layer.out_elements).items():
                acts.add(comp, n)
        result[layer.name] = acts
    return result


def _digital(acts: LayerActions, layer: Layer, out_b: float) -> None:
    d = layer.digital
    assert d is not None
    unit = _UNIT_OF.get(d.kind)
    if unit == "digital_mac":
        acts.add(unit, d.macs)
    elif unit is not None:
        acts.add(unit, d.ops)
    if d.kind is DigitalKind.DATA_MOVE:
        acts.add("buffer", 2 * d.elements_moved * out_b)
        acts.add("bus", 2 * d.elements_moved * out_b)
    elif d.kind not in (DigitalKind.VIEW, DigitalKind.UNKNOWN):
        acts.add("buffer", 2 * layer.out_elements * out_b)  # read operands, write result


def io_bytes(net: Network, arch: Arch) -> float:
    """Bytes in and out of the chip per inference: model inputs and outputs."""
    b_in, b_out = arch.precision.input_bits / 8, arch.precision.output_bits / 8
    ins = sum(math.prod(s) for s in net.inputs.values()) * b_in
    produced = {t: layer.out_elements for layer in net.layers() for t in layer.outputs[:1]}
    outs = sum(produced.get(o, 0) for o in net.outputs) * b_out
    return ins + outs
