"""The numbered sweep example runs and leaves what its docstring promises."""

from __future__ import annotations

import subprocess
import sys

from onnx_builders import REPO


def test_example_01_sweep(tmp_path):
    out = tmp_path / "sweep"
    run = subprocess.run([sys.executable, str(REPO / "examples" / "01_sweep.py"), str(out)],
                         capture_output=True, text=True, timeout=120, check=True)
    assert "15 points, 15 valid" in run.stdout  # 5 ADC resolutions × 3 square array sizes
    assert "Pareto front" in run.stdout and "best TOPS/W per ADC resolution: 4 b:" in run.stdout
    for name in ("results.jsonl", "results.csv", "report.html", "plots/pareto.png"):
        assert (out / name).is_file(), name
