"""``imcsim app``: its options, and the run (a thin layer over :mod:`imcsim.apps`)."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import Any

from imcsim.argtypes import seed
from imcsim.errors import ImcsimError

# each application's own options (dest names); any other given is refused
OPTIONS = {
    "kmeans": ("dataset", "clusters", "epochs", "rate", "update_step", "nonlinearity", "c2c"),
    "pca": ("dataset", "components", "epochs", "rate", "update_step", "nonlinearity", "c2c"),
    "sparse-coding": ("image", "patches", "atoms", "samples", "lam", "steps", "rate"),
    "dct": ("image", "keep", "block", "out"),
    "edge": ("image", "kernel", "out"),
    "maxcut": ("nodes", "density", "trials", "sweeps", "noise_anneal"),
    "cs": ("n", "m", "sparsity", "iterations", "threshold"),
}


def patch_size(text: str) -> int:
    """'8x8' (or '8') → 8: square patches."""
    parts = text.lower().split("x")
    if len(parts) in (1, 2) and all(p.isdigit() for p in parts) and len(set(parts)) == 1:
        return int(parts[0])
    raise argparse.ArgumentTypeError(f"'{text[:40]}' is not a square patch size (e.g. 8x8)")


def anneal(text: str) -> tuple[float, float]:
    """'0.3..0' → (0.3, 0.0): the noise at the start and at the end of the run."""
    parts = text.split("..")
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        values = ()
    if len(values) != 2 or not all(math.isfinite(v) for v in values):
        raise argparse.ArgumentTypeError(f"'{text[:40]}' is not START..END (e.g. 0.3..0)")
    return values[0], values[1]


def register(subparsers: Any, arch_options: Callable[[argparse.ArgumentParser], None]) -> None:
    from imcsim.apps import APPS

    a = subparsers.add_parser(
        "app", help="the review's crossbar applications: quality, energy and time on the "
        "simulated hardware", description="Run an application's matrix products on the "
        "simulated arrays (the compiler's mapping, the configured non-idealities, the cost "
        "model) next to the same algorithm in float. 'imcsim app list' names them.")
    a.add_argument("name", metavar="list|" + "|".join(APPS), choices=["list", *APPS],
                   help="an application, or list")
    a.add_argument("--arch", help="config file or preset name (default: rram_128)")
    a.add_argument("--seed", type=seed, default=0, help="seed of every draw (default 0)")
    k = a.add_argument_group("kmeans and pca")
    k.add_argument("--dataset", help="iris, breast_cancer, digits or wine (default: kmeans "
                   "iris, pca breast_cancer)")
    k.add_argument("--clusters", type=int, help="kmeans: default the data set's classes")
    k.add_argument("--components", type=int, help="pca: components learnt (default 2)")
    k.add_argument("--epochs", type=int, help="passes over the data (default: kmeans 10, "
                   "pca 3)")
    k.add_argument("--rate", type=float, help="learning rate η (default: kmeans 0.1 in "
                   "ΔW = η(u − W), pca 0.001 in Sanger's rule; sparse-coding: the LCA's "
                   "step, 0.15)")
    k.add_argument("--update-step", type=float,
                   help="one programming pulse's step, a fraction of the weight range "
                   "(default: kmeans 1/64, pca 1/256)")
    k.add_argument("--nonlinearity", type=float,
                   help="ν of the nonlinear update (NeuroSim's model; default 0: linear)")
    k.add_argument("--c2c", type=float,
                   help="cycle-to-cycle spread of a pulse's step, relative (default 0)")
    e = a.add_argument_group("edge, dct and sparse-coding")
    e.add_argument("--image", help="china, flower (scikit-learn's samples) or a PNG/JPEG "
                   "file (default: edge flower, dct and sparse-coding china)")
    e.add_argument("--kernel", help="edge: sobel, prewitt or laplacian (default sobel)")
    e.add_argument("--keep", type=float, help="dct: fraction of coefficients kept (default "
                   "0.15)")
    e.add_argument("--block", type=int, help="dct: block size 4, 8, 16 or 32 (default 8)")
    e.add_argument("--out", metavar="FILE.png", help="edge, dct: write the hardware's edge "
                   "map or reconstruction")
    e.add_argument("--patches", type=patch_size, metavar="NxN",
                   help="sparse-coding: patch size (default 8x8)")
    e.add_argument("--atoms", type=int, help="sparse-coding: dictionary atoms (default 128)")
    e.add_argument("--samples", type=int, help="sparse-coding: patches coded (default 100)")
    e.add_argument("--lambda", dest="lam", type=float,
                   help="sparse-coding: the L1 weight λ (default 0.1)")
    e.add_argument("--steps", type=int, help="sparse-coding: LCA iterations (default 40)")
    c = a.add_argument_group("cs")
    c.add_argument("--n", type=int, help="signal length (default 256)")
    c.add_argument("--m", type=int, help="measurements (default 128)")
    c.add_argument("--sparsity", type=float, help="fraction of non-zeros (default 0.05)")
    c.add_argument("--iterations", type=int, help="AMP iterations (default 30)")
    c.add_argument("--threshold", type=float, help="AMP threshold τ in θ = τ‖z‖/√m "
                   "(default 1.5)")
    m = a.add_argument_group("maxcut")
    m.add_argument("--nodes", type=int, help="nodes of the random graph (default 60)")
    m.add_argument("--density", type=float, help="edge probability (default 0.5)")
    m.add_argument("--trials", type=int, help="independent runs (default 100)")
    m.add_argument("--sweeps", type=int, help="updates per node in a run (default 10)")
    m.add_argument("--noise-anneal", type=anneal, metavar="START..END",
                   help="added noise, relative to each row's weight norm, annealed "
                   "linearly (default 0.3..0)")
    arch_options(a)


def run(args: argparse.Namespace) -> int:
    from imcsim import apps
    from imcsim.cli import _emit
    from imcsim.report import atomic_write, check_json_target

    if args.name == "list":
        for info in apps.APPS.values():
            print(f"{info.name:8s} {info.about} ({info.source})")
        return 0
    flags = {"lam": "lambda"}
    for dest in sorted({d for options in OPTIONS.values() for d in options}):
        if dest not in OPTIONS[args.name] and getattr(args, dest) is not None:
            owners = " or ".join(f"'imcsim app {n}'" for n, o in OPTIONS.items() if dest in o)
            raise ImcsimError(f"--{flags.get(dest, dest).replace('_', '-')}: an option of "
                              f"{owners}, not of {args.name}")
    given = {dest: getattr(args, dest) for dest in OPTIONS[args.name]
             if getattr(args, dest) is not None}
    if given.get("out"):
        check_json_target(given["out"], "--out")  # before the work, not after
    common: dict[str, Any] = {"set": args.overrides, "seed": args.seed}
    arch = args.arch or "rram_128"
    if args.name == "kmeans":
        report = apps.kmeans(arch, **common, **given)
    elif args.name == "pca":
        report = apps.pca(arch, **common, **given)
    elif args.name in ("edge", "dct"):
        out = given.pop("out", None)
        report = (apps.edge if args.name == "edge" else apps.dct)(arch, **common, **given)
        if out:
            picture = report.image

            def save(f: Any) -> None:
                import matplotlib.pyplot as plt

                plt.imsave(f, picture, cmap="gray", format="png")

            atomic_write(out, save, option="--out")
    elif args.name == "sparse-coding":
        if "patches" in given:
            given["patch"] = given.pop("patches")
        report = apps.sparse_coding(arch, **common, **given)
    elif args.name == "cs":
        report = apps.cs(arch, **common, **given)
    else:
        if "noise_anneal" in given:
            given["noise"] = given.pop("noise_anneal")
        report = apps.maxcut(arch, **common, **given)
    _emit(report, args.json)
    return 0
