"""Action counts: how many times each component acts, per layer, per run of the graph.

One run of the graph is one inference, or ``net.batch`` inferences with ``--batch``; the
simulator divides energies by the batch.

These counts are the reusable structure between the mapping and any simulator: the
analytical model here prices them, and a cycle-level simulator can schedule the same
counts. Counting conventions (per input-vector step of a crossbar layer):

- input cycles c = ceil(magnitude bits / dac_bits), where the magnitude has input_bits
  bits for non-negative inputs and input_bits − 1 for signed ones: the sign is the pulse
  polarity, not an extra cycle;
- unit pulses of cycle j: w_j = 1 for ``per_bit`` readout; for ``integrate``, 2^(k·dac_bits)
  for the k-th cycle of its phase (binary-weighted pulse counts; one phase, or two with
  ``readout.two_phase_above_bits``); a_j = the activity of cycle j, the mean of
  (digit / (2^dac_bits − 1))² over the rows driven (energy ∝ V²; for 1-bit pulses the
  fraction that are high) — measured with ``--activity-from``, else array.input_activity;
- crossbar cell pulses = Σ_j w_j·a_j · rows driven · array columns · g, with g the mean
  conductance of the cells read over G_ref (measured, else 1);
- row drives (DAC) = Σ_j a_j · rows driven (a driver holds its level for the cycle);
  word-line toggles = c · rows driven (every row, whatever the data);
- conversions (= shift-adds) = c · columns read for ``per_bit``, phases · columns read for
  ``integrate``; columns read already count row groups (partial activation) and
  differential sensing (one conversion per pair); S&H samples = conversions for
  ``per_bit``, Σ_j w_j · columns read for ``integrate`` (the integrator takes every pulse);
- input register bytes = c · rows driven · dac_bits / 8; output register bytes =
  conversions · adc_bits / 8
- buffer and bus bytes = K·G inputs · input bytes + N·G outputs · output bytes
- accumulator adds = N·G outputs + partial-sum adds across row tiles + offset correction
- router and tile-output-register bytes = the layer's output activations, once (of a
  multi-output layer only the outputs something reads)
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

from imcsim.compiler.ir import DigitalKind, Layer, Network
from imcsim.compiler.mapping import Mapping
from imcsim.config import Arch, ReadoutStyle

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


@dataclass(frozen=True, slots=True)
class Activity:
    """The data a crossbar layer reads, as far as energy is concerned.

    ``bits``: per input cycle (LSB first) the mean of (digit / (2^dac_bits − 1))² over
    the rows driven; ``g_ratio``: mean conductance of the cells read / G_ref; ``signed``:
    the inputs have a sign (bipolar pulses, one magnitude bit fewer); ``source``: where
    the figures came from, for the report.
    """

    bits: tuple[float, ...]
    g_ratio: float = 1.0
    signed: bool = False
    source: str = "default"


def input_cycles(arch: Arch, signed: bool) -> int:
    p = arch.precision
    return max(1, math.ceil((p.input_bits - int(signed)) / p.applied_dac_bits))


def pulse_weights(arch: Arch, cycles: int) -> list[float]:
    """Unit pulses per input cycle: 1 each (per_bit), or 2^(k·dac_bits) for the k-th cycle
    of its integration phase (integrate)."""
    if arch.readout.style is ReadoutStyle.INTEGRATE:
        d = arch.precision.applied_dac_bits
        return [float(1 << (k * d)) for size in arch.readout.phases(cycles)
                for k in range(size)]
    return [1.0] * cycles


def default_activity(arch: Arch, signed: bool = False) -> Activity:
    c = input_cycles(arch, signed)
    return Activity((arch.array.input_activity,) * c, 1.0, signed, "default")


def crossbar_step(arch: Arch, *, k: int, n: int, rows_driven: int, cols_read: int,
                  extra_adds: int, activity: Activity | None = None) -> dict[str, float]:
    """Actions of one input-vector step of a crossbar layer (one MVM on every group)."""
    p = arch.precision
    act = activity or default_activity(arch)
    c = input_cycles(arch, act.signed)
    w = pulse_weights(arch, c)
    bits = act.bits[:c] + (arch.array.input_activity,) * max(0, c - len(act.bits))
    high = sum(wj * aj for wj, aj in zip(w, bits, strict=True))  # high unit pulses per row
    in_b, out_b = p.input_bits / 8, p.output_bits / 8
    conversions = len(arch.readout.phases(c)) * cols_read
    integrate = arch.readout.style is ReadoutStyle.INTEGRATE
    moved = k * in_b + n * out_b
    step = {
        "crossbar": high * rows_driven * arch.array.cols * act.g_ratio,
        "dac": sum(bits) * rows_driven,
        "sample_hold": sum(w) * cols_read if integrate else conversions,
        "adc": conversions,
        "shift_add": conversions,
        "input_register": c * rows_driven * p.applied_dac_bits / 8,
        "output_register": conversions * arch.adc.bits / 8,
        "buffer": moved,
        "bus": moved,
        "accumulator": n + extra_adds,
    }
    if arch.array.wordline_voltage_v:  # 1T1R gate lines switched every input cycle
        step["wordline"] = c * rows_driven
    return step


def output_traffic(arch: Arch, elements: int) -> dict[str, float]:
    b = elements * arch.precision.output_bits / 8
    return {"router": b, "tile_output_register": b}


def count_actions(net: Network, mapping: Mapping, arch: Arch,
                  activity: dict[str, Activity] | None = None) -> dict[str, LayerActions]:
    """Actions per layer; ``activity`` gives crossbar layers' data statistics (else the
    defaults, with each layer's input sign inferred from its producers)."""
    out_b = arch.precision.output_bits / 8
    activity = activity if activity is not None else layer_activity(net, arch)
    consumed = {t for layer in net.layers() for t in layer.inputs} | set(net.outputs)
    result: dict[str, LayerActions] = {}
    for layer in net.layers():
        acts = LayerActions(layer.name)
        if layer.crossbar is not None:
            m = mapping.layers[layer.name]
            t, w = m.tiling, layer.crossbar
            step = crossbar_step(arch, k=w.rows * w.groups, n=w.cols * w.groups,
                                 rows_driven=t.rows_driven, cols_read=t.cols_read,
                                 extra_adds=t.partial_sum_adds + t.offset_adds,
                                 activity=activity.get(layer.name))
            for comp, n in step.items():
                acts.add(comp, n * w.mvms)
        elif layer.digital is not None:
            _digital(acts, layer, out_b)
        if layer.digital is None or layer.digital.kind is not DigitalKind.VIEW:
            for comp, n in output_traffic(arch, consumed_elements(layer, consumed)).items():
                acts.add(comp, n)
        result[layer.name] = acts
    for name, b in cross_chip_bytes(net, mapping, arch).items():
        result[name].add("io", b)
    return result


