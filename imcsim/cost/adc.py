"""ADC cost models: one registered class per converter, each citing its source.

Every model gives, for an ADC *operating* at ``bits`` and *designed* for ``design_bits``
(a reconfigurable ADC keeps the area of its designed resolution): energy per conversion,
area, and conversion time, within its documented valid range of bits; outside it the
config is rejected with the valid models named. Published models disagree by up to 10× for
the same ADC (PRIMER §4), so every report names the model used.

``sample_rate_hz`` is the conversion rate at the designed resolution. Models whose
conversion takes one step per bit (SAR and the CIM column ADC) are faster at fewer bits:
t = (bits + 1) / ((design_bits + 1) · rate), the (B + 1) cycles of a SAR conversion
(NeuroSim's SAR timing). A ramp converter takes 2^bits steps of 1 / (2^design_bits · rate).

``adc.conversion_overhead_pj`` adds a fixed energy to every conversion of any model
(sampling, reset: NeuRRAM's 1.2 pJ sample).

Technology scaling (one rule for all models that are quoted at one node): energy ∝ node ·
V_dd² (switched capacitance ∝ feature size), area ∝ node² — the classical Dennard rules
that Accelergy's and NeuroSim's scaling tables follow to first order between 130 and
22 nm.

Models:

- ``cim`` (default): the compact column-ADC fit of ZigZag-IMC (Houshmand et al., "Benchmarking
  and modeling of analog and digital SRAM in-memory computing architectures", 2023; and the
  ZigZag-IMC cost model), fitted to the ADCs of published IMC macros at 28 nm:
  E = (100·B + 0.001·4^B) fF · V_dd², area = 10^(−0.0369·B + 1.206) · 2^B µm².
  Valid 1–10 bits (the published macros' range).
- ``sar``: successive approximation, B bit cycles of 50 fJ each at 28 nm / 0.9 V (comparator,
  SAR logic and capacitive-DAC switching per cycle) plus the thermal-noise floor of a
  Schreier figure of merit of 180 dB (E_th = 0.5·10^((6.02·B + 1.76 − 180)/10) J, the
  Murmann survey's envelope minus ~5 dB): close to linear in B at low resolution, 4× per
  bit at high resolution. Area: 60 µm² of logic per bit + 4 µm² per unit capacitor ×
  2^B at 28 nm. Valid 1–16 bits.
- ``table``: a published design point (default ISAAC's ADC after Kull 2013: 8 bits,
  1.28 GS/s, 2 mW → 1.5625 pJ, 0.0012 mm²), kept exactly at its own bits and scaled off
  them with the SAR shape (not 2× per bit, which is too steep below ~8 bits).
- ``survey``: the Murmann ADC-survey fit used by Accelergy/CiMLoop (formula in PRIMER §4),
  valid only from 4 bits: the survey holds no converters below that and the reference
  implementation refuses them.
- ``flash``: 2^B − 1 comparators of 20 fJ and 20 µm² each at 32 nm; one cycle. Valid 1–8.
- ``linear``: one step per bit with energy ∝ bits, from a published point
  (``table_energy_pj`` at ``table_bits``): a binary-search converter whose steps cost the
  same at any resolution — NeuRRAM's neuron in its SAR mode (Wan et al., Nature 2022;
  0.3 pJ per comparison + 0.1 pJ per shift-add step at 130 nm in Accelergy's component
  library). Area ``table_area_um2`` whatever the bits. Valid 1–12.
- ``ramp``: integrate-and-fire / single-slope counting converter (NeuRRAM's neuron, Wan et
  al., Nature 2022): 2^B steps, energy ∝ 2^B from a published point (``table_energy_pj``
  at ``table_bits``), area of one comparator + counter (``table_area_um2``). Valid 1–12.
- ``sense_amp``: the readout of most Mb-level NVM compute-in-memory macros: one
  latch-type sense amplifier comparing the bit-line signal against reference levels, one
  decision per output bit (binary search; e.g. the CVH-ADC of Huang et al., ISSCC 2023
  16.6 toggles its sense amplifier 2 + 3 times for 5 bits). Energy per decision 9.845 fJ at
  65 nm / 1.1 V (NeuroSim's ``VoltageSenseAmp``, DNN_NeuroSim V1.4), scaled by the rule
  above (1.76 fJ at 22 nm / 0.8 V); area 1,500 F² (NeuroSim's sense amplifier: 6 NMOS +
  5 PMOS of minimum width at its 28 F cell height and ~4.8 F gate pitch) for the
  comparator and its reference switches, whatever the bits. Its time is one decision per
  bit (the SAR timing rule). The reference generation and the bit line's own current
  are not in it: the crossbar's energy carries the current (``readout.current_mode``).
  Valid 1–8 bits (the macros' range; the reference ladder grows as 2^B).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from imcsim.config import Adc


@dataclass(frozen=True, slots=True)
class AdcCost:
    energy_j: float  # per conversion at the operating bits
    area_m2: float  # at the designed bits
    latency_s: float  # one conversion at the operating bits
    model: str  # name + source, for reports


def _e_scale(node_nm: float, vdd_v: float, ref_nm: float, ref_v: float) -> float:
    return (node_nm / ref_nm) * (vdd_v / ref_v) ** 2


def _a_scale(node_nm: float, ref_nm: float) -> float:
    return (node_nm / ref_nm) ** 2


class AdcModelBase:
    """One converter cost model. Subclasses set ``name``, ``label``, ``min_bits``,
    ``max_bits`` and implement energy (J), area (m²) and the conversion time (s)."""

    name: ClassVar[str]
    label: ClassVar[str]  # model + source, shown in reports
    min_bits: ClassVar[int] = 1
    max_bits: ClassVar[int] = 16

    def energy_j(self, adc: Adc, bits: int, node_nm: float, vdd_v: float) -> float:
        raise NotImplementedError

    def area_m2(self, adc: Adc, design_bits: int, node_nm: float) -> float:
        raise NotImplementedError

    def latency_s(self, adc: Adc, bits: int, design_bits: int) -> float:
        """Default: one step per bit plus one (SAR-like)."""
        return (bits + 1) / ((design_bits + 1) * adc.sample_rate_hz)


MODELS: dict[str, AdcModelBase] = {}


def register(cls: type[AdcModelBase]) -> type[AdcModelBase]:
    MODELS[cls.name] = cls()
    return cls


@register
class CimColumnAdc(AdcModelBase):
    name = "cim"
    label = "cim (compact IMC column-ADC fit, ZigZag-IMC / Houshmand 2023, 28 nm)"
    max_bits = 10

    def energy_j(self, adc: Adc, bits: int, node_nm: float, vdd_v: float) -> float:
        e_ff = 100.0 * bits + 0.001 * 4.0**bits  # fF · V², at 28 nm
        return e_ff * 1e-15 * vdd_v**2 * (node_nm / 28.0)

    def area_m2(self, adc: Adc, design_bits: int, node_nm: float) -> float:
        um2 = 10 ** (-0.0369 * design_bits + 1.206) * 2.0**design_bits
        return um2 * 1e-12 * _a_scale(node_nm, 28.0)


def sar_energy_j(bits: int, node_nm: float, vdd_v: float) -> float:
    cycles = 50e-15 * bits * _e_scale(node_nm, vdd_v, 28.0, 0.9)
    sndr = 6.0206 * bits + 1.761
    thermal = 0.5 * 10 ** ((sndr - 180.0) / 10.0)  # Schreier FOM 180 dB, rate-independent
    return cycles + thermal


def sar_area_m2(bits: int, node_nm: float) -> float:
    return (60.0 * bits + 4.0 * 2.0**bits) * 1e-12 * _a_scale(node_nm, 28.0)


@register
class SarAdc(AdcModelBase):
    name = "sar"
    label = "sar (B bit cycles + Schreier-FOM thermal floor; NeuroSim-style timing)"

    def energy_j(self, adc: Adc, bits: int, node_nm: float, vdd_v: float) -> float:
        return sar_energy_j(bits, node_nm, vdd_v)

    def area_m2(self, adc: Adc, design_bits: int, node_nm: float) -> float:
        return sar_area_m2(design_bits, node_nm)


@register
class TableAdc(AdcModelBase):
    name = "table"
    label = "table (published point, scaled off its bits with the SAR shape)"

    def energy_j(self, adc: Adc, bits: int, node_nm: float, vdd_v: float) -> float:
        shape = sar_energy_j(bits, 28.0, 0.9) / sar_energy_j(adc.table_bits, 28.0, 0.9)
        return adc.table_energy_pj * 1e-12 * shape

    def area_m2(self, adc: Adc, design_bits: int, node_nm: float) -> float:
        shape = sar_area_m2(design_bits, 28.0) / sar_area_m2(adc.table_bits, 28.0)
        return adc.table_area_um2 * 1e-12 * shape


@register
class SurveyAdc(AdcModelBase):
    name = "survey"
    label = "survey (Murmann ADC survey fit, as in Accelergy/CiMLoop)"
    min_bits = 4

    def energy_j(self, adc: Adc, bits: int, node_nm: float, vdd_v: float) -> float:
        return survey_energy_pj(bits, adc.sample_rate_hz, node_nm) * 1e-12

    def area_m2(self, adc: Adc, design_bits: int, node_nm: float) -> float:
        e_pj = survey_energy_pj(design_bits, adc.sample_rate_hz, node_nm)
        return survey_area_um2(adc.sample_rate_hz, node_nm, e_pj) * 1e-12

    def latency_s(self, adc: Adc, bits: int, design_bits: int) -> float:
        return 1.0 / adc.sample_rate_hz  # the fit's energy is quoted at this rate


@register
class FlashAdc(AdcModelBase):
    name = "flash"
    label = "flash (2^B − 1 comparators, 20 fJ / 20 µm² each at 32 nm)"
    max_bits = 8

    def energy_j(self, adc: Adc, bits: int, node_nm: float, vdd_v: float) -> float:
        return (2**bits - 1) * 0.020e-12 * (node_nm / 32.0)

    def area_m2(self, adc: Adc, design_bits: int, node_nm: float) -> float:
        return (2**design_bits - 1) * 20.0e-12 * _a_scale(node_nm, 32.0)

    def latency_s(self, adc: Adc, bits: int, design_bits: int) -> float:
        return 1.0 / adc.sample_rate_hz


@register
class RampAdc(AdcModelBase):
    name = "ramp"
    label = "ramp (integrate-and-fire / single-slope counter, 2^B steps; NeuRRAM's neuron)"
    max_bits = 12

    def energy_j(self, adc: Adc, bits: int, node_nm: float, vdd_v: float) -> float:
        return adc.table_energy_pj * 1e-12 * 2.0 ** (bits - adc.table_bits)

    def area_m2(self, adc: Adc, design_bits: int, node_nm: float) -> float:
        return adc.table_area_um2 * 1e-12  # one comparator + counter, whatever the bits

    def latency_s(self, adc: Adc, bits: int, design_bits: int) -> float:
        return 2.0**bits / (2.0**design_bits * adc.sample_rate_hz)


@register
class SenseAmpAdc(AdcModelBase):
    name = "sense_amp"
    label = "sense_amp (one latch sense-amplifier decision per bit; NeuroSim VoltageSenseAmp)"
    max_bits = 8

    def energy_j(self, adc: Adc, bits: int, node_nm: float, vdd_v: float) -> float:
        return bits * 9.845e-15 * _e_scale(node_nm, vdd_v, 65.0, 1.1)

    def area_m2(self, adc: Adc, design_bits: int, node_nm: float) -> float:
        return 1500.0 * (node_nm * 1e-9) ** 2


@register
class LinearAdc(AdcModelBase):
    name = "linear"
    label = "linear (one step per bit from a published point; binary-search neuron)"
    max_bits = 12

    def energy_j(self, adc: Adc, bits: int, node_nm: float, vdd_v: float) -> float:
        return adc.table_energy_pj * 1e-12 * bits / adc.table_bits

    def area_m2(self, adc: Adc, design_bits: int, node_nm: float) -> float:
        return adc.table_area_um2 * 1e-12


def survey_energy_pj(bits: int, rate_hz: float, node_nm: float) -> float:
    sndr = 6.0206 * bits + 1.761
    fom = min(213.7807 - 2.87190 * math.log(rate_hz), 128.3068 + 3.22051 * math.ceil(bits))
    e_base = 1.0 / (2.0 * 10 ** ((fom - sndr) / 10.0))
    return e_base * math.exp(
        26.04962 + 1.880037 * math.log(node_nm) - 2.829126 * math.log(bits) - 1.470202
    )


def survey_area_um2(rate_hz: float, node_nm: float, energy_pj: float) -> float:
    return math.exp(1.346192 + 0.993279 * math.log(node_nm) + 0.180715 * math.log(rate_hz)
                    + 0.299124 * math.log(energy_pj))


def design_bits(adc: Adc) -> int:
    return adc.design_bits or adc.bits


def adc_problem(adc: Adc) -> str:
    """'' when the model covers the configured bits, else the one-line problem."""
    m = MODELS[adc.model.value]
    for key, b in (("adc.bits", adc.bits), ("adc.design_bits", design_bits(adc))):
        if not m.min_bits <= b <= m.max_bits:
            fits = [n for n, o in MODELS.items() if o.min_bits <= b <= o.max_bits]
            return (f"{key} = {b} is outside the '{m.name}' ADC model's valid range "
                    f"{m.min_bits}–{m.max_bits} bits; use adc.model {' | '.join(fits)}")
    return ""


def adc_cost(adc: Adc, node_nm: float, vdd_v: float = 0.9) -> AdcCost:
    m = MODELS[adc.model.value]
    d = design_bits(adc)
    energy = m.energy_j(adc, adc.bits, node_nm, vdd_v) + adc.conversion_overhead_pj * 1e-12
    return AdcCost(energy, m.area_m2(adc, d, node_nm), m.latency_s(adc, adc.bits, d), m.label)
