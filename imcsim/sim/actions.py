"""Action counts: how many times each component acts, per layer, per run of the graph.

One run of the graph is one inference, or ``net.batch`` inferences with ``--batch``; the
simulator divides energies by the batch.

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
Chip boundaries: every activation byte a layer reads from a layer on another chip is one
``io`` action (counted once per tensor and receiving chip). A crossbar layer sits on the
chip of its weights' first core; a digital layer on the chip of its first producer (chip 0
when it reads only model inputs).
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
    for name, b in cross_chip_bytes(net, mapping, arch).items():
        result[name].add("io", b)
    return result


def layer_chips(net: Network, mapping: Mapping) -> dict[str, int]:
    """The chip each layer runs on (see the module docstring)."""
    weight_chip = {m.weight: m.cores[0][0] for m in mapping.layers.values() if m.owner and m.cores}
    producer = {t: layer.name for layer in net.layers() for t in layer.outputs}
    chip: dict[str, int] = {}
    for layer in net.layers():  # topological order: producers come first
        if layer.crossbar is not None:
            chip[layer.name] = weight_chip.get(mapping.layers[layer.name].weight, 0)
            continue
        first = next((producer[t] for t in layer.inputs
                      if t in producer and producer[t] != layer.name), None)
        chip[layer.name] = chip[first] if first is not None else 0
    return chip


def tensor_elements(layer: Layer, tensor: str) -> float:
    """Elements of one output tensor of ``layer``: the first output has ``out_shape``; any
    others share the rest of ``out_elements`` equally (exact for Split, TopK, RNN states)."""
    if len(layer.outputs) <= 1:
        return float(layer.out_elements)
    first = math.prod(layer.out_shape) if layer.out_shape else 0
    if tensor == layer.outputs[0] and layer.out_shape:
        return float(first)
    others = len(layer.outputs) - (1 if layer.out_shape else 0)
    return max(0.0, layer.out_elements - first) / others


def cross_chip_bytes(net: Network, mapping: Mapping, arch: Arch) -> dict[str, float]:
    """Bytes each layer receives from layers on other chips, per run of the graph."""
    if mapping.chips <= 1:
        return {}
    out_b = arch.precision.output_bits / 8
    chip = layer_chips(net, mapping)
    producer = {t: layer for layer in net.layers() for t in layer.outputs}
    sent: set[tuple[str, int]] = set()  # (tensor, receiving chip): each crosses once
    received: dict[str, float] = {}
    for layer in net.layers():
        for t in layer.inputs:
            src = producer.get(t)
            if src is None or src.name == layer.name or chip[src.name] == chip[layer.name]:
                continue
            if (t, chip[layer.name]) in sent:
                continue
            sent.add((t, chip[layer.name]))
            received[layer.name] = received.get(layer.name, 0.0) + tensor_elements(src, t) * out_b
    return received


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
    """Bytes in and out of the chips per run of the graph: model inputs and outputs (the
    traffic between chips is counted per layer by :func:`cross_chip_bytes`)."""
    b_in, b_out = arch.precision.input_bits / 8, arch.precision.output_bits / 8
    ins = sum(math.prod(s) for s in net.inputs.values()) * b_in
    produced = {t: layer.out_elements for layer in net.layers() for t in layer.outputs[:1]}
    outs = sum(produced.get(o, 0) for o in net.outputs) * b_out
    return ins + outs
