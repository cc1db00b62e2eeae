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
    "edge": ("image", "kernel", "out"),
    "maxcut": ("nodes", "density", "trials", "sweeps", "noise_anneal"),
}


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
    k = a.add_argument_group("kmeans")
    k.add_argument("--dataset", help="iris, breast_cancer, digits or wine (default iris)")
    k.add_argument("--clusters", type=int, help="default: the data set's classes")
    k.add_argument("--epochs", type=int, help="passes over the data (default 10)")
    k.add_argument("--rate", type=float, help="learning rate η of ΔW = η(u − W) (default 0.1)")
    k.add_argument("--update-step", type=float,
                   help="one programming pulse's step, a fraction of the weight range "
                   "(default 1/64)")
    k.add_argument("--nonlinearity", type=float,
                   help="ν of the nonlinear update (NeuroSim's model; default 0: linear)")
    k.add_argument("--c2c", type=float,
                   help="cycle-to-cycle spread of a pulse's step, relative (default 0)")
    e = a.add_argument_group("edge")
    e.add_argument("--image", help="china, flower (scikit-learn's samples) or a PNG/JPEG "
                   "file (default flower)")
    e.add_argument("--kernel", help="sobel, prewitt or laplacian (default sobel)")
    e.add_argument("--out", metavar="FILE.png", help="write the hardware's edge map")
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
    for name, options in OPTIONS.items():
        for dest in options:
            if name != args.name and getattr(args, dest) is not None:
                raise ImcsimError(f"--{dest.replace('_', '-')}: an option of 'imcsim app "
                                  f"{name}', not of {args.name}")
    given = {dest: getattr(args, dest) for dest in OPTIONS[args.name]
             if getattr(args, dest) is not None}
    if given.get("out"):
        check_json_target(given["out"], "--out")  # before the work, not after
    common: dict[str, Any] = {"set": args.overrides, "seed": args.seed}
    arch = args.arch or "rram_128"
    if args.name == "kmeans":
        report = apps.kmeans(arch, **common, **given)
    elif args.name == "edge":
        out = given.pop("out", None)
        report = apps.edge(arch, **common, **given)
        if out:
            picture = report.image

            def save(f: Any) -> None:
                import matplotlib.pyplot as plt

                plt.imsave(f, picture, cmap="gray", format="png")

            atomic_write(out, save, option="--out")
    else:
        if "noise_anneal" in given:
            given["noise"] = given.pop("noise_anneal")
        report = apps.maxcut(arch, **common, **given)
    _emit(report, args.json)
    return 0
