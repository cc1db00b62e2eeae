"""Validation: `imcsim arch` with the ISAAC preset against the published figures
(Shafiee et al., ISCA 2016; PRIMER §5)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from imcsim.config import load_arch
from imcsim.report import arch_report
from imcsim.sim import peak


@pytest.fixture(scope="module")
def isaac():
    arch = load_arch("isaac")
    return arch, arch_report(arch, peak(arch))


def test_peak_throughput(isaac):
    """2,016 IMAs × 128 × 128 16-bit MACs × 2 ops / 1.6 µs ≈ 41.3 TOPS (±5 %)."""
    assert isaac[1]["performance"]["peak_tops"] == pytest.approx(41.3, rel=0.05)


def test_efficiency_and_density(isaac):
    assert isaac[1]["energy"]["peak_tops_per_w"] == pytest.approx(0.63, rel=0.15)
    assert isaac[1]["area"]["tops_per_mm2"] == pytest.approx(0.48, rel=0.15)
    assert isaac[1]["power"]["total_w"] == pytest.approx(65.8, rel=0.05)
    assert isaac[1]["area"]["total_mm2"] == pytest.approx(85.4, rel=0.05)


def test_adc_share_of_a_tile(isaac):
    """ADCs ≈ 58 % of tile power and ≈ 31 % of tile area (±5 points); a tile excludes the
    chip's HyperTransport links."""
    report = isaac[1]
    tile_power = {k: v for k, v in report["power"]["breakdown"].items() if k != "io"}
    tile_area = {k: v for k, v in report["area"]["breakdown"].items() if k != "io"}
    assert tile_power["adc"] / sum(tile_power.values()) == pytest.approx(0.58, abs=0.05)
    assert tile_area["adc"] / sum(tile_area.values()) == pytest.approx(0.31, abs=0.05)
    tiles = isaac[0].hierarchy.tiles_per_chip
    assert sum(tile_power.values()) / tiles == pytest.approx(0.330, rel=0.05)  # ≈ 330 mW
    assert sum(tile_area.values()) / tiles == pytest.approx(0.372, rel=0.05)  # ≈ 0.372 mm²


def test_report_gives_the_tile_level_adc_shares(isaac):
    """Published: ADCs ≈ 58 % of a tile's power and ≈ 31 % of its area (±5 points)."""
    adc = isaac[1]["adc"]
    assert adc["tile_power_fraction"] == pytest.approx(0.58, abs=0.05)
    assert adc["tile_area_fraction"] == pytest.approx(0.31, abs=0.05)
    assert adc["tile_power_fraction"] > adc["power_fraction"]  # the chip adds its io links


def test_cli_arch_json_has_the_documented_keys(tmp_path):
    out = subprocess.run([sys.executable, "-m", "imcsim", "arch", "isaac", "--json", "-"],
                         capture_output=True, text=True, check=True)
    report = json.loads(out.stdout)
    for section, key in [("performance", "peak_tops"), ("energy", "peak_tops_per_w"),
                         ("area", "total_mm2"), ("area", "tops_per_mm2"), ("power", "total_w"),
                         ("power", "breakdown"), ("area", "breakdown"),
                         ("adc", "power_fraction"), ("adc", "area_fraction"),
                         ("adc", "tile_power_fraction"), ("adc", "tile_area_fraction")]:
        assert key in report[section]
    assert report["performance"]["peak_tops"] == pytest.approx(41.3, rel=0.05)
