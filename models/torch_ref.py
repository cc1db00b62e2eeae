"""Shared helpers for the PyTorch reference exports (needs torch; not imported by imcsim).

Used by ``models/export_torch.py`` (big model zoo) and ``models/export_torch_fixtures.py``
(tiny committed fixtures).  Three jobs:

* ``count_module``: MACs / weight counts computed from the torch modules themselves
  (forward hooks), i.e. the reference the ONNX front end must reproduce.
* ``export_onnx``: one export with either torch exporter (TorchScript or dynamo).
* ``verify_onnx`` / ``op_summary``: run a file with onnxruntime against torch and describe
  what the exporter wrote (op types, functions, transposed weights, ...).

Counting rules (see the field docs in ``count_module``):
  Conv  : out.numel() * (in_channels / groups) * prod(kernel_size)
  ConvT : in.numel()  * (out_channels / groups) * prod(kernel_size)
  Linear: out.numel() * in_features
  nn.MultiheadAttention (runs its projections functionally, Linear hooks do not fire):
          in_proj  = tokens_q*E*E + tokens_k*E*kdim + tokens_v*E*vdim
          out_proj = tokens_q*E*E (skipped if the out_proj Linear hook already fired)
          attention (activation x activation) = 2 * N * Lq * Lk * E
  nn.LSTM/GRU/RNN: per layer, direction, time step and batch row: G*H*(I+H), G = 4/3/1
  transformers BERT self attention: attention = 2 * B * L * L * all_head_size
"""

from __future__ import annotations

import collections
import math
import os
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn as nn

_RNN_GATES = {nn.LSTM: 4, nn.GRU: 3, nn.RNN: 1}


def _tensor_of(args: Sequence[Any], kwargs: dict, idx: int, name: str):
    if len(args) > idx:
        return args[idx]
    return kwargs.get(name)


