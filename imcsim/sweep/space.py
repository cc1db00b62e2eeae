"""The design space of a sweep: axes of values, their points, and each point's identity.

A sweep varies config keys (``array.rows``, ``adc.bits``, …, and the pseudo-keys
``duplication``, ``arch`` and ``model``) along *axes*. A grid axis holds one key; a zipped axis holds several keys
that move together (``array.rows`` and ``array.cols``). Grid axes come first, in the order
given, then zipped axes. The points are the Cartesian product of the axes, first axis
slowest; random sampling draws N distinct points of that
product with a seed. A point is identified by a stable hash of its values, so a resumed
sweep recognises the points it already finished.

Values are written as in ``--set``: each one is read as YAML (``64`` → int, ``0.5`` →
float, ``offset`` → text); a token ``a..b`` is the integers a to b inclusive.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from imcsim import yamlsafe
from imcsim.errors import ImcsimError

DUPLICATION_KEY = "duplication"  # not a config key: the mapping's weight duplication
ARCH_KEY = "arch"  # not a config key: the base architecture (preset name or config file)
MODEL_KEY = "model"  # not a config key: the ONNX model
PSEUDO_KEYS = (MODEL_KEY, ARCH_KEY, DUPLICATION_KEY)  # swept like keys, not config values
_RANGE = re.compile(r"^\s*(-?\d+)\s*\.\.\s*(-?\d+)\s*$")
_MAX_POINTS = 2**62  # the product of the axes must stay an int64 for sampling
_MAX_RUN = 10_000_000  # points one sweep evaluates (counted before any is enumerated)
Scalar = int | float | str | bool | None


@dataclass(frozen=True, slots=True)
class Axis:
    """One axis: ``keys`` move together; ``columns[i]`` holds the values of ``keys[i]``."""

    keys: tuple[str, ...]
    columns: tuple[tuple[Scalar, ...], ...]

    def __len__(self) -> int:
        return len(self.columns[0])

    def values_at(self, i: int) -> dict[str, Scalar]:
        return {k: col[i] for k, col in zip(self.keys, self.columns, strict=True)}


def parse_value(token: str) -> Scalar:
    """One value as ``--set`` reads it (YAML), with YAML 1.1's '1e-8' read as a number."""
    try:
        value = yamlsafe.load(token) if token.strip() else None
    except yaml.YAMLError:
        return token.strip()
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def parse_values(spec: Any, where: str, unique: bool = True) -> tuple[Scalar, ...]:
    """Values of one key: ``'64,128'``, ``'4..10'``, a YAML list of them, or one scalar.
    ``unique``: refuse a value given twice (it would make two identical points)."""
    items: list[Any]
    if isinstance(spec, str):
        items = spec.split(",") if spec.strip() else []
    elif isinstance(spec, list | tuple):
        items = list(spec)
    elif spec is None:
        items = []
    else:
        items = [spec]
    values: list[Scalar] = []
    for item in items:
        if isinstance(item, str):
            if not item.strip():
                raise ImcsimError(f"{where}: empty value in '{_text(spec)}'; give values like "
                                  "64,128 or a range 4..10")
            values.extend(_token_values(item, where))
        elif isinstance(item, bool | int | float) and not (
                isinstance(item, float) and not math.isfinite(item)):
            values.append(item)
        else:
            raise ImcsimError(f"{where}: {item!r} is not a single value (number, text or "
                              "true/false)")
    if not values:
        raise ImcsimError(f"{where}: no values; give values like 64,128 or a range 4..10")
    if unique:
        _check_unique([(v,) for v in values], where)
    return tuple(values)


def _check_unique(rows: list[tuple[Scalar, ...]], where: str) -> None:
    seen: set[str] = set()
    for row in rows:
        key = json.dumps(row[0] if len(row) == 1 else list(row))
        if key in seen:
            raise ImcsimError(f"{where}: value {key} is given twice; each point must be unique")
        seen.add(key)


def _token_values(token: str, where: str) -> list[Scalar]:
    m = _RANGE.match(token)
    if m:
        if max(len(m.group(1)), len(m.group(2))) > 18:
            raise ImcsimError(f"{where}: range {token.strip()[:60]} has an end over 18 digits")
        lo, hi = int(m.group(1)), int(m.group(2))
        if lo > hi:
            raise ImcsimError(f"{where}: range {token.strip()} is empty (start > end); "
                              f"write it as {hi}..{lo}")
        if hi - lo >= 1_000_000:
            raise ImcsimError(f"{where}: range {token.strip()} has over a million values")
        return list(range(lo, hi + 1))
    if ".." in token:
        raise ImcsimError(f"{where}: bad range '{token.strip()}'; a range is two integers "
                          "like 4..10")
    value = parse_value(token)
    if isinstance(value, list | dict):
        raise ImcsimError(f"{where}: {token.strip()!r} is not a single value")
    return [value]


def _text(spec: Any) -> str:
    return spec if isinstance(spec, str) else json.dumps(spec)


def grid_axis(key: str, spec: Any, option: str = "--grid") -> Axis:
    return Axis((key,), (parse_values(spec, f"{option} {key}"),))


