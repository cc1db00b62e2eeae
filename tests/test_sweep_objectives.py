"""Objectives and constraints of a sweep (issue #13): the N-dimensional Pareto filter
against a brute-force dominance check, constraints and best points checked against the
records themselves, reproduce commands run as separate processes, one-line errors that
write nothing, and `imcsim report --objectives …` re-analysing without re-evaluating."""

from __future__ import annotations

import csv
import html
import json
import shlex
import subprocess
import sys

import numpy as np
import pytest
from onnx_builders import REPO, TINY_CNN

import imcsim
from imcsim.cli import main
from imcsim.errors import ImcsimError
from imcsim.sweep.evaluate import Evaluator
from imcsim.sweep.objectives import Constraint, Objective, parse_constraints, parse_objectives
from imcsim.sweep.pareto import nondominated

TINY = str(TINY_CNN)
DIGITS = str(REPO / "models" / "digits_cnn.onnx")
GRID = ("--grid", "array.rows=16,64,128", "--grid", "adc.bits=4..7",
        "--grid", "array.cell_bits=2,9")  # 24 points; cell_bits 9 > 8 is invalid: 12 valid
OBJECTIVES = "energy.total_j:min,area.total_mm2:min,performance.latency_s:min"
CONSTRAINTS = ("area.total_mm2<=90", "adc.bits>=5")


# ---------------------------------------------------------------- the non-dominated filter


def _brute_front(f):
    """O(n²): q dominates p when q ≤ p everywhere and q < p somewhere; p is on the front
    when no q dominates it."""
    f = np.asarray(f, dtype=float)
    return [i for i in range(len(f))
            if not ((f <= f[i]).all(axis=1) & (f < f[i]).any(axis=1)).any()]


