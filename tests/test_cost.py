"""Component cost models against published points and hand calculations (PRIMER §4)."""

from __future__ import annotations

import dataclasses

import pytest

from imcsim.config import AdcModel, load_arch
from imcsim.cost import adc_cost, build_components
from imcsim.errors import ConfigError


def _adc(**kw):
    return dataclasses.replace(load_arch("rram_128").adc, **kw)


def test_survey_fit_at_the_primer_point():
    """PRIMER §4: ≈1.3 pJ and ≈3,200 µm² at 8 bits, 28 nm, 100 MS/s."""
    c = adc_cost(_adc(model=AdcModel.SURVEY, bits=8, sample_rate_hz=1e8), 28)
    assert c.energy_j == pytest.approx(1.3e-12, rel=0.05)
    assert c.area_m2 == pytest.approx(3200e-12, rel=0.05)
    assert "survey" in c.model


def test_table_model_keeps_its_published_point_and_scales_with_the_sar_shape():
    """ISAAC's ADC: 2 mW at 1.28 GS/s → 1.5625 pJ per conversion; 0.0012 mm². Off its bits
    the SAR shape at 28 nm / 0.9 V: E(B) = 50 fJ·B + 0.5·10^((6.0206·B + 1.761 − 180)/10) J
      E(8) = 400 fJ + 48.2 fJ = 448.2 fJ;  E(6) = 300 fJ + 3.0 fJ = 303.0 fJ
    so a 6-bit table ADC costs 1.5625 · 303.0 / 448.2 = 1.056 pJ — not 1.5625 / 4."""
    c = adc_cost(_adc(model=AdcModel.TABLE, bits=8, sample_rate_hz=1.28e9), 32)
    assert c.energy_j == pytest.approx(2e-3 / 1.28e9)
    assert c.area_m2 == pytest.approx(0.0012e-6)
    c6 = adc_cost(_adc(model=AdcModel.TABLE, bits=6), 32)
    assert c6.energy_j == pytest.approx(1.5625e-12 * 303.0 / 448.2, rel=2e-3)


def test_flash_counts_comparators():
    f4 = adc_cost(_adc(model=AdcModel.FLASH, bits=4), 32)
    f8 = adc_cost(_adc(model=AdcModel.FLASH, bits=8), 32)
    assert f8.energy_j / f4.energy_j == pytest.approx(255 / 15)  # (2^8 − 1) / (2^4 − 1)


def test_sar_is_linear_at_low_bits_and_4x_per_bit_at_high_bits():
    """B cycles of 50 fJ dominate at low resolution (E(4)/E(2) ≈ 2); the thermal floor of a
    180 dB Schreier FOM dominates at high resolution: +6.02 dB SNDR per bit → ×4 energy."""
    e = {b: adc_cost(_adc(model=AdcModel.SAR, bits=b, design_bits=16), 28).energy_j
         for b in (2, 4, 15, 16)}
    assert e[4] / e[2] == pytest.approx(2.0, rel=0.01)
    assert e[16] / e[15] == pytest.approx(4.0, rel=0.02)
    # 8 bits: 400 fJ of cycles + 48.2 fJ thermal
    e8 = adc_cost(_adc(model=AdcModel.SAR, bits=8), 28).energy_j
    assert e8 == pytest.approx(448.2e-15, rel=1e-3)


def test_sar_time_is_one_step_per_bit():
    """Designed for 8 bits at 100 MS/s (9 steps in 10 ns); run at 4 bits: 5 steps = 5.56 ns."""
    c8 = adc_cost(_adc(model=AdcModel.SAR, bits=8, sample_rate_hz=1e8), 28)
    c4 = adc_cost(_adc(model=AdcModel.SAR, bits=4, design_bits=8, sample_rate_hz=1e8), 28)
    assert c8.latency_s == pytest.approx(10e-9)
    assert c4.latency_s == pytest.approx(10e-9 * 5 / 9)


