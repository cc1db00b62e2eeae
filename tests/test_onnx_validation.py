"""Semantic validation of ONNX models (issue #10): structurally broken graphs, data that
contradicts its header, windows that do not fit, non-float or non-finite weights in every
float width, and external data outside the model's folder. Each must be one ModelError
line naming the tensor or node, before any number is computed; each expectation is the
ONNX specification's rule, stated in the case."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import onnx
import pytest
from imcsim.compiler.errors import ModelError
from imcsim.compiler.frontend import import_onnx
from onnx import TensorProto, helper, numpy_helper
from onnx_builders import make_model, rand, save

from imcsim.cli import main


def _mm(w: np.ndarray, k: int = 8) -> onnx.ModelProto:
    return make_model([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
                      [("x", [1, k])], ["y"], [("w", w)])


def _conv(w: np.ndarray, x: list[int], **attrs) -> onnx.ModelProto:
    return make_model([helper.make_node("Conv", ["x", "w"], ["y"], name="cv", **attrs)],
                      [("x", x)], ["y"], [("w", w)])


def _bf16_nan() -> onnx.ModelProto:
    m = _mm(rand(8, 4))
    bits = np.full(32, 0x3F80, np.uint16)  # 1.0 in bfloat16
    bits[5] = 0x7FC0  # quiet NaN: exponent all ones, mantissa non-zero
    m.graph.initializer[0].CopyFrom(helper.make_tensor("w", TensorProto.BFLOAT16, [8, 4],
                                                       bits.tobytes(), raw=True))
    return m


def _nan(dtype) -> onnx.ModelProto:
    w = rand(8, 4).astype(dtype)
    w[2, 1] = np.inf
    return _mm(w)


def _dangling() -> onnx.ModelProto:
    m = _mm(rand(8, 4))
    m.graph.output.append(helper.make_tensor_value_info("ghost", TensorProto.FLOAT, None))
    return m


def _cycle() -> onnx.ModelProto:  # y = x + z, z = relu(y)
    return make_model([helper.make_node("Add", ["x", "z"], ["y"], name="add"),
                       helper.make_node("Relu", ["y"], ["z"], name="relu")],
                      [("x", [1, 4])], ["y"])


def _dup_output() -> onnx.ModelProto:
    return make_model([helper.make_node("Relu", ["x"], ["y"], name="a"),
                       helper.make_node("Sigmoid", ["x"], ["y"], name="b")],
                      [("x", [1, 4])], ["y"])


def _dup_input() -> onnx.ModelProto:
    m = _mm(rand(8, 4))
    m.graph.input.append(helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8]))
    return m


def _dup_initializer() -> onnx.ModelProto:
    m = _mm(rand(8, 4))
    m.graph.initializer.append(numpy_helper.from_array(rand(8, 4), "w"))
    return m


def _short_raw() -> onnx.ModelProto:
    m = _mm(rand(8, 4))
    m.graph.initializer[0].raw_data = m.graph.initializer[0].raw_data[:40]  # 10 floats of 32
    return m


def _short_typed() -> onnx.ModelProto:
    m = _mm(rand(8, 4))
    t = m.graph.initializer[0]
    t.ClearField("raw_data")
    t.float_data.extend([1.0] * 5)
    return m


def _strings() -> onnx.ModelProto:
    m = _mm(rand(8, 4))
    m.graph.initializer[0].CopyFrom(helper.make_tensor("w", TensorProto.STRING, [8, 4], [b"a"] * 32))
    return m


def _pool(kernel: list[int], **attrs) -> onnx.ModelProto:
    nodes = [helper.make_node("MaxPool", ["x"], ["p"], name="pool", kernel_shape=kernel, **attrs),
             helper.make_node("Conv", ["p", "w"], ["y"], name="cv")]
    return make_model(nodes, [("x", [1, 3, 8, 8])], ["y"], [("w", rand(4, 3, 1, 1))])


# (id, model, substrings of the one error line)
CASES = [
    # ONNX IR: every tensor has exactly one producer and names are unique
    ("duplicate-producer", _dup_output, ("'y' is produced twice", "Relu node 'a'", "Sigmoid node 'b'")),
    ("duplicate-input", _dup_input, ("graph input 'x' is declared twice",)),
    ("duplicate-initializer", _dup_initializer, ("initializer 'w' is declared twice",)),
    # ONNX IR: the graph is acyclic (nodes topologically sorted)
    ("cycle", _cycle, ("cycle through", "must be acyclic")),
    # a graph output must be computed by something
    ("dangling-output", _dangling, ("graph output 'ghost' is produced by no node",)),
    # raw_data holds prod(dims) · itemsize bytes; typed fields prod(dims) entries
    ("short-raw-data", _short_raw, ("initializer 'w'", "[8, 4] (32 values) but holds 10")),
    ("short-float-data", _short_typed, ("(32 values) but holds 5",)),
    ("string-tensor", _strings, ("initializer 'w'", "element type string")),
    # NaN / Inf in every float width
    ("inf-float16", lambda: _nan(np.float16), ("weight 'w'", "NaN/Inf", "1 of 32")),
    ("inf-float64", lambda: _nan(np.float64), ("NaN/Inf", "1 of 32")),
    ("nan-bfloat16", _bf16_nan, ("NaN/Inf", "1 of 32")),
    # crossbars map float weights
    ("int8-weights", lambda: _mm(np.ones((8, 4), np.int8)), ("weight 'w'", "int8", "float model")),
    # Conv: output size floor((x + pads − d·(k − 1) − 1)/s) + 1 must be ≥ 1
    ("conv-kernel-over-input", lambda: _conv(rand(4, 3, 9, 9), [1, 3, 5, 5]),
     ("Conv node 'cv'", "spans 9", "only 5 wide")),
    ("conv-dilated-over-input", lambda: _conv(rand(4, 3, 3, 3), [1, 3, 8, 8], dilations=[4, 4]),
     ("spans 9", "dilation 4", "only 8 wide")),
    ("conv-kernel-attr-contradicts-weight",
     lambda: _conv(rand(4, 3, 3, 3), [1, 3, 8, 8], kernel_shape=[5, 5]),
     ("declares kernel_shape [5, 5]", "[3, 3] kernel")),
    ("pool-kernel-huge", lambda: _pool([10**9, 10**9]),
     ("MaxPool node 'pool'", "spans 1000000000", "only 8 wide")),
    ("pool-over-padded", lambda: _pool([11, 11], pads=[1, 1, 1, 1]), ("spans 11", "only 10 wide")),
    # Reshape keeps the element count: 8 values cannot become 2^40 × 8
    ("reshape-to-huge", lambda: make_model(
        [helper.make_node("Reshape", ["x", "s"], ["r"], name="rs"),
         helper.make_node("MatMul", ["r", "w"], ["y"], name="mm")],
        [("x", [1, 8])], ["y"], [("s", np.array([2**40, 8], np.int64)), ("w", rand(8, 4))]),
     ("Reshape node 'rs'", "turns 8 values", "8,796,093,022,208 values")),
    # Range(0, 2^40, 1) has 2^40 ≈ 1.1e12 elements: sized before inference would make it
    ("range-huge", lambda: make_model(
        [helper.make_node("Range", ["a", "b", "d"], ["r"], name="rg"),
         helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
        [("x", [1, 8])], ["y"], [("a", np.array(0, np.int64)), ("b", np.array(2**40, np.int64)),
                                 ("d", np.array(1, np.int64)), ("w", rand(8, 4))]),
     ("Range node 'rg'", "makes 1.1e+12 values")),
]


@pytest.mark.parametrize(("build", "expect"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_invalid_model_is_one_line(tmp_path, build, expect):
    path = save(build(), tmp_path / "m.onnx")
    with pytest.raises(ModelError) as e:
        import_onnx(path)
    line = str(e.value)
    assert "\n" not in line and str(path) in line
    for s in expect:
        assert s in line, f"{s!r} not in {line!r}"


def test_windows_that_fit_exactly_are_accepted(tmp_path):
    """Boundary: a 10×10 window over an 8×8 input padded by 1 on each side fits (output 1×1);
    SAME padding always fits."""
    net = import_onnx(save(_pool([10, 10], pads=[1, 1, 1, 1]), tmp_path / "a.onnx"))
    assert any(layer.op == "MaxPool" for layer in net.layers())
    net = import_onnx(save(_conv(rand(4, 3, 9, 9), [1, 3, 5, 5], auto_pad="SAME_UPPER"),
                           tmp_path / "b.onnx"))
    assert next(net.layers()).out_shape == (1, 4, 5, 5)


def _external(tmp: Path, location: str) -> Path:
    m = _mm(rand(8, 4))
    t = m.graph.initializer[0]
    t.ClearField("raw_data")
    t.data_location = TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", "0"), ("length", "128")):
        e = t.external_data.add()
        e.key, e.value = k, v
    (tmp / "model").mkdir(exist_ok=True)
    return save(m, tmp / "model" / "m.onnx")


@pytest.mark.parametrize("kind", ["relative-escape", "absolute", "symlink-out"])
def test_external_data_outside_the_folder_is_refused_revealing_nothing(tmp_path, kind):
    """The target exists and holds 300 bytes; the message must say neither (no size, no
    'missing', no 'shorter'), only where the model points and the rule."""
    secret = tmp_path / "secret.bin"
    secret.write_bytes(b"s" * 300)
    loc = {"relative-escape": "../secret.bin", "absolute": str(secret), "symlink-out": "w.bin"}[kind]
    path = _external(tmp_path, loc)
    if kind == "symlink-out":
        os.symlink(secret, path.parent / "w.bin")
    with pytest.raises(ModelError) as e:
        import_onnx(path)
    line = str(e.value)
    assert "outside the model's folder" in line
    for leak in ("300", "missing", "shorter", "bytes"):
        assert leak not in line


def test_external_data_inside_the_folder_loads_and_a_link_is_refused(tmp_path):
    """A data file in a subfolder loads (MatMul 8 × 4 from its 128 bytes); a symbolic link,
    even one that stays inside, is refused in one line (onnx itself refuses links)."""
    path = _external(tmp_path, "data/w.bin")
    (path.parent / "data").mkdir()
    (path.parent / "data" / "w.bin").write_bytes(rand(8, 4).tobytes())
    layer = next(import_onnx(path).layers())
    assert (layer.crossbar.rows, layer.crossbar.cols) == (8, 4)
    (path.parent / "data" / "w.bin").rename(path.parent / "real.bin")
    os.symlink(path.parent / "real.bin", path.parent / "data" / "w.bin")
    with pytest.raises(ModelError, match="is a symbolic link; copy the data file itself"):
        import_onnx(path)


def test_cli_prints_the_validation_error_as_one_line(tmp_path, capsys):
    path = save(_cycle(), tmp_path / "c.onnx")
    assert main(["compile", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("imcsim: error: ") and "cycle" in err[0]
