"""``imcsim compare``: its options, and the run (a thin layer over :func:`imcsim.compare`)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from imcsim.argtypes import seed
from imcsim.errors import ImcsimError

_ACCURACY_OPTIONS = ("dataset", "samples", "seed", "batch_size")


def register(subparsers: Any, arch_options: Callable[[argparse.ArgumentParser], None]) -> None:
    c = subparsers.add_parser(
        "compare", help="models × architectures side by side, the best of each metric marked",
        description="Compile every model for every architecture (each model parsed once; "
        "--set applies on top of every architecture) and print one table: a column per "
        "combination, a row per metric, the best value of each row in bold. A combination "
        "that cannot be computed shows '—' and why.")
    c.add_argument("models", nargs="+", metavar="model", help="ONNX files")
    c.add_argument("--arch", dest="archs", action="append", default=[], metavar="PRESET|FILE",
                   help="an architecture (repeatable; default: rram_128); models × "
                   "architectures must make at least two combinations")
    c.add_argument("--duplication", default="auto", metavar="auto|none|N",
                   help="weight duplication, as compile (default auto)")
    c.add_argument("--batch", type=int, help="batch size for a symbolic batch axis, as compile")
    c.add_argument("--allow-unknown-ops", action="store_true",
                   help="count unsupported ops as zero-cost digital ops instead of failing")
    c.add_argument("--accuracy", action="store_true",
                   help="also simulate accuracy (rows: hardware top-1, top-1 agreement with "
                   "float, float top-1), as 'imcsim accuracy'")
    c.add_argument("--dataset", metavar="digits|random|FILE.npz",
                   help="with --accuracy: the data (default random)")
    c.add_argument("--samples", type=int, metavar="N", help="with --accuracy: inputs to run "
                   "(default: the 359 digits test images, or 16 random)")
    c.add_argument("--seed", type=seed, help="with --accuracy: seed of every draw (default 0)")
    c.add_argument("--batch-size", type=int, metavar="N",
                   help="with --accuracy: inputs per executor run (default 32)")
    c.add_argument("--html", metavar="FILE", help="also write one self-contained HTML page: "
                   "the table and per-layer energy bars of each model")
    arch_options(c)


def run(args: argparse.Namespace) -> int:
    from imcsim import api
    from imcsim.cli import _command, _emit
    from imcsim.report import check_json_target, protect_inputs

    protect_inputs(*args.models, *args.archs, args.dataset)
    for option in ("json", "html"):  # before any work, now that every input is known
        target = getattr(args, option)
        if target:
            check_json_target(target, f"--{option}")
    if args.html and args.json and args.json != "-" and (
            Path(args.html).resolve() == Path(args.json).resolve()):
        raise ImcsimError(f"--html {args.html} and --json {args.json} name the same file; give "
                          "two")
    given = {k: getattr(args, k) for k in _ACCURACY_OPTIONS if getattr(args, k) is not None}
    if given and not args.accuracy:
        names = ", ".join(f"--{k.replace('_', '-')}" for k in given)
        raise ImcsimError(f"{names} {'apply' if len(given) > 1 else 'applies'} only with "
                          "--accuracy; add --accuracy")
    report = api.compare(args.models, args.archs or "rram_128", set=args.overrides,
                         duplication=args.duplication, batch=args.batch,
                         allow_unknown_ops=args.allow_unknown_ops,
                         accuracy=given if args.accuracy else None)
    _emit(report, args.json)
    if args.html:
        report.to_html(args.html, command=_command())
    return 0
