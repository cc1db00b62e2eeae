"""Example 1: a design-space sweep from Python.

    python examples/01_sweep.py [OUT]

Sweeps the array size and the ADC resolution of the default preset (rram_128) for the
bundled tiny CNN, prints the Pareto front of energy per inference against area and the
best TOPS/W per ADC resolution, and leaves OUT (default: a temporary folder) with
results.jsonl, results.csv, plots/ and report.html. Running it again with the same OUT
resumes: finished points are not computed twice.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import imcsim
from imcsim.cli import main as imcsim_cli
from imcsim.errors import ImcsimError

MODEL = Path(__file__).resolve().parents[1] / "models" / "tiny_cnn.onnx"


def run(out: Path) -> None:
    results = imcsim.sweep(
        MODEL,
        grid={"adc.bits": range(4, 9)},  # 4..8 bits
        zip={"array.rows": [64, 128, 256], "array.cols": [64, 128, 256]},  # square arrays
        out=out,
    )
    print(f"{len(results)} points, {sum(r['status'] == 'ok' for r in results)} valid")

    print("Pareto front (energy per inference vs area):")
    for r in results.pareto():
        print(f"  point {r['point']:2}: {r['array.rows']}×{r['array.cols']} arrays, "
              f"{r['adc.bits']}-bit ADC: {r['energy.total_j'] * 1e9:.1f} nJ, "
              f"{r['area.total_mm2']:.1f} mm², {r['energy.tops_per_w']:.3f} TOPS/W")

    try:
        df = results.df  # pandas, when installed (pip install 'imcsim[pandas]')
    except ImcsimError:
        best: dict[int, float] = {}
        for r in results:
            best[r["adc.bits"]] = max(best.get(r["adc.bits"], 0.0), r["energy.tops_per_w"])
    else:
        best = df.groupby("adc.bits")["energy.tops_per_w"].max().to_dict()
    print("best TOPS/W per ADC resolution:",
          ", ".join(f"{bits} b: {v:.3f}" for bits, v in sorted(best.items())))

    imcsim_cli(["report", str(out), "--html", str(out / "report.html"), "--no-plots"])
    print(f"results, plots and report.html in {out}")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        run(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            run(Path(tmp) / "sweep")
