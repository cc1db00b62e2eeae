"""Max-cut with a memristor Hopfield network whose noise is annealed (Cai et al., "Power-
efficient combinatorial optimization using intrinsic noise in memristor Hopfield neural
networks", Nature Electronics 2020).

The graph's weights W = −A (A the adjacency matrix; a cut of spins s ∈ {±1}ⁿ has energy
E = −½·sᵀWs, lower for larger cuts) sit in the array. Each step the array computes the
local fields h = W·s for every trial at once (the trials are a batch of input vectors),
and one neuron per trial — the same sequence of neurons for all — takes
s_i = sign(h_i + σ(t)·‖W_i‖·ξ), ξ ~ N(0, 1): noise amplified to σ times the row's weight
norm (as the paper amplifies the devices' own noise), annealed linearly from σ₀ to σ₁ over
the run; the array's own read noise and converter errors come on top. The float reference
runs the same network, seeds and schedule with exact products. Baselines: brute force
(graphs of at most 24 nodes) and simulated annealing on the same graph in NumPy
(Metropolis single flips, a geometric temperature schedule).

Success is a trial ending on the best cut known (the optimum when brute force ran);
time- and energy-to-solution are one trial's × ln(0.01)/ln(1 − p) (99 % confidence), as
Cai et al. report them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from imcsim.apps.engine import AnalogMatrix, AppResult
from imcsim.config import Arch
from imcsim.errors import ImcsimError

BRUTE_FORCE_NODES = 24


def graph(nodes: int, density: float, seed: int) -> np.ndarray:
    """A seeded Erdős–Rényi graph (networkx ``gnp_random_graph``) as a 0/1 adjacency matrix."""
    import networkx as nx

    g = nx.gnp_random_graph(nodes, density, seed=seed)
    return np.asarray(nx.to_numpy_array(g, nodelist=range(nodes)), dtype=np.float64)


def cuts(adj: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Cut value of each spin vector (rows of ``s``, ±1): edges across the partition."""
    return 0.25 * np.sum(adj) - 0.25 * np.einsum("ti,ij,tj->t", s, adj, s)


def brute_force(adj: np.ndarray) -> float:
    """The maximum cut, over every partition (node 0 fixed on one side)."""
    n = adj.shape[0]
    best = 0.0
    chunk = 1 << min(n - 1, 16)
    for start in range(0, 1 << (n - 1), chunk):
        codes = np.arange(start, min(start + chunk, 1 << (n - 1)), dtype=np.int64)
        bits = (codes[:, None] >> np.arange(n - 1)) & 1
        s = np.concatenate([np.ones((len(codes), 1)), 1.0 - 2.0 * bits], axis=1)
        best = max(best, float(cuts(adj, s).max()))
    return best


def annealing(adj: np.ndarray, trials: int, sweeps: int, seed: int) -> np.ndarray:
    """Final cuts of simulated annealing (Metropolis single flips of E = ½·sᵀAs, all trials
    in parallel, temperature falling geometrically from 2·mean degree to 0.01)."""
    n = adj.shape[0]
    rng = np.random.default_rng([seed, 31])
    s = rng.choice([-1.0, 1.0], size=(trials, n))
    hot = 2.0 * max(1.0, float(adj.sum(axis=1).mean()))
    temps = hot * (0.01 / hot) ** (np.arange(sweeps * n) / max(1, sweeps * n - 1))
    for step, temp in enumerate(temps):
        i = step % n
        delta = -2.0 * s[:, i] * (s @ adj[i])  # energy change of flipping spin i
        flip = (delta <= 0) | (rng.random(trials) < np.exp(-np.maximum(delta, 0) / temp))
        s[flip, i] *= -1.0
    return cuts(adj, s)


