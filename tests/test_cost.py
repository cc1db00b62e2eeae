"""Component cost models against published points and hand calculations (PRIMER §4)."""

from __future__ import annotations

import dataclasses

import pytest

from imcsim.config import AdcModel, load_arch
from imcsim.cost import adc_cost, build_components


def _adc(**kw):
    return dataclasses.replace(load_arch("rram_128").adc, **kw)


def test_survey_fit_at_the_primer_point():
    """PRIMER §4: ≈1.3 pJ and ≈3,200 µm² at 8 bits, 28 nm, 100 MS/s."""
    c = adc_cost(_adc(model=AdcModel.SURVEY, bits=8, sample_rate_hz=1e8), 28)
    assert c.energy_j == pytest.approx(1.3e-12, rel=0.05)
    assert c.area_m2 == pytest.approx(3200e-12, rel=0.05)
    assert "survey" in c.model


def test_table_model_is_isaac_adc_and_scales_by_two_per_bit():
    """ISAAC's ADC: 2 mW at 1.28 GS/s → 1.5625 pJ per conversion; 0.0012 mm²."""
    c = adc_cost(_adc(model=AdcModel.TABLE, bits=8, sample_rate_hz=1.28e9), 32)
    assert c.energy_j == pytest.approx(2e-3 / 1.28e9)
    assert c.area_m2 == pytest.approx(0.0012e-6)
    c6 = adc_cost(_adc(model=AdcModel.TABLE, bits=6), 32)
    assert c6.energy_j == pytest.approx(c.energy_j / 4)


def test_flash_counts_comparators_and_sar_grows_slower():
    f4 = adc_cost(_adc(model=AdcModel.FLASH, bits=4), 32)
    f8 = adc_cost(_adc(model=AdcModel.FLASH, bits=8), 32)
    assert f8.energy_j / f4.energy_j == pytest.approx(255 / 15)  # (2^8 − 1) / (2^4 − 1)
    s4 = adc_cost(_adc(model=AdcModel.SAR, bits=4), 32)
    s8 = adc_cost(_adc(model=AdcModel.SAR, bits=8), 32)
    # 0.1·B + 0.0125·B² pJ: 0.6 pJ at 4 bits, 1.6 pJ at 8 bits
    assert (s4.energy_j, s8.energy_j) == (pytest.approx(0.6e-12), pytest.approx(1.6e-12))


def test_crossbar_energy_is_g_v2_t_per_cell():
    """rram_128: G_mean = (1/100 kΩ + 1/1 MΩ)/2 = 5.5 µS; 0.2 V; 10 ns; activity 0.5:
    E = 5.5e-6 · 0.04 · 1e-8 · 0.5 = 1.1e-15 J per cell read."""
    comps = build_components(load_arch("rram_128"))
    assert comps["crossbar"].energy_j == pytest.approx(1.1e-15)
    # 128·128 cells of 12 F² at 28 nm
    assert comps["crossbar"].area_m2 == pytest.approx(128 * 128 * 12 * (28e-9) ** 2)


def test_overrides_replace_defaults():
    arch = load_arch("rram_128", ["overrides.adc.energy_pj=2.5", "overrides.dac.area_um2=1"])
    comps = build_components(arch)
    assert comps["adc"].energy_j == pytest.approx(2.5e-12)
    assert comps["dac"].area_m2 == pytest.approx(1e-12)


def test_adc_count_per_array_follows_column_sharing():
    assert build_components(load_arch("rram_128"))["adc"].count == 16  # 128 cols / 8
    assert build_components(load_arch("rram_128", ["adc.cols_per_adc=128"]))["adc"].count == 1
