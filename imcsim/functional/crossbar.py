"""What a mapped crossbar layer computes: quantised, bit-sliced, bit-serial, digitised.

A weight matrix W (groups × K × N) is programmed once (:class:`ProgrammedMatrix`):

1. quantised per output column to ``weight_bits`` (symmetric, scale max|w| / (2^(b−1) − 1));
2. encoded with the signed scheme and split into S = ceil(weight_bits / cell_bits) slices:
   - differential: |w| in slices on a G+ column (w > 0) and a G− column (w < 0);
   - offset: w + 2^(b−1) in slices (unsigned); the digital side subtracts 2^(b−1)·Σx;
   - twos_complement: the two's-complement code in slices; the top slice holds a signed
     digit d stored as level d + 2^(c−1), so the digital side subtracts 2^(S·c−1)·Σx;
3. turned into conductances G = G_off + level·ΔG, ΔG = (G_on − G_off)/(2^c − 1) (a "0"
   cell still conducts G_off), then programming noise, stuck-at faults, drift and IR
   drop are applied — each off unless configured. IR drop is first-order (each cell in
   series with its driver, wire and sense path; current sharing ignored) or, with
   ``ir_drop_model: circuit``, the exact effective conductances of every array's
   resistive network (:mod:`imcsim.functional.circuit`);
4. read through a reference column of G_off cells subtracted in analog, so a column value
   is v = Σ_i x_i·(G_i − G_ref,i)/ΔG: exactly Σ x·level when the devices are ideal. The
   reference cells are programmed like the array (``nonideal.reference: programmed``, the
   default: programming noise and drift, no stuck-at faults or IR drop) or ideal G_off.

Each input vector is quantised to ``input_bits`` (unsigned after a ReLU, else sign and
magnitude, the magnitude's digits driven as bipolar pulses) and applied ``dac_bits`` per
read. The readout follows ``readout.style``:

- ``per_bit``: every (row tile, input cycle, slice, sign) column value goes through an ADC
  of ``adc.bits`` — full-scale range or calibrated percentile, with clipping — and the
  shift-and-add;
- ``integrate``: the k-th cycle of an integration phase is weighted 2^(k·dac_bits)
  (binary-weighted pulse counts) and summed in the analog domain over the phase; each
  phase's sum is digitised once per (row tile, slice, sign), with its own range, and the
  phases are shifted and added digitally (one phase, or two with NeuRRAM's two-phase mode).

With ``readout.differential`` a G+/G− column pair is sensed as one difference before the
ADC (one conversion per pair, a symmetric range even for non-negative inputs); otherwise
each column is converted and the pair subtracted digitally. Row tiles are summed
digitally. Read noise (per read, per cell, relative σ)
is added as its exact output-referred equivalent: a column's noise is a sum of independent
Gaussians, N(0, σ²·Σ_i x_i²·(G_i/ΔG)²), computed with one more matmul.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from imcsim.compiler.mapping import SignedScheme
from imcsim.config import (
    AdcRange,
    Arch,
    IrDropModel,
    ReadoutStyle,
    Reference,
    integration_phases,
)
from imcsim.errors import ConfigError
from imcsim.functional import _kernels, bitplane, effects
from imcsim.functional.circuit import effective_conductances
from imcsim.parallel import blas_one_thread

_CHUNK = 1 << 18  # column values per chunk of input vectors: 1 MB per buffer
_THREADS = max(1, min(8, os.cpu_count() or 1))
_CALIBRATION_VALUES = 1 << 18  # column values a percentile is taken over, at most
KERNELS = ("auto", "float", "bitplane")
# --kernel auto: bit planes up to this many per column. benchmarks/bench_kernels.py, one
# core of a 2-core AVX-512 machine, 8-bit weights: 5.6× faster than the float GEMMs at 1
# plane, 5.6× at 3, 2.8× at 15, 2.8× at 31 — and 0.78× at 63 (6-bit cells, read noise)
BITPLANE_MAX_PLANES = 32


@dataclass(frozen=True, slots=True)
class HwParams:
    """The array and converter facts the functional kernels need (no config objects)."""

    rows: int
    cols: int
    cell_bits: int
    weight_bits: int
    input_bits: int
    dac_bits: int
    scheme: SignedScheme
    adc_bits: int
    adc_range: AdcRange
    percentile: float
    g_on: float
    g_off: float
    prog_noise: float = 0.0
    prog_state_dependent: bool = True
    read_noise: float = 0.0
    stuck_off: float = 0.0
    stuck_on: float = 0.0
    drift_factor: float = 1.0
    wire_r: float = 0.0
    driver_r: float = 0.0
    sense_r: float = 0.0
    ir_circuit: bool = False  # solve the array's resistive network (else first-order)
    reference_programmed: bool = False  # the G_off reference cells get noise and drift
    adc_noise_lsb: float = 0.0  # input-referred noise σ of every conversion (LSB)
    adc_offset_lsb: float = 0.0  # σ of each ADC's offset, drawn once (LSB)
    adc_gain_error: float = 0.0  # σ of each ADC's relative gain error, drawn once
    adc_inl_lsb: float = 0.0  # peak integral nonlinearity, a bow at mid-scale (LSB)
    adc_share: int = 1  # consecutive sensed columns converted by one ADC
    integrate: bool = False  # readout.style = integrate: one conversion per phase
    differential_sensing: bool = False  # G+ − G− sensed before the ADC
    two_phase_above_bits: int = 0  # integrate: two phases when the cycles exceed this
    rows_per_read: int = 0  # partial activation: rows summed per conversion (0 = all)
    combine_slices: bool = False  # a weight's slice columns summed (2^(s·c)) before the ADC
    kernel: str = "auto"  # partial sums: "auto", "float" (GEMMs) or "bitplane" (popcounts)

    @classmethod
    def from_arch(cls, arch: Arch) -> HwParams:
        n, p = arch.nonideal, arch.precision
        return cls(
            rows=arch.array.rows, cols=arch.array.cols, cell_bits=arch.array.cell_bits,
            weight_bits=p.weight_bits, input_bits=p.input_bits, dac_bits=p.applied_dac_bits,
            scheme=p.signed_scheme, adc_bits=arch.adc.bits, adc_range=arch.adc.range,
            percentile=arch.adc.percentile, g_on=arch.array.g_on_s, g_off=arch.array.g_off_s,
            prog_noise=n.prog_noise, prog_state_dependent=n.prog_noise_state_dependent,
            read_noise=n.read_noise, stuck_off=n.stuck_off_fraction,
            stuck_on=n.stuck_on_fraction,
            drift_factor=(n.drift_time_s / n.drift_t0_s) ** (-n.drift_nu),
            wire_r=n.wire_resistance_ohm, driver_r=n.driver_resistance_ohm,
            sense_r=n.sense_resistance_ohm, ir_circuit=n.ir_drop_model is IrDropModel.CIRCUIT,
            reference_programmed=n.reference is Reference.PROGRAMMED,
            adc_noise_lsb=n.adc_noise_lsb, adc_offset_lsb=n.adc_offset_lsb,
            adc_gain_error=n.adc_gain_error, adc_inl_lsb=n.adc_inl_lsb,
            adc_share=max(1, arch.array_spec().sensed_columns(arch.adc.cols_per_adc)),
            integrate=arch.readout.style is ReadoutStyle.INTEGRATE,
            differential_sensing=arch.readout.differential,
            two_phase_above_bits=arch.readout.two_phase_above_bits,
            rows_per_read=arch.array.rows_per_read,
            combine_slices=arch.readout.combine_slices,
        )

    def bitplane_refusal(self) -> str | None:
        """Why the bit-plane kernel cannot compute this hardware's partial sums exactly (None:
        it can): it needs 1-bit input digits, integer cell levels and one conversion per
        cycle."""
        if self.dac_bits != 1:
            return f"{self.dac_bits}-bit input digits (it needs precision.dac_bits=1)"
        if self.integrate:
            return "readout.style=integrate (it needs per_bit)"
        cells = [e.name for e in effects.effects(self) if e.stage == "cells"]
        if cells:
            return (f"non-integer cell levels ({', '.join(cells)}); read noise and the "
                    "converter's errors are fine")
        if self.level_bits > 15:
            return (f"{self.level_bits}-bit sensed levels (combined slices; it stores them "
                    "as int16)")
        return None

    @property
    def level_bits(self) -> int:
        """Bits of a sensed column's largest level: a cell's, or a weight's with combined
        slices."""
        return self.cell_bits * (self.slices if self.combine_slices and self.slices > 1 else 1)

    def bitplane_planes(self) -> int:
        """Bit planes per column, at most: one per level value with read noise (its weight
        (G/ΔG)² differs per level), else one per bit of the positive and negative parts."""
        bits = self.level_bits
        signs = 2 if self.differential_sensing and self.scheme is SignedScheme.DIFFERENTIAL else 1
        return signs * (((1 << bits) - 1) if self.read_noise > 0 else bits)

    def partial_sums(self) -> str:
        """The kernel that computes the partial sums: ``bitplane`` where it is exact and
        cheaper (few planes), else ``float`` GEMMs; ``kernel`` forces one. ``bitplane``
        forced where it cannot be exact is a :class:`~imcsim.errors.ConfigError`."""
        if self.kernel not in KERNELS:
            raise ConfigError(f"kernel {self.kernel!r}: choose one of {', '.join(KERNELS)}")
        refusal = self.bitplane_refusal()
        if self.kernel == "bitplane":
            if refusal:
                raise ConfigError(f"--kernel bitplane: cannot be exact with {refusal}; use "
                                  "--kernel auto or float")
            return "bitplane"
        if self.kernel == "float" or refusal:
            return "float"
        return "bitplane" if self.bitplane_planes() <= BITPLANE_MAX_PLANES else "float"

    @property
    def ir_drop(self) -> bool:
        return self.wire_r > 0 or self.driver_r > 0 or self.sense_r > 0

    @property
    def slices(self) -> int:
        return math.ceil(self.weight_bits / self.cell_bits)

    @property
    def cycles(self) -> int:
        """Input cycles of a non-negative input (the most any input takes)."""
        return self.cycles_for(False)

    def cycles_for(self, signed: bool) -> int:
        """Input cycles: ceil(magnitude bits / dac_bits). A signed input's sign is the pulse
        polarity, so its magnitude has input_bits − 1 bits (at least 1: a 1-bit signed input
        is −1, 0 or +1)."""
        magnitude = max(1, self.input_bits - 1) if signed else self.input_bits
        return math.ceil(magnitude / self.dac_bits)

    def phase_sizes(self, signed: bool) -> tuple[int, ...]:
        """Input cycles per conversion slot: one each (per_bit), or per integration phase
        (two of ceil(c/2) and floor(c/2) above ``two_phase_above_bits``)."""
        return tuple(integration_phases(self.cycles_for(signed), self.integrate,
                                        self.two_phase_above_bits))

    def pulse_weights(self, signed: bool) -> list[float]:
        """Unit pulses of each input cycle: 1 (per_bit) or 2^(k·d) for the k-th of a phase."""
        return [float(1 << (k * self.dac_bits)) if self.integrate else 1.0
                for size in self.phase_sizes(signed) for k in range(size)]


# ---------------------------------------------------------------- weights


def quantize_weights(w: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric per-output-column quantisation of (G, K, N) weights → (int64, scale (G,1,N)).

    An all-zero column gets scale 0: the digital side ignores it, so the noise its G_off
    cells read cannot leak into an output."""
    qmax = 2 ** (bits - 1) - 1
    peak = np.max(np.abs(w), axis=1, keepdims=True)
    scale = peak / max(qmax, 1)
    safe = np.where(scale > 0, scale, 1.0)  # a subnormal peak's scale underflows to 0
    return np.clip(np.rint(w / safe), -qmax, qmax).astype(np.int64), scale


