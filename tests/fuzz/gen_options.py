"""Hostile and extreme command-line options: seeds, sample counts, duplication, batch,
solver limits, sweep grids, long file names."""

from __future__ import annotations

from fuzz.cases import Case, matrix, tiny

KIND = "options"
SOLVE_RC = (0, 1)
_INVALID_POINTS = ("s/",)  # a sweep of invalid points only may fail and keep their reasons


def _compile(id_: str, *extra: str, expect: str = "bad", ci: bool = False,
             timeout: float = 60.0, note: str = "") -> Case:
    return Case(id=f"options-compile-{id_}", kind=KIND, argv=("compile", "m.onnx", *extra),
                files={"m.onnx": tiny()}, expect=expect, ci=ci, timeout=timeout, note=note)


def _accuracy(id_: str, *extra: str, expect: str = "bad", ci: bool = False,
              timeout: float = 90.0) -> Case:
    return Case(id=f"options-accuracy-{id_}", kind=KIND, argv=("accuracy", "m.onnx", *extra),
                files={"m.onnx": tiny()}, expect=expect, ci=ci, timeout=timeout)


def _solve(id_: str, *extra: str, expect: str = "bad", ci: bool = False, command: str = "solve",
           timeout: float = 60.0) -> Case:
    return Case(id=f"options-{command}-{id_}", kind=KIND, argv=(command, "a.mtx", *extra),
                files={"a.mtx": matrix("nos4.mtx" if command == "solve" else "karate.mtx")},
                expect=expect, ok_rc=SOLVE_RC, ci=ci, timeout=timeout)


def _sweep(id_: str, *extra: str, expect: str = "bad", ci: bool = False,
           timeout: float = 60.0, error_outputs: tuple[str, ...] = ()) -> Case:
    return Case(id=f"options-sweep-{id_}", kind=KIND,
                argv=("sweep", "m.onnx", "--out", "s", "--quiet", "--no-plots", *extra),
                files={"m.onnx": tiny()}, expect=expect, ci=ci, timeout=timeout, outputs=("s/",),
                error_outputs=error_outputs)


def _seeds() -> list[Case]:
    out = []
    for label, value, expect in (("negative", "-1", "bad"), ("float", "1e3", "bad"),
                                 ("huge", "9" * 100, "bad"), ("2-pow-63", str(2**63), "bad"),
                                 ("max", str(2**63 - 1), "valid"), ("word", "abc", "bad"),
                                 ("empty", "", "bad"), ("hex", "0x10", "bad"),
                                 ("unicode-digit", "٣", "either"), ("spaces", " 7 ", "either"),
                                 ("underscore", "1_000", "either"), ("5000-digits", "9" * 5000,
                                                                     "bad")):
        out.append(_compile(f"seed-{label}", "--activity-from", "random", "--samples", "1",
                            "--seed", value, expect=expect,
                            ci=label in ("negative", "5000-digits")))
    out += [
        _solve("seed-negative", "--seed", "-5"),
        _solve("seed-huge", "--seed", str(2**64)),
        _accuracy("seed-max", "--samples", "1", "--seed", str(2**63 - 1), expect="valid"),
        Case(id="options-sparse-seed-max", kind=KIND,
             argv=("sparse", "a.mtx", "--arch", "rram_128", "--seed", str(2**63 - 1)),
             files={"a.mtx": matrix("karate.mtx")}, expect="valid"),
        _sweep("seed-negative", "--grid", "adc.bits=4,5", "--seed", "-1"),
    ]
    return out


def _counts() -> list[Case]:
    return [
        _compile("samples-1e9-text", "--activity-from", "random", "--samples", "1e9"),
        _compile("samples-1e9", "--activity-from", "random", "--samples", "1000000000",
                 expect="either", ci=True, note="must refuse or stay bounded, not allocate"),
        _compile("samples-0", "--activity-from", "random", "--samples", "0"),
        _compile("samples-negative", "--activity-from", "random", "--samples", "-1", ci=True),
        _compile("samples-without-activity", "--samples", "-1", expect="either"),
        _compile("activity-from-garbage", "--activity-from", "[bold]\x1b[31m\nx"),
        _compile("activity-from-missing-npz", "--activity-from", "nothere.npz"),
        _accuracy("samples-1e9", "--samples", "1000000000", ci=True),
        _accuracy("samples-0", "--samples", "0"),
        _accuracy("samples-negative", "--samples", "-1"),
        _accuracy("batch-size-0", "--samples", "2", "--batch-size", "0"),
        _accuracy("batch-size-huge", "--samples", "2", "--batch-size", "1000000000",
                  expect="either"),
        _accuracy("dataset-garbage", "--dataset", "[/]\x1b[31m"),
        _accuracy("dataset-npz-missing", "--dataset", "nothere.npz"),
        _accuracy("layers-unknown", "--samples", "2", "--layers", "nosuch,[bold]"),
        _accuracy("layers-empty", "--samples", "2", "--layers", ",,,", expect="either"),
        _compile("batch-0", "--batch", "0", ci=True),
        _compile("batch-negative", "--batch", "-5"),
        _compile("batch-huge", "--batch", str(10**12), expect="either"),
        _compile("batch-2-pow-63", "--batch", str(2**63), expect="either", ci=True),
        _compile("batch-5000-digits", "--batch", "9" * 5000, expect="either"),
        _compile("batch-float", "--batch", "2.5"),
        _compile("layers-negative", "--layers", "-1", expect="either"),
        _compile("layers-huge", "--layers", str(10**18), expect="either"),
    ]


