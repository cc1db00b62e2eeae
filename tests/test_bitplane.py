"""Bit-plane kernels and the exact fast path (issue 15): the same numbers as the float
path and the naive twin, chosen where they apply, refused where they cannot be exact."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from imcsim.compiler.mapping import SignedScheme
from naive import crossbar_int

from imcsim.config import AdcRange
from imcsim.errors import ConfigError
from imcsim.functional import _kernels
from imcsim.functional.bitplane import pack_rows
from imcsim.functional.crossbar import HwParams, ProgrammedMatrix


def hw(**kw) -> HwParams:
    base = dict(rows=64, cols=64, cell_bits=2, weight_bits=8, input_bits=8, dac_bits=1,
                scheme=SignedScheme.DIFFERENTIAL, adc_bits=5, adc_range=AdcRange.FULL_SCALE,
                percentile=99.9, g_on=1e-4, g_off=1e-6)
    base.update(kw)
    return HwParams(**base)


def _data(seed, g=2, m=9, k=150, n=7, signed=False):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((g, k, n))
    hi = 127 if signed else 255
    x_int = rng.integers(-hi if signed else 0, hi + 1, size=(g, m, k))
    x_int[:, :, ::7] = 0  # whole rows without a pulse, as after a ReLU
    return w, x_int


def _run(p: HwParams, kernel: str, w, x_int, signed, key=3):
    pm = ProgrammedMatrix(w, dataclasses.replace(p, kernel=kernel), np.random.default_rng(1))
    return pm, pm.run_int(x_int, signed, key)


def test_popcounts_of_a_hand_packed_column():
    """Rows 0, 2, 64 and 70 of a 71-row column hold a cell; inputs drive rows 2, 3 and 70:
    the AND of the packed words has 2 bits set (rows 2 and 70)."""
    cells = np.zeros(71, dtype=bool)
    cells[[0, 2, 64, 70]] = True
    x = np.zeros(71, dtype=bool)
    x[[2, 3, 70]] = True
    cw, xw = pack_rows(cells), pack_rows(x)
    assert cw.shape == (2,) and cw[0] == 0b101 and cw[1] == (1 << 0) | (1 << 6)
    assert sum(int(a & b).bit_count() for a, b in zip(cw, xw, strict=True)) == 2
    words = np.zeros((1, 1, 1, 2), dtype=np.uint64)
    _kernels.pack_input_bits(x.astype(np.int64)[None, None], 1, words, words.copy())
    assert np.array_equal(words[0, 0, 0], xw)


@pytest.mark.parametrize("scheme", list(SignedScheme))
@pytest.mark.parametrize("cell_bits", [1, 2, 3])
@pytest.mark.parametrize("signed", [False, True])
@pytest.mark.parametrize("sensing", ["columns", "pairs", "combined"])
def test_bitplane_is_bit_identical_to_the_float_path_and_the_twin(scheme, cell_bits, signed,
                                                                  sensing):
    """A 5-bit ADC clips and rounds every column value, so the order of the shift-adds
    matters: the bit-plane path must equal the float GEMM path bit for bit, and both the
    naive per-column twin."""
    p = hw(scheme=scheme, cell_bits=cell_bits, differential_sensing=sensing == "pairs",
           combine_slices=sensing == "combined", rows_per_read=16 if cell_bits == 2 else 0)
    w, x_int = _data(cell_bits, signed=signed)
    pm, fast = _run(p, "bitplane", w, x_int, signed)
    _, ref = _run(p, "float", w, x_int, signed)
    assert pm.path(signed) == "bitplane" and pm.tiles[0].planes is not None
    assert np.array_equal(fast, ref)
    np.testing.assert_allclose(fast, crossbar_int(pm, x_int, signed), rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("adc_range", [AdcRange.WEIGHT_AWARE, AdcRange.CALIBRATED])
def test_per_column_and_calibrated_ranges(adc_range):
    p = hw(adc_range=adc_range, adc_bits=6, percentile=95.0)
    w, x_int = _data(4)
    outs = []
    for kernel in ("bitplane", "float"):
        pm = ProgrammedMatrix(w, dataclasses.replace(p, kernel=kernel), np.random.default_rng(1))
        if adc_range is AdcRange.CALIBRATED:
            pm.calibrate(x_int.astype(np.float64), 1.0, False)
        outs.append(pm.run_int(x_int, False, 0))
    assert np.array_equal(*outs)


def test_converter_errors_draw_the_same_numbers_as_the_float_path():
    """The converter's noise, offset, gain error and nonlinearity act on the exact integer
    partial sums with the float path's draws (same stream, same index of each column
    value): the same numbers."""
    p = hw(adc_bits=8, adc_noise_lsb=0.5, adc_offset_lsb=0.3, adc_gain_error=0.01,
           adc_inl_lsb=0.4)
    for signed in (False, True):
        w, x_int = _data(6, signed=signed)
        _, fast = _run(p, "bitplane", w, x_int, signed, key=11)
        _, ref = _run(p, "float", w, x_int, signed, key=11)
        _, other = _run(p, "bitplane", w, x_int, signed, key=12)
        assert np.array_equal(fast, ref)
        assert not np.allclose(fast, other)  # the key matters


def test_read_noise_draws_the_float_paths_numbers_up_to_rounding_of_its_variance():
    """Read noise: the same Gaussian draws scaled by σ·sqrt(Σ x·(G/ΔG)²), which the float
    path sums in float32 by BLAS and the bit planes count exactly — so a conversion can land
    one code apart, rarely; the error statistics are the same (test_kernels.py checks them
    against a per-cell simulation, which runs on bit planes under --kernel auto)."""
    p = hw(read_noise=0.05, adc_bits=8, g_on=1e-5)
    for signed in (False, True):
        w, x_int = _data(6, m=200, signed=signed)
        pm, fast = _run(p, "bitplane", w, x_int, signed, key=11)
        _, ref = _run(p, "float", w, x_int, signed, key=11)
        exact = np.matmul(x_int, pm.w_int)
        assert np.mean(fast != ref) < 0.02
        assert np.std(fast - exact) == pytest.approx(np.std(ref - exact), rel=0.01)


def test_exact_fast_path_when_no_conversion_can_clip_or_round():
    """9-bit ADC, 64 rows of 2-bit cells, 1-bit inputs: a column value is at most
    64·3 = 192 ≤ 511 codes of one unit, so each conversion is lossless and the layer is one
    integer product — compared here with Python integers."""
    w, x_int = _data(7, m=4)
    pm, got = _run(hw(adc_bits=9), "auto", w, x_int, False)
    assert pm.path(False) == "exact"
    w_int = pm.w_int.astype(object)
    want = np.array([x_int[g].astype(object) @ w_int[g] for g in range(2)], dtype=np.float64)
    assert np.array_equal(got, want)
    _, per_partial = _run(hw(adc_bits=9), "float", w, x_int, False)
    assert np.array_equal(got, per_partial)  # every partial exact: the same numbers


@pytest.mark.parametrize(("change", "why"), [
    ({"adc_bits": 7}, "64·3 = 192 values on 127 codes: the ADC rounds"),
    ({"adc_bits": 9, "read_noise": 0.2}, "read noise"),
    ({"adc_bits": 9, "adc_offset_lsb": 1.5}, "a converter error"),
    ({"adc_bits": 9, "prog_noise": 0.2}, "programming noise"),
])
def test_no_exact_path_where_the_result_is_not_the_product(change, why):
    """Effects large enough to move codes (small ones round away, as they would on a chip)."""
    w, x_int = _data(8, m=4)
    pm, got = _run(hw(**change), "auto", w, x_int, False)
    assert pm.path(False) != "exact", why
    assert not np.array_equal(got, np.matmul(x_int, pm.w_int).astype(np.float64))


def test_signed_inputs_need_their_own_exactness_check():
    """A symmetric 9-bit range holds ±255 codes: 64·3 = 192 fits, so signed inputs are
    exact too; with 8 bits (±127) unsigned stays exact on [0, 255] but signed does not."""
    w, _ = _data(9)
    exact9 = ProgrammedMatrix(w, hw(adc_bits=9), np.random.default_rng(0))
    assert exact9.path(True) == "exact" and exact9.path(False) == "exact"
    eight = ProgrammedMatrix(w, hw(adc_bits=8), np.random.default_rng(0))
    assert eight.path(False) == "exact" and eight.path(True) == "bitplane"


def test_auto_keeps_the_float_path_where_bit_planes_cannot_win_or_be_exact():
    assert hw().partial_sums() == "bitplane"
    assert hw(read_noise=0.02).partial_sums() == "bitplane"  # 3 one-hot planes
    assert hw(dac_bits=2).partial_sums() == "float"
    assert hw(cell_bits=4, read_noise=0.02).partial_sums() == "bitplane"  # 15 planes
    assert hw(cell_bits=6, read_noise=0.02).partial_sums() == "float"  # 63 planes
    assert hw(prog_noise=0.05).partial_sums() == "float"
    assert hw(kernel="float").partial_sums() == "float"


@pytest.mark.parametrize(("change", "expect"), [
    ({"dac_bits": 2}, "2-bit input digits"),
    ({"prog_noise": 0.05}, "non-integer cell levels (prog_noise)"),
    ({"integrate": True}, "readout.style=integrate"),
])
def test_forced_bitplane_where_it_cannot_be_exact_is_a_one_line_error(change, expect):
    with pytest.raises(ConfigError, match="--kernel bitplane") as err:
        hw(kernel="bitplane", **change).partial_sums()
    assert expect in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(ConfigError, match="choose one of auto, float, bitplane"):
        hw(kernel="gpu").partial_sums()


def test_levels_stored_as_small_integers_and_transposed_reads_unchanged():
    """Bit-plane tiles keep their levels as int8 and no float32 noise weights (issue 15's
    memory item); a transposed read of the same cells (float path) gives the same numbers
    whichever kernel programmed them."""
    p = hw(read_noise=0.03, adc_bits=7)
    w, _ = _data(10, g=1, k=100, n=40)
    rng = np.random.default_rng(5)
    y = rng.standard_normal((1, 6, 40))
    outs = []
    for kernel in ("bitplane", "float"):
        pm = ProgrammedMatrix(w, dataclasses.replace(p, kernel=kernel), np.random.default_rng(1))
        if kernel == "bitplane":
            assert all(t.levels.dtype == np.int8 and t.q is None for t in pm.tiles)
        outs.append(pm.run_transposed(y, True, pm.transposed(np.random.default_rng(2)), 4)[0])
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("rows", [128, 256])
@pytest.mark.parametrize("noise", [0.0, 0.05])
@pytest.mark.parametrize(("cell_bits", "signed"), [(2, False), (2, True), (1, False), (3, True)])
def test_two_and_four_words_per_column(rows, noise, cell_bits, signed):
    """128-row arrays of 2-bit cells take the kernel's one-pass count of all planes (two
    bit planes ideal, three one-hot ones with read noise), other shapes a pass per plane
    and pair of words; a 7-bit ADC rounds, so all must keep the float path's order of
    additions, signed inputs' negative passes included."""
    p = hw(rows=rows, cols=128, adc_bits=7, read_noise=noise, cell_bits=cell_bits)
    w, x_int = _data(11, g=1, m=40, k=300, n=20, signed=signed)
    pm, fast = _run(p, "bitplane", w, x_int, signed)
    assert pm.tiles[0].planes.shape[2] == rows // 64
    if cell_bits == 2:
        assert pm.tiles[0].planes.shape[1] == (3 if noise else 2)
    _, ref = _run(p, "float", w, x_int, signed)
    if noise:
        assert np.mean(fast != ref) < 0.02
    else:
        assert np.array_equal(fast, ref)


