"""``imcsim sweep`` and ``imcsim report``: options, and the terminal summary."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from imcsim.argtypes import seed
from imcsim.errors import ImcsimError

# options that define a sweep; a sweep file replaces them all
_DEFINING = ("arch", "grid", "zip", "overrides", "duplication", "samples", "points", "seed",
             "accuracy", "dataset", "batch_size")


def register(subparsers: Any, arch_options: Callable[[argparse.ArgumentParser], None]) -> None:
    s = subparsers.add_parser(
        "sweep", help="sweep config keys: results, plots, resumable, local or on Dask",
        description="Evaluate a model on a grid (or a random sample) of architecture "
        "settings. Results stream into OUT/results.jsonl as points finish; rerunning the "
        "same command resumes. Grid axes vary in the order given, the first slowest; "
        "--zip keys move together (one group).")
    s.add_argument("model", help="ONNX file, or a sweep file (.yaml) holding the whole "
                   "definition (see README 'Sweeps')")
    s.add_argument("--arch", help="base config file or preset (default: rram_128)")
    s.add_argument("--grid", action="append", default=[], metavar="KEY=V1,V2|A..B",
                   help="one axis: values (YAML, as --set reads them) or integer ranges a..b "
                   "(repeatable), e.g. --grid adc.bits=4..10 --grid array.rows=64,128; "
                   "the key 'duplication' sweeps auto|none|N")
    s.add_argument("--zip", action="append", default=[], metavar="KEY=V1,V2",
                   help="keys that move together, one value list each of the same length "
                   "(repeatable), e.g. --zip array.rows=64,128 --zip array.cols=64,128")
    s.add_argument("--duplication", metavar="auto|none|N",
                   help="weight duplication of every point (default auto)")
    s.add_argument("--samples", type=int, metavar="N",
                   help="a random sample of N points of the grid (--seed); with --accuracy: "
                   "the inputs per point, as in 'imcsim accuracy' (then sample points with "
                   "--points)")
    s.add_argument("--points", type=int, metavar="N",
                   help="a random sample of N points of the grid (always)")
    s.add_argument("--seed", type=seed, help="seed of the random sample and of every accuracy "
                   "run (default 0)")
    s.add_argument("--accuracy", action="store_true",
                   help="also simulate accuracy at every point (functional simulation)")
    s.add_argument("--dataset", metavar="digits|random",
                   help="with --accuracy: data set (default random)")
    s.add_argument("--batch-size", type=int, metavar="N",
                   help="with --accuracy: inputs per executor run (default 32)")
    s.add_argument("--out", required=True, metavar="DIR",
                   help="sweep folder: sweep.json, results.jsonl, results.csv, plots/")
    s.add_argument("--workers", type=int, metavar="N",
                   help="local worker processes (default: one per core; 1 = this process)")
    s.add_argument("--scheduler", metavar="ADDRESS",
                   help="run the points on a Dask distributed cluster, e.g. "
                   "tcp://127.0.0.1:8786 (workers need imcsim and the model path)")
    s.add_argument("--no-plots", action="store_true", help="skip the plots in OUT/plots")
    s.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    arch_options(s)

    r = subparsers.add_parser("report", help="CSV, plots and an HTML page of a sweep folder")
    r.add_argument("out", metavar="OUT", help="the --out folder of an imcsim sweep")
    r.add_argument("--html", metavar="FILE", help="write one self-contained HTML page")
    r.add_argument("--no-plots", action="store_true", help="skip the plots in OUT/plots")


def run(args: argparse.Namespace) -> int:
    if args.command == "report":
        return _report(args)
    return _sweep(args)


def _sweep(args: argparse.Namespace) -> int:
    from imcsim.report import write_json
    from imcsim.sweep import definition, runner
    from imcsim.sweep.store import rows

    if definition.is_sweep_file(args.model):
        given = [f"--{n.replace('_', '-')}".replace("--overrides", "--set")
                 for n in _DEFINING if getattr(args, n) not in (None, [], False)]
        if given:
            raise ImcsimError(f"{args.model}: a sweep file holds the whole definition; do "
                              f"not also give {', '.join(given)}")
        spec = definition.from_file(args.model)
    else:
        spec = _from_options(args)
    from imcsim.cli import _command

    outcome = runner.run(spec, args.out, workers=args.workers, scheduler=args.scheduler,
                         progress=not args.quiet, plots=not args.no_plots, command=_command())
    if args.json:
        write_json(rows(outcome.records), args.json)  # type: ignore[arg-type]
    if not args.quiet:
        invalid = sum(1 for r in outcome.records if r["status"] != "ok")
        rate = outcome.new / outcome.seconds if outcome.seconds > 0 else 0.0
        print(f"imcsim: {len(outcome.records)} points ({outcome.new} new, {outcome.resumed} "
              f"resumed, {invalid} invalid) in {outcome.seconds:.2f} s ({rate:,.0f} points/s); "
              f"results in {outcome.out}/results.jsonl and results.csv"
              + ("" if args.no_plots else ", plots in plots/"), file=sys.stderr)
    if outcome.records and all(r["status"] != "ok" for r in outcome.records):
        first = outcome.records[0]
        raise ImcsimError(f"all {len(outcome.records)} points are invalid (the first: "
                          f"{first.get('reason', '?')}); each point's reason is in "
                          f"{outcome.out}/results.jsonl — fix the grid or the base config")
    return 0


def _from_options(args: argparse.Namespace) -> Any:
    from imcsim.sweep import definition

    samples, points = args.samples, args.points
    accuracy = None
    if args.accuracy:
        accuracy = definition.accuracy_spec(args.dataset or "random", samples,
                                            args.batch_size or 32)
        samples = None
    else:
        for opt, value in (("--dataset", args.dataset), ("--batch-size", args.batch_size)):
            if value is not None:
                raise ImcsimError(f"{opt}: only with --accuracy")
        if samples is not None and points is not None:
            raise ImcsimError("--samples and --points both sample points; give one")
    return definition.from_options(
        args.model, arch=args.arch, fixed=args.overrides, duplication=args.duplication or "auto",
        grid=args.grid, zipped=args.zip, samples=points if points is not None else samples,
        seed=args.seed or 0, accuracy=accuracy)


def _report(args: argparse.Namespace) -> int:
    from imcsim.report import atomic_write, check_json_target
    from imcsim.sweep.store import PLOTS, ResultStore

    if args.html:
        check_json_target(args.html, "--html")
    store = ResultStore(args.out)
    store.check_target()
    definition = store.definition()
    records = sorted(store.load(repair=False), key=lambda r: r["point"])
    try:  # everything derived first: a record imcsim did not write changes no file
        from imcsim.sweep.plots import make_plots
        from imcsim.sweep.store import to_csv

        csv_text = to_csv(records)
        plots = [] if args.no_plots else make_plots(records)
        html = None
        if args.html:
            from imcsim.sweep.html import page

            html = page(definition, records)
        _print_front(records, definition, dry=True)
    except (TypeError, KeyError, ValueError, AttributeError, IndexError) as e:
        raise ImcsimError(f"{store.results}: holds a record imcsim did not write "
                          f"({type(e).__name__}: {str(e)[:100]}); delete that line (its point "
                          "runs again on resume)") from None
    store.write_csv(records, csv_text)
    if not args.no_plots:
        from imcsim.sweep.plots import write_plots

        write_plots(records, store.out / PLOTS, plots)
    if html is not None:
        atomic_write(args.html, lambda f: f.write(html.encode("utf-8")), "--html")
    _print_front(records, definition)
    return 0


def _print_front(records: list[dict[str, Any]], definition: dict[str, Any],
                 dry: bool = False) -> None:
    import io

    from rich.console import Console

    from imcsim.cli import _console
    from imcsim.sweep.plots import front_rows, valid_rows
    from imcsim.tables import Table

    valid = valid_rows(records)
    keys = list(dict.fromkeys(k for r in records for k in r.get("config", {})))
    # markup off: names from files are printed, never interpreted; dry: to nowhere
    console = Console(markup=False, file=io.StringIO()) if dry else _console(False)
    console.print(f"{len(records)} of {definition.get('points', '?')} points finished, "
                  f"{len(valid)} valid")
    if not valid:
        return
    t = Table(title="Pareto front: energy per inference vs area")
    for col in ("point", *keys, "energy/inf", "area mm²", "TOPS/W"):
        t.add_column(col, justify="right")
    for r in front_rows(valid)[:20]:
        t.add_row(str(r["point"]), *(str(r[k]) for k in keys), f"{r['energy.total_j']:.4g} J",
                  f"{r['area.total_mm2']:.4g}", f"{r['energy.tops_per_w']:.4g}")
    console.print(t)
