"""Speed of a sweep's plots (target: at most 1 s for a sweep of up to 100 points).

Runs a 4-point and a 100-point sweep of ``models/tiny_cnn.onnx`` in memory (not timed),
then, in a fresh process each (the first plots of a process are the ones a user waits
for), times apart: importing imcsim's sweep modules, importing matplotlib (paid once per
process, whatever is drawn), and drawing and writing into a temporary folder —
:func:`imcsim.sweep.plots.write_plots` (PNG, the default), with SVG too, and the HTML
page with its plots inline. Prints the seconds of each, the files (figures for the
page), and the wall time with the interpreter's start. Each case runs ``REPEAT`` times;
the fastest is shown (the others wait on the machine's other work).

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
REPEAT = 3
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
from imcsim.sweep.html import page
t1 = time.perf_counter()
import matplotlib.figure, matplotlib.backends.backend_agg, PIL.PngImagePlugin
t2 = time.perf_counter()
records, case = json.load(open(sys.argv[1])), sys.argv[2]
t3 = time.perf_counter()
with tempfile.TemporaryDirectory() as d:
    if case == "html":
        text = page({"sweep": {"model": "m", "grid": json.loads(sys.argv[3])}}, records)
        n = text.count("<figure")
    else:
        n = len(write_plots(records, Path(d), **({"svg": True} if case == "png+svg" else {})))
t4 = time.perf_counter()
print(f"{t1 - t0:.3f} {t2 - t1:.3f} {t4 - t3:.3f} {n}")
"""


def main() -> None:
    import imcsim

    print("a sweep's plots, fresh process each (fastest of "
          f"{REPEAT}; seconds): imports of imcsim and matplotlib, then drawing and writing")
    for n, grid in GRIDS.items():
        res = imcsim.sweep(str(MODEL), grid=grid, out=None, progress=False, plots=False)
        records = res.records
        assert len(records) == n, len(records)
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(records, f)
        for case in ("png", "png+svg", "html"):
            runs = []
            for _ in range(REPEAT):
                t0 = time.perf_counter()
                out = subprocess.run(
                    [sys.executable, "-c", _CHILD, f.name, case, json.dumps(grid)],
                    capture_output=True, text=True, check=True).stdout.split()
                runs.append((float(out[2]), float(out[0]), float(out[1]), out[3],
                             time.perf_counter() - t0))
            draw, imcsim_import, mpl_import, files, wall = min(runs)
            print(f"  {n:4d} points, {case:8s}: {files:>2s} files, drawing {draw:6.3f} s; "
                  f"imports: imcsim {imcsim_import:.3f} s, matplotlib {mpl_import:.3f} s; "
                  f"{wall:.3f} s with interpreter start")
        Path(f.name).unlink()


if __name__ == "__main__":
    main()
