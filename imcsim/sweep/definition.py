"""A sweep's definition: what to sweep, from command-line options or a sweep file.

Sweep file (YAML, the same content as the options; relative paths are relative to the
file's folder)::

    model: resnet50.onnx                 # or a list of models: one more axis, the first
    arch: arch_configs/rram_128.yaml     # file or preset (default rram_128); a list: an axis
    set: [adc.model=sar]                 # fixed overrides (or a mapping key: value)
    duplication: auto                    # auto | none | N (may also be swept)
    grid:                                # one axis per key, in this order
      array.rows: [64, 128, 256, 512]
      adc.bits: 4..10
    zip:                                 # keys that move together (a list of groups)
      - {array.cols: [64, 128], adc.cols_per_adc: [4, 8]}
    samples: 20                          # random points of the space (default: all)
    seed: 0                              # of the random sample and of accuracy runs
    accuracy: {dataset: digits, samples: 64, batch_size: 32}
    cycle: true                          # also the cycle-level run (cycle.* columns)
    objectives: [energy.total_j:min, area.total_mm2:min]   # or {energy.total_j: min, …}
    constraints: [area.total_mm2<=2]

Grid axes come first, in order, then zipped groups; the first axis varies slowest. A list
of models (``model:`` or ``models:``) or of architectures (``arch:``) is an axis of its own,
put first (models, then architectures); ``grid: {model: …, arch: …}`` places them
elsewhere. Fixed ``set:`` overrides apply on top of every architecture.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from imcsim import yamlsafe
from imcsim.errors import ImcsimError
from imcsim.sweep.evaluate import AccuracySpec
from imcsim.sweep.objectives import (
    Analysis,
    Constraint,
    Objective,
    default_objectives,
    parse_constraints,
    parse_objectives,
)
from imcsim.sweep.space import (
    ARCH_KEY,
    MODEL_KEY,
    Axis,
    Space,
    grid_axis,
    split_assignment,
    zip_axis,
)

FILE_KEYS = ("model", "models", "arch", "cycle", "set", "duplication", "grid", "zip", "samples", "seed", "accuracy",
             "objectives", "constraints")
DEFAULT_ACCURACY_SAMPLES = {"random": 16}  # digits: its whole test split


@dataclass(frozen=True, slots=True)
class Sweep:
    model: str | None  # ONNX file (None: the ``model`` axis names them)
    arch: str | None  # config file or preset (None: the default preset, or the ``arch`` axis)
    fixed: tuple[str, ...]  # key.path=value overrides applied to every point
    duplication: str  # weight duplication of every point unless swept: auto | none | N
    space: Space
    accuracy: AccuracySpec | None = None
    # analysis, not evaluation (never part of the folder's identity): None = the defaults
    objectives: tuple[Objective, ...] | None = None
    constraints: tuple[Constraint, ...] = ()
    cycle: bool = False  # also run the cycle-level simulator at every point

    def __post_init__(self) -> None:
        for key, fixed in ((MODEL_KEY, self.model), (ARCH_KEY, self.arch)):
            axis = self._axis(key)
            if axis is None:
                continue
            if fixed is not None:
                what = "model" if key == MODEL_KEY else "--arch"
                raise ImcsimError(f"{key} is swept (--grid {key}=…) and also given as {what} "
                                  f"{fixed}; give the {key}s one way")
            bad = next((v for v in axis if not isinstance(v, str) or not v.strip()), None)
            if bad is not None:
                raise ImcsimError(f"--grid {key}: {bad!r} is not a "
                                  f"{'model file' if key == MODEL_KEY else 'preset or config file'}")
        if self.model is None and self._axis(MODEL_KEY) is None:
            raise ImcsimError("no model: give an ONNX file (several with --model) or a sweep "
                              "file")
        from imcsim.apps import app_name

        apps = [m for m in self.models if app_name(m) is not None]
        if apps and (len(self.models) > 1 or self.accuracy is not None or self.cycle):
            raise ImcsimError(f"{apps[0]}: an application is swept on its own — no other "
                              "model, no --accuracy (it reports its own quality), no --cycle")

    def _axis(self, key: str) -> tuple[Any, ...] | None:
        """The values of a swept pseudo-key (``model``, ``arch``), None when not swept."""
        for axis in self.space.axes:
            if key in axis.keys:
                return axis.columns[axis.keys.index(key)]
        return None

    @property
    def models(self) -> tuple[str, ...]:
        """Every model of the sweep, as given (the one, or the ``model`` axis)."""
        return self._axis(MODEL_KEY) or (str(self.model),)

    @property
    def arches(self) -> tuple[str | None, ...]:
        """Every base architecture, as given (None: the default preset)."""
        return self._axis(ARCH_KEY) or (self.arch,)

    @property
    def app(self) -> str | None:
        """The application swept (``app:NAME``), else None."""
        from imcsim.apps import app_name

        return app_name(self.models[0])

    @property
    def analysis(self) -> Analysis:
        objectives = self.objectives or default_objectives(
            self.accuracy.dataset if self.accuracy is not None else None, self.app)
        return Analysis(objectives, self.constraints)

    def describe(self) -> dict[str, Any]:
        """The definition in the sweep file's form (what ``sweep.json`` and reports show)."""
        swept = self._axis(ARCH_KEY) is not None
        out: dict[str, Any] = {"model": self.model,
                               "arch": None if swept else self.arch or "rram_128",
                               "set": list(self.fixed), "duplication": self.duplication}
        out.update(self.space.describe())
        if self.accuracy is not None:
            out["accuracy"] = {"dataset": self.accuracy.dataset, "samples": self.accuracy.samples,
                               "batch_size": self.accuracy.batch_size}
        if self.cycle:  # only when on: folders of sweeps without it keep their identity
            out["cycle"] = True
        out.update(self.analysis.describe())
        return out


