"""Pareto fronts of sweep results: the points no other point beats on every objective."""

from __future__ import annotations

from collections.abc import Sequence


def pareto_front(xs: Sequence[float], ys: Sequence[float]) -> list[int]:
    """Indices of the points not dominated when minimising both x and y, by ascending x.

    q dominates p when q ≤ p on both and q < p on one; equal points do not dominate each
    other, so duplicates of a front point are all on the front. O(n log n): sort by x, then
    a point is on the front when it has the smallest y of its x and that y is below every
    y seen at smaller x.
    """
    order = sorted(range(len(xs)), key=lambda i: (xs[i], ys[i]))
    front: list[int] = []
    best = float("inf")  # smallest y among points with a smaller x
    i = 0
    while i < len(order):
        j = i
        while j < len(order) and xs[order[j]] == xs[order[i]]:
            j += 1
        group_min = ys[order[i]]
        if group_min < best:
            front.extend(k for k in order[i:j] if ys[k] == group_min)
            best = group_min
        i = j
    return front


def spread(indices: Sequence[int], k: int) -> list[int]:
    """At most ``k`` of ``indices``, evenly spaced, keeping both ends."""
    if len(indices) <= k:
        return list(indices)
    if k == 1:
        return [indices[0]]
    step = (len(indices) - 1) / (k - 1)
    return [indices[round(n * step)] for n in range(k)]