# ops whose output is never negative, and ops that keep their input's sign
_NON_NEGATIVE_OPS = frozenset({"Relu", "Sigmoid", "Softmax", "Abs", "Softplus", "HardSigmoid",
                               "Exp", "Sqrt", "ReduceL2", "ReduceL1", "ReduceSumSquare"})
_SIGN_KEEPING_KINDS = frozenset({DigitalKind.VIEW, DigitalKind.DATA_MOVE, DigitalKind.POOL})
_SIGN_KEEPING_OPS = frozenset({"Max", "Min", "Concat", "GlobalAveragePool", "GlobalMaxPool",
                               "ReduceMean", "ReduceMax", "ReduceMin", "ReduceSum"})


def _clip_min(net: Network, layer: Layer) -> float | None:
    """Clip's lower bound: an attribute before opset 11, a constant input from then on."""
    lo = layer.attr("min")
    if isinstance(lo, int | float):
        return float(lo)
    name = layer.node_inputs[1] if len(layer.node_inputs) > 1 else ""
    if name and net.constants is not None and net.constants.is_const(name):
        value = net.constants.value(name)
        return float(value.min()) if value.size else None
    return None


def non_negative_tensors(net: Network) -> set[str]:
    """Tensors known to be ≥ 0: outputs of ReLU-like ops (Clip with min ≥ 0 too: ReLU6) and
    of pooling, reductions, views and data movement whose every input is ≥ 0. Model inputs
    are assumed signed (unknown) — ``--activity-from`` measures them."""
    known: set[str] = set()
    for layer in net.layers():
        non_neg = layer.op in _NON_NEGATIVE_OPS
        if layer.op == "Clip":
            lo = _clip_min(net, layer)
            non_neg = lo is not None and lo >= 0
        d = layer.digital
        if d is not None and (d.kind in _SIGN_KEEPING_KINDS or layer.op in _SIGN_KEEPING_OPS):
            non_neg = non_neg or (bool(layer.inputs) and all(t in known for t in layer.inputs))
        if non_neg:
            known.update(layer.outputs)
    return known


def layer_activity(net: Network, arch: Arch) -> dict[str, Activity]:
    """Default activity of every crossbar layer, signed unless its input is known ≥ 0."""
    known = non_negative_tensors(net)
    return {layer.name: default_activity(
        arch, signed=not (layer.inputs and layer.inputs[0] in known))
        for layer in net.crossbar_layers()}


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


def consumed_elements(layer: Layer, consumed: set[str]) -> float:
    """Elements of the outputs that a later layer reads or the model returns (an LSTM's
    unused Y_h / Y_c, a TopK's unused indices move nowhere)."""
    if len(layer.outputs) <= 1:
        return float(layer.out_elements)
    return sum(tensor_elements(layer, t) for t in layer.outputs if t in consumed)


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