def _hopfield(adj: np.ndarray, product: Any, trials: int, sweeps: int,
              noise: tuple[float, float], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Final spins of the annealed Hopfield network, and the mean cut over the trials at
    the start and after every sweep (n steps); ``product(s)`` gives W·s per row."""
    n = adj.shape[0]
    rng = np.random.default_rng([seed, 21])
    s = rng.choice([-1.0, 1.0], size=(trials, n))
    norm = np.linalg.norm(adj, axis=1)
    order = np.random.default_rng([seed, 22]).permutation(np.tile(np.arange(n), sweeps))
    kicks = np.random.default_rng([seed, 23])
    steps = len(order)
    trace = [float(cuts(adj, s).mean())]
    for t, i in enumerate(order):
        sigma = noise[0] + (noise[1] - noise[0]) * t / max(1, steps - 1)
        h = product(s)[:, i]
        s[:, i] = np.where(h + sigma * norm[i] * kicks.standard_normal(trials) >= 0, 1.0, -1.0)
        if (t + 1) % n == 0:
            trace.append(float(cuts(adj, s).mean()))
    return s, np.array(trace)


def maxcut(arch: Arch, *, nodes: int = 60, density: float = 0.5, trials: int = 100,
           sweeps: int = 10, noise: tuple[float, float] = (0.3, 0.0),
           seed: int = 0) -> AppResult:
    """Max-cut of a seeded random graph on the simulated Hopfield network (see the module's
    docstring)."""
    if not 4 <= nodes <= 2000:
        raise ImcsimError(f"--nodes {nodes}: must be 4–2000")
    if not (math.isfinite(density) and 0 < density <= 1):
        raise ImcsimError(f"--density {density}: must be in (0, 1]")
    if not 1 <= trials <= 10_000:
        raise ImcsimError(f"--trials {trials}: must be 1–10000")
    if not 1 <= sweeps <= 1000:
        raise ImcsimError(f"--sweeps {sweeps}: must be 1–1000")
    if not all(math.isfinite(v) and 0 <= v <= 100 for v in noise):
        raise ImcsimError(f"--noise-anneal {noise[0]}..{noise[1]}: both ends must be 0–100")
    adj = graph(nodes, density, seed)
    if not adj.any():
        raise ImcsimError(f"--density {density}: the {nodes}-node graph drawn has no edge")
    w = -adj
    engine = AnalogMatrix(w, arch, seed, "graph weights")
    spins, trace_hw = _hopfield(adj, engine, trials, sweeps, noise, seed)
    hw = cuts(adj, spins)
    spins_float, trace_float = _hopfield(adj, lambda s: s @ w.T, trials, sweeps, noise, seed)
    flt = cuts(adj, spins_float)
    sa = annealing(adj, trials, sweeps, seed)
    optimum = brute_force(adj) if nodes <= BRUTE_FORCE_NODES else None
    best = optimum if optimum is not None else float(max(hw.max(), flt.max(), sa.max()))

    def success(c: np.ndarray) -> float:
        return float(np.mean(c >= best - 1e-9))

    per_trial_s = engine.time_s / trials  # the trials share every product (one batch)
    per_trial_j = engine.energy_j / trials
    p = success(hw)
    to_solution = (math.log(0.01) / math.log(1 - p) if 0 < p < 1 else (1.0 if p == 1 else None))
    details: dict[str, Any] = {
        "nodes": nodes, "edges": int(adj.sum() // 2), "density": density, "trials": trials,
        "sweeps": sweeps, "noise_start": noise[0], "noise_end": noise[1],
        "optimum": optimum, "best_known": best, "best_cut_hw": float(hw.max()),
        "mean_cut_hw": float(hw.mean()), "mean_cut_float": float(flt.mean()),
        "mean_cut_annealing": float(sa.mean()), "success_hw": p, "success_float": success(flt),
        "success_annealing": success(sa),
        "time_to_solution_s": None if to_solution is None else per_trial_s * to_solution,
        "energy_to_solution_j": None if to_solution is None else per_trial_j * to_solution,
    }
    return AppResult("maxcut", "mean cut / best known cut", float(hw.mean()) / best,
                     float(flt.mean()) / best, engine.mvms, engine.energy_j, engine.time_s,
                     details, engine.arrays, {"adjacency": adj, "spins_hw": spins, "cuts_hw": hw,
                                              "cuts_float": flt, "cuts_annealing": sa,
                                              "trace_hw": trace_hw, "trace_float": trace_float})
