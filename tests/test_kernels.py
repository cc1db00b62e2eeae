"""Tile kernels: bit-exact when ideal, equal to the naive twin, read-noise statistics."""

from __future__ import annotations

import math

import numpy as np
import pytest
from imcsim.compiler.mapping import SignedScheme
from naive import crossbar_int
from scipy import stats

from imcsim.config import AdcRange
from imcsim.functional.crossbar import HwParams, ProgrammedMatrix, quantize_inputs


def hw(**kw) -> HwParams:
    base = dict(rows=64, cols=64, cell_bits=2, weight_bits=8, input_bits=8, dac_bits=1,
                scheme=SignedScheme.DIFFERENTIAL, adc_bits=8, adc_range=AdcRange.FULL_SCALE,
                percentile=99.9, g_on=1e-4, g_off=1e-5)
    base.update(kw)
    return HwParams(**base)


def _random(seed, g=2, m=5, k=150, n=7, signed=True, bits=8):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((g, k, n))
    lo = -(2 ** (bits - 1) - 1) if signed else 0  # sign + magnitude
    hi = 2 ** (bits - 1) - 1 if signed else 2**bits - 1
    x_int = rng.integers(lo, hi + 1, size=(g, m, k))
    return w, x_int


@pytest.mark.parametrize("scheme", list(SignedScheme))
@pytest.mark.parametrize("cell_bits,dac_bits,kernel", [
    (c, d, k) for c, d in [(1, 1), (2, 1), (2, 2), (3, 3), (4, 2)]
    for k in ("float", "auto", *(("bitplane",) if d == 1 else ()))])  # planes: 1-bit digits
@pytest.mark.parametrize("signed", [False, True])
def test_ideal_hardware_is_bit_exact(scheme, cell_bits, dac_bits, kernel, signed):
    """ADC bits ≥ b_dac + b_cell + log2(rows) (+1 for a signed digit): every column value is
    an exact ADC code, so the result equals the integer matmul x_int · w_int exactly — each
    partial sum digitised (float GEMMs, or bit planes with 1-bit digits) or, under auto, the
    exact path's one product."""
    rows = 64
    adc_bits = dac_bits + cell_bits + int(math.log2(rows)) + 1
    p = hw(scheme=scheme, cell_bits=cell_bits, dac_bits=dac_bits, adc_bits=adc_bits, rows=rows,
           kernel=kernel)
    w, x_int = _random(1, signed=signed)
    pm = ProgrammedMatrix(w, p, np.random.default_rng(0))
    assert pm.path(signed) == ("exact" if kernel == "auto" else kernel)
    got = pm.run_int(x_int, signed)
    expected = np.matmul(x_int, pm.w_int)  # int64, exact
    np.testing.assert_array_equal(got, expected.astype(np.float64))


@pytest.mark.parametrize("scheme", list(SignedScheme))
@pytest.mark.parametrize("signed", [False, True])
def test_kernel_equals_naive_twin_with_a_coarse_adc(scheme, signed):
    """4-bit ADC: clipping and rounding happen; the kernel must do exactly what the twin does."""
    p = hw(scheme=scheme, adc_bits=4, dac_bits=2, rows=32)
    w, x_int = _random(2, g=2, m=4, k=70, n=3, signed=signed)
    pm = ProgrammedMatrix(w, p, np.random.default_rng(0))
    np.testing.assert_allclose(pm.run_int(x_int, signed), crossbar_int(pm, x_int, signed),
                               rtol=0, atol=1e-6)


def test_calibrated_range_equals_twin_and_beats_full_scale():
    p = hw(adc_bits=5, adc_range=AdcRange.CALIBRATED, percentile=99.0, rows=64)
    w, _ = _random(3, g=1, k=128, n=16)
    x = np.abs(np.random.default_rng(4).standard_normal((1, 200, 128)))
    scale = float(x.max() / 255)
    pm = ProgrammedMatrix(w, p, np.random.default_rng(0))
    full = pm.run(x, scale, signed=False)
    pm.calibrate(x, scale, signed=False)
    cal = pm.run(x, scale, signed=False)
    exact = np.matmul(quantize_inputs(x, scale, 8, False), pm.w_int) * scale * pm.w_scale
    err = lambda y: np.linalg.norm(y - exact) / np.linalg.norm(exact)  # noqa: E731
    assert err(cal) < err(full)  # a range fitted to the data wastes fewer codes
    x_int = quantize_inputs(x[:, :3], scale, 8, False)
    np.testing.assert_allclose(pm.run_int(x_int, False), crossbar_int(pm, x_int, False), atol=1e-6)