def _duplication() -> list[Case]:
    values = [("superscript-2", "²", "bad", False), ("arabic-indic-12", "١٢", "bad", True),
              ("fullwidth-3", "３", "bad", False), ("devanagari-4", "४", "bad", False),
              ("zero", "0", "bad", False), ("negative", "-1", "bad", False),
              ("huge", "9" * 30, "bad", True), ("float", "1e3", "bad", False),
              ("nan", "NaN", "bad", False), ("spaces", " 3 ", "either", False),
              ("max", "999999999", "either", False), ("empty", "", "bad", False),
              ("markup", "[bold]\x1b[31m\nx", "bad", False)]
    out = [_compile(f"duplication-{label}", "--duplication", value, expect=expect, ci=ci)
           for label, value, expect, ci in values]
    out.append(_sweep("duplication-arabic-indic", "--grid", "adc.bits=4,5", "--duplication",
                      "١٢"))
    out.append(_sweep("grid-duplication-superscript", "--grid", "duplication=1,²"))
    return out


def _solver() -> list[Case]:
    return [
        _solve("slices-1000000", "--method", "bitslice", "--slices", "1000000", expect="either",
               ci=True),
        _solve("slices-0", "--method", "bitslice", "--slices", "0"),
        _solve("slices-huge-refine", "--slices", str(10**18), expect="either"),
        _solve("max-iter-1e9", "--max-iter", "1000000000", expect="either", timeout=120),
        _solve("inner-1e9", "--inner", "1000000000", expect="either"),
        _solve("inner-0", "--inner", "0"),
        _solve("max-iter-negative", "--max-iter", "-1"),
        _solve("tol-nan", "--tol", "nan", ci=True),
        _solve("tol-inf", "--tol", "inf"),
        _solve("tol-negative", "--tol", "-1"),
        _solve("tol-5e-324", "--tol", "5e-324", expect="either"),
        _solve("tol-word", "--tol", "tight"),
        _solve("method-garbage", "--method", "[bold]\x1b[31m"),
        _solve("method-gmres-inner-1e9", "--method", "gmres-ir", "--inner", "1000000000",
               expect="either"),
        _solve("method-one-step-tol-tiny", "--method", "one-step", "--tol", "1e-300",
               expect="either"),
        _solve("damping-nan", "--damping", "nan", command="pagerank"),
        _solve("damping-1", "--damping", "1", command="pagerank"),
        _solve("damping-0", "--damping", "0", command="pagerank"),
        _solve("damping-tiny", "--damping", "5e-324", command="pagerank", expect="either"),
        _solve("tol-nan", "--tol", "nan", command="pagerank"),
        Case(id="options-sparse-strategy-empty", kind=KIND,
             argv=("sparse", "a.mtx", "--arch", "rram_128", "--strategy", ""),
             files={"a.mtx": matrix("karate.mtx")}),
    ]