def encode(w_int: np.ndarray, hw: HwParams) -> tuple[np.ndarray, np.ndarray, float]:
    """Cell levels (G, K, S·P·N) in column order (slice, sign, n) — unsigned, as small
    integers (uint8 up to 8-bit cells) —, shift-add weights per column (S·P·N,), and the
    digital correction factor c so that y = Σ ... − c·Σx."""
    c, s_n = hw.cell_bits, hw.slices
    small = np.min_scalar_type((1 << c) - 1)
    mask = (1 << c) - 1
    if hw.scheme is SignedScheme.DIFFERENTIAL:
        parts = [(np.maximum(w_int, 0), 1.0), (np.maximum(-w_int, 0), -1.0)]
        correction = 0.0
    elif hw.scheme is SignedScheme.OFFSET:
        parts = [(w_int + (1 << (hw.weight_bits - 1)), 1.0)]
        correction = float(1 << (hw.weight_bits - 1))
    else:  # two's complement over S·c bits, top slice as a signed digit stored with +2^(c−1)
        code = w_int & ((1 << (s_n * c)) - 1)
        code = code ^ (1 << (s_n * c - 1))  # flipping the sign bit = adding 2^(S·c−1)
        parts = [(code, 1.0)]
        correction = float(1 << (s_n * c - 1))
    n = w_int.shape[2]
    levels = np.empty((*w_int.shape[:2], s_n * len(parts) * n), dtype=small)
    weights = []
    for s in range(s_n):
        for p, (value, sign) in enumerate(parts):
            col = (s * len(parts) + p) * n
            levels[:, :, col:col + n] = (value >> (s * c)) & mask
            weights.append(np.full(n, sign * float(1 << (s * c))))
    return levels, np.concatenate(weights), correction


