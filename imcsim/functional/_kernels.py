"""Numba kernels of the functional simulator: private, ndarray-and-scalar arguments only.

Compilation flags come from :data:`JIT`. Each kernel has a slow NumPy twin in
``tests/naive.py`` and a test comparing the two on random inputs. Arithmetic is cast to
float64 explicitly, so the numbers are the same with the JIT and without it
(``NUMBA_DISABLE_JIT=1``, which CI runs on the kernel tests).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit, prange

# One place for the compilation flags: cache to disk, strict IEEE maths (results do not depend
# on the vector width), serial loops: on 2 cores a prange loop over cheap elements loses to
# its thread start-up and to BLAS threads still spinning after the matmul that fed it.
JIT: dict[str, Any] = {"cache": True, "parallel": False, "fastmath": False, "nogil": True}


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
# Instead each draw picks one of 2^16 fixed N(0, 1) samples (256 kB: stays in L2) with a
# counter-based hash of
# (key, index): exact Gaussian marginals (to the table's ±4σ tails), independent of the
# thread schedule, ~2 ns a draw. tests/test_kernels.py checks the statistics.
TABLE_BITS = 16
NORMAL_TABLE = np.random.default_rng(0x1A5EED).standard_normal(1 << TABLE_BITS).astype(np.float32)


@njit(inline="always")
def normal(key, index, table):  # pragma: no cover - jitted
    """The standard normal draw number ``index`` of stream ``key``."""
    r = _splitmix64(key ^ (np.uint64(index) * np.uint64(0xD1B54A32D192ED03)))
    return table[r >> np.uint64(64 - TABLE_BITS)]


@njit(**JIT)
def normals(key, n, table):  # pragma: no cover - jitted
    """n draws of :func:`normal` for indices 0 … n−1 (for tests and twins)."""
    out = np.empty(n, dtype=np.float32)
    for i in range(n):
        out[i] = normal(key, i, table)
    return out


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
    for gm in prange(g_n * m_n):
        g = gm // m_n
        m = gm % m_n
        base = gm * c_n
        for c in range(c_n):
            x = np.float64(v[g, m, c]) + np.sqrt(np.float64(var[g, m, c])) * np.float64(
                normal(key, base + c, table))  # float64 with or without the JIT
            step = lsb[g, c]
            x = x * gain[g, c] + offset[g, c] * step
            if adc_sigma != 0.0:
                x += adc_sigma * np.float64(normal(adc_key, base + c, table)) * step
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
