"""What a sweep optimises: objectives (``KEY:min|max``) and constraints (``KEY<=V``).

They are analysis, not evaluation: they decide which finished points are *feasible*
(valid, every constraint holds, every objective and constrained value is a number), the
Pareto front among the feasible points and the best point per objective — never which
points run or what a point computes. So they are kept out of a sweep folder's identity:
changing them re-analyses the same results (``imcsim report OUT --objectives …``).

KEY is a numeric column of ``results.csv``: a report value (``energy.total_j``,
``area.total_mm2``, ``energy.tops_per_w``, ``performance.latency_s``,
``energy.breakdown.adc``, ``accuracy.hw_top1`` when accuracy was swept, …) or a swept key
(``adc.bits``). Constraints are ``KEY<=V``, ``KEY>=V``, ``KEY<V``, ``KEY>V`` or ``KEY==V``
(exact) with a number V, read with a regular expression (never evaluated as code).
"""

from __future__ import annotations

import difflib
import functools
import math
import operator
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from imcsim.errors import ImcsimError

ENERGY, AREA = "energy.total_j", "area.total_mm2"
HW_TOP1, AGREEMENT = "accuracy.hw_top1", "accuracy.top1_agreement"
# null on unlabelled data (--dataset random): only top-1 agreement with float is measured
LABELLED = ("accuracy.float_top1", "accuracy.hw_top1", "accuracy.float_top5",
            "accuracy.hw_top5")
EXAMPLES = (ENERGY, AREA, "energy.tops_per_w", "performance.latency_s",
            "performance.throughput_inf_per_s", "mapping.arrays")
_OPS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le, ">=": operator.ge, "<": operator.lt, ">": operator.gt,
    "==": operator.eq}
_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_CONSTRAINT = re.compile(rf"^\s*([A-Za-z_][\w.\-]*)\s*(<=|>=|==|<|>)\s*({_NUMBER})\s*$")
_OBJECTIVE = re.compile(r"^\s*([A-Za-z_][\w.\-]*)\s*:\s*(\w+)\s*$")
_FORMS = "KEY<=V, KEY>=V, KEY<V, KEY>V or KEY==V with a number V, e.g. area.total_mm2<=2"


@dataclass(frozen=True, slots=True)
class Objective:
    key: str  # a numeric column of results.csv
    maximise: bool = False

    @property
    def direction(self) -> str:
        return "max" if self.maximise else "min"

    @property
    def sign(self) -> float:
        """Multiplies the value into a quantity to minimise."""
        return -1.0 if self.maximise else 1.0

    def __str__(self) -> str:
        return f"{self.key}:{self.direction}"


@dataclass(frozen=True, slots=True)
class Constraint:
    key: str  # a numeric column of results.csv
    op: str  # <=, >=, <, > or ==
    value: float  # the bound

    def holds(self, value: float) -> bool:
        return _OPS[self.op](value, self.value)

    def __str__(self) -> str:
        v = self.value
        text = str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
        return f"{self.key}{self.op}{text}"


@dataclass(frozen=True, slots=True)
class Analysis:
    """The objectives (at least one) and constraints a sweep's results are judged by."""

    objectives: tuple[Objective, ...]
    constraints: tuple[Constraint, ...] = ()

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*(o.key for o in self.objectives),
                                    *(c.key for c in self.constraints)]))

    def describe(self) -> dict[str, list[str]]:
        """As the sweep file writes them (what sweep.json keeps)."""
        return {"objectives": [str(o) for o in self.objectives],
                "constraints": [str(c) for c in self.constraints]}


def default_objectives(accuracy_dataset: str | None,
                       app: str | None = None) -> tuple[Objective, ...]:
    """Energy per inference and area, both minimised; with accuracy swept, also hardware
    top-1 maximised (top-1 agreement with float on unlabelled random data). An application
    (``app:NAME``): its quality on the hardware, the right way up, and its energy."""
    if app is not None:
        from imcsim.apps import APPS

        return (Objective("app.hw", APPS[app].higher_is_better), Objective("app.energy_j"))
    out: tuple[Objective, ...] = (Objective(ENERGY), Objective(AREA))
    if accuracy_dataset is not None:
        out += (Objective(HW_TOP1 if accuracy_dataset != "random" else AGREEMENT, True),)
    return out


def parse_objectives(spec: Any) -> tuple[Objective, ...]:
    """``"a:min,b:max"``, a list of such items, or a mapping ``{key: min|max}``."""
    if isinstance(spec, Mapping):
        items = [f"{k}:{v}" for k, v in spec.items()]
    elif isinstance(spec, str):
        items = spec.split(",")
    elif isinstance(spec, Sequence) and all(isinstance(s, str) for s in spec):
        items = [part for s in spec for part in s.split(",")]
    else:
        raise ImcsimError(f"objectives {str(spec)[:80]!r}: expected KEY:min|max items, e.g. "
                          f"{ENERGY}:min,{AREA}:min")
    out: list[Objective] = []
    for item in items:
        m = _OBJECTIVE.match(item)
        if not m:
            raise ImcsimError(f"objective {item.strip()[:80]!r}: expected KEY:min or KEY:max, "
                              f"e.g. {ENERGY}:min or {HW_TOP1}:max")
        key, direction = m.group(1), m.group(2).lower()
        if direction not in ("min", "max"):
            raise ImcsimError(f"objective {item.strip()[:80]!r}: the direction must be min or "
                              f"max, e.g. {key}:min")
        if any(o.key == key for o in out):
            raise ImcsimError(f"objective {key}: given twice; give each key once")
        out.append(Objective(key, direction == "max"))
    if not out:
        raise ImcsimError(f"no objectives given; e.g. {ENERGY}:min,{AREA}:min")
    return tuple(out)