# ---------------------------------------------------------------- inputs


def input_digits(x_int: np.ndarray, hw: HwParams, signed: bool) -> list[np.ndarray]:
    """Split integer inputs into ``cycles`` digits of ``dac_bits`` (LSB first), float32.

    Unsigned inputs give digits in [0, 2^d − 1]. Signed inputs are sign-magnitude: the
    digits of |x| driven with the polarity of x (bipolar pulses), in [−(2^d − 1), 2^d − 1];
    so a column's values have the same size whatever the signs, and ADC ranges calibrated
    on mostly positive data still fit.
    """
    d, j_n = hw.dac_bits, hw.cycles_for(signed)
    mask = (1 << d) - 1
    magnitude = np.abs(x_int) if signed else x_int
    sign = np.sign(x_int).astype(np.float32) if signed else None
    digits = []
    for j in range(j_n):
        digit = ((magnitude >> (j * d)) & mask).astype(np.float32)
        digits.append(digit * sign if sign is not None else digit)
    return digits


def input_levels(bits: int, signed: bool) -> int:
    """Largest input code: 2^b − 1, or 2^(b−1) − 1 for sign + magnitude (1 for a 1-bit signed
    input: the sign alone, −1 / 0 / +1)."""
    return max(1, 2 ** (bits - 1) - 1) if signed else 2**bits - 1


def quantize_inputs(x: np.ndarray, scale: float, bits: int, signed: bool) -> np.ndarray:
    """Signed: symmetric [−L, L] with L = :func:`input_levels` (sign + magnitude bits)."""
    hi = input_levels(bits, signed)
    return np.clip(np.rint(x / scale), -hi if signed else 0, hi).astype(np.int64)


def input_scale(x: np.ndarray, bits: int, signed: bool) -> float:
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    return peak / input_levels(bits, signed) if peak > 0 else 1.0


# ---------------------------------------------------------------- programming


def ir_drop(g: np.ndarray, row0: int, hw: HwParams) -> np.ndarray:
    """Effective conductances of a tile's cells (G, R_t, C) under IR drop; the tile's rows
    start at matrix row ``row0`` and its columns are laid over arrays of ``hw.cols``.

    - first order: cell (i, j) in series with the driver, (j + 1) row-wire and (rows − i)
      column-wire segments and the sense amplifier (no current sharing);
    - circuit: every array's network solved (:mod:`imcsim.functional.circuit`)."""
    i_first = row0 % hw.rows
    if not hw.ir_circuit:
        i = (np.arange(g.shape[1]) + i_first)[:, None]
        j = (np.arange(g.shape[2]) % hw.cols)[None, :]
        path = hw.wire_r * ((hw.rows - i) + (j + 1)) + hw.driver_r + hw.sense_r
        return 1.0 / (1.0 / np.maximum(g, 1e-30) + path[None, :, :])
    out = np.empty_like(g)
    rows_below = hw.rows - (i_first + g.shape[1] - 1)  # segments from the last row to the sense
    for grp in range(g.shape[0]):
        for c0 in range(0, g.shape[2], hw.cols):  # one physical array per block of columns
            block = slice(c0, min(g.shape[2], c0 + hw.cols))
            out[grp, :, block] = effective_conductances(g[grp, :, block], hw.wire_r,
                                                        hw.driver_r, hw.sense_r, rows_below)
    return out


