#!/usr/bin/env python
"""Export the reference model zoo with both of torch's ONNX exporters (needs torch).

    python models/export_torch.py --out DIR [--models a,b] [--exporters torchscript,dynamo]
                                  [--opset N] [--timeout S] [--no-verify] [--external-data]

Writes, for every model and exporter, ``DIR/<model>.<exporter>.onnx`` and

* ``DIR/torch_counts.json``  counts computed from the torch modules (see models/torch_ref.py):
  macs, weights, params, attention_macs (ViT, BERT), embedding_params (BERT), per-layer list.
* ``DIR/export_report.json`` per model and exporter: ok / error, seconds, onnxruntime check,
  op types and other details of the written file.

Both JSON files are merged with what is already in DIR, so models can be exported in
several runs.  All models are randomly initialised (torch.manual_seed(0), weights=None),
in eval mode, at batch 1.  With ``--timeout S`` each export runs in a separate process that
is killed after S seconds (reported as a failure).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import time
import traceback

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_ref  # noqa: E402

TV_MODELS = [
    "resnet18",
    "resnet34",
    "resnet50",
    "vgg16",
    "mobilenet_v2",
    "efficientnet_b0",
    "densenet121",
    "googlenet",
    "squeezenet1_1",
    "convnext_tiny",
    "vit_b_16",
]
ALL_MODELS = TV_MODELS + ["bert_base", "lstm2"]
EXPORTERS = ["torchscript", "dynamo"]


class BertWrapper(nn.Module):
    """BertModel -> (last_hidden_state, pooler_output) with positional tensor inputs."""

    def __init__(self, bert):
        super().__init__()
        self.bert = bert

    def forward(self, input_ids, attention_mask):
        out = self.bert(input_ids=input_ids, attention_mask=attention_mask)
        return out.last_hidden_state, out.pooler_output


class LSTMClassifier(nn.Module):
    """nn.LSTM(batch_first=True) followed by a Linear on the last time step."""

    def __init__(self, input_size=64, hidden_size=128, num_layers=2, num_classes=10):
        super().__init__()
        self.lstm = nn.LSTM(
            input_size=input_size, hidden_size=hidden_size, num_layers=num_layers, batch_first=True
        )
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        y, _ = self.lstm(x)
        return self.fc(y[:, -1, :])


def build(name: str):
    """Return (model, inputs, input_names, output_names); seeded, eval mode."""
    torch.manual_seed(0)
    if name in TV_MODELS:
        import torchvision

        kw = {"aux_logits": False, "init_weights": True} if name == "googlenet" else {}
        model = getattr(torchvision.models, name)(weights=None, **kw).eval()
        if name == "vit_b_16":
            # torchvision zero-initialises the ViT head, so the output would be all zeros and the
            # onnxruntime comparison meaningless; give it random weights (counts are unaffected).
            nn.init.normal_(model.heads.head.weight, std=0.02)
        inputs = [torch.randn(1, 3, 224, 224)]
        return model, inputs, ["input"], ["output"]
    if name == "bert_base":
        from transformers import BertConfig, BertModel

        bert = BertModel(BertConfig())  # bert-base sized: 12 layers, hidden 768, 12 heads
        model = BertWrapper(bert).eval()
        g = torch.Generator().manual_seed(0)
        ids = torch.randint(0, bert.config.vocab_size, (1, 128), generator=g, dtype=torch.int64)
        mask = torch.ones(1, 128, dtype=torch.int64)
        mask[:, 96:] = 0  # some padding so the mask path does something
        return (
            model,
            [ids, mask],
            ["input_ids", "attention_mask"],
            ["last_hidden_state", "pooler_output"],
        )
    if name == "lstm2":
        model = LSTMClassifier().eval()
        return model, [torch.randn(1, 20, 64)], ["input"], ["output"]
    raise KeyError(name)


def _export_job(name, exporter, path, opset, external_data):
    """Build and export one model (also the body of the child process)."""
    model, inputs, in_names, out_names = build(name)
    return torch_ref.export_onnx(
        model,
        inputs,
        path,
        exporter,
        opset=opset,
        input_names=in_names,
        output_names=out_names,
        external_data=external_data,
    )


def _child(q, *a):
    try:
        import warnings

        warnings.filterwarnings("ignore")
        q.put(("ok", _export_job(*a)))
    except BaseException as e:  # noqa: BLE001
        q.put(("error", f"{type(e).__name__}: {str(e)[:2000]}\n{traceback.format_exc()[-3000:]}"))


def run_export(name, exporter, path, opset, external_data, timeout):
    if not timeout:
        try:
            return "ok", _export_job(name, exporter, path, opset, external_data)
        except Exception as e:  # noqa: BLE001
            return "error", f"{type(e).__name__}: {str(e)[:2000]}\n{traceback.format_exc()[-3000:]}"
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_child, args=(q, name, exporter, path, opset, external_data))
    t0 = time.time()
    p.start()
    while p.is_alive() and time.time() - t0 < timeout:
        p.join(1.0)
        if not q.empty():
            break
    try:
        status, val = q.get(timeout=5)
    except Exception:  # noqa: BLE001
        status, val = (
            "error",
            f"timeout after {timeout} s" if p.is_alive() else f"child died rc={p.exitcode}",
        )
    if p.is_alive():
        p.kill()
    p.join()
    return status, val


def _load(path):
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    return {}


def _save(path, data):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=1)
    os.replace(tmp, path)


def write_op_types(report: dict, path: str) -> None:
    """Union of node op types (domain::op, incl. subgraphs and functions) per exporter."""
    import collections

    per_exp: dict[str, collections.Counter] = {}
    where: dict[str, dict[str, list]] = {}
    for model, exps in report.items():
        for exp, e in exps.items():
            if not e.get("ok"):
                continue
            ops = dict(e.get("ops", {}))
            for k, n in e.get("function_ops", {}).items():
                ops["(function) " + k] = ops.get("(function) " + k, 0) + n
            per_exp.setdefault(exp, collections.Counter()).update(ops)
            for k in ops:
                where.setdefault(exp, {}).setdefault(k, []).append(model)
    lines = ["# op types in the exported zoo: domain::op_type  total_nodes  models", ""]
    for exp in sorted(per_exp):
        lines.append(f"[{exp}]  ({len(per_exp[exp])} op types)")
        for k in sorted(per_exp[exp]):
            ms = where[exp][k]
            lines.append(f"{k:40s} {per_exp[exp][k]:6d}  {','.join(ms) if len(ms) < 13 else 'all'}")
        lines.append("")
    with open(path, "w") as f:
        f.write("\n".join(lines))


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--out", required=True)
    ap.add_argument("--models", default=",".join(ALL_MODELS), help="comma list; default: all")
    ap.add_argument("--exporters", default="torchscript,dynamo")
    ap.add_argument(
        "--opset",
        type=int,
        default=None,
        help="opset for both exporters (default: 17 for torchscript, exporter default for dynamo)",
    )
    ap.add_argument(
        "--timeout", type=float, default=0, help="seconds per export (0: no limit, same process)"
    )
    ap.add_argument("--no-verify", action="store_true", help="skip the onnxruntime check")
    ap.add_argument(
        "--external-data",
        action="store_true",
        help="dynamo: always write weights to <file>.data (torch's default for dynamo=True)",
    )
    a = ap.parse_args(argv)

    models = [m for m in a.models.split(",") if m]
    exporters = [e for e in a.exporters.split(",") if e]
    for m in models:
        if m not in ALL_MODELS:
            ap.error(f"unknown model {m}; known: {','.join(ALL_MODELS)}")
    for e in exporters:
        if e not in EXPORTERS:
            ap.error(f"unknown exporter {e}")
    os.makedirs(a.out, exist_ok=True)
    counts_path = os.path.join(a.out, "torch_counts.json")
    report_path = os.path.join(a.out, "export_report.json")
    counts, report = _load(counts_path), _load(report_path)

    rows = []
    for name in models:
        model, inputs, _, _ = build(name)
        c = torch_ref.count_module(model, inputs)
        c["inputs"] = torch_ref.input_spec(inputs)
        counts[name] = c
        _save(counts_path, counts)
        ref = None if a.no_verify else torch_ref.torch_outputs(model, inputs)
        print(
            f"{name}: macs={c['macs']:,} weights={c['weights']:,} params={c['params']:,}",
            flush=True,
        )
        for exporter in exporters:
            suffix = f".opset{a.opset}" if a.opset else ""
            fname = f"{name}.{exporter}{suffix}.onnx"
            path = os.path.join(a.out, fname)
            for stale in (
                path,
                path + ".data",
                os.path.join(a.out, f"{name}.{exporter}{suffix}.data"),
            ):
                if os.path.exists(stale):
                    os.remove(stale)
            t0 = time.time()
            status, val = run_export(name, exporter, path, a.opset, a.external_data, a.timeout)
            entry = {"file": fname, "export_s": round(time.time() - t0, 1), "ok": status == "ok"}
            if status != "ok":
                entry["error"] = val
                print(
                    f"  {exporter:11s} FAILED after {entry['export_s']} s: {val.splitlines()[0]}",
                    flush=True,
                )
            else:
                try:
                    entry.update(torch_ref.op_summary(path))
                except Exception as e:  # noqa: BLE001
                    entry["summary_error"] = repr(e)
                if ref is not None:
                    try:
                        entry["ort"] = torch_ref.verify_onnx(path, inputs, ref)
                    except Exception as e:  # noqa: BLE001
                        entry["ort"] = {
                            "ok": False,
                            "error": f"{type(e).__name__}: {str(e)[:1000]}",
                        }
                v = entry.get("ort", {})
                print(
                    f"  {exporter:11s} {entry['export_s']:7.1f} s  opset={entry.get('opset_import', {}).get('ai.onnx')}"
                    f"  ort_ok={v.get('ok')} rel_err={v.get('rel_err', v.get('error'))}",
                    flush=True,
                )
            report.setdefault(name, {})[exporter + suffix] = entry
            _save(report_path, report)
            rows.append((name, exporter + suffix, entry))
        del model

    write_op_types(report, os.path.join(a.out, "op_types.txt"))
    print()
    print(
        f"{'model':16s} {'exporter':14s} {'export':>6s} {'opset':>5s} {'MB':>7s} {'ort':>5s} {'rel_err':>9s}"
    )
    for name, exp, e in rows:
        v = e.get("ort", {})
        err = v.get("rel_err")
        print(
            f"{name:16s} {exp:14s} {('ok' if e['ok'] else 'FAIL'):>6s} "
            f"{str(e.get('opset_import', {}).get('ai.onnx', '-')):>5s} "
            f"{e.get('size_bytes', 0) / 1e6:7.1f} {str(v.get('ok', '-')):>5s} "
            f"{(f'{err:.1e}' if err is not None else '-'):>9s}"
        )
    return 0 if all(e["ok"] and e.get("ort", {}).get("ok", True) for _, _, e in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
