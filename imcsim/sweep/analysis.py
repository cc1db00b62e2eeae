"""A sweep's results judged by its objectives and constraints.

:func:`analyse` marks every point ``feasible`` (valid, every constraint holds, every
objective and constrained value a number) and ``pareto`` (on the front), finds the
N-dimensional Pareto front among the feasible points (:func:`imcsim.sweep.pareto.
nondominated`: equal points never dominate each other, so duplicates of a front point
are all on it) and the best point per objective, each with the one command line that
reproduces it (``imcsim compile …``, or ``imcsim accuracy …`` for an accuracy objective).

Several models (a ``model`` axis) are judged each on its own: a front and best points per
model. The front is listed by its first objective, best first, then by the next ones, then by
point number. The best point of an objective has its best value; points that tie on it
are told apart by the other objectives in their order, then by the lowest point number —
so a best point is always on the front.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from imcsim.errors import ImcsimError
from imcsim.sweep import objectives as obj
from imcsim.sweep.objectives import Analysis, Objective
from imcsim.sweep.pareto import nondominated
from imcsim.sweep.space import ARCH_KEY, DUPLICATION_KEY, MODEL_KEY, PSEUDO_KEYS, parse_value
from imcsim.sweep.store import DEFINITION, flatten

HEAD = ("point", "id", "status", "reason")
FLAGS = ("feasible", "pareto")  # columns added after HEAD


@dataclass(frozen=True, slots=True)
class Best:
    """The best feasible point of one objective."""

    objective: Objective
    row: dict[str, Any]  # its flat row
    config: dict[str, Any]  # its swept values
    command: str  # one shell line that reproduces its value

    @property
    def value(self) -> Any:
        return self.row[self.objective.key]

    def to_dict(self) -> dict[str, Any]:
        return {"objective": self.objective.key, "direction": self.objective.direction,
                "value": self.value, "point": self.row["point"], "id": self.row["id"],
                "config": dict(self.config), "command": self.command}


@dataclass(frozen=True, slots=True)
class Analysed:
    analysis: Analysis
    rows: list[dict[str, Any]]  # every point by point number, with the FLAGS columns
    front: list[dict[str, Any]]  # the Pareto front, first objective best first
    best: tuple[Best, ...]  # one per objective (none when no point is feasible)
    keys: list[str] = field(default_factory=list)  # the swept keys, in order

    @property
    def valid(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["status"] == "ok"]

    @property
    def feasible(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["feasible"]]

    def to_json(self) -> dict[str, Any]:
        """What ``--json`` writes: the analysis, its counts, front, best points and rows."""
        return {**self.analysis.describe(), "points": len(self.rows),
                "valid": len(self.valid), "feasible": len(self.feasible),
                "pareto": [r["point"] for r in self.front],
                "best": [b.to_dict() for b in self.best], "rows": self.rows}


def analyse(records: Iterable[dict[str, Any]], spec: Analysis,
            sweep: Mapping[str, Any] | None = None) -> Analysed:
    """Judge ``records`` (as in results.jsonl); ``sweep``: the definition in the sweep
    file's form (model, arch, set, …), which the reproduce commands are made from.

    When the sweep has several models (its ``model`` axis), each model is judged on its
    own: one Pareto front and one best point per objective per model, listed in the
    order the models first appear (comparing one network's energy with another's would
    put the smallest network on every front)."""
    ordered = sorted(records, key=lambda r: r["point"])
    configs = [r.get("config") if isinstance(r.get("config"), dict) else {} for r in ordered]
    flat = [flatten(r) for r in ordered]
    ok = [i for i, r in enumerate(flat) if r["status"] == "ok" and _meets(r, spec)]
    groups: dict[Any, list[int]] = {}
    for i in ok:
        groups.setdefault(json.dumps(configs[i].get(MODEL_KEY)), []).append(i)
    front: list[int] = []
    best: list[Best] = []
    for members in groups.values():
        on_front, winners = _judge([flat[i] for i in members], spec)
        front += [members[k] for k in on_front]
        for o, k in zip(spec.objectives, winners, strict=True):
            i = members[k]
            best.append(Best(o, flat[i], configs[i], reproduce(sweep or {}, configs[i],
                                                               o.key.startswith("accuracy."))))
    feasible, pareto = set(ok), set(front)
    rows = [_with_flags(r, i in feasible, i in pareto) for i, r in enumerate(flat)]
    keys = list(dict.fromkeys(k for c in configs for k in c))
    return Analysed(spec, rows, [rows[i] for i in front], tuple(best), keys)


def _judge(rows: list[dict[str, Any]], spec: Analysis) -> tuple[list[int], list[int]]:
    """Positions in ``rows`` (feasible) of the Pareto front, in the listed order, and of
    the best row of each objective."""
    f = np.array([[o.sign * float(r[o.key]) for o in spec.objectives] for r in rows],
                 dtype=np.float64).reshape(len(rows), len(spec.objectives))
    points = np.array([r["point"] for r in rows], dtype=np.int64)
    on_front = nondominated(f)
    cols = [f[:, j] for j in range(f.shape[1])]
    front = on_front[np.lexsort((points[on_front], *(c[on_front] for c in reversed(cols))))]
    winners = []
    for j in range(len(spec.objectives)):
        others = [c for k, c in enumerate(cols) if k != j]
        winners.append(int(np.lexsort((points, *reversed(others), cols[j]))[0]))
    return front.tolist(), winners


def _meets(row: dict[str, Any], spec: Analysis) -> bool:
    if not all(obj.is_number(row.get(o.key)) for o in spec.objectives):
        return False
    return all(obj.is_number(row.get(c.key)) and c.holds(row[c.key]) for c in spec.constraints)


def _with_flags(row: dict[str, Any], feasible: bool, pareto: bool) -> dict[str, Any]:
    out = {k: row[k] for k in HEAD}
    out["feasible"], out["pareto"] = feasible, pareto
    out.update((k, v) for k, v in row.items() if k not in out)
    return out


def reproduce(sweep: Mapping[str, Any], config: Mapping[str, Any], accuracy: bool) -> str:
    """The command line that computes one point on its own, as the sweep computed it."""
    def text(v: Any) -> str:
        return str(v) if isinstance(v, str | int) and not isinstance(v, bool) else "?"

    model = config.get(MODEL_KEY, sweep.get("model") or "MODEL")
    app = str(model)[len("app:"):] if str(model).startswith("app:") else None
    words = ["imcsim", *(("app", app) if app else (
        "accuracy" if accuracy else "compile", text(model))),
             "--arch", text(config.get(ARCH_KEY, sweep.get("arch") or "rram_128"))]
    fixed = sweep.get("set")
    for item in fixed if isinstance(fixed, list) else []:
        words += ["--set", text(item)]
    for key, value in config.items():
        if key not in PSEUDO_KEYS:
            words += ["--set", f"{key}={_value_text(value)}"]
    if app:
        words += ["--seed", text(sweep.get("seed", 0))]
    elif accuracy:
        acc = sweep.get("accuracy") if isinstance(sweep.get("accuracy"), dict) else {}
        words += ["--dataset", text(acc.get("dataset", "random")),
                  "--samples", text(acc.get("samples")), "--seed", text(sweep.get("seed", 0))]
        if acc.get("batch_size", 32) != 32:
            words += ["--batch-size", text(acc.get("batch_size"))]
    else:
        dup = config.get(DUPLICATION_KEY, sweep.get("duplication", "auto"))
        if str(dup) != "auto":
            words += ["--duplication", text(dup)]
    return shlex.join(words)


def _value_text(value: Any) -> str:
    """``--set`` text read back as ``value`` (plain when it reads back so, else JSON)."""
    if isinstance(value, str) and parse_value(value) == value:
        return value
    return json.dumps(value)


def stored_analysis(definition: Mapping[str, Any],
                    objectives: tuple[Objective, ...] | None = None,
                    constraints: tuple[obj.Constraint, ...] | None = None
                    ) -> tuple[Analysis, str | None]:
    """A sweep folder's analysis: the given objectives/constraints, else those its
    sweep.json keeps, else the defaults; and the accuracy data set (None: not swept)."""
    sweep = definition.get("sweep") if isinstance(definition.get("sweep"), dict) else {}
    acc = sweep.get("accuracy")
    dataset = (str(acc.get("dataset", "random")) if isinstance(acc, dict) else
               "random" if acc else None)
    try:
        if objectives is None:
            kept = sweep.get("objectives")
            objectives = (obj.default_objectives(dataset, obj.swept_app(sweep)) if kept is None
                          else obj.parse_objectives(kept))
        if constraints is None:
            kept = sweep.get("constraints")
            constraints = () if kept is None else obj.parse_constraints(kept)
    except ImcsimError as e:
        raise ImcsimError(f"{DEFINITION}: {e}; give --objectives and --constraint, or "
                          "delete the folder and rerun") from None
    return Analysis(objectives, constraints), dataset
