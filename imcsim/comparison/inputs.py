"""What ``imcsim compare`` is given, checked before any work: the models and
architectures (at least two combinations, each given once, short unique labels) and the
accuracy options."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imcsim.errors import ImcsimError

ACCURACY_KEYS = ("dataset", "samples", "seed", "batch_size")


@dataclass(frozen=True, slots=True)
class AccuracyOptions:
    """The options of :func:`imcsim.accuracy` that every combination shares."""

    dataset: str | None = None  # digits | random | FILE.npz (None: random)
    samples: int | None = None  # inputs (None: accuracy's default)
    seed: int = 0  # data sampling, programming, faults, reads
    batch_size: int = 32  # inputs per executor run

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ACCURACY_KEYS}


def as_list(given: Any, what: str) -> list[Any]:
    """One item or a sequence of them, as a list (a string is one item)."""
    if isinstance(given, str | os.PathLike) or not isinstance(given, Sequence):
        return [given]
    if not given:
        raise ImcsimError(f"compare: no {what} given")
    return list(given)


def check_count(models: int, archs: int) -> None:
    if models * archs < 2:
        raise ImcsimError(f"compare needs at least two combinations of model and architecture "
                          f"(got {models} × {archs}); give another --arch or model")


def labels(items: Sequence[tuple[str, str, str]], what: str) -> list[str]:
    """Column labels from ``(short, full, identity)`` per item: the short name (a file stem,
    a preset name) unless two clash, then the full one. The same identity (a resolved
    path) twice is refused."""
    seen: dict[str, str] = {}
    for _, full, identity in items:
        if identity in seen:
            also = "" if seen[identity] == full else f" (as {seen[identity]} too)"
            raise ImcsimError(f"{what} {full} is given twice{also}; give each once")
        seen[identity] = full
    shorts = [short for short, _, _ in items]
    return [short if shorts.count(short) == 1 else full for short, full, _ in items]


def file_identity(name: str | None, fallback: str) -> str:
    """A file's resolved path (one file named two ways is one input), else ``fallback``."""
    return str(Path(name).resolve()) if name is not None else fallback


def accuracy_options(given: bool | Mapping[str, Any] | AccuracyOptions | None
                     ) -> AccuracyOptions | None:
    """``None``/``False``: no accuracy; ``True``: :func:`imcsim.accuracy`'s defaults; a
    mapping of ``dataset``, ``samples``, ``seed``, ``batch_size``. Checked here, so a bad
    option is one error before any work rather than a failure in every column."""
    from imcsim.functional.datasets import DATASETS

    if given is None or given is False:
        return None
    if given is True:
        return AccuracyOptions()
    if isinstance(given, AccuracyOptions):
        options = given
    elif isinstance(given, Mapping):
        unknown = [k for k in given if k not in ACCURACY_KEYS]
        if unknown:
            raise ImcsimError(f"compare: accuracy option {unknown[0]!r} is not one of "
                              f"{', '.join(ACCURACY_KEYS)}")
        options = AccuracyOptions(**{k: v for k, v in given.items() if v is not None})
    else:
        raise ImcsimError("compare: accuracy= takes True, or a mapping of "
                          f"{', '.join(ACCURACY_KEYS)}")
    dataset = options.dataset
    if dataset is not None and dataset not in DATASETS:
        if not dataset.endswith(".npz"):
            raise ImcsimError(f"--dataset {dataset}: unknown data set; choose one of "
                              f"{', '.join(DATASETS)}, or a FILE.npz of your own")
        if not Path(dataset).is_file():
            raise ImcsimError(f"--dataset {dataset}: no such file")
    for option, value in (("--samples", options.samples), ("--batch-size", options.batch_size)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value < 1):
            raise ImcsimError(f"{option} {value}: must be a whole number ≥ 1")
    if isinstance(options.seed, bool) or not isinstance(options.seed, int) or not (
            0 <= options.seed < 2**63):
        raise ImcsimError(f"--seed {options.seed}: must be a whole number from 0 to 2^63 − 1")
    return options
