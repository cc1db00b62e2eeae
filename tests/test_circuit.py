"""IR drop by circuit solve, against a dense nodal analysis written here and closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from imcsim.compiler.mapping import SignedScheme

from imcsim.config import AdcRange
from imcsim.functional.circuit import effective_conductances
from imcsim.functional.crossbar import HwParams, ProgrammedMatrix


def nodal_currents(g, v, wire_r, driver_r, sense_r):
    """Sense-amplifier currents of an R × C crossbar read with row voltages v, by dense
    nodal analysis, written independently of the code under test: unknowns are the
    row-wire and column-wire node voltages at every cell; each node's KCL row lists its
    conductances. Row i's source reaches node (i, 0) through driver_r + one segment;
    column j's bottom node reaches the grounded sense amplifier through one segment +
    sense_r."""
    r_n, c_n = g.shape
    idx = {}
    for i in range(r_n):
        for j in range(c_n):
            idx["r", i, j] = len(idx)
            idx["c", i, j] = len(idx)
    y = np.zeros((len(idx), len(idx)))
    b = np.zeros(len(idx))

    def conduct(a, bb, cond):
        y[a, a] += cond
        y[bb, bb] += cond
        y[a, bb] -= cond
        y[bb, a] -= cond

    for i in range(r_n):
        for j in range(c_n):
            conduct(idx["r", i, j], idx["c", i, j], g[i, j])
            if j + 1 < c_n:
                conduct(idx["r", i, j], idx["r", i, j + 1], 1 / wire_r)
            if i + 1 < r_n:
                conduct(idx["c", i, j], idx["c", i + 1, j], 1 / wire_r)
        gs = 1 / (driver_r + wire_r)
        y[idx["r", i, 0], idx["r", i, 0]] += gs
        b[idx["r", i, 0]] += gs * v[i]
    g_out = 1 / (wire_r + sense_r)
    for j in range(c_n):
        y[idx["c", r_n - 1, j], idx["c", r_n - 1, j]] += g_out
    volts = np.linalg.solve(y, b)
    return np.array([volts[idx["c", r_n - 1, j]] * g_out for j in range(c_n)])


@pytest.mark.parametrize(("wire_r", "driver_r", "sense_r"), [(2.5, 0.0, 0.0), (1.0, 500.0, 200.0)])
def test_effective_conductances_equal_a_dense_nodal_solve(wire_r, driver_r, sense_r):
    rng = np.random.default_rng(0)
    g = rng.uniform(1e-6, 1e-4, size=(6, 5))
    g_eff = effective_conductances(g, wire_r, driver_r, sense_r)
    for _ in range(3):
        v = rng.uniform(-0.2, 0.2, size=6)
        want = nodal_currents(g, v, wire_r, driver_r, sense_r)
        np.testing.assert_allclose(v @ g_eff, want, rtol=1e-9, atol=1e-18)


def test_no_resistance_is_ideal_and_a_single_cell_is_a_series_path():
    g = np.random.default_rng(1).uniform(1e-6, 1e-4, size=(4, 3))
    np.testing.assert_array_equal(effective_conductances(g, 0.0, 0.0, 0.0), g)
    # one cell: driver + row segment + cell + column segment + sense, in series
    cell = np.array([[1e-5]])
    r = 1 / 1e-5 + 300.0 + 2 * 7.0 + 150.0
    assert effective_conductances(cell, 7.0, 300.0, 150.0)[0, 0] == pytest.approx(1 / r, rel=1e-12)
    # ideal wires: a row's cells share its driver; the columns see the sense resistance
    lumped = effective_conductances(g, 0.0, 1e3, 0.0)
    v_row = (1 / 1e3) / (1 / 1e3 + g.sum(axis=1))
    np.testing.assert_allclose(lumped, g * v_row[:, None], rtol=1e-12)


def test_circuit_ir_drop_loses_far_more_than_first_order_on_a_128_array():
    """128 × 128 cells of 10–100 kΩ at 2.5 Ω per segment: the current sharing the
    first-order model ignores makes the circuit's loss larger."""
    base = dict(rows=128, cols=128, cell_bits=2, weight_bits=2, input_bits=1, dac_bits=1,
                scheme=SignedScheme.OFFSET, adc_bits=16, adc_range=AdcRange.FULL_SCALE,
                percentile=99.9, g_on=1e-4, g_off=1e-5, wire_r=2.5)
    w = np.ones((1, 128, 128))
    x = np.ones((1, 1, 128), dtype=np.int64)
    ideal = ProgrammedMatrix(w, HwParams(**{**base, "wire_r": 0.0}), np.random.default_rng(0))
    loss = {}
    for circuit in (False, True):
        pm = ProgrammedMatrix(w, HwParams(**base, ir_circuit=circuit), np.random.default_rng(0))
        loss[circuit] = 1 - pm.run_int(x, False).sum() / ideal.run_int(x, False).sum()
    assert loss[True] > 2 * loss[False] > 0