@pytest.mark.parametrize("signed", [False, True])
def test_idle_cycles_are_skipped_without_changing_a_bit(signed):
    """Small activations (input bits 4–7 never set) and whole zero vectors: a cycle with
    no input bit reads 0 on these ranges (0 at the bottom unsigned, mid-tread signed), so
    the kernel skips its conversions — still bit-identical to the float path, which
    converts them; with read noise too (no cell read, no noise: zero vectors give 0)."""
    w, x_int = _data(13, m=30, signed=signed)
    x_int = np.sign(x_int) * (np.abs(x_int) % 16)
    x_int[:, ::3] = 0
    for noise in (0.0, 0.05):
        p = hw(adc_bits=6, read_noise=noise)
        _, fast = _run(p, "bitplane", w, x_int, signed)
        _, ref = _run(p, "float", w, x_int, signed)
        np.testing.assert_array_equal(fast[:, ::3], 0.0)
        if noise:
            assert np.mean(fast != ref) < 0.02
        else:
            assert np.array_equal(fast, ref)
    # ranges whose idle reading is not 0 (bottom moved up 0.3 LSB: an idle column reads
    # code 0 = 0.3 LSB): nothing may be skipped, every zero vector adds the same offsets
    # (offset-encoded weights: a differential pair would cancel them)
    outs = []
    for kernel in ("bitplane", "float"):
        p = hw(adc_bits=6, scheme=SignedScheme.OFFSET, kernel=kernel)
        pm = ProgrammedMatrix(w, p, np.random.default_rng(1))
        for t in pm.tiles:
            t.ranges[int(signed)] = [(vmin + 0.3 * lsb, lsb) for vmin, lsb in t.ranges[int(signed)]]
        outs.append(pm.run_int(x_int, signed, 3))
    assert np.array_equal(*outs)
    assert np.all(outs[0][:, ::3] != 0.0)

