"""ONNX front end: MAC/weight counts against hand formulas on onnxruntime's shapes, folding,
batch handling, RNNs, opsets and external data."""

from __future__ import annotations

import math
import sys

import numpy as np
import onnx
import pytest
from imcsim.compiler.errors import ModelError
from imcsim.compiler.frontend import import_onnx
from imcsim.compiler.ir import DigitalKind, LayerKind
from imcsim.compiler.passes import canonicalize
from onnx import helper
from onnx_builders import REPO, TINY_CNN, make_model, rand, run_ort, save

sys.path.insert(0, str(REPO / "models"))
import build_models  # noqa: E402


def compile_net(path, **kw):
    return canonicalize(import_onnx(path, **kw))


# ---------------------------------------------------------------- convolutions


CONV_CASES = [
    # cin, cout, kernel, strides, pads (t, l, b, r), dilations, group, H, W
    (3, 8, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 1, 12, 12),
    (4, 6, (5, 3), (2, 1), (2, 0, 1, 1), (1, 1), 1, 15, 11),  # asymmetric pads, stride
    (8, 8, (3, 3), (1, 1), (2, 2, 2, 2), (2, 2), 8, 10, 10),  # depthwise, dilated
    (6, 9, (3, 3), (2, 2), (1, 1, 1, 1), (1, 1), 3, 9, 9),  # grouped
    (16, 4, (1, 1), (1, 1), (0, 0, 0, 0), (1, 1), 1, 7, 7),  # pointwise
]


@pytest.mark.parametrize("cin,cout,k,s,p,d,g,h,w", CONV_CASES)
def test_conv_macs_match_hand_formula_on_onnxruntime_shape(tmp_path, cin, cout, k, s, p, d, g, h, w):
    """MACs = N · C_out · H_out · W_out · (C_in/g) · k_h · k_w, with H_out/W_out from ORT."""
    weight = rand(cout, cin // g, *k)
    node = helper.make_node("Conv", ["x", "w"], ["y"], kernel_shape=list(k), strides=list(s),
                            pads=[p[0], p[1], p[2], p[3]], dilations=list(d), group=g)
    path = save(make_model([node], [("x", [1, cin, h, w])], ["y"], [("w", weight)]),
                tmp_path / "conv.onnx")
    (y,) = run_ort(path, {"x": rand(1, cin, h, w)})
    n, c_out, h_out, w_out = y.shape
    net = compile_net(path)
    (layer,) = net.crossbar_layers()
    assert net.macs == n * c_out * h_out * w_out * (cin // g) * k[0] * k[1]
    assert net.weights == weight.size
    assert (layer.crossbar.rows, layer.crossbar.cols, layer.crossbar.groups) == (
        cin // g * k[0] * k[1], cout // g, g)
    assert layer.crossbar.mvms == h_out * w_out


def test_gemm_transb_and_bias(tmp_path):
    w, b = rand(10, 32), rand(10)
    node = helper.make_node("Gemm", ["x", "w", "b"], ["y"], transB=1)
    path = save(make_model([node], [("x", [3, 32])], ["y"], [("w", w), ("b", b)]), tmp_path / "g.onnx")
    net = compile_net(path)
    assert net.macs == 3 * 32 * 10  # M·K·N
    assert net.weights == 320 and net.parameters == 330


def test_matmul_with_constant_right_and_left_operands(tmp_path):
    """x[1,7,16] @ W[16,8]: 7 vectors of 16; W2[5,8] @ z[8,3]: 3 vectors (columns) of 8."""
    n1 = helper.make_node("MatMul", ["x", "w"], ["z"])
    n2 = helper.make_node("Transpose", ["z"], ["zt"], perm=[0, 2, 1])
    n3 = helper.make_node("MatMul", ["w2", "zt"], ["y"])
    path = save(make_model([n1, n2, n3], [("x", [1, 7, 16])], ["y"],
                           [("w", rand(16, 8)), ("w2", rand(5, 8))]), tmp_path / "mm.onnx")
    (y,) = run_ort(path, {"x": rand(1, 7, 16)})
    assert y.shape == (1, 5, 7)
    net = compile_net(path)
    a, b = net.crossbar_layers()
    assert (a.crossbar.rows, a.crossbar.cols, a.crossbar.mvms) == (16, 8, 7)
    assert (b.crossbar.rows, b.crossbar.cols, b.crossbar.mvms) == (8, 5, 7)
    assert net.macs == 7 * 16 * 8 + 7 * 8 * 5


def test_activation_matmul_is_digital(tmp_path):
    """Q[1,2,6,4] @ K^T[1,2,4,6]: 2·6·6 outputs × 4 MACs each on the digital MAC unit."""
    n1 = helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 1, 3, 2])
    n2 = helper.make_node("MatMul", ["q", "kt"], ["s"])
    path = save(make_model([n1, n2], [("q", [1, 2, 6, 4]), ("k", [1, 2, 6, 4])], ["s"]),
                tmp_path / "att.onnx")
    net = import_onnx(path)
    mm = next(layer for layer in net.layers() if layer.op == "MatMul")
    assert mm.kind is LayerKind.DIGITAL and mm.digital.kind is DigitalKind.MATMUL
    assert mm.digital.macs == 2 * 6 * 6 * 4
    assert net.macs == 0


# ---------------------------------------------------------------- folding


def _conv_bn_relu(tmp_path, with_concat=False):
    c = 4
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1])]
    bn_in = "c"
    if with_concat:
        nodes.append(helper.make_node("Concat", ["c", "x"], ["cat"], axis=1))
        bn_in, c = "cat", c + 2
    nodes += [
        helper.make_node("BatchNormalization", [bn_in, "g", "b", "m", "v"], ["bn"]),
        helper.make_node("Identity", ["bn"], ["id"]),
        helper.make_node("Relu", ["id"], ["y"]),
    ]
    inits = [("w", rand(4, 2, 3, 3)), ("g", np.ones(c, np.float32)), ("b", np.zeros(c, np.float32)),
             ("m", np.zeros(c, np.float32)), ("v", np.ones(c, np.float32))]
    return save(make_model(nodes, [("x", [1, 2, 8, 8])], ["y"], inits), tmp_path / "cbr.onnx")


