"""The ``imcsim`` command line (also ``python -m imcsim``).

Every user error is an :class:`ImcsimError`: one line on stderr, exit code 2, no traceback,
and no output file unless the whole report was computed.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import typing
from collections.abc import Sequence

from imcsim.api import MAX_INNER, MAX_ITER  # the iterative solvers' bounds
from imcsim.argtypes import numbers, seed
from imcsim.errors import ImcsimError


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (exit 2) like every other error."""

    def error(self, message: str) -> typing.NoReturn:
        from imcsim.report import printable

        self.exit(2, f"imcsim: error: {printable(message, limit=2000)} (see '{self.prog} "
                  "--help')\n")




_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def memory_size(text: str) -> int:
    """'4G', '512M', '1.5G' or a byte count → bytes (1 MiB to 1 PiB)."""
    t = text.strip().upper().removesuffix("B").removesuffix("I")
    unit = t[-1:] if t[-1:] in _UNITS else ""
    try:
        value = float(t[: len(t) - len(unit)]) * _UNITS[unit] if t.isascii() else math.nan
    except ValueError:
        value = math.nan
    if not (1 << 20) <= value <= (1 << 50):
        raise argparse.ArgumentTypeError(f"'{text[:40]}' is not a memory size from 1M to 1024T "
                                         "(e.g. 4G, 512M)")
    return int(value)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="imcsim", description="Compile ONNX models to memristive crossbar accelerators and "
        "report energy, area, latency and TOPS/W.")
    from imcsim import __version__

    p.add_argument("--version", action="version", version=f"imcsim {__version__}")
    p.add_argument("--max-memory", type=memory_size, metavar="SIZE",
                   help="memory budget that file headers, archives and sample counts are "
                   "checked against before anything is allocated, e.g. 4G or 512M (default "
                   "half the machine's memory; the IMCSIM_MAX_MEMORY variable, in bytes, too)")
    sub = p.add_subparsers(dest="command", required=True)

    def arch_options(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY.PATH=VALUE", help="override a config field (repeatable), "
                        "e.g. --set adc.bits=6 --set array.rows=256")
        sp.add_argument("--json", metavar="PATH", help="write the JSON report ('-' = stdout)")

    def command(name: str, about: str, target: str, target_help: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=about)
        sp.add_argument(target, help=target_help)
        sp.add_argument("--arch", help="config file or preset name (default: rram_128)")
        arch_options(sp)
        return sp

    c = command("compile", "map an ONNX model and report its costs", "model",
                "ONNX file (TorchScript or dynamo export, opset 11–21)")
    c.add_argument("--duplication", default="auto", metavar="auto|none|N",
                   help="weight duplication to balance the layer pipeline (default auto)")
    c.add_argument("--batch", type=int, help="batch size for a symbolic batch axis (default 1); "
                   "energy and throughput are reported per inference, latency per batch")
    c.add_argument("--allow-unknown-ops", action="store_true",
                   help="count unsupported ops as zero-cost digital ops instead of failing")
    c.add_argument("--layers", type=int, default=40, metavar="N",
                   help="crossbar layers shown in the terminal table (default 40)")
    c.add_argument("--activity-from", metavar="digits|random|FILE.npz",
                   help="measure each crossbar layer's input activity and the conductance it "
                   "reads by simulating these inputs, and price energy with it (default: "
                   "documented defaults)")
    c.add_argument("--samples", type=int, default=8, metavar="N",
                   help="inputs for --activity-from (default 8)")
    c.add_argument("--seed", type=seed, default=0, help="seed for --activity-from (default 0)")
    c.add_argument("--cycle", action="store_true",
                   help="also run the cycle-level simulator: output rows through finite tile "
                   "buffers (tile.buffer_bytes), batch items one after another; stalls, "
                   "utilisation and the critical path")
    c.add_argument("--no-contention", action="store_true",
                   help="with --cycle: unbounded buffers, free chip links, network, buses "
                   "and digital units (the analytical model's assumptions)")
    c.add_argument("--timeline", metavar="FILE.png|svg",
                   help="with --cycle: write a Gantt chart of the layers over time")

    a = sub.add_parser("arch", help="peak figures of an architecture (no model)")
    a.add_argument("arch", nargs="?", help="config file or preset name (default: rram_128)")
    arch_options(a)

    acc = command("accuracy", "accuracy of a model on the simulated hardware", "model",
                  "ONNX file")
    source = acc.add_mutually_exclusive_group()
    source.add_argument("--dataset", metavar="digits|random",
                        help="digits (scikit-learn, labelled) or random inputs (default random)")
    source.add_argument("--data", metavar="FILE|FOLDER",
                        help="your own data: .npz (x, optional labels y), .npy (x), or a "
                        "folder of PNG/JPEG images (one sub-folder per class)")
    acc.add_argument("--resize", type=int, metavar="N",
                     help="images: resize the shorter side to N, then centre-crop the model's "
                     "H×W (default: resize straight to H×W)")
    acc.add_argument("--mean", type=numbers, metavar="R,G,B",
                     help="images: per-channel mean on [0, 1] pixels (default ImageNet's "
                     "0.485,0.456,0.406 for RGB, 0 for grey)")
    acc.add_argument("--std", type=numbers, metavar="R,G,B",
                     help="images: per-channel std (default ImageNet's 0.229,0.224,0.225 for "
                     "RGB, 1 for grey)")
    acc.add_argument("--samples", type=int, metavar="N",
                     help="inputs to run, drawn with --seed (default: all of --data, the 359 "
                     "digits test images, or 16 random)")
    acc.add_argument("--seed", type=seed, default=0,
                     help="seed of every random draw: data sampling, programming, faults, reads")
    acc.add_argument("--batch-size", type=int, default=32, metavar="N",
                     help="inputs per executor run (default 32)")
    acc.add_argument("--ideal", action="store_true",
                     help="ideal hardware: float weights and inputs, no quantisation or noise")
    acc.add_argument("--layers", metavar="NAME,NAME",
                     help="simulate only these crossbar layers on hardware, the rest in float")
    acc.add_argument("--outputs", metavar="FILE.npz",
                     help="save the inputs and the first output, hardware and float")
    acc.add_argument("--kernel", choices=("auto", "float", "bitplane"), default="auto",
                     help="partial sums: auto (one integer product where no conversion can "
                     "clip or round, bit planes with 1-bit input digits and exact cell levels, "
                     "else float GEMMs), or force one; bit-identical results, except that read noise may move a rare "
                     "conversion by one code")
    where = acc.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, metavar="N",
                       help="run the batches in N local processes (default: this process); "
                       "the same numbers")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="run the batches on a Dask distributed cluster, e.g. "
                       "tcp://127.0.0.1:8786; the same numbers")

    spm = command("sparse", "map a sparse matrix with each strategy: SpMV cost and error",
                  "matrix", "Matrix Market (.mtx), SciPy (.npz) or dense NumPy (.npy)")
    spm.add_argument("--strategy", default="all",
                     help="dense, matrix-slice, csr, csc, block, or all (default)")
    spm.add_argument("--seed", type=seed, default=0, help="seed of the input vector and devices")
    spm.add_argument("--no-error", action="store_true", help="skip the SpMV error simulation")

    sol = command("solve", "solve A·x = b with analog crossbars", "matrix",
                  "square matrix (.mtx, .npz, .npy)")
    sol.add_argument("--method", default="refine", metavar="refine|gmres-ir|one-step|bitslice",
                     help="mixed-precision refinement (default), GMRES-based refinement with "
                     "the analog solve as preconditioner, the one-step feedback circuit, or "
                     "the SpMV error against the number of bit slices")
    sol.add_argument("--tol", type=float, default=1e-6,
                     help="converged when ‖b − Ax‖/‖b‖ ≤ this (default 1e-6)")
    sol.add_argument("--max-iter", type=int, default=100,
                     help=f"refine / gmres-ir: outer steps at most (≤ {MAX_ITER:,})")
    sol.add_argument("--inner", type=int, default=20,
                     help=f"refine / gmres-ir: Krylov steps per outer step (≤ {MAX_INNER:,})")
    sol.add_argument("--time-limit", type=float, default=600.0, metavar="SECONDS",
                     help="refine / gmres-ir: stop after this much wall clock (default 600)")
    sol.add_argument("--no-scaling", action="store_true", help="no Jacobi scaling of A")
    sol.add_argument("--slices", type=int,
                     help="bitslice: up to this many slices (default 8, or as many as "
                     "32-bit values need)")
    sol.add_argument("--rhs", metavar="FILE.npy", help="right-hand side b (default b = A·1)")
    sol.add_argument("--x-out", metavar="FILE.npy", help="write the solution x")
    sol.add_argument("--seed", type=seed, default=0, help="seed of every device draw")

    pr = command("pagerank", "PageRank of a graph on the one-step analog circuit", "matrix",
                 "adjacency matrix (A[i, j] ≠ 0: edge i → j)")
    pr.add_argument("--damping", type=float, default=0.85, help="damping factor d (default 0.85)")
    pr.add_argument("--tol", type=float, default=1e-6,
                    help="converged when the PageRank residual ‖x − G·x‖₁ ≤ this (default 1e-6)")
    pr.add_argument("--x-out", metavar="FILE.npy", help="write the PageRank vector")
    pr.add_argument("--seed", type=seed, default=0, help="seed of every device draw")

    from imcsim.sweep.cli import register as register_sweep

    register_sweep(sub, arch_options)  # sweep, report
    from imcsim.comparison.cli import register as register_compare

    register_compare(sub, arch_options)
    from imcsim.apps.cli import register as register_app

    register_app(sub, arch_options)

    from imcsim.schemas import NAMES as SCHEMA_NAMES

    sch = sub.add_parser("schema", help="list every architecture config field with its unit")
    sch.add_argument("--json-schema", choices=SCHEMA_NAMES, metavar="|".join(SCHEMA_NAMES),
                     help="print the JSON Schema (draft 2020-12) of the config or of a "
                     "command's JSON output instead")
    sub.add_parser("presets", help="list the bundled architecture presets")
    from imcsim.tables import FORMATS

    for name, sp in sub.choices.items():
        if name == "report":
            continue
        if "--quiet" not in sp._option_string_actions:
            sp.add_argument("--quiet", action="store_true",
                            help="no progress and no tables (files, warnings and errors only)")
        sp.add_argument("--verbose", action="store_true",
                        help="say on stderr what runs: version, time and peak memory, files "
                        "written")
        if name == "presets":
            continue
        choices = FORMATS if "--json" in sp._option_string_actions else FORMATS[:3]
        sp.add_argument("--format", choices=choices, default="table",
                        help="how the report prints: table (never truncated; full width "
                        "when not a terminal), csv, markdown" + (
                            ", or json (the --json report on stdout)" if "json" in choices
                            else ""))
    return p


