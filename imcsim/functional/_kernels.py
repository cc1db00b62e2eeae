"""Numba kernels of the functional simulator: private, ndarray-and-scalar arguments only.

Compilation flags come from :data:`JIT`. Each kernel has a slow NumPy twin in
``tests/naive.py`` and a test comparing the two on random inputs.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

# One place for the compilation flags (cache to disk, parallel loops, strict IEEE maths so
# results do not depend on the machine's vector width).
JIT = {"cache": True, "parallel": True, "fastmath": False, "nogil": True}


@njit(**JIT)
def adc_accumulate(v, col_to_out, weight, vmin, lsb, top, acc):  # pragma: no cover - jitted
    """Digitise every column value and shift-add it into its output.

    v:          (G, M, C) float32 column values (one matmul over all slices and signs)
    col_to_out: (C,) int64 output column of each physical column
    weight:     (C,) float64 shift-add weight of each column (±2^(slice·cell_bits) · 2^(cycle·dac_bits))
    vmin, lsb:  ADC range start and step, in column-value units; codes 0 … top
    acc:        (G, M, N) float64 accumulator (partial sums of all tiles, cycles and slices)
    """
    g_n, m_n, c_n = v.shape
    for gm in prange(g_n * m_n):
        g = gm // m_n
        m = gm % m_n
        for c in range(c_n):
            q = np.floor((v[g, m, c] - vmin) / lsb + 0.5)
            if q < 0.0:
                q = 0.0
            elif q > top:
                q = top
            acc[g, m, col_to_out[c]] += weight[c] * (vmin + q * lsb)


@njit(**JIT)
def adc_accumulate_noisy(v, var, eps, col_to_out, weight, vmin, lsb, top, acc):  # pragma: no cover
    """As :func:`adc_accumulate`, after adding read noise N(0, var) drawn as sqrt(var)·eps."""
    g_n, m_n, c_n = v.shape
    for gm in prange(g_n * m_n):
        g = gm // m_n
        m = gm % m_n
        for c in range(c_n):
            x = v[g, m, c] + np.sqrt(var[g, m, c]) * eps[g, m, c]
            q = np.floor((x - vmin) / lsb + 0.5)
            if q < 0.0:
                q = 0.0
            elif q > top:
                q = top
            acc[g, m, col_to_out[c]] += weight[c] * (vmin + q * lsb)


def check(name: str, array: np.ndarray, dtype: type, ndim: int) -> np.ndarray:
    """The public wrappers' argument check: dtype, rank, C-contiguity."""
    if array.dtype != dtype or array.ndim != ndim:
        raise TypeError(f"{name}: expected {ndim}-D {np.dtype(dtype).name}, got "
                        f"{array.ndim}-D {array.dtype}")
    return np.ascontiguousarray(array)
