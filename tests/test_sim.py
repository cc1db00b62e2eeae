"""Action counts, timing and energy of the analytical simulator on hand-checkable models."""

from __future__ import annotations

import pytest
from imcsim.compiler.frontend import import_onnx
from imcsim.compiler.mapping import map_network
from imcsim.compiler.passes import canonicalize
from onnx import helper
from onnx_builders import TINY_CNN, make_model, rand, run_ort, save

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
    3 row tiles × 7 column tiles = 21 arrays. The model input may be negative, so it is
    sign + 7 magnitude bits: 7 bit-serial cycles (the sign is the pulse polarity). Per input
    vector, at the default input activity 0.5:
      high DAC pulses = 7 · 0.5 · 300 rows · 7 column tiles     = 7,350
      conversions     = 7 · 800 columns · 3 row tiles            = 16,800
      cell pulses     = high pulses · 128 columns                = 940,800
      input register  = 7 · 300 · 7 bits / 8                    = 1,837.5 B
      buffer bytes    = 300 inputs · 1 B + 100 outputs · 1 B     = 400
      adds            = 100 outputs + (3 − 1) · 100 partial sums = 300
    × 4 vectors."""
    arch = load_arch("rram_128")
    net = canonicalize(import_onnx(gemm_300x100))
    m = map_network(net, arch.array_spec(), "none")
    layer = net.crossbar_layers()[0]
    assert m.layers[layer.name].arrays == 21
    counts = count_actions(net, m, arch)[layer.name].counts
    assert counts["dac"] == 4 * 7_350
    assert counts["adc"] == counts["sample_hold"] == counts["shift_add"] == 4 * 16_800
    assert counts["crossbar"] == 4 * 940_800
    assert counts["input_register"] == 4 * 1_837.5
    assert counts["buffer"] == 4 * 400
    assert counts["accumulator"] == 4 * 300
    assert counts["output_register"] == 4 * 16_800 * 6 / 8  # 6-bit ADC results
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
    # array cycle = max(10 ns read, 16 columns / 800 MS/s = 20 ns); 7 input cycles; 4 vectors
    assert sim.layers[0].latency_s == pytest.approx(4 * 7 * 20e-9)
    assert sim.throughput_inf_per_s == pytest.approx(1 / (4 * 7 * 20e-9))
    # the per-layer lines, model I/O included, add up to the total
    assert sum(r.energy_j for r in sim.layers) == pytest.approx(sim.energy_j)
    assert [r.name for r in sim.layers][-1] == "model I/O"


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


# ---------------------------------------------------------------- review fixes


def test_batch_reports_per_inference(tmp_path):
    """x['N', 300] @ W[300, 100] with --batch 4 on rram_128, no duplication: one run of the
    graph is 4 input vectors of 7 bit-serial cycles of 20 ns = 560 ns (the batch's latency);
    throughput = 4 / 560 ns = 7.14 M inf/s; MACs per inference = 300 · 100 = 30,000;
    TOPS = 2 · 30,000 · 7.14 M = 0.4286 TOPS. Energy per inference = one vector's actions
    (counted by hand in test_action_counts_by_hand) + 300 input and 100 output bytes of io."""
    node = helper.make_node("MatMul", ["x", "w"], ["y"])
    path = save(make_model([node], [("x", ["N", 300])], ["y"], [("w", rand(300, 100))]),
                tmp_path / "gemm.onnx")
    arch = load_arch("rram_128")
    comps = build_components(arch)
    net = canonicalize(import_onnx(path, batch=4))
    m = map_network(net, arch.array_spec(), "none")
    sim = simulate(net, m, arch)
    report = compile_report(net, m, sim, arch)
    assert sim.latency_s == pytest.approx(4 * 7 * 20e-9)
    assert sim.throughput_inf_per_s == pytest.approx(4 / (4 * 7 * 20e-9))
    assert report["model"]["macs"] == 30_000 and report["model"]["batch"] == 4
    assert report["performance"]["tops"] == pytest.approx(0.4286, rel=1e-3)
    per_vector = {"dac": 7_350, "adc": 16_800, "sample_hold": 16_800, "shift_add": 16_800,
                  "crossbar": 940_800, "buffer": 400, "bus": 400, "accumulator": 300,
                  "input_register": 1_837.5, "output_register": 16_800 * 6 / 8,
                  "router": 100, "tile_output_register": 100, "io": 300 + 100}
    expected = sum(n * comps[c].energy_j for c, n in per_vector.items())
    assert report["energy"]["total_j"] == pytest.approx(expected)
    assert report["energy"]["tops_per_w"] == pytest.approx(2 * 30_000 / expected / 1e12)


def test_rnn_steps_run_in_sequence(tmp_path):
    """LSTM, seq = 10, batch = 2, I = 16, H = 8 on rram_128 with auto duplication: two
    copies at most (one per sequence), so the stage takes 10 steps of 7 cycles · 20 ns (the
    signed model input: 7 magnitude bits; 20 ns: 16 columns per ADC at 800 MS/s)."""
    node = helper.make_node("LSTM", ["x", "W", "R"], ["Y"], hidden_size=8)
    path = save(make_model([node], [("x", [10, 2, 16])], ["Y"],
                           [("W", rand(1, 32, 16)), ("R", rand(1, 32, 8))]), tmp_path / "l.onnx")
    arch = load_arch("rram_128")
    net = canonicalize(import_onnx(path))
    m = map_network(net, arch.array_spec(), "auto")
    sim = simulate(net, m, arch)
    lstm = next(r for r in sim.layers if r.kind == "rnn")
    assert lstm.duplication == 2
    assert lstm.latency_s == pytest.approx(10 * 7 * 20e-9)


def _two_layer_chain(tmp_path):
    """x[1, 128] @ W1[128, 128] → Relu → @ W2[128, 128]: each weight set is 1 row tile ×
    (128 · 4 slices · 2 columns / 128) = 8 arrays = one rram_128 core."""
    nodes = [helper.make_node("MatMul", ["x", "w1"], ["a"]), helper.make_node("Relu", ["a"], ["r"]),
             helper.make_node("MatMul", ["r", "w2"], ["y"], name="second")]
    return save(make_model(nodes, [("x", [1, 128])], ["y"],
                           [("w1", rand(128, 128)), ("w2", rand(128, 128, seed=1))]),
                tmp_path / "chain.onnx")


@pytest.mark.parametrize("tiles,chips,cross_bytes", [(2, 1, 0), (1, 2, 128)])
def test_activations_crossing_chips_cost_io(tmp_path, tiles, chips, cross_bytes):
    """One core per tile: with 2 tiles per chip both layers share chip 0; with 1, the second
    MatMul sits on chip 1 and the Relu (on chip 0, with its producer) sends it 128 one-byte
    activations: 128 io bytes on top of the 128 input + 128 output bytes, and 128 B /
    (2 links · 16 GB/s) = 4 ns on the second layer's 1 step · 8 cycles (its input, a ReLU
    output, is non-negative: 8 magnitude bits) · 20 ns."""
    arch = load_arch("rram_128", ["hierarchy.cores_per_tile=1", f"hierarchy.tiles_per_chip={tiles}"])
    comps = build_components(arch)
    net = canonicalize(import_onnx(_two_layer_chain(tmp_path)))
    m = map_network(net, arch.array_spec(), "none")
    assert m.chips == chips
    sim = simulate(net, m, arch)
    e_io = comps["io"].energy_j
    assert sim.energy_by_component["io"] == pytest.approx((256 + cross_bytes) * e_io)
    second = next(r for r in sim.layers if r.name == "second")
    assert second.energy_by_component.get("io", 0.0) == pytest.approx(cross_bytes * e_io)
    assert second.latency_s == pytest.approx(160e-9 + cross_bytes / (2 * 16e9))


def test_dilated_windows_delay_the_consumer(tmp_path):
    """conv0 (3×3, pad 1) makes 8 rows, evenly in its stage time; a 3×3 conv with
    dilation 2 and a 3×3 MaxPool with dilation 2 each read a window of 2·(3 − 1) + 1 = 5
    rows, with padding 2: their first output row reads input rows −2 … 2, of which rows
    0 … 2 exist, so each starts when conv0 has made 3 rows, at 3/8 of its stage time."""
    nodes = [helper.make_node("Conv", ["x", "w0"], ["c"], kernel_shape=[3, 3], pads=[1] * 4),
             helper.make_node("Conv", ["c", "w1"], ["d"], kernel_shape=[3, 3], pads=[2] * 4,
                              dilations=[2, 2], name="dil_conv"),
             helper.make_node("MaxPool", ["c"], ["p"], kernel_shape=[3, 3], pads=[2] * 4,
                              dilations=[2, 2], name="dil_pool")]
    path = save(make_model(nodes, [("x", [1, 1, 8, 8])], ["d", "p"],
                           [("w0", rand(4, 1, 3, 3)), ("w1", rand(4, 4, 3, 3, seed=1))]),
                tmp_path / "dil.onnx")
    d, p = run_ort(path, {"x": rand(1, 1, 8, 8)})
    assert d.shape[2] == p.shape[2] == 8
    arch = load_arch("rram_128")
    net = canonicalize(import_onnx(path))
    sim = simulate(net, map_network(net, arch.array_spec(), "none"), arch)
    by = {r.name: r for r in sim.layers}
    conv0 = next(r for r in sim.layers if r.name not in ("dil_conv", "dil_pool"))
    assert by["dil_conv"].start_s == pytest.approx(3 / 8 * conv0.latency_s)
    assert by["dil_pool"].start_s == pytest.approx(3 / 8 * conv0.latency_s)
