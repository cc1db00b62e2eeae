"""Hostile and extreme architecture configs: YAML files (``--arch f.yaml``, ``imcsim arch
f.yaml``) and ``--set`` values at the edges of the schema's bounds."""

from __future__ import annotations

import dataclasses
import re
import typing

from fuzz.cases import FIFO_TIMEOUT, Case, Fifo, Link, preset, tiny

KIND = "yaml"


def _arch(id_: str, text: str | bytes, expect: str = "bad", ci: bool = False, *,
          via: str = "arch", timeout: float = 60.0, note: str = "") -> Case:
    """The file as ``imcsim arch f.yaml`` or ``imcsim compile m.onnx --arch f.yaml``; a
    mapping gets a ``name`` first (required), so that the value under test is what fails."""
    if isinstance(text, str) and re.match(r"[a-z_]+:", text) and not text.startswith("name:"):
        text = "name: fuzz\n" + text
    if via == "arch":
        argv: tuple[str, ...] = ("arch", "f.yaml")
        files = {"f.yaml": text}
    else:
        argv = ("compile", "m.onnx", "--arch", "f.yaml")
        files = {"f.yaml": text, "m.onnx": tiny()}
    return Case(id=f"yaml-{id_}" + ("" if via == "arch" else "-compile"), kind=KIND, argv=argv,
                files=files, expect=expect, ci=ci, timeout=timeout, note=note)


def _laughs(levels: int = 9, width: int = 9, key: str = "name") -> str:
    lines = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]"
              for i in range(1, levels)]
    lines.append(f"{key}: *a{levels - 1}")
    return "\n".join(lines) + "\n"


def _flow_laughs(levels: int = 9, width: int = 9) -> str:
    """A billion laughs on one line (flow style), for --set."""
    parts = ["a0: &a0 [" + ", ".join(["lol"] * width) + "]"]
    parts += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]"
              for i in range(1, levels)]
    return "{" + ", ".join(parts) + f", x: *a{levels - 1}}}"


