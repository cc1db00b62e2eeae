"""Design points per second of `imcsim sweep` on ResNet-50 (target ≥ 200 on 2 cores).

Runs the command as a user does (a fresh process, default workers: one per core) and
prints, per grid: the points, the whole command's wall time, and the evaluation rate the
sweep reports (points/s once the model is loaded, results written and fsynced as they
finish). Grids: the issue's (4 array sizes × 7 ADC resolutions × 3 cell sizes = 84
points) and a larger one (× 4 ADC sharings × 3 nodes = 1,008 points), also on one
worker process for comparison; then architectures and models as axes (issue #13 §4):
the issue grid on three architectures (252 points), on two models × two architectures
(336 points), and a random sample of 10,000 points of a 12,096-point grid over three
architectures with a constraint — locally, and with ``--dask`` also on a 2-worker Dask
LocalCluster over loopback, whose results are checked to be the local ones.

    python benchmarks/bench_sweep.py [--model PATH] [--arch rram_128] [--dask]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ISSUE_GRID = ["--grid", "array.rows=64,128,256,512", "--grid", "adc.bits=4..10",
              "--grid", "array.cell_bits=1,2,4"]
LARGE_GRID = [*ISSUE_GRID, "--grid", "adc.cols_per_adc=1,2,4,8",
              "--grid", "technology.node_nm=22,32,45"]
ARCHES = ["--arch", "isaac", "--arch", "rram_128", "--arch", "rram_22nm"]
SAMPLE = [*ARCHES, *LARGE_GRID, "--grid", "precision.input_bits=2,4,6,8",
          "--points", "10000", "--seed", "1", "--constraint", "area.total_mm2<=500"]


def _ensure_model(path: Path) -> None:
    if not path.exists():
        subprocess.run([sys.executable, str(REPO / "models" / "build_models.py"), "resnet50",
                        "--out", str(path)], check=True)


def sweep(model: Path, args: list[str], out: Path | None = None) -> tuple[int, float, float]:
    """(points, wall seconds of the command, points/s the sweep reports)."""
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        run = subprocess.run([sys.executable, "-m", "imcsim", "sweep", str(model), *args,
                              "--out", str(out or Path(tmp) / "out"), "--no-plots"],
                             capture_output=True, text=True, check=True)
        wall = time.perf_counter() - t0
    m = re.search(r"imcsim: (\d+) points .* \(([\d,.]+) points/s\)", run.stderr)
    if m is None:
        raise SystemExit(f"no summary line in:\n{run.stderr}")
    return int(m.group(1)), wall, float(m.group(2).replace(",", ""))


def _show(label: str, points: int, wall: float, rate: float) -> None:
    print(f"{label:34s} {points:6d} points: command {wall:5.2f} s "
          f"({points / wall:6.0f} points/s end to end), evaluation {rate:6.0f} points/s "
          "(target ≥ 200)")


def _dask_sample(model: Path) -> None:
    """The 10,000-point sample on a 2-worker LocalCluster (loopback) and locally: the same
    records."""
    import json

    from distributed import LocalCluster

    def records(out: Path) -> dict[str, dict]:
        lines = (out / "results.jsonl").read_text().splitlines()
        return {r["id"]: r for r in map(json.loads, lines)}

    with tempfile.TemporaryDirectory() as tmp:
        local, remote = Path(tmp) / "local", Path(tmp) / "remote"
        sweep(model, SAMPLE, local)
        with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                          dashboard_address=None, silence_logs=True) as cluster:
            points, wall, rate = sweep(model, [*SAMPLE, "--scheduler",
                                               cluster.scheduler_address], remote)
        same = records(local) == records(remote)
    _show("10,000-point sample on Dask", points, wall, rate)
    print(f"{'':34s} results identical to the local run: {same}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", type=Path, default=REPO / "models" / "resnet50.onnx")
    ap.add_argument("--arch", default="rram_128")
    ap.add_argument("--dask", action="store_true", help="also run the sample on Dask")
    args = ap.parse_args()
    _ensure_model(args.model)
    resnet18 = args.model.with_name("resnet18.onnx")
    print(f"model: {args.model.name}, arch: {args.arch}, {os.cpu_count()} CPUs")
    for label, grid, extra in (("issue grid", ISSUE_GRID, []),
                               ("large grid", LARGE_GRID, []),
                               ("large grid, 1 worker", LARGE_GRID, ["--workers", "1"])):
        _show(label, *sweep(args.model, ["--arch", args.arch, *grid, *extra]))
    _show("issue grid × 3 architectures", *sweep(args.model, [*ARCHES, *ISSUE_GRID]))
    if resnet18.exists():
        _show("issue grid × 2 models × 2 archs",
              *sweep(args.model, ["--model", str(resnet18), *ARCHES[:4], *ISSUE_GRID]))
    _show("10,000 of 12,096 points, constraint", *sweep(args.model, SAMPLE))
    if args.dask:
        _dask_sample(args.model)


if __name__ == "__main__":
    main()