def test_batchnorm_after_conv_is_folded_and_identity_removed(tmp_path):
    net = compile_net(_conv_bn_relu(tmp_path))
    ops = [layer.op for layer in net.layers()]
    assert ops == ["Conv", "Relu"]  # BN folded, Identity aliased away
    conv = net.crossbar_layers()[0]
    assert conv.crossbar.has_bias and conv.crossbar.norm_params == 8
    assert net.parameters == 4 * 2 * 9 + 2 * 4  # conv weights + BN gamma/beta
    assert net.successors(conv.name) == ["Relu" if False else next(
        layer.name for layer in net.layers() if layer.op == "Relu")]


def test_batchnorm_after_concat_stays_digital(tmp_path):
    net = compile_net(_conv_bn_relu(tmp_path, with_concat=True))
    bn = [layer for layer in net.layers() if layer.op == "BatchNormalization"]
    assert len(bn) == 1 and bn[0].digital.kind is DigitalKind.NORM
    assert bn[0].digital.ops == 2 * (1 * 6 * 8 * 8)  # scale + shift per element


def test_constant_node_weight_and_shape_chain_fold(tmp_path):
    """Conv weight from a Constant node; flatten via Shape→Gather→Unsqueeze→Concat→Reshape
    (the TorchScript opset-11 pattern) must resolve so the Gemm's shape is static."""
    w = rand(3, 2, 3, 3)
    nodes = [
        helper.make_node("Constant", [], ["w"], value=onnx.numpy_helper.from_array(w)),
        helper.make_node("Conv", ["x", "w"], ["c"], kernel_shape=[3, 3]),
        helper.make_node("Shape", ["c"], ["sh"]),
        helper.make_node("Constant", [], ["zero"], value=onnx.numpy_helper.from_array(np.array(0))),
        helper.make_node("Gather", ["sh", "zero"], ["n"], axis=0),
        helper.make_node("Unsqueeze", ["n", "ax"], ["n1"]),
        helper.make_node("Concat", ["n1", "minus1"], ["newshape"], axis=0),
        helper.make_node("Reshape", ["c", "newshape"], ["flat"]),
        helper.make_node("Gemm", ["flat", "fw"], ["y"], transB=1),
    ]
    inits = [("ax", np.array([0], np.int64)), ("minus1", np.array([-1], np.int64)),
             ("fw", rand(5, 3 * 4 * 4))]
    path = save(make_model(nodes, [("x", [1, 2, 6, 6])], ["y"], inits), tmp_path / "chain.onnx")
    net = compile_net(path)
    assert [layer.op for layer in net.crossbar_layers()] == ["Conv", "Gemm"]
    assert net.macs == 3 * 4 * 4 * 2 * 9 + 48 * 5
    assert not any(layer.op in ("Shape", "Gather", "Concat", "Constant") for layer in net.layers())


