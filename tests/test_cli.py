"""The CLI's happy paths: documented JSON keys, --set, presets, python -m, multi-chip."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from onnx_builders import TINY_CNN

from imcsim.cli import main

COMPILE_KEYS = {
    "model": {"name", "macs", "weights", "digital_ops"},
    "arch": {"name", "adc_model"},
    "mapping": {"arrays", "chips", "utilization"},
    "performance": {"latency_s", "throughput_inf_per_s", "tops", "peak_tops"},
    "energy": {"total_j", "tops_per_w", "breakdown"},
    "area": {"total_mm2", "breakdown", "tops_per_mm2"},
    "adc": {"energy_fraction", "area_fraction"},
}
LAYER_KEYS = {"name", "op", "macs", "weights", "arrays", "duplication", "utilization",
              "latency_s", "energy_j"}


def _compile(tmp_path, *extra):
    out = tmp_path / "r.json"
    assert main(["compile", str(TINY_CNN), "--json", str(out), *extra]) == 0
    return json.loads(out.read_text())


def test_compile_json_has_every_documented_key(tmp_path):
    r = _compile(tmp_path)
    for section, keys in COMPILE_KEYS.items():
        assert keys <= set(r[section]), section
    assert all(LAYER_KEYS <= set(layer) for layer in r["layers"])
    assert r["model"]["macs"] == 31_392  # hand count in test_frontend
    assert r["arch"]["name"] == "RRAM-128"  # default preset
    assert "cim" in r["arch"]["adc_model"]
    assert sum(layer["energy_j"] for layer in r["layers"]) == pytest.approx(r["energy"]["total_j"])
    assert r["energy"]["total_j"] == pytest.approx(sum(r["energy"]["breakdown"].values()))
    # 2 ops per MAC at the steady-state rate
    assert r["performance"]["tops"] == pytest.approx(
        2 * 31_392 * r["performance"]["throughput_inf_per_s"] / 1e12)


def test_batch_is_reported_per_inference(tmp_path):
    """--batch 4 runs 4 inferences per pass: MACs per inference stay tiny_cnn's 31,392 (hand
    count in test_frontend); TOPS = 2 · MACs per inference · inferences per second."""
    one = _compile(tmp_path, "--duplication", "none")
    r = _compile(tmp_path, "--batch", "4", "--duplication", "none")
    assert r["model"]["macs"] == 31_392 and r["model"]["batch"] == 4
    assert r["performance"]["tops"] == pytest.approx(
        2 * 31_392 * r["performance"]["throughput_inf_per_s"] / 1e12)
    # the same actions per inference: the energy per inference does not change with the batch
    assert r["energy"]["total_j"] == pytest.approx(one["energy"]["total_j"])
    assert r["energy"]["tops_per_w"] == pytest.approx(one["energy"]["tops_per_w"])


def test_set_changes_the_mapping(tmp_path):
    base = _compile(tmp_path, "--duplication", "none")
    big = _compile(tmp_path, "--duplication", "none", "--set", "adc.bits=6",
                   "--set", "array.rows=256", "--set", "array.cols=256")
    assert big["arch"]["rows"] == 256 and big["arch"]["adc_bits"] == 6
    # tiny_cnn: 4 small layers, one array each at 128 or 256 rows → utilisation drops 4×
    assert big["mapping"]["arrays"] == base["mapping"]["arrays"] == 4
    assert big["mapping"]["utilization"] == pytest.approx(base["mapping"]["utilization"] / 4)


def test_isaac_preset_by_name_and_python_m(tmp_path):
    out = subprocess.run([sys.executable, "-m", "imcsim", "compile", str(TINY_CNN), "--arch",
                          "isaac", "--json", "-"], capture_output=True, text=True, check=True)
    r = json.loads(out.stdout)
    assert r["arch"]["name"] == "ISAAC" and "table" in r["arch"]["adc_model"]
    assert r["performance"]["peak_tops"] == pytest.approx(41.3, rel=0.05)


def test_terminal_report_names_model_arch_and_bottleneck(capsys):
    assert main(["compile", str(TINY_CNN), "--arch", "isaac"]) == 0
    text = capsys.readouterr().out
    assert "tiny_cnn" in text and "ISAAC" in text and "bottleneck" in text


def test_a_model_larger_than_the_chip_spans_chips_and_says_so(tmp_path, capsys):
    """tiny_cnn's 4 crossbar layers need 4 cores; a chip of 1 tile × 1 core holds one."""
    r = _compile(tmp_path, "--set", "hierarchy.cores_per_tile=1",
                 "--set", "hierarchy.tiles_per_chip=1", "--duplication", "none")
    assert r["mapping"]["chips"] == 4 and not r["mapping"]["fits_one_chip"]
    assert "spans 4 chips" in capsys.readouterr().err


def test_schema_and_presets_commands(capsys):
    assert main(["presets"]) == 0
    assert {"isaac", "rram_128"} <= set(capsys.readouterr().out.split())
    assert main(["schema"]) == 0
    assert "adc.sample_rate_hz" in capsys.readouterr().out
