"""One design point → one result record, reusing everything that does not change.

An :class:`Evaluator` holds the frozen models and the base configs (one of each, or one
per value of the sweep's ``model`` and ``arch`` axes, each parsed once); it is shipped once
to each worker (process or Dask worker) and evaluates chunks of points there. Mappings are
cached by the model and the array facts that determine them (``arch.array_spec()`` and the
duplication mode), so a grid over ADC bits, energies or architectures with the same arrays
maps each model once per array shape.

A record is ``{"point", "id", "status", "config", ...}``: ``status`` is ``ok`` with the
sections of the compile report (``model``, ``arch``, ``mapping``, ``performance``,
``energy``, ``area``, ``adc``; per-layer rows are left out), plus ``accuracy`` (the
``accuracy`` block of ``imcsim accuracy --json``) when accuracy is swept and ``cycle`` (the
cycle-level run's section of ``imcsim compile --cycle``) with ``--cycle``; or ``invalid``
with ``reason``, the one-line error the same settings give ``imcsim compile``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping as Map
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from imcsim.compiler.mapping import ArraySpec, Mapping, map_network, parse_duplication
from imcsim.config import Arch
from imcsim.errors import ImcsimError
from imcsim.sweep.arches import ArchBuilder
from imcsim.sweep.model import FrozenNetwork
from imcsim.sweep.space import ARCH_KEY, DUPLICATION_KEY, MODEL_KEY, Scalar, point_id

REPORT_SECTIONS = ("model", "arch", "mapping", "performance", "energy", "area", "adc")
_MAPPING_CACHE = 256  # mappings kept per worker (ResNet-50: ~100 kB each)


@dataclass(frozen=True, slots=True)
class AccuracySpec:
    """Accuracy on the simulated hardware for every point (as ``imcsim accuracy``)."""

    dataset: str  # digits | random
    samples: int  # inputs per point
    batch_size: int = 32  # inputs per executor run; sets input scales and calibration


class Evaluator:
    """Evaluates points of a sweep whose models and base architectures are known by the
    values the sweep names them with (its ``model`` and ``arch`` axes, or the one of each)."""

    def __init__(self, models: Map[str, tuple[str, FrozenNetwork | None]],
                 arches: Map[str, ArchBuilder], duplication: str,
                 accuracy: AccuracySpec | None, seed: int, cycle: bool = False) -> None:
        # name (as the sweep gives it) -> (absolute path, hardware model parsed once)
        self.models = dict(models)
        self.arches = dict(arches)  # name (preset or file as given) -> its builder
        self.model = next(iter(self.models))  # of points that do not sweep the model
        self.arch = next(iter(self.arches))
        self.duplication = duplication
        self.accuracy = accuracy
        self.seed = seed
        self.cycle = cycle  # also the cycle-level run (the `cycle` section)
        self._mappings: dict[tuple[str, ArraySpec, str | int], Mapping] = {}
        self._functional: dict[str, Any] = {}

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_mappings"] = {}  # caches are rebuilt where the evaluator runs
        state["_functional"] = {}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def run(self, points: Sequence[tuple[int, dict[str, Scalar]]]) -> list[dict[str, Any]]:
        return [self.evaluate(i, values) for i, values in points]

    def evaluate(self, index: int, values: dict[str, Scalar]) -> dict[str, Any]:
        head: dict[str, Any] = {"point": index, "id": point_id(values)}
        model = str(values.get(MODEL_KEY, self.model))
        try:
            arch = self.arches[str(values.get(ARCH_KEY, self.arch))].build(values)
            if self.models[model][1] is None:  # an application (app:NAME)
                from imcsim.apps import app_name, run_app

                name = app_name(model)
                assert name is not None
                return {**head, "status": "ok", "config": values,
                        "app": _finite(run_app(name, arch, self.seed))}
            body = self._hardware(model, arch, values.get(DUPLICATION_KEY, self.duplication))
            if self.accuracy is not None:
                body["accuracy"] = self._accuracy(model, arch)
        except ImcsimError as e:
            return {**head, "status": "invalid", "reason": str(e), "config": values}
        except ArithmeticError as e:
            return {**head, "status": "invalid", "config": values,
                    "reason": f"arithmetic failed ({e.__class__.__name__}: {e}); a config value "
                    "or --set is probably extreme, use realistic values"}  # as compile says
        return {**head, "status": "ok", "config": values, **body}

    def mapping(self, model: str, arch: Arch, duplication: Any) -> Mapping:
        dup = parse_duplication(duplication if isinstance(duplication, int) else str(duplication))
        key = (model, arch.array_spec(), dup)
        m = self._mappings.get(key)
        if m is None:
            if len(self._mappings) >= _MAPPING_CACHE:
                self._mappings.pop(next(iter(self._mappings)))
            m = self._mappings[key] = map_network(self.models[model][1], key[1], dup)
        return m

    def _hardware(self, model: str, arch: Arch, duplication: Any) -> dict[str, Any]:
        from imcsim.report import compile_report
        from imcsim.sim import simulate

        net = self.models[model][1]
        mapping = self.mapping(model, arch, duplication)
        sim = simulate(net, mapping, arch)
        run = None
        if self.cycle:
            from imcsim.sim.cycle import simulate_cycles

            assert sim.workload is not None
            run = simulate_cycles(sim.workload)
        report = compile_report(net, mapping, sim, arch, run)
        return {k: _finite(report[k]) for k in (*REPORT_SECTIONS, *(("cycle",) if run else ()))}

    def _accuracy(self, model: str, arch: Arch) -> dict[str, Any]:
        from imcsim.accuracy_report import accuracy_report
        from imcsim.functional.accuracy import evaluate

        assert self.accuracy is not None
        net = self._functional_model(model)
        result = evaluate(net, arch, self.accuracy.dataset, self.accuracy.samples, self.seed)
        report = accuracy_report(net.name, net.batch, arch, result, self.accuracy.dataset, False)
        return _finite(report["accuracy"])

    def _functional_model(self, model: str) -> Any:
        """The model with its weights, imported as ``imcsim accuracy`` imports it (once)."""
        net = self._functional.get(model)
        if net is None:
            from imcsim.compiler.frontend import import_onnx
            from imcsim.compiler.passes import canonicalize

            assert self.accuracy is not None
            path = self.models[model][0]
            net = import_onnx(path)
            if net.batch_symbolic:
                net = import_onnx(path, batch=min(self.accuracy.batch_size, self.accuracy.samples))
            net = self._functional[model] = canonicalize(net, drop_views=False)
        return net


def _finite(value: Any) -> Any:
    """JSON has no infinities: a non-finite number becomes null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value