def _hostile() -> list[Case]:
    base = preset("rram_128")
    out = [
        _arch("billion-laughs", _laughs(), ci=True),
        _arch("billion-laughs", _laughs(key="array"), via="compile"),
        _arch("laughs-in-list-keys", "? " + _laughs().replace("\n", "\n  ")[:-2] + ": 1\n"),
        _arch("laughs-many-anchors", "".join(f"k{i}: &k{i} {{x: 1}}\n" for i in range(5000))),
        _arch("recursive-alias", "name: &a [*a]\n", ci=True),
        _arch("recursive-alias-mapping", "array: &a {rows: 1, self: *a}\n"),
        _arch("recursive-merge", "array: &a {<<: *a, rows: 4}\n", "either"),
        _arch("deep-flow-list-10000", "a: " + "[" * 10000 + "]" * 10000 + "\n", ci=True),
        _arch("deep-flow-map-10000", "a: " + "{a: " * 10000 + "1" + "}" * 10000 + "\n"),
        _arch("deep-block-2000", "".join("  " * i + "a:\n" for i in range(2000)) + "  " * 2000
              + "1\n"),
        _arch("deep-unclosed-100000", "a: " + "[" * 100_000 + "\n"),
        _arch("int-5000-digits", "array:\n  rows: " + "9" * 5000 + "\n"),
        _arch("int-5000-digits-in-list", "name: [" + "9" * 5000 + "]\n"),
        _arch("int-5000-digits-key", "9" * 5000 + ": 1\n"),
        _arch("hex-5000-digits", "array:\n  rows: 0x" + "f" * 5000 + "\n"),
        _arch("float-5000-digits", "array:\n  r_on_ohm: " + "9" * 5000 + ".0\n"),
        _arch("float-1e5000", "array:\n  r_on_ohm: 1e5000\n"),
        _arch("sexagesimal-int", "array:\n  rows: 1:2:3:4:5:6:7:8:9:10:11:12\n", "either"),
        _arch("octal-0200", "array:\n  rows: 0200\n", "either", ci=True,
              note="YAML 1.1 reads 0200 as octal 128"),
        _arch("octal-0o200", "array:\n  rows: 0o200\n", "either"),
        _arch("bool-rows", "array:\n  rows: yes\n"),
        _arch("float-rows", "array:\n  rows: 12.5\n"),
        _arch("string-rows", "array:\n  rows: '128'\n"),
        _arch("null-rows", "array:\n  rows: ~\n"),
        _arch("list-rows", "array:\n  rows: [128]\n"),
        _arch("section-is-scalar", "array: 5\n"),
        _arch("section-is-list", "array: [1, 2]\n"),
        _arch("name-is-list", "name: [1, 2]\n"),
        _arch("name-is-mapping", "name: {a: 1}\n"),
        _arch("enum-unknown", "adc:\n  model: quantum\n"),
        _arch("enum-number", "adc:\n  model: 3\n"),
        _arch("bool-as-string", "readout:\n  differential: 'maybe'\n"),
        _arch("binary-tag", "name: !!binary aGVsbG8=\n"),
        _arch("python-tag", "name: !!python/object/apply:os.system ['true']\n", ci=True),
        _arch("unknown-tag", "name: !custom x\n"),
        _arch("timestamp", "name: 2001-12-14t21:59:43.10-05:00\n", "either"),
        _arch("set-type", "name: !!set {a, b}\n"),
        _arch("complex-key", "? [a, b]\n: 1\n"),
        _arch("mapping-key-in-section", "array:\n  ? {a: 1}\n  : 2\n"),
        _arch("unknown-keys", "name: x\nfoo: 1\narray: {bar: 2}\n"),
        _arch("unknown-section-deep", "nosuch: {a: {b: {c: 1}}}\n"),
        _arch("duplicate-keys", "adc:\n  bits: 4\n  bits: 5\n", "either"),
        _arch("rows-zero", "array: {rows: 0}\n"),
        _arch("rows-negative", "array: {rows: -1}\n"),
        _arch("rows-huge", "array: {rows: 100000000000000000000}\n"),
        _arch("clock-1e-300", "technology: {clock_hz: 1e-300}\n", "either", ci=True),
        _arch("clock-1e-300", "technology: {clock_hz: 1e-300}\n", "either",
              via="compile"),
        _arch("r-on-5e-324", "array: {r_on_ohm: 5e-324}\n", "either"),
        _arch("r-on-5e-324", "array: {r_on_ohm: 5e-324}\n", "either", via="compile",
              ci=True),
        _arch("nan-value", "array: {r_on_ohm: .nan}\n", ci=True),
        _arch("inf-value", "array: {r_on_ohm: .inf}\n"),
        _arch("neg-inf-value", "technology: {node_nm: -.inf}\n"),
        _arch("nan-in-override", "overrides: {adc: {energy_pj: .nan}}\n"),
        _arch("override-unknown-component", "overrides: {warp_drive: {energy_pj: 1}}\n"),
        _arch("override-negative", "overrides: {adc: {energy_pj: -1}}\n", "either"),
        _arch("override-huge", "overrides: {adc: {energy_pj: 1e308}}\n", "either",
              via="compile"),
        _arch("non-utf8-value", b"name: \xff\xfe\xfd\n", "either", ci=True),
        _arch("non-utf8-key", b"\xff\xfe: 1\n"),
        _arch("non-utf8-everywhere", bytes(range(128, 256)) * 4),
        _arch("utf16-bom", "name: x\n".encode("utf-16"), "either"),
        _arch("utf8-bom", b"\xef\xbb\xbfname: x\n", "either"),
        _arch("nul-bytes", b"name: x\x00y\n"),
        _arch("control-chars", "name: \x07\x1b[31m\n"),
        _arch("empty-file", "", "either", ci=True),
        _arch("only-comment", "# nothing\n", "either"),
        _arch("only-document-marker", "---\n...\n", "either"),
        _arch("two-documents", "name: a\n---\nname: b\n"),
        _arch("list-top-level", "- name: x\n- array: {rows: 4}\n"),
        _arch("scalar-top-level", "42\n"),
        _arch("string-top-level", "just a string\n"),
        _arch("tabs-indent", "array:\n\trows: 4\n"),
        _arch("bad-indent", "name: x\narray:\n  rows: 128\n    cols: 64\n"),
        _arch("unclosed-quote", "name: 'abc\n"),
        _arch("huge-string-10mb", "name: " + "x" * 10_000_000 + "\n", "either", timeout=60),
        _arch("many-keys-200k", "".join(f"k{i}: {i}\n" for i in range(200_000)), timeout=60),
        _arch("long-line-key", "a" * 1_000_000 + ": 1\n"),
        _arch("markup-in-key", "'[bold]\x1b[31m\nimcsim: error: forged': 1\n"),
        _arch("markup-in-value", "array: {rows: '[/]\x1b[31m\nforged'}\n", ci=True),
        _arch("preset-as-garbage-suffix", base + "\n\x00\x00\x00"),
        _arch("preset-plus-unknown", base + "\nnonsense: 1\n"),
    ]
    out += [
        Case(id="yaml-file-is-fifo", kind=KIND, argv=("arch", "f.yaml"), files={"f.yaml": Fifo()},
             timeout=FIFO_TIMEOUT, ci=True),
        Case(id="yaml-file-is-dir", kind=KIND, argv=("arch", "f.yaml"), files={"f.yaml/x": "1"}),
        Case(id="yaml-file-dangling-link", kind=KIND, argv=("arch", "f.yaml"),
             files={"f.yaml": Link("nothere.yaml")}),
        Case(id="yaml-file-missing", kind=KIND, argv=("arch", "nothere.yaml")),
        Case(id="yaml-file-name-300-bytes", kind=KIND, argv=("arch", "f" * 300 + ".yaml"),
             ci=True),
        Case(id="yaml-compile-arch-name-300-bytes", kind=KIND,
             argv=("compile", "m.onnx", "--arch", "f" * 300 + ".yaml"), files={"m.onnx": tiny()}),
        Case(id="yaml-preset-name-300-bytes", kind=KIND, argv=("arch", "p" * 300)),
        Case(id="yaml-preset-name-markup", kind=KIND, argv=("arch", "[bold]\x1b[31m\nx")),
        Case(id="yaml-preset-name-dotdot", kind=KIND, argv=("arch", "../../etc/hostname")),
        Case(id="yaml-etc-hostname", kind=KIND, argv=("arch", "/etc/hostname")),
        Case(id="yaml-fifo-compile", kind=KIND, argv=("compile", "m.onnx", "--arch", "f.yaml"),
             files={"f.yaml": Fifo(), "m.onnx": tiny()}, timeout=FIFO_TIMEOUT),
    ]
    return out


