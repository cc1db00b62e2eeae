"""Readout styles, partial activation, ADC sharing, signed inputs and energy lines: action
counts, timing and the functional kernels, checked against hand calculations and NumPy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from imcsim.compiler.errors import MappingError
from imcsim.compiler.frontend import import_onnx
from imcsim.compiler.mapping import SignedScheme, map_network
from imcsim.compiler.passes import canonicalize
from onnx import helper
from onnx_builders import REPO, make_model, rand, save

from imcsim.config import AdcRange, load_arch
from imcsim.errors import ConfigError
from imcsim.functional.crossbar import HwParams, ProgrammedMatrix, adc_range, encode
from imcsim.sim import count_actions, simulate

TORCH = REPO / "tests" / "fixtures" / "torch"


def _gemm(tmp_path, k=300, n=100, m=1):
    node = helper.make_node("MatMul", ["x", "w"], ["y"])
    path = save(make_model([node], [("x", [m, k])], ["y"], [("w", rand(k, n))]),
                tmp_path / "gemm.onnx")
    return canonicalize(import_onnx(path))


def _run(net, sets):
    arch = load_arch("rram_128", sets)
    m = map_network(net, arch.array_spec(), "none")
    layer = net.crossbar_layers()[0].name
    return count_actions(net, m, arch)[layer].counts, simulate(net, m, arch)


def test_integrate_converts_once_per_mvm(tmp_path):
    """x[1, 300] @ W[300, 100], rram_128 (800 columns in 3 row tiles × 7 column tiles), signed
    input → 7 cycles, integrate readout: cycle j drives 2^j unit pulses.
      conversions     = 800 columns · 3 row tiles (once per MVM)       = 2,400
      integrated pulses (S&H) = (2^7 − 1) · 2,400 columns              = 304,800
      row drives      = 7 cycles · 0.5 activity · 300 rows · 7 tiles   = 7,350
      high cell pulses = 127 · 0.5 · 2,100 rows driven · 128 columns   = 133,350 · 128
      step time       = 127 pulses · 10 ns + 16 columns · 1.25 ns       = 1,290 ns
    Two phases above 3 cycles: 4 + 3 cycles → 15 + 7 = 22 pulses, 2 conversions per column:
      step time       = 22 · 10 ns + 2 · 20 ns                          = 260 ns"""
    counts, sim = _run(_gemm(tmp_path), ["readout.style=integrate"])
    assert counts["adc"] == 2_400
    assert counts["sample_hold"] == 304_800
    assert counts["dac"] == 7_350
    assert counts["crossbar"] == 133_350 * 128
    assert sim.layers[0].latency_s == pytest.approx(1_290e-9)
    counts, sim = _run(_gemm(tmp_path), ["readout.style=integrate",
                                         "readout.two_phase_above_bits=3"])
    assert counts["adc"] == 2 * 2_400
    assert counts["sample_hold"] == 22 * 2_400
    assert sim.layers[0].latency_s == pytest.approx(260e-9)


def test_differential_sensing_converts_a_pair_once(tmp_path):
    """7 cycles · 400 pairs · 3 row tiles = 8,400 conversions; an ADC's 16 columns are 8
    pairs: 8 · 1.25 ns = 10 ns, no longer than the read, so a cycle is 10 ns."""
    counts, sim = _run(_gemm(tmp_path), ["readout.differential=true"])
    assert counts["adc"] == 8_400
    assert sim.layers[0].latency_s == pytest.approx(7 * 10e-9)
    with pytest.raises(ConfigError, match="readout.differential needs"):
        load_arch("rram_128", ["readout.differential=true", "precision.signed_scheme=offset"])


def test_partial_activation_reads_row_groups_in_turn(tmp_path):
    """rows_per_read = 32: row tiles of 128, 128 and 44 rows are read in 4 + 4 + 2 = 10 row
    groups; each converts all 800 columns: 7 · 800 · 10 = 56,000 conversions; the groups'
    partial sums need (10 − 1) · 100 adds on top of 100 outputs. Time: the fullest array
    reads 4 groups per cycle: 4 · 7 · 20 ns = 560 ns."""
    counts, sim = _run(_gemm(tmp_path), ["array.rows_per_read=32"])
    assert counts["adc"] == 56_000
    assert counts["accumulator"] == 100 + 900
    assert counts["dac"] == 7 * 0.5 * 300 * 7  # the same rows are driven, in turn
    assert sim.layers[0].latency_s == pytest.approx(560e-9)


def test_adc_shared_by_arrays_takes_their_conversions_in_turn(tmp_path):
    """2 arrays per ADC: 32 columns per read at 1.25 ns = 40 ns cycles; half the ADC area."""
    _, one = _run(_gemm(tmp_path), [])
    _, shared = _run(_gemm(tmp_path), ["adc.arrays_per_adc=2"])
    assert shared.layers[0].latency_s == pytest.approx(7 * 40e-9)
    assert shared.area_by_component["adc"] == pytest.approx(one.area_by_component["adc"] / 2)


def test_the_sign_is_a_pulse_polarity_not_a_cycle(tmp_path):
    """x → MatMul → Relu → MatMul: the first layer reads a model input (may be negative:
    7 magnitude cycles), the second a ReLU output (8 cycles); 20 ns each on rram_128."""
    nodes = [helper.make_node("MatMul", ["x", "w1"], ["a"]),
             helper.make_node("Relu", ["a"], ["r"]),
             helper.make_node("MatMul", ["r", "w2"], ["y"])]
    net = canonicalize(import_onnx(save(make_model(
        nodes, [("x", [1, 64])], ["y"], [("w1", rand(64, 64)), ("w2", rand(64, 64, seed=1))]),
        tmp_path / "chain.onnx")))
    arch = load_arch("rram_128")
    sim = simulate(net, map_network(net, arch.array_spec(), "none"), arch)
    first, second = (r for r in sim.layers if r.kind == "gemm")
    assert first.latency_s == pytest.approx(7 * 20e-9)
    assert second.latency_s == pytest.approx(8 * 20e-9)


def test_static_power_is_its_own_line_and_lines_add_up(tmp_path):
    """2 mW of leakage per tile buffer, 48 tiles, over the latency of the inference."""
    net = _gemm(tmp_path)
    _, sim = _run(net, ["overrides.buffer.static_mw=2"])
    static = next(r for r in sim.layers if r.name == "static")
    assert static.energy_j == pytest.approx(48 * 2e-3 * sim.latency_s)
    assert sum(r.energy_j for r in sim.layers) == pytest.approx(sim.energy_j)


def test_a_missing_digital_unit_is_refused(tmp_path):
    nodes = [helper.make_node("MatMul", ["x", "w"], ["a"]),
             helper.make_node("Add", ["a", "a"], ["y"])]
    net = canonicalize(import_onnx(save(make_model(
        nodes, [("x", [1, 64])], ["y"], [("w", rand(64, 64))]), tmp_path / "add.onnx")))
    arch = load_arch("rram_128", ["tile.alus=0"])
    with pytest.raises(MappingError, match="tile.alus = 0"):
        simulate(net, map_network(net, arch.array_spec(), "none"), arch)


# ---------------------------------------------------------------- functional kernels


def _hw(**kw) -> HwParams:
    base = dict(rows=32, cols=64, cell_bits=2, weight_bits=6, input_bits=6, dac_bits=1,
                scheme=SignedScheme.DIFFERENTIAL, adc_bits=8, adc_range=AdcRange.FULL_SCALE,
                percentile=99.9, g_on=1e-4, g_off=1e-5)
    base.update(kw)
    return HwParams(**base)


def _data(seed, k=70, n=5, m=6, signed=False, bits=6):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((1, k, n))
    hi = 2 ** (bits - 1) - 1 if signed else 2**bits - 1
    return w, rng.integers(-hi if signed else 0, hi + 1, size=(1, m, k))


@pytest.mark.parametrize("integrate", [False, True])
@pytest.mark.parametrize("differential", [False, True])
@pytest.mark.parametrize("signed", [False, True])
def test_ideal_readouts_are_bit_exact_with_enough_adc_bits(integrate, differential, signed):
    """An ADC with a code for every value the integrated (or sensed) column can take reads
    exactly: 32 rows · 3 levels · 63 (integrated 6-bit input) < 2^13. Every partial sum
    goes through the converters (the float kernel; auto would take the exact path)."""
    p = _hw(integrate=integrate, differential_sensing=differential, adc_bits=14,
            kernel="float")
    w, x_int = _data(1, signed=signed)
    pm = ProgrammedMatrix(w, p, np.random.default_rng(0))
    np.testing.assert_array_equal(pm.run_int(x_int, signed),
                                  np.matmul(x_int, pm.w_int).astype(np.float64))


def _twin(pm: ProgrammedMatrix, x_int: np.ndarray, p: HwParams) -> np.ndarray:
    """Integrate + differential sensing written out: per row tile the column value is
    x_int · (levels⁺ − levels⁻) (the pulses of cycle j are 2^j, so the sum over cycles is
    the integer input itself), quantised once on the full-scale symmetric range of the
    array's rows: rows · (2^c − 1) · (2^b − 1), then shifted by the slice weight."""
    levels, col_weight, _ = encode(pm.w_int, p)
    n, s_n = pm.n, p.slices
    top = (1 << p.adc_bits) - 1
    out = np.zeros((1, x_int.shape[1], n))
    for r0 in range(0, pm.k, p.rows):
        lv = levels[:, r0:r0 + p.rows].astype(np.int64).reshape(1, -1, s_n, 2, n)
        diff = (lv[:, :, :, 0, :] - lv[:, :, :, 1, :]).astype(np.float64)
        rows = diff.shape[1]
        vmin, lsb = adc_range(p.rows * 3 * 63, True, p.adc_bits)  # the array's rows
        for s in range(s_n):
            v = x_int[:, :, r0:r0 + rows] @ diff[:, :, s, :]
            q = np.clip(np.floor((v - vmin) / lsb + 0.5), 0, top)
            out += 4.0**s * (vmin + q * lsb)
    return out