# ---------------------------------------------------------------- batch, opsets, external data


def test_symbolic_batch_defaults_to_one_and_batch_scales_macs():
    """tiny_cnn by hand: conv1 16·16·8·9 + dw 8·8·8·9 + pw 8·8·16·8 + fc 16·10 = 31,392."""
    assert compile_net(TINY_CNN).macs == 16 * 16 * 8 * 9 + 8 * 8 * 8 * 9 + 8 * 8 * 16 * 8 + 160
    assert compile_net(TINY_CNN, batch=4).macs == 4 * 31_392


@pytest.mark.parametrize("opset", [11, 13, 17, 21])
def test_tiny_cnn_at_several_opsets(tmp_path, opset):
    model = onnx.load(str(TINY_CNN))
    model.opset_import[0].version = opset
    path = save(model, tmp_path / f"tiny{opset}.onnx")
    run_ort(path, {"input": rand(1, 1, 16, 16)})  # still a valid model at that opset
    assert compile_net(path).macs == 31_392


def test_external_data(tmp_path):
    model = onnx.load(str(TINY_CNN))
    path = tmp_path / "ext.onnx"
    onnx.save_model(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                    location="ext.data", size_threshold=0)
    assert (tmp_path / "ext.data").stat().st_size > 0
    net = compile_net(path)
    assert net.macs == 31_392 and net.parameters == compile_net(TINY_CNN).parameters


def test_dynamic_non_batch_axis_is_an_error(tmp_path):
    node = helper.make_node("Relu", ["x"], ["y"])
    path = save(make_model([node], [("x", [1, "seq", 4])], ["y"]), tmp_path / "dyn.onnx")
    with pytest.raises(ModelError, match="dynamic dimension 'seq' at axis 1"):
        import_onnx(path)


# ---------------------------------------------------------------- recurrent layers


@pytest.mark.parametrize("op,gates,direction", [("LSTM", 4, "forward"), ("GRU", 3, "forward"),
                                                ("LSTM", 4, "bidirectional"), ("RNN", 1, "forward")])
def test_rnn_gate_matrices(tmp_path, op, gates, direction):
    """Per step and direction a [x; h] vector of I + H rows meets gates·H columns."""
    seq, batch, i, h = 5, 2, 16, 32
    dirs = 2 if direction == "bidirectional" else 1
    w, r, b = rand(dirs, gates * h, i), rand(dirs, gates * h, h), rand(dirs, 2 * gates * h)
    node = helper.make_node(op, ["x", "w", "r", "b"], ["y", "yh"], hidden_size=h,
                            direction=direction)
    path = save(make_model([node], [("x", [seq, batch, i])], ["y", "yh"],
                           [("w", w), ("r", r), ("b", b)]), tmp_path / "rnn.onnx")
    (y, _) = run_ort(path, {"x": rand(seq, batch, i)})
    assert y.shape == (seq, dirs, batch, h)
    net = compile_net(path)
    assert net.macs == seq * batch * dirs * (i + h) * gates * h
    assert net.weights == w.size + r.size
    assert net.parameters == w.size + r.size + b.size


# ---------------------------------------------------------------- unknown ops


