"""Device non-idealities as objects with one interface.

Every configured effect is one :class:`Effect` in the list :func:`effects` builds from the
simulator's parameters; a simulator that applies effects walks that list, and "ideal" is
simply an empty list. Each effect says at which stage it acts and where it can be
modelled, so a simulator that cannot model one refuses it instead of skipping it:

- ``cells`` effects change the programmed conductances once (programming noise, stuck-at
  faults, drift, IR drop): :meth:`Effect.program`;
- ``read`` effects act on every read (read noise) and ``convert`` effects on every
  conversion (the ADC's noise, offset, gain error and nonlinearity): the tile kernels
  apply them (:mod:`imcsim.functional.crossbar`), and :meth:`Effect.settle` gives what
  one settling of the feedback circuit sees.

Consumers: the tile kernels (networks, sparse SpMV, ``refine``, ``gmres-ir``) through
:class:`imcsim.functional.crossbar.ProgrammedMatrix`, and the one-step feedback solver
(:func:`imcsim.solvers.one_step`, ``pagerank``) through :func:`settle`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from imcsim.errors import ConfigError

if TYPE_CHECKING:
    from imcsim.functional.crossbar import HwParams


@dataclass(frozen=True, slots=True)
class Cells:
    """Where conductances sit: their range, and (for IR drop) their place in the arrays."""

    g_on: float
    g_off: float
    rows: int = 1  # array rows
    cols: int = 1  # array columns
    row0: int = 0  # matrix row of the block's first row


class Effect:
    name: ClassVar[str]
    stage: ClassVar[str]  # "cells", "read" or "convert"
    on_reference: ClassVar[bool] = True  # reference cells (one G_off per row) get it too
    in_feedback_circuit: ClassVar[bool] = True  # the one-step circuit can model it

    def program(self, g: np.ndarray, cells: Cells, rng: np.random.Generator) -> np.ndarray:
        """Conductances after programming (cells effects; others leave them)."""
        return g

    def settle(self, g: np.ndarray, cells: Cells, rng: np.random.Generator) -> np.ndarray:
        """Conductances one settling of the feedback circuit sees."""
        return self.program(g, cells, rng)


@dataclass(frozen=True)
class ProgrammingNoise(Effect):
    """Write-verify residue: G + σ·(G or G_on)·N(0, 1), floored at 0."""

    sigma: float
    state_dependent: bool
    name: ClassVar[str] = "prog_noise"
    stage: ClassVar[str] = "cells"

    def program(self, g: np.ndarray, cells: Cells, rng: np.random.Generator) -> np.ndarray:
        scale = np.abs(g) if self.state_dependent else cells.g_on
        noisy = np.maximum(np.abs(g) + self.sigma * scale * rng.standard_normal(g.shape), 0.0)
        return np.where(g < 0, -noisy, np.where(g > 0, noisy, 0.0 if cells.g_off == 0 else noisy))


@dataclass(frozen=True)
class StuckAt(Effect):
    """Cells stuck at G_off or at G_on (a fraction each)."""

    off: float
    on: float
    name: ClassVar[str] = "stuck_at"
    stage: ClassVar[str] = "cells"
    on_reference: ClassVar[bool] = False

    def program(self, g: np.ndarray, cells: Cells, rng: np.random.Generator) -> np.ndarray:
        u = rng.random(g.shape)
        sign = np.where(g < 0, -1.0, 1.0)
        g = np.where(u < self.off, sign * cells.g_off, g)
        return np.where((u >= self.off) & (u < self.off + self.on), sign * cells.g_on, g)


@dataclass(frozen=True)
class Drift(Effect):
    """G(t) = G0·(t/t0)^−ν: every conductance times one factor."""

    factor: float
    name: ClassVar[str] = "drift"
    stage: ClassVar[str] = "cells"

    def program(self, g: np.ndarray, cells: Cells, rng: np.random.Generator) -> np.ndarray:
        return g * self.factor


@dataclass(frozen=True)
class IrDrop(Effect):
    """Wire, driver and sense resistances: first-order or the solved circuit."""

    hw: HwParams
    name: ClassVar[str] = "ir_drop"
    stage: ClassVar[str] = "cells"
    on_reference: ClassVar[bool] = False
    in_feedback_circuit: ClassVar[bool] = False

    def program(self, g: np.ndarray, cells: Cells, rng: np.random.Generator) -> np.ndarray:
        from imcsim.functional.crossbar import ir_drop

        return ir_drop(g, cells.row0, self.hw)


@dataclass(frozen=True)
class ReadNoise(Effect):
    """Cycle-to-cycle noise: σ·G·N(0, 1) on every read (the kernels add its exact
    output-referred equivalent; one settling of the feedback circuit is one read)."""

    sigma: float
    name: ClassVar[str] = "read_noise"
    stage: ClassVar[str] = "read"

    def settle(self, g: np.ndarray, cells: Cells, rng: np.random.Generator) -> np.ndarray:
        return g + self.sigma * g * rng.standard_normal(g.shape)


@dataclass(frozen=True)
class AdcErrors(Effect):
    """The converter's input-referred noise, offset, gain error and nonlinearity."""

    noise_lsb: float
    offset_lsb: float
    gain_error: float
    inl_lsb: float
    name: ClassVar[str] = "adc"
    stage: ClassVar[str] = "convert"
    in_feedback_circuit: ClassVar[bool] = False


def effects(hw: HwParams) -> list[Effect]:
    """The active effects of ``hw``, cells effects in the order they happen."""
    out: list[Effect] = []
    if hw.prog_noise > 0:
        out.append(ProgrammingNoise(hw.prog_noise, hw.prog_state_dependent))
    if hw.stuck_off > 0 or hw.stuck_on > 0:
        out.append(StuckAt(hw.stuck_off, hw.stuck_on))
    if hw.drift_factor != 1.0:
        out.append(Drift(hw.drift_factor))
    if hw.ir_drop:
        out.append(IrDrop(hw))
    if hw.read_noise > 0:
        out.append(ReadNoise(hw.read_noise))
    if hw.adc_noise_lsb or hw.adc_offset_lsb or hw.adc_gain_error or hw.adc_inl_lsb:
        out.append(AdcErrors(hw.adc_noise_lsb, hw.adc_offset_lsb, hw.adc_gain_error,
                             hw.adc_inl_lsb))
    return out


def program(g: np.ndarray, effect_list: list[Effect], cells: Cells, rng: np.random.Generator,
            reference: bool = False) -> np.ndarray:
    """Apply every cells effect to conductances ``g`` (for reference cells: those that
    reach them)."""
    for e in effect_list:
        if e.stage == "cells" and (e.on_reference or not reference):
            g = e.program(g, cells, rng)
    return g


def settle(values: np.ndarray, effect_list: list[Effect], cells: Cells,
           rng: np.random.Generator, method: str) -> np.ndarray:
    """What one settling of the feedback circuit sees: every effect applied once to signed
    conductance values (the sign is which of the G+ / G− arrays holds them); refuses the
    effects the circuit cannot model."""
    unmodelled = [e.name for e in effect_list if not e.in_feedback_circuit]
    if unmodelled:
        raise ConfigError(f"{method}: the one-step feedback circuit does not model "
                          f"{', '.join(unmodelled)} (nonideal.*); set them to 0 or use "
                          "--method refine")
    for e in effect_list:
        values = e.settle(values, cells, rng)
    return values
