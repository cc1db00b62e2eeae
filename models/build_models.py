"""Build ONNX models without torch: torchvision ResNet-18/34/50 and a tiny CNN.

The graphs mimic what torch.onnx.export (TorchScript exporter, opset 17,
BatchNormalization kept, dynamic batch "batch_size") writes for
torchvision.models.resnet*: node names like "/layer1/layer1.0/conv1/Conv",
tensor names like "/layer1/layer1.0/conv1/Conv_output_0", initializer names
like "layer1.0.conv1.weight".  Weights are random but seeded.

    python models/build_models.py resnet18|resnet34|resnet50|tiny_cnn [--out PATH] [--seed N]
"""
import argparse
import pathlib

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
MODELS_DIR = pathlib.Path(__file__).resolve().parent


class Graph:
    """Tiny graph builder: appends nodes/initializers with torch-style names."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits = [], []

    def node(self, scope, op, inputs, out=None, **attrs):
        out = out or f"{scope}/{op}_output_0"
        self.nodes.append(helper.make_node(op, inputs, [out], name=f"{scope}/{op}", **attrs))
        return out

    def param(self, name, array):
        self.inits.append(numpy_helper.from_array(array.astype(np.float32), name))
        return name

    def conv(self, x, scope, prefix, cin, cout, k, stride=1, pad=0, groups=1, bias=False):
        fan_out = cout * k * k // groups  # torchvision: kaiming_normal_(mode="fan_out")
        w = self.rng.normal(0.0, np.sqrt(2.0 / fan_out), (cout, cin // groups, k, k))
        inputs = [x, self.param(f"{prefix}.weight", w)]
        if bias:
            inputs.append(self.param(f"{prefix}.bias", self.rng.normal(0.0, 0.01, cout)))
        return self.node(scope, "Conv", inputs, dilations=[1, 1], group=groups,
                         kernel_shape=[k, k], pads=[pad] * 4, strides=[stride, stride])

    def bn(self, x, scope, prefix, c):
        r = self.rng
        ps = [self.param(f"{prefix}.weight", 1.0 + r.uniform(-0.1, 0.1, c)),
              self.param(f"{prefix}.bias", r.normal(0.0, 0.05, c)),
              self.param(f"{prefix}.running_mean", r.normal(0.0, 0.05, c)),
              self.param(f"{prefix}.running_var", r.uniform(0.5, 1.5, c))]
        return self.node(scope, "BatchNormalization", [x, *ps], epsilon=1e-5, momentum=0.9)

    def relu(self, x, scope):
        return self.node(scope, "Relu", [x])

    def fc(self, x, scope, prefix, cin, cout, out=None):
        bound = 1.0 / np.sqrt(cin)  # torch nn.Linear default init
        w = self.param(f"{prefix}.weight", self.rng.uniform(-bound, bound, (cout, cin)))
        b = self.param(f"{prefix}.bias", self.rng.uniform(-bound, bound, cout))
        return self.node(scope, "Gemm", [x, w, b], out=out, alpha=1.0, beta=1.0, transB=1)

    def model(self, in_shape, out_shape):
        def vi(n, shape):
            return helper.make_tensor_value_info(n, TensorProto.FLOAT, ["batch_size", *shape])
        graph = helper.make_graph(self.nodes, "main_graph", [vi("input", in_shape)],
                                  [vi("output", out_shape)], self.inits)
        m = helper.make_model(graph, producer_name="imcsim-build_models",
                              opset_imports=[helper.make_opsetid("", OPSET)])
        m.ir_version = 8  # what torch writes for opset 17
        return m


def conv_bn(g, x, scope, prefix, bn_name, cin, cout, k, stride=1, pad=0):
    """conv (no bias) + BN, named like torchvision's `<prefix>.convN` / `<prefix>.bnN`."""
    conv_name = bn_name.replace("bn", "conv")
    x = g.conv(x, f"{scope}/{conv_name}", f"{prefix}.{conv_name}", cin, cout, k, stride, pad)
    return g.bn(x, f"{scope}/{bn_name}", f"{prefix}.{bn_name}", cout)


def downsample(g, x, scope, prefix, cin, cout, stride):
    s, p = f"{scope}/downsample", f"{prefix}.downsample"
    x = g.conv(x, f"{s}/downsample.0", f"{p}.0", cin, cout, 1, stride)
    return g.bn(x, f"{s}/downsample.1", f"{p}.1", cout)


def basic_block(g, x, scope, prefix, cin, planes, stride):
    """torchvision BasicBlock (expansion 1); the shared self.relu becomes relu, relu_1."""
    out = g.relu(conv_bn(g, x, scope, prefix, "bn1", cin, planes, 3, stride, 1), f"{scope}/relu")
    out = conv_bn(g, out, scope, prefix, "bn2", planes, planes, 3, 1, 1)
    if stride != 1 or cin != planes:
        x = downsample(g, x, scope, prefix, cin, planes, stride)
    return g.relu(g.node(scope, "Add", [out, x]), f"{scope}/relu_1")