def test_unknown_ops_are_all_named_or_allowed(tmp_path):
    nodes = [helper.make_node("MatMul", ["x", "w"], ["m"]),
             helper.make_node("FooBar", ["m"], ["a"]),
             helper.make_node("Baz", ["a"], ["b"], domain="com.example")]
    model = make_model(nodes, [("x", [2, 4])], ["b"], [("w", rand(4, 3))])
    model.opset_import.append(helper.make_opsetid("com.example", 1))
    path = save(model, tmp_path / "unk.onnx")
    with pytest.raises(ModelError) as e:
        import_onnx(path)
    assert "FooBar (node 'a')" in str(e.value) and "Baz (node 'b')" in str(e.value)
    assert "--allow-unknown-ops" in str(e.value)
    net = import_onnx(path, allow_unknown_ops=True)
    assert len(net.unknown_ops) == 2


# ---------------------------------------------------------------- published counts


@pytest.mark.parametrize("name,macs,params", [
    ("resnet18", 1_814_073_344, 11_689_512),  # torchvision / PyTorch counts at 1×3×224×224
    ("resnet50", 4_089_184_256, 25_557_032),
])
def test_resnet_counts_match_pytorch(tmp_path, name, macs, params):
    path = tmp_path / f"{name}.onnx"
    onnx.save(build_models.build(name, seed=0), str(path))
    net = compile_net(path)
    assert net.macs == macs
    assert net.parameters == params
    # conv+fc weights = parameters − BN γ/β − fc bias
    bn = sum(layer.crossbar.norm_params for layer in net.crossbar_layers())
    assert net.weights == params - bn - 1000
    assert math.isclose(bn / 2, sum(layer.crossbar.cols for layer in net.crossbar_layers()
                                    if layer.op == "Conv"))


# ---------------------------------------------------------------- review fixes: batch axis


def test_batch_rewrites_only_symbolic_dims(tmp_path):
    """--batch 4 with x ['N', 3], m [2, 'N'] (the batch name on axis 1) and a static
    z [5, 3]: x → (4, 3), m → (2, 4) and z stays (5, 3) — a static axis 0 is never batch."""
    nodes = [helper.make_node("Relu", ["x"], ["a"]), helper.make_node("Relu", ["m"], ["b"]),
             helper.make_node("Relu", ["z"], ["c"])]
    path = save(make_model(nodes, [("x", ["N", 3]), ("m", [2, "N"]), ("z", [5, 3])],
                           ["a", "b", "c"]), tmp_path / "b.onnx")
    net = import_onnx(path, batch=4)
    assert net.inputs == {"x": (4, 3), "m": (2, 4), "z": (5, 3)}
    assert net.batch == 4
    assert import_onnx(path).inputs == {"x": (1, 3), "m": (2, 1), "z": (5, 3)}


def test_batch_on_a_fixed_batch_model_is_an_error(tmp_path):
    model = onnx.load(str(TINY_CNN))
    dim = model.graph.input[0].type.tensor_type.shape.dim[0]
    dim.ClearField("dim_param")
    dim.dim_value = 2
    path = save(model, tmp_path / "fixed.onnx")
    with pytest.raises(ModelError, match="fixed batch of 2; re-export with a dynamic batch axis"):
        import_onnx(path, batch=4)
    net = compile_net(path)  # without --batch the fixed model is costed as exported
    assert net.macs == 2 * 31_392 and net.batch == 1


def test_other_symbolic_dims_are_still_an_error(tmp_path):
    node = helper.make_node("Relu", ["x"], ["y"])
    path = save(make_model([node], [("x", ["N", "seq"])], ["y"]), tmp_path / "d.onnx")
    with pytest.raises(ModelError, match="dynamic dimension 'seq' at axis 1"):
        import_onnx(path, batch=2)


# ---------------------------------------------------------------- review fixes: MatMul, RNN