def test_levels_wider_than_int16_stay_on_the_float_path():
    """Combined slices of 8-bit cells make 16-bit sensed levels (two's complement codes up
    to 65535): bit-plane tiles store int16, so auto keeps the GEMMs and a forced bitplane
    is refused; the result is the float path's (hand value: codes of 1, −1 and 0.5 → 384)."""
    p = hw(cell_bits=8, weight_bits=9, scheme=SignedScheme.TWOS_COMPLEMENT,
           combine_slices=True, adc_bits=8)
    assert p.level_bits == 16 and p.partial_sums() == "float"
    with pytest.raises(ConfigError, match="16-bit sensed levels"):
        dataclasses.replace(p, kernel="bitplane").partial_sums()
    w = np.array([[[1.0], [-1.0], [0.5]]])
    pm = ProgrammedMatrix(w, p, np.random.default_rng(0))
    assert np.array_equal(pm.run_int(np.ones((1, 1, 3), dtype=np.int64), False),
                          [[[384.0]]])


def test_no_input_vectors():
    w, _ = _data(12)
    pm = ProgrammedMatrix(w, hw(), np.random.default_rng(0))
    assert pm.run_int(np.zeros((2, 0, 150), dtype=np.int64), False).shape == (2, 0, 7)


def test_exact_path_only_below_2_to_53():
    """26-bit weights and inputs on 1-bit cells: Σ|x·w| over 300 rows reaches 2^60, where a
    float64 product rounds; the exact path steps aside."""
    p = hw(cell_bits=1, weight_bits=26, input_bits=26, adc_bits=8)
    w, _ = _data(13, g=1)
    pm = ProgrammedMatrix(w, p, np.random.default_rng(0))
    assert pm.path(False) != "exact"
    assert ProgrammedMatrix(w, hw(cell_bits=1, adc_bits=8), np.random.default_rng(0)
                            ).path(False) == "exact"