def test_integrate_with_a_coarse_adc_equals_its_twin():
    p = _hw(integrate=True, differential_sensing=True, adc_bits=7)
    w, x_int = _data(2)
    pm = ProgrammedMatrix(w, p, np.random.default_rng(0))
    got = pm.run_int(x_int, False)
    np.testing.assert_allclose(got, _twin(pm, x_int, p), rtol=0, atol=1e-9)
    assert not np.array_equal(got, np.matmul(x_int, pm.w_int))  # 7 bits do round
    assert math.isfinite(float(got.sum()))


def test_two_phase_integration_is_exact_when_ideal_and_finer_when_coarse():
    """6-bit inputs in one phase (63 unit pulses) or two phases of 3 cycles (7 each): with
    enough ADC codes (32 rows · 3 · 63 < 2^13) both are exact; with a coarse
    6-bit ADC each phase's range is 9× smaller than one phase's (7 vs 63 pulses), so the
    error against the integer product falls."""
    w, x_int = _data(3, m=40)
    exact = None
    errors = {}
    for above in (0, 3):  # one phase; two phases above 3 cycles → (3, 3)
        pm = ProgrammedMatrix(w, _hw(integrate=True, two_phase_above_bits=above, adc_bits=14),
                              np.random.default_rng(0))
        exact = np.matmul(x_int, pm.w_int).astype(np.float64)
        np.testing.assert_array_equal(pm.run_int(x_int, False), exact)
        coarse = ProgrammedMatrix(w, _hw(integrate=True, two_phase_above_bits=above, adc_bits=6),
                                  np.random.default_rng(0))
        errors[above] = np.linalg.norm(coarse.run_int(x_int, False) - exact)
    assert coarse.hw.phase_sizes(False) == (3, 3)
    assert errors[3] < errors[0]