def accuracy_spec(dataset: str, samples: int | None, batch_size: int) -> AccuracySpec:
    from imcsim.functional import datasets

    if dataset not in datasets.DATASETS:
        raise ImcsimError(f"--dataset {dataset}: unknown data set; choose one of "
                          f"{', '.join(datasets.DATASETS)}")
    if samples is None:
        samples = (len(datasets.digits_split()[3]) if dataset == "digits"
                   else DEFAULT_ACCURACY_SAMPLES[dataset])
    for option, value in (("accuracy samples", samples), ("--batch-size", batch_size)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ImcsimError(f"{option} {value}: must be an integer ≥ 1")
    return AccuracySpec(dataset, samples, batch_size)


def listed(model: str | Sequence[str] | None, arch: str | Sequence[str] | None,
           where: tuple[str, str] = ("--model", "--arch")
           ) -> tuple[str | None, str | None, list[Axis]]:
    """A model and an architecture, or lists of them: (the model, the architecture, the
    axes of those given as a list of several, models first)."""
    out: list[str | None] = []
    axes: list[Axis] = []
    for key, value, option in ((MODEL_KEY, model, where[0]), (ARCH_KEY, arch, where[1])):
        if value is None or isinstance(value, str):
            out.append(value)
            continue
        values = list(value)
        if len(values) == 1:
            out.append(values[0])
            continue
        out.append(None)
        if values:
            axes.append(grid_axis(key, values, option))
    return out[0], out[1], axes


def from_options(model: str | Sequence[str] | None, *, arch: str | Sequence[str] | None = None,
                 fixed: Sequence[str] = (), duplication: str = "auto",
                 grid: Sequence[str] = (), zipped: Sequence[str] = (),
                 samples: int | None = None, seed: int = 0,
                 accuracy: AccuracySpec | None = None, objectives: Any = None,
                 constraints: Any = None, cycle: bool = False) -> Sweep:
    """From ``--grid key=v1,v2`` / ``--zip key=v1,v2`` strings (all ``--zip`` form one group);
    several models or architectures (lists) are axes of their own, first;
    ``objectives``/``constraints`` as :mod:`imcsim.sweep.objectives` reads them."""
    model, arch, axes = listed(model, arch)
    axes += [grid_axis(*split_assignment(g, "--grid")) for g in grid]
    if zipped:
        axes.append(zip_axis([split_assignment(z, "--zip") for z in zipped]))
    return Sweep(model, arch, tuple(fixed), str(duplication),
                 Space(tuple(axes), samples, seed), accuracy,
                 parse_objectives(objectives) if objectives is not None else None,
                 parse_constraints(constraints) if constraints is not None else (), cycle)


def from_file(path: str) -> Sweep:
    """Read a sweep file; every problem of its structure is reported in one error."""
    if Path(path).exists() and not Path(path).is_file():
        raise ImcsimError(f"{path}: is not a regular file (a folder, FIFO or device); give a "
                          "sweep file")
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise ImcsimError(f"{path}: cannot read the sweep file ({e.strerror or e})") from None
    except UnicodeDecodeError as e:
        raise ImcsimError(f"{path}: not UTF-8 text (byte {e.start}); save the sweep file as "
                          "UTF-8") from None
    try:
        raw = yamlsafe.load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f": line {mark.line + 1}" if mark else ""
        raise ImcsimError(f"{path}{where}: invalid YAML ({getattr(e, 'problem', e)})") from None
    if not isinstance(raw, dict):
        raise ImcsimError(f"{path}: expected a mapping with keys {', '.join(FILE_KEYS)}")
    errors = [f"{k}: unknown key (valid: {', '.join(FILE_KEYS)})" for k in raw
              if k not in FILE_KEYS]
    folder = Path(path).parent

    def local(p: Any) -> Any:
        """A model or config path relative to the sweep file (a preset name, or an
        application ``app:NAME``, stays)."""
        if not isinstance(p, str) or Path(p).is_absolute() or p.startswith("app:"):
            return p
        return os.path.normpath(folder / p)

    def local_arch(a: Any) -> Any:
        return local(a) if isinstance(a, str) and (a.endswith((".yaml", ".yml")) or "/" in a) else a

    if "model" in raw and "models" in raw:
        errors.append("models: give model or models, not both")
    models = raw.get("models", raw.get("model"))
    grid = raw.get("grid") or {}
    if models is None and not (isinstance(grid, dict) and MODEL_KEY in grid):
        errors.append("model: missing (an ONNX file path, or a list of them)")
    elif models is not None and not _names(models):
        errors.append("model: expected an ONNX file path or a list of them")
        models = None
    arch = raw.get("arch")
    if arch is not None and not _names(arch):
        errors.append("arch: expected a file path or preset name, or a list of them")
        arch = None
    try:
        model, arch, axes = listed(
            [local(m) for m in models] if isinstance(models, list) else local(models),
            [local_arch(a) for a in arch] if isinstance(arch, list) else local_arch(arch),
            ("model", "arch"))
    except ImcsimError as e:
        errors.append(str(e))
        model, arch, axes = None, None, []
    fixed = raw.get("set") or []
    if isinstance(fixed, dict):
        fixed = [f"{k}={v}" for k, v in fixed.items()]
    if not isinstance(fixed, list) or not all(isinstance(s, str) for s in fixed):
        errors.append("set: expected a list of key.path=value or a mapping")
        fixed = []
    fixed = [f"{s.split('=', 1)[0].strip()}={s.split('=', 1)[1].strip()}" if "=" in s else s
             for s in fixed]
    if not isinstance(grid, dict):
        errors.append("grid: expected a mapping key.path: values")
        grid = {}
    for key, values in grid.items():
        try:
            axis = grid_axis(str(key), values, "grid")
        except ImcsimError as e:
            errors.append(str(e))
            continue
        resolve = {MODEL_KEY: local, ARCH_KEY: local_arch}.get(axis.keys[0])
        axes.append(axis if resolve is None else
                    Axis(axis.keys, (tuple(resolve(v) for v in axis.columns[0]),)))
    groups = raw.get("zip") or []
    if isinstance(groups, dict):
        groups = [groups]
    if not isinstance(groups, list) or not all(isinstance(g, dict) and g for g in groups):
        errors.append("zip: expected a list of mappings key.path: values")
        groups = []
    for g in groups:
        try:
            axes.append(zip_axis([(str(k), v) for k, v in g.items()], "zip"))
        except ImcsimError as e:
            errors.append(str(e))
    samples, seed = raw.get("samples"), raw.get("seed", 0)
    for name, value in (("samples", samples), ("seed", seed)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            errors.append(f"{name}: expected an integer, got {value!r}")
    if isinstance(seed, int) and not 0 <= seed < 2**63:
        errors.append(f"seed: {seed} is outside 0 … 2^63 − 1")
    acc = raw.get("accuracy")
    accuracy = None
    if acc is True:
        acc = {}
    if acc not in (None, False):
        if not isinstance(acc, dict) or set(acc) - {"dataset", "samples", "batch_size"}:
            errors.append("accuracy: expected a mapping with dataset, samples, batch_size")
        else:
            try:
                accuracy = accuracy_spec(acc.get("dataset", "random"), acc.get("samples"),
                                         acc.get("batch_size", 32))
            except ImcsimError as e:
                errors.append(f"accuracy: {e}")
    objectives: tuple[Objective, ...] | None = None
    constraints: tuple[Constraint, ...] = ()
    try:
        if raw.get("objectives") is not None:
            objectives = parse_objectives(raw["objectives"])
    except ImcsimError as e:
        errors.append(f"objectives: {e}")
    try:
        if raw.get("constraints") is not None:
            constraints = parse_constraints(raw["constraints"])
    except ImcsimError as e:
        errors.append(f"constraints: {e}")
    if errors:
        raise ImcsimError(f"{path}: {len(errors)} problem(s): " + "; ".join(errors))
    cycle = raw.get("cycle", False)
    if not isinstance(cycle, bool):
        raise ImcsimError(f"{path}: cycle: expected true or false, got {cycle!r}")
    try:
        return Sweep(model, arch, tuple(fixed), str(raw.get("duplication", "auto")),
                     Space(tuple(axes), samples, seed), accuracy, objectives, constraints,
                     cycle)
    except ImcsimError as e:
        raise ImcsimError(f"{path}: {e}") from None


def _names(value: Any) -> bool:
    """A non-empty text, or a non-empty list of them."""
    items = value if isinstance(value, list) else [value]
    return bool(items) and all(isinstance(v, str) and v.strip() for v in items)


def is_sweep_file(path: str) -> bool:
    return str(path).endswith((".yaml", ".yml"))
