"""Hostile and extreme ONNX models for ``imcsim compile`` (built with ``onnx.helper``)."""

from __future__ import annotations

import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from fuzz.cases import FIFO_TIMEOUT, Case, Fifo, Link, tiny

KIND = "onnx"
# what an error about a file outside the model folder must not say: its size, or
# whether it exists
_EXISTENCE = (r"shorter than", r"is missing", r"missing from", r"[Nn]o such file",
              r"does not exist", r"truncated", r"not found")


def _model(nodes, inputs, outputs, inits=(), opset=17, name="g", in_type=TensorProto.FLOAT,
           out_type=TensorProto.FLOAT) -> onnx.ModelProto:
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info(n, in_type, s) for n, s in inputs],
        [helper.make_tensor_value_info(n, out_type, None) for n in outputs],
        list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model


def _bytes(model: onnx.ModelProto) -> bytes:
    return model.SerializeToString()


def _matmul(w: np.ndarray, name: str = "mm", in_type=TensorProto.FLOAT, x=None):
    x = x or [1, w.shape[0]]
    return _model([helper.make_node("MatMul", ["x", "w"], ["y"], name=name)], [("x", x)],
                  ["y"], [numpy_helper.from_array(w, "w")], in_type=in_type, out_type=in_type)


def _case(id_: str, model: bytes | onnx.ModelProto, expect: str = "bad", *, extra=(),
          ci: bool = False, timeout: float = 60.0, files=None, name: str = "m.onnx",
          forbid=(), note: str = "") -> Case:
    data = model if isinstance(model, bytes) else _bytes(model)
    return Case(id=f"onnx-{id_}", kind=KIND, argv=("compile", name, *extra),
                files={name: data, **(files or {})}, expect=expect, ci=ci, timeout=timeout,
                forbid=tuple(forbid), note=note)