def test_only_consumed_outputs_of_a_multi_output_layer_move(tmp_path):
    """LSTM (seq 5, batch 1, hidden 8): its cell-update layer writes Y (5·1·1·8 = 40), Y_h (8)
    and Y_c (8), of which only Y_h is read: 8 one-byte activations leave it, not 56."""
    node = helper.make_node("LSTM", ["x", "W", "R"], ["Y", "Y_h", "Y_c"], hidden_size=8)
    net = canonicalize(import_onnx(save(make_model(
        [node], [("x", [5, 1, 4])], ["Y_h"], [("W", rand(1, 32, 4)), ("R", rand(1, 32, 8))]),
        tmp_path / "lstm.onnx")))
    arch = load_arch("rram_128")
    counts = count_actions(net, map_network(net, arch.array_spec(), "none"), arch)
    cell = next(layer for layer in net.layers() if len(layer.outputs) == 3)
    assert counts[cell.name].counts["router"] == 8


def test_partial_activation_converts_each_row_group_on_its_own():
    """32 rows of 2-bit cells, 1-bit unsigned inputs, 5-bit ADC (codes 0…31): one read of
    all 32 rows can reach 32·3 = 96 and the ADC step is 96/31 — not exact; 8 rows per read
    reach 24 ≤ 31, so every group's value is an exact code and the sum is exact."""
    w, x_int = _data(4, k=32, signed=False)
    full = ProgrammedMatrix(w, _hw(adc_bits=5), np.random.default_rng(0))
    grouped = ProgrammedMatrix(w, _hw(adc_bits=5, rows_per_read=8), np.random.default_rng(0))
    exact = np.matmul(x_int, full.w_int).astype(np.float64)
    assert len(grouped.tiles) == 4
    np.testing.assert_array_equal(grouped.run_int(x_int, False), exact)
    assert not np.array_equal(full.run_int(x_int, False), exact)


