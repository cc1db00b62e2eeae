"""Speed of a sweep's plots (target: at most 1 s for a sweep of up to 100 points).

Runs a 4-point and a 100-point sweep of ``models/tiny_cnn.onnx`` in memory (not timed),
then times, in a fresh process each (so the imports of imcsim and matplotlib count, and
are also shown apart), writing the plots into a temporary folder:
:func:`imcsim.sweep.plots.write_plots` (PNG, the default), with SVG too, and the HTML
page with its plots inline. Prints seconds and files (figures for the page) per case.

    python benchmarks/bench_plots.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MODEL = REPO / "models" / "tiny_cnn.onnx"
GRIDS = {
    4: {"array.rows": [64, 128], "adc.bits": [4, 6]},
    100: {"array.rows": [32, 64, 128, 256, 512], "adc.bits": "4..8",
          "array.cell_bits": [1, 2, 4, 8]},
}
_CHILD = """
import json, sys, time, tempfile
from pathlib import Path
t0 = time.perf_counter()
from imcsim.sweep.plots import write_plots
from matplotlib.figure import Figure
records, case = json.load(open(sys.argv[1])), sys.argv[2]
t1 = time.perf_counter()
with tempfile.TemporaryDirectory() as d:
    if case == "html":
        from imcsim.sweep.html import page
        text = page({"sweep": {"model": "m", "grid": json.loads(sys.argv[3])}}, records)
        n = text.count("<figure")
    else:
        n = len(write_plots(records, Path(d), **({"svg": True} if case == "png+svg" else {})))
t2 = time.perf_counter()
print(f"{t2 - t0:.3f} {t1 - t0:.3f} {n}")
"""


def main() -> None:
    import imcsim

    print("writing a sweep's plots (fresh process; seconds, with the imports' share):")
    for n, grid in GRIDS.items():
        res = imcsim.sweep(str(MODEL), grid=grid, out=None, progress=False, plots=False)
        records = res.records
        assert len(records) == n, len(records)
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(records, f)
        for case in ("png", "png+svg", "html"):
            t0 = time.perf_counter()
            out = subprocess.run([sys.executable, "-c", _CHILD, f.name, case, json.dumps(grid)],
                                 capture_output=True, text=True, check=True).stdout.split()
            wall = time.perf_counter() - t0
            print(f"  {n:4d} points, {case:8s}: {out[2]:>2s} files, {float(out[0]):6.3f} s in "
                  f"process (imports {float(out[1]):.3f} s); {wall:.3f} s with interpreter "
                  "start")
        Path(f.name).unlink()


if __name__ == "__main__":
    main()
