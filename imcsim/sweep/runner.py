"""Running a sweep: check everything first, then stream results into the store.

Order of work: validate the definition, the base config, every swept key, the objective
and constraint keys and the model (one-line errors, nothing written yet); open (or resume)
the sweep folder; evaluate the points not yet in it on the chosen backend, appending each
finished chunk; then judge the results by the objectives and constraints and write the
CSV summary and the plots.
"""

from __future__ import annotations

import hashlib
import math
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imcsim import __version__, parallel
from imcsim import progress as steps
from imcsim.config import DEFAULT_PRESET
from imcsim.errors import ImcsimError
from imcsim.report import provenance
from imcsim.sweep import backends
from imcsim.sweep.analysis import Analysed, analyse
from imcsim.sweep.arches import ArchBuilder
from imcsim.sweep.definition import Sweep
from imcsim.sweep.evaluate import Evaluator
from imcsim.sweep.model import FrozenNetwork, file_sha256, load_hardware_model
from imcsim.sweep.objectives import check_keys, is_number
from imcsim.sweep.progress import ProgressBar
from imcsim.sweep.space import ARCH_KEY, DUPLICATION_KEY, MODEL_KEY, Scalar, point_id
from imcsim.sweep.store import ANALYSIS_KEYS, PLOTS, ResultStore, table_csv

# Keys whose values change the mapping: points sharing them reuse one cached mapping, so
# chunks are cut from points sorted by them.
_MAPPING_KEYS = (MODEL_KEY, ARCH_KEY, "array.rows", "array.cols", "array.cell_bits",
                 "precision.", "hierarchy.", DUPLICATION_KEY)
_SERIAL_BELOW = 256  # hardware points: fewer run in this process (workers cost ~1 s to start)


@dataclass
class Outcome:
    records: list[dict[str, Any]]  # every point of the sweep, by point
    new: int  # points evaluated by this run
    resumed: int  # points found already finished
    seconds: float  # time spent evaluating the new points
    out: Path | None
    analysed: Analysed  # the records judged by the sweep's objectives and constraints


def config_file(arch: str | None) -> str | None:
    """The config file a sweep's ``arch`` names (None for a preset)."""
    from imcsim.config import resolve

    path = resolve(arch)[1]
    return str(path) if path is not None else None


def _one_or_each(values: dict[str, Any], swept: bool) -> Any:
    """The value of the one model/architecture, or every one's by name when swept (so a
    sweep of one keeps the identity its folder has always had)."""
    return values if swept else next(iter(values.values()))


def prepare(sweep: Sweep, command: Sequence[str] | None = None
            ) -> tuple[Evaluator, dict[str, Any]]:
    """The evaluator and the definition record; raises one-line errors for bad input."""
    from imcsim.compiler.mapping import parse_duplication

    builders = {str(a) if a is not None else DEFAULT_PRESET: ArchBuilder(a, sweep.fixed)
                for a in sweep.arches}
    first = next(iter(builders.values()))
    for axis in sweep.space.axes:
        for key in axis.keys:
            first.check_key(key, "--zip" if len(axis.keys) > 1 else "--grid")
            if key == DUPLICATION_KEY:
                for v in axis.columns[axis.keys.index(key)]:
                    parse_duplication(v if isinstance(v, int) else str(v))
    parse_duplication(sweep.duplication)
    swept = {k for a in sweep.space.axes for k, col in zip(a.keys, a.columns, strict=True)
             if any(is_number(v) for v in col)}
    check_keys(sweep.analysis, swept,
               sweep.accuracy.dataset if sweep.accuracy is not None else None,
               sweep.app is not None)
    models: dict[str, tuple[str, FrozenNetwork | None]] = {}
    shas: dict[str, str] = {}
    for model in sweep.models:
        if sweep.app is not None:  # no file: the application and its version are the model
            shas[model] = hashlib.sha256(model.encode()).hexdigest()
            models[model] = (model, None)
            continue
        if not Path(model).is_file():
            raise ImcsimError(f"{model}: no such model file; give the path of an ONNX file")
        shas[model] = file_sha256(model)
        net = load_hardware_model(model)
        if sweep.accuracy is not None:
            from imcsim.functional import datasets

            datasets.load(sweep.accuracy.dataset, net.inputs, net.input_dtypes, 1,
                          sweep.space.seed)
            if sweep.accuracy.samples is not None:  # before the folder is written
                datasets.check_samples(net.inputs, sweep.accuracy.samples)
        models[model] = (os.path.abspath(model), net)
    described = sweep.describe()
    # objectives and constraints judge the results, they do not make them: not identity
    identity = {k: v for k, v in described.items()
                if k not in ("model", "arch", *ANALYSIS_KEYS)}
    many_models, many_arches = len(models) > 1, len(builders) > 1
    # the imcsim version is part of the identity: results of two versions never mix
    identity = {"model_sha256": _one_or_each(shas, many_models),
                "model_name": _one_or_each({m: n.name if n is not None else m
                                            for m, (_, n) in models.items()}, many_models),
                "arch": _one_or_each({a: b.label for a, b in builders.items()}, many_arches),
                "arch_sha256": _one_or_each({a: b.text_sha256 for a, b in builders.items()},
                                            many_arches),
                "imcsim": __version__, **identity}
    inputs = [*(m for m in sweep.models if sweep.app is None),
              *(config_file(a) for a in sweep.arches)]
    definition = {"sweep": described, "identity": identity, "imcsim": __version__,
                  "points": len(sweep.space.indices()), "grid_size": sweep.space.size,
                  # what every JSON output carries: version, schema, command, seed, input
                  # hashes, and the base config resolved after the fixed keys (each point
                  # is it plus its own values, in results.jsonl's `config`); a sweep of
                  # architectures names each one's file instead, in `inputs`
                  "provenance": provenance(None if many_arches else first.base, inputs,
                                           sweep.space.seed, command)}
    evaluator = Evaluator(models, builders, sweep.duplication, sweep.accuracy, sweep.space.seed,
                          sweep.cycle)
    return evaluator, definition


