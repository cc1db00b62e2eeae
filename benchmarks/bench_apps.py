"""Speed and memory of the crossbar applications (issue #14: each README example ≤ 10 s on
a 2-core machine).

Prints, per example, the whole command's wall time and peak memory (a fresh process, as a
user runs it; /usr/bin/time when present) and the analog products it ran.

    python benchmarks/bench_apps.py
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EXAMPLES = (
    ["kmeans", "--dataset", "iris", "--arch", "rram_128", "--set", "nonideal.prog_noise=0.05"],
    ["pca", "--dataset", "breast_cancer", "--components", "2", "--arch", "rram_128"],
    ["sparse-coding", "--patches", "8x8", "--atoms", "128", "--arch", "rram_128"],
    ["dct", "--image", "china", "--keep", "0.15", "--arch", "rram_128"],
    ["cs", "--n", "256", "--m", "128", "--sparsity", "0.05", "--arch", "rram_128"],
    ["edge", "--image", "flower", "--kernel", "sobel", "--arch", "rram_128"],
    ["maxcut", "--nodes", "60", "--density", "0.5", "--trials", "100", "--noise-anneal",
     "0.3..0", "--seed", "1"],
)


def run(argv: list[str]) -> tuple[float, float | None, dict]:
    """(wall seconds, peak RSS in MiB or None, the JSON's app section)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "a.json"
        cmd = [sys.executable, "-m", "imcsim", "app", *argv, "--json", str(out), "--quiet"]
        timer = shutil.which("time") and Path("/usr/bin/time").exists()
        if timer:
            cmd = ["/usr/bin/time", "-v", *cmd]
        t = time.perf_counter()
        r = subprocess.run(cmd, capture_output=True, text=True, check=True)
        wall = time.perf_counter() - t
        peak = None
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr)
        if m:
            peak = int(m.group(1)) / 1024
        return wall, peak, json.loads(out.read_text())["app"]


def main() -> None:
    for argv in EXAMPLES:
        wall, peak, app = run(argv)
        mem = f", peak {peak:.0f} MiB" if peak is not None else ""
        print(f"imcsim app {' '.join(argv)}:\n  {wall:.2f} s{mem}; {app['analog_mvms']:,} "
              f"analog products; quality {app['hw']} on hardware, {app['float']} in float")


if __name__ == "__main__":
    main()
