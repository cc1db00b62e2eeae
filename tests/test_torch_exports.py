"""Files exactly as PyTorch's TorchScript and dynamo exporters write them.

Expected counts come from PyTorch itself (`tests/fixtures/torch/counts.json`, made by
`models/export_torch_fixtures.py` with forward hooks on the torch modules, not from ONNX).
The full torchvision zoo (ResNet-18/34/50, VGG-16, MobileNetV2, EfficientNet-B0,
DenseNet-121, GoogLeNet, SqueezeNet 1.1, ConvNeXt-Tiny, ViT-B/16, BERT-base, LSTM) is
checked by the `slow` test when its exports exist (`python models/export_torch.py --out
DIR`, then IMCSIM_ZOO=DIR).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from imcsim.compiler.frontend import import_onnx
from imcsim.compiler.ir import DigitalKind
from imcsim.compiler.passes import canonicalize

FIXTURES = Path(__file__).parent / "fixtures" / "torch"
COUNTS = json.loads((FIXTURES / "counts.json").read_text())
FILES = sorted(
    (name, f) for name, entry in COUNTS.items() for f in entry["files"] if f.endswith(".onnx")
)


def _check(path: Path, expected: dict) -> None:
    net = canonicalize(import_onnx(path))
    assert net.macs == expected["macs"], "crossbar MACs differ from PyTorch's count"
    assert net.weights == expected["weights"], "crossbar weights differ from PyTorch's count"
    if "attention_macs" in expected:
        digital = sum(layer.digital.macs for layer in net.digital_layers()
                      if layer.digital and layer.digital.kind is DigitalKind.MATMUL)
        assert digital == expected["attention_macs"]


@pytest.mark.parametrize("name,file", FILES, ids=[f for _, f in FILES])
def test_fixture_counts_equal_pytorch(name, file):
    _check(FIXTURES / file, COUNTS[name])


def test_symbolic_batch_of_a_torchscript_export():
    path = FIXTURES / "tiny_resnet.torchscript.onnx"
    one = canonicalize(import_onnx(path)).macs
    assert canonicalize(import_onnx(path, batch=3)).macs == 3 * one == 3 * COUNTS["tiny_resnet"]["macs"]


ZOO = Path(os.environ.get("IMCSIM_ZOO", Path(__file__).resolve().parents[2] / "zoo"))


@pytest.mark.slow
@pytest.mark.skipif(not (ZOO / "torch_counts.json").exists(),
                    reason="torchvision zoo exports not built (models/export_torch.py)")
def test_torchvision_zoo_counts_equal_pytorch():
    counts = json.loads((ZOO / "torch_counts.json").read_text())
    failures = []
    for name, expected in counts.items():
        for path in sorted(ZOO.glob(f"{name}.*.onnx")):
            try:
                _check(path, expected)
            except AssertionError as e:
                failures.append(f"{path.name}: {e}")
    assert not failures, "\n".join(failures)
