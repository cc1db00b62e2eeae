"""Solvers on analog crossbars; references from scipy.sparse.linalg, NumPy and networkx."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from imcsim.compiler.errors import MatrixError
from imcsim.compiler.sparse import load_matrix

from imcsim.config import load_arch
from imcsim.errors import ConfigError
from imcsim.solvers import gmres_ir, one_step, pagerank, refine, slice_sweep

FIXTURES = Path(__file__).parent / "fixtures" / "matrices"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "matrices"
REALISTIC = ["adc.range=calibrated", "nonideal.prog_noise=0.02"]  # 2-bit cells, 2 % noise


def poisson(k: int = 12, shift: float = 1.0) -> sp.csr_matrix:
    """2-D Poisson matrix (5-point stencil) + shift·I: SPD, κ ≈ 8/shift + 1."""
    t = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(k, k))
    return sp.csr_matrix(sp.kron(sp.identity(k), t) + sp.kron(t, sp.identity(k))
                         + shift * sp.identity(k * k))


def test_refine_reaches_1e_6_on_a_well_conditioned_spd_matrix():
    a = poisson()
    b = a @ np.random.default_rng(0).standard_normal(a.shape[0])
    r = refine(a, b, load_arch("rram_128", REALISTIC), tol=1e-6)
    assert r.converged and r.rel_residual <= 1e-6
    assert r.analog_mvms > 0 and r.details["inner_solver"] == "cg"
    x_ref = spla.spsolve(a.tocsc(), b)
    assert np.linalg.norm(r.x - x_ref) / np.linalg.norm(x_ref) < 1e-5
    assert r.history[0] == 1.0 and r.history[-1] <= 1e-6


def test_refine_uses_gmres_for_a_nonsymmetric_matrix():
    a = sp.csr_matrix(poisson(10) + sp.diags([0.4], [3], shape=(100, 100)))
    b = a @ np.ones(100)
    r = refine(a, b, load_arch("rram_128", REALISTIC))
    assert r.details["inner_solver"] == "gmres" and r.converged
    np.testing.assert_allclose(r.x, np.ones(100), rtol=1e-5)


def test_refine_stops_and_explains_when_kappa_times_error_is_large():
    a = load_matrix(FIXTURES / "bcsstk01.mtx")  # κ ≈ 1e6 (1.4e3 after Jacobi scaling)
    r = refine(a, a @ np.ones(48), load_arch("rram_128"), max_iter=50)
    assert not r.converged and r.iterations < 50
    assert "κ" in r.reason and "analog MVM error" in r.reason
    assert r.rel_residual <= 1.0  # the best iterate, never worse than x = 0
    assert len(r.history) == r.iterations + 1  # every update measured, none stale


def test_refine_reaches_1e_6_on_nos4_with_realistic_devices():
    """Harwell-Boeing nos4 (SPD, κ ≈ 1e3 after Jacobi scaling), 2-bit cells, 2 % noise."""
    a = load_matrix(FIXTURES / "nos4.mtx")
    b = a @ np.ones(100)
    r = refine(a, b, load_arch("rram_128", REALISTIC))
    assert r.converged and r.rel_residual <= 1e-6
    # forward error ≤ κ(A)·residual: κ(nos4) ≈ 2.7e3 → ≲ 3e-3
    x_ref = spla.spsolve(a.tocsc(), b)
    assert np.linalg.norm(r.x - x_ref) / np.linalg.norm(x_ref) < 3e-3


@pytest.mark.skipif(not (SHARED / "gr_30_30.mtx").exists(), reason="shared matrices absent")
def test_refine_on_a_real_spd_matrix():
    a = load_matrix(SHARED / "gr_30_30.mtx")
    r = refine(a, a @ np.ones(a.shape[0]), load_arch("rram_128", REALISTIC))
    assert r.converged and r.rel_residual <= 1e-6


def test_one_step_error_falls_with_conductance_bits():
    a = poisson(8, shift=4.0)  # κ ≈ 3
    b = a @ np.ones(64)
    errors = [one_step(a, b, load_arch("rram_128", [f"array.cell_bits={c}"])).rel_error
              for c in (2, 4, 6, 8)]
    assert errors == sorted(errors, reverse=True)
    assert errors[-1] < 0.01  # 8-bit conductances on a well-conditioned matrix


def test_one_step_refuses_an_unstable_matrix():
    a = sp.csr_matrix(-poisson(4))  # negative definite: the feedback loop has no fixed point
    with pytest.raises(MatrixError, match="non-positive real part"):
        one_step(a, np.ones(16), load_arch("rram_128"))


def test_pagerank_matches_networkx():
    a = load_matrix(FIXTURES / "karate.mtx")
    ref = nx.pagerank(nx.from_scipy_sparse_array(a, create_using=nx.DiGraph), alpha=0.85,
                      tol=1e-12)
    ref_v = np.array([ref[i] for i in range(a.shape[0])])
    r = pagerank(a, load_arch("rram_128", ["array.cell_bits=8"]))
    assert abs(r.x.sum() - 1) < 1e-12
    assert np.linalg.norm(r.x - ref_v) / np.linalg.norm(ref_v) < 0.01
    assert r.rel_error == pytest.approx(np.linalg.norm(r.x - ref_v) / np.linalg.norm(ref_v),
                                        rel=1e-6)
    coarse = pagerank(a, load_arch("rram_128", ["array.cell_bits=2"]))
    assert coarse.rel_error > r.rel_error


def test_bit_slices_buy_precision():
    a = load_matrix(FIXTURES / "bcsstk01.mtx")
    rows = slice_sweep(a, load_arch("rram_128", ["array.cell_bits=1", "adc.range=calibrated"]), 10)
    err = {r["slices"]: r["spmv_rel_error"] for r in rows}
    assert min(err) == 2  # 1-bit cells: a signed value needs 2 slices at least
    assert err[2] > err[4] > err[8] > err[10] and err[10] < 1e-2


def _cli(*argv):
    return subprocess.run([sys.executable, "-m", "imcsim", *argv], capture_output=True, text=True)


def test_cli_solve_with_rhs_and_x_out(tmp_path):
    a = poisson(6)
    path = tmp_path / "p.npz"
    sp.save_npz(path, a)
    b = np.arange(36, dtype=float)
    np.save(tmp_path / "b.npy", b)
    r = _cli("solve", str(path), "--rhs", str(tmp_path / "b.npy"), "--x-out",
             str(tmp_path / "x.npy"), "--json", str(tmp_path / "s.json"),
             *[v for s in REALISTIC for v in ("--set", s)])
    assert r.returncode == 0, r.stderr
    report = json.loads((tmp_path / "s.json").read_text())
    for key in ("converged", "iterations", "rel_residual", "analog_mvms", "energy_j", "time_s"):
        assert key in report
    x = np.load(tmp_path / "x.npy")
    np.testing.assert_allclose(x, spla.spsolve(a.tocsc(), b), rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("argv,expect", [
    (["solve", str(FIXTURES / "west0067.mtx"), "--rhs", "RHS"], "has 5 values"),
    (["solve", "NONSQUARE"], "needs a square matrix"),
    (["solve", str(FIXTURES / "nos4.mtx"), "--method", "magic"], "--method magic"),
    (["pagerank", str(FIXTURES / "karate.mtx"), "--damping", "1.5"], "--damping 1.5"),
])
def test_cli_bad_input(tmp_path, argv, expect):
    np.save(tmp_path / "b.npy", np.ones(5))
    np.save(tmp_path / "ns.npy", np.ones((3, 4)))
    argv = [str(tmp_path / "b.npy") if a == "RHS" else str(tmp_path / "ns.npy") if a == "NONSQUARE"
            else a for a in argv]
    r = _cli(*argv, "--x-out", str(tmp_path / "x.npy"))
    assert r.returncode == 2 and expect in r.stderr and r.stderr.count("\n") == 1, r.stderr
    assert not (tmp_path / "x.npy").exists()


def test_refine_reports_the_error_against_the_direct_solution():
    a = load_matrix(FIXTURES / "nos4.mtx")
    b = a @ np.ones(100)
    r = refine(a, b, load_arch("rram_128", REALISTIC))
    assert r.rel_error == pytest.approx(np.linalg.norm(r.x - 1.0) / 10.0, rel=1e-6)


def test_refine_tells_a_short_inner_solve_from_imprecise_mvms():
    """1-D Poisson, n = 300 (κ ≈ 3.7e4): with 16-bit weights and inputs the MVMs are
    nearly exact, and it is the 20-step inner CG that cannot reduce the residual — exact
    MVMs stall too. bcsstk01 on the default preset is the other case: exact MVMs would
    refine it, the analog ones (κ·ε ≈ 10) cannot."""
    n = 300
    t = sp.csr_matrix(sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(n, n)))
    exact = ["precision.weight_bits=16", "precision.input_bits=16", "adc.model=sar",
             "adc.bits=16"]
    short = refine(t, t @ np.ones(n), load_arch("rram_128", exact))
    assert not short.converged and "inner Krylov solve is too short" in short.reason
    a = load_matrix(FIXTURES / "bcsstk01.mtx")
    imprecise = refine(a, a @ np.ones(48), load_arch("rram_128"))
    assert not imprecise.converged and "cannot reduce the residual at this precision" in (
        imprecise.reason)


def test_gmres_ir_converges_with_the_analog_solve_as_preconditioner():
    """nos4 with 2-bit cells and calibrated 6-bit ADCs: flexible GMRES, one digital SpMV per
    iteration plus the initial and final residuals, one inner analog solve (20 MVMs) per
    iteration; both kinds of energy are counted."""
    a = load_matrix(FIXTURES / "nos4.mtx")
    b = a @ np.ones(100)
    r = gmres_ir(a, b, load_arch("rram_128", ["adc.range=calibrated"]))
    assert r.converged and r.rel_residual <= 1e-6 and r.iterations < 30
    assert r.details["digital_spmvs"] == r.iterations + 2
    assert r.analog_mvms == 20 * r.iterations
    assert r.energy_j == pytest.approx(r.details["analog_energy_j"] + r.details["digital_energy_j"])
    np.testing.assert_allclose(r.x, np.ones(100), rtol=1e-4)


@pytest.mark.skipif(not (SHARED / "1138_bus.mtx").exists(), reason="shared matrices absent")
def test_gmres_ir_solves_1138_bus_where_refine_stalls():
    """κ ≈ 5e5 after scaling: refine's restarted inner CG stalls; gmres-ir reaches 1e-6 with
    the default preset and calibrated ranges (issue #9)."""
    a = load_matrix(SHARED / "1138_bus.mtx")
    r = gmres_ir(a, a @ np.ones(a.shape[0]), load_arch("rram_128", ["adc.range=calibrated"]))
    assert r.converged and r.rel_residual <= 1e-6


def test_one_step_converged_means_the_tolerance_and_stability_is_separate(tmp_path):
    """2-bit conductances solve a well-conditioned system to a few per cent: stable, but
    not converged at --tol 1e-6 — exit 1 with the report written; converged at 0.5."""
    a = poisson(8, shift=4.0)
    r = one_step(a, a @ np.ones(64), load_arch("rram_128"))
    assert r.details["circuit_stable"] and not r.converged and "tolerance" in r.reason
    assert one_step(a, a @ np.ones(64), load_arch("rram_128"), tol=0.5).converged
    path = tmp_path / "p.npz"
    sp.save_npz(path, a)
    out = tmp_path / "r.json"
    run = _cli("solve", str(path), "--method", "one-step", "--json", str(out))
    assert run.returncode == 1 and json.loads(out.read_text())["converged"] is False


def test_one_step_applies_device_effects_and_refuses_what_it_cannot_model():
    a = poisson(8, shift=4.0)
    b = a @ np.ones(64)
    base = one_step(a, b, load_arch("rram_128", ["array.cell_bits=8"])).rel_error
    stuck = one_step(a, b, load_arch("rram_128", ["array.cell_bits=8",
                                                  "nonideal.stuck_off_fraction=0.05"])).rel_error
    assert stuck > 5 * base
    with pytest.raises(ConfigError, match="does not model ir_drop"):
        one_step(a, b, load_arch("rram_128", ["nonideal.wire_resistance_ohm=1"]))


def test_refinement_stops_at_the_wall_clock_limit():
    """A limit of 0 s has passed before refine's first correction: no step is taken and the
    result is the starting guess x = 0, whose relative residual is exactly ‖b‖/‖b‖ = 1.
    GMRES-IR checks the clock after each preconditioned iteration: it stops after one."""
    a = load_matrix(FIXTURES / "bcsstk01.mtx")
    b = a @ np.ones(48)
    r = refine(a, b, load_arch("rram_128"), tol=1e-12, time_limit_s=0.0)
    assert (r.converged, r.iterations) == (False, 0)
    assert r.rel_residual == pytest.approx(1.0)
    assert "wall-clock limit of 0 s" in r.reason
    g = gmres_ir(a, b, load_arch("rram_128"), tol=1e-12, time_limit_s=0.0)
    assert (g.converged, g.iterations) == (False, 1)
    assert "wall-clock limit of 0 s" in g.reason


def test_slices_belongs_to_bitslice_only(tmp_path):
    """--slices defaulted to 8 and was checked for every method, so `solve --method
    one-step --set array.cell_bits=6` (a README command) failed: 8 slices of 6-bit cells
    exceed 32-bit values. Now it defaults to what bitslice can use and is refused, in one
    line, with another method."""
    import subprocess
    import sys

    nos4 = Path(__file__).parent / "fixtures" / "matrices" / "nos4.mtx"
    r = subprocess.run([sys.executable, "-m", "imcsim", "solve", str(nos4), "--method",
                        "refine", "--slices", "4"], capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "--slices applies to --method bitslice only" in r.stderr
    r = subprocess.run([sys.executable, "-m", "imcsim", "solve", str(nos4), "--method",
                        "bitslice", "--set", "array.cell_bits=6", "--json", "-"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert [s["slices"] for s in json.loads(r.stdout)["slices"]][-1] == 6  # ceil(32 / 6)


def test_progress_callbacks_see_every_step():
    """The progress line of `imcsim solve` is fed by on_step: refine reports every outer
    step's measured residual (its history, exactly); gmres-ir one call per iteration, its
    last estimate within 10× of the true final residual."""
    a = poisson()
    b = a @ np.random.default_rng(0).standard_normal(a.shape[0])
    seen: list[tuple[int, float]] = []
    r = refine(a, b, load_arch("rram_128", REALISTIC), on_step=lambda k, x: seen.append((k, x)))
    assert [x for _, x in seen] == r.history and [k for k, _ in seen] == list(range(len(seen)))
    seen.clear()
    g = gmres_ir(a, b, load_arch("rram_128", REALISTIC), on_step=lambda k, x: seen.append((k, x)))
    assert [k for k, _ in seen] == list(range(1, g.iterations + 1))
    assert seen[-1][1] <= 10 * max(g.rel_residual, 1e-12) and seen[-1][1] >= 0.1 * g.rel_residual


def test_progress_line_goes_to_a_terminal_stderr_only(monkeypatch):
    import io
    import sys

    from imcsim import progress

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    err = Tty()
    monkeypatch.setattr(sys, "stderr", err)
    with progress.Steps("refine", total=3, unit="steps") as bar:
        bar.advance(1, "residual 1.00e-03")
    assert bar.enabled
    progress.set_enabled(False)
    try:
        assert not progress.Steps("x").enabled  # --quiet
    finally:
        progress.set_enabled(True)
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # a pipe: no bar frames in logs
    assert not progress.Steps("x").enabled