def zip_axis(columns: Sequence[tuple[str, Any]], option: str = "--zip") -> Axis:
    """Keys that move together; every key needs the same number of values."""
    keys = tuple(k for k, _ in columns)
    values = tuple(parse_values(v, f"{option} {k}", unique=len(keys) == 1) for k, v in columns)
    lengths = {k: len(v) for k, v in zip(keys, values, strict=True)}
    if len(set(lengths.values())) > 1:
        given = ", ".join(f"{k} has {n}" for k, n in lengths.items())
        raise ImcsimError(f"{option}: zipped keys need the same number of values ({given})")
    _check_unique(list(zip(*values, strict=True)), f"{option} {','.join(keys)}")
    return Axis(keys, values)


def split_assignment(item: str, option: str) -> tuple[str, str]:
    """'key.path=v1,v2' → ('key.path', 'v1,v2')."""
    if "=" not in item:
        raise ImcsimError(f"{option} {item}: expected key.path=v1,v2 (or a range a..b)")
    key, values = item.split("=", 1)
    if not key.strip():
        raise ImcsimError(f"{option} {item}: missing the key before '='")
    return key.strip(), values


@dataclass(frozen=True, slots=True)
class Space:
    """The axes and, optionally, a random sample of their product."""

    axes: tuple[Axis, ...]
    samples: int | None = None  # draw this many distinct points at random (None: all)
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.axes:
            raise ImcsimError("nothing to sweep: give at least one --grid or --zip axis "
                              "(or grid:/zip: in the sweep file)")
        keys = [k for a in self.axes for k in a.keys]
        dup = sorted({k for k in keys if keys.count(k) > 1})
        if dup:
            raise ImcsimError(f"key {dup[0]} is swept on two axes; give each key once")
        if self.size > _MAX_POINTS:
            raise ImcsimError(f"the grid has {self.size:.3g} points; that is too many, "
                              "use fewer values or --samples")
        if self.samples is not None and self.samples < 1:
            raise ImcsimError(f"--samples {self.samples}: must be ≥ 1")
        run = self.size if self.samples is None else min(self.samples, self.size)
        if run > _MAX_RUN:
            raise ImcsimError(f"the sweep would evaluate {run:,} points, over {_MAX_RUN:,}; "
                              "use fewer values or --samples (a random subset)")

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(k for a in self.axes for k in a.keys)

    @property
    def size(self) -> int:
        """Points in the full product of the axes."""
        return math.prod(len(a) for a in self.axes)

    def indices(self) -> list[int]:
        """Grid positions of the sweep's points, ascending (all, or the random sample)."""
        if self.samples is None or self.samples >= self.size:
            return list(range(self.size))
        import numpy as np

        rng = np.random.default_rng(self.seed)
        return sorted(int(i) for i in rng.choice(self.size, size=self.samples, replace=False))

    def values(self, index: int) -> dict[str, Scalar]:
        """Values of the point at grid position ``index`` (mixed radix, last axis fastest)."""
        out: dict[str, Scalar] = {}
        parts = []
        for axis in reversed(self.axes):
            index, i = divmod(index, len(axis))
            parts.append(axis.values_at(i))
        for p in reversed(parts):
            out.update(p)
        return out

    def points(self) -> Iterator[tuple[int, dict[str, Scalar]]]:
        for i in self.indices():
            yield i, self.values(i)

    def describe(self) -> dict[str, Any]:
        """The axes as the sweep file writes them (``grid`` and ``zip`` sections)."""
        grid = {a.keys[0]: _compact(a.columns[0]) for a in self.axes if len(a.keys) == 1}
        zipped = [{k: _compact(c) for k, c in zip(a.keys, a.columns, strict=True)}
                  for a in self.axes if len(a.keys) > 1]
        out: dict[str, Any] = {"grid": grid}
        if zipped:
            out["zip"] = zipped
        if self.samples is not None:
            out["samples"] = self.samples
        out["seed"] = self.seed
        return out


_COMPACT_ABOVE = 1000  # values per axis above which runs are written as ranges


def _compact(values: Sequence[Scalar]) -> list[Scalar]:
    """The values as the sweep file writes them; a long axis (a range of up to a million
    integers) keeps its runs of consecutive integers as 'a..b', so sweep.json stays small
    whatever the grid (parse_values reads both forms back to the same values)."""
    if len(values) <= _COMPACT_ABOVE:
        return list(values)
    out: list[Scalar] = []
    run: list[int] = []

    def flush() -> None:
        if len(run) >= 3:
            out.append(f"{run[0]}..{run[-1]}")
        else:
            out.extend(run)
        run.clear()

    for v in values:
        if type(v) is int and run and v == run[-1] + 1:
            run.append(v)
            continue
        flush()
        if type(v) is int:
            run.append(v)
        else:
            out.append(v)
    flush()
    return out


def point_id(values: dict[str, Scalar]) -> str:
    """A stable identity of a point: SHA-256 of its values as canonical JSON (16 hex)."""
    text = json.dumps(values, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
