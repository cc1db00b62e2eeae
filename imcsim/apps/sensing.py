"""Compressed sensing with measurement and recovery on one crossbar (Le Gallo et al.,
"Compressed sensing recovery using computational memory", IEDM 2017).

A k-sparse signal x ∈ ℝⁿ (seeded: support uniform, values N(0, 1)) is measured as
y = Φ·x with Φ ∈ ℝ^{m×n} Gaussian, entries N(0, 1/m), programmed once; recovery runs
approximate message passing (Donoho, Maleki and Montanari, PNAS 2009) with every Φ·v and
Φᵀ·z on the same array, forward and transposed:

    x ← η(x + Φᵀ·z; θ),  z ← y − Φ·x + z·‖x‖₀/m,  θ = τ·‖z‖/√m,

η the soft threshold, τ = ``threshold`` (1.5 by default). The float reference runs the
same iterations with exact products from the exact measurements. Quality: the
normalised mean-square error ‖x̂ − x‖²/‖x‖² in dB (lower is better).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from imcsim.apps.engine import AnalogMatrix, AppResult
from imcsim.config import Arch
from imcsim.errors import ImcsimError


def _soft(v: np.ndarray, theta: float) -> np.ndarray:
    return np.sign(v) * np.maximum(np.abs(v) - theta, 0.0)


def amp(y: np.ndarray, forward: Any, backward: Any, n: int, iterations: int,
        threshold: float) -> np.ndarray:
    """Approximate message passing for y = Φ·x; ``forward(v)`` = Φ·v, ``backward(z)`` = Φᵀ·z."""
    m = y.size
    x = np.zeros(n)
    z = y.copy()
    for _ in range(iterations):
        theta = threshold * float(np.linalg.norm(z)) / math.sqrt(m)
        x = _soft(x + backward(z), theta)
        z = y - forward(x) + z * np.count_nonzero(x) / m
    return x


def nmse_db(estimate: np.ndarray, truth: np.ndarray) -> float:
    err = float(np.sum((estimate - truth) ** 2) / np.sum(truth**2))
    return 10 * math.log10(max(err, 1e-30))


def cs(arch: Arch, *, n: int = 256, m: int = 128, sparsity: float = 0.05,
       iterations: int = 30, threshold: float = 1.5, seed: int = 0) -> AppResult:
    """Measure and recover a sparse signal on the simulated array (see the module's
    docstring)."""
    if not 8 <= n <= 8192:
        raise ImcsimError(f"--n {n}: the signal length must be 8–8192")
    if not 2 <= m <= n:
        raise ImcsimError(f"--m {m}: measurements must be 2–n ({n})")
    if not (math.isfinite(sparsity) and 0 < sparsity < 1):
        raise ImcsimError(f"--sparsity {sparsity}: the fraction of non-zeros must be in (0, 1)")
    if not 1 <= iterations <= 1000:
        raise ImcsimError(f"--iterations {iterations}: must be 1–1000")
    if not (math.isfinite(threshold) and 0 < threshold <= 10):
        raise ImcsimError(f"--threshold {threshold}: must be in (0, 10]")
    rng = np.random.default_rng([seed, 51])
    k = max(1, int(round(sparsity * n)))
    x = np.zeros(n)
    x[rng.choice(n, k, replace=False)] = rng.standard_normal(k)
    phi = rng.standard_normal((m, n)) / math.sqrt(m)
    engine = AnalogMatrix(phi, arch, seed, "measurement matrix")
    y_hw = engine(x)
    x_hw = amp(y_hw, engine, engine.transposed, n, iterations, threshold)
    x_float = amp(phi @ x, lambda v: phi @ v, lambda z: phi.T @ z, n, iterations, threshold)
    details: dict[str, Any] = {
        "n": n, "m": m, "nonzeros": k, "iterations": iterations, "threshold": threshold,
        "measurement_rel_error": float(np.linalg.norm(y_hw - phi @ x) / np.linalg.norm(phi @ x)),
        "support_recovered_hw": float(np.mean(np.isin(np.flatnonzero(x),
                                                      np.flatnonzero(x_hw)))),
    }
    return AppResult("cs", "NMSE of the recovered signal [dB] (lower is better)",
                     nmse_db(x_hw, x), nmse_db(x_float, x), engine.mvms, engine.energy_j,
                     engine.time_s, details, engine.arrays,
                     {"signal": x, "recovered_hw": x_hw, "recovered_float": x_float,
                      "phi": phi})
