"""ADC cost models (PRIMER §4). Each returns energy per conversion, area and latency.

Published models disagree by up to 10× for the same ADC, so every report names the model.

- ``table``: a published point (default ISAAC's 8-bit 1.28 GS/s ADC after Kull 2013:
  2 mW / 1.28 GS/s = 1.5625 pJ, 0.0012 mm²), scaled by 2^(B − B_table) in energy and area
  when the resolution differs (constant Walden figure of merit).
- ``survey``: the Murmann ADC-survey fit used by Accelergy/CiMLoop:
  SNDR = 6.0206·B + 1.761 dB; FOM_S = min(213.7807 − 2.87190·ln f, 128.3068 + 3.22051·ceil(B));
  E_base = 1 / (2·10^((FOM_S − SNDR)/10)); E_pJ = E_base·exp(26.04962 + 1.880037·ln T −
  2.829126·ln B − 1.470202); area_µm² = exp(1.346192 + 0.993279·ln T + 0.180715·ln f +
  0.299124·ln E_pJ).
- ``sar``: NeuroSim-style successive approximation: E = (a·B + b·B²)·(T/32 nm) with
  a = 0.1 pJ, b = 0.0125 pJ (equal linear and quadratic parts at 8 bits, 1.6 pJ at 32 nm,
  ISAAC's point); area = 600 µm²·(0.5 + 0.5·2^(B−8))·(T/32)² (comparator + capacitive DAC
  ∝ 2^B); latency (B + 1) cycles of a clock running at (B + 1)·f.
- ``flash``: 2^B − 1 comparators of 20 fJ and 20 µm² each at 32 nm (energy ∝ T, area ∝ T²);
  one cycle latency.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from imcsim.config import Adc, AdcModel


@dataclass(frozen=True, slots=True)
class AdcCost:
    energy_j: float  # per conversion
    area_m2: float
    latency_s: float  # one conversion
    model: str  # name + source, for reports


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


def adc_cost(adc: Adc, node_nm: float) -> AdcCost:
    b, f = adc.bits, adc.sample_rate_hz
    if adc.model is AdcModel.TABLE:
        scale = 2.0 ** (b - adc.table_bits)
        return AdcCost(adc.table_energy_pj * scale * 1e-12, adc.table_area_um2 * scale * 1e-12,
                       1.0 / f, f"table ({adc.table_bits}-bit published point, "
                       f"{adc.table_energy_pj:g} pJ, {adc.table_area_um2:g} µm²)")
    if adc.model is AdcModel.SURVEY:
        e_pj = survey_energy_pj(b, f, node_nm)
        return AdcCost(e_pj * 1e-12, survey_area_um2(f, node_nm, e_pj) * 1e-12, 1.0 / f,
                       "survey (Murmann ADC survey fit, as in Accelergy/CiMLoop)")
    s = node_nm / 32.0
    if adc.model is AdcModel.SAR:
        e_pj = (0.1 * b + 0.0125 * b * b) * s
        area = 600.0 * (0.5 + 0.5 * 2.0 ** (b - 8)) * s * s
        return AdcCost(e_pj * 1e-12, area * 1e-12, 1.0 / f, "sar (NeuroSim-style SAR scaling)")
    comparators = 2**b - 1
    return AdcCost(comparators * 0.020 * s * 1e-12, comparators * 20.0 * s * s * 1e-12, 1.0 / f,
                   "flash (2^B − 1 comparators)")