def test_slices_combined_in_analog_convert_once_per_weight(tmp_path):
    """x[1, 300] @ W[300, 100] on rram_128 (4 slices × 2 signs per weight): combining the
    slices leaves 2 conversions per weight, 7 · 200 · 3 row tiles = 4,200; with differential
    sensing too, 1: 2,100. An ADC's 16 columns become 4 (then 2) conversions of 1.25 ns,
    under the 10 ns read: 7 cycles · 10 ns."""
    counts, sim = _run(_gemm(tmp_path), ["readout.combine_slices=true"])
    assert counts["adc"] == 4_200
    assert sim.layers[0].latency_s == pytest.approx(70e-9)
    counts, _ = _run(_gemm(tmp_path), ["readout.combine_slices=true",
                                       "readout.differential=true"])
    assert counts["adc"] == 2_100


@pytest.mark.parametrize("scheme", list(SignedScheme))
@pytest.mark.parametrize("integrate", [False, True])
@pytest.mark.parametrize("signed", [False, True])
def test_combined_slices_are_bit_exact_with_enough_adc_bits(scheme, integrate, signed):
    """A combined column reads Σ_s 2^(2s)·level_s ≤ 2^6 − 1 per row: 32 rows · 63 (· 63
    pulses when integrating) < 2^18 codes."""
    p = _hw(scheme=scheme, integrate=integrate, combine_slices=True,
            differential_sensing=scheme is SignedScheme.DIFFERENTIAL, adc_bits=20)
    w, x_int = _data(5, signed=signed)
    pm = ProgrammedMatrix(w, p, np.random.default_rng(0))
    assert pm.col_weight.size == 5  # one sensed column per output
    np.testing.assert_array_equal(pm.run_int(x_int, signed),
                                  np.matmul(x_int, pm.w_int).astype(np.float64))