def test_matmul_with_a_1d_constant_operand(tmp_path):
    """x[8, 64] @ v[64] → y[8]: v is a 64×1 matrix, 8 input vectors, 8·64 MACs;
    u[64] @ a[64, 32] → z[32]: u is a 1×64 matrix applied to 32 columns, 32·64 MACs."""
    nodes = [helper.make_node("MatMul", ["x", "v"], ["y"]),
             helper.make_node("Relu", ["x2"], ["a"]),
             helper.make_node("MatMul", ["u", "a"], ["z"])]
    path = save(make_model(nodes, [("x", [8, 64]), ("x2", [64, 32])], ["y", "z"],
                           [("v", rand(64)), ("u", rand(64, seed=1))]), tmp_path / "mv.onnx")
    y, z = run_ort(path, {"x": rand(8, 64), "x2": rand(64, 32)})
    assert y.shape == (8,) and z.shape == (32,)
    net = compile_net(path)
    a, b = net.crossbar_layers()
    assert (a.crossbar.rows, a.crossbar.cols, a.crossbar.mvms) == (64, 1, 8)
    assert (b.crossbar.rows, b.crossbar.cols, b.crossbar.mvms) == (64, 1, 32)
    assert net.macs == 8 * 64 + 32 * 64 and net.weights == 128


@pytest.mark.parametrize("w_shape,r_shape,why", [
    ((32, 16), (1, 32, 8), "rank 3"),  # W without its direction axis
    ((1, 32, 16), (32, 8), "rank 3"),
    ((1, 32, 16), (1, 24, 8), "4·8 = 32 rows"),  # R does not match hidden_size = 8
    ((1, 32, 12), (1, 32, 8), "input size 12"),  # W's input size ≠ X's 16 features
    ((2, 32, 16), (2, 32, 8), "1 direction"),  # two directions for a forward LSTM
])
def test_rnn_weights_of_the_wrong_shape_name_the_node(tmp_path, w_shape, r_shape, why):
    node = helper.make_node("LSTM", ["x", "W", "R"], ["Y"], hidden_size=8, name="lstm0")
    path = save(make_model([node], [("x", [5, 1, 16])], ["Y"],
                           [("W", rand(*w_shape)), ("R", rand(*r_shape))]), tmp_path / "l.onnx")
    with pytest.raises(ModelError, match="lstm0") as e:
        import_onnx(path)
    assert why in str(e.value) and "\n" not in str(e.value)


def test_rnn_time_steps_are_sequential(tmp_path):
    """LSTM over seq = 5 steps of batch 2: 10 MVMs per direction, 5 of them in a row."""
    node = helper.make_node("LSTM", ["x", "W", "R"], ["Y"], hidden_size=8)
    path = save(make_model([node], [("x", [5, 2, 16])], ["Y"],
                           [("W", rand(1, 32, 16)), ("R", rand(1, 32, 8))]), tmp_path / "l.onnx")
    (layer,) = compile_net(path).crossbar_layers()
    assert (layer.crossbar.mvms, layer.crossbar.sequential) == (10, 5)


def test_dilated_conv_window_rows(tmp_path):
    """A 3-row kernel with dilation 2 spans 2·(3 − 1) + 1 = 5 input rows."""
    node = helper.make_node("Conv", ["x", "w"], ["y"], kernel_shape=[3, 3], dilations=[2, 2])
    path = save(make_model([node], [("x", [1, 2, 12, 12])], ["y"], [("w", rand(4, 2, 3, 3))]),
                tmp_path / "dil.onnx")
    (layer,) = compile_net(path).crossbar_layers()
    assert layer.crossbar.window_rows == 5
    assert layer.crossbar.out_rows == 12 - 5 + 1


# ---------------------------------------------------------------- review fixes: invalid models


def _with_custom_op(model):
    """Add a node of another domain: strict shape inference is then off, so the explicit
    checks of the importer must catch the problem themselves."""
    model.graph.node.append(helper.make_node("Custom", ["y"], ["q"], domain="com.example"))
    model.graph.output.append(helper.make_tensor_value_info("q", onnx.TensorProto.FLOAT, None))
    model.opset_import.append(helper.make_opsetid("com.example", 1))
    return model


@pytest.mark.parametrize("custom", [False, True], ids=["strict", "lenient"])
def test_conv_weight_channels_must_match_the_input(tmp_path, custom):
    """x has 3 channels, w [8, 5, 3, 3] expects 5 (group = 1): onnxruntime rejects it too."""
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="conv_bad")
    model = make_model([node], [("x", [1, 3, 4, 4])], ["y"], [("w", rand(8, 5, 3, 3))])
    path = save(_with_custom_op(model) if custom else model, tmp_path / "c.onnx")
    with pytest.raises(ModelError, match="conv_bad") as e:
        import_onnx(path, allow_unknown_ops=True)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("custom", [False, True], ids=["strict", "lenient"])
