"""A sweep's definition: what to sweep, from command-line options or a sweep file.

Sweep file (YAML, the same content as the options; relative paths are relative to the
file's folder)::

    model: resnet50.onnx
    arch: arch_configs/rram_128.yaml     # file or preset (default rram_128)
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
    objectives: [energy.total_j:min, area.total_mm2:min]   # or {energy.total_j: min, …}
    constraints: [area.total_mm2<=2]

Grid axes come first, in order, then zipped groups; the first axis varies slowest.
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
from imcsim.sweep.space import Axis, Space, grid_axis, split_assignment, zip_axis

FILE_KEYS = ("model", "arch", "set", "duplication", "grid", "zip", "samples", "seed", "accuracy",
             "objectives", "constraints")
DEFAULT_ACCURACY_SAMPLES = {"random": 16}  # digits: its whole test split


@dataclass(frozen=True, slots=True)
class Sweep:
    model: str  # ONNX file
    arch: str | None  # config file or preset (None: the default preset)
    fixed: tuple[str, ...]  # key.path=value overrides applied to every point
    duplication: str  # weight duplication of every point unless swept: auto | none | N
    space: Space
    accuracy: AccuracySpec | None = None
    # analysis, not evaluation (never part of the folder's identity): None = the defaults
    objectives: tuple[Objective, ...] | None = None
    constraints: tuple[Constraint, ...] = ()

    @property
    def analysis(self) -> Analysis:
        objectives = self.objectives or default_objectives(
            self.accuracy.dataset if self.accuracy is not None else None)
        return Analysis(objectives, self.constraints)

    def describe(self) -> dict[str, Any]:
        """The definition in the sweep file's form (what ``sweep.json`` and reports show)."""
        out: dict[str, Any] = {"model": self.model, "arch": self.arch or "rram_128",
                               "set": list(self.fixed), "duplication": self.duplication}
        out.update(self.space.describe())
        if self.accuracy is not None:
            out["accuracy"] = {"dataset": self.accuracy.dataset, "samples": self.accuracy.samples,
                               "batch_size": self.accuracy.batch_size}
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


def from_options(model: str, *, arch: str | None = None, fixed: Sequence[str] = (),
                 duplication: str = "auto", grid: Sequence[str] = (), zipped: Sequence[str] = (),
                 samples: int | None = None, seed: int = 0,
                 accuracy: AccuracySpec | None = None, objectives: Any = None,
                 constraints: Any = None) -> Sweep:
    """From ``--grid key=v1,v2`` / ``--zip key=v1,v2`` strings (all ``--zip`` form one group);
    ``objectives``/``constraints`` as :mod:`imcsim.sweep.objectives` reads them."""
    axes: list[Axis] = [grid_axis(*split_assignment(g, "--grid")) for g in grid]
    if zipped:
        axes.append(zip_axis([split_assignment(z, "--zip") for z in zipped]))
    return Sweep(model, arch, tuple(fixed), str(duplication),
                 Space(tuple(axes), samples, seed), accuracy,
                 parse_objectives(objectives) if objectives is not None else None,
                 parse_constraints(constraints) if constraints is not None else ())


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
    if "model" not in raw or not isinstance(raw.get("model"), str):
        errors.append("model: missing (an ONNX file path)")
    folder = Path(path).parent

    def local(p: str) -> str:
        return os.path.normpath(folder / p) if not Path(p).is_absolute() else p

    arch = raw.get("arch")
    if arch is not None and not isinstance(arch, str):
        errors.append("arch: expected a file path or preset name")
        arch = None
    if isinstance(arch, str) and (arch.endswith((".yaml", ".yml")) or "/" in arch):
        arch = local(arch)
    fixed = raw.get("set") or []
    if isinstance(fixed, dict):
        fixed = [f"{k}={v}" for k, v in fixed.items()]
    if not isinstance(fixed, list) or not all(isinstance(s, str) for s in fixed):
        errors.append("set: expected a list of key.path=value or a mapping")
        fixed = []
    fixed = [f"{s.split('=', 1)[0].strip()}={s.split('=', 1)[1].strip()}" if "=" in s else s
             for s in fixed]
    axes: list[Axis] = []
    grid = raw.get("grid") or {}
    if not isinstance(grid, dict):
        errors.append("grid: expected a mapping key.path: values")
        grid = {}
    for key, values in grid.items():
        try:
            axes.append(grid_axis(str(key), values, "grid"))
        except ImcsimError as e:
            errors.append(str(e))
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
    space = Space(tuple(axes), samples, seed)
    return Sweep(local(raw["model"]), arch, tuple(fixed), str(raw.get("duplication", "auto")),
                 space, accuracy, objectives, constraints)


def is_sweep_file(path: str) -> bool:
    return str(path).endswith((".yaml", ".yml"))