@pytest.mark.parametrize("kernel", ["float", "bitplane"])
def test_read_noise_matches_a_per_cell_simulation(kernel):
    """Output-referred read noise vs the naive model that perturbs every cell on every read:
    the two error distributions must be statistically indistinguishable (KS test) and have
    the same standard deviation within sampling error."""
    sigma = 0.05
    p = hw(read_noise=sigma, adc_bits=16, rows=32, cell_bits=2, dac_bits=1, kernel=kernel)
    w, x_int = _random(5, g=1, m=2, k=32, n=2, signed=False)
    pm = ProgrammedMatrix(w, p, np.random.default_rng(0))
    exact = np.matmul(x_int, pm.w_int).astype(np.float64)
    fast = np.stack([pm.run_int(x_int, False, noise_key=s) - exact for s in range(400)]).ravel()
    dg = (p.g_on - p.g_off) / 3
    rng = np.random.default_rng(12345)

    def per_cell(g, t, c):
        g_cells = t.levels[g, :, c].astype(np.float64) * dg + p.g_off  # conductance of each cell
        return sigma * g_cells * rng.standard_normal(g_cells.shape) / dg  # in level units

    slow = np.stack([crossbar_int(pm, x_int, False, cell_noise=per_cell) - exact
                     for _ in range(150)]).ravel()
    assert stats.ks_2samp(fast, slow).pvalue > 0.01
    assert np.std(fast) == pytest.approx(np.std(slow), rel=0.15)
    assert abs(np.mean(fast)) < 3 * np.std(fast) / math.sqrt(fast.size) + 1


def test_stuck_on_cells_read_as_full_level():
    """Every cell stuck at G_on: each column holds level 2^c − 1 on every row."""
    p = hw(stuck_on=1.0, adc_bits=16, cell_bits=2, rows=64)
    w, _ = _random(6, g=1, k=20, n=3)
    pm = ProgrammedMatrix(w, p, np.random.default_rng(0))
    assert all(np.allclose(t.levels, 3.0) for t in pm.tiles)


def test_drift_and_ir_drop_lower_the_column_values():
    w, _ = _random(7, g=1, k=64, n=4)
    ideal = ProgrammedMatrix(w, hw(read_noise=1e-9), np.random.default_rng(0)).tiles[0].levels
    drift = ProgrammedMatrix(w, hw(drift_factor=0.8), np.random.default_rng(0)).tiles[0].levels
    ir = ProgrammedMatrix(w, hw(wire_r=2.0), np.random.default_rng(0)).tiles[0].levels
    # drift: (0.8·G − G_off)/ΔG = 0.8·level − 0.2·G_off/ΔG
    dg = (1e-4 - 1e-5) / 3
    np.testing.assert_allclose(drift, 0.8 * ideal - 0.2 * 1e-5 / dg, rtol=1e-5, atol=1e-5)
    assert np.all(ir <= ideal + 1e-6) and np.any(ir < ideal - 1e-3)
    # the cell farthest from driver and sense amp loses most: top-right vs bottom-left
    g = ideal[0] * dg + 1e-5
    path = 2.0 * ((64 - np.arange(64))[:, None] + (np.arange(ir.shape[2]) + 1)[None, :])
    np.testing.assert_allclose(ir[0], (1 / (1 / g + path) - 1e-5) / dg, rtol=1e-4, atol=1e-4)


def test_programming_noise_is_seeded():
    p = hw(prog_noise=0.05, stuck_off=0.01)
    w, x_int = _random(8, g=1, k=64, n=4)
    a = ProgrammedMatrix(w, p, np.random.default_rng(42)).run_int(x_int[:1], True)
    b = ProgrammedMatrix(w, p, np.random.default_rng(42)).run_int(x_int[:1], True)
    c = ProgrammedMatrix(w, p, np.random.default_rng(43)).run_int(x_int[:1], True)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_state_independent_noise_hits_zero_cells_as_hard():
    """w = 1 → 127 → slice 0 level 3 on G+; w = 0 → level 0 (G_off). State-dependent σ·G:
    a level-0 cell's spread is G_off/G_on = 1/10 of a level-3 cell's; level-independent
    σ·G_on: the same spread for both."""
    w = np.zeros((1, 64, 64))
    w[0, :, :32] = 1.0
    for dependent, expected in ((True, 0.1), (False, 1.0)):
        p = hw(prog_noise=0.1, prog_state_dependent=dependent)
        lv = ProgrammedMatrix(w, p, np.random.default_rng(0)).tiles[0].levels[0]
        # columns are ordered (slice, sign, n): 0–31 slice 0 G+ with w = 1, 32–63 with w = 0
        assert lv[:, 32:64].std() / lv[:, 0:32].std() == pytest.approx(expected, rel=0.2)