def adc_ranges(peak: np.ndarray, signed: bool, bits: int) -> tuple[np.ndarray, np.ndarray]:
    """(vmin, lsb) of ADCs covering [0, peak] or [−peak, peak] with codes 0 … 2^bits − 1, for
    an array of peaks (one ADC range per column).

    Signed ranges are mid-tread: code 2^(bits−1) − 1 reads exactly 0, so a zero column
    value (and a near-zero one) comes out as 0, not as ±½ LSB. The step never drops below
    one unit of Σ digit·level: finer codes would only split values that cannot occur."""
    peak = np.asarray(peak, dtype=np.float64)
    top = (1 << bits) - 1
    if not signed:
        return np.zeros_like(peak), np.maximum(1.0, peak / top)
    if top < 2:  # a 1-bit ADC has no zero code: it can only tell the sign
        return -peak, np.maximum(1.0, 2 * peak)
    lsb = np.maximum(1.0, 2 * peak / (top - 1))
    return -((top - 1) // 2) * lsb, lsb


def adc_range(peak: float, signed: bool, bits: int) -> tuple[float, float]:
    """:func:`adc_ranges` for one peak."""
    vmin, lsb = adc_ranges(np.array(peak), signed, bits)
    return float(vmin), float(lsb)


def _mix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser on uint64 arrays (wrapping, as :func:`_kernels._splitmix64`)."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def noise_streams(key: int, positions: np.ndarray) -> np.ndarray:
    """64-bit keys of blocks of read-noise draws, one per row of ``positions`` (n, k)
    (chunk, tile, cycle[, 1 for the converter's noise]): the key and each coordinate, then
    their count, hashed in turn. Vectorised: ResNet-18 derives ~9,000 per image."""
    pos = np.asarray(positions, dtype=np.int64).astype(np.uint64)
    h = _mix64(np.full(pos.shape[0], key % 2**64, dtype=np.uint64))
    for i in range(pos.shape[1]):
        h = _mix64(h ^ _mix64(pos[:, i]))
    return _mix64(h ^ _mix64(np.full_like(h, pos.shape[1])))


def noise_keys(pm: ProgrammedMatrix, noise_key: int, starts: list[int], signed: bool
               ) -> dict[int, np.ndarray] | None:
    """Per chunk start: (tiles, 2, cycles) noise streams — read noise and converter noise
    of each tile and conversion slot (input cycle, or integration phase), for both kernels
    (None: no noise)."""
    hw = pm.hw
    if not (hw.read_noise > 0 or any(t.adc_gain is not None for t in pm.tiles)):
        return None
    j_n, t_n = hw.cycles_for(signed), len(pm.tiles)
    ti, j = np.meshgrid(np.arange(t_n), np.arange(j_n), indexing="ij")
    keys = {}
    for m0 in starts:
        pos = np.stack([np.full(ti.size, m0), ti.ravel(), j.ravel()], axis=1)
        read = noise_streams(noise_key, pos)
        converter = noise_streams(noise_key, np.concatenate([pos, np.ones_like(pos[:, :1])], 1))
        keys[m0] = np.stack([read.reshape(t_n, j_n), converter.reshape(t_n, j_n)], axis=1)
    return keys


@dataclass
class ActivityStats:
    """Sums over every input a matrix ran, for the energy model (``--activity-from``).

    ``cycle_sums[j]``: Σ (digit_j / (2^dac_bits − 1))² over all (vector, row) entries;
    ``entries``: how many entries; ``pulse_weighted``: Σ over cycles and entries of that
    activity × the cycle's unit pulses; ``g_weighted``: the same × the row's mean cell
    conductance / G_ref (so g = g_weighted / pulse_weighted is the conductance the pulses
    read); ``signed``: any input was negative.
    """

    cycle_sums: np.ndarray
    entries: int = 0
    pulse_weighted: float = 0.0
    g_weighted: float = 0.0
    signed: bool = False


@dataclass
class _Tile:
    rows: slice
    levels: np.ndarray  # (G, R_t, C) float32: (G − G_off)/ΔG
    q: np.ndarray | None  # (G, R_t, C) float32: (G/ΔG)², for read noise
    # [signed][conversion slot]: (vmin, lsb), each (G, C): one ADC range per column
    ranges: list[list[tuple[np.ndarray, np.ndarray]]]
    adc_gain: np.ndarray | None = None  # (G, C) 1 + gain error of each column's ADC
    adc_offset: np.ndarray | None = None  # (G, C) offset of each column's ADC, in LSB
    # a transposed read's own output of each sensed line and shift-add weight (None: the
    # matrix's col_to_out and col_weight)
    col_to_out: np.ndarray | None = None
    col_weight: np.ndarray | None = None
    # bit-plane kernel: (G, P, W, C) uint64 planes of the columns' integer levels (levels
    # are then stored as small integers and q as the matrix's per-level table)
    planes: np.ndarray | None = None
    # Σ max(level, 0) and Σ max(−level, 0) of each column (G, C): the column values one unit
    # of input can reach, for the exact fast path (None: levels are not integers)
    reach: tuple[np.ndarray, np.ndarray] | None = None


class ProgrammedMatrix:
    """A (G, K, N) weight matrix programmed onto arrays; :meth:`run` multiplies inputs."""

    def __init__(self, w: np.ndarray, hw: HwParams, rng: np.random.Generator) -> None:
        if w.ndim != 3:
            raise ValueError(f"weights must be (groups, K, N), got shape {w.shape}")
        self.hw = hw
        self.groups, self.k, self.n = w.shape
        w_int, self.w_scale = quantize_weights(np.asarray(w, np.float64), hw.weight_bits)
        levels, self.col_weight, self.correction = encode(w_int, hw)
        self.pairs = hw.differential_sensing and hw.scheme is SignedScheme.DIFFERENTIAL
        self.sense = self._sense_matrix()
        if self.sense is not None:  # a sensed column's shift-add weight: its first member's
            first = np.argmax(self.sense != 0, axis=0)
            self.col_weight = self.col_weight[first] / self.sense[first, np.arange(first.size)]
        self.col_to_out = np.tile(np.arange(self.n, dtype=np.int64),
                                  self.col_weight.size // self.n)
        self.w_int = w_int
        dg = (hw.g_on - hw.g_off) / ((1 << hw.cell_bits) - 1)
        # (G, K) mean programmed conductance of each row's cells / G_ref, for the energy model
        self.row_g = (hw.g_off + levels.mean(axis=2) * dg) / ((hw.g_on + hw.g_off) / 2)
        self.stats: ActivityStats | None = None  # set to record input activity
        self.effects = effects.effects(hw)  # every configured non-ideality, one list
        for e in self.effects:  # each stage has its place; an unknown one is not skipped
            if e.stage not in ("cells", "read", "convert"):
                raise NotImplementedError(f"effect {e.name}: unknown stage {e.stage}")
        on_cells = any(e.stage == "cells" for e in self.effects)
        # the reference column (one G_off cell per row), subtracted in analog from every column
        g_ref = np.full((self.groups, self.k, 1), hw.g_off)
        if hw.reference_programmed and on_cells:
            g_ref = effects.program(g_ref, self.effects, effects.Cells(hw.g_on, hw.g_off),
                                    rng, reference=True)
        self.kernel = hw.partial_sums()  # "bitplane" or "float"
        self.planes: bitplane.Planes | None = None  # the bit-plane kernel's plane weights
        integer = not on_cells  # every sensed level an exact integer
        self.tiles: list[_Tile] = []
        adc_errors: dict[int, tuple[np.ndarray | None, np.ndarray | None]] = {}
        q_by_level: dict[int, float] = {}
        for rows in self._row_groups():
            lv = levels[:, rows, :]
            if not on_cells and hw.read_noise == 0:
                eff, q = lv.astype(np.float64), None
            else:
                g = effects.program(hw.g_off + lv * dg, self.effects,
                                    effects.Cells(hw.g_on, hw.g_off, hw.rows, hw.cols,
                                                  rows.start), rng)
                eff = (g - g_ref[:, rows, :]) / dg
                q = (g / dg) ** 2 if hw.read_noise > 0 else None
            if self.sense is not None:  # columns combined in analog before the ADC
                eff = eff @ self.sense
                q = None if q is None else q @ self.sense**2  # independent draws add
            array = rows.start // hw.rows  # row groups of one array share its ADCs
            if array not in adc_errors:
                adc_errors[array] = self._adc_errors(eff.shape[0], eff.shape[2], rng)
            gain, offset = adc_errors[array]
            reach = ((np.maximum(eff, 0).sum(axis=1), np.maximum(-eff, 0).sum(axis=1))
                     if integer else None)
            if self.kernel == "bitplane":
                stored = bitplane.small_levels(eff, q, q_by_level)
                self.tiles.append(_Tile(rows, stored, None, self._initial_ranges(eff), gain,
                                        offset, reach=reach))
            else:
                self.tiles.append(_Tile(rows, np.ascontiguousarray(eff, dtype=np.float32),
                                        None if q is None else q.astype(np.float32),
                                        self._initial_ranges(eff), gain, offset, reach=reach))
        if self.kernel == "bitplane":
            self.planes = bitplane.Planes.build(self.tiles, hw.read_noise > 0, q_by_level)
        self._w_exact: np.ndarray | None = None  # float64 w_int, for the exact fast path
        self._exact: dict[bool, bool] = {}  # signed → every read lossless (until calibrated)

    def path(self, signed: bool) -> str:
        """How :meth:`run_int` computes for inputs of this signedness: ``exact`` (no
        conversion can clip or round and nothing is non-ideal: one integer matmul),
        ``bitplane`` or ``float`` (every partial sum digitised)."""
        return "exact" if self._lossless(signed) else self.kernel

    def _lossless(self, signed: bool) -> bool:
        """No effect, and every conversion slot's ADC reads every value its column can take
        exactly: unit steps on integer codes covering the column's reach."""
        if signed not in self._exact:
            self._exact[signed] = self._reads_exactly(signed)
        return self._exact[signed]

    def _reads_exactly(self, signed: bool) -> bool:
        hw = self.hw
        if self.effects or hw.kernel != "auto":
            return False
        largest = input_levels(hw.input_bits, signed) * float(np.abs(self.w_int).sum(axis=1).max(
            initial=0))
        if largest >= 2.0**53:  # the float64 product would round
            return False
        top = float((1 << hw.adc_bits) - 1)
        digit = (1 << hw.dac_bits) - 1
        for t in self.tiles:
            if t.reach is None or t.col_weight is not None:
                return False
            up, down = t.reach
            for size, (vmin, lsb) in zip(hw.phase_sizes(signed), t.ranges[int(signed)],
                                         strict=True):
                unit = digit * sum(1 << (k * hw.dac_bits) for k in range(size))
                lo, hi = (-(up + down) * unit, (up + down) * unit) if signed else \
                    (-down * unit, up * unit)
                if not (np.all(lsb == 1.0) and np.all(vmin == np.rint(vmin))
                        and np.all(vmin <= lo) and np.all(vmin + top >= hi)):
                    return False
        return True

    def _adc_errors(self, g_n: int, c_n: int, rng: np.random.Generator
                    ) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Gain (1 + ε) and offset (LSB) of every column's ADC, drawn once when programmed:
        columns converted by one ADC (``adc_share`` neighbours) share its errors."""
        hw = self.hw
        if not (hw.adc_gain_error or hw.adc_offset_lsb or hw.adc_noise_lsb or hw.adc_inl_lsb):
            return None, None
        adcs = -(-c_n // hw.adc_share)
        which = np.arange(c_n) // hw.adc_share
        gain = 1.0 + hw.adc_gain_error * rng.standard_normal((g_n, adcs))
        offset = hw.adc_offset_lsb * rng.standard_normal((g_n, adcs))
        return np.ascontiguousarray(gain[:, which]), np.ascontiguousarray(offset[:, which])

    def _row_groups(self) -> list[slice]:
        """Rows read (and converted) together: each array's rows, in groups of
        ``rows_per_read`` when only that many word lines are activated at once."""
        hw, groups = self.hw, []
        step = hw.rows_per_read or hw.rows
        for a0 in range(0, self.k, hw.rows):
            end = min(self.k, a0 + hw.rows)
            groups += [slice(g0, min(end, g0 + step)) for g0 in range(a0, end, step)]
        return groups

    def _sense_matrix(self) -> np.ndarray | None:
        """(physical columns × sensed columns) weights of the analog combination before the
        ADC, or None: differential sensing takes G+ − G− of a pair; slice combining sums a
        weight's slice columns weighted 2^(slice·cell_bits) (current stacking). Physical
        columns are ordered (slice, sign, n); sensed ones keep the dimensions not combined."""
        hw = self.hw
        combine = hw.combine_slices and hw.slices > 1
        if not (self.pairs or combine):
            return None
        signs = 2 if hw.scheme is SignedScheme.DIFFERENTIAL else 1
        s_out, p_out = (1 if combine else hw.slices), (1 if self.pairs else signs)
        m = np.zeros((hw.slices * signs * self.n, s_out * p_out * self.n))
        for s in range(hw.slices):
            for p in range(signs):
                w = (float(1 << (s * hw.cell_bits)) if combine else 1.0) * (
                    -1.0 if self.pairs and p else 1.0)
                so, po = (0 if combine else s), (0 if self.pairs else p)
                for i in range(self.n):
                    m[(s * signs + p) * self.n + i, (so * p_out + po) * self.n + i] = w
        return m

    # ------------------------------------------------------------ ADC ranges

    def _symmetric(self, signed: bool) -> bool:
        """Signed inputs, or sensed pair differences, need a range around zero."""
        return signed or self.pairs

    def _initial_ranges(self, eff: np.ndarray) -> list[list[tuple[np.ndarray, np.ndarray]]]:
        """ADC ranges before any calibration: per conversion slot (input cycle, or
        integration phase), for unsigned (index 0) and signed (index 1) inputs, per (group,
        column). The largest value one unit of input (a digit of 2^d − 1 on every row, times
        Σ_k 2^(k·d) pulses over an integrated phase) can produce on a column:

        - ``full_scale`` (and ``calibrated``, until it is calibrated): every row the ADC
          reads — the array's rows, or ``rows_per_read`` — at the top level L (2^c − 1 for a
          cell or a pair, 2^(S·c) − 1 for combined slices): the fixed range of a chip that
          knows nothing of its weights or data, whatever rows a layer uses;
        - ``weight_aware``: the column's own Σ_i |level_i| of the programmed cells — what a
          chip can compute at programming time, without data."""
        hw = self.hw
        d, b = hw.dac_bits, hw.adc_bits
        g_n, _, c_n = eff.shape
        if hw.adc_range is AdcRange.WEIGHT_AWARE:
            unit = np.maximum(np.abs(eff).sum(axis=1), 1.0)  # (G, C)
        else:
            combined = hw.combine_slices and hw.slices > 1
            top_level = (1 << (hw.slices * hw.cell_bits if combined else hw.cell_bits)) - 1
            unit = np.full((g_n, c_n), float((hw.rows_per_read or hw.rows) * top_level))
        ranges: list[list[tuple[np.ndarray, np.ndarray]]] = []
        for signed in (False, True):
            slots = []
            for size in hw.phase_sizes(signed):
                pulses = sum(1 << (k * d) for k in range(size))
                slots.append(adc_ranges(unit * ((1 << d) - 1) * pulses,
                                        self._symmetric(signed), b))
            ranges.append(slots)
        return ranges

    def calibrate(self, x: np.ndarray, x_scale: float, signed: bool) -> None:
        """Set each tile's ADC ranges to percentiles of the column values of inputs ``x``.

        Each slot's range is [0, P] for unsigned inputs and [−P, P] for signed ones (bipolar
        pulses), with P the ``percentile`` of the slot's |column values| — one P per group
        (a sparse matrix's block, a grouped conv's group), never shared across groups."""
        p = self.hw.percentile
        self._exact.clear()
        x_int = quantize_inputs(x, x_scale, self.hw.input_bits, signed)
        rng = np.random.default_rng(0)
        sym = self._symmetric(signed)
        for t in self.tiles:
            x_t = x_int[:, :, t.rows]
            if x_t.shape[1] > 2048:  # a fixed, seeded subsample of input vectors
                idx = np.sort(rng.choice(x_t.shape[1], 2048, replace=False))
                x_t = x_t[:, idx, :]
            for j, v in enumerate(self._slot_values(input_digits(x_t, self.hw, signed), t,
                                                    signed)):
                per_group = np.abs(v).reshape(v.shape[0], -1)
                step = max(1, per_group.size // _CALIBRATION_VALUES)  # even, fixed subsample
                hi = np.maximum(1.0, np.percentile(per_group[:, ::step], p, axis=1))  # (G,)
                peak = np.broadcast_to(hi[:, None], (v.shape[0], v.shape[2]))
                t.ranges[int(signed)][j] = adc_ranges(peak, sym, self.hw.adc_bits)

    def _slot_values(self, digits: list[np.ndarray], t: _Tile,
                     signed: bool) -> list[np.ndarray]:
        """The column values each ADC conversion slot sees (no read noise)."""
        values = [np.matmul(dj, t.levels).astype(np.float64) for dj in digits]
        if not self.hw.integrate:
            return values
        d, out, j0 = self.hw.dac_bits, [], 0
        for size in self.hw.phase_sizes(signed):
            out.append(sum(values[j0 + k] * float(1 << (k * d)) for k in range(size)))
            j0 += size
        return out

    # ------------------------------------------------------------ transposed reads

    def transposed(self, rng: np.random.Generator) -> ProgrammedMatrix:
        """The same programmed cells read backwards (Sheridan 2017, Le Gallo 2017): inputs
        drive the columns, the rows are sensed. Each sensed column class (a slice, and a
        sign unless pairs are sensed differentially; with slices combined in analog, the
        whole weight, its slice columns driven with amplitudes scaled by their weight) is
        read separately — up to one array's columns at a time, through converters of their
        own at the rows — and shift-added with its weight, so the result is Σ_n y_n·w[k, n] over the cells as
        programmed (their programming noise, faults, drift and the forward read's IR drop),
        with fresh read noise and its own ADC ranges and errors. Inputs must be scaled by
        ``w_scale`` first (:meth:`run_transposed` does)."""
        t_ = object.__new__(ProgrammedMatrix)
        hw = self.hw
        t_.hw, t_.groups, t_.k, t_.n = hw, self.groups, self.n, self.k
        t_.w_scale = np.ones((self.groups, 1, self.k))
        t_.correction, t_.pairs, t_.sense = self.correction, self.pairs, None
        t_.w_int = np.swapaxes(self.w_int, 1, 2)
        t_.row_g = np.ones((self.groups, self.n))
        t_.stats, t_.effects = None, self.effects
        t_.kernel, t_.planes, t_._w_exact, t_._exact = "float", None, None, {}
        t_.col_weight = np.ones(self.col_weight.size)  # (sizes the chunks; tiles hold theirs)
        t_.col_to_out = np.zeros(0, dtype=np.int64)
        classes = self.col_weight.size // self.n
        t_.tiles = []
        for t in self.tiles:
            outputs = np.arange(t.rows.start, t.rows.stop, dtype=np.int64)
            tq = t.q if self.planes is None else self.planes.noise_weights(t.levels)
            for j in range(classes):
                for n0 in range(0, self.n, hw.cols):
                    n1 = min(self.n, n0 + hw.cols)
                    cols = slice(j * self.n + n0, j * self.n + n1)
                    lv = np.ascontiguousarray(np.swapaxes(t.levels[:, :, cols], 1, 2),
                                              dtype=np.float32)
                    q = None if tq is None else np.ascontiguousarray(
                        np.swapaxes(tq[:, :, cols], 1, 2))
                    gain, offset = t_._adc_errors(self.groups, outputs.size, rng)
                    t_.tiles.append(_Tile(
                        slice(n0, n1), lv, q, t_._initial_ranges(lv), gain, offset,
                        outputs, np.full(outputs.size, float(self.col_weight[j * self.n]))))
        return t_

    def run_transposed(self, y: np.ndarray, signed: bool, transposed: ProgrammedMatrix,
                       noise_key: int = 0) -> tuple[np.ndarray, float]:
        """y: (G, M, N) → (G, M, K) = Σ_n y_n·w[k, n] read backwards through
        ``transposed`` (from :meth:`transposed`); each y_n is first scaled digitally by its
        column's weight scale, then quantised with one input scale for the batch."""
        ys = y * self.w_scale
        scale = input_scale(ys, self.hw.input_bits, signed)
        x_int = quantize_inputs(ys, scale, self.hw.input_bits, signed)
        return transposed.run_int(x_int, signed, noise_key) * scale, scale

    # ------------------------------------------------------------ execution

    def run(self, x: np.ndarray, x_scale: float, signed: bool, noise_key: int = 0) -> np.ndarray:
        """x: (G, M, K) float inputs → (G, M, N) float64 outputs (before bias)."""
        x_int = quantize_inputs(x, x_scale, self.hw.input_bits, signed)
        acc = self.run_int(x_int, signed, noise_key)
        return acc * x_scale * self.w_scale

    def run_int(self, x_int: np.ndarray, signed: bool, noise_key: int = 0) -> np.ndarray:
        """The integer-domain result Σ x_int·w_int as the hardware computes it.

        Input vectors are processed in fixed-size chunks, in parallel threads (BLAS limited
        to one thread each). Read-noise draws depend on ``noise_key`` and on the position of
        each column value (chunk, tile, cycle, element), never on the thread schedule."""
        if self.stats is not None:
            self._record(x_int, signed)
        if self._lossless(signed):  # every conversion exact: the product itself
            if self._w_exact is None:
                self._w_exact = self.w_int.astype(np.float64)
            return np.matmul(x_int.astype(np.float64), self._w_exact)  # exact below 2^53
        g_n, m_n, _ = x_int.shape
        acc = np.zeros((g_n, m_n, self.n), dtype=np.float64)
        # chunk boundaries depend only on the shapes (so do the noise keys), never on threads
        chunk = max(1, _CHUNK // max(1, g_n * self.col_weight.size))
        starts = list(range(0, m_n, chunk))
        items: list[tuple[int, int, int, int]] = []  # (chunk start, chunk end, rows a, b)
        keys = noise_keys(self, noise_key, starts, signed)
        if self.planes is not None:  # a chunk's vectors split further: every thread busy
            pieces = -(-2 * _THREADS // max(1, len(starts)))
            for m0 in starts:
                m1 = min(m_n, m0 + chunk)
                step = -(-(m1 - m0) // pieces)
                items += [(m0, m1, a, min(m1, a + step)) for a in range(m0, m1, step)]
        else:
            items = [(m0, min(m_n, m0 + chunk), m0, min(m_n, m0 + chunk)) for m0 in starts]

        def work(item: tuple[int, int, int, int]) -> None:
            if self.planes is not None:
                bitplane.run_rows(self, self.planes, x_int, signed, item, keys, acc)
            else:
                self._run_chunk(x_int, signed, keys, item[0], item[1], acc)

        if len(items) == 1 or _THREADS == 1:
            for item in items:
                work(item)
        else:
            with blas_one_thread(), ThreadPoolExecutor(_THREADS) as pool:
                list(pool.map(work, items))
        if self.correction:
            acc -= self.correction * x_int.sum(axis=2, keepdims=True)
        return acc

    def _record(self, x_int: np.ndarray, signed: bool) -> None:
        """Add these inputs' pulse activity and the conductance they read to ``stats``."""
        st = self.stats
        assert st is not None
        full = float((1 << self.hw.dac_bits) - 1) ** 2
        weights = self.hw.pulse_weights(signed)
        for j, dj in enumerate(input_digits(x_int, self.hw, signed)):
            per_row = np.einsum("gmk,gmk->gk", dj, dj, dtype=np.float64) / full
            st.cycle_sums[j] += per_row.sum()
            st.pulse_weighted += weights[j] * float(per_row.sum())
            st.g_weighted += weights[j] * float(np.sum(per_row * self.row_g))
        st.entries += x_int.size
        st.signed = st.signed or (signed and bool(np.any(x_int < 0)))

    def _run_chunk(self, x_int: np.ndarray, signed: bool, keys: dict[int, np.ndarray] | None,
                   m0: int, m1: int, acc: np.ndarray) -> None:
        top = float((1 << self.hw.adc_bits) - 1)
        part = slice(m0, m1)
        out = acc[:, part, :]
        d = self.hw.dac_bits
        for ti, t in enumerate(self.tiles):
            digits = input_digits(x_int[:, part, t.rows], self.hw, signed)
            k = keys[m0][ti] if keys is not None else None
            if self.hw.integrate:
                self._integrate_chunk(digits, t, k, signed, top, out)
                continue
            for j, dj in enumerate(digits):
                v = np.matmul(dj, t.levels)
                var = None
                if self.hw.read_noise > 0:
                    assert t.q is not None
                    var = np.matmul(dj * dj, t.q) * np.float32(self.hw.read_noise**2)
                cw = self.col_weight if t.col_weight is None else t.col_weight
                self._convert(v, var, t, k, signed, j, cw * float(1 << (j * d)), top, out)

    def _integrate_chunk(self, digits: list[np.ndarray], t: _Tile, keys: np.ndarray | None,
                         signed: bool, top: float, out: np.ndarray) -> None:
        """Per phase: its input cycles summed in the analog domain (the k-th weighted
        2^(k·d), read noise of every pulse included), one conversion per column, then the
        phase shifted by 2^(first cycle·d) and added digitally."""
        d, j0 = self.hw.dac_bits, 0
        for phase, size in enumerate(self.hw.phase_sizes(signed)):
            v = np.zeros((*digits[0].shape[:2], t.levels.shape[2]), dtype=np.float64)
            var = np.zeros_like(v) if self.hw.read_noise > 0 else None
            for k in range(size):
                dj, w = digits[j0 + k], float(1 << (k * d))
                v += w * np.matmul(dj, t.levels)
                if var is not None:
                    assert t.q is not None  # each of the 2^(k·d) unit pulses draws its own noise
                    var += w * np.matmul(dj * dj, t.q)
            if var is not None:
                var *= self.hw.read_noise**2
            cw = self.col_weight if t.col_weight is None else t.col_weight
            self._convert(v, var, t, keys, signed, phase, cw * float(1 << (j0 * d)), top,
                          out)
            j0 += size

    def _convert(self, v: np.ndarray, var: np.ndarray | None, t: _Tile,
                 keys: np.ndarray | None, signed: bool, slot: int, weight: np.ndarray,
                 top: float, out: np.ndarray) -> None:
        """Digitise one slot's column values ``v`` (read-noise variance ``var`` or None) and
        shift-add them into ``out``: the ideal kernel, or the one with read noise and the
        converter's own noise, offset, gain error and nonlinearity, drawn from the tile's
        streams ``keys`` (2, slots) (:func:`noise_keys`)."""
        vmin, lsb = t.ranges[int(signed)][slot]
        hw = self.hw
        col_to_out = self.col_to_out if t.col_to_out is None else t.col_to_out
        if var is None and t.adc_gain is None:
            _kernels.adc_accumulate(v, col_to_out, weight, vmin, lsb, top, out)
            return
        if var is None:
            var = np.zeros(v.shape, dtype=np.float32)
        gain = t.adc_gain if t.adc_gain is not None else np.ones_like(vmin)
        offset = t.adc_offset if t.adc_offset is not None else np.zeros_like(vmin)
        assert keys is not None  # read noise or converter errors: noise_keys made them
        _kernels.adc_accumulate_noisy(
            v, var, keys[0, slot], _kernels.NORMAL_TABLE, col_to_out, weight, vmin, lsb, top,
            gain, offset, hw.adc_noise_lsb, keys[1, slot], hw.adc_inl_lsb, out)