def _rand(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


# ---------------------------------------------------------------- pieces


def _bytes_cases() -> list[Case]:
    data = tiny()
    rng = np.random.default_rng(20240601)
    out = [
        _case("empty-file", b""),
        _case("truncated-1", data[:1]),
        _case("truncated-17", data[:17]),
        _case("truncated-half", data[: len(data) // 2]),
        _case("truncated-all-but-one", data[:-1], ci=True),
        _case("garbage-4k", rng.bytes(4096), ci=True),
        _case("garbage-1", b"\x00"),
        _case("zeros-1m", bytes(1 << 20)),
        _case("text", b"hello, not onnx\n" * 10),
        # field 7 (graph) declaring a 4 GiB length, then nothing
        _case("huge-length-prefix", b"\x08\x08\x3a\xff\xff\xff\xff\x0f"),
        # a varint that never ends
        _case("endless-varint", b"\x08" + b"\xff" * 100_000),
        _case("tail-garbage", data + rng.bytes(64)),
    ]
    return out


def _opset_cases() -> list[Case]:
    w = _rand(8, 4)
    out = []
    for opset in (0, 999, -1, 2**62):
        m = _matmul(w)
        m.opset_import[0].version = opset
        out.append(_case(f"opset-{opset}", m, ci=opset == 0))
    m = _matmul(w)
    m.ir_version = 999
    out.append(_case("ir-version-999", m, "either"))
    m = _matmul(w)
    m.opset_import.add(domain="com.example", version=1)
    m.opset_import.add(domain="", version=13)  # two default-domain imports
    out.append(_case("opset-imported-twice", m, "either"))
    return out


def _graph_cases() -> list[Case]:
    w = numpy_helper.from_array(_rand(8, 8), "w")
    mm = helper.make_node
    out = [
        _case("undefined-input", _model([mm("MatMul", ["x", "nope"], ["y"], name="mm")],
                                        [("x", [1, 8])], ["y"]), ci=True),
        _case("missing-input", _model([mm("MatMul", ["x"], ["y"], name="mm")],
                                      [("x", [1, 8])], ["y"], [w]), ci=True),
        _case("empty-input-name", _model([mm("MatMul", ["x", ""], ["y"], name="mm")],
                                         [("x", [1, 8])], ["y"])),
        _case("dangling-output", _model([mm("MatMul", ["x", "w"], ["y"], name="mm")],
                                        [("x", [1, 8])], ["y", "zzz"], [w]), ci=True),
        _case("only-dangling-output", _model([mm("MatMul", ["x", "w"], ["y"], name="mm")],
                                             [("x", [1, 8])], ["zzz"], [w])),
        _case("self-cycle", _model([mm("MatMul", ["x", "w"], ["a"], name="mm"),
                                    mm("Add", ["a", "y"], ["y"], name="self")],
                                   [("x", [1, 8])], ["y"], [w]), ci=True),
        _case("two-node-cycle", _model([mm("MatMul", ["x", "w"], ["a"], name="mm"),
                                        mm("Add", ["a", "c"], ["b"], name="n1"),
                                        mm("Relu", ["b"], ["c"], name="n2")],
                                       [("x", [1, 8])], ["c"], [w])),
        _case("out-of-order-nodes", _model([mm("Relu", ["a"], ["y"], name="relu"),
                                            mm("MatMul", ["x", "w"], ["a"], name="mm")],
                                           [("x", [1, 8])], ["y"], [w]), "either"),
        _case("duplicate-producers", _model([mm("MatMul", ["x", "w"], ["y"], name="mm1"),
                                             mm("MatMul", ["x", "w"], ["y"], name="mm2")],
                                            [("x", [1, 8])], ["y"], [w]), ci=True),
        _case("duplicate-graph-inputs", _model([mm("MatMul", ["x", "w"], ["y"], name="mm")],
                                               [("x", [1, 8]), ("x", [1, 4])], ["y"], [w])),
        _case("duplicate-initializers", _model(
            [mm("MatMul", ["x", "w"], ["y"], name="mm")], [("x", [1, 8])], ["y"],
            [w, numpy_helper.from_array(_rand(8, 3), "w")])),
        _case("input-shadows-initializer", _model(
            [mm("MatMul", ["x", "w"], ["y"], name="mm")], [("x", [1, 8]), ("w", [8, 8])],
            ["y"], [w]), "either"),
        _case("output-is-input", _model([mm("MatMul", ["x", "w"], ["y"], name="mm")],
                                        [("x", [1, 8])], ["y", "x"], [w]), "either"),
        _case("no-nodes", _model([], [("x", [1, 8])], ["x"])),
        _case("no-crossbar-layer", _model([mm("Relu", ["x"], ["y"], name="r")],
                                          [("x", [1, 8])], ["y"])),
    ]
    # the same node name a thousand times, and a 100 000-character name
    nodes = [mm("Relu", ["x" if i == 0 else f"t{i - 1}"], [f"t{i}"], name="same")
             for i in range(1000)]
    nodes.append(mm("MatMul", ["t999", "w"], ["y"], name="same"))
    out.append(_case("same-name-1000-nodes", _model(nodes, [("x", [1, 8])], ["y"], [w]),
                     "valid"))
    out.append(_case("name-100k-chars", _model([mm("MatMul", ["x", "w"], ["y"],
                                                   name="n" * 100_000)],
                                               [("x", [1, 8])], ["y"], [w]), "valid"))
    return out


def _shape_cases() -> list[Case]:
    def conv(x, w, name="conv", **attrs):
        return _model([helper.make_node("Conv", ["x", "w"], ["y"], name=name, **attrs)],
                      [("x", x)], ["y"], [numpy_helper.from_array(w, "w")])

    def pool(x, **attrs):
        return _model([helper.make_node("MaxPool", ["x"], ["p"], name="pool", **attrs),
                       helper.make_node("Flatten", ["p"], ["f"], name="flat"),
                       helper.make_node("MatMul", ["f", "w"], ["y"], name="mm")],
                      [("x", x)], ["y"], [numpy_helper.from_array(_rand(16, 4), "w")])

    big = 10**9
    return [
        _case("conv-kernel-larger-than-input", conv([1, 1, 4, 4], _rand(1, 1, 7, 7)), ci=True),
        _case("conv-kernel-larger-than-padded", conv([1, 1, 4, 4], _rand(1, 1, 9, 9),
                                                     pads=[1, 1, 1, 1])),
        _case("conv-weight-contradicts-kernel-shape",
              conv([1, 1, 8, 8], _rand(2, 1, 3, 3), kernel_shape=[5, 5]), ci=True),
        _case("conv-weight-rank-1", conv([1, 1, 8, 8], _rand(9))),
        _case("conv-group-0", conv([1, 2, 8, 8], _rand(2, 2, 3, 3), group=0)),
        _case("conv-group-3", conv([1, 2, 8, 8], _rand(2, 2, 3, 3), group=3)),
        _case("conv-stride-0", conv([1, 1, 8, 8], _rand(1, 1, 3, 3), strides=[0, 0])),
        _case("conv-stride-huge", conv([1, 1, 8, 8], _rand(1, 1, 3, 3), strides=[big, big]),
              "either"),
        _case("conv-dilation-huge", conv([1, 1, 8, 8], _rand(1, 1, 3, 3),
                                         dilations=[big, big])),
        _case("conv-negative-pads", conv([1, 1, 8, 8], _rand(1, 1, 3, 3),
                                         pads=[-5, -5, -5, -5])),
        _case("conv-pads-huge", conv([1, 1, 8, 8], _rand(1, 1, 3, 3), pads=[big] * 4),
              "either", timeout=60),
        _case("maxpool-kernel-1e9", pool([1, 1, 4, 4], kernel_shape=[big, big]), ci=True),
        _case("maxpool-kernel-1e9-padded", pool([1, 1, 4, 4], kernel_shape=[big, big],
                                                pads=[big - 1] * 4), "either"),
        _case("maxpool-kernel-0", pool([1, 1, 4, 4], kernel_shape=[0, 0])),
        _case("maxpool-kernel-int64-max", pool([1, 1, 4, 4], kernel_shape=[2**63 - 1] * 2)),
        _case("huge-input-conv", conv([1, 3, 100_000, 100_000], _rand(8, 3, 3, 3)), "either",
              ci=True),
        _case("huge-input-matmul", _matmul(_rand(8, 4), x=[2**62, 8]), "either"),
        _case("huge-input-rank-64", _model(
            [helper.make_node("Relu", ["x"], ["r"], name="relu"),
             helper.make_node("Flatten", ["r"], ["f"], name="flat"),
             helper.make_node("MatMul", ["f", "w"], ["y"], name="mm")],
            [("x", [2] * 64)], ["y"], [numpy_helper.from_array(_rand(8, 4), "w")]), "either"),
        _case("negative-input-dim", _matmul(_rand(8, 4), x=[1, -8]), "either"),
        _case("zero-input-dim", _matmul(_rand(8, 4), x=[0, 8]), "either"),
        _case("gemm-k-mismatch", _model([helper.make_node("Gemm", ["x", "w"], ["y"], name="g")],
                                        [("x", [2, 8])], ["y"],
                                        [numpy_helper.from_array(_rand(9, 4), "w")])),
        # 8 values reshaped to 2^43 × 8: invalid (onnxruntime refuses it when run)
        _case("reshape-to-huge", _model(
            [helper.make_node("Reshape", ["x", "s"], ["r"], name="reshape"),
             helper.make_node("MatMul", ["r", "w"], ["y"], name="mm")],
            [("x", [1, 8])], ["y"],
            [numpy_helper.from_array(np.array([2**40, 8], np.int64), "s"),
             numpy_helper.from_array(_rand(8, 4), "w")])),
        _case("constantofshape-huge", _model(
            [helper.make_node("ConstantOfShape", ["s"], ["c"], name="cos"),
             helper.make_node("Add", ["x", "c"], ["a"], name="add"),
             helper.make_node("MatMul", ["a", "w"], ["y"], name="mm")],
            [("x", [1, 8])], ["y"],
            [numpy_helper.from_array(np.array([100_000, 100_000, 8], np.int64), "s"),
             numpy_helper.from_array(_rand(8, 4), "w")]), "either", ci=True,
            note="constant folding of an 80 GB tensor"),
        _case("range-huge", _model(
            [helper.make_node("Range", ["a", "b", "d"], ["r"], name="range"),
             helper.make_node("Cast", ["r"], ["c"], name="cast", to=TensorProto.FLOAT),
             helper.make_node("Add", ["x", "c"], ["s"], name="add"),
             helper.make_node("MatMul", ["s", "w"], ["y"], name="mm")],
            [("x", [1, 8])], ["y"],
            [numpy_helper.from_array(np.array(0, np.int64), "a"),
             numpy_helper.from_array(np.array(2**40, np.int64), "b"),
             numpy_helper.from_array(np.array(1, np.int64), "d"),
             numpy_helper.from_array(_rand(8, 4), "w")]), "either"),
    ]


def _weight_cases() -> list[Case]:
    out = []
    dtypes = {"float32": (np.float32, TensorProto.FLOAT),
              "float16": (np.float16, TensorProto.FLOAT16),
              "float64": (np.float64, TensorProto.DOUBLE),
              "bfloat16": (None, TensorProto.BFLOAT16)}
    for dname, (np_type, onnx_type) in dtypes.items():
        for bad in ("nan", "inf", "-inf"):
            value = float(bad)
            w = _rand(8, 4)
            w[3, 1] = value
            if np_type is None:  # bfloat16: the upper 16 bits of each float32
                raw = (w.view(np.uint32) >> 16).astype(np.uint16).tobytes()
                t = helper.make_tensor("w", onnx_type, [8, 4], raw, raw=True)
            else:
                t = numpy_helper.from_array(w.astype(np_type), "w")
            m = _model([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
                       [("x", [1, 8])], ["y"], [t], in_type=onnx_type, out_type=onnx_type)
            out.append(_case(f"{bad}-weights-{dname}", m,
                             ci=(dname, bad) in {("float16", "nan"), ("bfloat16", "inf")}))
    # NaN hidden in a Conv bias and in an initializer stored as float_data (not raw)
    w = _rand(4, 1, 3, 3)
    b = np.array([0, np.nan, 0, 0], np.float32)
    out.append(_case("nan-conv-bias", _model(
        [helper.make_node("Conv", ["x", "w", "b"], ["y"], name="conv")], [("x", [1, 1, 8, 8])],
        ["y"], [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")]), "either"))
    t = helper.make_tensor("w", TensorProto.FLOAT, [8, 4], [float("nan")] * 32)
    out.append(_case("nan-weights-float-data", _model(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], [("x", [1, 8])], ["y"],
        [t])))
    # integer weights
    for op in ("MatMul", "Gemm"):
        for dname, np_type, onnx_type in (("int32", np.int32, TensorProto.INT32),
                                          ("int8", np.int8, TensorProto.INT8),
                                          ("int64", np.int64, TensorProto.INT64)):
            w = np.arange(32, dtype=np_type).reshape(8, 4)
            m = _model([helper.make_node(op, ["x", "w"], ["y"], name="op")], [("x", [1, 8])],
                       ["y"], [numpy_helper.from_array(w, "w")], in_type=onnx_type,
                       out_type=onnx_type)
            out.append(_case(f"{op.lower()}-{dname}-weights", m, "either",
                             ci=(op, dname) == ("MatMul", "int32")))
    w = np.full((8, 4), -128, np.int8)
    out.append(_case("matmulinteger-int8", _model(
        [helper.make_node("MatMulInteger", ["x", "w"], ["y"], name="mmi")], [("x", [1, 8])],
        ["y"], [numpy_helper.from_array(w, "w")], in_type=TensorProto.INT8,
        out_type=TensorProto.INT32), "either"))
    # raw_data that contradicts dims
    for label, nbytes in (("short", 10), ("long", 8 * 4 * 4 + 100), ("empty", 0)):
        t = onnx.TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[8, 4])
        t.raw_data = bytes(nbytes) if nbytes else b""
        if not nbytes:
            t.ClearField("raw_data")
        m = _model([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
                   [("x", [1, 8])], ["y"], [t])
        out.append(_case(f"raw-data-{label}", m, ci=label == "short"))
    t = onnx.TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[8, 4])
    t.float_data.extend([1.0] * 5)
    out.append(_case("float-data-short", _model(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], [("x", [1, 8])], ["y"],
        [t])))
    t = onnx.TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[2**20, 2**20])
    t.raw_data = bytes(16)
    out.append(_case("dims-4tb-raw-16-bytes", _model(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], [("x", [1, 2**20])], ["y"],
        [t]), ci=True))
    t = onnx.TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[8, -4])
    out.append(_case("negative-weight-dim", _model(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], [("x", [1, 8])], ["y"],
        [t])))
    t = onnx.TensorProto(name="w", data_type=12345, dims=[8, 4])
    t.raw_data = bytes(128)
    out.append(_case("unknown-dtype", _model(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], [("x", [1, 8])], ["y"],
        [t])))
    return out