# ---------------------------------------------------------------- --set at the bounds


def _schema() -> list[tuple[str, type, dict[str, typing.Any]]]:
    """(key, type, bounds) of every scalar config field, from the config's own metadata."""
    from imcsim import config

    return [(key, tp, {k: meta.get(k) for k in ("gt", "ge", "le")})
            for key, tp, meta in config.numeric_fields()]


def _edge_values(tp: type, bounds: dict[str, typing.Any]) -> list[tuple[str, str]]:
    """(label, text) at each edge of the allowed range: the largest value, the smallest
    (5e-324 for '> 0'), and one past each edge (must be refused)."""
    le, ge, gt = bounds["le"], bounds["ge"], bounds["gt"]
    values: list[tuple[str, str]] = []
    if le is not None:
        values.append(("max", repr(int(le)) if tp is int else repr(float(le))))
    if ge is not None:
        values.append(("min", repr(int(ge)) if tp is int else repr(float(ge))))
    if gt is not None and tp is float:
        values.append(("tiny", "5e-324" if gt == 0 else repr(float(gt) + 1e-9)))
    return values


# keys whose edges also go through the functional simulation (imcsim accuracy)
_ACCURACY_KEYS = {"array.rows", "array.cols", "array.cell_bits", "precision.weight_bits",
                  "precision.input_bits", "precision.dac_bits", "adc.bits", "array.rows_per_read",
                  "adc.cols_per_adc", "nonideal.read_noise", "nonideal.prog_noise",
                  "nonideal.drift_time_s", "nonideal.wire_resistance_ohm",
                  "nonideal.adc_noise_lsb", "readout.two_phase_above_bits", "array.r_on_ohm"}
_CI_EDGES = {("array.r_on_ohm", "tiny")}
_CI_ACCURACY = {("precision.weight_bits", "max"), ("nonideal.wire_resistance_ohm", "max")}


