"""Bad inputs to the CLI: one line on stderr (what, where, how to fix), exit code 2, no
traceback, nothing on stdout, and no output file (or temp file) left behind.

Every fixture is built in ``tmp_path`` from ``models/tiny_cnn.onnx`` or with
``onnx.helper``. Most cases run ``python -m imcsim`` in a subprocess (the only way to prove
that no traceback escapes); message-only config cases also run in-process for speed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
import pytest
from imcsim.compiler.errors import ModelError
from imcsim.compiler.frontend.onnx_load import load
from onnx import TensorProto, helper, numpy_helper

from imcsim.cli import main

TINY = Path(__file__).resolve().parents[1] / "models" / "tiny_cnn.onnx"
JSON = "out.json"


# ---------------------------------------------------------------- fixture builders
# Each returns the argv (after ``imcsim``) for a case run with cwd=tmp_path.


def _write(tmp: Path, name: str, data: bytes | str) -> str:
    p = tmp / name
    p.write_bytes(data.encode() if isinstance(data, str) else data)
    return name


def _truncated(length: Callable[[int], int]) -> Callable[[Path], list[str]]:
    def build(tmp: Path) -> list[str]:
        data = TINY.read_bytes()
        return ["compile", _write(tmp, "cut.onnx", data[: length(len(data))])]
    return build


def _external(tmp: Path, damage: str) -> list[str]:
    d = tmp / "ext"
    d.mkdir()
    onnx.save_model(onnx.load(str(TINY)), str(d / "m.onnx"), save_as_external_data=True,
                    all_tensors_to_one_file=True, location="m.data", size_threshold=0)
    data = d / "m.data"
    if damage == "missing":
        data.unlink()
    else:
        data.write_bytes(data.read_bytes()[: data.stat().st_size // 2])
    return ["compile", "ext/m.onnx"]


def _unknown_model(tmp: Path) -> str:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    w = numpy_helper.from_array(np.ones((4, 4), np.float32), "w")
    nodes = [helper.make_node("MatMul", ["x", "w"], ["a"], name="mm"),
             helper.make_node("FooBar", ["a"], ["b"], name="foo_node"),
             helper.make_node("Baz", ["b"], ["y"], name="baz_node", domain="com.example")]
    model = helper.make_model(helper.make_graph(nodes, "unk", [x], [y], [w]), opset_imports=[
        helper.make_opsetid("", 17), helper.make_opsetid("com.example", 1)])
    onnx.save(model, str(tmp / "unknown.onnx"))
    return "unknown.onnx"


def _dynamic(tmp: Path) -> list[str]:
    m = onnx.load(str(TINY))
    dim = m.graph.input[0].type.tensor_type.shape.dim[2]
    dim.ClearField("dim_value")
    dim.dim_param = "height"
    onnx.save(m, str(tmp / "dyn.onnx"))
    return ["compile", "dyn.onnx"]


def _nan_weights(tmp: Path) -> list[str]:
    m = onnx.load(str(TINY))
    t = next(t for t in m.graph.initializer if t.name == "pwconv.weight")
    a = numpy_helper.to_array(t).copy()
    a[3, 2, 0, 0] = np.nan
    a[0, 0, 0, 0] = np.inf
    t.CopyFrom(numpy_helper.from_array(a, t.name))
    onnx.save(m, str(tmp / "nan.onnx"))
    return ["compile", "nan.onnx"]


def _fixed_batch(tmp: Path) -> list[str]:
    m = onnx.load(str(TINY))
    dim = m.graph.input[0].type.tensor_type.shape.dim[0]
    dim.ClearField("dim_param")
    dim.dim_value = 1
    onnx.save(m, str(tmp / "fixed.onnx"))
    return ["compile", "fixed.onnx", "--batch", "4"]


def _invalid(name: str, node: onnx.NodeProto, x: list[int], w: np.ndarray | None):
    def build(tmp: Path) -> list[str]:
        graph = helper.make_graph(
            [node], "bad", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x)],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
            [] if w is None else [numpy_helper.from_array(w, "w")])
        onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]),
                  str(tmp / name))
        return ["compile", name]
    return build


def _yaml(name: str, text: str, command: str = "compile") -> Callable[[Path], list[str]]:
    def build(tmp: Path) -> list[str]:
        _write(tmp, name, text)
        return ["compile", str(TINY), "--arch", name] if command == "compile" else ["arch", name]
    return build


def _model(*extra: str) -> Callable[[Path], list[str]]:
    return lambda tmp: ["compile", str(TINY), *extra]


BAD_YAML = "name: x\narray:\n  rows: 128\n    cols: 64\n"  # line 4: bad indentation
UNKNOWN_KEY = "name: x\nadc: {bitz: 6}\n"
MANY = "name: x\narray: {rows: 0, cols: -1}\nadc: {bits: 0}\nnosuch: 1\n"

# (id, argv builder, substrings the one error line must contain)
CASES: list[tuple[str, Callable[[Path], list[str]], tuple[str, ...]]] = [
    ("missing-model", lambda t: ["compile", "nope.onnx"], ("nope.onnx", "no such file")),
    ("text-file", lambda t: ["compile", _write(t, "notes.onnx", "hello\nnot onnx\n")],
     ("notes.onnx", "not a readable ONNX model", "re-export")),
    ("png-bytes", lambda t: ["compile", _write(t, "img.onnx", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)],
     ("img.onnx", "not a readable ONNX model")),
    ("random-bytes", lambda t: ["compile", _write(t, "rnd.onnx", np.random.default_rng(1234).bytes(4096))],
     ("rnd.onnx", "ONNX")),
    ("truncated-10", _truncated(lambda n: 10), ("cut.onnx", "truncated")),
    ("truncated-half", _truncated(lambda n: n // 2), ("cut.onnx", "truncated")),
    ("truncated-all-but-one", _truncated(lambda n: n - 1), ("cut.onnx", "truncated")),
    ("external-data-missing", lambda t: _external(t, "missing"),
     ("m.onnx", "m.data", "missing", "conv1.weight")),
    ("external-data-truncated", lambda t: _external(t, "truncated"),
     ("m.onnx", "m.data", "truncated")),
    ("unknown-ops", lambda t: ["compile", _unknown_model(t)],
     ("unknown.onnx", "FooBar", "foo_node", "com.example.Baz", "baz_node", "--allow-unknown-ops")),
    ("dynamic-shape", _dynamic, ("dyn.onnx", "input", "height", "axis 2")),
    ("batch-on-fixed-model", _fixed_batch, ("fixed.onnx", "fixed batch of 1", "dynamic batch axis")),
    ("conv-channels-mismatch", _invalid("conv.onnx", helper.make_node(
        "Conv", ["x", "w"], ["y"], name="conv_bad"), [1, 3, 4, 4], np.ones((8, 5, 3, 3), np.float32)),
     ("conv.onnx", "conv_bad", "5 input channels", "3 channels")),
    ("gemm-k-mismatch", _invalid("gemm.onnx", helper.make_node(
        "Gemm", ["x", "w"], ["y"], name="gemm_bad"), [2, 8], np.ones((9, 4), np.float32)),
     ("gemm.onnx", "gemm_bad", "mismatch", "9 and 8")),
    ("lstm-w-rank", _invalid("lstm.onnx", helper.make_node(
        "LSTM", ["x", "w", "w"], ["y"], hidden_size=8, name="lstm_bad"), [5, 1, 16],
        np.ones((32, 16), np.float32)), ("lstm.onnx", "lstm_bad", "rank 3")),
    ("undefined-input", _invalid("undef.onnx", helper.make_node(
        "MatMul", ["x", "nope"], ["y"], name="mm"), [1, 8], None),
     ("undef.onnx", "node 'mm' reads 'nope', which no node produces")),
    ("nan-weights", _nan_weights, ("nan.onnx", "pwconv.weight", "/pwconv/Conv", "NaN", "2 of 128")),
    ("yaml-syntax", _yaml("bad.yaml", BAD_YAML), ("bad.yaml", "line 4", "invalid YAML")),
    ("yaml-unclosed", _yaml("open.yaml", "name: x\narray: {rows: [1, 2\n"),
     ("open.yaml", "invalid YAML", "line 2")),
    ("config-unknown-key", _yaml("unk.yaml", UNKNOWN_KEY), ("unk.yaml", "adc.bitz", "unknown key")),
    ("config-many-problems", _yaml("many.yaml", MANY),
     ("many.yaml", "4 problem(s)", "array.rows", "array.cols", "adc.bits", "nosuch")),
    ("set-unknown-key", _model("--set", "adc.bitz=3"), ("adc.bitz", "no such key")),
    ("set-unknown-section", _model("--set", "nosuch.key=1"), ("nosuch", "no such key")),
    ("set-wrong-type", _model("--set", "array.rows=abc"), ("array.rows", "integer", "abc")),
    ("set-not-yaml", _model("--set", "adc.bits=[1"), ("adc.bits", "integer", "[1")),
    ("rows-zero", _model("--set", "array.rows=0"), ("array.rows", "≥ 1", "got 0")),
    ("cols-negative", _model("--set", "array.cols=-8"), ("array.cols", "≥ 1", "got -8")),
    ("adc-bits-zero", _model("--set", "adc.bits=0"), ("adc.bits", "≥ 1", "got 0")),
    ("read-time-negative", _model("--set", "array.read_time_s=-1e-8"), ("array.read_time_s", "> 0")),
    ("node-huge", _model("--set", "technology.node_nm=1e300"), ("technology.node_nm", "≤ 1000")),
    ("arch-node-huge", lambda t: ["arch", "--set", "technology.node_nm=1e300"],
     ("technology.node_nm", "≤ 1000")),
    ("rows-huge", _model("--set", "array.rows=2000000"), ("array.rows", "≤ 1048576")),
    ("no-such-preset", _model("--arch", "no_such_preset"), ("no_such_preset", "rram_128", "isaac")),
    ("missing-config-file", _model("--arch", "nothere.yaml"), ("nothere.yaml", "no such config file")),
    ("duplication-zero", _model("--duplication", "0"), ("duplication 0", "≥ 1")),
    ("duplication-word", _model("--duplication", "foo"), ("foo", "auto", "none")),
    ("batch-zero", _model("--batch", "0"), ("--batch 0", "must be in 1–1,000,000")),
    ("batch-2-pow-63", _model("--batch", "9223372036854775808"), ("--batch", "1–1,000,000")),
    ("batch-not-int", _model("--batch", "abc"), ("--batch", "abc", "--help")),
    ("no-command", lambda t: ["frobnicate"], ("frobnicate", "compile")),
    ("json-missing-dir", _model("--json", "nodir/out.json"), ("nodir/out.json", "does not exist")),
    ("json-is-dir", lambda t: (t / "adir").mkdir() or ["compile", str(TINY), "--json", "adir"],
     ("adir", "is a directory")),
    ("json-parent-is-file", lambda t: ["compile", str(TINY), "--json", _write(t, "f", "") + "/o.json"],
     ("f/o.json", "not a directory")),
    ("arch-bad-yaml", _yaml("bad.yaml", BAD_YAML, "arch"), ("bad.yaml", "line 4")),
    ("arch-many-problems", _yaml("many.yaml", MANY, "arch"),
     ("array.rows", "array.cols", "adc.bits", "nosuch")),
    ("arch-set-unknown", lambda t: ["arch", "--set", "adc.bitz=3"], ("adc.bitz",)),
    ("arch-no-such-preset", lambda t: ["arch", "no_such_preset"], ("no_such_preset",)),
]
MATRIX = Path(__file__).resolve().parent / "fixtures" / "matrices" / "bcsstk01.mtx"  # 48 × 48


def _solve(*extra: str) -> Callable[[Path], list[str]]:
    return lambda tmp: ["solve", str(MATRIX), *extra]


def _rhs(kind: str) -> Callable[[Path], list[str]]:
    def build(tmp: Path) -> list[str]:
        if kind == "npz":
            np.savez(tmp / "b.npz", b=np.ones(48))
            name = "b.npz"
        elif kind == "object":
            np.save(tmp / "b.npy", np.array([None] * 48, dtype=object), allow_pickle=True)
            name = "b.npy"
        else:  # a 128-byte file whose header declares 10^12 float64 values (8 TB)
            with open(tmp / "b.npy", "wb") as f:
                np.lib.format.write_array_header_1_0(
                    f, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)})
                f.write(b"\0" * 16)
            name = "b.npy"
        return ["solve", str(MATRIX), "--rhs", name]
    return build


CASES += [
    ("rhs-npz", _rhs("npz"), ("--rhs b.npz", "is an .npz archive", ".npy")),
    ("rhs-object", _rhs("object"), ("--rhs b.npy", "holds object values")),
    ("rhs-huge-header", _rhs("huge"), ("--rhs b.npy", "has 1000000000000 values", "48 rows")),
    ("slices-huge", _solve("--method", "bitslice", "--slices", "1000000"),
     ("--slices 1000000", "1–16", "2-bit cells")),
    ("inner-huge", _solve("--inner", "1000000000"), ("--inner 1000000000", "1–1,000")),
    ("max-iter-huge", _solve("--max-iter", "10000000"), ("--max-iter 10000000", "1–100,000")),
    ("time-limit-zero", _solve("--time-limit", "0"), ("--time-limit 0.0", "(0, 1e6]")),
]
# Config-message cases also checked in-process (cheap); all others prove it in a subprocess.
IN_PROCESS = {"set-unknown-section", "rows-zero", "cols-negative", "adc-bits-zero", "rows-huge",
              "read-time-negative", "missing-config-file", "duplication-word",
              "arch-no-such-preset", "json-parent-is-file", "yaml-unclosed", "rhs-npz",
              "rhs-object", "rhs-huge-header", "slices-huge", "inner-huge", "max-iter-huge",
              "time-limit-zero"}


def _files(tmp: Path) -> set[Path]:
    return {p.relative_to(tmp) for p in tmp.rglob("*")}


def _check(tmp: Path, before: set[Path], rc: int, out: str, err: str,
           expect: tuple[str, ...]) -> None:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert rc == 2, err
    assert "Traceback" not in err
    assert len(lines) == 1, err
    assert lines[0].startswith("imcsim: error: "), err
    for s in expect:
        assert s in lines[0], f"{s!r} not in {lines[0]!r}"
    assert out == ""
    assert not (tmp / JSON).exists()
    assert _files(tmp) == before, "files left behind (output or temp)"


def _argv(build: Callable[[Path], list[str]], tmp: Path) -> list[str]:
    argv = build(tmp)
    return argv if "--json" in argv else [*argv, "--json", JSON]


@pytest.mark.parametrize("build,expect", [c[1:] for c in CASES if c[0] not in IN_PROCESS],
                         ids=[c[0] for c in CASES if c[0] not in IN_PROCESS])
def test_error_subprocess(tmp_path, build, expect):
    argv = _argv(build, tmp_path)
    before = _files(tmp_path)
    r = subprocess.run([sys.executable, "-m", "imcsim", *argv], capture_output=True, text=True,
                       cwd=tmp_path, timeout=60)
    _check(tmp_path, before, r.returncode, r.stdout, r.stderr, expect)


@pytest.mark.parametrize("build,expect", [c[1:] for c in CASES if c[0] in IN_PROCESS],
                         ids=[c[0] for c in CASES if c[0] in IN_PROCESS])
def test_error_in_process(tmp_path, monkeypatch, capsys, build, expect):
    monkeypatch.chdir(tmp_path)
    argv = _argv(build, tmp_path)
    before = _files(tmp_path)
    rc = main(argv)
    cap = capsys.readouterr()
    _check(tmp_path, before, rc, cap.out, cap.err, expect)


def test_cases_are_mostly_subprocess():
    assert len(CASES) - len(IN_PROCESS) >= 12
    assert IN_PROCESS <= {c[0] for c in CASES}


def test_arithmetic_error_is_one_line_as_a_last_resort(monkeypatch, capsys):
    """Bounds keep configs finite; should arithmetic still fail, no traceback escapes."""
    import imcsim.sim

    def overflow(arch):
        raise OverflowError("(34, 'Numerical result out of range')")

    monkeypatch.setattr(imcsim.sim, "peak", overflow)
    assert main(["arch", "isaac"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("imcsim: error: ") and "OverflowError" in err


# ---------------------------------------------------------------- the good paths


def test_valid_model_writes_json_and_no_temp(tmp_path):
    """Control: the same harness succeeds on the valid model (the cases above are not vacuous)."""
    r = subprocess.run([sys.executable, "-m", "imcsim", "compile", str(TINY), "--json", JSON],
                       capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert json.loads((tmp_path / JSON).read_text())["model"]["macs"] > 0
    assert _files(tmp_path) == {Path(JSON)}


def test_allow_unknown_ops_warns_and_succeeds(tmp_path):
    model = _unknown_model(tmp_path)
    r = subprocess.run([sys.executable, "-m", "imcsim", "compile", model, "--allow-unknown-ops",
                        "--json", JSON], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert r.returncode == 0, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("imcsim: warning: "), r.stderr
    for s in ("FooBar", "foo_node", "com.example.Baz", "baz_node"):
        assert s in lines[0]
    assert len(json.loads((tmp_path / JSON).read_text())["model"]["unknown_ops"]) == 2


def test_every_truncation_of_tiny_cnn_is_an_error(tmp_path):
    """Not just the three lengths above: no cut of the file loads as a different model."""
    data = TINY.read_bytes()
    path = tmp_path / "cut.onnx"
    for n in range(len(data)):
        path.write_bytes(data[:n])
        with pytest.raises(ModelError):
            load(path)