@pytest.mark.parametrize("mode", ["ideal", "read_noise", "nonideal_adc"])
def test_adc_accumulate_kernels_equal_numpy(mode):
    """The kernels against the transfer written out in NumPy: read noise, then the
    converter's gain, offset and input-referred noise, then a mid-scale INL bow."""
    from naive import adc

    from imcsim.functional import _kernels

    rng = np.random.default_rng(9)
    g, m, c, n = 3, 17, 12, 4
    v = (rng.standard_normal((g, m, c)) * 40).astype(np.float32)
    var = (rng.random((g, m, c)) * 4).astype(np.float32)
    key, adc_key = np.uint64(123456789), np.uint64(987654321)
    table = _kernels.NORMAL_TABLE
    eps = _kernels.normals(key, g * m * c, table).reshape(g, m, c).astype(np.float64)
    eta = _kernels.normals(adc_key, g * m * c, table).reshape(g, m, c).astype(np.float64)
    col_to_out = rng.integers(0, n, c).astype(np.int64)
    weight = rng.choice([-4.0, 1.0, 2.0, 8.0], c)
    vmin = rng.uniform(-60.0, -40.0, (g, c))  # one ADC range per (group, column)
    lsb = rng.uniform(2.0, 4.0, (g, c))
    gain, offset = np.ones((g, c)), np.zeros((g, c))
    sigma, inl = 0.0, 0.0
    if mode == "nonideal_adc":
        gain, offset = 1 + 0.02 * rng.standard_normal((g, c)), rng.standard_normal((g, c))
        sigma, inl = 0.7, 1.5
    acc = np.zeros((g, m, n))
    x = v.astype(np.float64)
    if mode == "ideal":
        _kernels.adc_accumulate(v, col_to_out, weight, vmin, lsb, 31.0, acc)
    else:
        _kernels.adc_accumulate_noisy(v, var, key, table, col_to_out, weight, vmin, lsb, 31.0,
                                      gain, offset, sigma, adc_key, inl, acc)
        x = x + np.sqrt(var.astype(np.float64)) * eps
        x = x * gain[:, None, :] + (offset[:, None, :] + sigma * eta) * lsb[:, None, :]
        u = (x - vmin[:, None, :]) / (lsb[:, None, :] * 31.0)
        x = x + np.where((u > 0) & (u < 1), inl * 4 * u * (1 - u) * lsb[:, None, :], 0.0)
    expected = np.zeros_like(acc)
    q = adc(x, vmin[:, None, :], lsb[:, None, :], 31.0)
    for col in range(c):
        expected[:, :, col_to_out[col]] += weight[col] * q[:, :, col]
    np.testing.assert_allclose(acc, expected, rtol=1e-6, atol=1e-4)


def test_counter_based_normals_are_standard_normal_and_keyed():
    from imcsim.functional import _kernels

    table = _kernels.NORMAL_TABLE
    a = _kernels.normals(np.uint64(1), 200_000, table).astype(np.float64)
    assert stats.kstest(a, "norm").pvalue > 0.01
    np.testing.assert_array_equal(a, _kernels.normals(np.uint64(1), 200_000, table))
    b = _kernels.normals(np.uint64(2), 200_000, table).astype(np.float64)
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.01
    assert abs(np.corrcoef(a[:-1], a[1:])[0, 1]) < 0.01  # neighbours independent



def test_block_draws_equal_the_per_index_draws_at_any_offset():
    """The bit-plane kernel draws a column block with one hash per four draws
    (``_draws``); the float path asks for each index on its own (``normal``, as
    ``normals`` does). Blocks starting anywhere, of any length, give the same numbers."""
    from imcsim.functional import _kernels

    table = _kernels.NORMAL_TABLE
    key = np.uint64(0xC0FFEE)
    ref = _kernels.normals(key, 80, table)
    for base in (0, 1, 2, 3, 5, 8):
        for n in (0, 1, 3, 4, 7, 64):
            z = np.full(n, np.nan, dtype=np.float32)
            _kernels._draws(key, base, table, z)
            np.testing.assert_array_equal(z, ref[base:base + n])