_ARGV: list[str] = []  # this run's command line, for the outputs' provenance


def _command() -> list[str]:
    return ["imcsim", *_ARGV]


def main(argv: Sequence[str] | None = None) -> int:
    _ARGV[:] = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    _FORMAT[0] = getattr(args, "format", None) or "table"
    _QUIET[0] = bool(getattr(args, "quiet", False))
    _VERBOSE[0] = bool(getattr(args, "verbose", False))
    from imcsim import progress

    progress.set_enabled(not _QUIET[0])
    start = time.perf_counter()
    if _VERBOSE[0]:
        from imcsim import __version__

        _note(f"imcsim {__version__}, Python {sys.version.split()[0]}: "
              f"{' '.join(_command())[:500]}")
    if args.max_memory is not None:  # read by every budget check, and by sweep workers
        os.environ["IMCSIM_MAX_MEMORY"] = str(args.max_memory)
    try:
        rc = _run(args)
        sys.stdout.flush()  # a closed pipe shows here, inside the handlers below
        if _VERBOSE[0]:
            import resource

            from imcsim.report import WRITTEN

            for path in dict.fromkeys(WRITTEN):
                _note(f"wrote {path}")
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            _note(f"done in {time.perf_counter() - start:.2f} s, peak memory {peak:,.0f} MiB, "
                  f"exit code {rc}")
        return rc
    except ImcsimError as e:
        from imcsim.report import printable

        # one line, whatever a file name or node name holds
        print(f"imcsim: error: {printable(str(e), limit=2000)}", file=sys.stderr)
        return 2
    except ArithmeticError as e:  # last resort: config bounds should keep numbers finite
        print(f"imcsim: error: arithmetic failed ({e.__class__.__name__}: {e}); a config value "
              "or --set is probably extreme, use realistic values", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `imcsim … | head`: the reader has gone, nothing to report
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python's exit-time flush must not fail too
        return 1  # silently, as rich does when a table meets a closed pipe
    except OSError as e:  # last resort: a path the system refuses (name too long, access)
        from imcsim.report import printable

        name = str(e.filename) if e.filename is not None else "a file"
        if len(name) > 120:
            name = f"{name[:60]}…{name[-40:]} ({len(name)} characters)"
        print(f"imcsim: error: {printable(name, limit=200)}: {e.strerror or e}; check the "
              "path", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("imcsim: interrupted", file=sys.stderr)
        return 130


_FORMAT = ["table"]  # this run's --format
_QUIET = [False]  # --quiet: no tables, no progress
_VERBOSE = [False]  # --verbose: version, timing, memory and files written on stderr


class _Silent:
    def print(self, *objects: typing.Any, **kwargs: typing.Any) -> None:
        pass


def _console(to_stderr: bool):  # type: ignore[no-untyped-def]
    from imcsim.tables import console

    return _Silent() if _QUIET[0] else console(_FORMAT[0], to_stderr)


def _note(msg: str) -> None:
    """A --verbose line on stderr."""
    if _VERBOSE[0]:
        from imcsim.report import printable

        print(f"imcsim: {printable(msg, limit=2000)}", file=sys.stderr)


def _warn(msg: str) -> None:
    from imcsim.report import printable

    print(f"imcsim: warning: {printable(msg, limit=2000)}", file=sys.stderr)


def _run(args: argparse.Namespace) -> int:
    from imcsim import config
    from imcsim.report import check_json_target, protect_inputs

    # every file this run reads (a sweep's records for `report`): no output may land there
    protect_inputs(*(getattr(args, k, None) for k in (
        "model", "matrix", "rhs", "arch", "activity_from", "dataset", "data", "image")))
    if args.command in ("report", "sweep"):
        from pathlib import Path

        from imcsim.sweep.store import DEFINITION, LOCK, RESULTS, SUMMARY

        protect_inputs(*(Path(args.out) / name for name in (DEFINITION, RESULTS)))
        own = [Path(args.out) / name for name in (DEFINITION, RESULTS, SUMMARY, LOCK)]
        for option in ("json", "html"):  # the sweep's own files, existing yet or not
            target = getattr(args, option, None)
            if target and target != "-" and Path(target).resolve() in {
                    p.resolve() for p in own}:
                raise ImcsimError(f"--{option} {target}: is a file of the sweep folder "
                                  "itself; give a path outside it")
    if getattr(args, "format", None) == "json":
        if args.json not in (None, "-"):
            raise ImcsimError(f"--format json prints the JSON report on stdout and --json "
                              f"{args.json} writes it to a file; give one of them")
        args.json = "-"
    if getattr(args, "json", None):
        check_json_target(args.json)  # before minutes of work, not after

    if args.command == "schema":
        if args.json_schema:
            import json

            from imcsim.schemas import schema

            print(json.dumps(schema(args.json_schema), indent=2))
            return 0
        from imcsim.tables import Table

        t = Table(title="Architecture config schema")
        for col in ("key", "type", "unit", "meaning"):
            t.add_column(col)
        for row in config.schema_rows():
            t.add_row(*row)
        _console(False).print(t)
        return 0
    if args.command == "presets":
        print("\n".join(config.preset_names()))
        return 0

    if args.command in ("sweep", "report"):
        from imcsim.sweep.cli import run as run_sweep

        return run_sweep(args)
    if args.command == "compare":
        from imcsim.comparison.cli import run as run_compare

        return run_compare(args)
    if args.command == "app":
        from imcsim.apps.cli import run as run_app

        return run_app(args)
    if args.command == "accuracy":
        return _accuracy(args)
    if args.command == "sparse":
        return _sparse(args)
    if args.command in ("solve", "pagerank"):
        return _solve(args)

    if args.command == "arch":
        from imcsim import api

        report = api.peak(args.arch, set=args.overrides)
        _emit(report, args.json)
        return 0

    # compile
    from imcsim import api

    if args.no_contention and not args.cycle:
        raise ImcsimError("--no-contention: only with --cycle")

    report = api.compile(
        args.model, args.arch, set=args.overrides, duplication=args.duplication,
        batch=args.batch, allow_unknown_ops=args.allow_unknown_ops,
        activity_from=args.activity_from, samples=args.samples, seed=args.seed,
        cycle=args.cycle, contention=not args.no_contention, timeline=args.timeline)
    _emit(report, args.json, max_layers=args.layers)
    return 0


def _emit(report: typing.Any, json_target: str | None, **render: typing.Any) -> None:
    """A report's warnings, its JSON (``--json``) and, unless the JSON went to stdout, its
    tables."""
    from imcsim.report import write_json

    for w in report.warnings:
        _warn(w)
    if json_target:
        data = report.to_dict()
        data["imcsim"]["command"] = _command()
        write_json(data, json_target)
    if json_target != "-":
        report.render(_console(False), **render)


def _accuracy(args: argparse.Namespace) -> int:
    from imcsim import api
    from imcsim.report import check_json_target

    if args.outputs:
        check_json_target(args.outputs, "--outputs")  # before minutes of work, not after
    report = api.accuracy(
        args.model, args.arch, data=args.data, dataset=args.dataset, set=args.overrides,
        samples=args.samples, seed=args.seed, batch_size=args.batch_size, ideal=args.ideal,
        layers=args.layers, resize=args.resize, mean=args.mean, std=args.std,
        workers=args.workers, scheduler=args.scheduler, kernel=args.kernel)
    if args.outputs:
        report.save_outputs(args.outputs)
    _emit(report, args.json)
    return 0


def _sparse(args: argparse.Namespace) -> int:
    from imcsim import api

    report = api.sparse(args.matrix, args.arch, set=args.overrides, strategy=args.strategy,
                        seed=args.seed, error=not args.no_error)
    _emit(report, args.json)
    return 0


def _solve(args: argparse.Namespace) -> int:
    from imcsim import api
    from imcsim.report import atomic_write, check_json_target

    if args.x_out:
        check_json_target(args.x_out, "--x-out")
    if args.command == "pagerank":
        report = api.pagerank(args.matrix, args.arch, set=args.overrides, damping=args.damping,
                              tol=args.tol, seed=args.seed)
    else:
        report = api.solve(args.matrix, args.rhs, args.arch, set=args.overrides,
                           method=args.method, tol=args.tol, max_iter=args.max_iter,
                           inner=args.inner, time_limit_s=args.time_limit,
                           scale=not args.no_scaling, slices=args.slices, seed=args.seed)
    if args.x_out and report.x is not None:
        import numpy as np

        atomic_write(args.x_out, lambda f: np.save(f, report.x), option="--x-out")
    _emit(report, args.json)
    return 0 if report.ok else 1


