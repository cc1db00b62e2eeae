"""Time and measure `imcsim compile` of ResNet-50 on the ISAAC preset.

Prints: the whole command's wall time and peak memory (a fresh process, as a user runs
it), and the in-process split into ONNX load + import, passes, mapping, simulation and
report. Peak memory is compared with the model's weight bytes (target ≤ 3×).

    python benchmarks/bench_compile.py [--model PATH] [--arch isaac] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _ensure_model(path: Path) -> None:
    if not path.exists():
        subprocess.run([sys.executable, str(REPO / "models" / "build_models.py"), "resnet50",
                        "--out", str(path)], check=True)


def whole_command(model: Path, arch: str, repeat: int) -> tuple[list[float], float]:
    walls, peak_kib = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.json"
        for _ in range(repeat):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "imcsim", "compile", str(model), "--arch", arch,
                            "--json", str(out)], check=True, stdout=subprocess.DEVNULL)
            walls.append(time.perf_counter() - t0)
            peak_kib = max(peak_kib, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
        json.loads(out.read_text())
    return walls, peak_kib / 1024


def import_time(repeat: int) -> list[float]:
    """`import imcsim` in a fresh interpreter, minus the bare interpreter's start-up."""
    def run(code: str) -> float:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        return time.perf_counter() - t0

    return [run("import imcsim") - run("pass") for _ in range(repeat)]


def phases(model: Path, arch_name: str, repeat: int) -> dict[str, float]:
    from imcsim.compiler.frontend import import_onnx
    from imcsim.compiler.mapping import map_network
    from imcsim.compiler.passes import canonicalize

    from imcsim.config import load_arch
    from imcsim.report import compile_report
    from imcsim.sim import simulate

    best: dict[str, float] = {}
    for _ in range(repeat):
        t = {}
        t0 = time.perf_counter()
        arch = load_arch(arch_name)
        net = import_onnx(model)
        t["load + import"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        net = canonicalize(net)
        t["passes"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        mapping = map_network(net, arch.array_spec(), "auto")
        t["map"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        sim = simulate(net, mapping, arch)
        t["simulate"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        json.dumps(compile_report(net, mapping, sim, arch))
        t["report"] = time.perf_counter() - t0
        for k, v in t.items():
            best[k] = min(best.get(k, v), v)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", type=Path, default=REPO / "models" / "resnet50.onnx")
    ap.add_argument("--arch", default="isaac")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    _ensure_model(args.model)
    weight_mb = args.model.stat().st_size / 2**20
    walls, peak_mib = whole_command(args.model, args.arch, args.repeat)
    print(f"model: {args.model.name} ({weight_mb:.1f} MiB of float32 weights), arch: {args.arch}, "
          f"{os.cpu_count()} CPUs")
    print(f"whole command: median {statistics.median(walls):.3f} s, best {min(walls):.3f} s "
          f"over {len(walls)} runs (target ≤ 1 s)")
    imports = import_time(args.repeat)
    print(f"import imcsim: median {statistics.median(imports):.3f} s beyond the interpreter's "
          "start-up (target ≤ 0.3 s)")
    print(f"peak memory (max RSS): {peak_mib:.0f} MiB = {peak_mib / weight_mb:.2f}× weight bytes "
          "(target ≤ 3×)")
    best = phases(args.model, args.arch, args.repeat)
    for k, v in best.items():
        print(f"  {k:15s} {v * 1e3:8.1f} ms")
    after = sum(v for k, v in best.items() if k != "load + import")
    print(f"compile + simulate after loading: {after * 1e3:.1f} ms (target ≤ 500 ms)")


if __name__ == "__main__":
    main()