def test_cim_column_adc_is_the_zigzag_imc_fit():
    """Houshmand 2023 / ZigZag-IMC at 28 nm: E = (100·B + 0.001·4^B) fF·V², area =
    10^(−0.0369·B + 1.206)·2^B µm². At 6 bits, 0.9 V: (600 + 4.096)·0.81 = 489.3 fJ and
    10^0.9846 · 64 = 617.7 µm²."""
    c = adc_cost(_adc(model=AdcModel.CIM, bits=6), 28, 0.9)
    assert c.energy_j == pytest.approx(489.3e-15, rel=1e-3)
    assert c.area_m2 == pytest.approx(617.7e-12, rel=1e-3)
    assert "Houshmand" in c.model


def test_a_reconfigurable_adc_keeps_the_area_of_its_designed_bits():
    """Built for 8 bits, run at 4: area 10^(1.206 − 0.2952)·256 = 2,086 µm² (the 8-bit
    area), energy (400 + 0.256) fF · 0.81 = 324.2 fJ (the 4-bit energy)."""
    c = adc_cost(_adc(model=AdcModel.CIM, bits=4, design_bits=8), 28, 0.9)
    assert c.area_m2 == pytest.approx(2085.7e-12, rel=1e-3)
    assert c.energy_j == pytest.approx(324.2e-15, rel=1e-3)


def test_ramp_converter_takes_2_to_the_b_steps():
    """A counting converter: 0.3 pJ at 3 bits → 2.4 pJ at 6; 2^6 / 2^8 of the 8-bit time."""
    kw = dict(model=AdcModel.RAMP, table_bits=3, table_energy_pj=0.3, design_bits=8,
              sample_rate_hz=1e6)
    assert adc_cost(_adc(bits=6, **kw), 130).energy_j == pytest.approx(2.4e-12)
    assert adc_cost(_adc(bits=6, **kw), 130).latency_s == pytest.approx(2**6 / (2**8 * 1e6))


@pytest.mark.parametrize(("model", "bits"), [("survey", 3), ("flash", 9), ("cim", 12),
                                                  ("sense_amp", 9)])
def test_adc_models_refuse_bits_outside_their_valid_range(model, bits):
    with pytest.raises(ConfigError, match=f"outside the '{model}' ADC model's valid range"):
        load_arch("rram_128", [f"adc.model={model}", f"adc.bits={bits}"])


def test_design_bits_below_operating_bits_is_refused():
    with pytest.raises(ConfigError, match="cannot run above its designed resolution"):
        load_arch("rram_128", ["adc.bits=6", "adc.design_bits=4"])


def test_crossbar_energy_is_g_v2_t_per_cell_pulse():
    """rram_128: G_ref = (1/100 kΩ + 1/1 MΩ)/2 = 5.5 µS; 0.2 V; 10 ns:
    E = 5.5e-6 · 0.04 · 1e-8 = 2.2e-15 J per cell pulse (activity lives in the counts)."""
    comps = build_components(load_arch("rram_128"))
    assert comps["crossbar"].energy_j == pytest.approx(2.2e-15)
    # 128·128 cells of 12 F² at 28 nm
    assert comps["crossbar"].area_m2 == pytest.approx(128 * 128 * 12 * (28e-9) ** 2)


def test_current_mode_readout_draws_the_cell_current_from_vdd():
    """rram_128 (0.9 V supply): 5.5 µS · 0.2 V · 0.9 V · 10 ns = 9.9e-15 J per cell pulse,
    V_dd / V_read = 4.5× the voltage-mode 2.2 fJ."""
    comps = build_components(load_arch("rram_128", ["readout.current_mode=true"]))
    assert comps["crossbar"].energy_j == pytest.approx(9.9e-15)


def test_sense_amp_is_one_neurosim_decision_per_bit():
    """NeuroSim's voltage sense amplifier: 9.845 fJ per decision at 65 nm / 1.1 V. At
    22 nm / 0.8 V (energy ∝ node · V²): 9.845 · 22/65 · (0.8/1.1)² = 1.7625 fJ per
    decision, 4 decisions for 4 bits = 7.050 fJ; 1,500 F² = 1500 · (22 nm)² = 0.726 µm²
    at any bits; 4 + 1 steps of 5 + 1 at the designed 5 bits."""
    c = adc_cost(_adc(model=AdcModel.SENSE_AMP, bits=4, design_bits=5, sample_rate_hz=1e9),
                 22, 0.8)
    assert c.energy_j == pytest.approx(7.050e-15, rel=1e-3)
    assert c.area_m2 == pytest.approx(0.726e-12, rel=1e-3)
    assert c.latency_s == pytest.approx(5 / 6 * 1e-9)
    assert "NeuroSim" in c.model


