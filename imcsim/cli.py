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

from imcsim.argtypes import numbers, seed
from imcsim.errors import ImcsimError


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (exit 2) like every other error."""

    def error(self, message: str) -> typing.NoReturn:
        from imcsim.report import printable

        self.exit(2, f"imcsim: error: {printable(message, limit=2000)} (see '{self.prog} "
                  "--help')\n")


# Bounds of the iterative solvers' options: each outer step costs an inner Krylov solve
# (GMRES keeps ``--inner`` vectors of the matrix size), so both are finite; a wall-clock
# guard (--time-limit) ends whatever they allow.
MAX_ITER = 100_000
MAX_INNER = 1_000


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
        "model", "matrix", "rhs", "arch", "activity_from", "dataset", "data")))
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

    report = api.compile(
        args.model, args.arch, set=args.overrides, duplication=args.duplication,
        batch=args.batch, allow_unknown_ops=args.allow_unknown_ops,
        activity_from=args.activity_from, samples=args.samples, seed=args.seed)
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
        layers=args.layers, resize=args.resize, mean=args.mean, std=args.std)
    if args.outputs:
        report.save_outputs(args.outputs)
    _emit(report, args.json)
    return 0


def _sparse(args: argparse.Namespace) -> int:
    from pathlib import Path

    from compiler.sparse import STRATEGIES, load_matrix
    from imcsim import config
    from imcsim.report import provenance, write_json
    from imcsim.sparse import evaluate_strategy, render_sparse, sparse_report

    names = list(STRATEGIES) if args.strategy == "all" else [args.strategy]
    if any(n not in STRATEGIES for n in names):
        raise ImcsimError(f"--strategy {args.strategy}: choose one of {', '.join(STRATEGIES)} or all")
    arch = config.load_arch(args.arch, args.overrides)
    a = load_matrix(args.matrix)
    from imcsim.progress import Steps

    results = []
    with Steps("sparse", total=len(names), unit="strategies") as bar:
        for n in names:
            results.append(evaluate_strategy(a, arch, n, args.seed, error=not args.no_error))
            bar.advance(1, n)
    report = sparse_report(Path(args.matrix).stem, a, arch, results, args.seed)
    if args.json:
        report["imcsim"] = provenance(arch, (args.matrix, args.arch), args.seed, _command())
        write_json(report, args.json)
    if args.json != "-":
        render_sparse(report, _console(False))
    return 0


def _solve(args: argparse.Namespace) -> int:
    import numpy as np

    from compiler.sparse import load_matrix
    from imcsim import config, solvers
    from imcsim.report import atomic_write, check_json_target, provenance, write_json

    if args.x_out:
        check_json_target(args.x_out, "--x-out")
    arch = config.load_arch(args.arch, args.overrides)
    a = load_matrix(args.matrix)
    if args.command == "pagerank":
        if not 0 < args.damping < 1:
            raise ImcsimError(f"--damping {args.damping}: must be in (0, 1)")
        if not 0 < args.tol < 1:
            raise ImcsimError(f"--tol {args.tol}: must be in (0, 1)")
        result = solvers.pagerank(a, arch, damping=args.damping, seed=args.seed, tol=args.tol)
        rhs_note = "PageRank: (I − d·P)·x = (1 − d)/n·1"
    else:
        if args.method not in ("refine", "gmres-ir", "one-step", "bitslice"):
            raise ImcsimError(f"--method {args.method}: choose refine, gmres-ir, one-step or "
                              "bitslice")
        max_slices = -(-32 // arch.array.cell_bits)  # 32-bit values: more slices add nothing
        if args.slices is not None and args.method != "bitslice":
            raise ImcsimError(f"--slices applies to --method bitslice only, not {args.method}")
        if args.slices is None:
            args.slices = min(8, max_slices)
        for option, value, most in (("--max-iter", args.max_iter, MAX_ITER),
                                    ("--inner", args.inner, MAX_INNER),
                                    ("--slices", args.slices, max_slices)):
            if not 1 <= value <= most:
                raise ImcsimError(f"{option} {value}: must be in 1–{most:,}"
                                  + (f" (32-bit values of {arch.array.cell_bits}-bit cells)"
                                     if option == "--slices" else ""))
        if not 0 < args.tol < 1:
            raise ImcsimError(f"--tol {args.tol}: must be in (0, 1)")
        if not 0 < args.time_limit <= 1e6:
            raise ImcsimError(f"--time-limit {args.time_limit}: must be in (0, 1e6] seconds")
        if args.method == "bitslice":
            return _bitslice(args, a, arch)
        if args.rhs:
            b = _load_rhs(args.rhs, a.shape[0])
            rhs_note = f"b from {args.rhs}"
        else:
            b, rhs_note = a @ np.ones(a.shape[1]), "b = A·1 (exact solution x = 1)"
        if args.method in ("refine", "gmres-ir"):
            from imcsim.progress import Steps

            solve = solvers.refine if args.method == "refine" else solvers.gmres_ir
            with Steps(args.method, total=args.max_iter, unit="steps") as bar:
                result = solve(a, b, arch, tol=args.tol, max_iter=args.max_iter,
                               inner=args.inner, seed=args.seed, scale=not args.no_scaling,
                               time_limit_s=args.time_limit,
                               on_step=lambda k, r: bar.advance(1 if k else 0,
                                                                f"residual {r:.2e}"))
        else:
            result = solvers.one_step(a, b, arch, seed=args.seed, scale=not args.no_scaling,
                                      tol=args.tol)
    report = {
        "matrix": {"name": _stem(args.matrix), "rows": a.shape[0], "nnz": int(a.nnz)},
        "arch": {"name": arch.name, "source": arch.source, "cell_bits": arch.array.cell_bits,
                 "value_bits": arch.precision.weight_bits, "adc_bits": arch.adc.bits,
                 "adc_range": arch.adc.range.value},
        "method": result.method, "rhs": rhs_note, "converged": result.converged,
        "iterations": result.iterations, "rel_residual": result.rel_residual,
        "rel_error": result.rel_error, "analog_mvms": result.analog_mvms,
        "energy_j": result.energy_j, "time_s": result.time_s, "reason": result.reason,
        "history": result.history, "details": result.details, "seed": args.seed,
    }
    if args.x_out:
        atomic_write(args.x_out, lambda f: np.save(f, result.x), option="--x-out")
    if args.json:
        report["imcsim"] = provenance(arch, (args.matrix, args.arch, getattr(args, "rhs", None)),
                                      args.seed, _command())
        write_json(report, args.json)
    if args.json != "-":
        _render_solve(report)
    return 0 if result.converged else 1


def _stem(path: str) -> str:
    from pathlib import Path

    return Path(path).stem


def _load_rhs(path: str, n: int):  # type: ignore[no-untyped-def]
    """A .npy vector of n numbers; its header is read and checked before the data, so a
    file declaring a huge array allocates nothing."""
    import math
    from pathlib import Path

    import numpy as np

    from compiler.sparse.io import npy_header

    if Path(path).exists() and not Path(path).is_file():
        raise ImcsimError(f"--rhs {path}: is not a regular file (a folder, FIFO or device); "
                          "give a .npy file")
    try:
        with open(path, "rb") as f:
            if f.read(2) == b"PK":
                raise ImcsimError(f"--rhs {path}: is an .npz archive; give a .npy file "
                                  "holding one vector (np.save)")
            f.seek(0)
            shape, dtype = npy_header(f)
            if dtype.kind not in "biuf":
                raise ImcsimError(f"--rhs {path}: holds {dtype} values; give a vector of "
                                  "real numbers")
            if math.prod(shape) != n:
                raise ImcsimError(f"--rhs {path}: has {math.prod(shape)} values, the matrix "
                                  f"has {n} rows")
            f.seek(0)
            b = np.load(f, allow_pickle=False)
    except (OSError, ValueError, EOFError) as e:
        raise ImcsimError(f"--rhs {path}: cannot read a NumPy array "
                          f"({str(e).splitlines()[0] if str(e) else type(e).__name__})") from None
    b = np.asarray(b, dtype=np.float64).ravel()
    if not np.all(np.isfinite(b)):
        raise ImcsimError(f"--rhs {path}: contains NaN or infinite values")
    return b


def _bitslice(args: argparse.Namespace, a, arch) -> int:  # type: ignore[no-untyped-def]
    from imcsim import solvers
    from imcsim.report import provenance, write_json
    from imcsim.tables import Table

    rows = solvers.slice_sweep(a, arch, args.slices, seed=args.seed)
    report = {"matrix": {"name": _stem(args.matrix), "rows": a.shape[0], "nnz": int(a.nnz)},
              "method": "bitslice", "cell_bits": arch.array.cell_bits, "slices": rows}
    if args.json:
        report["imcsim"] = provenance(arch, (args.matrix, args.arch), args.seed, _command())
        write_json(report, args.json)
    if args.json != "-":
        t = Table(title=f"SpMV error against bit slices of {arch.array.cell_bits}-bit cells")
        for col in ("slices", "value bits", "cells", "SpMV rel. error"):
            t.add_column(col, justify="right")
        for r in rows:
            t.add_row(str(r["slices"]), str(r["value_bits"]), f"{r['cells_programmed']:,}",
                      f"{r['spmv_rel_error']:.3g}")
        _console(False).print(t)
    return 0


def _render_solve(report) -> None:  # type: ignore[no-untyped-def]
    from imcsim.report import _si, printable
    from imcsim.tables import Table

    report = printable(report)
    t = Table(title=f"{report['method']} on {report['matrix']['name']} "
                    f"({report['matrix']['rows']:,} unknowns)", show_header=False)
    t.add_row("converged", "yes" if report["converged"] else "no")
    t.add_row("iterations", str(report["iterations"]))
    t.add_row("relative residual ‖b − Ax‖/‖b‖", f"{report['rel_residual']:.3g}")
    if report["rel_error"] is not None:
        t.add_row("error vs exact solution", f"{report['rel_error']:.3g}")
    t.add_row("analog MVMs", f"{report['analog_mvms']:,}")
    t.add_row("energy / time", f"{_si(report['energy_j'], 'J')} / {_si(report['time_s'], 's')}")
    t.add_row("right-hand side", report["rhs"])
    _console(False).print(t)
    if report["reason"]:
        _warn(f"did not converge: {report['reason']}")
