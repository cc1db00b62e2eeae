"""The ``imcsim`` command line (also ``python -m imcsim``).

Every user error is an :class:`ImcsimError`: one line on stderr, exit code 2, no traceback,
and no output file unless the whole report was computed.
"""

from __future__ import annotations

import argparse
import sys
import typing
from collections.abc import Sequence

from imcsim.errors import ImcsimError


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (exit 2) like every other error."""

    def error(self, message: str) -> typing.NoReturn:
        self.exit(2, f"imcsim: error: {message} (see '{self.prog} --help')\n")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="imcsim", description="Compile ONNX models to memristive crossbar accelerators and "
        "report energy, area, latency and TOPS/W.")
    sub = p.add_subparsers(dest="command", required=True)

    def arch_options(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY.PATH=VALUE", help="override a config field (repeatable), "
                        "e.g. --set adc.bits=6 --set array.rows=256")
        sp.add_argument("--json", metavar="PATH", help="write the JSON report ('-' = stdout)")

    c = sub.add_parser("compile", help="map an ONNX model and report its costs")
    c.add_argument("model", help="ONNX file (TorchScript or dynamo export, opset 11–21)")
    c.add_argument("--arch", help="config file or preset name (default: rram_128)")
    c.add_argument("--duplication", default="auto", metavar="auto|none|N",
                   help="weight duplication to balance the layer pipeline (default auto)")
    c.add_argument("--batch", type=int, help="batch size for a symbolic batch axis (default 1); "
                   "energy and throughput are reported per inference, latency per batch")
    c.add_argument("--allow-unknown-ops", action="store_true",
                   help="count unsupported ops as zero-cost digital ops instead of failing")
    c.add_argument("--layers", type=int, default=40, metavar="N",
                   help="crossbar layers shown in the terminal table (default 40)")
    arch_options(c)

    a = sub.add_parser("arch", help="peak figures of an architecture (no model)")
    a.add_argument("arch", nargs="?", help="config file or preset name (default: rram_128)")
    arch_options(a)

    acc = sub.add_parser("accuracy", help="accuracy of a model on the simulated hardware")
    acc.add_argument("model", help="ONNX file")
    acc.add_argument("--arch", help="config file or preset name (default: rram_128)")
    acc.add_argument("--dataset", default="random", metavar="digits|random",
                     help="digits (scikit-learn, labelled) or random inputs (default random)")
    acc.add_argument("--samples", type=int, metavar="N",
                     help="inputs to run (default: the 359 digits test images, or 16 random)")
    acc.add_argument("--seed", type=int, default=0,
                     help="seed of every random draw: data sampling, programming, faults, reads")
    acc.add_argument("--batch-size", type=int, default=32, metavar="N",
                     help="inputs per executor run (default 32)")
    acc.add_argument("--ideal", action="store_true",
                     help="ideal hardware: float weights and inputs, no quantisation or noise")
    acc.add_argument("--layers", metavar="NAME,NAME",
                     help="simulate only these crossbar layers on hardware, the rest in float")
    acc.add_argument("--outputs", metavar="FILE.npz",
                     help="save the inputs and the first output, hardware and float")
    arch_options(acc)

    spm = sub.add_parser("sparse", help="map a sparse matrix with each strategy: SpMV cost and error")
    spm.add_argument("matrix", help="Matrix Market (.mtx), SciPy (.npz) or dense NumPy (.npy)")
    spm.add_argument("--arch", help="config file or preset name (default: rram_128)")
    spm.add_argument("--strategy", default="all",
                     help="dense, matrix-slice, csr, csc, block, or all (default)")
    spm.add_argument("--seed", type=int, default=0, help="seed of the input vector and devices")
    spm.add_argument("--no-error", action="store_true", help="skip the SpMV error simulation")
    arch_options(spm)

    sub.add_parser("schema", help="list every architecture config field with its unit")
    sub.add_parser("presets", help="list the bundled architecture presets")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except ImcsimError as e:
        print(f"imcsim: error: {e}", file=sys.stderr)
        return 2
    except ArithmeticError as e:  # last resort: config bounds should keep numbers finite
        print(f"imcsim: error: arithmetic failed ({e.__class__.__name__}: {e}); a config value "
              "or --set is probably extreme, use realistic values", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("imcsim: interrupted", file=sys.stderr)
        return 130


def _console(to_stderr: bool):  # type: ignore[no-untyped-def]
    from rich.console import Console

    return Console(stderr=to_stderr, width=None)


def _warn(msg: str) -> None:
    print(f"imcsim: warning: {msg}", file=sys.stderr)


def _run(args: argparse.Namespace) -> int:
    from imcsim import config
    from imcsim.report import check_json_target, write_json

    if getattr(args, "json", None):
        check_json_target(args.json)  # before minutes of work, not after

    if args.command == "schema":
        from rich.table import Table

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

    if args.command == "accuracy":
        return _accuracy(args)
    if args.command == "sparse":
        return _sparse(args)

    if args.command == "arch":
        from imcsim.report import arch_report, render_arch
        from imcsim.sim import peak

        arch = config.load_arch(args.arch, args.overrides)
        report = arch_report(arch, peak(arch))
        if args.json:
            write_json(report, args.json)
        if args.json != "-":
            render_arch(report, _console(False))
        return 0

    # compile
    from compiler.frontend import import_onnx
    from compiler.mapping import map_network, parse_duplication
    from compiler.passes import canonicalize
    from imcsim.report import compile_report, render_compile
    from imcsim.sim import simulate

    if args.batch is not None and args.batch < 1:
        raise ImcsimError(f"--batch {args.batch}: must be ≥ 1")
    duplication = parse_duplication(args.duplication)
    arch = config.load_arch(args.arch, args.overrides)
    net = canonicalize(import_onnx(args.model, batch=args.batch,
                                   allow_unknown_ops=args.allow_unknown_ops))
    if net.unknown_ops:
        _warn(f"counted {len(net.unknown_ops)} unsupported op(s) as zero-cost: "
              + ", ".join(net.unknown_ops))
    mapping = map_network(net, arch.array_spec(), duplication)
    if mapping.chips > 1:
        _warn(f"model needs {mapping.arrays:,} arrays and spans {mapping.chips} chips "
              f"({arch.array_spec().arrays_per_chip:,} arrays per chip)")
    sim = simulate(net, mapping, arch)
    report = compile_report(net, mapping, sim, arch)
    if args.json:
        write_json(report, args.json)
    if args.json != "-":
        render_compile(report, _console(False), max_layers=args.layers)
    return 0


def _accuracy(args: argparse.Namespace) -> int:
    from compiler.frontend import import_onnx
    from compiler.passes import canonicalize
    from imcsim import config
    from imcsim.accuracy_report import accuracy_report, render_accuracy, write_outputs
    from imcsim.functional import datasets
    from imcsim.functional.accuracy import evaluate
    from imcsim.report import check_json_target, write_json

    if args.outputs:
        check_json_target(args.outputs, "--outputs")
    if args.dataset not in datasets.DATASETS:
        raise ImcsimError(f"--dataset {args.dataset}: unknown data set; choose one of "
                          f"{', '.join(datasets.DATASETS)}")
    for option, value in (("--samples", args.samples), ("--batch-size", args.batch_size)):
        if value is not None and value < 1:
            raise ImcsimError(f"{option} {value}: must be ≥ 1")
    arch = config.load_arch(args.arch, args.overrides)
    _warn_meaningless_adc_bits(arch)
    samples = args.samples or (len(datasets.digits_split()[3]) if args.dataset == "digits" else 16)
    net = import_onnx(args.model)
    if net.batch_symbolic:
        batch = min(args.batch_size, samples)
        net = import_onnx(args.model, batch=batch)
    net = canonicalize(net, drop_views=False)
    hw_layers = [s.strip() for s in args.layers.split(",") if s.strip()] if args.layers else None
    result = evaluate(net, arch, args.dataset, samples, args.seed, ideal=args.ideal,
                      hw_layers=hw_layers)
    report = accuracy_report(net.name, net.batch, arch, result, args.dataset, args.ideal)
    if args.outputs:
        write_outputs(result, args.outputs)
    if args.json:
        write_json(report, args.json)
    if args.json != "-":
        render_accuracy(report, _console(False))
    return 0


def _warn_meaningless_adc_bits(arch) -> None:  # type: ignore[no-untyped-def]
    """More ADC bits than a column can produce change nothing: say so."""
    import math

    useful = (arch.precision.dac_bits + arch.array.cell_bits + math.ceil(math.log2(arch.array.rows))
              + 1)
    if arch.adc.bits > useful:
        _warn(f"adc.bits={arch.adc.bits} exceeds the {useful} bits a column of "
              f"{arch.array.rows} rows × {arch.array.cell_bits}-bit cells × "
              f"{arch.precision.dac_bits}-bit inputs can produce; the extra bits change nothing")


def _sparse(args: argparse.Namespace) -> int:
    from pathlib import Path

    from compiler.sparse import STRATEGIES, load_matrix
    from imcsim import config
    from imcsim.report import write_json
    from imcsim.sparse import evaluate_strategy, render_sparse, sparse_report

    names = list(STRATEGIES) if args.strategy == "all" else [args.strategy]
    if any(n not in STRATEGIES for n in names):
        raise ImcsimError(f"--strategy {args.strategy}: choose one of {', '.join(STRATEGIES)} or all")
    arch = config.load_arch(args.arch, args.overrides)
    a = load_matrix(args.matrix)
    results = [evaluate_strategy(a, arch, n, args.seed, error=not args.no_error) for n in names]
    report = sparse_report(Path(args.matrix).stem, a, arch, results, args.seed)
    if args.json:
        write_json(report, args.json)
    if args.json != "-":
        render_sparse(report, _console(False))
    return 0