def test_packed_groups_are_read_group_by_group_with_partial_activation():
    """A 3×3 depthwise conv on rram_128 (k = 9 rows, 4 slices × 2 signs = 8 columns per
    group) packs min(128 // 9, 128 // 8) = 14 groups per array; 32 groups → 3 arrays. With
    4 rows per read a group takes ceil(9 / 4) = 3 reads of its own rows (never two groups
    at once): 14 · 3 = 42 reads in turn per array, and 8 columns · 32 groups · 3 reads =
    768 conversions per input cycle."""
    from imcsim.compiler.ir import CrossbarWork
    from imcsim.compiler.mapping import tile

    spec = load_arch("rram_128", ["array.rows_per_read=4"]).array_spec()
    t = tile(CrossbarWork(rows=9, cols=1, groups=32, mvms=1, weight="w"), spec)
    assert (t.groups_per_array, t.arrays, t.row_groups, t.cols_read) == (14, 3, 42, 768)
    full = tile(CrossbarWork(rows=9, cols=1, groups=32, mvms=1, weight="w"),
                load_arch("rram_128").array_spec())
    assert full.row_groups == 1 and full.cols_read == 8 * 32


@pytest.mark.parametrize("bits", range(1, 9))
def test_kernels_and_counts_agree_on_signed_input_cycles(bits):
    """NeuRRAM's signed inputs (sign included in the bits, two phases above 3 magnitude
    bits): the kernels integrate the same phases the cost model counts."""
    from imcsim.sim.actions import input_cycles

    arch = load_arch("neurram", [f"precision.input_bits={bits}"])
    hw = HwParams.from_arch(arch)
    assert list(hw.phase_sizes(True)) == arch.readout.phases(input_cycles(arch, True))
    assert list(hw.phase_sizes(False)) == arch.readout.phases(input_cycles(arch, False))


def test_a_1_bit_signed_input_is_its_sign():
    """input_bits = 1, signed: codes −1, 0, +1 in one cycle (the polarity is the sign)."""
    from imcsim.functional.crossbar import input_scale, quantize_inputs

    x = np.array([[-0.8, 0.0, 0.2, 1.4]])  # scale 1.4: −0.57 → −1, 0.14 → 0
    q = quantize_inputs(x, input_scale(x, 1, True), 1, True)
    np.testing.assert_array_equal(q, [[-1, 0, 0, 1]])
    p = _hw(input_bits=1)
    w, _ = _data(6, k=4, n=3)
    pm = ProgrammedMatrix(w, p, np.random.default_rng(0))
    x_int = np.array([[[-1, 0, 1, 1]]])
    np.testing.assert_array_equal(pm.run_int(x_int, True), np.matmul(x_int, pm.w_int))


def test_the_default_sign_guess_matches_measured_signs():
    """Which crossbar layers read signed inputs — from the graph (ReLU, ReLU6 as Clip with
    a constant min, pooling and reductions keep a non-negative sign) against what the
    functional simulator sees on random inputs."""
    from imcsim.functional.activity import measure_activity
    from imcsim.sim.actions import layer_activity

    arch = load_arch("rram_128")
    for name in ("tiny_mbv2.torchscript.onnx", "tiny_mbv2.dynamo.onnx",
                 "tiny_resnet.torchscript.opset11.onnx", "tiny_densenet.dynamo.onnx"):
        path = TORCH / name
        guess = layer_activity(canonicalize(import_onnx(path)), arch)
        seen = measure_activity(path, arch, "random", samples=2)
        assert set(guess) == set(seen), name
        assert {k: v.signed for k, v in guess.items()} == {k: v.signed for k, v in seen.items()}
