"""Sparse matrices on crossbars: per mapping strategy, cost of one SpMV (from the same
component models and action counts as the network simulator) and its error on the
simulated hardware (the functional tile kernels, with the configured non-idealities).

This module is the one place that turns a matrix mapping into hardware behaviour; the
solvers (:mod:`imcsim.solvers`) reuse :class:`HardwareSpMV`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from imcsim.compiler.sparse.strategies import SparseMapping, SparseSpec, map_matrix, segment_entries
from imcsim.config import AdcRange, Arch
from imcsim.cost import build_components
from imcsim.functional.crossbar import HwParams, ProgrammedMatrix, input_scale
from imcsim.sim.actions import crossbar_step, default_activity, input_cycles
from imcsim.sim.analytical import step_time_s

_GROUP_CELLS = 1 << 23  # value slots programmed per batch of blocks (bounds memory)
MAX_SIMULATED_CELLS = 2 * 10**8  # above this, a strategy's error is not simulated
_PROBES = 8  # random vectors that set calibrated ADC ranges


def sparse_spec(arch: Arch) -> SparseSpec:
    p = arch.precision
    return SparseSpec(rows=arch.array.rows, cols=arch.array.cols, cell_bits=arch.array.cell_bits,
                      value_bits=p.weight_bits, columns_per_value=p.signed_scheme.columns_per_weight)


@dataclass
class StrategyResult:
    name: str
    mapping: SparseMapping
    arrays: int
    cells_programmed: int
    utilization: float
    reads_per_spmv: int  # array reads (each input cycle counts)
    spmv_latency_s: float
    spmv_energy_j: float
    spmv_rel_error: float | None
    energy_breakdown: dict[str, float]
    note: str = ""


def spmv_cost(mp: SparseMapping, arch: Arch) -> tuple[float, float, dict[str, float]]:
    """(latency, energy, energy by component) of one SpMV, with signed inputs (a solver's
    vectors have both signs). Each block's inputs are read ``rows_per_read`` at a time and
    its columns converted per row group, after any analog combination (differential
    sensing, slice combining) — as :class:`HardwareSpMV` computes them."""
    comps = build_components(arch)
    spec = arch.array_spec()
    groups = np.ceil(np.maximum(mp.ncols, 1) / spec.read_rows)
    sensed = spec.sensed_columns(mp.spec.slices * mp.spec.columns_per_value)
    cols_read = int(np.sum(mp.nrows * sensed * groups))
    extra = mp.partial_sum_adds + int(np.sum(mp.nrows * (groups - 1)))
    step = crossbar_step(arch, k=mp.rows_driven, n=mp.shape[0], rows_driven=mp.rows_driven,
                         cols_read=cols_read, extra_adds=extra,
                         activity=default_activity(arch, signed=True))
    energy = {c: n * comps[c].energy_j for c, n in step.items() if c in comps}
    row_groups = int(groups.max()) if groups.size else 1
    latency = mp.sequential_reads * step_time_s(arch, comps, signed=True, row_groups=row_groups)
    return latency, sum(energy.values()), energy


class HardwareSpMV:
    """A matrix programmed onto simulated arrays with one mapping; ``__call__`` does y = A·x.

    Blocks (or csr/csc segments) are programmed in batches as the groups of a
    :class:`ProgrammedMatrix`, zero-padded to a common size; padded inputs are 0 and add
    neither current nor read noise. Programming draws come from ``seed``; each call draws
    fresh read noise.
    """

    def __init__(self, a: sp.csr_matrix, mp: SparseMapping, arch: Arch, seed: int = 0) -> None:
        self.a, self.mp = a, mp
        self.hw = HwParams.from_arch(arch)
        self.seed = seed
        self.calls = 0
        self._batches: list[tuple[np.ndarray, ProgrammedMatrix, np.ndarray, np.ndarray]] = []
        rows_idx, cols_idx, values = self._block_entries()
        rng = np.random.default_rng([seed, 0])
        probes = None
        if arch.adc.range is AdcRange.CALIBRATED:  # seeded N(0, 1) probe vectors, drawn once
            probes = np.random.default_rng([seed, 5]).standard_normal((_PROBES, a.shape[1] + 1))
            probes[:, -1] = 0.0  # the padding input
        self._probes = probes  # calibrated ranges: set from these (transposed reads too)
        n = len(rows_idx)
        k_max = max((len(c) for c in cols_idx), default=1)
        m_max = max((len(r) for r in rows_idx), default=1)
        per_batch = max(1, _GROUP_CELLS // max(1, k_max * m_max * self.hw.slices))
        for b0 in range(0, n, per_batch):
            ids = np.arange(b0, min(n, b0 + per_batch))
            w = np.zeros((len(ids), k_max, m_max))
            in_idx = np.full((len(ids), k_max), -1, dtype=np.int64)
            out_idx = np.full((len(ids), m_max), -1, dtype=np.int64)
            for g, k in enumerate(ids):
                r, c = rows_idx[k], cols_idx[k]
                w[g, :len(c), :len(r)] = values[k]
                in_idx[g, :len(c)] = c
                out_idx[g, :len(r)] = r
            pm = ProgrammedMatrix(w, self.hw, rng)
            if probes is not None:
                self._calibrate(pm, probes[:, in_idx])
            self._batches.append((ids, pm, in_idx, out_idx))

    def _calibrate(self, pm: ProgrammedMatrix, probes: np.ndarray) -> None:
        """ADC ranges from seeded N(0, 1) probe vectors (a solver's residuals look like noise),
        for signed inputs and, with |probe|, for unsigned ones."""
        xs = np.moveaxis(probes, 0, 1)  # (G, probes, K)
        pm.calibrate(xs, input_scale(xs, self.hw.input_bits, True), True)
        pm.calibrate(np.abs(xs), input_scale(xs, self.hw.input_bits, False), False)

    def _block_entries(self) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
        """Per block: output rows, input columns, and the dense value block (inputs × outputs)."""
        mp, a = self.mp, self.a
        rows_idx, cols_idx, values = [], [], []
        if mp.strategy in ("csr", "csc"):
            m = a if mp.strategy == "csr" else a.tocsc()
            for k in range(mp.blocks):
                s = segment_entries(mp, k)
                idx, val = m.indices[s], m.data[s]
                line = np.array([mp.row0[k] if mp.strategy == "csr" else mp.col0[k]])
                if mp.strategy == "csr":  # one output, gathered inputs
                    rows_idx.append(line)
                    cols_idx.append(idx)
                    values.append(val[:, None])
                else:  # one input, scattered outputs
                    rows_idx.append(idx)
                    cols_idx.append(line)
                    values.append(val[None, :])
            return rows_idx, cols_idx, values
        for k, (r0, h, c0, w) in enumerate(zip(mp.row0, mp.nrows, mp.col0, mp.ncols, strict=True)):
            cols = mp.block_cols[k] if mp.block_cols is not None else np.arange(c0, c0 + w)
            rows_idx.append(np.arange(r0, r0 + h))
            cols_idx.append(cols)
            values.append(a[r0:r0 + h][:, cols].toarray().T)
        return rows_idx, cols_idx, values

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.batch(np.asarray(x, dtype=np.float64)[None, :])[0]

    def batch(self, xs: np.ndarray) -> np.ndarray:
        """y = A·x for each row x of ``xs`` (M, K) → (M, N), in one pass over the arrays:
        one input range (DAC scale) for all of them, as hardware streaming a data set
        through fixed converters has; fresh read noise for every vector."""
        xs = np.asarray(xs, dtype=np.float64)
        y = np.zeros((xs.shape[0], self.a.shape[0]))
        if not np.any(xs):  # an all-zero input drives nothing (and must not set ADC ranges)
            return y
        signed = bool(np.min(xs) < 0)
        scale = input_scale(xs, self.hw.input_bits, signed)
        xp = np.concatenate([xs, np.zeros((xs.shape[0], 1))], axis=1)  # −1 → padding 0
        for b, (_, pm, in_idx, out_idx) in enumerate(self._batches):
            key = int(np.random.SeedSequence([self.seed, 1, self.calls, b])
                      .generate_state(1, dtype=np.uint64)[0])
            part = pm.run(np.moveaxis(xp[:, in_idx], 0, 1), scale, signed, key)  # (G, M, N)
            mask = out_idx >= 0  # the groups' outputs in order, one accumulation
            np.add.at(y.T, out_idx[mask], np.moveaxis(part, 0, 1)[:, mask].T)
        self.calls += 1
        return y

    def batch_transposed(self, ys: np.ndarray) -> np.ndarray:
        """x = Aᵀ·y for each row y of ``ys`` (M, N) → (M, K): the same programmed arrays read
        backwards (:meth:`ProgrammedMatrix.transposed`: inputs on the columns, the rows
        sensed by converters of their own, drawn once from the seed). Each input is first
        scaled digitally by its column's weight scale, so the input range is set per batch
        of programmed blocks, not once for the whole matrix."""
        ys = np.asarray(ys, dtype=np.float64)
        x = np.zeros((ys.shape[0], self.a.shape[1]))
        if not np.any(ys):
            return x
        signed = bool(np.min(ys) < 0)
        yp = np.concatenate([ys, np.zeros((ys.shape[0], 1))], axis=1)  # −1 → padding 0
        if not hasattr(self, "_transposed"):
            self._transposed = []
            for b, (_, pm, _, out_idx) in enumerate(self._batches):
                t = pm.transposed(np.random.default_rng([self.seed, 6, b]))
                if self._probes is not None:  # seeded N(0, 1) vectors in the output space
                    probes = np.random.default_rng([self.seed, 8]).standard_normal(
                        (_PROBES, self.a.shape[0] + 1))
                    probes[:, -1] = 0.0
                    ps = np.moveaxis(probes[:, out_idx], 0, 1) * pm.w_scale
                    t.calibrate(ps, input_scale(ps, self.hw.input_bits, True), True)
                    t.calibrate(np.abs(ps), input_scale(ps, self.hw.input_bits, False), False)
                self._transposed.append(t)
        for b, (_, pm, in_idx, out_idx) in enumerate(self._batches):
            key = int(np.random.SeedSequence([self.seed, 7, self.calls, b])
                      .generate_state(1, dtype=np.uint64)[0])
            part, _ = pm.run_transposed(np.moveaxis(yp[:, out_idx], 0, 1), signed,
                                        self._transposed[b], key)  # (G, M, K)
            mask = in_idx >= 0
            np.add.at(x.T, in_idx[mask], np.moveaxis(part, 0, 1)[:, mask].T)
        self.calls += 1
        return x


def evaluate_strategy(a: sp.csr_matrix, arch: Arch, strategy: str, seed: int = 0,
                      error: bool = True) -> StrategyResult:
    mp = map_matrix(a, sparse_spec(arch), strategy)
    latency, energy, breakdown = spmv_cost(mp, arch)
    rel, note = None, ""
    if error and mp.cells_programmed > MAX_SIMULATED_CELLS:
        note = (f"error not simulated: {mp.cells_programmed:,} cells exceed "
                f"{MAX_SIMULATED_CELLS:,}; it is at least matrix-slice's")
    elif error:
        x = np.random.default_rng([seed, 2]).standard_normal(a.shape[1])
        y = a @ x
        y_hw = HardwareSpMV(a, mp, arch, seed)(x)
        norm = float(np.linalg.norm(y))
        rel = float(np.linalg.norm(y_hw - y) / norm) if norm > 0 else float(np.linalg.norm(y_hw))
    cycles = input_cycles(arch, signed=True)
    return StrategyResult(
        name=strategy, mapping=mp, arrays=mp.arrays, cells_programmed=mp.cells_programmed,
        utilization=mp.utilization, reads_per_spmv=mp.reads * cycles, spmv_latency_s=latency,
        spmv_energy_j=energy, spmv_rel_error=rel, energy_breakdown=breakdown, note=note,
    )


def sparse_report(name: str, a: sp.csr_matrix, arch: Arch, results: list[StrategyResult],
                  seed: int) -> dict[str, object]:
    """JSON of ``imcsim sparse``: ``matrix`` (``name``, ``rows``, ``cols``, ``nnz``),
    ``arch`` (name, ADC model and range, value bits), ``seed``, and ``strategies[]`` with
    ``name``, ``arrays``, ``cells_programmed``, ``utilization`` (non-zeros / value slots of
    the arrays allocated), ``reads_per_spmv`` (array reads, each input cycle counted),
    ``spmv_latency_s``, ``spmv_energy_j``, ``spmv_rel_error`` (‖ŷ − y‖/‖y‖ for a seeded
    N(0, 1) input; null when not simulated, with ``note``), ``energy_breakdown``."""
    from imcsim.cost import adc_model_name

    return {
        "matrix": {"name": name, "rows": a.shape[0], "cols": a.shape[1], "nnz": int(a.nnz)},
        "arch": {"name": arch.name, "source": arch.source, "adc_model": adc_model_name(arch),
                 "adc_bits": arch.adc.bits, "adc_range": arch.adc.range.value,
                 "value_bits": arch.precision.weight_bits, "cell_bits": arch.array.cell_bits,
                 "signed_scheme": arch.precision.signed_scheme.value},
        "seed": seed,
        "strategies": [
            {"name": r.name, "arrays": r.arrays, "cells_programmed": r.cells_programmed,
             "utilization": r.utilization, "reads_per_spmv": r.reads_per_spmv,
             "spmv_latency_s": r.spmv_latency_s, "spmv_energy_j": r.spmv_energy_j,
             "spmv_rel_error": r.spmv_rel_error, "note": r.note,
             "energy_breakdown": r.energy_breakdown}
            for r in results
        ],
    }


def render_sparse(report: dict[str, object], console: object) -> None:
    from imcsim.report import _si, printable
    from imcsim.tables import Table

    report = printable(report)
    m, a = report["matrix"], report["arch"]  # type: ignore[index]
    console.print(f"{m['name']} ({m['rows']:,} × {m['cols']:,}, {m['nnz']:,} non-zeros) "  # type: ignore[attr-defined,index]
                  f"on {a['name']}: {a['value_bits']}-bit values in {a['cell_bits']}-bit "  # type: ignore[index]
                  f"cells, {a['adc_bits']}-bit ADC ({a['adc_range']})")  # type: ignore[index]
    t = Table(title="Mapping strategies (one SpMV)")
    for col in ("strategy", "arrays", "cells", "util", "reads", "time", "energy", "error"):
        t.add_column(col, justify="left" if col == "strategy" else "right", no_wrap=True)
    for r in report["strategies"]:  # type: ignore[attr-defined]
        err = "-" if r["spmv_rel_error"] is None else f"{r['spmv_rel_error']:.3g}"
        t.add_row(r["name"], f"{r['arrays']:,}", f"{r['cells_programmed']:,}",
                  f"{r['utilization']:.1%}", f"{r['reads_per_spmv']:,}",
                  _si(r["spmv_latency_s"], "s"), _si(r["spmv_energy_j"], "J"), err)
    console.print(t)  # type: ignore[attr-defined]
    for r in report["strategies"]:  # type: ignore[attr-defined]
        if r["note"]:
            console.print(f"{r['name']}: {r['note']}")  # type: ignore[attr-defined]
