"""``imcsim.sweep(...)``: a sweep from Python, results as a list of dicts (and a DataFrame).

    import imcsim
    res = imcsim.sweep("models/tiny_cnn.onnx", grid={"array.rows": [64, 128],
                       "adc.bits": "4..8"}, out="sweep1")
    res[0]["energy.total_j"]; res.df  # pandas, when installed
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from imcsim.errors import ImcsimError
from imcsim.sweep.space import Axis, Space, grid_axis, zip_axis

Values = Sequence[Any] | str | range | int | float


class SweepResults(list[dict[str, Any]]):
    """Flat rows (the CSV's columns: ``point``, ``id``, ``status``, ``reason``, the swept
    keys, then ``section.key`` report values), sorted by point."""

    def __init__(self, rows: list[dict[str, Any]], records: list[dict[str, Any]],
                 out: Path | None) -> None:
        super().__init__(rows)
        self.records = records  # as in results.jsonl (nested sections)
        self.out = out

    @property
    def df(self) -> Any:
        """The rows as a pandas DataFrame (pandas is an optional extra: imcsim[pandas])."""
        try:
            import pandas as pd
        except ImportError:
            raise ImcsimError("pandas is not installed: pip install 'imcsim[pandas]', or use "
                              "the rows as a list of dicts") from None
        return pd.DataFrame(list(self))

    def pareto(self) -> list[dict[str, Any]]:
        """Valid rows on the Pareto front of energy per inference and area."""
        from imcsim.sweep.plots import front_rows

        return front_rows([r for r in self if r["status"] == "ok"])


def _values(v: Values) -> Any:
    return list(v) if isinstance(v, range) else v


def sweep(model: str | os.PathLike[str], *, grid: Mapping[str, Values] | None = None,
          zip: Mapping[str, Values] | Sequence[Mapping[str, Values]] | None = None,
          arch: str | None = None, overrides: Sequence[str] = (), duplication: str = "auto",
          samples: int | None = None, seed: int = 0,
          accuracy: bool | str | Mapping[str, Any] | None = None,
          out: str | os.PathLike[str] | None = None, workers: int | None = None,
          scheduler: str | None = None, progress: bool = False,
          plots: bool = True) -> SweepResults:
    """Run a sweep and return its results (every point, finished earlier or now).

    ``model``: an ONNX file, or a sweep file (``.yaml``) holding the whole definition (then
    give only ``out``, ``workers``, ``scheduler``, ``progress``, ``plots``).
    ``grid``: key → values (a list, ``range``, ``"64,128"`` or ``"4..10"``), one axis per
    key in order; ``zip``: keys that move together (one mapping, or a list of them);
    ``overrides``: fixed ``key.path=value`` for every point; ``samples``: a random sample of
    that many points (``seed``); ``accuracy``: True (random data), a data set name
    (``"digits"``) or ``{"dataset", "samples", "batch_size"}``.
    ``out``: the resumable sweep folder (results.jsonl, results.csv, plots/); without it
    results stay in memory. ``workers``: local processes (default one per core);
    ``scheduler``: a Dask scheduler address instead.
    """
    from imcsim.sweep import definition, runner
    from imcsim.sweep.store import rows

    if definition.is_sweep_file(str(model)):
        given = [n for n, v in (("grid", grid), ("zip", zip), ("arch", arch),
                                ("overrides", overrides), ("samples", samples),
                                ("accuracy", accuracy)) if v]
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
        spec = definition.Sweep(str(model), arch, tuple(overrides), str(duplication),
                                Space(tuple(axes), samples, seed), acc)
    outcome = runner.run(spec, out, workers=workers, scheduler=scheduler, progress=progress,
                         plots=plots)
    return SweepResults(rows(outcome.records), outcome.records, outcome.out)
