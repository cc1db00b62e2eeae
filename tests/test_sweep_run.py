"""Sweeps end to end: each point equals `imcsim compile --set` (an independent path), the CSV
summary, invalid points, resuming, refusing a changed sweep, one-line errors, the API."""

from __future__ import annotations

import csv
import json
import shutil

import pytest
from onnx_builders import REPO, TINY_CNN

import imcsim
from imcsim.cli import main

TINY = str(TINY_CNN)
DIGITS = str(REPO / "models" / "digits_cnn.onnx")
SECTIONS = ("model", "arch", "mapping", "performance", "energy", "area", "adc")


def _sweep(out, *args, model=TINY):
    return main(["sweep", model, *args, "--out", str(out), "--quiet", "--no-plots"])


def _records(out):
    lines = (out / "results.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def _by_id(records):
    return {r["id"]: r for r in records}


def _compile(tmp_path, capsys, values, base):
    """`imcsim compile` of one point: (exit code, JSON report or the error line)."""
    target = tmp_path / "c.json"
    target.unlink(missing_ok=True)
    args = ["compile", TINY, *base, "--json", str(target)]
    for k, v in values.items():
        args += ["--duplication", str(v)] if k == "duplication" else ["--set", f"{k}={v}"]
    capsys.readouterr()
    rc = main(args)
    if rc:
        return rc, capsys.readouterr().err.strip()
    return rc, json.loads(target.read_text())


@pytest.mark.parametrize("base, grid", [
    ([], ["array.rows=64,256", "adc.bits=4,7", "array.cell_bits=2,16"]),
    (["--arch", "isaac", "--set", "adc.model=sar"],
     ["duplication=none,2", "precision.signed_scheme=offset,differential", "array.cols=0,128"]),
])
def test_each_point_equals_imcsim_compile(tmp_path, capsys, base, grid):
    """Valid points carry compile's report sections exactly; invalid ones (cell_bits 16 > 8,
    cols 0) carry the error compile prints. 2 × 2 × 2 = 8 points each."""
    args = [a for g in grid for a in ("--grid", g)]
    assert _sweep(tmp_path / "out", *base, *args) == 0
    records = _records(tmp_path / "out")
    assert len(records) == 8 and sorted(r["point"] for r in records) == list(range(8))
    invalid = 0
    for rec in records:
        rc, expected = _compile(tmp_path, capsys, rec["config"], base)
        if rc:
            invalid += 1
            assert rec["status"] == "invalid"
            assert expected == f"imcsim: error: {rec['reason']}"
        else:
            assert rec["status"] == "ok"
            assert {k: rec[k] for k in SECTIONS} == {k: expected[k] for k in SECTIONS}
    assert invalid == 4


def test_csv_is_sorted_by_point_and_matches_the_records(tmp_path):
    out = tmp_path / "out"
    assert _sweep(out, "--grid", "adc.bits=3..8", "--grid", "array.rows=64,128",
                  "--grid", "array.cell_bits=1,9") == 0
    records = _by_id(_records(out))
    with (out / "results.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 6 * 2 * 2
    assert [int(r["point"]) for r in rows] == list(range(24))
    for row in rows:
        rec = records[row["id"]]
        assert int(row["adc.bits"]) == rec["config"]["adc.bits"]
        assert row["status"] == rec["status"]
        if rec["status"] == "ok":
            assert float(row["energy.total_j"]) == rec["energy"]["total_j"]
            assert float(row["energy.breakdown.adc"]) == rec["energy"]["breakdown"]["adc"]
            assert row["reason"] == ""
        else:
            assert row["reason"] == rec["reason"] and row["energy.total_j"] == ""
    assert sum(r["status"] == "invalid" for r in rows) == 12  # every cell_bits=9 point


def test_rerun_skips_finished_points(tmp_path, capsys):
    out = tmp_path / "out"
    args = ["sweep", TINY, "--grid", "adc.bits=3..6", "--out", str(out), "--no-plots"]
    assert main(args) == 0
    first = (out / "results.jsonl").read_bytes()
    capsys.readouterr()
    assert main(args) == 0
    assert "(0 new, 4 resumed, 0 invalid)" in capsys.readouterr().err
    assert (out / "results.jsonl").read_bytes() == first


def test_truncated_last_line_is_dropped_and_its_point_rerun(tmp_path):
    """A power loss mid-write leaves a partial last line: resuming cuts it and reruns the
    point; the final results equal an uninterrupted run's."""
    grid = ("--grid", "adc.bits=3..8", "--grid", "array.rows=64,128")
    ref, out = tmp_path / "ref", tmp_path / "out"
    assert _sweep(ref, *grid) == 0
    lines = (ref / "results.jsonl").read_bytes().splitlines(keepends=True)
    out.mkdir()
    shutil.copy(ref / "sweep.json", out / "sweep.json")
    (out / "results.jsonl").write_bytes(b"".join(lines[:5]) + lines[5][: len(lines[5]) // 2])
    assert _sweep(out, *grid) == 0
    got = _records(out)
    assert len(got) == 12 and len({r["id"] for r in got}) == 12
    assert _by_id(got) == _by_id(_records(ref))
    assert (out / "results.csv").read_text() == (ref / "results.csv").read_text()


def test_changed_sweep_with_same_out_is_refused(tmp_path, capsys):
    out = tmp_path / "out"
    assert _sweep(out, "--grid", "adc.bits=3..5") == 0
    before = (out / "results.jsonl").read_bytes()
    capsys.readouterr()
    assert _sweep(out, "--grid", "adc.bits=3..6") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "holds a different sweep (grid changed)" in err
    assert _sweep(out, "--grid", "adc.bits=3..5", "--set", "adc.model=sar") == 2
    assert "set changed" in capsys.readouterr().err
    assert (out / "results.jsonl").read_bytes() == before


@pytest.mark.parametrize("args, message", [
    (["--grid", "array.rowz=1,2"], "--grid array.rowz: no such key 'array.rowz'"),
    (["--grid", "adc.bits="], "--grid adc.bits: no values"),
    (["--grid", "adc.bits=9..3"], "range 9..3 is empty"),
    (["--grid", "adc.bits=3..x"], "bad range"),
    (["--zip", "array.rows=1,2", "--zip", "array.cols=1"], "same number of values"),
    (["--set", "adc.bits=4"], "nothing to sweep"),
    (["--grid", "adc.bits=4,5", "--set", "adc.bits=4"], "also fixed by --set"),
    (["--grid", "adc=4,5"], "is a section"),
    (["--grid", "duplication=auto,0"], "duplication 0: must be ≥ 1"),
    (["--grid", "adc.bits=4", "--arch", "nope"], "--arch nope: no such file or preset"),
    (["--grid", "adc.bits=4", "--samples", "0"], "--samples 0: must be ≥ 1"),
    (["--grid", "adc.bits=4", "--dataset", "digits"], "--dataset: only with --accuracy"),
])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, capsys, args, message):
    out = tmp_path / "out"
    assert _sweep(out, *args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("imcsim: error: ") and message in err
    assert "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize("content", [None, b"not an onnx file"])
def test_unreadable_model_is_one_line_exit_2(tmp_path, capsys, content):
    model = tmp_path / "m.onnx"
    if content is not None:
        model.write_bytes(content)
    assert _sweep(tmp_path / "out", "--grid", "adc.bits=4,5", model=str(model)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(model) in err
    assert not (tmp_path / "out").exists()


def test_out_that_is_not_a_sweep_folder_is_refused(tmp_path, capsys):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine")
    assert _sweep(tmp_path / "out", "--grid", "adc.bits=4,5") == 2
    assert "not empty and holds no sweep" in capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["notes.txt"]


def test_random_sample_of_the_grid(tmp_path):
    """10 of the 8 × 32 points; grid position = 32 · (bits − 3) + (rows − 32) (by hand)."""
    grid = ("--grid", "adc.bits=3..10", "--grid", "array.rows=32..63", "--seed", "5")
    assert _sweep(tmp_path / "a", *grid, "--samples", "10") == 0
    assert _sweep(tmp_path / "b", *grid, "--points", "10") == 0
    a, b = _records(tmp_path / "a"), _records(tmp_path / "b")
    assert len(a) == 10 and _by_id(a) == _by_id(b)
    for r in a:
        c = r["config"]
        assert r["point"] == 32 * (c["adc.bits"] - 3) + (c["array.rows"] - 32)


def test_sweep_file_gives_the_same_results(tmp_path):
    f = tmp_path / "sweep.yaml"
    f.write_text(f"model: {TINY}\narch: isaac\ngrid:\n  adc.bits: 4..6\nzip:\n"
                 "  - {array.rows: [64, 128], array.cols: [64, 128]}\n")
    assert main(["sweep", str(f), "--out", str(tmp_path / "a"), "--quiet", "--no-plots"]) == 0
    assert _sweep(tmp_path / "b", "--arch", "isaac", "--grid", "adc.bits=4..6",
                  "--zip", "array.rows=64,128", "--zip", "array.cols=64,128") == 0
    a, b = _records(tmp_path / "a"), _records(tmp_path / "b")
    assert len(a) == 6 and _by_id(a) == _by_id(b)
    # the file's sweep may resume the options' folder: the same sweep
    assert main(["sweep", str(f), "--out", str(tmp_path / "b"), "--quiet", "--no-plots"]) == 0


def test_python_api_returns_rows_and_a_dataframe(tmp_path):
    res = imcsim.sweep(TINY, grid={"array.rows": [64, 128], "adc.bits": range(4, 7)},
                       out=tmp_path / "out", plots=False)
    assert isinstance(res, list) and len(res) == 6
    assert [r["point"] for r in res] == list(range(6))
    assert res[0]["array.rows"] == 64 and res[0]["adc.bits"] == 4
    assert res[0]["arch.adc_bits"] == 4 and res[0]["energy.total_j"] > 0
    # the same numbers as the command line
    assert _sweep(tmp_path / "cli", "--grid", "array.rows=64,128", "--grid", "adc.bits=4..6") == 0
    cli = _by_id(_records(tmp_path / "cli"))
    assert all(cli[r["id"]]["energy"]["total_j"] == r["energy.total_j"] for r in res)
    front = res.pareto()
    assert front and all(r["status"] == "ok" for r in front)
    in_memory = imcsim.sweep(TINY, grid={"adc.bits": "4..5"})
    assert len(in_memory) == 2 and in_memory.out is None
    pd = pytest.importorskip("pandas")
    df = res.df
    assert isinstance(df, pd.DataFrame) and df.shape[0] == 6
    assert list(df["adc.bits"]) == [4, 5, 6, 4, 5, 6]


def test_accuracy_points_equal_imcsim_accuracy(tmp_path, capsys):
    out = tmp_path / "out"
    assert _sweep(out, "--grid", "adc.bits=4,6", "--accuracy", "--dataset", "digits",
                  "--samples", "24", "--seed", "3", model=DIGITS) == 0
    records = {r["config"]["adc.bits"]: r for r in _records(out)}
    target = tmp_path / "acc.json"
    assert main(["accuracy", DIGITS, "--dataset", "digits", "--samples", "24", "--seed", "3",
                 "--set", "adc.bits=4", "--json", str(target)]) == 0
    expected = json.loads(target.read_text())["accuracy"]
    assert records[4]["accuracy"] == expected
    assert records[6]["accuracy"]["hw_top1"] >= records[4]["accuracy"]["hw_top1"]


def test_a_second_sweep_into_a_busy_folder_is_refused(tmp_path, capsys):
    import fcntl

    out = tmp_path / "out"
    assert _sweep(out, "--grid", "adc.bits=3..4") == 0
    with (out / ".lock").open("a") as held:  # as a running sweep holds it
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        capsys.readouterr()
        assert _sweep(out, "--grid", "adc.bits=3..4") == 2
        assert "another imcsim sweep is running" in capsys.readouterr().err
    assert _sweep(out, "--grid", "adc.bits=3..4") == 0


def test_a_sweep_whose_every_point_is_invalid_exits_2(tmp_path, capsys):
    """array.cell_bits is at most 8 (the schema): a grid of 9 and 10 has no valid point. The
    records still say why per point; the command ends in one error line, exit 2."""
    out = tmp_path / "s"
    assert main(["sweep", str(TINY_CNN), "--grid", "array.cell_bits=9,10", "--out", str(out),
                 "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("imcsim: error: all 2 points are invalid")
    assert "array.cell_bits" in err[0]
    records = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    assert [r["status"] for r in records] == ["invalid", "invalid"]


def test_sweep_json_carries_the_provenance_every_output_does(tmp_path):
    """Like every JSON output: version, schema version, command line, seed, input files
    with their SHA-256 (computed here with hashlib), and the base config resolved after the
    fixed keys; point = base + the point's values."""
    import hashlib

    out = tmp_path / "s"
    argv = ["sweep", str(TINY_CNN), "--grid", "adc.bits=4,5", "--set", "array.rows=64",
            "--out", str(out), "--quiet", "--no-plots"]
    assert main(argv) == 0
    prov = json.loads((out / "sweep.json").read_text())["provenance"]
    assert prov["version"] == imcsim.__version__ and prov["command"] == ["imcsim", *argv]
    assert prov["seed"] == 0 and prov["config"]["array"]["rows"] == 64
    (model,) = prov["inputs"]
    assert model["sha256"] == hashlib.sha256(TINY_CNN.read_bytes()).hexdigest()
