"""The partial-sum kernels end to end (issue 15): `imcsim accuracy --kernel` changes each
layer's path, never the numbers; a forced kernel that cannot be exact is refused. (Kept
apart from test_bitplane.py, which CI also runs with Numba's JIT off.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def _accuracy_json(tmp_path, name, *extra):
    from imcsim.cli import main

    out = tmp_path / f"{name}.json"
    assert main(["accuracy", str(DIGITS), "--dataset", "digits", "--samples", "40",
                 "--batch-size", "16", "--json", str(out), *extra]) == 0
    return json.loads(out.read_text())


DIGITS = Path(__file__).resolve().parents[1] / "models" / "digits_cnn.onnx"


@pytest.mark.parametrize(("settings", "auto_paths"), [
    (["--set", "nonideal.adc_noise_lsb=0.5", "--set", "adc.range=calibrated"], {"bitplane"}),
    (["--set", "adc.bits=10", "--set", "adc.model=sar"], {"exact"}),
    # 2-bit digits: GEMMs, except a layer whose few rows a 6-bit ADC reads losslessly
    (["--set", "precision.dac_bits=2"], {"float", "exact"}),
])
def test_kernels_change_the_path_not_the_numbers(tmp_path, settings, auto_paths):
    """The digits CNN end to end: --kernel float and --kernel auto give the same JSON
    (accuracy, per-layer errors) but for each layer's path, which names what ran."""
    auto = _accuracy_json(tmp_path, "auto", *settings)
    floats = _accuracy_json(tmp_path, "float", *settings, "--kernel", "float")
    on_hw = [r for r in auto["layers"] if r["on_hardware"]]
    assert len(on_hw) == 5 and {r["path"] for r in on_hw} == auto_paths
    assert {r["path"] for r in floats["layers"] if r["on_hardware"]} == {"float"}
    assert all(r["path"] is None for r in auto["layers"] if not r["on_hardware"])
    for r in auto["layers"] + floats["layers"]:
        r.pop("path")
    for report in (auto, floats):
        report.pop("imcsim")
    assert auto == floats


def test_cli_refuses_a_forced_bitplane_kernel_in_one_line(capsys):
    from imcsim.cli import main

    rc = main(["accuracy", str(DIGITS), "--dataset", "digits", "--samples", "4",
               "--set", "nonideal.prog_noise=0.05", "--kernel", "bitplane"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1
    assert "--kernel bitplane: cannot be exact with non-integer cell levels (prog_noise)" in err
