"""Mapping strategies for a sparse matrix A (y = A·x) onto crossbar arrays.

A crossbar stores Aᵀ: array rows take inputs x_j, array columns produce outputs y_i. A
value needs S = ceil(value_bits / cell_bits) slices × P columns (P = 2 for differential
pairs), so an array holds at most R inputs × Cw = C // (S·P) outputs.

- ``dense``: the whole matrix in an R × Cw grid of blocks, every block programmed.
- ``matrix-slice`` (Zidan 2018): the same grid, only blocks that hold a non-zero.
- ``csr`` (Feng 2020): each matrix row's non-zeros, in segments of ≤ R, stored densely in
  one array column; one read per segment with the inputs gathered for it (dense storage,
  one output per read).
- ``csc``: each matrix column's non-zeros, in segments of ≤ Cw, stored densely along one
  array row; one read per segment with a single input driven, outputs scattered-added.
- ``block`` (after Song 2021): variable-sized dense sub-blocks that cover every non-zero.
  Outputs are taken in groups of Cw (an array's output columns); within a group, a binary
  search over chunk width (R, R/2, …, ``min_block`` inputs), vectorised over all groups
  per level, keeps a chunk of inputs once its density reaches ``min_density`` and splits
  it otherwise; empty chunks vanish. A group's chunks are stacked down the rows of arrays
  (first fit in column order): chunks sharing an array share its output columns, so the
  array sums them in analog, and one read serves all of them with the inputs gathered.
  Chosen over an exhaustive cover search because it is O(nnz · log R), deterministic and
  adapts block size to local density — the aim of Song et al.'s recursive expansion —
  while keeping every array's columns fully used (they are the scarce side: Cw = 16 for
  8-bit differential values in 2-bit cells).

Every strategy returns :class:`SparseMapping`: the blocks (matrix row/col ranges of what
each array read computes), their array placement and the per-SpMV read schedule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from imcsim.compiler.errors import MappingError, MatrixError

STRATEGIES = ("dense", "matrix-slice", "csr", "csc", "block")


@dataclass(frozen=True, slots=True)
class SparseSpec:
    rows: int
    cols: int
    cell_bits: int
    value_bits: int
    columns_per_value: int  # 2 for differential pairs, else 1

    @property
    def slices(self) -> int:
        return math.ceil(self.value_bits / self.cell_bits)

    @property
    def outputs_per_array(self) -> int:
        return self.cols // (self.slices * self.columns_per_value)


@dataclass
class SparseMapping:
    """Blocks are rectangles of A: (row0, nrows, col0, ncols), one array region each.

    ``gathered`` strategies (csr/csc) store segments densely: for those, block k is a single
    segment and ``segment_index`` gives its matrix positions (indices into A.data in CSR or
    CSC order) — see :func:`segment_entries`.
    """

    strategy: str
    spec: SparseSpec
    shape: tuple[int, int]
    nnz: int
    row0: np.ndarray
    nrows: np.ndarray
    col0: np.ndarray
    ncols: np.ndarray
    array_of: np.ndarray  # array index of each block
    arrays: int
    reads_per_array: np.ndarray  # array reads per SpMV (per input cycle)
    cells_programmed: int  # cells holding a value slice (incl. programmed zeros)
    rows_driven: int  # Σ over one SpMV's reads of rows driven
    cols_read: int  # Σ over one SpMV's reads of physical columns digitised
    partial_sum_adds: int  # digital adds to merge block outputs into y
    gathered: bool = False
    block_cols: list[np.ndarray] | None = None  # block strategy: input columns of each array

    @property
    def blocks(self) -> int:
        return len(self.row0)

    @property
    def utilization(self) -> float:
        """Non-zeros / cells allocated (whole arrays), in value slots."""
        slots = self.arrays * self.spec.rows * self.spec.outputs_per_array
        return self.nnz / slots if slots else 0.0

    @property
    def reads(self) -> int:
        return int(self.reads_per_array.sum())

    @property
    def sequential_reads(self) -> int:
        """Reads one after another in the busiest array: sets the SpMV latency."""
        return int(self.reads_per_array.max()) if self.arrays else 0


_MAX_TILES = 10**8  # array positions a dense tiling may enumerate


def map_matrix(a: sp.csr_matrix, spec: SparseSpec, strategy: str, *, min_density: float = 0.25,
               min_block: int = 1) -> SparseMapping:
    if spec.outputs_per_array < 1:
        raise MappingError(f"an array of {spec.cols} columns cannot hold one {spec.value_bits}-bit "
                           f"value ({spec.slices} slices × {spec.columns_per_value} columns)")
    if strategy == "dense":
        return _grid(a, spec, keep_empty=True)
    if strategy == "matrix-slice":
        return _grid(a, spec, keep_empty=False)
    if strategy == "csr":
        return _segments(a, spec, by_row=True)
    if strategy == "csc":
        return _segments(a, spec, by_row=False)
    if strategy == "block":
        return _block(a, spec, min_density, min_block)
    raise MappingError(f"unknown strategy '{strategy}'; choose from {', '.join(STRATEGIES)} or all")


def _finish(strategy: str, a: sp.csr_matrix, spec: SparseSpec, row0, nrows, col0, ncols,
            array_of, arrays, cells, gathered=False,
            merge_adds=None) -> SparseMapping:  # type: ignore[no-untyped-def]
    """Read schedule of block strategies: every array is read once per SpMV (all its blocks
    at once); each block drives its ncols inputs and digitises nrows·S·P columns."""
    sp_cols = spec.slices * spec.columns_per_value
    reads = np.zeros(arrays, dtype=np.int64)
    np.add.at(reads, array_of, 1)
    if not gathered:
        reads = np.minimum(reads, 1)
    if merge_adds is None:
        # each output gets one contribution per block covering its row; merging k
        # contributions costs k − 1 adds per output
        merge_adds = int(nrows.sum()) - _covered(row0, nrows, a.shape[0])
    return SparseMapping(
        strategy=strategy, spec=spec, shape=a.shape, nnz=a.nnz, row0=row0, nrows=nrows,
        col0=col0, ncols=ncols, array_of=array_of, arrays=arrays, reads_per_array=reads,
        cells_programmed=int(cells), rows_driven=int(ncols.sum()),
        cols_read=int(nrows.sum()) * sp_cols, partial_sum_adds=merge_adds,
        gathered=gathered,
    )


def _covered(row0: np.ndarray, nrows: np.ndarray, n: int) -> int:
    marks = np.zeros(n + 1, dtype=np.int64)
    np.add.at(marks, row0, 1)
    np.add.at(marks, row0 + nrows, -1)
    return int(np.count_nonzero(np.cumsum(marks)[:n]))


def _grid(a: sp.csr_matrix, spec: SparseSpec, keep_empty: bool) -> SparseMapping:
    n_out, n_in = a.shape
    bo, bi = spec.outputs_per_array, spec.rows
    go, gi = math.ceil(n_out / bo), math.ceil(n_in / bi)
    if keep_empty and go * gi > _MAX_TILES:
        raise MatrixError(f"the {n_out:,} × {n_in:,} matrix tiles into {go * gi:,} arrays of "
                          f"{bo} × {bi}, over {_MAX_TILES:,}; map it sparsely (csr, csc, "
                          "block) or give a smaller matrix")
    if keep_empty:
        ro, ri = np.divmod(np.arange(go * gi), gi)
    else:
        coo = a.tocoo()
        keys = np.unique((coo.row // bo).astype(np.int64) * gi + coo.col // bi)
        ro, ri = np.divmod(keys, gi)
    row0, col0 = ro * bo, ri * bi
    nrows = np.minimum(bo, n_out - row0)
    ncols = np.minimum(bi, n_in - col0)
    blocks = len(row0)
    cells = int((nrows * ncols).sum()) * spec.slices * spec.columns_per_value
    return _finish("dense" if keep_empty else "matrix-slice", a, spec, row0, nrows, col0, ncols,
                   np.arange(blocks), blocks, cells)


def _segments(a: sp.csr_matrix, spec: SparseSpec, by_row: bool) -> SparseMapping:
    """CSR: row segments of ≤ R non-zeros, one per array column (Cw per array).
    CSC: column segments of ≤ Cw non-zeros, one per array row (R per array)."""
    m = a if by_row else a.tocsc()
    counts = np.diff(m.indptr)
    seg_len = spec.rows if by_row else spec.outputs_per_array
    per_line = np.maximum(1, -(-counts // seg_len)) * (counts > 0)
    line = np.repeat(np.arange(len(counts)), per_line)
    first = np.repeat(m.indptr[:-1], per_line)
    k = np.arange(len(line)) - np.repeat(np.cumsum(per_line) - per_line, per_line)
    start = first + k * seg_len
    length = np.minimum(seg_len, np.repeat(m.indptr[1:], per_line) - start)
    per_array = spec.outputs_per_array if by_row else spec.rows
    array_of = np.arange(len(line)) // per_array
    arrays = int(array_of[-1]) + 1 if len(line) else 0
    cells = int(length.sum()) * spec.slices * spec.columns_per_value
    one = np.ones(len(line), dtype=np.int64)
    if by_row:  # block = one output row, its gathered inputs
        mp = _finish("csr", a, spec, line, one, start, length, array_of, arrays, cells, True)
    else:  # block = one input column, scattered outputs: every non-zero is a contribution to y
        adds = a.nnz - int(np.count_nonzero(np.diff(a.indptr)))
        mp = _finish("csc", a, spec, start, length, line, one, array_of, arrays, cells, True,
                     merge_adds=adds)
    return mp


def segment_entries(mp: SparseMapping, k: int) -> slice:
    """For csr/csc mappings: positions of segment k in A.data (CSR) or Aᶜˢᶜ.data."""
    if mp.strategy == "csr":
        return slice(int(mp.col0[k]), int(mp.col0[k] + mp.ncols[k]))
    return slice(int(mp.row0[k]), int(mp.row0[k] + mp.nrows[k]))


def _block(a: sp.csr_matrix, spec: SparseSpec, min_density: float, min_block: int) -> SparseMapping:
    """Row groups of Cw outputs; within a group, input chunks found by a binary search over
    chunk width (vectorised over all groups per level); chunks of a group stacked into
    arrays, which sum them in analog into the group's outputs."""
    coo = a.tocoo()
    r, c = coo.row.astype(np.int64), coo.col.astype(np.int64)
    h, n_out, n_in = spec.outputs_per_array, a.shape[0], a.shape[1]
    group = r // h
    heights = np.minimum(h, n_out - np.arange(math.ceil(n_out / h)) * h)
    leaves_g, leaves_c, leaves_w = [], [], []
    active = np.ones(len(r), dtype=bool)
    width = spec.rows
    while active.any():
        g, ch = group[active], c[active] // width
        span = n_in // width + 1
        keys, inverse, counts = np.unique(g * span + ch, return_inverse=True, return_counts=True)
        kg, kc = np.divmod(keys, span)
        w = np.minimum(width, n_in - kc * width)
        dense_enough = counts / (heights[kg] * w) >= min_density
        keep = dense_enough | (width // 2 < min_block)
        leaves_g.append(kg[keep])
        leaves_c.append(kc[keep] * width)
        leaves_w.append(w[keep])
        idx = np.flatnonzero(active)
        active[idx[keep[inverse]]] = False
        width //= 2
    lg, lc, lw = (np.concatenate(v) for v in (leaves_g, leaves_c, leaves_w))
    order = np.lexsort((lc, lg))
    lg, lc, lw = lg[order], lc[order], lw[order]
    # stack each group's chunks into arrays of ≤ R rows (chunks never exceed R)
    row0, nrows, cols = [], [], []
    bounds = np.flatnonzero(np.diff(lg)) + 1
    for gs, cs, ws in zip(np.split(lg, bounds), np.split(lc, bounds), np.split(lw, bounds),
                          strict=True):
        used, current = 0, []
        for c0, w in zip(cs.tolist(), ws.tolist(), strict=True):
            if used + w > spec.rows:
                cols.append(np.concatenate(current))
                current, used = [], 0
            current.append(np.arange(c0, c0 + w))
            used += w
        cols.append(np.concatenate(current))
        n_arrays = len(cols) - len(row0)
        row0.extend([int(gs[0]) * h] * n_arrays)
        nrows.extend([int(heights[gs[0]])] * n_arrays)
    row0_a, nrows_a = np.array(row0, dtype=np.int64), np.array(nrows, dtype=np.int64)
    ncols = np.array([len(x) for x in cols], dtype=np.int64)
    cells = int((nrows_a * ncols).sum()) * spec.slices * spec.columns_per_value
    mp = _finish("block", a, spec, row0_a, nrows_a, np.full(len(cols), -1), ncols,
                 np.arange(len(cols)), len(cols), cells)
    mp.block_cols = cols
    return mp
