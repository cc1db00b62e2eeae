"""The few array facts the compiler needs, as its own small record (no imcsim import)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum


class SignedScheme(Enum):
    """How a signed weight becomes non-negative conductances.

    - ``DIFFERENTIAL``: a pair of columns, G+ − G−; doubles the columns.
    - ``OFFSET``: store w + 2^(b−1) in one column and subtract 2^(b−1)·Σx digitally
      (ISAAC's encoding); needs Σx per input vector and one subtraction per output.
    - ``TWOS_COMPLEMENT``: one column per slice; the most significant slice carries a
      negative weight in the digital shift-and-add.

    When cell_bits divides weight_bits, two's complement with its sign bit flipped *is*
    w + 2^(b−1): the two schemes program the same levels and compute the same numbers (the
    functional tests show it). They differ when the slices hold more bits than the weight
    (S·cell_bits > weight_bits): two's complement then stores w + 2^(S·c−1), using the top
    slice's levels differently.
    """

    DIFFERENTIAL = "differential"
    OFFSET = "offset"
    TWOS_COMPLEMENT = "twos_complement"

    @property
    def columns_per_weight(self) -> int:
        return 2 if self is SignedScheme.DIFFERENTIAL else 1


@dataclass(frozen=True, slots=True)
class ArraySpec:
    rows: int  # crossbar rows (word lines)
    cols: int  # crossbar columns (bit lines)
    cell_bits: int  # bits stored per cell
    weight_bits: int  # weight precision
    input_bits: int  # activation precision
    dac_bits: int  # input bits applied per read (1 = bit-serial pulses)
    scheme: SignedScheme
    arrays_per_core: int
    cores_per_tile: int
    tiles_per_chip: int
    rows_per_read: int = 0  # word lines activated per read; 0 = all rows
    differential_sensing: bool = False  # G+ − G− sensed before one conversion per pair
    combine_slices: bool = False  # a weight's slice columns summed in analog, one conversion

    @property
    def sensed_per_weight(self) -> int:
        """Conversions per weight per read: its physical columns, less those combined in
        analog before the ADC."""
        cols = self.slices * self.scheme.columns_per_weight
        if self.differential_sensing:
            cols //= 2
        if self.combine_slices:
            cols //= self.slices
        return cols

    def sensed_columns(self, physical: int) -> int:
        """Conversions that ``physical`` adjacent columns need after analog combining
        (rounded up: a part-filled pair or slice group still takes a conversion)."""
        return -(-physical * self.sensed_per_weight
                 // (self.slices * self.scheme.columns_per_weight))

    @property
    def read_rows(self) -> int:
        """Rows summed by one read: rows_per_read, or every row."""
        return self.rows_per_read or self.rows

    @property
    def slices(self) -> int:
        """Cells (columns) per weight: ceil(weight_bits / cell_bits)."""
        return math.ceil(self.weight_bits / self.cell_bits)

    @property
    def input_cycles(self) -> int:
        """Array reads per input vector: ceil(input_bits / dac_bits)."""
        return math.ceil(self.input_bits / self.dac_bits)

    @property
    def arrays_per_chip(self) -> int:
        return self.arrays_per_core * self.cores_per_tile * self.tiles_per_chip

    @property
    def cores_per_chip(self) -> int:
        return self.cores_per_tile * self.tiles_per_chip
