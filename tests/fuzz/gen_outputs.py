"""Output paths that must never destroy anything: an input of the run, a link, a FIFO, a
directory, '-', a missing directory. Inputs stay byte-identical (the harness checks every
file of the folder); outputs never go under /dev."""

from __future__ import annotations

import io

import numpy as np

from fuzz.cases import Case, Dir, Fifo, Link, matrix, tiny

KIND = "outputs"
SOLVE_RC = (0, 1)
_PRECIOUS = "keep me: 1234567890\n"


def _targets(option: str) -> list[tuple[str, str, dict, str, tuple[str, ...]]]:
    """(label, target, extra files, expectation, outputs the run may write)."""
    return [
        ("missing-dir", "nodir/out.x", {}, "bad", ()),
        ("parent-is-file", "f/out.x", {"f": "plain file\n"}, "bad", ()),
        ("directory", "adir", {"adir": Dir()}, "bad", ()),
        ("dot", ".", {}, "bad", ()),
        ("dotdot", "..", {}, "bad", ()),
        ("trailing-slash", "out.x/", {}, "either", ("out.x",)),
        ("fifo", "pipe", {"pipe": Fifo()}, "bad", ()),
        ("symlink-to-file", "link.x", {"link.x": Link("precious.txt"), "precious.txt": _PRECIOUS},
         "bad", ()),
        ("symlink-dangling", "link.x", {"link.x": Link("nothere.txt")}, "bad", ()),
        ("symlink-to-dir", "link.x", {"link.x": Link("adir"), "adir": Dir()}, "bad", ()),
        ("symlink-to-fifo", "link.x", {"link.x": Link("pipe"), "pipe": Fifo()}, "bad", ()),
        ("through-symlinked-dir", "ldir/out.x", {"ldir": Link("real"), "real": Dir()}, "either",
         ("real/out.x",)),
        ("dash" if option != "--json" else "dash-is-stdout", "-", {},
         "bad" if option != "--json" else "valid", ()),
        ("existing-regular", "old.x", {"old.x": "old content\n"}, "valid", ("old.x",)),
        ("empty-string", "", {}, "either", ()),
        ("newline-name", "a\nb.x", {}, "either", ("a\nb.x",)),
        ("markup-name", "[bold]\x1b[31m.x", {}, "either", ("[bold]\x1b[31m.x",)),
    ]


def _json_cases() -> list[Case]:
    """``imcsim compile m.onnx --json TARGET`` and the input-file targets."""
    out = []
    ci = {"fifo", "symlink-to-file", "dash-is-stdout"}
    for label, target, files, expect, outputs in _targets("--json"):
        out.append(Case(id=f"outputs-compile-json-{label}", kind=KIND,
                        argv=("compile", "m.onnx", "--json", target),
                        files={"m.onnx": tiny(), **files}, expect=expect, outputs=outputs,
                        ci=label in ci, timeout=20))
    arch = "name: mine\n"
    inputs = [
        ("model", ("compile", "m.onnx", "--json", "m.onnx"), True),
        ("model-dot-slash", ("compile", "m.onnx", "--json", "./m.onnx"), False),
        ("model-absolute", ("compile", "m.onnx", "--json", "{tmp}/m.onnx"), False),
        ("model-via-dotdot", ("compile", "m.onnx", "--json", "sub/../m.onnx"), False),
        ("model-via-symlinked-dir", ("compile", "m.onnx", "--json", "here/m.onnx"), True),
        ("arch", ("compile", "m.onnx", "--arch", "a.yaml", "--json", "a.yaml"), False),
        ("arch-absolute", ("compile", "m.onnx", "--arch", "a.yaml", "--json", "{tmp}/a.yaml"),
         False),
        ("arch-command", ("arch", "a.yaml", "--json", "a.yaml"), False),
        ("activity-npz", ("compile", "m.onnx", "--activity-from", "x.npz", "--json", "x.npz"),
         False),
    ]
    for label, argv, ci in inputs:
        out.append(Case(id=f"outputs-json-onto-input-{label}", kind=KIND, argv=argv,
                        files={"m.onnx": tiny(), "a.yaml": arch, "sub": Dir(), "here": Link("."),
                               "x.npz": b"PK\x05\x06" + bytes(18)}, ci=ci))
    # a hard link to the model is another name for the same inode: replacing it atomically
    # leaves the model intact (either refusing or writing is fine; the model must survive)
    out.append(Case(id="outputs-json-onto-hardlink-of-model", kind=KIND,
                    argv=("compile", "m.onnx", "--json", "hard.onnx"), files={"m.onnx": tiny()},
                    setup=lambda root: (root / "hard.onnx").hardlink_to(root / "m.onnx"),
                    expect="either", outputs=("hard.onnx",)))
    out.append(Case(id="outputs-json-valid", kind=KIND, argv=("compile", "m.onnx", "--json",
                                                              "r.json"),
                    files={"m.onnx": tiny()}, expect="valid", outputs=("r.json",), ci=True))
    return out


