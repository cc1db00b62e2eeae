"""What every application runs on: matrices programmed onto the simulated arrays, a device
update model for algorithms that learn on the array, and the result record.

One crossbar path for everything: a matrix is mapped by the compiler's matrix mapping
(:func:`imcsim.compiler.sparse.strategies.map_matrix`, ``dense``: bit slices, the signed
scheme, tiling over arrays), programmed once with the configured non-idealities, and every
product goes through the functional tile kernels (:class:`imcsim.spmv.HardwareSpMV`).
Energy and time per product come from the cost model (:func:`imcsim.spmv.spmv_cost`, the
action counts and component costs of the network simulator, signed inputs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from imcsim.config import Arch
from imcsim.errors import ImcsimError


def derived_seed(*parts: int) -> int:
    """An independent seed for one use of the user's seed (``parts``: the seed, then what
    the draws are for), so no two uses or two user seeds share draws."""
    return int(np.random.SeedSequence(list(parts)).generate_state(1)[0])  # 32 bits


class AnalogMatrix:
    """``A`` (outputs × inputs) on the simulated arrays: ``self(x)`` is A·x as the hardware
    computes it (``x`` one vector, or one per row: a batch streamed through the same
    converters); counts the products and prices them."""

    def __init__(self, a: np.ndarray, arch: Arch, seed: int, label: str = "matrix") -> None:
        from imcsim.compiler.sparse.strategies import map_matrix
        from imcsim.spmv import MAX_SIMULATED_CELLS, HardwareSpMV, sparse_spec, spmv_cost

        a = np.asarray(a, dtype=np.float64)
        if a.ndim != 2 or not a.size:
            raise ImcsimError(f"{label}: needs a non-empty 2-D matrix, got shape {a.shape}")
        if not np.isfinite(a).all():
            raise ImcsimError(f"{label}: has NaN or infinite entries")
        spec = sparse_spec(arch)
        cells = a.size * spec.slices * spec.columns_per_value
        if cells > MAX_SIMULATED_CELLS:  # before any copy of it is made
            raise ImcsimError(f"{label}: {a.shape[0]}×{a.shape[1]} takes {cells:,} cells, more "
                              f"than the {MAX_SIMULATED_CELLS:,} simulated at once; use a "
                              "smaller one")
        self.a = a
        csr = sp.csr_matrix(a)
        self.mapping = map_matrix(csr, spec, "dense")
        self.mvm_time_s, self.mvm_energy_j, _ = spmv_cost(self.mapping, arch)
        self._hw = HardwareSpMV(csr, self.mapping, arch, seed)
        self.mvms = 0

    @property
    def arrays(self) -> int:
        return int(self.mapping.arrays)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if x.ndim == 1:
            self.mvms += 1
            return self._hw(x)
        self.mvms += x.shape[0]
        return self._hw.batch(x)

    def transposed(self, y: np.ndarray) -> np.ndarray:
        """Aᵀ·y read backwards through the same programmed cells (one vector, or one per
        row); priced as a forward product (the same reads and conversions, transposed)."""
        y = np.asarray(y, dtype=np.float64)
        if y.ndim == 1:
            self.mvms += 1
            return self._hw.batch_transposed(y[None, :])[0]
        self.mvms += y.shape[0]
        return self._hw.batch_transposed(y)

    @property
    def energy_j(self) -> float:
        return self.mvms * self.mvm_energy_j

    @property
    def time_s(self) -> float:
        """One product after another (an application's products depend on each other)."""
        return self.mvms * self.mvm_time_s


@dataclass(frozen=True, slots=True)
class DeviceUpdate:
    """Writing a change into programmed weights with identical programming pulses: each
    pulse moves a weight by ``step`` of its range w_max − w_min, scaled by the nonlinear
    response of NeuroSim's weight-update model (Chen et al., "NeuroSim: A Circuit-Level
    Macro Model for Benchmarking Neuro-Inspired Architectures", IEEE TCAD 2018):
    potentiation steps shrink as exp(−ν·u) and depression steps as exp(−ν·(1 − u)) at
    normalised weight u ∈ [0, 1] (ν = ``nonlinearity``, 0: linear); every pulse's step gets
    a cycle-to-cycle spread N(0, ``c2c``) relative to itself. Weights stay within range.
    The pulses a change asks for are rounded to the nearest whole number, or
    (``stochastic``) down or up with the probability of the remainder, so that changes
    smaller than one pulse still happen on average (as stochastic pulse trains do)."""

    step: float = 1 / 64
    nonlinearity: float = 0.0
    c2c: float = 0.0
    stochastic: bool = False

    def __post_init__(self) -> None:
        for name, lo, hi in (("step", 1e-6, 1.0), ("nonlinearity", 0.0, 20.0), ("c2c", 0.0, 10.0)):
            v = getattr(self, name)
            if not (math.isfinite(v) and lo <= v <= hi):
                raise ImcsimError(f"update {name} = {v}: must be within [{lo:g}, {hi:g}]")

    def apply(self, w: np.ndarray, delta: np.ndarray, lo: float, hi: float,
              rng: np.random.Generator) -> tuple[np.ndarray, int]:
        """The weights after asking for ``w + delta``: whole pulses, nonlinear and noisy;
        returns them and the pulses fired."""
        span = hi - lo
        want = np.abs(delta) / (self.step * span)
        if self.stochastic:
            pulses = np.floor(want)
            pulses += rng.random(want.shape) < want - pulses
        else:
            pulses = np.rint(want)
        u = np.clip((w - lo) / span, 0.0, 1.0)
        up = delta > 0
        shrink = np.exp(-self.nonlinearity * np.where(up, u, 1.0 - u))
        move = pulses * self.step * span * shrink * np.sign(delta)
        if self.c2c:
            move = move * (1.0 + self.c2c * rng.standard_normal(w.shape) / np.sqrt(
                np.maximum(pulses, 1.0)))  # n pulses' independent spreads add
        return np.clip(w + move, lo, hi), int(pulses.sum())


@dataclass
class AppResult:
    """What every application reports (``--json``: the ``app`` section)."""

    name: str
    quality_metric: str
    hw: float | None  # the quality on the simulated hardware (None: not a number, e.g. ∞)
    float_: float | None  # the same algorithm, data and seed in float
    analog_mvms: int
    energy_j: float
    time_s: float
    details: dict[str, Any] = field(default_factory=dict)  # per-application figures
    arrays: int = 0
    outputs: dict[str, np.ndarray] = field(default_factory=dict)  # arrays (not in the JSON)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "quality_metric": self.quality_metric, "hw": self.hw,
                "float": self.float_,
                "gap": None if self.hw is None or self.float_ is None else self.float_ - self.hw,
                "analog_mvms": self.analog_mvms, "energy_j": self.energy_j,
                "time_s": self.time_s, "arrays": self.arrays, "details": self.details}


def total(*mats: AnalogMatrix) -> tuple[int, float, float]:
    """Products, energy and time of matrices used one after another."""
    return (sum(m.mvms for m in mats), sum(m.energy_j for m in mats),
            sum(m.time_s for m in mats))
