"""Architectures and models as sweep axes (issue #13 §3): every point equals `imcsim compile`
of its own model and architecture with the same --set (an independent path), --set applies
on top of each architecture, each model gets its own Pareto front (checked by brute force
here), the sweep file's lists and relative paths, resuming, the Python API, one-line errors
and a Dask cluster giving the local results."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from onnx_builders import REPO, TINY_CNN

import imcsim
from imcsim.cli import main

TINY = str(TINY_CNN)
DIGITS = str(REPO / "models" / "digits_cnn.onnx")
SECTIONS = ("model", "arch", "mapping", "performance", "energy", "area", "adc")


def _sweep(out, *args):
    return main(["sweep", *args, "--out", str(out), "--quiet", "--no-plots"])


def _records(out):
    return [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]


def _compile(tmp_path, model, arch, sets):
    target = tmp_path / "one.json"
    target.unlink(missing_ok=True)
    args = ["compile", model, "--arch", arch, "--json", str(target)]
    for s in sets:
        args += ["--set", s]
    assert main(args) == 0
    return json.loads(target.read_text())


def test_each_point_equals_compile_of_its_model_and_arch(tmp_path):
    """2 models × 2 architectures × 2 ADC resolutions, with a fixed --set on top of each
    architecture: every point is `imcsim compile MODEL --arch A --set … --set adc.bits=B`."""
    rc = _sweep(tmp_path / "s", TINY, "--model", DIGITS, "--arch", "isaac", "--arch", "rram_128",
                "--set", "precision.input_bits=4", "--grid", "adc.bits=5,7")
    assert rc == 0
    records = _records(tmp_path / "s")
    assert len(records) == 8
    # models are the first axis, architectures the second (the first varies slowest)
    order = [(r["config"]["model"], r["config"]["arch"], r["config"]["adc.bits"])
             for r in sorted(records, key=lambda r: r["point"])]
    assert order == [(m, a, b) for m in (TINY, DIGITS) for a in ("isaac", "rram_128")
                     for b in (5, 7)]
    for r in records:
        c = r["config"]
        ref = _compile(tmp_path, c["model"], c["arch"],
                       ["precision.input_bits=4", f"adc.bits={c['adc.bits']}"])
        assert r["status"] == "ok"
        for section in SECTIONS:
            assert r[section] == json.loads(json.dumps(ref[section])), (c, section)
    # the fixed --set reached both architectures (their presets read 8-bit inputs)
    assert {(r["arch"]["source"], r["arch"]["input_bits"]) for r in records} == {
        ("isaac", 4), ("rram_128", 4)}


def test_repeated_arch_equals_grid_arch_and_resumes(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert _sweep(a, TINY, "--arch", "isaac", "--arch", "rram_128", "--grid", "adc.bits=4,6") == 0
    assert _sweep(b, TINY, "--grid", "arch=isaac,rram_128", "--grid", "adc.bits=4,6") == 0
    assert _records(a) == _records(b)
    # the same command again finds every point done (the identity names each arch's hash)
    before = (a / "results.jsonl").read_bytes()
    assert _sweep(a, TINY, "--arch", "isaac", "--arch", "rram_128", "--grid", "adc.bits=4,6") == 0
    assert (a / "results.jsonl").read_bytes() == before
    identity = json.loads((a / "sweep.json").read_text())["identity"]
    assert set(identity["arch_sha256"]) == {"isaac", "rram_128"}


def test_each_model_has_its_own_front(tmp_path):
    """The front and the best points are judged within each model (brute force here)."""
    assert _sweep(tmp_path / "s", "--model", TINY, "--model", DIGITS, "--arch", "isaac",
                  "--arch", "rram_128", "--grid", "adc.bits=4..6",
                  "--grid", "array.rows=64,128", "--json", str(tmp_path / "a.json")) == 0
    data = json.loads((tmp_path / "a.json").read_text())
    rows = [r for r in data["rows"] if r["status"] == "ok"]
    keys = ("energy.total_j", "area.total_mm2")
    for model in (TINY, DIGITS):
        mine = [r for r in rows if r["model"] == model]
        expected = {r["point"] for r in mine
                    if not any(all(o[k] <= r[k] for k in keys) and any(o[k] < r[k] for k in keys)
                               for o in mine)}
        assert {r["point"] for r in mine if r["pareto"]} == expected
        bests = [b for b in data["best"] if b["config"]["model"] == model]
        assert [b["objective"] for b in bests] == list(keys)
        for b in bests:
            assert b["value"] == min(r[b["objective"]] for r in mine)
            assert f"imcsim compile {model} --arch {b['config']['arch']}" in b["command"]
    assert len(data["best"]) == 4


def test_sweep_file_lists_and_relative_paths(tmp_path):
    """`model:` and `arch:` lists in a sweep file are axes; paths are relative to the file."""
    folder = tmp_path / "study"
    folder.mkdir()
    shutil.copy(TINY, folder / "m1.onnx")
    shutil.copy(DIGITS, folder / "m2.onnx")
    (folder / "chip.yaml").write_text((REPO / "arch_configs" / "rram_128.yaml").read_text())
    (folder / "sweep.yaml").write_text(
        "model: [m1.onnx, m2.onnx]\narch: [isaac, chip.yaml]\ngrid:\n  adc.bits: [5, 6]\n")
    assert _sweep(tmp_path / "out", str(folder / "sweep.yaml")) == 0
    records = _records(tmp_path / "out")
    assert len(records) == 8 and all(r["status"] == "ok" for r in records)
    assert {r["config"]["arch"] for r in records} == {"isaac", str(folder / "chip.yaml")}
    assert {r["config"]["model"] for r in records} == {str(folder / "m1.onnx"),
                                                       str(folder / "m2.onnx")}
    # the copied preset gives what the preset gives
    by = {(r["config"]["model"], r["config"]["arch"], r["config"]["adc.bits"]): r
          for r in records}
    for m in ("m1.onnx", "m2.onnx"):
        assert (by[(str(folder / m), str(folder / "chip.yaml"), 5)]["energy"]
                == _compile(tmp_path, str(folder / m), "rram_128", ["adc.bits=5"])["energy"])


def test_python_api_lists(tmp_path):
    res = imcsim.sweep([TINY, DIGITS], arch=["isaac", "rram_128"], grid={"adc.bits": [4, 8]},
                       progress=False, plots=False)
    assert len(res) == 8
    assert {(r["model"], r["arch"]) for r in res} == {(m, a) for m in (TINY, DIGITS)
                                                      for a in ("isaac", "rram_128")}
    one = [r for r in res if r["model"] == DIGITS and r["arch"] == "isaac" and r["adc.bits"] == 8]
    ref = imcsim.compile(DIGITS, "isaac", set={"adc.bits": 8})
    assert one[0]["energy.total_j"] == ref.energy.total_j


@pytest.mark.parametrize(("args", "expect"), [
    (["--arch", "isaac", "--grid", "arch=rram_128,isaac"], "arch is swept (--grid arch=…) and "
     "also given as --arch isaac"),
    (["--grid", "arch=isaac,7"], "--grid arch: 7 is not a preset or config file"),
    (["--arch", "isaac", "--arch", "no_such_chip"], "no_such_chip"),
    (["--arch", "isaac", "--arch", "isaac"], "value \"isaac\" is given twice"),
    (["--model", "missing.onnx"], "missing.onnx: no such model file"),
])
def test_axis_errors_are_one_line(tmp_path, capsys, args, expect):
    rc = main(["sweep", TINY, *args, "--grid", "adc.bits=4,5", "--out", str(tmp_path / "o"),
               "--quiet"])
    assert rc == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expect in err, err
    assert not (tmp_path / "o").exists()


def test_dask_cluster_with_arch_and_model_axes_equals_local(tmp_path):
    distributed = pytest.importorskip("distributed")
    args = [TINY, "--model", DIGITS, "--arch", "isaac", "--arch", "rram_128",
            "--grid", "adc.bits=4..6"]
    assert _sweep(tmp_path / "local", *args) == 0
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  host="127.0.0.1", protocol="tcp", dashboard_address=None,
                                  silence_logs=True) as cluster:
        subprocess.run([sys.executable, "-m", "imcsim", "sweep", *args, "--out",
                        str(tmp_path / "remote"), "--scheduler", cluster.scheduler_address,
                        "--quiet", "--no-plots"], check=True, timeout=120)
    local = {r["id"]: r for r in _records(tmp_path / "local")}
    remote = {r["id"]: r for r in _records(tmp_path / "remote")}
    assert len(local) == 12 and remote == local


def test_accuracy_per_model_equals_imcsim_accuracy(tmp_path):
    """With accuracy swept over two models, each point's accuracy block is what `imcsim
    accuracy` of that model gives with the point's settings and the sweep's seed."""
    assert _sweep(tmp_path / "s", DIGITS, "--model", TINY, "--arch", "isaac", "--arch",
                  "rram_128", "--set", "tile.pooling_units=1", "--grid", "adc.bits=4",
                  "--accuracy", "--samples", "4", "--seed", "3") == 0
    records = _records(tmp_path / "s")
    assert len(records) == 4
    for r in records:
        c = r["config"]
        target = tmp_path / "acc.json"
        target.unlink(missing_ok=True)
        assert main(["accuracy", c["model"], "--arch", c["arch"], "--set", "tile.pooling_units=1",
                     "--set", "adc.bits=4", "--dataset", "random", "--samples", "4",
                     "--seed", "3", "--json", str(target)]) == 0
        ref = json.loads(target.read_text())["accuracy"]
        assert r["accuracy"]["top1_agreement"] == ref["top1_agreement"]
        assert r["accuracy"]["output_rel_error"] == ref["output_rel_error"]