def run(sweep: Sweep, out: str | Path | None, *, workers: int | None = None,
        scheduler: str | None = None, progress: bool = True, plots: bool = True,
        command: Sequence[str] | None = None) -> Outcome:
    store = ResultStore(out) if out is not None else None
    if store is not None:
        store.check_target()
    if workers is not None and workers < 1:
        raise ImcsimError(f"--workers {workers}: must be ≥ 1")
    evaluator, definition = prepare(sweep, command)
    cluster = backends.Dask(evaluator, scheduler) if scheduler else None
    was_enabled = steps.enabled()
    try:
        points = list(sweep.space.points())
        done = _finished(store, definition, points) if store is not None else {}
        pending = [(i, v) for i, v in points if point_id(v) not in done]
        n_workers = workers or parallel.default_workers()
        chunks = _chunks(pending, n_workers, sweep.accuracy is not None)
        stream: Iterable[backends.Records]
        # the sweep's own bar only: the points' accuracy runs stay quiet (forked workers too)
        was_enabled = steps.set_enabled(False)
        if cluster is not None:
            stream = cluster.run(chunks)
        elif n_workers > 1 and (len(pending) >= _SERIAL_BELOW or
                                (sweep.accuracy is not None and len(pending) > 1)):
            stream = backends.Local(evaluator, chunks, n_workers)
        else:
            stream = backends.serial(evaluator, chunks)
        t0 = time.perf_counter()
        new = list(done.values())
        with ProgressBar(len(points), len(done), progress) as bar:
            for records in stream:
                if store is not None:
                    store.append(records)
                new.extend(records)
                bar.advance(records)
        seconds = time.perf_counter() - t0
        records = sorted(new, key=lambda r: r["point"])
        analysed = analyse(records, sweep.analysis, definition["sweep"])
        if store is not None:
            store.write_csv(records, table_csv(analysed.rows))
            if plots:
                from imcsim.sweep.plots import write_plots

                write_plots(records, store.out / PLOTS, analysed=analysed)
    finally:
        steps.set_enabled(was_enabled)
        if cluster is not None:
            cluster.close()
        if store is not None:
            store.close()
    return Outcome(records, len(pending), len(done), seconds, store.out if store else None,
                   analysed)


def _finished(store: ResultStore, definition: dict[str, Any],
              points: list[tuple[int, dict[str, Scalar]]]) -> dict[str, dict[str, Any]]:
    """Open (or create) the sweep folder and return the records already in it, by id."""
    store.open(definition)
    wanted = {point_id(v) for _, v in points}
    done: dict[str, dict[str, Any]] = {}
    for rec in store.load():
        if rec["id"] not in wanted:
            raise ImcsimError(f"{store.results}: holds point {rec['id']} that is not in "
                              "this sweep; use a new --out folder")
        done[rec["id"]] = rec
    return done


def _chunks(pending: list[tuple[int, dict[str, Scalar]]], workers: int,
            accuracy: bool) -> list[backends.Chunk]:
    """Chunks of points that share a mapping where possible, sized to keep workers busy."""
    if accuracy:
        return [[p] for p in pending]

    def mapping_key(p: tuple[int, dict[str, Scalar]]) -> tuple[str, int]:
        shared = {k: v for k, v in p[1].items() if k.startswith(_MAPPING_KEYS)}
        return repr(sorted(shared.items())), p[0]

    ordered = sorted(pending, key=mapping_key)
    size = max(1, min(64, math.ceil(len(ordered) / (workers * 16))))
    return [ordered[i:i + size] for i in range(0, len(ordered), size)]
