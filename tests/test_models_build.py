"""Checks for models/build_models.py (independent of compiler/ and imcsim/)."""
import pathlib
import sys

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import shape_inference

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "models"))
import build_models  # noqa: E402

# torchvision's published parameter counts / PyTorch Conv+Linear MACs at 1x3x224x224
PARAMS = {"resnet18": 11_689_512, "resnet34": 21_797_672, "resnet50": 25_557_032}
MACS = {"resnet18": 1_814_073_344, "resnet50": 4_089_184_256}


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """Build every model once (resnet50 is the slow one) and round-trip it through disk."""
    out, cache = tmp_path_factory.mktemp("models"), {}

    def get(name):
        if name not in cache:
            path = out / f"{name}.onnx"
            onnx.save(build_models.build(name, seed=0), str(path))
            cache[name] = onnx.load(str(path))
        return cache[name]
    return get


def param_count(model):
    return sum(int(np.prod(t.dims)) for t in model.graph.initializer
               if not t.name.endswith(("running_mean", "running_var")))


def mac_count(model, input_shape):
    m = onnx.ModelProto()
    m.CopyFrom(model)
    dims = m.graph.input[0].type.tensor_type.shape.dim
    for d, v in zip(dims, input_shape, strict=True):
        d.Clear()
        d.dim_value = v
    m = shape_inference.infer_shapes(m)
    shapes = {vi.name: [d.dim_value for d in vi.type.tensor_type.shape.dim]
              for vi in [*m.graph.value_info, *m.graph.output]}
    weights = {t.name: list(t.dims) for t in m.graph.initializer}
    macs = 0
    for n in m.graph.node:
        if n.op_type == "Conv":  # out elements * (cin/groups) * kh * kw
            macs += int(np.prod(shapes[n.output[0]])) * int(np.prod(weights[n.input[1]][1:]))
        elif n.op_type == "Gemm":  # batch * N * K  (transB=1: weight is [N, K])
            macs += int(np.prod(shapes[n.output[0]])) * weights[n.input[1]][1]
    return macs


@pytest.mark.parametrize("name", build_models.NAMES)
def test_checker(models, name):
    model = models(name)
    onnx.checker.check_model(model, full_check=True)
    assert model.opset_import[0].version == 17
    assert model.graph.input[0].name == "input" and model.graph.output[0].name == "output"
    assert model.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch_size"


@pytest.mark.parametrize("name", ["resnet18", "resnet34", "resnet50"])
def test_torch_style_names(models, name):
    model = models(name)
    nodes = {n.name for n in model.graph.node}
    inits = {t.name for t in model.graph.initializer}
    assert {"/conv1/Conv", "/bn1/BatchNormalization", "/maxpool/MaxPool",
            "/layer1/layer1.0/conv1/Conv", "/layer2/layer2.0/downsample/downsample.0/Conv",
            "/avgpool/GlobalAveragePool", "/Flatten", "/fc/Gemm"} <= nodes
    assert {"conv1.weight", "layer1.0.conv1.weight", "layer4.1.bn2.running_var",
            "layer3.0.downsample.1.bias", "fc.weight", "fc.bias"} <= inits
    assert "/layer1/layer1.0/relu_1/Relu" in nodes  # torch suffixes a reused nn.ReLU


@pytest.mark.parametrize("name, in_shape, out_shape", [
    ("resnet18", (1, 3, 224, 224), (1, 1000)),
    ("tiny_cnn", (1, 1, 16, 16), (1, 10)),
])
def test_onnxruntime_runs(models, name, in_shape, out_shape):
    sess = ort.InferenceSession(models(name).SerializeToString(),
                                providers=["CPUExecutionProvider"])
    x = np.random.default_rng(123).standard_normal(in_shape, dtype=np.float32)
    (y,) = sess.run(None, {"input": x})
    assert y.shape == out_shape
    assert np.isfinite(y).all() and np.abs(y).max() > 0


@pytest.mark.parametrize("name", sorted(PARAMS))
def test_param_count_matches_torchvision(models, name):
    assert param_count(models(name)) == PARAMS[name]


@pytest.mark.parametrize("name", sorted(MACS))
def test_mac_count_matches_pytorch(models, name):
    assert mac_count(models(name), (1, 3, 224, 224)) == MACS[name]


def test_vgg16_cifar_counts_by_hand(models):
    """VGG-16's 13 3×3 convolutions with biases (3→64, 64→64, 64→128, 128→128, 128→256,
    2 × 256→256, 256→512, 5 × 512→512) hold 14,714,688 parameters, the 512-512-10
    classifier 267,786: 14,982,474. On 32×32 inputs the convolutions make 313,196,544
    MACs (2 layers at 32², 2 at 16², 3 at 8², 3 at 4², 3 at 2²) and the classifier 267,264."""
    convs = [(3, 64, 32), (64, 64, 32), (64, 128, 16), (128, 128, 16), (128, 256, 8),
             (256, 256, 8), (256, 256, 8), (256, 512, 4), (512, 512, 4), (512, 512, 4),
             (512, 512, 2), (512, 512, 2), (512, 512, 2)]
    assert sum(ci * co * 9 + co for ci, co, _ in convs) + 512 * 512 + 512 + 512 * 10 + 10 \
        == 14_982_474 == param_count(models("vgg16"))
    macs = sum(ci * co * 9 * hw * hw for ci, co, hw in convs) + 512 * 512 + 512 * 10
    assert macs == 313_196_544 + 267_264 == mac_count(models("vgg16"), (1, 3, 32, 32))


def test_tiny_cnn_small_and_bn_unfolded(models):
    model = models("tiny_cnn")
    assert len(model.SerializeToString()) < 50_000
    ops = [n.op_type for n in model.graph.node]
    assert ops.count("BatchNormalization") == 2
    dw = next(n for n in model.graph.node if n.name == "/dwconv/Conv")
    assert {a.name: onnx.helper.get_attribute_value(a) for a in dw.attribute}["group"] == 8


def test_committed_tiny_cnn_is_current():
    path = pathlib.Path(build_models.__file__).parent / "tiny_cnn.onnx"
    assert path.read_bytes() == build_models.build("tiny_cnn", seed=0).SerializeToString()


@pytest.mark.parametrize("name", ["tiny_cnn", "resnet18"])
def test_deterministic(name):
    a = build_models.build(name, seed=0).SerializeToString()
    assert a == build_models.build(name, seed=0).SerializeToString()
    assert a != build_models.build(name, seed=1).SerializeToString()
