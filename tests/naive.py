"""Slow, obviously-correct NumPy twins of the functional kernels (used by tests only)."""

from __future__ import annotations

import numpy as np


def adc(v: np.ndarray, vmin: float, lsb: float, top: float) -> np.ndarray:
    q = np.clip(np.floor((v - vmin) / lsb + 0.5), 0, top)
    return vmin + q * lsb


def crossbar_int(pm, x_int: np.ndarray, signed: bool, cell_noise=None) -> np.ndarray:
    """Loop over groups, tiles, cycles, slices/signs and columns one at a time.

    ``cell_noise(g, rows, levels_column)`` may return per-cell read-noise terms (already in
    level units) to add to each cell for that read — the naive per-cell model."""
    from imcsim.functional.crossbar import input_digits

    hw = pm.hw
    g_n, m_n, _ = x_int.shape
    out = np.zeros((g_n, m_n, pm.n))
    top = float((1 << hw.adc_bits) - 1)
    for g in range(g_n):
        for t in pm.tiles:
            digits = input_digits(x_int[g : g + 1, :, t.rows], hw, signed)
            for j, dj in enumerate(digits):
                vmins, lsbs = t.ranges[int(signed)][j]
                for c in range(pm.col_weight.size):
                    vmin, lsb = float(vmins[g, c]), float(lsbs[g, c])
                    column = t.levels[g, :, c].astype(np.float64)
                    for m in range(m_n):
                        cells = column.copy()
                        if cell_noise is not None:
                            cells = cells + cell_noise(g, t, c)
                        v = float(np.dot(dj[0, m].astype(np.float64), cells))
                        out[g, m, pm.col_to_out[c]] += (pm.col_weight[c] * 2.0 ** (j * hw.dac_bits)
                                                        * adc(np.array(v), vmin, lsb, top))
    if pm.correction:
        out -= pm.correction * x_int.sum(axis=2, keepdims=True)
    return out
