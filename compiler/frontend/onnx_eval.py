"""Evaluate one ONNX op on NumPy arrays with ONNX's own reference implementation.

The functional simulator runs its hot ops in NumPy and falls back to this for the long
tail of digital ops (Gather, Slice, Where, Expand, LayerNormalization, …), so every op the
front end recognises can execute. Keeping it here keeps ``onnx`` behind the front end.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import onnx
from imcsim.compiler.errors import ModelError
from onnx.reference import ReferenceEvaluator


def evaluate(op: str, domain: str, attrs: dict[str, object], inputs: Sequence[np.ndarray | None],
             n_outputs: int, opset: int, where: str = "") -> list[np.ndarray]:
    in_names = [f"i{k}" if v is not None else "" for k, v in enumerate(inputs)]
    out_names = [f"o{k}" for k in range(n_outputs)]
    node = onnx.helper.make_node(op, in_names, out_names, domain=domain or None, **attrs)
    try:
        ref = ReferenceEvaluator(node, opsets={domain or "": opset})
        return list(ref.run(None, {n: v for n, v in zip(in_names, inputs, strict=True) if n}))
    except Exception as e:
        raise ModelError(f"cannot execute {op} node '{where}': {e.__class__.__name__}: "
                         f"{str(e).splitlines()[0] if str(e) else ''}") from None
