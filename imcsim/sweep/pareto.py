"""Pareto fronts of sweep results: the points no other point beats on every objective.

Every objective is minimised here (callers negate the ones they maximise). Point q
*dominates* p when q ≤ p on every objective and q < p on at least one. Ties follow from
that rule: points with equal values on every objective never dominate each other, so all
copies of a front point are on the front; a point that ties a front point on some
objectives and is worse on another is dominated.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_BLOCK = 256  # rows checked together (m ≥ 3)
_CHUNK = 8192  # front rows compared with a block at once (≤ 2 M booleans)


def nondominated(values: object) -> np.ndarray:
    """Indices (ascending) of the rows of ``values`` (n points × m objectives, all
    minimised, finite) that no other row dominates.

    The rows are sorted lexicographically first; a dominator is then always strictly
    earlier in that order (it is ≤ everywhere and < somewhere, so it is smaller at the
    first place they differ). One objective: the rows equal to the minimum. Two: one
    vectorised pass, O(n log n) — a row is dominated exactly when the smallest y among the
    rows before its group of duplicates is ≤ its y. Three or more: blocks of rows in that
    order, each compared (one broadcast comparison per objective) with the front found so
    far and with itself; every dominated row is dominated by a front row, which comes
    earlier, so what survives is the front. The work is about n × front size × m
    comparisons: 10,000 points × 3 objectives take ~6 ms when uniformly random, ~0.2 s
    when every point is on the front (``python benchmarks/bench_pareto.py``).
    """
    f = np.asarray(values, dtype=np.float64)
    if f.ndim != 2:
        raise ValueError(f"values must be a 2-D array (points × objectives), got {f.ndim}-D")
    n, m = f.shape
    if n == 0 or m == 0:
        return np.arange(n) if m == 0 else np.empty(0, dtype=np.intp)
    if not np.isfinite(f).all():
        raise ValueError("values must be finite (no NaN or inf)")
    order = np.lexsort(f.T[::-1])  # column 0 first, then column 1, …
    s = f[order]
    if m == 1:
        keep = s[:, 0] == s[0, 0]
    elif m == 2:
        keep = _front_2d(s)
    else:
        keep = _front_nd(s)
    return np.sort(order[keep])


def _group_starts(s: np.ndarray) -> np.ndarray:
    """For each row of the sorted ``s``, the index of the first row equal to it (rows
    with the same start are duplicates)."""
    new = np.ones(len(s), dtype=bool)
    new[1:] = (s[1:] != s[:-1]).any(axis=1)
    starts = np.flatnonzero(new)
    return starts[np.cumsum(new) - 1]


def _front_2d(s: np.ndarray) -> np.ndarray:
    y = s[:, 1]
    before = np.empty(len(s))  # smallest y of the rows before each index
    before[0] = np.inf
    np.minimum.accumulate(y[:-1], out=before[1:])
    return before[_group_starts(s)] > y


def _front_nd(s: np.ndarray) -> np.ndarray:
    """Blocks of rows, in order: a row is kept unless a front row of the earlier blocks,
    or a row of its own block, dominates it."""
    n, m = s.shape
    group = _group_starts(s)
    dups = bool((group != np.arange(n)).any())  # else no pair needs the duplicate check
    front = np.empty(0, dtype=np.intp)
    values = np.empty((m, 0))  # the front's values, one row per objective
    for start in range(0, n, _BLOCK):
        block = np.arange(start, min(n, start + _BLOCK))
        cols = s[block].T
        for lo in range(0, len(front), _CHUNK):
            by = front[lo:lo + _CHUNK]
            keep = ~_dominated(values[:, lo:lo + _CHUNK], cols,
                               (group[by], group[block]) if dups else None)
            block, cols = block[keep], cols[:, keep]
        keep = ~_dominated(cols, cols, (group[block], group[block]) if dups else None)
        front = np.concatenate([front, block[keep]])
        values = np.concatenate([values, cols[:, keep]], axis=1)
    keep = np.zeros(n, dtype=bool)
    keep[front] = True
    return keep


def _dominated(by: np.ndarray, rows: np.ndarray,
               groups: tuple[np.ndarray, np.ndarray] | None) -> np.ndarray:
    """For each column of ``rows`` (objectives × points): does a column of ``by`` dominate
    it — ≤ on every objective and not a duplicate (``groups``: the duplicate groups of
    both, None when there are no duplicates)? One broadcast comparison per objective."""
    le = by[0][:, None] <= rows[0][None, :]
    tmp = np.empty_like(le)
    for k in range(1, len(by)):
        le &= np.less_equal(by[k][:, None], rows[k][None, :], out=tmp)
    if groups is not None:
        le &= np.not_equal(groups[0][:, None], groups[1][None, :], out=tmp)
    elif by is rows:  # distinct rows: only a row against itself is not a domination
        np.fill_diagonal(le, False)
    return le.any(axis=0)


def pareto_front(xs: Sequence[float], ys: Sequence[float]) -> list[int]:
    """Indices of the points not dominated when minimising both x and y, by ascending x
    (then y, then index); duplicates of a front point are all on the front."""
    if not len(xs):
        return []
    idx = nondominated(np.column_stack([np.asarray(xs, float), np.asarray(ys, float)]))
    return sorted(idx.tolist(), key=lambda i: (xs[i], ys[i], i))


def spread(indices: Sequence[int], k: int) -> list[int]:
    """At most ``k`` of ``indices``, evenly spaced, keeping both ends."""
    if len(indices) <= k:
        return list(indices)
    if k == 1:
        return [indices[0]]
    step = (len(indices) - 1) / (k - 1)
    return [indices[round(n * step)] for n in range(k)]
