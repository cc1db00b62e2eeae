"""Hostile user data and analysis options: `accuracy --data` (.npz, .npy, image folders),
preprocessing options, sweep objectives and constraints, architectures and models as sweep
axes, `imcsim compare`, `imcsim compile --cycle`, --max-memory and --format."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from fuzz.cases import Case, Dir, Fifo, Link, matrix, tiny

KIND = "data"
SHAPE = (1, 16, 16)  # models/tiny_cnn.onnx's input after the batch axis; 10 classes


def _npz(**arrays: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _npy(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a)
    return buf.getvalue()


def _npy_header_only(shape: tuple[int, ...]) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": "<f4", "fortran_order": False, "shape": shape})
    return buf.getvalue()


def _acc(id_: str, data: object, *extra: str, expect: str = "bad", ci: bool = False,
         name: str = "d.npz") -> Case:
    return Case(id=f"data-{id_}", kind=KIND, argv=("accuracy", "m.onnx", "--data", name, *extra),
                files={"m.onnx": tiny(), name: data}, expect=expect, ci=ci, timeout=90.0)


def _x(n: int = 4) -> np.ndarray:
    return np.random.default_rng(0).standard_normal((n, *SHAPE)).astype(np.float32)


def _data() -> list[Case]:
    x = _x()
    nan = x.copy()
    nan[1, 0, 3, 3] = np.nan
    return [
        _acc("valid-npz", _npz(x=x, y=np.arange(4)), "--samples", "2", expect="valid", ci=True),
        _acc("wrong-shape", _npz(x=np.zeros((4, 3, 16, 16), np.float32)), ci=True),
        _acc("nan", _npz(x=nan)),
        _acc("labels-out-of-range", _npz(x=x, y=np.array([0, 1, 2, 99]))),
        _acc("labels-negative", _npz(x=x, y=np.array([0, -1, 2, 3]))),
        _acc("labels-float", _npz(x=x, y=np.array([0.5, 1, 2, 3]))),
        _acc("labels-length", _npz(x=x, y=np.arange(3))),
        _acc("extra-array", _npz(x=x, z=np.zeros(3))),
        _acc("no-x", _npz(y=np.arange(4))),
        _acc("strings", _npz(x=np.array(["a", "b"]))),
        _acc("empty-x", _npz(x=np.zeros((0, *SHAPE), np.float32))),
        _acc("object-array", b"PK\x03\x04" + b"\0" * 100),
        _acc("npy-valid", _npy(x), "--samples", "2", expect="valid", name="d.npy"),
        _acc("npy-header-1e12", _npy_header_only((10**12, *SHAPE)), name="d.npy", ci=True),
        _acc("npy-truncated", _npy(x)[:200], name="d.npy"),
        _acc("npy-complex", _npy(x.astype(np.complex64)), name="d.npy"),
        _acc("text-as-npy", "not an array", name="d.npy"),
        _acc("fifo", Fifo(), name="d.npy"),
        _acc("empty-folder", Dir(), name="imgs"),
        Case(id="data-folder-of-fake-pngs", kind=KIND,
             argv=("accuracy", "m.onnx", "--data", "imgs"),
             files={"m.onnx": tiny(), "imgs/cat/a.png": b"\x89PNG\r\n\x1a\n" + b"\0" * 64},
             expect="bad"),
        _acc("resize-zero", _npz(x=x), "--resize", "0"),
        _acc("resize-huge", _npz(x=x), "--resize", "10" * 20),
        _acc("mean-words", _npz(x=x), "--mean", "red,green"),
        _acc("std-zero", _npz(x=x), "--std", "0"),
        Case(id="data-and-dataset", kind=KIND,
             argv=("accuracy", "m.onnx", "--data", "d.npz", "--dataset", "digits"),
             files={"m.onnx": tiny(), "d.npz": _npz(x=x)}, expect="bad"),
    ]


def _sweep(id_: str, *extra: str, expect: str = "bad", ci: bool = False) -> Case:
    return Case(id=f"data-sweep-{id_}", kind=KIND,
                argv=("sweep", "m.onnx", "--grid", "adc.bits=4,5", "--out", "s", "--quiet",
                      "--no-plots", *extra),
                files={"m.onnx": tiny()}, expect=expect, ci=ci, outputs=("s/",))


def _analysis() -> list[Case]:
    return [
        _sweep("objectives-valid", "--objectives", "energy.total_j:min,area.total_mm2:min",
               "--constraint", "area.total_mm2<=1e9", expect="valid", ci=True),
        _sweep("objectives-empty", "--objectives", ""),
        _sweep("objectives-direction", "--objectives", "energy.total_j:sideways", ci=True),
        _sweep("objectives-unknown", "--objectives", "energy.nonsense:min"),
        _sweep("objectives-1000", "--objectives", ",".join(["energy.total_j:min"] * 1000),
               expect="either"),
        _sweep("objectives-markup", "--objectives", "[bold]x[/]:min"),
        _sweep("constraint-no-value", "--constraint", "area.total_mm2<="),
        _sweep("constraint-inf", "--constraint", "area.total_mm2<=1e400", expect="either"),
        _sweep("constraint-nan", "--constraint", "area.total_mm2<=nan", expect="either"),
        _sweep("constraint-python", "--constraint", "__import__('os').system('true')", ci=True),
        _sweep("constraint-10k", "--constraint", "a" * 10_000 + "<=1"),
        _sweep("constraint-escape", "--constraint", "\x1b[31marea<=1"),
    ]


def _axes() -> list[Case]:
    """Architectures and models as sweep axes: options and sweep-file lists."""
    def sweep_file(id_: str, text: str, expect: str = "bad", ci: bool = False) -> Case:
        return Case(id=f"data-sweepfile-{id_}", kind=KIND,
                    argv=("sweep", "s.yaml", "--out", "s", "--quiet", "--no-plots"),
                    files={"m.onnx": tiny(), "s.yaml": text}, expect=expect, ci=ci,
                    outputs=("s/",))

    chip = Path(__file__).resolve().parents[2] / "arch_configs" / "rram_128.yaml"
    return [
        _sweep("arch-two", "--arch", "isaac", "--arch", "rram_128", expect="valid", ci=True),
        _sweep("arch-both-ways", "--arch", "isaac", "--grid", "arch=rram_128,isaac", ci=True),
        _sweep("arch-numbers", "--grid", "arch=1,2"),
        _sweep("arch-empty-value", "--grid", "arch=isaac,"),
        _sweep("arch-twice", "--arch", "isaac", "--arch", "isaac"),
        _sweep("arch-missing-file", "--arch", "isaac", "--arch", "nope.yaml"),
        _sweep("arch-escape", "--arch", "isaac", "--arch", "\x1b[31mchip"),
        Case(id="data-sweep-arch-fifo", kind=KIND,
             argv=("sweep", "m.onnx", "--grid", "adc.bits=4", "--arch", "isaac", "--arch",
                   "f.yaml", "--out", "s", "--quiet", "--no-plots"),
             files={"m.onnx": tiny(), "f.yaml": Fifo()}, expect="bad", outputs=("s/",)),
        Case(id="data-sweep-arch-file-and-preset", kind=KIND,
             argv=("sweep", "m.onnx", "--grid", "adc.bits=4", "--arch", "isaac", "--arch",
                   "c.yaml", "--out", "s", "--quiet", "--no-plots"),
             files={"m.onnx": tiny(), "c.yaml": chip.read_bytes()}, expect="valid",
             outputs=("s/",)),
        _sweep("model-missing", "--model", "nope.onnx", ci=True),
        _sweep("model-twice", "--model", "m.onnx"),
        Case(id="data-sweep-model-garbage", kind=KIND,
             argv=("sweep", "m.onnx", "--model", "g.onnx", "--grid", "adc.bits=4", "--out",
                   "s", "--quiet", "--no-plots"),
             files={"m.onnx": tiny(), "g.onnx": b"\x08\x07garbage" * 50}, expect="bad",
             outputs=("s/",)),
        Case(id="data-sweep-model-fifo", kind=KIND,
             argv=("sweep", "m.onnx", "--model", "f.onnx", "--grid", "adc.bits=4", "--out",
                   "s", "--quiet", "--no-plots"),
             files={"m.onnx": tiny(), "f.onnx": Fifo()}, expect="bad", outputs=("s/",)),
        Case(id="data-sweep-model-folder", kind=KIND,
             argv=("sweep", "m.onnx", "--model", "d", "--grid", "adc.bits=4", "--out",
                   "s", "--quiet", "--no-plots"),
             files={"m.onnx": tiny(), "d": Dir()}, expect="bad", outputs=("s/",)),
        sweep_file("lists", "model: [m.onnx]\narch: [isaac, rram_128]\ngrid: {adc.bits: 4}\n",
                   expect="valid"),
        sweep_file("model-numbers", "model: [1, 2]\ngrid: {adc.bits: 4}\n", ci=True),
        sweep_file("model-and-models", "model: m.onnx\nmodels: [m.onnx]\ngrid: {adc.bits: 4}\n"),
        sweep_file("arch-mapping", "model: m.onnx\narch: {a: 1}\ngrid: {adc.bits: 4}\n"),
        sweep_file("arch-empty-list", "model: m.onnx\narch: []\ngrid: {adc.bits: 4}\n"),
        sweep_file("arch-list-and-grid",
                   "model: m.onnx\narch: [isaac, rram_128]\ngrid: {arch: [isaac], adc.bits: 4}\n"),
        sweep_file("model-absolute-escape", "model: [/etc/passwd, m.onnx]\ngrid: {adc.bits: 4}\n"),
    ]


def _compare() -> list[Case]:
    """`imcsim compare`: models and architectures side by side, outputs."""
    def case(id_: str, *argv: str, files: dict | None = None, expect: str = "bad",
             ci: bool = False, outputs: tuple[str, ...] = ()) -> Case:
        return Case(id=f"data-compare-{id_}", kind=KIND, argv=("compare", *argv),
                    files={"m.onnx": tiny(), **(files or {})}, expect=expect, ci=ci,
                    outputs=outputs)

    return [
        case("valid", "m.onnx", "--arch", "isaac", "--arch", "rram_128", "--html", "c.html",
             "--json", "c.json", expect="valid", ci=True, outputs=("c.html", "c.json")),
        case("one-combination", "m.onnx", "--arch", "isaac", ci=True),
        case("arch-twice", "m.onnx", "--arch", "isaac", "--arch", "isaac"),
        case("model-twice", "m.onnx", "m.onnx", "--arch", "isaac"),
        case("unknown-arch", "m.onnx", "--arch", "isaac", "--arch", "nope"),
        case("model-fifo", "m.onnx", "f.onnx", "--arch", "isaac", files={"f.onnx": Fifo()}),
        case("model-folder", "m.onnx", "d", "--arch", "isaac", files={"d": Dir()}),
        case("model-garbage", "m.onnx", "g.onnx", "--arch", "isaac",
             files={"g.onnx": b"\x08\x07garbage" * 50}),
        case("html-onto-model", "m.onnx", "--arch", "isaac", "--arch", "rram_128", "--html",
             "m.onnx", ci=True),
        case("html-stdout", "m.onnx", "--arch", "isaac", "--arch", "rram_128", "--html", "-"),
        case("html-is-json", "m.onnx", "--arch", "isaac", "--arch", "rram_128", "--html", "o",
             "--json", "o"),
        case("html-fifo", "m.onnx", "--arch", "isaac", "--arch", "rram_128", "--html", "p",
             files={"p": Fifo()}),
        case("bad-set", "m.onnx", "--arch", "isaac", "--arch", "rram_128", "--set",
             "adc.bits=-3"),
        case("samples-without-accuracy", "m.onnx", "--arch", "isaac", "--arch", "rram_128",
             "--samples", "4"),
        case("escape-arch", "m.onnx", "--arch", "isaac", "--arch", "\x1b[2J[bold]x"),
    ]


def _cycle() -> list[Case]:
    """`imcsim compile --cycle`: its timeline output and hostile buffer sizes."""
    def case(id_: str, *argv: str, files: dict | None = None, expect: str = "bad",
             ci: bool = False, outputs: tuple[str, ...] = ()) -> Case:
        return Case(id=f"data-cycle-{id_}", kind=KIND, argv=("compile", "m.onnx", *argv),
                    files={"m.onnx": tiny(), **(files or {})}, expect=expect, ci=ci,
                    outputs=outputs)

    return [
        case("valid", "--cycle", "--timeline", "t.png", "--json", "c.json", expect="valid",
             ci=True, outputs=("t.png", "c.json")),
        case("timeline-onto-model", "--cycle", "--timeline", "m.onnx", ci=True),
        case("timeline-stdout", "--cycle", "--timeline", "-"),
        case("timeline-fifo", "--cycle", "--timeline", "f.svg", files={"f.svg": Fifo()}),
        case("timeline-folder", "--cycle", "--timeline", "d.svg", files={"d.svg": Dir()}),
        case("timeline-link", "--cycle", "--timeline", "l.svg",
             files={"l.svg": Link("target.svg"), "target.svg": "<svg/>"}),
        case("timeline-no-cycle", "--timeline", "t.svg"),
        case("timeline-suffix", "--cycle", "--timeline", "t.pdf"),
        case("buffer-one-byte", "--cycle", "--set", "tile.buffer_bytes=1", ci=True),
        case("buffer-huge", "--cycle", "--set", "tile.buffer_bytes=4294967296",
             expect="either"),
        case("buffer-negative", "--cycle", "--set", "tile.buffer_bytes=-5"),
        case("batch-million", "--cycle", "--batch", "1000000", expect="valid"),
        case("no-contention-alone", "--no-contention"),
    ]


def _options() -> list[Case]:
    out = []
    for label, value, expect in (("zero", "0", "bad"), ("negative", "-4G", "bad"),
                                 ("huge", "1e30", "bad"), ("word", "lots", "bad"),
                                 ("valid", "4G", "valid"), ("bytes", "2000000000", "valid"),
                                 ("unicode", "٤G", "bad")):
        out.append(Case(id=f"data-max-memory-{label}", kind=KIND,
                        argv=(f"--max-memory={value}", "sparse", "a.mtx", "--no-error"),
                        files={"a.mtx": matrix("karate.mtx")}, expect=expect,
                        ci=label == "negative"))
    for fmt, expect in (("csv", "valid"), ("markdown", "valid"), ("json", "valid"),
                        ("yaml", "bad"), ("", "bad")):
        out.append(Case(id=f"data-format-{fmt or 'empty'}", kind=KIND,
                        argv=("sparse", "a.mtx", "--no-error", "--format", fmt),
                        files={"a.mtx": matrix("karate.mtx")}, expect=expect))
    return out


def cases() -> list[Case]:
    return [*_data(), *_analysis(), *_axes(), *_compare(), *_cycle(), *_options()]
