"""The model of a sweep, parsed once and frozen for fast repeated simulation.

A hardware point needs the layer IR only, never the weights: the ONNX file is parsed once,
its constants dropped (ResNet-50: 200 MB → 50 kB pickled, so it ships cheaply to worker
processes and Dask workers), and the network frozen. :class:`FrozenNetwork` answers the
graph queries the mapper, simulator and report make many times per point (topological
order, predecessors, totals) from lists computed once; the answers are those of
:class:`Network` itself, so the reports are identical.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator
from pathlib import Path

from imcsim.compiler.ir import Layer, Network
from imcsim.errors import ImcsimError


class FrozenNetwork(Network):
    """A :class:`Network` whose structure no longer changes, with its queries cached."""

    def freeze(self) -> FrozenNetwork:
        self._layers = list(Network.layers(self))
        self._pred = {n: list(self.graph.predecessors(n)) for n in self.graph.nodes}
        self._succ = {n: list(self.graph.successors(n)) for n in self.graph.nodes}
        self._crossbar = [layer for layer in self._layers if layer.kind.is_crossbar]
        self._digital = [layer for layer in self._layers if not layer.kind.is_crossbar]
        self._totals = (Network.macs.fget(self), Network.weights.fget(self),  # type: ignore[attr-defined]
                        Network.parameters.fget(self), Network.digital_ops.fget(self))  # type: ignore[attr-defined]
        return self

    def add(self, layer: Layer) -> None:
        raise TypeError("a FrozenNetwork does not change")

    replace = add  # type: ignore[assignment]

    def connect(self) -> None:
        raise TypeError("a FrozenNetwork does not change")

    def layers(self) -> Iterator[Layer]:
        return iter(self._layers)

    def crossbar_layers(self) -> list[Layer]:
        return list(self._crossbar)

    def digital_layers(self) -> list[Layer]:
        return list(self._digital)

    def predecessors(self, name: str) -> list[str]:
        return self._pred[name]

    def successors(self, name: str) -> list[str]:
        return self._succ[name]

    @property
    def macs(self) -> int:
        return self._totals[0]

    @property
    def weights(self) -> int:
        return self._totals[1]

    @property
    def parameters(self) -> int:
        return self._totals[2]

    @property
    def digital_ops(self) -> int:
        return self._totals[3]


def freeze(net: Network) -> FrozenNetwork:
    """``net`` without its constants (weights), frozen."""
    fields = {f.name: getattr(net, f.name) for f in dataclasses.fields(Network)}
    fields["constants"] = None
    return FrozenNetwork(**fields).freeze()


def load_hardware_model(path: str) -> FrozenNetwork:
    """Parse and canonicalise the ONNX file as ``imcsim compile`` does, then freeze it."""
    from imcsim.compiler.frontend import import_onnx
    from imcsim.compiler.passes import canonicalize

    return freeze(canonicalize(import_onnx(path)))


def file_sha256(path: str) -> str:
    h = hashlib.sha256()
    try:
        with Path(path).open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except OSError as e:
        raise ImcsimError(f"{path}: cannot read the model ({e.strerror or e})") from None
    return h.hexdigest()
