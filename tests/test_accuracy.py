"""`imcsim accuracy`: documented JSON keys, the digits CNN, determinism across processes,
--ideal, --layers, --outputs, and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from onnx_builders import TINY_CNN, run_ort

from imcsim.cli import main
from imcsim.functional.datasets import digits_split

DIGITS = Path(__file__).resolve().parents[1] / "models" / "digits_cnn.onnx"


def _acc(tmp_path, *argv, name="acc.json"):
    out = tmp_path / name
    assert main(["accuracy", *argv, "--json", str(out)]) == 0
    return json.loads(out.read_text())


def test_digits_cnn_float_accuracy_matches_onnxruntime(tmp_path):
    """Float top-1 on the 359 held-out images, checked against onnxruntime's own argmax."""
    r = _acc(tmp_path, str(DIGITS), "--dataset", "digits", "--ideal")
    _, _, x, y = digits_split()
    (logits,) = run_ort(DIGITS, {"image": x})
    assert r["accuracy"]["float_top1"] == pytest.approx(np.mean(logits.argmax(1) == y))
    assert r["accuracy"]["float_top1"] > 0.97  # the trained model is good
    assert r["accuracy"]["hw_top1"] == r["accuracy"]["float_top1"]  # ideal hardware
    assert r["accuracy"]["top1_agreement"] == 1.0
    assert r["accuracy"]["samples"] == 359


def test_documented_keys_and_hardware_loss(tmp_path):
    r = _acc(tmp_path, str(DIGITS), "--dataset", "digits", "--samples", "64", "--set", "adc.bits=4")
    for key in ("float_top1", "hw_top1", "top1_agreement", "output_rel_error", "samples", "seed"):
        assert key in r["accuracy"]
    assert all({"name", "output_rel_error"} <= set(layer) for layer in r["layers"])
    assert r["accuracy"]["output_rel_error"] > 0.01  # a 4-bit full-scale ADC loses accuracy
    assert r["accuracy"]["hw_top1"] <= r["accuracy"]["float_top1"]


def test_same_seed_same_numbers_across_processes(tmp_path):
    def run(seed):
        argv = [sys.executable, "-m", "imcsim", "accuracy", str(TINY_CNN), "--samples", "8",
                "--seed", str(seed), "--set", "nonideal.read_noise=0.03",
                "--set", "nonideal.prog_noise=0.05", "--json", "-"]
        return subprocess.run(argv, capture_output=True, text=True, check=True).stdout

    a, b, c = run(5), run(5), run(6)
    assert a == b
    assert json.loads(c)["accuracy"]["output_rel_error"] != json.loads(a)["accuracy"]["output_rel_error"]


def test_layers_option_and_outputs_file(tmp_path):
    out = tmp_path / "o.npz"
    r = _acc(tmp_path, str(TINY_CNN), "--samples", "4", "--layers", "/fc/Gemm", "--outputs", str(out))
    assert [layer["name"] for layer in r["layers"] if layer["on_hardware"]] == ["/fc/Gemm"]
    data = np.load(out)
    assert set(data.files) == {"inputs", "hw", "float"}
    assert data["inputs"].shape == (4, 1, 16, 16) and data["hw"].shape == (4, 10)
    (ref,) = run_ort(TINY_CNN, {"input": data["inputs"]})
    np.testing.assert_allclose(data["float"], ref, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("argv,expect", [
    (["--dataset", "digits"], "expects"),  # tiny_cnn's input is 16×16, not 8×8
    (["--dataset", "mnist"], "unknown data set"),
    (["--samples", "0"], "--samples 0"),
    (["--layers", "nope"], "no crossbar layer named nope"),
    (["--set", "nonideal.read_noise=-1"], "nonideal.read_noise"),
    (["--set", "nonideal.stuck_on_fraction=1.5"], "nonideal.stuck_on_fraction"),
])
def test_bad_input_is_one_line(tmp_path, argv, expect):
    r = subprocess.run([sys.executable, "-m", "imcsim", "accuracy", str(TINY_CNN), *argv,
                        "--json", str(tmp_path / "a.json"), "--outputs", str(tmp_path / "o.npz")],
                       capture_output=True, text=True)
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.returncode == 2 and len(lines) == 1 and expect in lines[0], r.stderr
    assert "Traceback" not in r.stderr
    assert not list(tmp_path.iterdir())


def test_too_many_adc_bits_warn(capsys, tmp_path):
    _acc(tmp_path, str(TINY_CNN), "--samples", "2", "--set", "adc.model=sar", "--set", "adc.bits=16")
    assert "change nothing" in capsys.readouterr().err


def test_first_order_ir_drop_out_of_range_warns(capsys, tmp_path):
    """1 Ω per segment on rram_128: 1 · 10 µS · 128 · 128 = 0.16 ≫ 0.01."""
    _acc(tmp_path, str(TINY_CNN), "--samples", "2", "--set", "nonideal.wire_resistance_ohm=1")
    assert "ir_drop_model=circuit" in capsys.readouterr().err
