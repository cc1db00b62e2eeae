"""``imcsim sweep`` and ``imcsim report``: options, and the terminal summary."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from imcsim.argtypes import seed
from imcsim.errors import ImcsimError

# options that define a sweep; a sweep file replaces them all
_DEFINING = ("models", "arch", "cycle", "grid", "zip", "overrides", "duplication", "samples", "points", "seed",
             "accuracy", "dataset", "batch_size")


def register(subparsers: Any, arch_options: Callable[[argparse.ArgumentParser], None]) -> None:
    s = subparsers.add_parser(
        "sweep", help="sweep config keys: results, plots, resumable, local or on Dask",
        description="Evaluate a model on a grid (or a random sample) of architecture "
        "settings. Results stream into OUT/results.jsonl as points finish; rerunning the "
        "same command resumes. Grid axes vary in the order given, the first slowest; "
        "--zip keys move together (one group).")
    s.add_argument("model", nargs="?", help="ONNX file, or a sweep file (.yaml) holding the "
                   "whole definition (see README 'Sweeps')")
    s.add_argument("--model", dest="models", action="append", default=[], metavar="ONNX",
                   help="another model (repeatable): the models are the sweep's first axis, "
                   "'model' (also --grid model=a.onnx,b.onnx)")
    s.add_argument("--arch", action="append", metavar="PRESET|FILE",
                   help="base config file or preset (default: rram_128); repeat it to sweep "
                   "architectures (an axis 'arch', also --grid arch=isaac,rram_128); --set "
                   "applies on top of each")
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
    s.add_argument("--cycle", action="store_true",
                   help="also run the cycle-level simulator at every point (the cycle.* "
                   "columns: latency, throughput, stalls with finite tile buffers)")
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
    _analysis_options(s)
    arch_options(s)

    r = subparsers.add_parser("report", help="CSV, plots and an HTML page of a sweep folder",
                              description="Re-analyse a sweep folder (nothing is evaluated "
                              "again): results.csv, plots, the Pareto front and the best "
                              "point per objective; --objectives/--constraint judge the "
                              "same results another way.")
    r.add_argument("out", metavar="OUT", help="the --out folder of an imcsim sweep")
    r.add_argument("--html", metavar="FILE", help="write one self-contained HTML page")
    r.add_argument("--no-plots", action="store_true", help="skip the plots in OUT/plots")
    r.add_argument("--svg", action="store_true", help="also write the plots as SVG (and "
                   "inline them as SVG in the --html page; default: PNG only)")
    r.add_argument("--json", metavar="PATH", help="write the analysis and every row as JSON "
                   "('-' = stdout)")
    r.add_argument("--x", metavar="KEY", help="with --y: also plot any two numeric columns of "
                   "results.csv (swept keys or report values) as "
                   "plots/custom_Y_vs_X[_by_COLOR][_per_FACET].png, e.g. --x area.total_mm2 "
                   "--y energy.total_j (in the --html page with values on hover)")
    r.add_argument("--y", metavar="KEY", help="the y column of the --x plot")
    r.add_argument("--color", metavar="KEY", help="with --x/--y: one colour per value of this "
                   "column (a colour scale for a numeric one with more than 10 values), "
                   "e.g. arch or adc.bits")
    r.add_argument("--facet", metavar="KEY", help="with --x/--y: one panel per value of this "
                   "column (at most 12)")
    _analysis_options(r, report=True)


def _analysis_options(p: argparse.ArgumentParser, report: bool = False) -> None:
    default = ("default: the sweep's own (sweep.json), else " if report else "default: ")
    p.add_argument("--objectives", action="append", metavar="KEY:min|max,...",
                   help="what the Pareto front and the best points optimise: numeric "
                   "columns of results.csv, e.g. energy.tops_per_w:max,area.total_mm2:min "
                   f"({default}energy.total_j:min,area.total_mm2:min, plus "
                   "accuracy.hw_top1:max when accuracy is swept)")
    p.add_argument("--constraint", action="append", metavar="EXPR",
                   help="only points with KEY<=V, KEY>=V, KEY<V, KEY>V or KEY==V count "
                   "(repeatable), e.g. --constraint 'area.total_mm2<=2'; the others are "
                   "kept, marked feasible=false")


def run(args: argparse.Namespace) -> int:
    if args.command == "report":
        return _report(args)
    return _sweep(args)


def _parsed_analysis(args: argparse.Namespace) -> tuple[Any, Any]:
    """(objectives, constraints) given as options, parsed; None where not given."""
    from imcsim.sweep.objectives import parse_constraints, parse_objectives

    return (parse_objectives(args.objectives) if args.objectives else None,
            parse_constraints(args.constraint) if args.constraint else None)


def _sweep(args: argparse.Namespace) -> int:
    import dataclasses

    from imcsim.report import write_json
    from imcsim.sweep import definition, runner

    objectives, constraints = _parsed_analysis(args)
    if args.model is not None and definition.is_sweep_file(args.model):
        given = [f"--{n.replace('_', '-')}".replace("--overrides", "--set")
                 for n in _DEFINING if getattr(args, n) not in (None, [], False)]
        if given:
            raise ImcsimError(f"{args.model}: a sweep file holds the whole definition; do "
                              f"not also give {', '.join(given)}")
        spec = definition.from_file(args.model)
    else:
        spec = _from_options(args)
    # the options' objectives and constraints replace a sweep file's
    if objectives is not None:
        spec = dataclasses.replace(spec, objectives=objectives)
    if constraints is not None:
        spec = dataclasses.replace(spec, constraints=constraints)
    from imcsim.cli import _command, _console

    outcome = runner.run(spec, args.out, workers=args.workers, scheduler=args.scheduler,
                         progress=not args.quiet, plots=not args.no_plots, command=_command())
    if args.json:
        write_json(outcome.analysed.to_json(), args.json)
    if args.json != "-":
        _print_summary(outcome.analysed, len(outcome.records), _console(False))
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
    models = [*([args.model] if args.model is not None else []), *args.models]
    return definition.from_options(
        models or None, arch=args.arch, fixed=args.overrides, duplication=args.duplication or "auto",
        grid=args.grid, zipped=args.zip, samples=points if points is not None else samples,
        seed=args.seed or 0, accuracy=accuracy, cycle=args.cycle)


def _report(args: argparse.Namespace) -> int:
    from imcsim.report import atomic_write, check_json_target, write_json
    from imcsim.sweep.analysis import analyse, stored_analysis
    from imcsim.sweep.objectives import check_keys, numeric_swept_keys, swept_app
    from imcsim.sweep.store import PLOTS, ResultStore

    objectives, constraints = _parsed_analysis(args)
    if (args.x is None) != (args.y is None):
        raise ImcsimError("--x and --y go together: give both, e.g. --x area.total_mm2 "
                          "--y energy.total_j")
    for option, value in (("--color", args.color), ("--facet", args.facet)):
        if value is not None and args.x is None:
            raise ImcsimError(f"{option}: only with --x and --y (the plot it colours or "
                              "splits)")
    if args.html:
        check_json_target(args.html, "--html")
    store = ResultStore(args.out)
    store.check_target()
    definition = store.definition()
    records = sorted(store.load(repair=False), key=lambda r: r["point"])
    spec, dataset = stored_analysis(definition, objectives, constraints)
    configs = [r["config"] for r in records if isinstance(r.get("config"), dict)]
    described = definition.get("sweep")
    sweep: dict[str, Any] = described if isinstance(described, dict) else {}
    check_keys(spec, numeric_swept_keys(configs), dataset, swept_app(sweep) is not None)
    try:  # everything derived first: a record imcsim did not write changes no file
        from imcsim.sweep.plots import make_plots, render_plots
        from imcsim.sweep.store import table_csv

        analysed = analyse(records, spec, sweep)
        csv_text = table_csv(analysed.rows)
        drawn = not args.no_plots or args.html
        plots = make_plots(records, analysed) if drawn else []
        if args.x is not None:  # checked even when nothing is drawn
            from imcsim.sweep.scatter import custom_plot

            custom = custom_plot(analysed, args.x, args.y, args.color, args.facet)
            plots += [custom] if drawn else []
        # the page draws its scatter plots itself: matplotlib only for what is written
        images = render_plots([p for p in plots if not args.no_plots or p.scatter is None],
                              svg=args.svg)
        html = None
        if args.html:
            from imcsim.sweep.html import page

            html = page(definition, records, analysed, plots, images)
        import io

        from rich.console import Console

        # markup off: names from files are printed, never interpreted; to nowhere
        _print_summary(analysed, definition.get("points", "?"),
                       Console(markup=False, file=io.StringIO()))
        data = analysed.to_json() if args.json else None
    except (TypeError, KeyError, ValueError, AttributeError, IndexError) as e:
        raise ImcsimError(f"{store.results}: holds a record imcsim did not write "
                          f"({type(e).__name__}: {str(e)[:100]}); delete that line (its point "
                          "runs again on resume)") from None
    store.write_csv(records, csv_text)
    if not args.no_plots:
        from imcsim.sweep.plots import write_plots

        write_plots(records, store.out / PLOTS, images=images)
    if html is not None:
        atomic_write(args.html, lambda f: f.write(html.encode("utf-8")), "--html")
    if data is not None:
        write_json(data, args.json)
    if args.json != "-":
        from imcsim.cli import _console

        _print_summary(analysed, definition.get("points", "?"), _console(False))
    return 0


_SHOWN = 20  # rows of the Pareto front printed
_LABELS = {"energy.total_j": "energy/inf J", "area.total_mm2": "area mm²",
           "energy.tops_per_w": "TOPS/W"}
_APP_LABELS = {"app.hw": "quality (hw)", "app.float": "quality (float)",
               "app.energy_j": "energy J", "app.time_s": "time s"}


def _print_summary(analysed: Any, planned: Any, console: Any) -> None:
    """The counts, the Pareto front (first rows) and the best point of each objective
    with the command line that reproduces it."""
    from imcsim.report import printable
    from imcsim.tables import Table

    spec = analysed.analysis
    keys = analysed.keys
    valid = analysed.valid
    line = f"{len(analysed.rows)} of {planned} points finished, {len(valid)} valid"
    if spec.constraints:
        k = len(analysed.feasible)
        line += (f", {k} meet{'s' if k == 1 else ''} the constraints "
                 f"({', '.join(str(c) for c in spec.constraints)})")
    console.print(printable(line))
    if not valid:
        return
    if not analysed.front:
        console.print("no valid point meets the constraints: no Pareto front, no best point")
        return
    app = any(o.key.startswith("app.") for o in spec.objectives)
    labels = _APP_LABELS if app else _LABELS
    metrics = list(dict.fromkeys([*(o.key for o in spec.objectives),
                                  *(c.key for c in spec.constraints), *labels]))
    metrics = [k for k in metrics if k not in keys]
    direction = {o.key: f" ({o.direction})" for o in spec.objectives}
    objectives = ", ".join(f"{o.key} ({o.direction})" for o in spec.objectives)
    more = len(analysed.front) - _SHOWN
    n = len(analysed.front)
    t = Table(title=f"Pareto front ({n} point{'s' if n != 1 else ''}): {objectives}"
              + (f"; {more} more in results.csv (pareto column)" if more > 0 else ""))
    for col in ("point", *keys, *(labels.get(k, k) + direction.get(k, "") for k in metrics)):
        t.add_column(col, justify="right")
    for r in analysed.front[:_SHOWN]:
        t.add_row(str(r["point"]), *(str(r.get(k)) for k in keys),
                  *(_number(r.get(k)) for k in metrics))
    console.print(t)
    b = Table(title="Best point per objective"
              + (" (under the constraints)" if spec.constraints else ""))
    for col in ("objective", "best", "point", *keys):
        b.add_column(col, justify="right")
    for best in analysed.best:
        b.add_row(f"{best.objective.key} ({best.objective.direction})", _number(best.value),
                  str(best.row["point"]), *(str(best.config.get(k, "")) for k in keys))
    console.print(b)
    commands: dict[tuple[Any, str], list[str]] = {}
    for best in analysed.best:  # one line per point and command
        commands.setdefault((best.row["point"], best.command), []).append(best.objective.key)
    for (point, command), names in commands.items():
        # one line, whatever a path in sweep.json holds (control characters escaped)
        console.print(printable(f"reproduce point {point} (best {', '.join(names)}): "
                                f"{command}", limit=4000), soft_wrap=True)


def _number(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)