def count_module(model: nn.Module, inputs: Sequence[torch.Tensor]) -> dict:
    """Run ``model(*inputs)`` once (no grad) with hooks and return the torch-side counts.

    Returned fields:
      macs            multiply-accumulates of all weight-matrix layers (Conv*, Linear, MHA
                      projections, RNN gate matmuls) for this forward pass
      weights         elements of those layers' weight matrices (Conv/Linear .weight, MHA
                      in_proj_weight / q,k,v_proj_weight, RNN weight_ih/weight_hh); no biases,
                      norms or embeddings; shared tensors counted once; only layers that ran
      params          sum(p.numel() for p in model.parameters())
      attention_macs  activation x activation matmuls (Q.K^T and attn.V); only if > 0
      embedding_params elements of nn.Embedding weights; only if the model has embeddings
      layers          per layer: name, kind, macs, weight_shape(s)
    """
    layers: list[dict] = []
    fired: list[int] = []  # id() of Linear modules in call order (for MHA out_proj dedup)
    seen_weights: dict[int, int] = {}  # id(param) -> numel (dedup shared weights)
    attention = [0]
    names = {id(m): n for n, m in model.named_modules()}
    handles = []

    def add_weight(p: torch.Tensor) -> None:
        seen_weights.setdefault(id(p), p.numel())

    def conv_hook(m, inp, out):
        k = math.prod(m.kernel_size)
        if isinstance(m, nn.modules.conv._ConvTransposeNd):
            macs = inp[0].numel() * (m.out_channels // m.groups) * k
        else:
            macs = out.numel() * (m.in_channels // m.groups) * k
        add_weight(m.weight)
        layers.append(
            {
                "name": names.get(id(m), "?"),
                "kind": type(m).__name__,
                "macs": int(macs),
                "weight_shape": list(m.weight.shape),
            }
        )

    def linear_hook(m, inp, out):
        fired.append(id(m))
        macs = out.numel() * m.in_features
        add_weight(m.weight)
        layers.append(
            {
                "name": names.get(id(m), "?"),
                "kind": "Linear",
                "macs": int(macs),
                "weight_shape": list(m.weight.shape),
            }
        )

    mha_start: dict[int, int] = {}

    def mha_pre(m, args, kwargs):
        mha_start[id(m)] = len(fired)

    def mha_hook(m, args, kwargs, out):
        q = _tensor_of(args, kwargs, 0, "query")
        k = _tensor_of(args, kwargs, 1, "key")
        v = _tensor_of(args, kwargs, 2, "value")
        E = m.embed_dim
        nq, nk, nv = q.numel() // E, k.numel() // m.kdim, v.numel() // m.vdim
        if q.dim() == 3:
            Lq = q.shape[1] if m.batch_first else q.shape[0]
            Lk = k.shape[1] if m.batch_first else k.shape[0]
            N = q.shape[0] if m.batch_first else q.shape[1]
        else:  # unbatched (L, E)
            Lq, Lk, N = q.shape[0], k.shape[0], 1
        in_macs = nq * E * E + nk * E * m.kdim + nv * E * m.vdim
        if m.in_proj_weight is not None:
            add_weight(m.in_proj_weight)
            wshape = [list(m.in_proj_weight.shape)]
        else:
            for p in (m.q_proj_weight, m.k_proj_weight, m.v_proj_weight):
                add_weight(p)
            wshape = [list(p.shape) for p in (m.q_proj_weight, m.k_proj_weight, m.v_proj_weight)]
        name = names.get(id(m), "?")
        layers.append(
            {
                "name": name + ".in_proj",
                "kind": "MHA.in_proj",
                "macs": int(in_macs),
                "weight_shape": wshape if len(wshape) > 1 else wshape[0],
            }
        )
        if id(m.out_proj) not in fired[mha_start.pop(id(m)) :]:
            add_weight(m.out_proj.weight)
            layers.append(
                {
                    "name": name + ".out_proj",
                    "kind": "MHA.out_proj",
                    "macs": int(nq * E * E),
                    "weight_shape": list(m.out_proj.weight.shape),
                }
            )
        attention[0] += 2 * N * Lq * Lk * E

    def rnn_hook(m, inp, out):
        x = inp[0]
        if isinstance(x, nn.utils.rnn.PackedSequence):
            raise NotImplementedError("PackedSequence input")
        if getattr(m, "proj_size", 0):
            raise NotImplementedError("LSTM proj_size")
        if x.dim() == 2:
            T, N = x.shape[0], 1
        else:
            T, N = (x.shape[1], x.shape[0]) if m.batch_first else (x.shape[0], x.shape[1])
        G = _RNN_GATES[type(m)]
        H = m.hidden_size
        dirs = 2 if m.bidirectional else 1
        name = names.get(id(m), "?")
        for layer in range(m.num_layers):
            in_size = m.input_size if layer == 0 else H * dirs
            for d in range(dirs):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                w_ih, w_hh = getattr(m, "weight_ih" + sfx), getattr(m, "weight_hh" + sfx)
                add_weight(w_ih)
                add_weight(w_hh)
                layers.append(
                    {
                        "name": f"{name}{sfx}",
                        "kind": type(m).__name__,
                        "macs": int(T * N * G * H * (in_size + H)),
                        "weight_shape": [list(w_ih.shape), list(w_hh.shape)],
                    }
                )

    def bert_attn_hook(m, args, kwargs, out):
        hs = _tensor_of(args, kwargs, 0, "hidden_states")
        B, L = hs.shape[0], hs.shape[1]
        attention[0] += 2 * B * L * L * m.all_head_size

    for mod in model.modules():
        if isinstance(mod, nn.modules.conv._ConvNd):
            handles.append(mod.register_forward_hook(conv_hook))
        elif isinstance(mod, nn.Linear):
            handles.append(mod.register_forward_hook(linear_hook))
        elif isinstance(mod, nn.MultiheadAttention):
            handles.append(mod.register_forward_pre_hook(mha_pre, with_kwargs=True))
            handles.append(mod.register_forward_hook(mha_hook, with_kwargs=True))
        elif type(mod) in _RNN_GATES:
            handles.append(mod.register_forward_hook(rnn_hook))
        elif type(mod).__name__ in ("BertSelfAttention",):
            handles.append(mod.register_forward_hook(bert_attn_hook, with_kwargs=True))
    try:
        with torch.no_grad():
            model(*inputs)
    finally:
        for h in handles:
            h.remove()

    res: dict[str, Any] = {
        "macs": int(sum(layer["macs"] for layer in layers)),
        "weights": int(sum(seen_weights.values())),
        "params": int(sum(p.numel() for p in model.parameters())),
    }
    if attention[0]:
        res["attention_macs"] = int(attention[0])
    emb = [m for m in model.modules() if isinstance(m, nn.Embedding)]
    if emb:
        res["embedding_params"] = int(sum(m.weight.numel() for m in emb))
    res["num_weight_layers"] = len(layers)
    res["layers"] = layers
    return res


def input_spec(inputs: Sequence[torch.Tensor]) -> list[dict]:
    return [{"shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", "")} for t in inputs]


# --------------------------------------------------------------------------- export


def export_onnx(
    model: nn.Module,
    inputs: Sequence[torch.Tensor],
    path: str,
    exporter: str,
    opset: int | None = None,
    input_names: Sequence[str] | None = None,
    output_names: Sequence[str] | None = None,
    dynamic_axes: dict | None = None,
    dynamic_shapes: Any = None,
    external_data: bool = False,
) -> float:
    """Export with one of torch's exporters; return seconds taken.

    torchscript: torch.onnx.export(..., dynamo=False, opset_version=opset or 17)
    dynamo     : torch.onnx.export(..., dynamo=True) with the exporter's default opset and
                 optimize=True.  ``external_data=False`` keeps weights inline (torch still
                 switches to external data on its own above 2 GB); torch's own default for
                 dynamo=True with a file name is external_data=True.
    """
    t0 = time.time()
    args = tuple(inputs)
    if exporter == "torchscript":
        torch.onnx.export(
            model,
            args,
            path,
            dynamo=False,
            opset_version=opset or 17,
            input_names=list(input_names) if input_names else None,
            output_names=list(output_names) if output_names else None,
            dynamic_axes=dynamic_axes,
        )
    elif exporter == "dynamo":
        kw: dict[str, Any] = {}
        if opset:
            kw["opset_version"] = opset
        if dynamic_shapes is not None:
            kw["dynamic_shapes"] = dynamic_shapes
        torch.onnx.export(model, args, path, dynamo=True, external_data=external_data, **kw)
    else:
        raise ValueError(exporter)
    return time.time() - t0


# --------------------------------------------------------------------------- verify


def _flatten_outputs(out: Any) -> list[torch.Tensor]:
    if isinstance(out, torch.Tensor):
        return [out]
    if isinstance(out, dict):
        out = list(out.values())
    if isinstance(out, (list, tuple)):
        res: list[torch.Tensor] = []
        for o in out:
            res.extend(_flatten_outputs(o))
        return res
    if out is None:
        return []
    raise TypeError(type(out))


def torch_outputs(model: nn.Module, inputs: Sequence[torch.Tensor]) -> list[np.ndarray]:
    with torch.no_grad():
        return [t.detach().numpy() for t in _flatten_outputs(model(*inputs))]


def verify_onnx(
    path: str, inputs: Sequence[torch.Tensor], ref: list[np.ndarray], rtol: float = 1e-4
) -> dict:
    """Run ``path`` in onnxruntime (CPU) and compare to the torch outputs ``ref``.

    rel_err = max|ort - torch| / max|torch| per output (worst output reported).
    """
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.log_severity_level = 3
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    feeds = {}
    for i, inp in enumerate(sess.get_inputs()):
        feeds[inp.name] = inputs[i].numpy()
    t0 = time.time()
    outs = sess.run(None, feeds)
    dt = time.time() - t0
    res: dict[str, Any] = {"ort_s": round(dt, 3), "n_outputs": len(outs)}
    if len(outs) != len(ref):
        res.update(ok=False, error=f"{len(outs)} ORT outputs vs {len(ref)} torch outputs")
        return res
    worst, finite = 0.0, True
    for o, r in zip(outs, ref, strict=True):
        if o.shape != r.shape:
            res.update(ok=False, error=f"shape {o.shape} vs torch {r.shape}")
            return res
        finite = finite and bool(np.isfinite(o).all())
        denom = float(np.abs(r).max()) or 1.0
        err = float(np.abs(o.astype(np.float64) - r.astype(np.float64)).max()) / denom
        worst = max(worst, err)
    res.update(ok=bool(finite and worst <= rtol), finite=finite, rel_err=worst)
    return res


# --------------------------------------------------------------------------- describe


def _walk_nodes(graph, prefix=""):
    for node in graph.node:
        yield node
        for attr in node.attribute:
            if attr.g is not None and attr.g.node:
                yield from _walk_nodes(attr.g)
            for g in attr.graphs:
                yield from _walk_nodes(g)


def _key(node) -> str:
    return f"{node.domain or 'ai.onnx'}::{node.op_type}"


def op_summary(path: str) -> dict:
    """Describe an exported file: op types (incl. domain), functions, opsets, odd patterns."""
    import onnx

    m = onnx.load(path, load_external_data=False)
    g = m.graph
    ops = collections.Counter(_key(n) for n in _walk_nodes(g))
    fn_ops = collections.Counter()
    for f in m.functions:
        for n in f.node:
            fn_ops[_key(n)] += 1
    inits = {i.name for i in g.initializer}
    # Constant nodes also carry weights in some exports
    const_out = {n.output[0] for n in g.node if n.op_type == "Constant"}
    weightish = inits | const_out
    transposed_weights = [
        n.input[0] for n in g.node if n.op_type == "Transpose" and n.input[0] in weightish
    ]
    matmul_const = sum(
        1 for n in g.node if n.op_type == "MatMul" and len(n.input) > 1 and n.input[1] in weightish
    )
    gemm = sum(1 for n in g.node if n.op_type == "Gemm")
    gemm_transB = sum(
        1
        for n in g.node
        if n.op_type == "Gemm" and any(a.name == "transB" and a.i == 1 for a in n.attribute)
    )
    ext = any(i.data_location == onnx.TensorProto.EXTERNAL for i in g.initializer)

    # Where do the weight operands come from?  "init": an initializer / Constant directly;
    # "derived<-Op": computed only from constants, last op Op (e.g. Slice/Concat gate
    # reordering of LSTM weights, Transpose of a Linear weight); "activation": runtime data.
    producer = {o: n for n in g.node for o in n.output}
    graph_inputs = {i.name for i in g.input} - inits
    memo: dict[str, bool] = {}

    def is_const(name: str) -> bool:
        if name in memo:
            return memo[name]
        memo[name] = False  # cycle guard
        if name == "" or name in weightish:
            r = True
        elif name in graph_inputs or name not in producer:
            r = False
        else:
            n = producer[name]
            r = n.op_type not in ("Shape", "Size") and all(is_const(i) for i in n.input if i)
        memo[name] = r
        return r

    slots = {
        "Conv": (1,),
        "ConvTranspose": (1,),
        "Gemm": (1,),
        "MatMul": (1,),
        "LSTM": (1, 2),
        "GRU": (1, 2),
        "RNN": (1, 2),
    }
    weight_src = collections.Counter()
    for n in _walk_nodes(g):
        for k in slots.get(n.op_type, ()):
            if k >= len(n.input):
                continue
            name = n.input[k]
            if name in weightish:
                src = "init"
            elif is_const(name):
                src = "derived<-" + producer[name].op_type
            else:
                src = "activation"
            weight_src[f"{n.op_type}[{k}]:{src}"] += 1

    def dims(vi):
        t = vi.type.tensor_type
        return [d.dim_param if d.dim_param else d.dim_value for d in t.shape.dim]

    return {
        "opset_import": {(o.domain or "ai.onnx"): o.version for o in m.opset_import},
        "ir_version": m.ir_version,
        "producer": f"{m.producer_name} {m.producer_version}".strip(),
        "ops": dict(sorted(ops.items())),
        "functions": [f"{f.domain}::{f.name}" for f in m.functions],
        "function_ops": dict(sorted(fn_ops.items())),
        "n_initializers": len(g.initializer),
        "n_constant_nodes": len(const_out),
        "transposed_weights": len(transposed_weights),
        "matmul_const_B": matmul_const,
        "gemm": gemm,
        "gemm_transB": gemm_transB,
        "weight_sources": dict(sorted(weight_src.items())),
        "external_data": ext,
        "inputs": {i.name: dims(i) for i in g.input if i.name not in inits},
        "outputs": {o.name: dims(o) for o in g.output},
        "size_bytes": os.path.getsize(path),
    }
