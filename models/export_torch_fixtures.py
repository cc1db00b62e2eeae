#!/usr/bin/env python
"""Make the tiny PyTorch-exported ONNX fixtures in tests/fixtures/torch/ (needs torch).

    python models/export_torch_fixtures.py [--out tests/fixtures/torch] [--no-verify]

Small real torch modules (mostly torchvision / transformers building blocks) that cover
the op patterns of the big zoo in models/export_torch.py, each exported with BOTH torch
exporters:

    <name>.torchscript.onnx   torch.onnx.export(..., dynamo=False, opset_version=17)
    <name>.dynamo.onnx        torch.onnx.export(..., dynamo=True)  (default opset, optimized)

tiny_lstm_wide (not in the original list) has LSTM weights too big for the dynamo exporter's
constant folding (> 8192 elements), so they reach the LSTM node through Slice/Concat.
Plus tiny_resnet extras: TorchScript at opset 11 and 21 (``.torchscript.opset11.onnx``,
``.torchscript.opset21.onnx``), and ``tiny_resnet.external.onnx`` + ``tiny_resnet.external.data``
(the opset-17 TorchScript export re-saved with onnx.save_model(save_as_external_data=True,
all_tensors_to_one_file=True, size_threshold=0)).

All shapes are fixed, except the batch dim of tiny_resnet.torchscript.onnx (dim_param "batch").

``counts.json`` holds the torch-side counts of every fixture (see models/torch_ref.py):
macs, weights, params, attention_macs, embedding_params, per-layer list, and the files.
``export_report.json`` describes each written file (ops, opsets, onnxruntime check).
Everything is seeded (torch.manual_seed(0)) so reruns give the same numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import torch_ref  # noqa: E402
from export_torch import BertWrapper, LSTMClassifier  # noqa: E402

DEFAULT_OUT = os.path.join(os.path.dirname(HERE), "tests", "fixtures", "torch")


def randomize_norms(model: nn.Module) -> nn.Module:
    """Give BatchNorm / LayerNorm non-trivial affine params and running stats (seeded by caller).

    With the default init BN is an identity in eval mode, which would hide folding mistakes.
    """
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
            if (
                isinstance(m, (nn.modules.batchnorm._BatchNorm, nn.LayerNorm))
                and m.weight is not None
            ):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    return model


# --------------------------------------------------------------------------- modules


class TinyResNet(nn.Module):
    """ResNet stem + torchvision BasicBlocks (one with downsample) + avgpool + fc."""

    def __init__(self, num_classes=10):
        super().__init__()
        from torchvision.models.resnet import BasicBlock, conv1x1

        self.conv1 = nn.Conv2d(3, 8, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = BasicBlock(8, 8)
        self.layer2 = BasicBlock(
            8, 16, stride=2, downsample=nn.Sequential(conv1x1(8, 16, 2), nn.BatchNorm2d(16))
        )
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(16, num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer2(self.layer1(x))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class TinyMBV2(nn.Module):
    """torchvision MobileNetV2 InvertedResidual blocks (t=1, t=6 stride 2, t=6 residual)."""

    def __init__(self, num_classes=10):
        super().__init__()
        from torchvision.models.mobilenetv2 import InvertedResidual

        self.features = nn.Sequential(
            InvertedResidual(8, 8, 1, 1),
            InvertedResidual(8, 16, 2, 6),
            InvertedResidual(16, 16, 1, 6),
        )
        self.classifier = nn.Linear(16, num_classes)

    def forward(self, x):
        x = self.features(x)
        x = nn.functional.adaptive_avg_pool2d(x, (1, 1))
        return self.classifier(torch.flatten(x, 1))


def tiny_effnet():
    """One torchvision EfficientNet MBConv (expand 4, dw 3x3, SiLU, SqueezeExcitation, residual)."""
    from functools import partial

    from torchvision.models.efficientnet import MBConv, MBConvConfig
    from torchvision.ops import SqueezeExcitation

    cnf = MBConvConfig(
        expand_ratio=4, kernel=3, stride=1, input_channels=16, out_channels=16, num_layers=1
    )
    return MBConv(
        cnf,
        stochastic_depth_prob=0.2,
        norm_layer=partial(nn.BatchNorm2d, eps=1e-3),
        se_layer=SqueezeExcitation,
    )


class TinyDenseNet(nn.Module):
    """Stem conv + torchvision _DenseBlock (concat -> BN -> ReLU -> conv) + _Transition + BN."""

    def __init__(self, num_classes=10):
        super().__init__()
        from torchvision.models.densenet import _DenseBlock, _Transition

        self.conv0 = nn.Conv2d(3, 8, kernel_size=3, padding=1, bias=False)
        self.block1 = _DenseBlock(
            num_layers=2, num_input_features=8, bn_size=2, growth_rate=4, drop_rate=0
        )
        self.trans1 = _Transition(16, 8)
        self.norm5 = nn.BatchNorm2d(8)
        self.classifier = nn.Linear(8, num_classes)

    def forward(self, x):
        x = self.trans1(self.block1(self.conv0(x)))
        x = nn.functional.relu(self.norm5(x))
        x = nn.functional.adaptive_avg_pool2d(x, (1, 1))
        return self.classifier(torch.flatten(x, 1))


class TinyConvNeXt(nn.Module):
    """torchvision CNBlock (dw 7x7, permute, LayerNorm, Linear, GELU, Linear, layer scale)
    followed by the ConvNeXt downsampling layer (LayerNorm2d + 2x2/2 conv)."""

    def __init__(self):
        super().__init__()
        from functools import partial

        from torchvision.models.convnext import CNBlock, LayerNorm2d

        self.block = CNBlock(32, layer_scale=0.5, stochastic_depth_prob=0.1)
        self.down = nn.Sequential(
            partial(LayerNorm2d, eps=1e-6)(32), nn.Conv2d(32, 64, kernel_size=2, stride=2)
        )

    def forward(self, x):
        return self.down(self.block(x))


def tiny_vit():
    from torchvision.models.vision_transformer import VisionTransformer

    vit = VisionTransformer(
        image_size=32,
        patch_size=8,
        num_layers=2,
        num_heads=2,
        hidden_dim=32,
        mlp_dim=64,
        num_classes=10,
    )
    nn.init.normal_(vit.heads.head.weight, std=0.2)  # torchvision zero-inits the head
    return vit


def tiny_bert():
    from transformers import BertConfig, BertModel

    cfg = BertConfig(
        vocab_size=100,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    return BertWrapper(BertModel(cfg))


class GRUClassifier(nn.Module):
    def __init__(self, input_size=16, hidden_size=32, num_classes=10):
        super().__init__()
        self.gru = nn.GRU(input_size, hidden_size, num_layers=1, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        y, _ = self.gru(x)
        return self.fc(y[:, -1, :])


def _bert_inputs():
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(0, 100, (1, 16), generator=g, dtype=torch.int64)
    mask = torch.ones(1, 16, dtype=torch.int64)
    mask[:, 12:] = 0
    return [ids, mask]


# name -> (factory, input factory, input names, output names)
FIXTURES = {
    "tiny_resnet": (TinyResNet, lambda: [torch.randn(1, 3, 32, 32)], ["input"], ["output"]),
    "tiny_mbv2": (TinyMBV2, lambda: [torch.randn(1, 8, 16, 16)], ["input"], ["output"]),
    "tiny_effnet": (tiny_effnet, lambda: [torch.randn(1, 16, 16, 16)], ["input"], ["output"]),
    "tiny_densenet": (TinyDenseNet, lambda: [torch.randn(1, 3, 32, 32)], ["input"], ["output"]),
    "tiny_convnext": (TinyConvNeXt, lambda: [torch.randn(1, 32, 14, 14)], ["input"], ["output"]),
    "tiny_vit": (tiny_vit, lambda: [torch.randn(1, 3, 32, 32)], ["input"], ["output"]),
    "tiny_bert": (
        tiny_bert,
        _bert_inputs,
        ["input_ids", "attention_mask"],
        ["last_hidden_state", "pooler_output"],
    ),
    "tiny_lstm": (
        lambda: LSTMClassifier(16, 32, 2, 10),
        lambda: [torch.randn(1, 5, 16)],
        ["input"],
        ["output"],
    ),
    "tiny_gru": (GRUClassifier, lambda: [torch.randn(1, 5, 16)], ["input"], ["output"]),
    # extra: weights > 8192 elements, so the dynamo exporter's optimizer does NOT constant-fold
    # the LSTM gate reordering (weights reach the LSTM node through Slice/Concat/Unsqueeze),
    # as in the zoo's lstm2; tiny_lstm's weights are small enough to be folded.
    "tiny_lstm_wide": (
        lambda: LSTMClassifier(48, 48, 1, 10),
        lambda: [torch.randn(1, 5, 48)],
        ["input"],
        ["output"],
    ),
}


def build(name):
    factory, make_inputs, in_names, out_names = FIXTURES[name]
    torch.manual_seed(0)
    model = randomize_norms(factory()).eval()
    inputs = make_inputs()
    return model, inputs, in_names, out_names


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--only", default="", help="comma list of fixture names (default: all)")
    ap.add_argument("--no-verify", action="store_true")
    a = ap.parse_args(argv)
    warnings.filterwarnings("ignore")
    os.makedirs(a.out, exist_ok=True)
    names = [n for n in a.only.split(",") if n] or list(FIXTURES)

    counts, report, rows = {}, {}, []

    def do(name, model, inputs, fname, exporter, ref, **kw):
        path = os.path.join(a.out, fname)
        if os.path.exists(path):
            os.remove(path)
        entry = {"exporter": exporter, **{k: v for k, v in kw.items() if k == "opset"}}
        try:
            entry["export_s"] = round(torch_ref.export_onnx(model, inputs, path, exporter, **kw), 2)
            entry["ok"] = True
        except Exception as e:  # noqa: BLE001
            entry.update(ok=False, error=f"{type(e).__name__}: {str(e)[:1500]}")
            if os.path.exists(path):
                os.remove(path)
        finish(name, fname, entry, inputs, ref)
        return entry

    def finish(name, fname, entry, inputs, ref, extra_batch=None):
        path = os.path.join(a.out, fname)
        if entry["ok"]:
            entry.update(torch_ref.op_summary(path))
            if ref is not None:
                entry["ort"] = torch_ref.verify_onnx(path, inputs, ref)
                if extra_batch is not None:
                    entry["ort_batch3"] = torch_ref.verify_onnx(path, *extra_batch)
        report[fname] = entry
        rows.append((fname, entry))

    for name in names:
        model, inputs, in_names, out_names = build(name)
        c = torch_ref.count_module(model, inputs)
        c["inputs"] = torch_ref.input_spec(inputs)
        ref = None if a.no_verify else torch_ref.torch_outputs(model, inputs)
        files = []
        common = dict(input_names=in_names, output_names=out_names)
        if name == "tiny_resnet":
            dyn = {n: {0: "batch"} for n in in_names + out_names}
            fname = f"{name}.torchscript.onnx"
            entry = {"exporter": "torchscript", "opset": 17, "dynamic_axes": dyn}
            path = os.path.join(a.out, fname)
            try:
                entry["export_s"] = round(
                    torch_ref.export_onnx(
                        model, inputs, path, "torchscript", dynamic_axes=dyn, **common
                    ),
                    2,
                )
                entry["ok"] = True
            except Exception as e:  # noqa: BLE001
                entry.update(ok=False, error=f"{type(e).__name__}: {str(e)[:1500]}")
            extra = None
            if ref is not None:
                x3 = [torch.randn(3, 3, 32, 32)]
                extra = (x3, torch_ref.torch_outputs(model, x3))
            finish(name, fname, entry, inputs, ref, extra_batch=extra)
            files.append(fname)
        else:
            e = do(name, model, inputs, f"{name}.torchscript.onnx", "torchscript", ref, **common)
            files.append(f"{name}.torchscript.onnx")
        do(name, model, inputs, f"{name}.dynamo.onnx", "dynamo", ref)
        files.append(f"{name}.dynamo.onnx")
        if name == "tiny_resnet":
            for opset in (11, 21):
                fname = f"{name}.torchscript.opset{opset}.onnx"
                e = do(name, model, inputs, fname, "torchscript", ref, opset=opset, **common)
                if e["ok"]:
                    files.append(fname)
            # external data: static opset-17 TorchScript export, re-saved by onnx
            import onnx

            tmp = os.path.join(a.out, "_tmp_static.onnx")
            torch_ref.export_onnx(model, inputs, tmp, "torchscript", **common)
            m = onnx.load(tmp)
            os.remove(tmp)
            fname, dname = f"{name}.external.onnx", f"{name}.external.data"
            for p in (fname, dname):
                if os.path.exists(os.path.join(a.out, p)):
                    os.remove(os.path.join(a.out, p))
            onnx.save_model(
                m,
                os.path.join(a.out, fname),
                save_as_external_data=True,
                all_tensors_to_one_file=True,
                location=dname,
                size_threshold=0,
            )
            finish(
                name,
                fname,
                {"exporter": "torchscript", "opset": 17, "ok": True, "external_data_file": dname},
                inputs,
                ref,
            )
            files += [fname, dname]
        c["files"] = files
        counts[name] = c

    with open(os.path.join(a.out, "counts.json"), "w") as f:
        json.dump(counts, f, indent=1)
        f.write("\n")
    # drop timings so that the committed report only changes when the files do
    stable = {k: {f: v for f, v in e.items() if f != "export_s"} for k, e in report.items()}
    for e in stable.values():
        for key in ("ort", "ort_batch3"):
            if key in e:
                e[key] = {f: v for f, v in e[key].items() if f != "ort_s"}
    with open(os.path.join(a.out, "export_report.json"), "w") as f:
        json.dump(stable, f, indent=1)
        f.write("\n")

    print(f"{'file':42s} {'ok':>4s} {'opset':>5s} {'KB':>6s} {'ort':>5s} {'rel_err':>8s}")
    bad = 0
    for fname, e in rows:
        v = e.get("ort", {})
        err = v.get("rel_err")
        ok = e["ok"] and v.get("ok", True) and e.get("ort_batch3", {}).get("ok", True)
        bad += not ok
        print(
            f"{fname:42s} {('ok' if e['ok'] else 'FAIL'):>4s} "
            f"{str(e.get('opset_import', {}).get('ai.onnx', '-')):>5s} {e.get('size_bytes', 0) / 1024:6.1f} "
            f"{str(v.get('ok', '-')):>5s} {(f'{err:.1e}' if err is not None else '-'):>8s}"
            + (f"  batch3 ok={e['ort_batch3']['ok']}" if "ort_batch3" in e else "")
            + (f"  {e['error'].splitlines()[0][:100]}" if not e["ok"] else "")
        )
    for name in names:
        c = counts[name]
        print(
            f"{name:14s} macs={c['macs']:>10,} weights={c['weights']:>8,} params={c['params']:>8,}"
            + (f" attention_macs={c['attention_macs']:,}" if "attention_macs" in c else "")
        )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
