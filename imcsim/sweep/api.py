"""``imcsim.sweep(...)``: a sweep from Python, results as a list of dicts (and a DataFrame).

    import imcsim
    res = imcsim.sweep("models/tiny_cnn.onnx", grid={"array.rows": [64, 128],
                       "adc.bits": "4..8"}, out="sweep1")
    res[0]["energy.total_j"]; res.df  # pandas, when installed
    res.pareto(); res.best()  # judged by the sweep's objectives and constraints
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from imcsim.errors import ImcsimError
from imcsim.sweep.space import Axis, Space, grid_axis, zip_axis

if TYPE_CHECKING:
    from imcsim.sweep.analysis import Analysed

Values = Sequence[Any] | str | range | int | float
Objectives = str | Sequence[str] | Mapping[str, str]  # "key:min,key:max", a list, {key: max}
Constraints = str | Sequence[str]  # "key<=value", or a list of them


class SweepResults(list[dict[str, Any]]):
    """Flat rows (the CSV's columns: ``point``, ``id``, ``status``, ``reason``,
    ``feasible``, ``pareto``, the swept keys, then ``section.key`` report values), sorted
    by point."""

    def __init__(self, rows: list[dict[str, Any]], records: list[dict[str, Any]],
                 out: Path | None, analysed: Analysed | None = None,
                 sweep: Mapping[str, Any] | None = None) -> None:
        super().__init__(rows)
        self.records = records  # as in results.jsonl (nested sections)
        self.out = out
        self._sweep = dict(sweep or {})  # the definition in the sweep file's form
        self._analysed = analysed

    @property
    def df(self) -> Any:
        """The rows as a pandas DataFrame (pandas is an optional extra: imcsim[pandas])."""
        try:
            import pandas as pd
        except ImportError:
            raise ImcsimError("pandas is not installed: pip install 'imcsim[pandas]', or use "
                              "the rows as a list of dicts") from None
        return pd.DataFrame(list(self))

    @property
    def objectives(self) -> list[str]:
        """The sweep's objectives, ``KEY:min|max``."""
        return self._judged().analysis.describe()["objectives"]

    @property
    def constraints(self) -> list[str]:
        return self._judged().analysis.describe()["constraints"]

    def pareto(self, objectives: Objectives | None = None,
               constraints: Constraints | None = None) -> list[dict[str, Any]]:
        """Rows on the Pareto front of the objectives among the valid rows that meet the
        constraints, by the first objective (best first). ``objectives``/``constraints``
        judge the same results another way (default: the sweep's own)."""
        return self._judged(objectives, constraints).front

    def best(self, objectives: Objectives | None = None,
             constraints: Constraints | None = None) -> list[dict[str, Any]]:
        """The best feasible point of each objective: ``objective``, ``direction``,
        ``value``, ``point``, ``id``, ``config`` (its swept values) and ``command`` (the
        ``imcsim compile …`` line that reproduces it; ``imcsim accuracy …`` for accuracy)."""
        return [b.to_dict() for b in self._judged(objectives, constraints).best]

    def _judged(self, objectives: Objectives | None = None,
                constraints: Constraints | None = None) -> Analysed:
        from imcsim.sweep.analysis import analyse, stored_analysis
        from imcsim.sweep.objectives import (
            check_keys,
            numeric_swept_keys,
            parse_constraints,
            parse_objectives,
            swept_app,
        )

        if self._analysed is not None and objectives is None and constraints is None:
            return self._analysed
        spec, dataset = stored_analysis(
            {"sweep": self._sweep},
            parse_objectives(objectives) if objectives is not None else None,
            parse_constraints(constraints) if constraints is not None else None)
        check_keys(spec, numeric_swept_keys(r.get("config", {}) for r in self.records), dataset,
                   swept_app(self._sweep) is not None)
        judged = analyse(self.records, spec, self._sweep)
        if objectives is None and constraints is None:
            self._analysed = judged
        return judged


def _values(v: Values) -> Any:
    return list(v) if isinstance(v, range) else v


