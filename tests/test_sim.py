"""Action counts, timing and energy of the analytical simulator on hand-checkable models."""

from __future__ import annotations

import pytest
from onnx import helper
from onnx_builders import TINY_CNN, make_model, rand, save

from compiler.frontend import import_onnx
from compiler.mapping import map_network
from compiler.passes import canonicalize
from imcsim.config import load_arch
from imcsim.cost import build_components
from imcsim.report import compile_report
from imcsim.sim import count_actions, peak, simulate


@pytest.fixture()
def gemm_300x100(tmp_path):
    """x[4, 300] @ W[300, 100]: 4 input vectors, K = 300, N = 100."""
    node = helper.make_node("MatMul", ["x", "w"], ["y"])
    return save(make_model([node], [("x", [4, 300])], ["y"], [("w", rand(300, 100))]),
                tmp_path / "gemm.onnx")


def test_action_counts_by_hand(gemm_300x100):
    """rram_128: 8-bit weights in 2-bit cells → 4 slices, differential → 800 columns;
    3 row tiles × 7 column tiles = 21 arrays. Per input vector, 8 bit-serial cycles:
      DAC pulses   = 8 · 300 rows · 7 column tiles             = 16,800
      conversions  = 8 · 800 columns · 3 row tiles              = 19,200
      cell reads   = pulses · 128 columns                       = 2,150,400
      buffer bytes = 300 inputs · 1 B + 100 outputs · 1 B       = 400
      adds         = 100 outputs + (3 − 1) · 100 partial sums   = 300
    × 4 vectors."""
    arch = load_arch("rram_128")
    net = canonicalize(import_onnx(gemm_300x100))
    m = map_network(net, arch.array_spec(), "none")
    layer = net.crossbar_layers()[0]
    assert m.layers[layer.name].arrays == 21
    counts = count_actions(net, m, arch)[layer.name].counts
    assert counts["dac"] == 4 * 16_800
    assert counts["adc"] == counts["sample_hold"] == counts["shift_add"] == 4 * 19_200
    assert counts["crossbar"] == 4 * 2_150_400
    assert counts["buffer"] == 4 * 400
    assert counts["accumulator"] == 4 * 300
    assert counts["output_register"] == 4 * 19_200 * 6 / 8  # 6-bit ADC results
    assert counts["router"] == 4 * 100  # outputs leave once, 1 byte each


def test_energy_is_counts_times_unit_energy_and_latency_is_steps(gemm_300x100):
    arch = load_arch("rram_128")
    comps = build_components(arch)
    net = canonicalize(import_onnx(gemm_300x100))
    m = map_network(net, arch.array_spec(), "none")
    sim = simulate(net, m, arch)
    counts = count_actions(net, m, arch)
    expected = sum(n * comps[c].energy_j for a in counts.values() for c, n in a.counts.items())
    io = (4 * 300 + 4 * 100) * comps["io"].energy_j  # model input + output bytes, 8-bit
    assert sim.energy_j == pytest.approx(expected + io)
    # array cycle = max(10 ns read, 8 columns / 800 MS/s = 10 ns); 8 input cycles; 4 vectors
    assert sim.layers[0].latency_s == pytest.approx(4 * 8 * 10e-9)
    assert sim.throughput_inf_per_s == pytest.approx(1 / (4 * 8 * 10e-9))


def test_duplication_cuts_latency_not_energy(gemm_300x100):
    arch = load_arch("rram_128")
    net = canonicalize(import_onnx(gemm_300x100))
    one = simulate(net, map_network(net, arch.array_spec(), "none"), arch)
    four = simulate(net, map_network(net, arch.array_spec(), 4), arch)
    assert four.layers[0].latency_s == pytest.approx(one.layers[0].latency_s / 4)
    assert four.energy_j == pytest.approx(one.energy_j)


def test_pipeline_overlaps_conv_layers():
    """tiny_cnn's later conv starts after a 3-row window of its producer, not at its end."""
    arch = load_arch("rram_128")
    net = canonicalize(import_onnx(TINY_CNN))
    sim = simulate(net, map_network(net, arch.array_spec(), "none"), arch)
    by = {r.name: r for r in sim.layers}
    conv1, dw = by["/conv1/Conv"], by["/dwconv/Conv"]
    assert dw.start_s < conv1.finish_s
    serial = sum(r.latency_s for r in sim.layers)
    assert max(r.latency_s for r in sim.layers) <= sim.latency_s <= serial


def test_achieved_tops_never_exceed_peak():
    for preset in ("isaac", "rram_128"):
        arch = load_arch(preset)
        net = canonicalize(import_onnx(TINY_CNN))
        m = map_network(net, arch.array_spec(), "auto")
        report = compile_report(net, m, simulate(net, m, arch), arch)
        assert 0 < report["performance"]["tops"] <= report["performance"]["peak_tops"]
        assert peak(arch).ops_per_s / 1e12 == pytest.approx(
            report["performance"]["peak_tops"] / m.chips)
