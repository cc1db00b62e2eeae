"""Speed and memory of the cycle-level simulator (issue #12: ResNet-50 on ISAAC, batch 1,
the whole `imcsim compile --cycle` command ≤ 5 s here; batch 8 ≤ 8× that).

Prints, per batch: the whole command's wall time and peak memory (a fresh process, as a
user runs it; /usr/bin/time when present), then the simulation alone in this process:
rows (events) per second of the Numba kernel, and the unbounded closed form the
analytical model uses, on the same workload.

    python benchmarks/bench_cycle.py [--model PATH] [--arch isaac]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def command(model: Path, arch: str, batch: int) -> tuple[float, float | None]:
    """(wall seconds, peak RSS in MiB or None) of `imcsim compile --cycle`."""
    with tempfile.TemporaryDirectory() as tmp:
        argv = [sys.executable, "-m", "imcsim", "compile", str(model), "--arch", arch, "--cycle",
                "--batch", str(batch), "--json", str(Path(tmp) / "c.json"), "--quiet"]
        timer = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists()
                                         else None)
        t0 = time.perf_counter()
        run = subprocess.run([timer, "-v", *argv] if timer else argv, capture_output=True,
                             text=True, check=True)
        wall = time.perf_counter() - t0
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", run.stderr)
    return wall, int(m.group(1)) / 1024 if m else None


def kernel(model: Path, arch_name: str, batch: int) -> None:
    from imcsim.compiler.mapping import map_network

    import imcsim
    from imcsim.sim import simulate
    from imcsim.sim.cycle import simulate_cycles
    from imcsim.sim.workload import pipeline

    net = imcsim.load_model(str(model), batch=batch)
    arch = imcsim.load_arch(arch_name)
    sim = simulate(net, map_network(net, arch.array_spec(), "auto"), arch)
    work = sim.workload
    simulate_cycles(work)  # compile (or load) the kernel
    reps = 20
    t0 = time.perf_counter()
    for _ in range(reps):
        run = simulate_cycles(work)
    cyc = (time.perf_counter() - t0) / reps
    t0 = time.perf_counter()
    for _ in range(reps):
        pipeline(work)
    closed = (time.perf_counter() - t0) / reps
    print(f"    simulation alone: {run.events:,} rows in {cyc * 1e3:.2f} ms "
          f"({run.events / cyc:,.0f} rows/s, critical path and all); the analytical closed "
          f"form {closed * 1e3:.2f} ms; cycle latency {run.latency_s * 1e3:.3f} ms vs "
          f"analytical {sim.latency_s * 1e3:.3f} ms")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", type=Path, default=REPO / "models" / "resnet50.onnx")
    ap.add_argument("--arch", default="isaac")
    args = ap.parse_args()
    if not args.model.exists():
        subprocess.run([sys.executable, str(REPO / "models" / "build_models.py"), "resnet50",
                        "--out", str(args.model)], check=True)
    print(f"imcsim compile {args.model.name} --arch {args.arch} --cycle:")
    for batch in (1, 8):
        wall, rss = command(args.model, args.arch, batch)
        mem = f", peak {rss:,.0f} MiB" if rss is not None else ""
        print(f"  batch {batch}: whole command {wall:.2f} s{mem}")
        kernel(args.model, args.arch, batch)


if __name__ == "__main__":
    main()