def _external(location: str, length: int, size_on_disk: int | None = None,
              offset: int = 0) -> onnx.ModelProto:
    t = onnx.TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[length // 4])
    t.data_location = TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", str(offset)), ("length", str(length))):
        e = t.external_data.add()
        e.key, e.value = k, v
    return _model([helper.make_node("Relu", ["x"], ["r"], name="relu"),
                   helper.make_node("Mul", ["r", "w"], ["y"], name="mul")],
                  [("x", [1, length // 4])], ["y"], [t])


def _external_cases() -> list[Case]:
    secret = b"S" * 4099  # a size that would be recognisable in a message
    host = "/etc/hostname"
    host_size = os.path.getsize(host) if os.path.isfile(host) else None
    size_rx = tuple(rf"\b{n}\b" for n in (4099, host_size) if n and n >= 10)
    forbid = (*_EXISTENCE, *size_rx)
    out = []
    variants = [
        ("dotdot-existing", "../outside.bin", 8192, {"outside.bin": secret}, True),
        ("dotdot-existing-small", "../outside.bin", 16, {"outside.bin": secret}, False),
        ("dotdot-missing", "../nothere.bin", 8192, {}, False),
        ("absolute-etc-hostname", host, 8192, {}, True),
        ("absolute-etc-hostname-small", host, 4, {}, False),
        ("absolute-missing", "/nonexistent-imcsim-fuzz/x.bin", 8192, {}, False),
        ("absolute-into-tmp", "{tmp}/outside.bin", 16, {"outside.bin": secret}, False),
        ("symlink-outside", "link.bin", 8192,
         {"model/link.bin": Link("../outside.bin"), "outside.bin": secret}, True),
        ("symlink-outside-small", "link.bin", 16,
         {"model/link.bin": Link("../outside.bin"), "outside.bin": secret}, False),
        ("symlink-absolute-outside", "link.bin", 16,
         {"model/link.bin": Link("{tmp}/outside.bin"), "outside.bin": secret}, False),
        ("symlink-dangling", "link.bin", 8192,
         {"model/link.bin": Link("../nothere.bin")}, False),
        ("symlink-dir-outside", "sub/outside.bin", 16,
         {"model/sub": Link(".."), "outside.bin": secret}, False),
        ("location-is-fifo", "pipe.bin", 16, {"model/pipe.bin": Fifo()}, False),
        ("location-is-dir", "sub", 16, {"model/sub/x": b"x"}, False),
        ("location-empty", "", 16, {}, False),
    ]
    inside = {"location-is-fifo", "location-is-dir", "location-empty"}
    for label, location, length, files, ci in variants:
        # the absolute-into-tmp location is only known when the case runs
        model = _external(location.replace("{tmp}", "/TMP-PLACEHOLDER"), length)
        setup = None
        if "{tmp}" in location:
            def setup(root, _loc=location, _len=length):  # noqa: ANN001
                m = _external(_loc.replace("{tmp}", str(root)), _len)
                (root / "model" / "m.onnx").write_bytes(_bytes(m))
        timeout = FIFO_TIMEOUT if label == "location-is-fifo" else 60.0
        out.append(Case(id=f"onnx-external-{label}", kind=KIND, argv=("compile", "model/m.onnx"),
                        files={"model/m.onnx": _bytes(model), **files}, expect="bad",
                        forbid=() if label in inside else forbid, ci=ci, setup=setup,
                        timeout=timeout))
    # offsets and lengths that make no sense, inside the folder
    data = np.ones(64, np.float32).tobytes()
    for label, offset, length in (("negative-offset", -8, 16), ("huge-offset", 2**62, 16),
                                  ("huge-length", 0, 2**62), ("negative-length", 0, -16)):
        m = _external("w.bin", 16)
        for e in m.graph.initializer[0].external_data:
            if e.key == "offset":
                e.value = str(offset)
            if e.key == "length":
                e.value = str(length)
        out.append(Case(id=f"onnx-external-{label}", kind=KIND, argv=("compile", "model/m.onnx"),
                        files={"model/m.onnx": _bytes(m), "model/w.bin": data}, expect="bad",
))
    m = _external("w.bin", 16)
    m.graph.initializer[0].external_data[1].value = "not-a-number"
    out.append(Case(id="onnx-external-offset-not-a-number", kind=KIND,
                    argv=("compile", "model/m.onnx"),
                    files={"model/m.onnx": _bytes(m), "model/w.bin": data}, expect="bad"))
    return out


def _file_cases() -> list[Case]:
    return [
        Case(id="onnx-model-is-fifo", kind=KIND, argv=("compile", "m.onnx"),
             files={"m.onnx": Fifo()}, timeout=FIFO_TIMEOUT, ci=True),
        Case(id="onnx-model-is-dir", kind=KIND, argv=("compile", "m.onnx"),
             files={"m.onnx/x": b"x"}),
        Case(id="onnx-model-dangling-link", kind=KIND, argv=("compile", "m.onnx"),
             files={"m.onnx": Link("nothere.onnx")}),
        Case(id="onnx-model-link-loop", kind=KIND, argv=("compile", "m.onnx"),
             files={"m.onnx": Link("m.onnx")}),
        Case(id="onnx-model-name-300-bytes", kind=KIND, argv=("compile", "m" * 300 + ".onnx"),
             ci=True),
        Case(id="onnx-model-path-5000-bytes", kind=KIND,
             argv=("compile", "d/" * 2500 + "m.onnx")),
        Case(id="onnx-model-name-nonascii-missing", kind=KIND, argv=("compile", "mé\u202e.onnx")),
        # a file name that is not UTF-8 (byte 0xff), missing and present
        Case(id="onnx-model-name-not-utf8-missing", kind=KIND, argv=("compile", "m\udcff.onnx")),
        Case(id="onnx-model-name-not-utf8", kind=KIND, argv=("compile", "m\udcff.onnx"),
             files={"m\udcff.onnx": tiny()}, expect="valid", ci=True),
    ]


_EVIL = ("[/]", "[bold]x[/bold]", "\x1b[31mred\x1b[0m", "line\nimcsim: error: forged",
         "\r\x07\x08tab\tend", "[link=file:///etc/passwd]x[/link]", "\u202eevil")


def _name_cases() -> list[Case]:
    out = []
    for i, evil in enumerate(_EVIL):
        w = numpy_helper.from_array(_rand(8, 4), f"w{evil}")
        g = _model([helper.make_node("MatMul", [f"x{evil}", f"w{evil}"], [f"y{evil}"],
                                     name=f"node{evil}")],
                   [(f"x{evil}", [1, 8])], [f"y{evil}"], [w], name=f"graph{evil}")
        out.append(_case(f"names-valid-{i}", g, "valid", ci=i == 2))
        # the same names in a model that must be refused: the one error line stays one line
        bad = _model([helper.make_node("Gemm", [f"x{evil}", f"w{evil}"], [f"y{evil}"],
                                       name=f"node{evil}")],
                     [(f"x{evil}", [2, 7])], [f"y{evil}"], [w], name=f"graph{evil}")
        out.append(_case(f"names-error-{i}", bad, ci=i in (2, 3)))
        undefined = _model([helper.make_node("MatMul", ["x", f"nope{evil}"], ["y"],
                                             name=f"node{evil}")], [("x", [1, 8])], ["y"])
        out.append(_case(f"names-undefined-{i}", undefined))
    # file names with markup, escapes, newlines
    for i, evil in enumerate(("[bold]m[/bold].onnx", "m\x1b[31m.onnx", "m\nimcsim: error: x.onnx",
                              "[/].onnx")):
        out.append(_case(f"filename-valid-{i}", tiny(), "valid", name=evil, ci=i == 2))
        out.append(Case(id=f"onnx-filename-missing-{i}", kind=KIND,
                        argv=("compile", "missing-" + evil)))
    return out


def cases() -> list[Case]:
    return [*_bytes_cases(), *_opset_cases(), *_graph_cases(), *_shape_cases(),
            *_weight_cases(), *_external_cases(), *_file_cases(), *_name_cases()]