def _grids() -> list[Case]:
    return [
        _sweep("grid-two-million-axes", "--grid", "adc.bits=1..999999", "--grid",
               "array.rows=1..999999"),
        _sweep("grid-range-1e9", "--grid", "adc.bits=1..1000000000", ci=True),
        _sweep("grid-range-huge-ints", "--grid", f"adc.bits={10**30}..{10**30 + 5}",
               expect="either", error_outputs=_INVALID_POINTS),
        _sweep("grid-range-5000-digits", "--grid", "adc.bits=1.." + "9" * 5000, ci=True),
        _sweep("grid-range-reversed", "--grid", "adc.bits=10..1"),
        # out-of-range points are recorded as invalid (README "Sweeps"); when all are, the
        # sweep may fail, keeping their reasons in its folder
        _sweep("grid-range-negative", "--grid", "adc.bits=-5..-1", expect="either",
               error_outputs=_INVALID_POINTS),
        _sweep("grid-range-float", "--grid", "adc.bits=1.5..3"),
        _sweep("grid-range-dots", "--grid", "adc.bits=1...3"),
        _sweep("grid-empty", "--grid", "adc.bits="),
        _sweep("grid-no-key", "--grid", "=1,2"),
        _sweep("grid-no-equals", "--grid", "adc.bits"),
        _sweep("grid-duplicate-values", "--grid", "adc.bits=4,4"),
        _sweep("grid-same-key-twice", "--grid", "adc.bits=4,5", "--grid", "adc.bits=6,7"),
        _sweep("grid-unknown-key", "--grid", "adc.bitz=4,5"),
        _sweep("grid-markup-key", "--grid", "[bold]\x1b[31m\nx=1,2"),
        _sweep("grid-many-commas", "--grid", "adc.bits=" + "," * 100_000),
        _sweep("grid-15000-values", "--grid",
               "array.rows=" + ",".join(str(i) for i in range(1, 15_001)), "--points", "2",
               expect="either"),
        _sweep("grid-yaml-laughs", "--grid", "name=[*a, *a]", expect="either"),
        _sweep("grid-adc-bits-1-64", "--grid", "adc.bits=1..64", expect="either", timeout=120),
        _sweep("zip-length-mismatch", "--zip", "array.rows=64,128", "--zip", "array.cols=64"),
        _sweep("points-0", "--grid", "adc.bits=4,5", "--points", "0"),
        _sweep("points-negative", "--grid", "adc.bits=4,5", "--points", "-1"),
        _sweep("points-1e9-text", "--grid", "adc.bits=4,5", "--points", "1e9"),
        _sweep("points-huge", "--grid", "adc.bits=4,5", "--points", str(10**18),
               expect="either"),
        _sweep("samples-and-points", "--grid", "adc.bits=4,5", "--samples", "1", "--points", "1"),
        _sweep("workers-0", "--grid", "adc.bits=4,5", "--workers", "0", ci=True),
        _sweep("workers-negative", "--grid", "adc.bits=4,5", "--workers", "-3"),
        _sweep("workers-100000", "--grid", "adc.bits=4,5", "--workers", "100000",
               expect="either"),
        _sweep("no-axis", expect="bad"),
        _sweep("set-garbage", "--grid", "adc.bits=4,5", "--set", "adc..bits=1"),
        _sweep("batch-size-without-accuracy", "--grid", "adc.bits=4,5", "--batch-size", "0"),
        _sweep("accuracy-samples-0", "--grid", "adc.bits=4,5", "--accuracy", "--samples", "0"),
        # a sweep-wide bad option: refused before the folder is written (README "Sweeps")
        _sweep("accuracy-samples-1e9", "--grid", "adc.bits=4,5", "--accuracy", "--samples",
               "1000000000", ci=True),
        _sweep("accuracy-dataset-garbage", "--grid", "adc.bits=4,5", "--accuracy", "--dataset",
               "[/]"),
    ]


def _names() -> list[Case]:
    long = "x" * 300
    return [
        Case(id="options-json-name-300-bytes", kind=KIND,
             argv=("compile", "m.onnx", "--json", long + ".json"), files={"m.onnx": tiny()},
             ci=True),
        Case(id="options-json-path-5000-bytes", kind=KIND,
             argv=("compile", "m.onnx", "--json", "d/" * 2500 + "r.json"),
             files={"m.onnx": tiny()}),
        Case(id="options-x-out-name-300-bytes", kind=KIND,
             argv=("solve", "a.mtx", "--x-out", long + ".npy"),
             files={"a.mtx": matrix("nos4.mtx")}, ok_rc=SOLVE_RC),
        Case(id="options-sweep-out-name-300-bytes", kind=KIND,
             argv=("sweep", "m.onnx", "--grid", "adc.bits=4,5", "--out", long, "--quiet"),
             files={"m.onnx": tiny()}, ci=True),
        Case(id="options-sweep-model-name-300-bytes", kind=KIND,
             argv=("sweep", long + ".onnx", "--grid", "adc.bits=4,5", "--out", "s", "--quiet")),
        Case(id="options-report-name-300-bytes", kind=KIND, argv=("report", long)),
        Case(id="options-report-html-name-300-bytes", kind=KIND,
             argv=("report", "nothere", "--html", long + ".html")),
        Case(id="options-accuracy-outputs-name-300-bytes", kind=KIND,
             argv=("accuracy", "m.onnx", "--samples", "1", "--outputs", long + ".npz"),
             files={"m.onnx": tiny()}),
        Case(id="options-activity-from-name-300-bytes", kind=KIND,
             argv=("compile", "m.onnx", "--activity-from", long + ".npz"),
             files={"m.onnx": tiny()}),
        Case(id="options-unknown-command", kind=KIND, argv=("frobnicate", "[bold]\x1b[31m")),
        Case(id="options-no-arguments", kind=KIND, argv=()),
        Case(id="options-unknown-option", kind=KIND, argv=("compile", "m.onnx", "--nope"),
             files={"m.onnx": tiny()}),
        Case(id="options-ambiguous-abbreviation", kind=KIND,
             argv=("compile", "m.onnx", "--s", "1"), files={"m.onnx": tiny()}),
        Case(id="options-help", kind=KIND, argv=("compile", "--help"), expect="valid"),
        Case(id="options-100k-args", kind=KIND,
             argv=("arch", *(["--set", "adc.bits=4"] * 5000)), expect="valid"),
    ]


def cases() -> list[Case]:
    return [*_seeds(), *_counts(), *_duplication(), *_solver(), *_grids(), *_names()]
