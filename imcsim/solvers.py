"""Solvers built on analog crossbar operations.

- :func:`refine` — mixed-precision iterative refinement (Le Gallo et al., Nature
  Electronics 2018): the digital unit keeps x and r = b − A·x in float64; each outer step
  solves A·z = r inexactly with ``inner`` Krylov iterations (CG for symmetric positive
  definite A, GMRES otherwise) whose matrix-vector products run on the simulated
  crossbars (:class:`imcsim.spmv.HardwareSpMV`, block mapping, configured
  non-idealities); x += ω·z with the minimal-residual ω = (r·Az)/(Az·Az), computed
  digitally with the same exact SpMV that updates r. A symmetric Jacobi scaling D^-1/2·A·D^-1/2 (digital, exact) is
  applied first by default, as badly scaled stiffness matrices otherwise waste the
  arrays' few bits. Stops at ‖r‖/‖b‖ ≤ tol, after ``max_iter`` outer steps, or when the
  residual stops falling — and then says why (condition number against the analog MVM
  error).
- :func:`gmres_ir` — GMRES-based iterative refinement in the manner of Carson & Higham
  (SIAM J. Sci. Comput. 2018): a digital, float64 flexible GMRES on A whose preconditioner
  is the inexact analog solve — ``inner`` Krylov steps on the crossbars, as in
  :func:`refine` — so the digital Krylov space corrects what the analog solve gets wrong
  and ill-conditioned systems still reach a small residual. Analog MVMs and digital SpMVs
  are counted and priced separately.
- :func:`slice_sweep` — bit-slice precision extension (Zidan et al., Nature Electronics
  2018): SpMV error against the number of slices of low-precision cells.
- :func:`one_step` — the analog feedback solver (Sun et al., PNAS 2019; 2020): a crossbar
  in the feedback loop of op-amps settles to x = A⁻¹·b in one step. Each entry is one
  conductance (no bit slicing): quantised to ``cell_bits`` levels, positive and negative
  parts on two arrays, with programming noise; finite op-amp open-loop gain A0 perturbs the
  matrix by ‖A‖/A0 on the diagonal. The circuit is stable only when every eigenvalue of A
  has a positive real part; otherwise it refuses. PageRank is the solve of
  (I − d·P)·x = (1 − d)/n · 1 with P column-stochastic.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from imcsim.compiler.errors import MatrixError
from imcsim.compiler.sparse import map_matrix, require_square
from imcsim.config import Arch
from imcsim.cost import build_components
from imcsim.errors import ConfigError
from imcsim.functional import effects
from imcsim.functional.crossbar import HwParams
from imcsim.spmv import HardwareSpMV, sparse_spec, spmv_cost

OPAMP_POWER_W = 1e-4  # per op-amp (one per row) of the one-step circuit, a typical CMOS figure
SETTLING_READS = 10  # one-step circuit settles in about 10 array read times


@dataclass
class SolveResult:
    method: str
    converged: bool
    iterations: int
    rel_residual: float  # ‖b − A·x‖ / ‖b‖
    analog_mvms: int
    energy_j: float
    time_s: float
    x: np.ndarray = field(repr=False)
    history: list[float] = field(default_factory=list)
    reason: str = ""
    rel_error: float | None = None  # ‖x − x*‖/‖x*‖ against scipy's direct solution, if known
    details: dict[str, object] = field(default_factory=dict)


def _is_symmetric(a: sp.csr_matrix) -> bool:
    diff = abs(a - a.T)
    return diff.nnz == 0 or diff.max() <= 1e-12 * abs(a).max()


def _is_spd(a: sp.csr_matrix) -> bool:
    if not _is_symmetric(a) or np.any(a.diagonal() <= 0):
        return False
    try:  # smallest eigenvalue > 0 (small problems: dense; large: shift-invert Lanczos)
        if a.shape[0] <= 2000:
            return bool(np.linalg.eigvalsh(a.toarray())[0] > 0)
        return bool(spla.eigsh(a, k=1, sigma=0, which="LM", return_eigenvectors=False)[0] > 0)
    except (np.linalg.LinAlgError, spla.ArpackError, RuntimeError):
        return False


def condition_number(a: sp.csr_matrix) -> float:
    """Condition number: exact 2-norm (dense SVD) up to 2,000 unknowns, else the 1-norm
    estimate ‖A‖₁·‖A⁻¹‖₁ (Higham's estimator on a sparse LU)."""
    if a.shape[0] <= 2000:
        s = np.linalg.svd(a.toarray(), compute_uv=False)
        return float(s[0] / s[-1]) if s[-1] > 0 else math.inf
    try:
        lu = spla.splu(a.tocsc())
    except RuntimeError:  # exactly singular
        return math.inf
    inv = spla.LinearOperator(a.shape, matvec=lu.solve, rmatvec=lambda v: lu.solve(v, trans="T"),
                              dtype=np.float64)
    return float(spla.onenormest(a) * spla.onenormest(inv))


class _AnalogSystem:
    """The Jacobi-scaled system (D·A·D)·y = D·b, x = D·y, programmed on the arrays: the
    analog MVM as a counting LinearOperator, an inexact inner Krylov solve, and the prices
    of an analog MVM and a digital MAC. Shared by :func:`refine` and :func:`gmres_ir`."""

    def __init__(self, a: sp.csr_matrix, b: np.ndarray, arch: Arch, method: str, *,
                 seed: int, scale: bool, strategy: str) -> None:
        require_square(a, "matrix", method)
        n = a.shape[0]
        if b.shape != (n,):
            raise MatrixError(f"right-hand side has shape {b.shape}, the matrix needs ({n},)")
        if not np.any(b):
            raise MatrixError("right-hand side is zero: the solution is x = 0")
        comps = build_components(arch)
        if "digital_mac" not in comps:
            raise ConfigError(f"{method} keeps its residual on the digital MAC units, and the "
                              "architecture has none (tile.digital_macs = 0); set "
                              "tile.digital_macs ≥ 1")
        self.n, self.spd = n, _is_spd(a)
        diag = a.diagonal()
        self.d = 1.0 / np.sqrt(np.abs(diag)) if scale and np.all(diag != 0) else np.ones(n)
        self.a_s = sp.csr_matrix(sp.diags(self.d) @ a @ sp.diags(self.d))
        self.b_s = self.d * b
        self.mapping = map_matrix(self.a_s, sparse_spec(arch), strategy)
        self.hw = HardwareSpMV(self.a_s, self.mapping, arch, seed)
        self.mvm_latency, self.mvm_energy, _ = spmv_cost(self.mapping, arch)
        self.mac_energy = comps["digital_mac"].energy_j
        self.mac_rate = max(1.0, comps["digital_mac"].count) * arch.technology.clock_hz
        self.calls = 0
        self.op = spla.LinearOperator((n, n), matvec=self._matvec, dtype=np.float64)

    def _matvec(self, v: np.ndarray) -> np.ndarray:
        v = np.asarray(v).ravel()
        if not np.all(np.isfinite(v)):  # a broken-down Krylov recurrence: let it surface
            return np.full(self.n, np.nan)
        self.calls += 1
        return self.hw(v)

    def inner_solve(self, r: np.ndarray, steps: int) -> np.ndarray:
        """``steps`` Krylov iterations (CG if A is SPD, else GMRES) on the analog operator,
        from zero; NaN where the recurrence broke down."""
        with np.errstate(divide="ignore", invalid="ignore"):  # breakdown shows as NaN
            if self.spd:
                z, _ = spla.cg(self.op, r, maxiter=steps, rtol=1e-12)
            else:
                z, _ = spla.gmres(self.op, r, restart=steps, maxiter=1, rtol=1e-12)
        return z


TIME_LIMIT_S = 600.0  # default wall-clock guard of the iterative solvers
OnStep = Callable[[int, float], None]  # (step, relative residual) after each step


def refine(a: sp.csr_matrix, b: np.ndarray, arch: Arch, *, tol: float = 1e-6,
           max_iter: int = 100, inner: int = 20, seed: int = 0, scale: bool = True,
           strategy: str = "block", time_limit_s: float = TIME_LIMIT_S,
           on_step: OnStep | None = None) -> SolveResult:
    """Mixed-precision iterative refinement; stops at ``max_iter`` outer steps or after
    ``time_limit_s`` seconds of wall clock, whichever comes first (the result says which).
    ``on_step(k, residual)`` is called after each outer step (progress)."""
    deadline = time.monotonic() + time_limit_s
    sys_ = _AnalogSystem(a, b, arch, "refine", seed=seed, scale=scale, strategy=strategy)
    n, spd, d, a_s, b_s = sys_.n, sys_.spd, sys_.d, sys_.a_s, sys_.b_s
    b_norm = float(np.linalg.norm(b_s / d))  # the same expression as every residual below
    y = np.zeros(n)
    r_s = b_s.copy()
    best_y, best = y, 1.0
    history: list[float] = []
    converged, reason, timed_out = False, "", False
    steps = inner  # inner Krylov steps, halved whenever an outer step gains < 10 %
    for step in range(max_iter + 1):
        rel = float(np.linalg.norm(r_s / d) / b_norm)  # every update's residual is measured
        history.append(rel)
        if on_step is not None:
            on_step(step, rel)
        if rel < best:
            best_y, best = y, rel
        if rel <= tol:
            converged = True
            break
        if step == max_iter:
            reason = f"{max_iter} refinement steps were not enough"
            break
        if time.monotonic() > deadline:
            reason, timed_out = _timeout(time_limit_s, step), True
            break
        if len(history) > 6 and history[-1] > 0.9 * history[-6]:
            reason = "the residual stopped falling"
            break
        if len(history) > 1 and history[-1] > 0.9 * history[-2]:
            # Krylov recurrences on an inexact (noisy, quantised) operator lose orthogonality
            # and can diverge when run long: shorter inner solves keep each correction useful
            steps = max(4, steps // 2)
        z = sys_.inner_solve(r_s, steps)
        if not np.all(np.isfinite(z)):  # CG on a noisy, not quite SPD operator can break down
            reason = "the inner Krylov solve broke down on the noisy operator"
            break
        # minimal-residual step length (digital, exact): never lets the residual grow, and
        # converges while the inexact inverse keeps A·Ã⁻¹ positive even when κ·ε ≳ 1
        az = a_s @ z
        omega = float(r_s @ az) / float(az @ az) if np.any(az) else 0.0
        y = y + omega * z
        r_s = r_s - omega * az
        r_s = b_s - a_s @ y if step % 10 == 9 else r_s  # refresh against drift
    x = d * best_y  # the best iterate, never a diverged last one
    outer = len(history) - 1
    final = float(np.linalg.norm(b - a @ x) / b_norm)
    if not converged and final <= tol:
        converged = True
    if not converged and not timed_out:  # why it stalled (not when the clock stopped it)
        kappa = condition_number(a_s)
        # the user's inner steps, with exact MVMs, from where the analog refinement stopped
        gain = _exact_refinement_gain(a_s, b_s - a_s @ best_y, inner, spd)
        if gain < 2.0:
            reason = (f"{reason}: the inner Krylov solve is too short for this matrix "
                      f"(κ(scaled A) ≈ {kappa:.3g}): with exact MVMs, {inner}-step inner solves "
                      f"reduce the residual only {gain:.3g}× in 5 outer steps — raise --inner "
                      "or use --method gmres-ir")
        else:
            mvm_err = _mvm_error(a_s, sys_.hw, seed)
            reason = (f"{reason}: κ(scaled A) ≈ {kappa:.3g} × analog MVM error {mvm_err:.2g} = "
                      f"{kappa * mvm_err:.3g}; the inner solve cannot reduce the residual at "
                      "this precision (exact MVMs would: ×"
                      f"{gain:.3g} in 5 steps) — add cell bits or slices, lower the noise, or "
                      "use --method gmres-ir")
    digital_macs = (outer + 1) * a.nnz
    return SolveResult(
        method="refine", converged=converged, iterations=outer, rel_residual=final,
        rel_error=reference_error(a, b, x),
        analog_mvms=sys_.calls,
        energy_j=sys_.calls * sys_.mvm_energy + digital_macs * sys_.mac_energy,
        time_s=sys_.calls * sys_.mvm_latency + digital_macs / sys_.mac_rate, x=x,
        history=history,
        reason=reason, details={"inner_solver": "cg" if spd else "gmres",
                                "inner_iterations": inner, "jacobi_scaling": scale,
                                "strategy": strategy, "arrays": sys_.mapping.arrays},
    )


def gmres_ir(a: sp.csr_matrix, b: np.ndarray, arch: Arch, *, tol: float = 1e-6,
             max_iter: int = 100, inner: int = 20, restart: int | None = None,
             seed: int = 0, scale: bool = True, strategy: str = "block",
             time_limit_s: float = TIME_LIMIT_S, on_step: OnStep | None = None) -> SolveResult:
    """Flexible GMRES(restart) in float64 on the Jacobi-scaled system, right-preconditioned
    by ``inner`` analog Krylov steps (CG when A is SPD, else GMRES) started from zero; at most
    ``max_iter`` preconditioned iterations. ``restart`` defaults to ``max_iter`` (at most
    200): the flexible basis keeps two vectors per iteration, and restarts lose the
    directions that ill-conditioned systems need. Stops after ``time_limit_s`` seconds of
    wall clock at the latest."""
    deadline = time.monotonic() + time_limit_s
    restart = restart or min(max_iter, 200)
    sys_ = _AnalogSystem(a, b, arch, "gmres-ir", seed=seed, scale=scale, strategy=strategy)
    n, d, a_s, b_s = sys_.n, sys_.d, sys_.a_s, sys_.b_s
    b_norm = float(np.linalg.norm(b))

    def precondition(v: np.ndarray) -> np.ndarray:
        z = sys_.inner_solve(v, inner)
        return z if np.all(np.isfinite(z)) else v  # a broken-down inner solve: no preconditioning

    y = np.zeros(n)
    spmvs = 0
    history: list[float] = []
    iterations = 0
    converged, timed_out = False, False

    def residual() -> tuple[np.ndarray, float]:
        nonlocal spmvs
        spmvs += 1
        r_s = b_s - a_s @ y
        return r_s, float(np.linalg.norm(r_s / d) / b_norm)

    r_s, rel = residual()
    history.append(rel)
    while iterations < max_iter and not converged:
        beta = float(np.linalg.norm(r_s))
        v_basis = [r_s / beta]
        z_basis: list[np.ndarray] = []
        h = np.zeros((restart + 1, restart))
        for j in range(min(restart, max_iter - iterations)):
            z_basis.append(precondition(v_basis[j]))
            w = a_s @ z_basis[j]
            spmvs += 1
            for i in range(j + 1):  # modified Gram–Schmidt
                h[i, j] = float(w @ v_basis[i])
                w = w - h[i, j] * v_basis[i]
            h[j + 1, j] = float(np.linalg.norm(w))
            iterations += 1
            e1 = np.zeros(j + 2)
            e1[0] = beta
            coef = np.linalg.lstsq(h[: j + 2, : j + 1], e1, rcond=None)[0]
            estimate = float(np.linalg.norm(e1 - h[: j + 2, : j + 1] @ coef))
            if on_step is not None:  # GMRES's own residual estimate of the scaled system
                on_step(iterations, estimate / beta * history[-1])
            timed_out = time.monotonic() > deadline
            if h[j + 1, j] <= 1e-14 * beta or estimate <= 0.1 * tol * beta or timed_out:
                break
            v_basis.append(w / h[j + 1, j])
        y = y + np.column_stack(z_basis) @ coef
        r_s, rel = residual()  # the true residual, every restart
        history.append(rel)
        converged = rel <= tol
        if timed_out or (len(history) > 3 and history[-1] > 0.9 * history[-3]):
            break
    x = d * y
    final = float(np.linalg.norm(b - a @ x) / b_norm)
    converged = final <= tol
    reason = "" if converged else _timeout(time_limit_s, iterations) if timed_out else (
        f"{iterations} preconditioned iterations reached a residual of {final:.3g}, above "
        f"the tolerance {tol:g} — raise --max-iter or the analog precision")
    digital_macs = spmvs * a.nnz
    analog_e, digital_e = sys_.calls * sys_.mvm_energy, digital_macs * sys_.mac_energy
    return SolveResult(
        method="gmres-ir", converged=converged, iterations=iterations, rel_residual=final,
        rel_error=reference_error(a, b, x), analog_mvms=sys_.calls,
        energy_j=analog_e + digital_e,
        time_s=sys_.calls * sys_.mvm_latency + digital_macs / sys_.mac_rate, x=x, history=history,
        reason=reason, details={
            "inner_solver": "cg" if sys_.spd else "gmres", "inner_iterations": inner,
            "restart": restart, "digital_spmvs": spmvs, "analog_energy_j": analog_e,
            "digital_energy_j": digital_e, "jacobi_scaling": scale, "strategy": strategy,
            "arrays": sys_.mapping.arrays})


def _timeout(limit_s: float, steps: int) -> str:
    return (f"stopped after {steps} iterations at the wall-clock limit of {limit_s:g} s — "
            "raise --time-limit, or lower --inner / --max-iter")


def reference_error(a: sp.csr_matrix, b: np.ndarray, x: np.ndarray,
                    max_n: int = 50_000) -> float | None:
    """‖x − x*‖/‖x*‖ against SciPy's direct solution x* (sparse LU), up to ``max_n``
    unknowns; None above that or when A is singular."""
    if a.shape[0] > max_n:
        return None
    try:
        x_ref = spla.splu(sp.csc_matrix(a)).solve(b)
    except RuntimeError:  # exactly singular
        return None
    norm = float(np.linalg.norm(x_ref))
    return float(np.linalg.norm(x - x_ref) / norm) if norm > 0 else None


def _exact_refinement_gain(a_s: sp.csr_matrix, r0: np.ndarray, inner: int,
                           spd: bool, outer: int = 5) -> float:
    """How much the same refinement, with exact (digital) MVMs, reduces the residual ``r0``
    where the analog one stopped, in ``outer`` steps: tells a too-short inner solve from too
    imprecise analog MVMs."""
    y, r = np.zeros_like(r0), r0.copy()
    start = float(np.linalg.norm(r))
    for _ in range(outer):
        with np.errstate(divide="ignore", invalid="ignore"):
            if spd:
                z, _ = spla.cg(a_s, r, maxiter=inner, rtol=1e-12)
            else:
                z, _ = spla.gmres(a_s, r, restart=inner, maxiter=1, rtol=1e-12)
        az = a_s @ z
        if not np.all(np.isfinite(az)) or not np.any(az):
            break
        omega = float(r @ az) / float(az @ az)
        y, r = y + omega * z, r - omega * az
    end = float(np.linalg.norm(r))
    return start / end if end > 0 else math.inf


def _mvm_error(a: sp.csr_matrix, hw: HardwareSpMV, seed: int) -> float:
    x = np.random.default_rng([seed, 7]).standard_normal(a.shape[1])
    y = a @ x
    return float(np.linalg.norm(hw(x) - y) / np.linalg.norm(y))


def slice_sweep(a: sp.csr_matrix, arch: Arch, max_slices: int, seed: int = 0,
                strategy: str = "block") -> list[dict[str, float]]:
    """SpMV relative error against the number of weight slices (value bits = slices ·
    cell_bits; inputs and ADC set so they do not limit the result: 16-bit inputs, an ADC of
    dac + cell + log2(rows) + 1 bits)."""
    out = []
    c = arch.array.cell_bits
    adc = min(16, arch.precision.applied_dac_bits + c + math.ceil(math.log2(arch.array.rows)) + 1)
    for k in range(math.ceil(2 / c), max_slices + 1):  # a signed value needs ≥ 2 bits
        bits = min(32, k * c)
        # the user's architecture, every setting kept, with only these three changed
        point = dataclasses.replace(
            arch, precision=dataclasses.replace(arch.precision, weight_bits=bits, input_bits=16),
            adc=dataclasses.replace(arch.adc, bits=adc))
        mp = map_matrix(a, sparse_spec(point), strategy)
        x = np.random.default_rng([seed, 2]).standard_normal(a.shape[1])
        y = a @ x
        err = float(np.linalg.norm(HardwareSpMV(a, mp, point, seed)(x) - y) / np.linalg.norm(y))
        out.append({"slices": k, "value_bits": bits, "spmv_rel_error": err,
                    "cells_programmed": mp.cells_programmed})
    return out


def one_step(a: sp.csr_matrix, b: np.ndarray, arch: Arch, *, opamp_gain: float = 1e5,
             seed: int = 0, method: str = "one-step", scale: bool = True,
             tol: float = 1e-6) -> SolveResult:
    """With ``scale``, the circuit holds D·A·D (D = |diag A|^-1/2) and the digital side
    applies D to b and to the settled output, so every entry uses the conductance range.

    ``converged`` means ‖b − A·x‖/‖b‖ ≤ ``tol``; whether the circuit settles at all is
    ``details["circuit_stable"]``. Every configured device effect is applied to the
    conductances (programming noise, one read's noise, stuck-at faults, drift); the ones the
    feedback circuit does not model (IR drop, converter errors) are refused."""
    require_square(a, "matrix", method)
    device = effects.effects(HwParams.from_arch(arch))
    effects.settle(np.zeros(1), device, effects.Cells(1.0, 0.0), np.random.default_rng(0),
                   method)  # refuses, before any work, what the circuit cannot model
    n = a.shape[0]
    if b.shape != (n,):
        raise MatrixError(f"right-hand side has shape {b.shape}, the matrix needs ({n},)")
    a_orig, b_orig = a, b
    d = (1.0 / np.sqrt(np.abs(a.diagonal())) if scale and np.all(a.diagonal() != 0)
         else np.ones(n))
    a, b = sp.csr_matrix(sp.diags(d) @ a @ sp.diags(d)), d * b
    if _min_real_eigenvalue(a) <= 0:
        raise MatrixError(f"{method}: A has an eigenvalue with non-positive real part, so the "
                          "feedback circuit has no stable operating point; use --method refine")
    levels = (1 << arch.array.cell_bits) - 1
    a_coo = a.tocoo()
    peak = float(np.max(np.abs(a_coo.data)))
    step = peak / levels
    q = np.rint(a_coo.data / step) * step  # one conductance per entry (G+ or G− array)
    # the settled circuit sees every device effect once; G_on ↔ the largest entry
    q = effects.settle(q, device, effects.Cells(peak, 0.0), np.random.default_rng([seed, 3]),
                       method)
    a_q = sp.csr_matrix((q, (a_coo.row, a_coo.col)), shape=a.shape)
    # finite open-loop gain A0: the loop solves (A_q + ‖A‖/A0 · I) x = b
    a_eff = a_q + sp.identity(n) * (spla.norm(a, 1) / opamp_gain)
    x = d * spla.spsolve(a_eff.tocsc(), b)
    # the circuit holds the programmed matrix, not A: it settles only if that one is stable
    lam = _min_real_eigenvalue(sp.csr_matrix(a_eff))
    a, b = a_orig, b_orig
    x_true = spla.spsolve(a.tocsc(), b)
    b_norm = float(np.linalg.norm(b))
    residual = float(np.linalg.norm(b - a @ x) / b_norm)
    if lam <= 0:
        reason = (f"the programmed matrix has an eigenvalue with real part {lam:.3g} ≤ 0 "
                  "(quantisation to the conductance levels and noise moved it): the circuit "
                  "would not settle — add conductance bits or lower the noise")
    elif residual > tol:
        reason = (f"the residual {residual:.3g} exceeds the tolerance {tol:g}: one settling step "
                  f"is as precise as its {levels + 1} conductance levels and the device effects "
                  "allow — use --method refine for more")
    else:
        reason = ""
    t_read = arch.array.read_time_s
    g_mean = (arch.array.g_on_s + arch.array.g_off_s) / 2
    time_s = SETTLING_READS * t_read
    cells = 2 * n * n  # dense G+ and G− arrays
    energy = (cells * g_mean * arch.array.read_voltage_v**2 + n * OPAMP_POWER_W) * time_s
    return SolveResult(
        method=method, converged=not reason, iterations=1, reason=reason,
        rel_residual=residual, analog_mvms=0,
        energy_j=float(energy), time_s=time_s, x=x,
        rel_error=float(np.linalg.norm(x - x_true) / np.linalg.norm(x_true)),
        details={"conductance_levels": levels, "opamp_gain": opamp_gain, "jacobi_scaling": scale,
                 "arrays": 2 * math.ceil(n / arch.array.rows) * math.ceil(n / arch.array.cols),
                 "settling_reads": SETTLING_READS, "circuit_stable": bool(lam > 0)},
    )


def _min_real_eigenvalue(a: sp.csr_matrix) -> float:
    """Smallest real part of A's eigenvalues: dense up to 2,000 unknowns (seconds), else
    ARPACK with a bounded number of restarts (a clear error when it does not converge)."""
    if a.shape[0] <= 2000:
        return float(np.linalg.eigvals(a.toarray()).real.min())
    v0 = np.random.default_rng(0).standard_normal(a.shape[0])  # deterministic start
    try:
        vals = spla.eigs(a, k=1, which="SR", return_eigenvectors=False, maxiter=3000,
                         tol=1e-8, v0=v0)
    except spla.ArpackNoConvergence:
        raise MatrixError(
            f"one-step: cannot tell in bounded time whether the circuit is stable (ARPACK "
            f"did not find the smallest eigenvalue of the {a.shape[0]}-unknown matrix in 3000 "
            "restarts); use --method refine") from None
    return float(vals.real.min())


def pagerank(a: sp.csr_matrix, arch: Arch, *, damping: float = 0.85, seed: int = 0,
             opamp_gain: float = 1e5, tol: float = 1e-6) -> SolveResult:
    """PageRank of the graph with adjacency A (edge i → j for A[i, j] ≠ 0) on the one-step
    circuit: (I − d·P)·x = (1 − d)/n · 1, P[j, i] = 1/outdeg(i); dangling nodes link to all
    (their share is added digitally). Result normalised to sum 1."""
    require_square(a, "matrix", "pagerank")
    n = a.shape[0]
    adj = (abs(a) > 0).astype(np.float64).tocsr()
    out = np.asarray(adj.sum(axis=1)).ravel()
    dangling = out == 0
    inv = np.where(dangling, 0.0, 1.0 / np.where(dangling, 1.0, out))
    p = sp.csr_matrix(adj.T @ sp.diags(inv))  # column-stochastic except dangling columns
    m = sp.identity(n, format="csr") - damping * p
    # dangling mass d/n·Σ_dangling x_i is a rank-one term: fold it into the right-hand side
    # by solving twice (Sherman–Morrison on the digital side) to keep the analog matrix sparse
    b1 = np.full(n, (1 - damping) / n)
    r1 = one_step(m, b1, arch, opamp_gain=opamp_gain, seed=seed, method="pagerank", tol=1.0)
    if dangling.any():
        u = np.full(n, damping / n)
        r2 = one_step(m, u, arch, opamp_gain=opamp_gain, seed=seed, method="pagerank", tol=1.0)
        s = dangling.astype(np.float64)
        x = r1.x + r2.x * (s @ r1.x) / (1 - s @ r2.x)
        energy, time_s = r1.energy_j + r2.energy_j, r1.time_s + r2.time_s
    else:
        x, energy, time_s = r1.x, r1.energy_j, r1.time_s
    x = x / x.sum()
    exact = _pagerank_reference(adj, damping)
    # residual of the whole PageRank system, dangling share included (‖·‖₁, x sums to 1)
    google_x = damping * (p @ x + x[dangling].sum() / n) + (1 - damping) / n
    residual = float(np.abs(x - google_x).sum())
    stable = r1.details["circuit_stable"] and (
        not dangling.any() or r2.details["circuit_stable"])
    if not stable:
        reason = r1.reason if not r1.details["circuit_stable"] else r2.reason
    elif residual > tol:
        reason = (f"the PageRank residual {residual:.3g} exceeds the tolerance {tol:g}: the "
                  "conductance levels limit one settling step's precision")
    else:
        reason = ""
    return SolveResult(
        method="pagerank", converged=not reason, reason=reason, iterations=1,
        rel_residual=residual,
        analog_mvms=0, energy_j=energy, time_s=time_s, x=x,
        rel_error=float(np.linalg.norm(x - exact) / np.linalg.norm(exact)),
        details={"damping": damping, "dangling_nodes": int(dangling.sum()),
                 "circuit_stable": bool(stable),
                 "top10_overlap": int(len(set(np.argsort(-x)[:10]) & set(np.argsort(-exact)[:10])))},
    )


def _pagerank_reference(adj: sp.csr_matrix, damping: float, tol: float = 1e-13) -> np.ndarray:
    """Float64 power iteration (the textbook definition; dangling nodes link to all)."""
    n = adj.shape[0]
    out = np.asarray(adj.sum(axis=1)).ravel()
    dangling = out == 0
    inv = np.where(dangling, 0.0, 1.0 / np.where(dangling, 1.0, out))
    pt = sp.csr_matrix(adj.T @ sp.diags(inv))
    x = np.full(n, 1.0 / n)
    for _ in range(10_000):
        nxt = damping * (pt @ x + x[dangling].sum() / n) + (1 - damping) / n
        if np.abs(nxt - x).sum() < tol:
            return nxt
        x = nxt
    return x
