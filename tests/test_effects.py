"""Non-idealities as one list of effect objects: built from the config, applied by every
simulator, "ideal" = no effects."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from imcsim.config import load_arch
from imcsim.functional import effects
from imcsim.functional.crossbar import HwParams
from imcsim.solvers import one_step

EVERY = ["nonideal.prog_noise=0.01", "nonideal.stuck_off_fraction=0.01",
         "nonideal.drift_nu=0.05", "nonideal.drift_time_s=100", "nonideal.wire_resistance_ohm=1",
         "nonideal.read_noise=0.01", "nonideal.adc_noise_lsb=0.5"]


def test_every_configured_effect_is_in_the_list_and_ideal_is_empty():
    assert effects.effects(HwParams.from_arch(load_arch("rram_128"))) == []
    names = [e.name for e in effects.effects(HwParams.from_arch(load_arch("rram_128", EVERY)))]
    assert names == ["prog_noise", "stuck_at", "drift", "ir_drop", "read_noise", "adc"]


def test_cells_effects_apply_in_order_and_the_reference_gets_its_share():
    """Drift by f after stuck-at: a cell stuck at G_on reads f·G_on; reference cells
    (G_off) are not stuck but drift: f·G_off."""
    f = 0.5
    hw = HwParams.from_arch(load_arch("rram_128", ["nonideal.stuck_on_fraction=1",
                                                   "nonideal.drift_nu=1",
                                                   "nonideal.drift_time_s=2"]))
    cells = effects.Cells(hw.g_on, hw.g_off)
    listed = effects.effects(hw)
    g = effects.program(np.full((1, 3, 2), hw.g_off), listed, cells, np.random.default_rng(0))
    np.testing.assert_allclose(g, f * hw.g_on)
    ref = effects.program(np.full((1, 3, 1), hw.g_off), listed, cells, np.random.default_rng(0),
                          reference=True)
    np.testing.assert_allclose(ref, f * hw.g_off)


def test_the_feedback_solver_applies_drift_as_its_circuit_would():
    """Every conductance × f: the circuit solves f·A·x = b, so x is 1/f of the drift-free
    solution (8-bit conductances, a well-conditioned matrix)."""
    k = 8
    t = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(k, k))
    a = sp.csr_matrix(sp.kron(sp.identity(k), t) + sp.kron(t, sp.identity(k)) + 4 * sp.identity(k * k))
    b = a @ np.ones(k * k)
    base = one_step(a, b, load_arch("rram_128", ["array.cell_bits=8"]), tol=0.5)
    drifted = one_step(a, b, load_arch("rram_128", ["array.cell_bits=8", "nonideal.drift_nu=1",
                                                    "nonideal.drift_time_s=2"]), tol=0.5)
    np.testing.assert_allclose(drifted.x, 2 * base.x, rtol=1e-4)
    with pytest.raises(Exception, match="does not model adc"):
        one_step(a, b, load_arch("rram_128", ["nonideal.adc_noise_lsb=0.5"]))
