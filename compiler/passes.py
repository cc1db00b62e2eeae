"""Graph passes over the layer network, with one contract (after onnx-ir's pass infra).

A pass takes a :class:`Network`, changes it in place, and returns a :class:`PassResult`
saying whether anything changed. :class:`PassManager` runs passes in order and names the
pass that failed. Identity, Dropout and Constant nodes are already folded by the loader
(they carry no layer); the passes here work on layers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from imcsim.compiler.errors import ImcsimError
from imcsim.compiler.ir import DigitalKind, LayerKind, Network


@dataclass(frozen=True, slots=True)
class PassResult:
    network: Network
    modified: bool


class Pass:
    """Base class: override :meth:`call`; optionally :meth:`requires` / :meth:`ensures`."""

    name = "pass"

    def requires(self, net: Network) -> None:  # precondition check
        del net

    def call(self, net: Network) -> PassResult:
        raise NotImplementedError

    def ensures(self, net: Network) -> None:  # postcondition check
        del net

    def __call__(self, net: Network) -> PassResult:
        self.requires(net)
        result = self.call(net)
        self.ensures(result.network)
        return result


class PassError(ImcsimError):
    pass


class PassManager:
    def __init__(self, passes: Sequence[Pass]) -> None:
        self.passes = list(passes)

    def __call__(self, net: Network) -> PassResult:
        modified = False
        for p in self.passes:
            try:
                result = p(net)
            except ImcsimError:
                raise
            except Exception as e:  # a bug in a pass: say which one
                raise PassError(f"pass '{p.name}' failed on model '{net.name}': {e!r}") from e
            net, modified = result.network, modified or result.modified
        return PassResult(net, modified)


class FoldBatchNorm(Pass):
    """Fold a BatchNormalization into the Conv that alone feeds it.

    The BN's scale and shift become the conv's weights and bias (the weights are rescaled
    per output channel), so the BN costs nothing at run time. A BN that follows anything
    else (a Concat in DenseNet, a Conv whose output is also used elsewhere) stays a
    digital op.
    """

    name = "fold-batchnorm"

    def call(self, net: Network) -> PassResult:
        modified = False
        for bn in list(net.layers()):
            if bn.op != "BatchNormalization" or len(bn.inputs) != 1:
                continue
            preds = net.predecessors(bn.name)
            if len(preds) != 1:
                continue
            conv = net.layer(preds[0])
            if conv.kind is not LayerKind.CONV or len(net.successors(conv.name)) != 1:
                continue
            if len(conv.outputs) != 1 or conv.outputs[0] != bn.inputs[0]:
                continue
            assert conv.crossbar is not None
            work = replace(conv.crossbar, has_bias=True,
                           norm_params=conv.crossbar.norm_params + bn.params)
            # what a functional simulator needs to fold the weights numerically
            scale, shift, mean, var = bn.node_inputs[1:5]
            note = ("folded_bn", (bn.name, scale, shift, mean, var, bn.attr("epsilon", 1e-5)))
            folded = conv.with_(outputs=bn.outputs, crossbar=work, params=conv.params + bn.params,
                                attrs=conv.attrs + (note,), node_outputs=bn.node_outputs)
            net.graph.remove_node(bn.name)
            net.replace(folded)
            modified = True
        if modified:
            net.connect()
        return PassResult(net, modified)


class DropViews(Pass):
    """Remove zero-cost view layers (Reshape, Flatten, Squeeze, ...) by rewiring around them.

    A view moves no data in a row-major buffer, so the layer pipeline and the report are
    clearer without it. Views that are graph outputs stay.
    """

    name = "drop-views"

    def call(self, net: Network) -> PassResult:
        rename: dict[str, str] = {}
        removed = False
        for layer in list(net.layers()):
            if layer.digital is None or layer.digital.kind is not DigitalKind.VIEW:
                continue
            if len(layer.inputs) != 1 or len(layer.outputs) != 1 or layer.outputs[0] in net.outputs:
                continue
            src = rename.get(layer.inputs[0], layer.inputs[0])
            rename[layer.outputs[0]] = src
            net.graph.remove_node(layer.name)
            removed = True
        if removed:
            for name in list(net.graph.nodes):
                layer = net.layer(name)
                if any(i in rename for i in layer.inputs):
                    net.replace(layer.with_(inputs=tuple(rename.get(i, i) for i in layer.inputs)))
            net.connect()
        return PassResult(net, removed)


def canonicalize(net: Network, drop_views: bool = True) -> Network:
    """The default pipeline after import (a functional simulator keeps the views)."""
    passes: list[Pass] = [FoldBatchNorm()]
    if drop_views:
        passes.append(DropViews())
    return PassManager(passes)(net).network