def _edges() -> list[Case]:
    out = []
    for key, tp, bounds in _schema():
        for label, text in _edge_values(tp, bounds):
            setting = f"{key}={text}"
            out.append(Case(id=f"yaml-set-{key}-{label}", kind=KIND,
                            argv=("compile", "m.onnx", "--set", setting),
                            files={"m.onnx": tiny()}, expect="either",
                            ci=(key, label) in _CI_EDGES))
            if key in _ACCURACY_KEYS:
                out.append(Case(id=f"yaml-set-{key}-{label}-accuracy", kind=KIND,
                                argv=("accuracy", "m.onnx", "--samples", "2", "--set", setting),
                                files={"m.onnx": tiny()}, expect="either", timeout=90,
                                ci=(key, label) in _CI_ACCURACY))
    # two extremes together: the largest arrays in the circuit IR-drop model
    big = ("--set", "array.rows=1048576", "--set", "array.cols=1048576")
    out += [
        Case(id="yaml-set-biggest-arrays-accuracy", kind=KIND,
             argv=("accuracy", "m.onnx", "--samples", "1", *big), files={"m.onnx": tiny()},
             expect="either", timeout=90, ci=True),
        Case(id="yaml-set-biggest-arrays-circuit-ir-drop", kind=KIND,
             argv=("accuracy", "m.onnx", "--samples", "1", *big, "--set",
                   "nonideal.ir_drop_model=circuit", "--set", "nonideal.wire_resistance_ohm=1"),
             files={"m.onnx": tiny()}, expect="either", timeout=90),
        Case(id="yaml-set-biggest-arrays-compile", kind=KIND, argv=("compile", "m.onnx", *big),
             files={"m.onnx": tiny()}, expect="either"),
        Case(id="yaml-set-all-bits-max-accuracy", kind=KIND,
             argv=("accuracy", "m.onnx", "--samples", "1", "--set", "precision.weight_bits=32",
                   "--set", "precision.input_bits=32", "--set", "precision.dac_bits=16",
                   "--set", "adc.bits=16", "--set", "adc.model=sar", "--set", "array.cell_bits=8",
                   "--set", "readout.style=integrate"),
             files={"m.onnx": tiny()}, expect="either", timeout=90, ci=True),
        Case(id="yaml-set-circuit-ir-drop-1-cell-per-adc", kind=KIND,
             argv=("accuracy", "m.onnx", "--samples", "1", "--set",
                   "nonideal.ir_drop_model=circuit", "--set", "array.rows=4096",
                   "--set", "array.cols=4096", "--set", "nonideal.wire_resistance_ohm=1e15"),
             files={"m.onnx": tiny()}, expect="either", timeout=90),
    ]
    return out


def _set_garbage() -> list[Case]:
    m = {"m.onnx": tiny()}
    values = [
        ("no-equals", "adc.bits"), ("empty", ""), ("only-equals", "="), ("empty-key", "=3"),
        ("empty-value", "adc.bits="), ("double-dot", "adc..bits=3"), ("dot-only", ".=1"),
        ("leading-dot", ".adc.bits=3"), ("section", "adc=3"), ("section-mapping", "adc={bits: 3}"),
        ("value-as-section", "adc.bits.x=3"), ("5000-digits", "adc.bits=" + "9" * 5000),
        ("yaml-list", "adc.bits=[1, 2]"), ("yaml-map", "adc.bits={a: 1}"),
        ("recursive-alias", "adc.bits=&a [*a]"), ("laughs", "adc.bits=" + _flow_laughs()),
        ("deep", "adc.bits=" + "[" * 5000 + "]" * 5000),
        ("python-tag", "adc.bits=!!python/object/apply:os.system ['true']"),
        ("nan", "array.r_on_ohm=.nan"), ("inf", "array.r_on_ohm=.inf"),
        ("unicode-digits", "adc.bits=٦"), ("superscript", "adc.bits=²"),
        ("markup", "adc.bits=[bold]\x1b[31m\nimcsim: error: forged"),
        ("newline-key", "adc\n.bits=3"),
        ("override-component-unknown", "overrides.warp.energy_pj=1"),
        ("override-nan", "overrides.adc.energy_pj=.nan"), ("bool-int", "array.rows=true"),
        ("enum-garbage", "adc.model=\x1b[31m"), ("long-key", "a" * 100_000 + "=1"),
    ]
    ci = {"recursive-alias", "5000-digits", "deep", "markup"}
    out = [Case(id=f"yaml-set-garbage-{label}", kind=KIND,
                argv=("compile", "m.onnx", "--set", value), files=m, ci=label in ci)
           for label, value in values]
    expect = {"empty-value": "either"}
    out = [dataclasses.replace(c, expect=expect.get(c.id.removeprefix("yaml-set-garbage-"), "bad"))
           for c in out]
    out.append(Case(id="yaml-set-name-markup", kind=KIND,
                    argv=("compile", "m.onnx", "--set", "name=[bold]\x1b[31m\nimcsim: error: x"),
                    files=m, expect="valid", ci=True))
    out.append(Case(id="yaml-set-1000-times", kind=KIND,
                    argv=("arch", *[a for i in range(1000)
                                    for a in ("--set", f"adc.bits={i % 8 + 1}")]),
                    expect="valid"))
    return out


def cases() -> list[Case]:
    return [*_hostile(), *_edges(), *_set_garbage()]