def bottleneck(g, x, scope, prefix, cin, planes, stride):
    """torchvision Bottleneck v1.5 (stride on the 3x3 conv, expansion 4)."""
    out = g.relu(conv_bn(g, x, scope, prefix, "bn1", cin, planes, 1), f"{scope}/relu")
    out = g.relu(conv_bn(g, out, scope, prefix, "bn2", planes, planes, 3, stride, 1),
                 f"{scope}/relu_1")
    out = conv_bn(g, out, scope, prefix, "bn3", planes, planes * 4, 1)
    if stride != 1 or cin != planes * 4:
        x = downsample(g, x, scope, prefix, cin, planes * 4, stride)
    return g.relu(g.node(scope, "Add", [out, x]), f"{scope}/relu_2")


RESNETS = {  # name: (block, expansion, blocks per stage)
    "resnet18": (basic_block, 1, [2, 2, 2, 2]),
    "resnet34": (basic_block, 1, [3, 4, 6, 3]),
    "resnet50": (bottleneck, 4, [3, 4, 6, 3]),
}


def resnet(name, seed):
    block, expansion, layers = RESNETS[name]
    g = Graph(seed)
    x = g.conv("input", "/conv1", "conv1", 3, 64, 7, 2, 3)
    x = g.relu(g.bn(x, "/bn1", "bn1", 64), "/relu")
    x = g.node("/maxpool", "MaxPool", [x], ceil_mode=0, kernel_shape=[3, 3],
               pads=[1, 1, 1, 1], strides=[2, 2])
    cin = 64
    for stage, (planes, n) in enumerate(zip([64, 128, 256, 512], layers, strict=True), start=1):
        for i in range(n):
            layer, prefix = f"layer{stage}", f"layer{stage}.{i}"
            stride = 2 if stage > 1 and i == 0 else 1
            x = block(g, x, f"/{layer}/{prefix}", prefix, cin, planes, stride)
            cin = planes * expansion
    x = g.node("/avgpool", "GlobalAveragePool", [x])
    x = g.node("", "Flatten", [x], axis=1)
    g.fc(x, "/fc", "fc", cin, 1000, out="output")
    return g.model([3, 224, 224], [1000])


def tiny_cnn(seed):
    g = Graph(seed)
    x = g.relu(g.bn(g.conv("input", "/conv1", "conv1", 1, 8, 3, 1, 1), "/bn1", "bn1", 8), "/relu")
    x = g.node("/pool", "MaxPool", [x], ceil_mode=0, kernel_shape=[2, 2],
               pads=[0, 0, 0, 0], strides=[2, 2])
    x = g.conv(x, "/dwconv", "dwconv", 8, 8, 3, 1, 1, groups=8)
    x = g.relu(g.bn(x, "/bn2", "bn2", 8), "/relu_1")
    x = g.relu(g.conv(x, "/pwconv", "pwconv", 8, 16, 1, bias=True), "/relu_2")
    x = g.node("/avgpool", "GlobalAveragePool", [x])
    x = g.node("", "Flatten", [x], axis=1)
    g.fc(x, "/fc", "fc", 16, 10, out="output")
    return g.model([1, 16, 16], [10])


VGG16 = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]


def vgg16(seed):
    """VGG-16 in its CIFAR-10 form (Simonyan & Zisserman's 13 3×3 convolutions and five
    max-pools on 32×32 inputs, then a 512-512-10 classifier): 15.0 M parameters."""
    g = Graph(seed)
    x, cin, n = "input", 3, 0
    for item in VGG16:
        if item == "M":
            x = g.node(f"/pool{n}", "MaxPool", [x], kernel_shape=[2, 2], strides=[2, 2])
            continue
        n += 1
        x = g.relu(g.conv(x, f"/conv{n}", f"conv{n}", cin, item, 3, 1, 1, bias=True),
                   f"/relu{n}")
        cin = item
    x = g.node("", "Flatten", [x], axis=1)
    x = g.relu(g.fc(x, "/fc1", "fc1", 512, 512), "/relu_fc1")
    g.fc(x, "/fc2", "fc2", 512, 10, out="output")
    return g.model([3, 32, 32], [10])


NAMES = [*RESNETS, "tiny_cnn", "vgg16"]


def build(name, seed=0):
    """Return the ONNX ModelProto for `name` (one of NAMES) with seeded random weights."""
    if name == "tiny_cnn":
        return tiny_cnn(seed)
    if name == "vgg16":
        return vgg16(seed)
    if name in RESNETS:
        return resnet(name, seed)
    raise ValueError(f"unknown model {name!r}; choose from {NAMES}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("name", choices=NAMES)
    ap.add_argument("--out", type=pathlib.Path, help="default: models/<name>.onnx")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    out = args.out or MODELS_DIR / f"{args.name}.onnx"
    onnx.save(build(args.name, args.seed), str(out))
    print(f"wrote {out} ({out.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
