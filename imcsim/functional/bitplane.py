"""Bit-plane partial sums: exact integer column values from packed bits (issue 15).

With 1-bit input digits and exact integer cell levels, a column value is a count: the rows
whose input bit is set and whose cell holds a level, weighted by the level. Each column's
cells become a few bit planes (rows packed 64 to a word, row i as bit i % 64 of word
i // 64): one per level value with read noise — a cell's noise weight (G/ΔG)² depends on
its level — else the bits of each level's positive and negative parts. The inputs are
packed the same way, and Σ x·level is an AND and a popcount per plane and word, digitised
and shift-added in the same kernel (:func:`imcsim.functional._kernels.bitplane_accumulate`)
with the float path's conversions, noise draws and order of additions.

:class:`imcsim.functional.crossbar.ProgrammedMatrix` decides where this applies
(:meth:`~imcsim.functional.crossbar.HwParams.partial_sums`) and holds the planes; this
module builds them and runs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from imcsim.functional import _kernels

if TYPE_CHECKING:
    from imcsim.functional.crossbar import ProgrammedMatrix, _Tile

Item = tuple[int, int, int, int]  # (chunk start, chunk end, first vector, end vector)


def present(levels: np.ndarray) -> list[int]:
    """The distinct values of small integer levels (a bincount: no sort)."""
    lo = int(levels.min(initial=0))
    counts = np.bincount(levels.ravel().astype(np.int64) - lo)
    return [int(v) + lo for v in np.flatnonzero(counts)]


def pack_rows(mask: np.ndarray) -> np.ndarray:
    """(…, R) booleans → (…, ceil(R / 64)) uint64 words, row i as bit i % 64 of word i // 64
    (the layout :func:`imcsim.functional._kernels.pack_input_bits` gives the inputs)."""
    words = -(-mask.shape[-1] // 64)
    padded = np.zeros((*mask.shape[:-1], words * 64), dtype=bool)
    padded[..., : mask.shape[-1]] = mask
    packed = np.packbits(padded, axis=-1, bitorder="little")
    return np.ascontiguousarray(packed).view(np.dtype("<u8")).astype(np.uint64)


def small_levels(eff: np.ndarray, q: np.ndarray | None,
                 q_by_level: dict[int, float]) -> np.ndarray:
    """A tile's exact integer levels as int8 (int16 above 127; the caller keeps them below
    2^15), noting in ``q_by_level`` the noise weight (G/ΔG)² of each level seen — a function
    of the level when the cells are ideal."""
    rounded = np.rint(eff)
    stored = rounded.astype(np.int8 if np.abs(rounded).max(initial=0) <= 127 else np.int16)
    if q is not None:
        for value in set(present(stored)) - set(q_by_level):
            q_by_level[value] = float(q.ravel()[np.argmax(stored.ravel() == value)])
    return stored


@dataclass
class Planes:
    """What one set bit of each plane adds: ``value`` (P,) to Σ x·level and ``q`` (P,) to the
    read-noise weight, on top of ``q0`` per set input bit; ``table``: (G/ΔG)² by level from
    −level_max (read noise only), to rebuild a tile's noise weights."""

    value: np.ndarray
    q: np.ndarray
    q0: float
    table: np.ndarray | None

    @classmethod
    def build(cls, tiles: list[_Tile], one_hot: bool, q_by_level: dict[int, float]) -> Planes:
        """Each tile's columns as (G, P, W, C) planes (set on the tiles), and their weights:
        one-hot per level with read noise, else the bits of the levels' positive and
        negative parts (fewer planes)."""
        levels = np.array(sorted(set().union(*(present(t.levels) for t in tiles)) - {0}),
                          dtype=np.int64)
        # plane p holds the cells with level == value (one-hot), or with bit b of
        # max(sign·level, 0) set (binary): (value, sign, bit) with bit −1 for one-hot
        specs: list[tuple[int, int, int]] = []
        table = None
        if one_hot:
            specs = [(int(v), 0, -1) for v in levels]
            q0 = q_by_level.get(0, 0.0)
            plane_q = [q_by_level[v] - q0 for v, _, _ in specs]
            top = int(np.abs(levels).max(initial=0))
            table = np.zeros(2 * top + 1)
            for v, qv in q_by_level.items():
                table[v + top] = qv
        else:
            for sign in (1, -1):
                part = levels[levels * sign > 0] * sign
                specs += [(sign << b, sign, b)
                          for b in range(int(part.max(initial=0)).bit_length())]
            q0, plane_q = 0.0, [0.0] * len(specs)
        for t in tiles:
            lv = np.swapaxes(t.levels, 1, 2).astype(np.int64)  # (G, C, R)
            words = -(-lv.shape[2] // 64)
            planes = np.zeros((lv.shape[0], len(specs), words, lv.shape[1]), dtype=np.uint64)
            for p, (value, sign, bit) in enumerate(specs):  # (G, C, W) words → (G, W, C)
                mask = lv == value if bit < 0 else (np.maximum(lv * sign, 0) >> bit) & 1 == 1
                planes[:, p] = np.swapaxes(pack_rows(mask), 1, 2)
            t.planes = planes
        return cls(np.array([v for v, _, _ in specs], dtype=np.int64),
                   np.array(plane_q, dtype=np.float64), q0, table)

    def noise_weights(self, levels: np.ndarray) -> np.ndarray | None:
        """(G, R_t, C) float32 read-noise weights (G/ΔG)² of a tile's cells (None: no read
        noise)."""
        if self.table is None:
            return None
        top = (self.table.size - 1) // 2
        return self.table[levels.astype(np.int64) + top].astype(np.float32)


def run_rows(pm: ProgrammedMatrix, planes: Planes, x_int: np.ndarray, signed: bool,
             item: Item, keys: dict[int, np.ndarray] | None, acc: np.ndarray) -> None:
    """Input vectors a … b (of the chunk m0 … m1) through every tile of ``pm``: packed input
    bits against each tile's planes, every cycle digitised and shift-added in one kernel
    call per tile. Column values keep their place in the chunk, so their noise draws are
    the float path's, and vectors a … b write only their own rows of ``acc``."""
    hw = pm.hw
    m0, m1, a, b = item
    top = float((1 << hw.adc_bits) - 1)
    j_n = hw.cycles_for(signed)
    zero = np.zeros((2, j_n), dtype=np.uint64)
    weight = np.stack([pm.col_weight * float(1 << (j * hw.dac_bits)) for j in range(j_n)])
    out = acc[:, a:b, :]
    for ti, t in enumerate(pm.tiles):
        assert t.planes is not None
        x_t = x_int[:, a:b, t.rows]
        words = np.zeros((x_t.shape[0], x_t.shape[1], j_n, t.planes.shape[2]), dtype=np.uint64)
        negative = np.zeros_like(words) if signed else words
        _kernels.pack_input_bits(x_t, j_n, words, negative)
        ranges = t.ranges[int(signed)]
        vmin = np.stack([r[0] for r in ranges])  # (cycles, G, C): stacked per call, as a
        lsb = np.stack([r[1] for r in ranges])  # copy per tile would add 0.4 GB to ResNet-18
        gain = t.adc_gain if t.adc_gain is not None else np.ones_like(vmin[0])
        offset = t.adc_offset if t.adc_offset is not None else np.zeros_like(vmin[0])
        k = keys[m0][ti] if keys is not None else zero
        # cycles whose conversions of an idle column (no input bit set) all read 0: skipped
        idle = np.all(vmin + np.clip(np.floor((0.0 - vmin) / lsb + 0.5), 0.0, top) * lsb == 0,
                      axis=2)
        _kernels.bitplane_accumulate(
            words, negative, signed, t.planes, planes.value, planes.q, planes.q0,
            hw.read_noise**2, k[0], _kernels.NORMAL_TABLE, pm.col_to_out,
            True,  # the matrix's own col_to_out: 0 … N−1 once per column class
            weight, vmin, lsb, top, gain, offset, hw.adc_noise_lsb, k[1], hw.adc_inl_lsb,
            keys is not None, t.adc_gain is not None, idle, a - m0, m1 - m0, out)
