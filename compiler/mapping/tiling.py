"""Tile one crossbar layer's weight matrices onto arrays (one copy, before duplication).

Per group the layer holds a K×N matrix; with ``s`` slices and ``c`` columns per weight
(2 for differential pairs) it needs N·s·c physical columns. Two layouts:

- **tiled**: ceil(K/R) row tiles × ceil(N·s·c/C) column tiles per group; row tiles give
  partial sums that are added digitally.
- **packed** (grouped/depthwise convs whose group matrix fits one array): groups sit
  block-diagonally, min(R // K, C // (N·s·c)) groups per array, so one array read serves
  several groups. Utilisation stays poor — that is the point of reporting it.

Partial activation (``rows_per_read`` r < R): an array holding k rows of a tile is read in
ceil(k / r) row groups one after another; each group's columns are converted on their own
and the groups' partial sums are added digitally. Differential sensing converts a G+/G−
column pair once; slice combining converts a weight's slice columns once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from imcsim.compiler.ir import CrossbarWork
from imcsim.compiler.mapping.spec import ArraySpec, SignedScheme


@dataclass(frozen=True, slots=True)
class Tiling:
    """How one copy of a layer sits on arrays, and what one input vector step costs."""

    row_tiles: int  # per group (1 when packed)
    col_tiles: int  # per group (1 when packed)
    groups_per_array: int  # >1 when groups are packed block-diagonally
    arrays: int  # arrays of one copy
    rows_driven: int  # Σ over the copy's arrays of rows driven per read
    cols_read: int  # Σ over the copy's arrays and row groups of conversions per input cycle
    row_groups: int  # reads one after another per input cycle (partial activation), ≥ 1
    cells_used: int  # cells holding weight slices
    partial_sum_adds: int  # digital adds per input-vector step to merge row tiles
    offset_adds: int  # digital adds per step for the offset scheme's correction

    def utilization(self, spec: ArraySpec) -> float:
        return self.cells_used / (self.arrays * spec.rows * spec.cols)


def tile(work: CrossbarWork, spec: ArraySpec) -> Tiling:
    k, n, g = work.rows, work.cols, work.groups
    phys_cols = n * spec.slices * spec.scheme.columns_per_weight
    sensed = n * spec.sensed_per_weight  # conversions per read of all the group's columns
    cells = k * phys_cols * g
    offset_adds = (n + k) * g if spec.scheme is SignedScheme.OFFSET else 0
    r = spec.read_rows
    if g > 1 and k <= spec.rows and phys_cols <= spec.cols:
        per_array = min(spec.rows // k, spec.cols // phys_cols)
        arrays = math.ceil(g / per_array)
        # with partial activation each group's k rows are read in ceil(k / r) reads of its
        # own rows (a read never straddles two groups), converting that group's columns;
        # an array steps through all its groups' reads in turn
        reads = math.ceil(k / r)
        row_groups = min(g, per_array) * reads if r < spec.rows else 1
        return Tiling(row_tiles=1, col_tiles=1, groups_per_array=per_array, arrays=arrays,
                      rows_driven=k * g, cols_read=sensed * g * reads,
                      row_groups=row_groups, cells_used=cells,
                      partial_sum_adds=(reads - 1) * n * g, offset_adds=offset_adds)
    row_tiles = math.ceil(k / spec.rows)
    col_tiles = math.ceil(phys_cols / spec.cols)
    tile_rows = [min(spec.rows, k - i * spec.rows) for i in range(row_tiles)]
    reads = sum(math.ceil(rows / r) for rows in tile_rows)  # row groups over the row tiles
    return Tiling(
        row_tiles=row_tiles, col_tiles=col_tiles, groups_per_array=1,
        arrays=row_tiles * col_tiles * g,
        rows_driven=k * col_tiles * g,  # every column tile sees all K rows
        cols_read=sensed * reads * g,  # every row group digitises all its columns
        row_groups=math.ceil(tile_rows[0] / r),
        cells_used=cells, partial_sum_adds=(reads - 1) * n * g, offset_adds=offset_adds,
    )