def test_row_driver_energy_is_the_swing_it_drives():
    """rram_128 row: 128 cells × 0.05 fF at 0.2 V → 128·5e-17·0.04 = 0.256 fJ, plus one
    driver stage of 2 fF at 28 nm and 0.9 V → 1.62 fJ. Doubling the read voltage adds 3×
    the line's 0.256 fJ (∝ V_read², not V_dd²)."""
    comps = build_components(load_arch("rram_128"))
    assert comps["dac"].energy_j == pytest.approx(0.256e-15 + 1.62e-15)
    hot = build_components(load_arch("rram_128", ["array.read_voltage_v=0.4"]))
    assert hot["dac"].energy_j - comps["dac"].energy_j == pytest.approx(3 * 0.256e-15)


def test_overrides_replace_defaults():
    arch = load_arch("rram_128", ["overrides.adc.energy_pj=2.5", "overrides.dac.area_um2=1"])
    comps = build_components(arch)
    assert comps["adc"].energy_j == pytest.approx(2.5e-12)
    assert comps["dac"].area_m2 == pytest.approx(1e-12)


def test_adc_count_per_array_follows_column_and_array_sharing():
    assert build_components(load_arch("rram_128"))["adc"].count == 8  # 128 cols / 16
    assert build_components(load_arch("rram_128", ["adc.cols_per_adc=128"]))["adc"].count == 1
    shared = build_components(load_arch("rram_128", ["adc.arrays_per_adc=4"]))
    assert shared["adc"].count == 2  # 8 per array, each shared by 4 arrays


def test_a_component_sized_zero_is_absent():
    comps = build_components(load_arch("rram_128", ["core.input_register_bytes=0",
                                                   "tile.buffer_bytes=0", "chip.io_links=0"]))
    assert not {"input_register", "buffer", "bus", "io"} & set(comps)


@pytest.mark.parametrize(("n", "rows_um2", "cols_um2"), [
    # NeuroSim V1.4 (DNN_NeuroSim, SubArray::CalculateArea, 22 nm, RRAM 1T1R, parallel
    # read, 8:1 column mux, write voltage 2 V), its printed block areas in µm²:
    #   rows: wlNewSwitchMatrix + wllevelshifter + bllevelshifter
    #   cols: slSwitchMatrix + mux + muxDecoder + sllevelshifter
    (256, 602.67 + 2562.85 + 2562.85, 357.14 + 333.05 + 47.55 + 2562.85),
    (512, 1205.34 + 5125.70 + 5125.70, 714.28 + 760.22 + 47.55 + 5125.70),
])
def test_array_periphery_reproduces_neurosims_block_areas(n, rows_um2, cols_um2):
    arch = load_arch("rram_128", ["technology.node_nm=22", f"array.rows={n}",
                                  f"array.cols={n}", "adc.cols_per_adc=8",
                                  "array.write_voltage_v=2.0"])
    c = build_components(arch)
    assert c["row_periphery"].count * c["row_periphery"].area_m2 * 1e12 == pytest.approx(
        rows_um2, rel=0.01)
    assert c["column_periphery"].count * c["column_periphery"].area_m2 * 1e12 == pytest.approx(
        cols_um2, rel=0.01)


def test_periphery_without_level_shifters_or_mux_and_none():
    """Below NeuroSim's 1.5 V no level shifters; one converter per column needs no mux:
    rows 4,864 F², columns 2,883 F² each (28 nm: F² = 7.84e-4 µm²)."""
    arch = load_arch("rram_128", ["technology.node_nm=28", "array.write_voltage_v=1.2",
                                  "adc.cols_per_adc=1"])
    c = build_components(arch)
    assert c["row_periphery"].area_m2 * 1e12 == pytest.approx(4864 * 7.84e-4, rel=1e-6)
    assert c["column_periphery"].area_m2 * 1e12 == pytest.approx(2883 * 7.84e-4, rel=1e-6)
    assert c["row_periphery"].energy_j == 0 == c["column_periphery"].energy_j
    none = build_components(load_arch("rram_128", ["array.periphery=none"]))
    assert "row_periphery" not in none and "column_periphery" not in none