def test_gemm_inner_dimensions_must_match(tmp_path, custom):
    """x [2, 8] · w [9, 4]: K = 8 against 9."""
    node = helper.make_node("Gemm", ["x", "w"], ["y"], name="gemm_bad")
    model = make_model([node], [("x", [2, 8])], ["y"], [("w", rand(9, 4))])
    path = save(_with_custom_op(model) if custom else model, tmp_path / "g.onnx")
    with pytest.raises(ModelError, match="gemm_bad") as e:
        import_onnx(path, allow_unknown_ops=True)
    msg = str(e.value)
    assert "\n" not in msg and "not static" not in msg  # says what is wrong, not a symptom
    assert ("mismatch" in msg and "9 and 8" in msg) or "K = 8" in msg and "K = 9" in msg


def test_onnxruntime_rejects_the_invalid_models_too(tmp_path):
    """The models above are invalid for onnxruntime as well (not an imcsim limitation)."""
    ort = pytest.importorskip("onnxruntime")
    for i, (node, ins, w) in enumerate([
        (helper.make_node("Conv", ["x", "w"], ["y"]), [("x", [1, 3, 4, 4])], rand(8, 5, 3, 3)),
        (helper.make_node("Gemm", ["x", "w"], ["y"]), [("x", [2, 8])], rand(9, 4)),
    ]):
        path = save(make_model([node], ins, ["y"], [("w", w)]), tmp_path / f"m{i}.onnx")
        with pytest.raises(Exception):  # noqa: B017 - any onnxruntime load/run failure
            sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
            sess.run(None, {"x": rand(*ins[0][1])})


def test_opset_that_does_not_exist(tmp_path):
    node = helper.make_node("MatMul", ["x", "w"], ["y"])
    path = save(make_model([node], [("x", [1, 8])], ["y"], [("w", rand(8, 4))], opset=99),
                tmp_path / "o.onnx")
    with pytest.raises(ModelError, match="opset 99 does not exist"):
        import_onnx(path)


def test_undefined_input_names_node_and_tensor(tmp_path):
    node = helper.make_node("MatMul", ["x", "nope"], ["y"], name="mm")
    path = save(make_model([node], [("x", [1, 8])], ["y"]), tmp_path / "u.onnx")
    with pytest.raises(ModelError, match="node 'mm' reads 'nope', which no node produces and "
                                         "is not a graph input or initializer"):
        import_onnx(path)


def test_shape_inference_errors_are_one_line_naming_the_node(tmp_path):
    """MaxPool on a 2-D tensor: strict inference fails; the message names the node."""
    nodes = [helper.make_node("MatMul", ["x", "w"], ["a"]),
             helper.make_node("MaxPool", ["a"], ["y"], kernel_shape=[2], name="pool0")]
    path = save(make_model(nodes, [("x", [1, 8])], ["y"], [("w", rand(8, 4))]),
                tmp_path / "p.onnx")
    with pytest.raises(ModelError, match="MaxPool node 'pool0'") as e:
        import_onnx(path)
    assert "\n" not in str(e.value)


def test_duplicate_node_names_are_made_unique(tmp_path):
    """Two MatMuls both named 'n' (onnxruntime refuses such a file; exporters have written
    them): x[1, 64] @ W1[64, 64] @ W2[64, 10] → y[1, 10], 64·64 + 64·10 MACs."""
    nodes = [helper.make_node("MatMul", ["x", "w1"], ["a"], name="n"),
             helper.make_node("MatMul", ["a", "w2"], ["y"], name="n")]
    path = save(make_model(nodes, [("x", [1, 64])], ["y"],
                           [("w1", rand(64, 64)), ("w2", rand(64, 10, seed=1))]), tmp_path / "d.onnx")
    net = compile_net(path)
    assert [layer.name for layer in net.layers()] == ["n", "n#1"]
    assert net.macs == 64 * 64 + 64 * 10
    assert net.layer("n#1").out_shape == (1, 10)