def sweep(model: str | os.PathLike[str] | Sequence[str | os.PathLike[str]], *,
          grid: Mapping[str, Values] | None = None,
          zip: Mapping[str, Values] | Sequence[Mapping[str, Values]] | None = None,
          arch: str | Sequence[str] | None = None, overrides: Sequence[str] = (), duplication: str = "auto",
          samples: int | None = None, seed: int = 0,
          accuracy: bool | str | Mapping[str, Any] | None = None,
          out: str | os.PathLike[str] | None = None, workers: int | None = None,
          scheduler: str | None = None, progress: bool = False,
          plots: bool = True, objectives: Objectives | None = None,
          constraints: Constraints | None = None, cycle: bool = False) -> SweepResults:
    """Run a sweep and return its results (every point, finished earlier or now).

    ``model``: an ONNX file, a list of them (an axis ``model``, the first), or a sweep file
    (``.yaml``) holding the whole definition (then give only ``out``, ``workers``,
    ``scheduler``, ``progress``, ``plots``). ``arch``: a preset or config file, or a list of
    them (an axis ``arch``, after the models; also ``grid={"arch": [...]}``).
    ``grid``: key → values (a list, ``range``, ``"64,128"`` or ``"4..10"``), one axis per
    key in order; ``zip``: keys that move together (one mapping, or a list of them);
    ``overrides``: fixed ``key.path=value`` for every point; ``samples``: a random sample of
    that many points (``seed``); ``accuracy``: True (random data), a data set name
    (``"digits"``) or ``{"dataset", "samples", "batch_size"}``.
    ``out``: the resumable sweep folder (results.jsonl, results.csv, plots/); without it
    results stay in memory. ``workers``: local processes (default one per core);
    ``scheduler``: a Dask scheduler address instead.
    ``objectives``: what ``pareto()`` and ``best()`` optimise, numeric columns with a
    direction (``"energy.tops_per_w:max,area.total_mm2:min"``, a list of such items or
    ``{"energy.tops_per_w": "max"}``; default energy and area minimised, plus
    ``accuracy.hw_top1`` maximised when accuracy is swept); ``constraints``: ``"KEY<=V"``
    (also >=, <, >, ==) or a list of them. They replace a sweep file's own, and never
    change which points run. ``cycle``: also run the cycle-level simulator at every point
    (``cycle.*`` columns).
    """
    import dataclasses

    from imcsim.sweep import definition, runner
    from imcsim.sweep.objectives import parse_constraints, parse_objectives

    objs = parse_objectives(objectives) if objectives is not None else None
    cons = parse_constraints(constraints) if constraints is not None else None

    if isinstance(model, str | os.PathLike) and definition.is_sweep_file(os.fspath(model)):
        given = [n for n, v in (("grid", grid), ("zip", zip), ("arch", arch),
                                ("overrides", overrides), ("samples", samples),
                                ("accuracy", accuracy), ("cycle", cycle)) if v]
        if given or duplication != "auto" or seed != 0:
            raise ImcsimError(f"{model}: a sweep file holds the whole definition; do not "
                              f"also give {', '.join(given) or 'duplication/seed'}")
        spec = definition.from_file(str(model))
    else:
        axes: list[Axis] = [grid_axis(k, _values(v), "grid") for k, v in (grid or {}).items()]
        groups = [zip] if isinstance(zip, Mapping) else list(zip or [])
        axes += [zip_axis([(k, _values(v)) for k, v in g.items()], "zip") for g in groups]
        acc = None
        if accuracy:
            cfg: dict[str, Any] = ({"dataset": accuracy} if isinstance(accuracy, str)
                                   else dict(accuracy) if isinstance(accuracy, Mapping) else {})
            acc = definition.accuracy_spec(cfg.get("dataset", "random"), cfg.get("samples"),
                                           cfg.get("batch_size", 32))
        one_model, one_arch, listed = definition.listed(
            os.fspath(model) if isinstance(model, str | os.PathLike) else
            [os.fspath(m) for m in model],
            list(arch) if isinstance(arch, list | tuple) else arch, ("model", "arch"))
        spec = definition.Sweep(one_model, one_arch, tuple(overrides), str(duplication),
                                Space(tuple(listed + axes), samples, seed), acc, cycle=cycle)
    if objs is not None:
        spec = dataclasses.replace(spec, objectives=objs)
    if cons is not None:
        spec = dataclasses.replace(spec, constraints=cons)
    outcome = runner.run(spec, out, workers=workers, scheduler=scheduler, progress=progress,
                         plots=plots)
    return SweepResults(outcome.analysed.rows, outcome.records, outcome.out, outcome.analysed,
                        spec.describe())