@pytest.mark.parametrize("m", [1, 2, 3, 4, 6])
@pytest.mark.parametrize("seed", range(6))
def test_front_matches_brute_force_with_ties(m, seed):
    """Small integer ranges make many ties and exact duplicates."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 120))
    f = rng.integers(0, 4, (n, m)).astype(float)
    assert nondominated(f).tolist() == _brute_front(f)


@pytest.mark.parametrize("seed", range(3))
def test_large_fronts_across_blocks_match_brute_force(seed):
    """700 points with most on the front (anti-correlated objectives, rounded so that
    ties and duplicates cross the filter's blocks of 256 rows)."""
    rng = np.random.default_rng(seed)
    a, b = rng.random(700), rng.random(700)
    f = np.round(np.column_stack([a, b, 2 - a - b + 0.05 * rng.random(700)]), 2)
    f = np.vstack([f, f[:40]])  # exact duplicates, far apart in the input
    assert nondominated(f).tolist() == _brute_front(f)
    assert nondominated(-f).tolist() == _brute_front(-f)


@pytest.mark.parametrize("m", [3, 5])
def test_distinct_points_match_brute_force(m):
    """Random floats: no duplicates (the filter's other path)."""
    f = np.random.default_rng(m).random((600, m))
    assert nondominated(f).tolist() == _brute_front(f)


def test_tie_rule_by_hand():
    """(1, 2) twice: equal points do not dominate each other, both on the front. (1, 3)
    ties them on x and is worse on y: dominated. (0, 5) and (3, 0): on the front."""
    f = [[1, 2], [1, 3], [1, 2], [0, 5], [3, 0], [3, 1]]
    assert nondominated(f).tolist() == [0, 2, 3, 4]
    assert nondominated([[2.0], [1.0], [1.0]]).tolist() == [1, 2]


# ---------------------------------------------------------------- parsing


def test_objectives_and_constraints_in_every_form():
    want = (Objective("energy.total_j"), Objective("accuracy.hw_top1", True))
    assert parse_objectives("energy.total_j:min, accuracy.hw_top1:MAX") == want
    assert parse_objectives(["energy.total_j:min", "accuracy.hw_top1:max"]) == want
    assert parse_objectives({"energy.total_j": "min", "accuracy.hw_top1": "max"}) == want
    assert parse_constraints(["area.total_mm2 <= 2", "adc.bits>4", "x.y==-1.5e-3"]) == (
        Constraint("area.total_mm2", "<=", 2.0), Constraint("adc.bits", ">", 4.0),
        Constraint("x.y", "==", -0.0015))
    assert [str(c) for c in parse_constraints(["a.b<=2", "c>=1e-06"])] == ["a.b<=2", "c>=1e-06"]


@pytest.mark.parametrize("spec", ["energy.total_j", "energy.total_j:mini", "", ":min",
                                  "a:min,a:max", "energy.total_j:min;rm -rf"])
def test_bad_objectives_are_one_line(spec):
    with pytest.raises(ImcsimError) as e:
        parse_objectives(spec)
    assert "\n" not in str(e.value) and "objective" in str(e.value)


@pytest.mark.parametrize("expr", ["area.total_mm2<2x", "area.total_mm2=<2", "area<=", "<=2",
                                  "area.total_mm2<=nan", "__import__('os').system('x')<1",
                                  "a<=1 and b>=2", "a!=1"])
def test_bad_constraints_are_one_line(expr):
    with pytest.raises(ImcsimError) as e:
        parse_constraints(expr)
    assert "\n" not in str(e.value) and "KEY<=V" in str(e.value)


# ---------------------------------------------------------------- a real sweep, judged


@pytest.fixture(scope="module")
def judged(tmp_path_factory):
    """The tiny CNN's 24-point sweep with three objectives and two constraints; its
    records, its --json output and its CSV rows."""
    root = tmp_path_factory.mktemp("objectives")
    out, target = root / "out", root / "sweep.json"
    argv = ["sweep", TINY, *GRID, "--objectives", OBJECTIVES,
            *(a for c in CONSTRAINTS for a in ("--constraint", c)),
            "--out", str(out), "--quiet", "--no-plots", "--json", str(target)]
    assert main(argv) == 0
    records = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    with (out / "results.csv").open() as f:
        table = {int(r["point"]): r for r in csv.DictReader(f)}
    return out, records, json.loads(target.read_text()), table


def _meets(rec):
    """The constraints, written out by hand."""
    return (rec["status"] == "ok" and rec["area"]["total_mm2"] <= 90
            and rec["config"]["adc.bits"] >= 5)


def _objectives(rec):
    return [rec["energy"]["total_j"], rec["area"]["total_mm2"],
            rec["performance"]["latency_s"]]


def test_constraints_mark_points_feasible(judged):
    _, records, data, table = judged
    feasible = sorted(r["point"] for r in records if _meets(r))
    assert 0 < len(feasible) < sum(r["status"] == "ok" for r in records)  # it does filter
    assert sorted(p for p, row in table.items() if row["feasible"] == "True") == feasible
    assert len(table) == 24 and data["points"] == 24  # infeasible points are kept
    assert data["valid"] == 12 and data["feasible"] == len(feasible)


def test_front_is_the_brute_force_front_of_the_feasible_points(judged):
    _, records, data, table = judged
    ok = sorted((r for r in records if _meets(r)), key=lambda r: r["point"])
    f = np.array([_objectives(r) for r in ok])
    front = sorted(ok[i]["point"] for i in _brute_front(f))
    assert sorted(data["pareto"]) == front
    assert sorted(p for p, row in table.items() if row["pareto"] == "True") == front


def test_best_point_per_objective_with_the_tie_rule(judged):
    """Energy per inference does not depend on the array rows here, so several feasible
    points tie on it: the tie goes to the better area, then latency, then point number."""
    _, records, data, _ = judged
    ok = [r for r in records if _meets(r)]
    assert [b["objective"] for b in data["best"]] == OBJECTIVES.replace(":min", "").split(",")
    for j, best in enumerate(data["best"]):
        order = [j, *(k for k in range(3) if k != j)]
        want = min(ok, key=lambda r: ([_objectives(r)[k] for k in order], r["point"]))
        assert best["point"] == want["point"] and best["value"] == _objectives(want)[j]
        assert best["config"] == want["config"]
    energies = [r["energy"]["total_j"] for r in ok]
    assert energies.count(min(energies)) > 1  # the tie really happens


def test_reproduce_command_gives_the_same_energy(judged, tmp_path):
    """The best-energy point's command, run as its own process, computes what the sweep
    recorded."""
    _, records, data, _ = judged
    best = data["best"][0]
    words = shlex.split(best["command"])
    assert words[:2] == ["imcsim", "compile"] and f"adc.bits={best['config']['adc.bits']}" in words
    target = tmp_path / "point.json"
    run = subprocess.run([sys.executable, "-m", "imcsim", *words[1:], "--json", str(target),
                          "--quiet"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    (rec,) = [r for r in records if r["point"] == best["point"]]
    assert json.loads(target.read_text())["energy"]["total_j"] == rec["energy"]["total_j"]


def test_accuracy_objective_and_its_reproduce_command(tmp_path):
    """With accuracy swept, hardware top-1 is a default objective and its best point is
    reproduced by `imcsim accuracy …`, run as its own process."""
    out, target = tmp_path / "out", tmp_path / "s.json"
    assert main(["sweep", DIGITS, "--grid", "adc.bits=2,6", "--accuracy", "--dataset", "digits",
                 "--samples", "16", "--seed", "2", "--workers", "1", "--out", str(out),
                 "--quiet", "--no-plots", "--json", str(target)]) == 0
    data = json.loads(target.read_text())
    assert data["objectives"][-1] == "accuracy.hw_top1:max"
    best = data["best"][-1]
    words = shlex.split(best["command"])
    assert words[:2] == ["imcsim", "accuracy"] and "--seed" in words
    report = tmp_path / "acc.json"
    run = subprocess.run([sys.executable, "-m", "imcsim", *words[1:], "--json", str(report),
                          "--quiet"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    records = {r["point"]: r for r in map(json.loads, (out / "results.jsonl").read_text()
                                          .splitlines())}
    assert json.loads(report.read_text())["accuracy"] == records[best["point"]]["accuracy"]
    assert best["value"] == max(r["accuracy"]["hw_top1"] for r in records.values())


def test_html_greys_infeasible_points_and_names_the_best(judged, tmp_path):
    out, records, data, _ = judged
    page = tmp_path / "r.html"
    assert main(["report", str(out), "--html", str(page), "--no-plots", "--objectives",
                 OBJECTIVES, *(a for c in CONSTRAINTS for a in ("--constraint", c))]) == 0
    text = page.read_text()
    valid = [r for r in records if r["status"] == "ok"]
    assert text.count('<tr class="infeasible">') == sum(not _meets(r) for r in valid)
    assert 'id="best"' in text and html.escape(data["best"][0]["command"]) in text


# ---------------------------------------------------------------- re-analysis, resuming


def test_report_reanalyses_without_evaluating(judged, tmp_path, monkeypatch, capsys):
    """Other objectives and constraints on the same folder: results.jsonl and sweep.json
    unchanged byte for byte, no point evaluated, results.csv judged the new way."""
    out, records, _, _ = judged
    before = {n: (out / n).read_bytes() for n in ("results.jsonl", "sweep.json")}

    def refuse(*_a, **_k):
        raise AssertionError("a point was evaluated")

    monkeypatch.setattr(Evaluator, "evaluate", refuse)
    target = tmp_path / "r.json"
    capsys.readouterr()
    assert main(["report", str(out), "--no-plots", "--objectives",
                 "energy.tops_per_w:max,adc.bits:max", "--constraint", "arch.rows<=64",
                 "--json", str(target)]) == 0
    printed = capsys.readouterr().out
    assert {n: (out / n).read_bytes() for n in before} == before
    data = json.loads(target.read_text())
    feasible = [r for r in records if r["status"] == "ok" and r["config"]["array.rows"] <= 64]
    assert data["feasible"] == len(feasible)
    best_bits = max(r["config"]["adc.bits"] for r in feasible)
    assert data["best"][1]["value"] == best_bits
    with (out / "results.csv").open() as f:
        flags = {int(r["point"]): r["feasible"] == "True" for r in csv.DictReader(f)}
    assert sorted(p for p, v in flags.items() if v) == sorted(r["point"] for r in feasible)
    assert "Best point per objective" in printed and "imcsim compile" in printed
    # without options: the folder's own objectives and constraints (kept in sweep.json)
    assert main(["report", str(out), "--no-plots"]) == 0
    with (out / "results.csv").open() as f:
        flags = {int(r["point"]): r["feasible"] == "True" for r in csv.DictReader(f)}
    assert sorted(p for p, v in flags.items() if v) == sorted(
        r["point"] for r in records if _meets(r))


def test_new_objectives_do_not_invalidate_finished_points(tmp_path, capsys):
    out = tmp_path / "out"
    base = ["sweep", TINY, "--grid", "adc.bits=4..6", "--out", str(out), "--no-plots"]
    assert main(base) == 0
    first = (out / "results.jsonl").read_bytes()
    capsys.readouterr()
    assert main([*base, "--objectives", "energy.tops_per_w:max", "--constraint",
                 "adc.bits<=5"]) == 0
    captured = capsys.readouterr()
    assert "(0 new, 3 resumed, 0 invalid)" in captured.err
    assert "2 meet the constraints (adc.bits<=5)" in captured.out
    assert (out / "results.jsonl").read_bytes() == first


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("args, message", [
    (["--objectives", "energy.totl_j:min"], "did you mean energy.total_j?"),
    (["--objectives", "energy.total_j:down"], "direction must be min or max"),
    (["--objectives", "model.name:min"], "not a numeric column of results.csv"),
    (["--objectives", "accuracy.hw_top1:max"], "accuracy was not swept"),
    (["--constraint", "area.total_mm2<2mm"], "expected KEY<=V"),
    (["--constraint", "area.totl_mm2<=2"], "constraint area.totl_mm2: not a numeric column"),
])
def test_bad_objective_or_constraint_is_one_line_and_writes_nothing(tmp_path, capsys, args,
                                                                     message):
    out = tmp_path / "out"
    assert main(["sweep", TINY, "--grid", "adc.bits=4,5", *args, "--out", str(out),
                 "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("imcsim: error: ") and message in err
    assert "energy.total_j" in err or "min or max" in err or "KEY<=V" in err
    assert not out.exists()


def test_bad_objective_in_a_report_or_a_sweep_file_writes_nothing(judged, tmp_path, capsys):
    out = judged[0]
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    page = tmp_path / "r.html"
    assert main(["report", str(out), "--html", str(page), "--objectives", "area:min"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "objective area: not a numeric column" in err
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert not page.exists()
    f = tmp_path / "s.yaml"
    f.write_text(f"model: {TINY}\ngrid: {{adc.bits: [4, 5]}}\nobjectives: [energy.total_j:down]\n"
                 "constraints: ['area.total_mm2 < two']\n")
    assert main(["sweep", str(f), "--out", str(tmp_path / "s"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "2 problem(s)" in err and "constraints:" in err
    assert not (tmp_path / "s").exists()


# ---------------------------------------------------------------- sweep file and Python API


def test_sweep_file_and_python_api_take_objectives_and_constraints(tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text(f"model: {TINY}\ngrid: {{adc.bits: 4..6, array.rows: [16, 64]}}\n"
                 "objectives: {energy.tops_per_w: max, area.total_mm2: min}\n"
                 "constraints: [adc.bits<=5]\n")
    res = imcsim.sweep(f, out=tmp_path / "a", plots=False)
    assert res.objectives == ["energy.tops_per_w:max", "area.total_mm2:min"]
    assert res.constraints == ["adc.bits<=5"]
    assert [r["feasible"] for r in res] == [r["adc.bits"] <= 5 for r in res]
    front = res.pareto()
    assert front and all(r["adc.bits"] <= 5 for r in front)
    stored = json.loads((tmp_path / "a" / "sweep.json").read_text())["sweep"]
    assert stored["objectives"] == res.objectives and stored["constraints"] == res.constraints
    # the same sweep from options, in memory; the arguments replace a file's own
    mem = imcsim.sweep(TINY, grid={"adc.bits": "4..6", "array.rows": [16, 64]},
                       objectives=["energy.tops_per_w:max", "area.total_mm2:min"],
                       constraints="adc.bits<=5")
    assert [r["point"] for r in mem.pareto()] == [r["point"] for r in front]
    assert mem.best() == res.best()
    other = imcsim.sweep(f, out=tmp_path / "a", plots=False, objectives="area.total_mm2:min")
    (best,) = other.best()
    assert best["value"] == min(r["area.total_mm2"] for r in res if r["adc.bits"] <= 5)
    # re-analysis in memory, without re-running
    latency = res.pareto(objectives="performance.latency_s:min", constraints=[])
    fastest = min(r["performance.latency_s"] for r in res)
    assert latency and all(r["performance.latency_s"] == fastest for r in latency)
    with pytest.raises(ImcsimError, match="did you mean"):
        res.pareto(objectives="energy.tops_per_watt:max")