def _solve_cases() -> list[Case]:
    out = []
    nos4 = matrix("nos4.mtx")
    ci = {"dash", "fifo"}
    for label, target, files, expect, outputs in _targets("--x-out"):
        out.append(Case(id=f"outputs-solve-x-out-{label}", kind=KIND,
                        argv=("solve", "a.mtx", "--x-out", target), files={"a.mtx": nos4, **files},
                        expect=expect, ok_rc=SOLVE_RC, outputs=outputs, ci=label in ci,
                        timeout=20))
    buf = io.BytesIO()
    np.save(buf, np.ones(100))
    rhs = buf.getvalue()
    same = [
        ("x-out-onto-matrix", ("solve", "a.mtx", "--x-out", "a.mtx"), True),
        ("x-out-onto-rhs", ("solve", "a.mtx", "--rhs", "b.npy", "--x-out", "b.npy"), False),
        ("json-onto-rhs", ("solve", "a.mtx", "--rhs", "b.npy", "--json", "b.npy"), False),
        ("json-onto-matrix", ("solve", "a.mtx", "--json", "a.mtx"), False),
        ("pagerank-x-out-onto-matrix", ("pagerank", "a.mtx", "--x-out", "a.mtx"), False),
        ("sparse-json-onto-matrix", ("sparse", "a.mtx", "--arch", "rram_128", "--json", "a.mtx"),
         False),
        ("x-out-onto-arch", ("solve", "a.mtx", "--arch", "a.yaml", "--x-out", "a.yaml"), False),
    ]
    for label, argv, ci_ in same:
        out.append(Case(id=f"outputs-{label}", kind=KIND, argv=argv,
                        files={"a.mtx": nos4, "b.npy": rhs, "a.yaml": "name: mine\n"},
                        ok_rc=SOLVE_RC, ci=ci_))
    out.append(Case(id="outputs-solve-json-and-x-out-same-file", kind=KIND,
                    argv=("solve", "a.mtx", "--x-out", "r.out", "--json", "r.out"),
                    files={"a.mtx": nos4}, expect="either", ok_rc=SOLVE_RC, outputs=("r.out",)))
    out.append(Case(id="outputs-solve-valid", kind=KIND,
                    argv=("solve", "a.mtx", "--x-out", "x.npy", "--json", "r.json"),
                    files={"a.mtx": nos4}, expect="valid", ok_rc=SOLVE_RC,
                    outputs=("x.npy", "r.json")))
    return out


def _accuracy_cases() -> list[Case]:
    out = []
    for label, target, files, expect, outputs in _targets("--outputs"):
        if label not in ("fifo", "dash", "symlink-to-file", "directory", "missing-dir",
                         "existing-regular"):
            continue
        out.append(Case(id=f"outputs-accuracy-outputs-{label}", kind=KIND,
                        argv=("accuracy", "m.onnx", "--samples", "1", "--outputs", target),
                        files={"m.onnx": tiny(), **files}, expect=expect, outputs=outputs,
                        timeout=30))
    out.append(Case(id="outputs-accuracy-outputs-onto-model", kind=KIND,
                    argv=("accuracy", "m.onnx", "--samples", "1", "--outputs", "m.onnx"),
                    files={"m.onnx": tiny()}, ci=True))
    out.append(Case(id="outputs-accuracy-outputs-onto-dataset", kind=KIND,
                    argv=("accuracy", "m.onnx", "--samples", "1", "--dataset", "d.npz",
                          "--outputs", "d.npz"),
                    files={"m.onnx": tiny(), "d.npz": b"PK\x05\x06" + bytes(18)}))
    return out


def cases() -> list[Case]:
    return [*_json_cases(), *_solve_cases(), *_accuracy_cases()]
