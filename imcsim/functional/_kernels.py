"""Numba kernels of the functional simulator: private, ndarray-and-scalar arguments only.

Compilation flags come from :data:`JIT`. Each kernel has a slow NumPy twin in
``tests/naive.py`` and a test comparing the two on random inputs. Arithmetic is cast to
float64 explicitly, so the numbers are the same with the JIT and without it
(``NUMBA_DISABLE_JIT=1``, which CI runs on the kernel tests).
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from numba import njit, prange, types
from numba.extending import intrinsic

# One place for the compilation flags: cache to disk, strict IEEE maths (results do not depend
# on the vector width), serial loops: on 2 cores a prange loop over cheap elements loses to
# its thread start-up and to BLAS threads still spinning after the matmul that fed it.
# NumPy's error model: a division by zero gives inf instead of raising, which lets loops with
# a division vectorise (3× faster conversions); no kernel divides by zero (ADC steps ≥ 1).
JIT: dict[str, Any] = {"cache": True, "parallel": False, "fastmath": False, "nogil": True,
                       "error_model": "numpy"}


@njit(**JIT)
def adc_accumulate(v, col_to_out, weight, vmin, lsb, top, acc):  # pragma: no cover - jitted
    """Digitise every column value and shift-add it into its output.

    v:          (G, M, C) float32 column values (one matmul over all slices and signs)
    col_to_out: (C,) int64 output column of each physical column
    weight:     (C,) float64 shift-add weight of each column (±2^(slice·cell_bits) · 2^(cycle·dac_bits))
    vmin, lsb:  (G, C) float64 ADC range start and step of each column, in column-value
                units; codes 0 … top
    acc:        (G, M, N) float64 accumulator (partial sums of all tiles, cycles and slices)
    """
    g_n, m_n, c_n = v.shape
    for gm in prange(g_n * m_n):
        g = gm // m_n
        m = gm % m_n
        for c in range(c_n):
            # float64 explicitly: NumPy scalars (NUMBA_DISABLE_JIT=1) would stay float32
            q = np.floor((np.float64(v[g, m, c]) - vmin[g, c]) / lsb[g, c] + 0.5)
            if q < 0.0:
                q = 0.0
            elif q > top:
                q = top
            acc[g, m, col_to_out[c]] += weight[c] * (vmin[g, c] + q * lsb[g, c])


@njit(inline="always")
def _splitmix64(x):  # pragma: no cover - jitted
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


# Read noise needs ~1e9 Gaussian draws per ResNet-18 image; Box–Muller costs ~20 ns each.
# Instead each draw picks one of 2^16 fixed N(0, 1) samples (256 kB: stays in L2) with 16 bits
# of a counter-based hash of (key, index // 4) — one 64-bit hash serves four consecutive
# draws: exact Gaussian marginals (to the table's ±4σ tails), independent of the thread
# schedule, ~0.6 ns a draw in :func:`_draws`. tests/test_kernels.py checks the statistics.
TABLE_BITS = 16
NORMAL_TABLE = np.random.default_rng(0x1A5EED).standard_normal(1 << TABLE_BITS).astype(np.float32)


@njit(inline="always")
def normal(key, index, table):  # pragma: no cover - jitted
    """The standard normal draw number ``index`` of stream ``key``: 16 bits of the hash of
    (key, index // 4), the (index % 4)-th from the bottom, pick one of the table's entries."""
    r = _splitmix64(key ^ (np.uint64(index >> 2) * np.uint64(0xD1B54A32D192ED03)))
    return table[(r >> np.uint64(16 * (index & 3))) & np.uint64(0xFFFF)]


@njit(**JIT)
def normals(key, n, table):  # pragma: no cover - jitted
    """n draws of :func:`normal` for indices 0 … n−1 (for tests and twins)."""
    out = np.empty(n, dtype=np.float32)
    for i in range(n):
        out[i] = normal(key, i, table)
    return out


# The kernel's inner loops are small functions of 1-D contiguous arrays: LLVM vectorises
# them there (inlined into the kernel, the same loops stayed scalar: 2-4x slower).
INNER: dict[str, Any] = {**JIT, "inline": "never"}


@njit(**INNER)
def _draws(key, base, table, z):  # pragma: no cover - jitted
    """z[c] = normal(key, base + c, table), one hash per four draws."""
    n = z.size
    c = 0
    while c < n and (base + c) & 3:
        z[c] = normal(key, base + c, table)
        c += 1
    mask = np.uint64(0xFFFF)
    while c + 4 <= n:
        r = _splitmix64(key ^ (np.uint64((base + c) >> 2) * np.uint64(0xD1B54A32D192ED03)))
        z[c] = table[r & mask]
        z[c + 1] = table[(r >> np.uint64(16)) & mask]
        z[c + 2] = table[(r >> np.uint64(32)) & mask]
        z[c + 3] = table[r >> np.uint64(48)]
        c += 4
    while c < n:
        z[c] = normal(key, base + c, table)
        c += 1


@njit(**JIT)
def adc_accumulate_noisy(v, var, key, table, col_to_out, weight, vmin, lsb, top, gain,
                         offset, adc_sigma, adc_key, inl, acc):  # pragma: no cover
    """As :func:`adc_accumulate`, with read noise and a non-ideal converter:

    1. read noise N(0, var) is added: the draw for column value (g, m, c) is
       ``normal(key, (g·M + m)·C + c, table)`` (``var`` may be all zeros);
    2. the converter sees x·gain[g, c] + (offset[g, c] + adc_sigma·n)·lsb — a gain error and
       an offset of its own, fixed per ADC, and input-referred noise of ``adc_sigma`` LSB
       with n = ``normal(adc_key, same index)``;
    3. integral nonlinearity bows the transfer by inl·4u(1 − u) LSB at the relative input
       position u ∈ [0, 1] of the range (0 at both ends, ``inl`` at mid-scale)."""
    g_n, m_n, c_n = v.shape
    z = np.empty(c_n, dtype=np.float32)  # a row's draws, one hash per four (_draws)
    eta = np.zeros(c_n, dtype=np.float32)
    for gm in range(g_n * m_n):
        g = gm // m_n
        m = gm % m_n
        base = gm * c_n
        _draws(key, base, table, z)
        if adc_sigma != 0.0:
            _draws(adc_key, base, table, eta)
        for c in range(c_n):
            # σ in float32 (as the bit-plane path, where it vectorises 3× better), sums in
            # float64
            x = np.float64(v[g, m, c]) + np.float64(np.sqrt(np.float32(var[g, m, c]))) * np.float64(
                z[c])
            step = lsb[g, c]
            x = x * gain[g, c] + offset[g, c] * step
            if adc_sigma != 0.0:
                x += adc_sigma * np.float64(eta[c]) * step
            if inl != 0.0:
                u = (x - vmin[g, c]) / (step * top)
                if u > 0.0 and u < 1.0:
                    x += inl * 4.0 * u * (1.0 - u) * step
            q = np.floor((x - vmin[g, c]) / step + 0.5)
            if q < 0.0:
                q = 0.0
            elif q > top:
                q = top
            acc[g, m, col_to_out[c]] += weight[c] * (vmin[g, c] + q * lsb[g, c])


# ---------------------------------------------------------------- bit-plane partial sums
# (the scheme and the plane layout: imcsim/functional/bitplane.py, which calls these)

if numba.config.DISABLE_JIT:  # type: ignore[attr-defined]  # plain Python (CI runs the kernel tests this way too)

    def popcount(x):  # type: ignore[no-untyped-def]
        return int(x).bit_count()

else:

    @intrinsic
    def popcount(typingctx, x):  # type: ignore[no-untyped-def]  # pragma: no cover - jitted
        """LLVM's ctpop: one POPCNT instruction on x86-64 (and its like elsewhere)."""
        sig = types.int64(types.uint64)

        def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
            return builder.ctpop(args[0])

        return sig, codegen


@njit(**JIT)
def pack_input_bits(x_int, cycles, words, negative):  # pragma: no cover - jitted
    """Bit j of |x| of every (group, vector, row) into ``words[g, m, j, row // 64]`` and,
    for a negative x, the same bit into ``negative`` (both zeroed by the caller; the same
    array when no x is negative).

    x_int:  (G, M, R) integer inputs (any layout)
    words, negative: (G, M, cycles, ceil(R / 64)) uint64"""
    g_n, m_n, r_n = x_int.shape
    mag = np.empty(r_n, dtype=np.uint64)
    sign = np.empty(r_n, dtype=np.uint64)
    for g in range(g_n):
        for m in range(m_n):
            for i in range(r_n):
                x = np.int64(x_int[g, m, i])
                mag[i] = np.uint64(x if x > 0 else -x)
                sign[i] = np.uint64(1 if x < 0 else 0)
            for w in range(words.shape[3]):
                lo, hi = w * 64, min(r_n, w * 64 + 64)
                for j in range(cycles):  # an OR over 64 rows: vectorises
                    word = np.uint64(0)
                    neg = np.uint64(0)
                    for i in range(lo, hi):
                        bit = ((mag[i] >> np.uint64(j)) & np.uint64(1)) << np.uint64(i - lo)
                        word |= bit
                        neg |= bit * sign[i]
                    words[g, m, j, w] |= word
                    if neg:
                        negative[g, m, j, w] |= neg


@njit(**INNER)
def _count(x0, x1, p0, p1, pv, total):  # pragma: no cover - jitted
    for c in range(total.size):
        total[c] += pv * np.float64(popcount(x0 & p0[c]) + popcount(x1 & p1[c]))


@njit(**INNER)
def _count_q(x0, x1, p0, p1, pv, pq, total, q_sum):  # pragma: no cover - jitted
    for c in range(total.size):
        a = np.float64(popcount(x0 & p0[c]) + popcount(x1 & p1[c]))
        total[c] += pv * a
        q_sum[c] += pq * a


@njit(**INNER)
def _read_noise(x, q_sum, q_ones, var_scale, z):  # pragma: no cover - jitted
    for c in range(x.size):
        x[c] += np.float64(np.sqrt(np.float32(var_scale * (q_ones + q_sum[c])))) * np.float64(z[c])


@njit(**INNER)
def _finish(total, q_sum, q_ones, var_scale, z, lo, step, top, weight, out):  # pragma: no cover
    """Read noise (when var_scale > 0), the conversion and the shift-add of one vector's
    cycle in one pass: column c adds to out[c % out.size], in column order (the float
    path's order of additions)."""
    n_n = out.size
    for k in range(total.size // n_n):
        for n in range(n_n):
            c = k * n_n + n
            x = total[c]
            if var_scale != 0.0:
                x += np.float64(np.sqrt(np.float32(var_scale * (q_ones + q_sum[c])))) * np.float64(z[c])
            q = min(max(np.floor((x - lo[c]) / step[c] + 0.5), 0.0), top)
            out[n] += weight[c] * (lo[c] + q * step[c])


@njit(**INNER)
def _digitise(x, lo, step, top, weight, out):  # pragma: no cover - jitted
    for c in range(x.size):
        q = min(max(np.floor((x[c] - lo[c]) / step[c] + 0.5), 0.0), top)
        out[c] = weight[c] * (lo[c] + q * step[c])


@njit(**INNER)
def _count_two_words(x0, x1, pl, pv, pq, with_q, total, q_sum):  # pragma: no cover - jitted
    """As :func:`_count` / :func:`_count_q` over all planes ``pl`` (P, 2, C) at once, for
    two or three planes (2-bit cells: two bit planes ideal, three one-hot ones with read
    noise): one pass that writes the sums (10-20 % faster than a pass per plane). The
    terms are added in plane order from zero, as the passes do: the same sums."""
    if pl.shape[0] == 2:
        for c in range(total.size):
            a0 = np.float64(popcount(x0 & pl[0, 0, c]) + popcount(x1 & pl[0, 1, c]))
            a1 = np.float64(popcount(x0 & pl[1, 0, c]) + popcount(x1 & pl[1, 1, c]))
            total[c] = pv[0] * a0 + pv[1] * a1
            if with_q:
                q_sum[c] = pq[0] * a0 + pq[1] * a1
    else:
        for c in range(total.size):
            a0 = np.float64(popcount(x0 & pl[0, 0, c]) + popcount(x1 & pl[0, 1, c]))
            a1 = np.float64(popcount(x0 & pl[1, 0, c]) + popcount(x1 & pl[1, 1, c]))
            a2 = np.float64(popcount(x0 & pl[2, 0, c]) + popcount(x1 & pl[2, 1, c]))
            total[c] = pv[0] * a0 + pv[1] * a1 + pv[2] * a2
            if with_q:
                q_sum[c] = pq[0] * a0 + pq[1] * a1 + pq[2] * a2


@njit(**JIT)
def bitplane_accumulate(words, negative, signed, planes, plane_value, plane_q, q0, var_scale,
                        keys, table, col_to_out, tiled, weight, vmin, lsb, top, gain, offset,
                        adc_sigma, adc_keys, inl, noisy, converter, idle, m_first, m_total,
                        acc):  # pragma: no cover - jitted
    """Every (vector, input cycle, column) value of one tile from packed bits, digitised
    and shift-added: the same conversions, draws and order of additions as the float path
    (:func:`adc_accumulate` / :func:`adc_accumulate_noisy` per cycle), so the ideal results
    are bit-identical. Inner loops run over columns, so they vectorise.

    words, negative: (G, M, J, W) uint64 input bits (:func:`pack_input_bits`)
    planes:     (G, P, W, C) uint64: word w of plane p of column c (rows holding a cell of
                that plane)
    plane_value: (P,) int64: what one set bit of plane p adds to Σ x·level
    plane_q, q0: (P,) float64 and float: the read-noise weight (G/ΔG)² of a cell is q0, plus
                plane_q[p] for a cell in plane p (one-hot planes)
    var_scale:  σ² of the read noise (0: none); keys, adc_keys: (J,) noise streams per cycle
    tiled:      col_to_out is 0 … N−1 repeated (adds run over n, in the same order)
    weight:     (J, C) shift-add weight of each cycle and column
    vmin, lsb:  (J, G, C) ADC ranges of each cycle; gain, offset: (G, C) converter errors
    noisy:      apply read noise and the converter's errors (else the ideal conversion)
    converter:  the converters have gain errors and offsets (else gain 1, offset 0)
    idle:       (J, G) bool: with no input bit set, every column of cycle j reads 0 (its
                conversions are skipped where the converters are otherwise ideal)
    m_first, m_total: these vectors are m_first … of a chunk of m_total (the float path's
                block of draws: column value (g, m, c) draws number (g·m_total + m)·C + c)
    acc:        (G, M, N) float64 accumulator"""
    g_n, m_n, j_n, w_n = words.shape
    p_n, c_n = planes.shape[1], planes.shape[3]
    n_n = acc.shape[2]
    zero = np.uint64(0)
    total = np.empty(c_n, dtype=np.float64)  # Σ x·level: small integers, exact in float64
    q_sum = np.zeros(c_n, dtype=np.float64)  # read-noise weights (written only with_q)
    z = np.empty(c_n, dtype=np.float32)
    values = np.empty((j_n, c_n), dtype=np.float64)
    with_q = var_scale != 0.0 and noisy
    pv_f = plane_value.astype(np.float64)
    for g in range(g_n):
        for m in range(m_n):
            base = (g * m_total + m_first + m) * c_n
            for j in range(j_n):
                ones = 0
                for w in range(w_n):
                    ones += popcount(words[g, m, j, w])
                first = 0  # the first plane still to add
                if w_n == 2 and (p_n == 2 or p_n == 3):  # arrays of 65-128 rows
                    _count_two_words(words[g, m, j, 0], words[g, m, j, 1], planes[g], pv_f,
                                     plane_q, with_q, total, q_sum)
                    first = p_n
                else:
                    total[:] = 0.0
                    q_sum[:] = 0.0
                for p in range(p_n):
                    pv = pv_f[p]
                    for w in range(0, w_n, 2):  # two words (128 rows) a pass
                        x0 = words[g, m, j, w]
                        x1 = words[g, m, j, w + 1] if w + 1 < w_n else zero
                        if x0 == zero and x1 == zero:
                            continue
                        p0 = planes[g, p, w]
                        p1 = planes[g, p, w + 1] if w + 1 < w_n else p0
                        if p < first:
                            pass  # counted by _count_two_words
                        elif with_q:
                            _count_q(x0, x1, p0, p1, pv, plane_q[p], total, q_sum)
                        else:
                            _count(x0, x1, p0, p1, pv, total)
                        if signed:
                            n0 = negative[g, m, j, w]
                            n1 = negative[g, m, j, w + 1] if w + 1 < w_n else zero
                            if n0 != zero or n1 != zero:
                                _count(n0, n1, p0, p1, -2.0 * pv, total)
                if tiled and not (converter or adc_sigma != 0.0 or inl != 0.0):
                    if ones == 0 and idle[j, g]:
                        continue  # x = 0, no read noise (no cell read): adds 0 everywhere
                    if noisy and var_scale != 0.0:
                        _draws(keys[j], base, table, z)
                    _finish(total, q_sum, q0 * ones, var_scale if noisy else 0.0, z,
                            vmin[j, g], lsb[j, g], top, weight[j], acc[g, m])
                    continue
                if noisy:
                    key = keys[j]
                    if var_scale != 0.0:
                        _draws(key, base, table, z)
                        _read_noise(total, q_sum, q0 * ones, var_scale, z)
                    if converter:  # a gain error and an offset of its own
                        for c in range(c_n):
                            total[c] = total[c] * gain[g, c] + offset[g, c] * lsb[j, g, c]
                    if adc_sigma != 0.0:
                        _draws(adc_keys[j], base, table, z)
                        for c in range(c_n):
                            total[c] += adc_sigma * np.float64(z[c]) * lsb[j, g, c]
                    if inl != 0.0:
                        for c in range(c_n):
                            u = (total[c] - vmin[j, g, c]) / (lsb[j, g, c] * top)
                            bow = inl * 4.0 * u * (1.0 - u) * lsb[j, g, c]
                            total[c] += bow if u > 0.0 and u < 1.0 else 0.0
                _digitise(total, vmin[j, g], lsb[j, g], top, weight[j], values[j])
            if tiled and not (converter or adc_sigma != 0.0 or inl != 0.0):
                continue  # added by _finish
            if tiled:  # cycle by cycle, column class by class: the float path's order
                for j in range(j_n):
                    for k in range(c_n // n_n):
                        for n in range(n_n):
                            acc[g, m, n] += values[j, k * n_n + n]
            else:
                for j in range(j_n):
                    for c in range(c_n):
                        acc[g, m, col_to_out[c]] += values[j, c]
