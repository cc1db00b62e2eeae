"""An accuracy sweep of ResNet-18 over 8 ADC resolutions, in this process and on a 2-worker
Dask LocalCluster (loopback), timed; the two must give the same numbers (issue 15).

The issue's size is 64 images per point (about an hour on 2 cores); ``--images`` scales it.

    python benchmarks/bench_accuracy_cluster.py [--images 64] [--bits 3..10]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    import distributed

    import imcsim

    ap = argparse.ArgumentParser()
    ap.add_argument("--model", type=Path, default=REPO / "models" / "resnet18.onnx")
    ap.add_argument("--images", type=int, default=64)
    ap.add_argument("--bits", default="3..10")
    args = ap.parse_args()
    if not args.model.exists():
        subprocess.run([sys.executable, str(REPO / "models" / "build_models.py"), "resnet18",
                        "--out", str(args.model)], check=True)
    common = dict(grid={"adc.bits": args.bits}, overrides=["nonideal.read_noise=0.02"],
                  accuracy={"dataset": "random", "samples": args.images,
                            "batch_size": min(16, args.images)}, seed=0, plots=False)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        local = imcsim.sweep(str(args.model), out=Path(tmp) / "local", workers=1, **common)
        t_local = time.perf_counter() - t0
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      host="127.0.0.1", dashboard_address=None,
                                      silence_logs=True) as cluster:
            t0 = time.perf_counter()
            remote = imcsim.sweep(str(args.model), out=Path(tmp) / "remote",
                                  scheduler=cluster.scheduler_address, **common)
            t_cluster = time.perf_counter() - t0
    key = ("adc.bits", "accuracy.top1_agreement", "accuracy.output_rel_error")
    rows = {r["id"]: tuple(r[k] for k in key) for r in local}
    same = rows == {r["id"]: tuple(r[k] for k in key) for r in remote}
    points = len(rows)
    print(f"{points} ADC resolutions × {args.images} ResNet-18 images, read noise σ=0.02")
    print(f"in this process: {t_local:.1f} s; 2-worker LocalCluster: {t_cluster:.1f} s")
    print(f"same numbers: {same}")
    for bits, agreement, error in sorted(rows.values()):
        print(f"  {bits}-bit ADC: top-1 agreement with float {agreement:.3f}, output error "
              f"{error:.4f}")


if __name__ == "__main__":
    main()