def parse_constraints(spec: Any) -> tuple[Constraint, ...]:
    """One expression or a list of them."""
    items = [spec] if isinstance(spec, str) else spec
    if not isinstance(items, Sequence) or not all(isinstance(s, str) for s in items):
        raise ImcsimError(f"constraints {str(spec)[:80]!r}: expected a list of expressions "
                          f"{_FORMS}")
    out = []
    for item in items:
        m = _CONSTRAINT.match(item)
        if not m:
            raise ImcsimError(f"constraint {item.strip()[:80]!r}: expected {_FORMS}")
        value = float(m.group(3))
        if not math.isfinite(value):
            raise ImcsimError(f"constraint {item.strip()[:80]!r}: the bound is not a finite "
                              "number")
        out.append(Constraint(m.group(1), m.group(2), value))
    return tuple(out)


def analysis(objectives: Any = None, constraints: Any = None,
             accuracy_dataset: str | None = None) -> Analysis:
    """An :class:`Analysis` from user input (None: the default objectives, no constraints)."""
    objs = (default_objectives(accuracy_dataset) if objectives is None
            else parse_objectives(objectives))
    return Analysis(objs, parse_constraints(constraints) if constraints is not None else ())


def swept_app(described: Mapping[str, Any]) -> str | None:
    """The application a sweep runs (its ``model`` is ``app:NAME``), else None."""
    from imcsim.apps import app_name

    model = described.get("model")
    if model is None:  # a model axis (of one application: an app is swept on its own)
        grid = described.get("grid")
        axis = grid.get("model") if isinstance(grid, Mapping) else None
        model = axis[0] if isinstance(axis, list) and axis else None
    return app_name(str(model or ""))


@functools.cache
def report_keys(accuracy: bool, app: bool = False) -> tuple[str, ...]:
    """The numeric keys of a point's record, flattened as in results.csv, from the JSON
    Schemas of ``imcsim compile --json`` (and ``imcsim accuracy --json``), or of the
    ``app`` section of ``imcsim app --json``."""
    from imcsim.schemas import schema
    from imcsim.sweep.evaluate import REPORT_SECTIONS

    out: list[str] = []

    def walk(prefix: str, node: Mapping[str, Any]) -> None:
        kind = node.get("type")
        kinds = kind if isinstance(kind, list) else [kind]
        if "object" in kinds:
            for k, v in (node.get("properties") or {}).items():
                walk(f"{prefix}.{k}", v)
            extra = node.get("additionalProperties")
            names = (node.get("propertyNames") or {}).get("enum") or []
            if isinstance(extra, Mapping):
                for name in names:  # a breakdown: one key per component
                    walk(f"{prefix}.{name}", extra)
        elif "number" in kinds or "integer" in kinds:
            out.append(prefix)

    if app:
        walk("app", schema("app")["properties"]["app"])
        return tuple(out)
    compiled = schema("compile")["properties"]
    for section in REPORT_SECTIONS:
        walk(section, compiled[section])
    if accuracy:
        walk("accuracy", schema("accuracy")["properties"]["accuracy"])
    return tuple(out)


def numeric_swept_keys(configs: Iterable[Mapping[str, Any]]) -> set[str]:
    """Swept keys with a number at some point (their column can be optimised too)."""
    return {k for c in configs for k, v in c.items() if is_number(v)}


def is_number(v: Any) -> bool:
    """A finite int or float (not a bool, not an int too large for a float)."""
    if not isinstance(v, int | float) or isinstance(v, bool):
        return False
    try:
        return math.isfinite(v)
    except OverflowError:
        return False


def check_keys(spec: Analysis, swept: Collection[str], accuracy_dataset: str | None,
               app: bool = False) -> None:
    """Every key names a numeric column this sweep has; else one line naming some that do."""
    known = set(report_keys(accuracy_dataset is not None, app)) | set(swept)
    if app:
        for what, key in [*(("objective", o.key) for o in spec.objectives),
                          *(("constraint", c.key) for c in spec.constraints)]:
            if key not in known and not key.startswith("app.details."):
                close = difflib.get_close_matches(key, sorted(known), n=1)
                hint = f" (did you mean {close[0]}?)" if close else ""
                raise ImcsimError(f"{what} {key}: not a numeric column of an application's "
                                  f"results{hint}; use one such as app.hw, app.energy_j, "
                                  "app.time_s or app.details.NAME")
        return
    labelled = accuracy_dataset is not None and accuracy_dataset != "random"
    for what, key in [*(("objective", o.key) for o in spec.objectives),
                      *(("constraint", c.key) for c in spec.constraints)]:
        if key in known and (labelled or key not in LABELLED):
            continue
        if key.startswith("accuracy.") and accuracy_dataset is None:
            raise ImcsimError(f"{what} {key}: accuracy was not swept; add --accuracy (accuracy: "
                              "in a sweep file) or use another key, e.g. "
                              f"{', '.join(EXAMPLES[:3])}")
        if key in LABELLED:
            raise ImcsimError(f"{what} {key}: is null on unlabelled data (--dataset random); "
                              f"use {AGREEMENT} or sweep with --dataset digits")
        close = difflib.get_close_matches(key, sorted(known), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        swept_text = f"; a swept key such as {sorted(swept)[0]}" if swept else ""
        raise ImcsimError(f"{what} {key}: not a numeric column of results.csv{hint}; use one "
                          f"such as {', '.join(EXAMPLES)}"
                          f"{', ' + HW_TOP1 if labelled else ''}{swept_text}")