def test_noise_stream_keys_are_splitmix64_of_key_and_position():
    """Stream keys by hand: SplitMix64's finaliser (Steele, Lea & Flood 2014 constants)
    chained over the key, each coordinate and their count, in Python integers; the
    vectorised derivation both kernels use gives the same keys."""
    from imcsim.functional.crossbar import noise_streams

    mask = (1 << 64) - 1

    def mix(x):
        x = (x + 0x9E3779B97F4A7C15) & mask
        x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & mask
        x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & mask
        return x ^ (x >> 31)

    def by_hand(key, *pos):
        h = mix(key % 2**64)
        for p in (*pos, len(pos)):
            h = mix(h ^ mix(p))
        return h

    def noise_stream(key, *pos):
        return noise_streams(key, np.array([pos]))[0]

    for key, pos in ((0, (0, 0, 0)), (12345, (7, 3, 5)), (-1, (2, 0, 1, 1)), (2**70, (1, 2, 3))):
        assert int(noise_stream(key, *pos)) == by_hand(key, *pos)
    grid = np.array([[m, t, j] for m in (0, 64) for t in range(3) for j in range(8)])
    keys = noise_streams(99, grid)
    assert [int(k) for k in keys] == [by_hand(99, *row) for row in grid.tolist()]
    assert len(set(keys.tolist())) == len(grid)  # every block its own stream
    assert int(noise_stream(99, 0, 0, 0, 1)) != int(noise_stream(99, 0, 0, 0))

@pytest.mark.parametrize("adc_bits", [3, 4, 6])
def test_signed_adc_reads_zero_as_zero(adc_bits):
    """Mid-tread signed ranges, by hand: 64 rows of level ≤ 3 cells, full-scale peak
    64·1·3 = 192. With x = e_0 (one input of magnitude 1) every column value is 0, 1 or 3;
    with a 3-bit ADC the step is 2·192/6 = 64, so each reads as the zero code: output 0.
    x = 0 reads 0 at any resolution (an even code count would give ±½ LSB instead)."""
    p = hw(adc_bits=adc_bits, rows=64)
    w = np.ones((1, 64, 2))
    pm = ProgrammedMatrix(w, p, np.random.default_rng(0))
    zero = np.zeros((1, 3, 64), dtype=np.int64)
    np.testing.assert_array_equal(pm.run_int(zero, True), 0.0)
    if adc_bits == 3:
        one = zero.copy()
        one[0, :, 0] = [1, -1, 2]
        np.testing.assert_array_equal(pm.run_int(one, True), 0.0)


def test_twos_complement_equals_offset_exactly_when_cell_bits_divide_weight_bits():
    """Two's complement over S·c bits with its sign bit flipped stores w + 2^(S·c − 1); the
    offset scheme stores w + 2^(b − 1). Equal for 8-bit weights in 2-bit cells (S·c = 8),
    different for 7-bit weights in 2-bit cells (S·c = 8 > 7)."""
    from imcsim.functional.crossbar import encode

    w_int = np.arange(-63, 64).reshape(1, -1, 1)
    for bits, same in ((8, True), (7, False)):
        lv = {s: encode(w_int, hw(weight_bits=bits, scheme=s))[0]
              for s in (SignedScheme.OFFSET, SignedScheme.TWOS_COMPLEMENT)}
        assert np.array_equal(lv[SignedScheme.OFFSET], lv[SignedScheme.TWOS_COMPLEMENT]) is same


def test_full_scale_is_the_arrays_rows_whatever_the_layer_uses():
    """A 9-row matrix on 64-row arrays of 2-bit cells, 1-bit DAC, 6-bit ADC, unsigned: the
    fixed range covers 64 · 1 · 3 = 192, step 192 / 63 — not the 9 rows' 27."""
    pm = ProgrammedMatrix(np.ones((1, 9, 2)), hw(adc_bits=6, rows=64), np.random.default_rng(0))
    vmin, lsb = pm.tiles[0].ranges[0][0]
    np.testing.assert_allclose(lsb, 192 / 63)
    np.testing.assert_array_equal(vmin, 0.0)


def test_weight_aware_ranges_follow_each_columns_programmed_levels():
    """2-bit weights in 2-bit cells with an offset of 2: column 0 = (1, 1, 1) is stored as
    levels (3, 3, 3), column 1 = (−1, −1, 0) as (1, 1, 2). A 1-bit input can give at most
    Σ levels: 9 and 4; a 3-bit ADC (codes 0…7) steps 9/7 and max(1, 4/7) = 1."""
    w = np.array([[[1.0, -1.0], [1.0, -1.0], [1.0, 0.0]]])
    p = hw(adc_bits=3, rows=8, weight_bits=2, cell_bits=2, scheme=SignedScheme.OFFSET,
           adc_range=AdcRange.WEIGHT_AWARE)
    pm = ProgrammedMatrix(w, p, np.random.default_rng(0))
    _, lsb = pm.tiles[0].ranges[0][0]
    np.testing.assert_allclose(lsb, [[9 / 7, 1.0]])


def test_a_programmed_reference_drifts_with_its_cells():
    """Drift scales every conductance by f = (t/t0)^−ν. With the reference cells drifting
    too, a column reads Σx·(f·G − f·G_off)/ΔG = f · Σx·level: a pure gain, which a global
    correction removes. An ideal (non-drifting) G_off reference leaves an offset
    (f − 1)·G_off/ΔG·Σx on top (issue #9 measured 0.16 vs 0.52 relative error)."""
    f = (1e4 / 1.0) ** -0.05
    w, x_int = _random(4, g=1, k=64, n=6, signed=False)
    errors = {}
    for programmed in (True, False):
        p = hw(drift_factor=f, adc_bits=16, rows=64, reference_programmed=programmed)
        pm = ProgrammedMatrix(w, p, np.random.default_rng(0))
        got = pm.run_int(x_int, False)
        exact = np.matmul(x_int, pm.w_int)
        gain = float(np.sum(got * exact) / np.sum(exact * exact))  # global gain correction
        errors[programmed] = np.linalg.norm(got / gain - exact) / np.linalg.norm(exact)
        if programmed:
            assert gain == pytest.approx(f, rel=5e-3)  # the ADC still rounds f·level
    # what remains with a drifting reference is the ADC rounding f·Σx·level to whole
    # levels (step 1); the ideal reference adds the offset: ≈ 5× the error
    assert errors[True] < errors[False] / 4


def test_adc_errors_are_drawn_once_per_adc_and_reproducible():
    """Offsets and gains belong to an ADC: the columns it converts share them (4 here);
    the same seed draws the same chip, and a second read of the same input without ADC
    noise reads the same numbers."""
    p = hw(adc_gain_error=0.05, adc_offset_lsb=2.0, adc_share=4, rows=32)
    w, x_int = _random(5, g=1, k=32, n=4, signed=False)
    pm = ProgrammedMatrix(w, p, np.random.default_rng(7))
    gain = pm.tiles[0].adc_gain
    assert gain.shape == (1, 32) and len(np.unique(gain)) == 8  # 32 columns / 4 per ADC
    np.testing.assert_array_equal(gain[0, :4], gain[0, 0])
    again = ProgrammedMatrix(w, p, np.random.default_rng(7))
    np.testing.assert_array_equal(pm.run_int(x_int, False, 1), again.run_int(x_int, False, 2))
    exact = np.matmul(x_int, pm.w_int)
    assert not np.array_equal(pm.run_int(x_int, False), exact)  # the errors do show
    noisy = ProgrammedMatrix(w, hw(adc_noise_lsb=1.0, rows=32), np.random.default_rng(7))
    assert not np.array_equal(noisy.run_int(x_int, False, 1), noisy.run_int(x_int, False, 2))


def test_row_groups_of_one_array_share_its_adcs():
    """rows_per_read 8 on 32-row arrays: four row groups per array, converted by the same
    ADCs (the same offsets); the next array's row groups have their own."""
    p = hw(adc_offset_lsb=1.0, rows=32, rows_per_read=8)
    w, _ = _random(6, g=1, k=64, n=4)
    pm = ProgrammedMatrix(w, p, np.random.default_rng(0))
    offsets = [t.adc_offset for t in pm.tiles]
    assert len(offsets) == 8
    assert all(o is offsets[0] for o in offsets[:4]) and all(o is offsets[4] for o in offsets[4:])
    assert not np.array_equal(offsets[0], offsets[4])
