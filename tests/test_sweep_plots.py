"""The plots that follow a sweep: each objective against each swept key with more than
one value, one line per value of the next swept key, the best value over the rest.

Expected series are computed here from the records (nested, as results.jsonl holds
them), not with the plotting code's helpers."""

from __future__ import annotations

import pytest
from onnx_builders import TINY_CNN

import imcsim
from imcsim.cli import main
from imcsim.sweep.analysis import analyse
from imcsim.sweep.objectives import Analysis, parse_objectives
from imcsim.sweep.plots import make_plots

GRID = {"array.rows": [64, 128], "adc.bits": [4, 5, 6], "array.cell_bits": [1, 2],
        "adc.model": ["sar"], "array.cols": [128]}  # the last two: one value each


@pytest.fixture(scope="module")
def records():
    res = imcsim.sweep(str(TINY_CNN), grid=GRID, out=None, progress=False, plots=False)
    assert len(res.records) == 12 and all(r["status"] == "ok" for r in res.records)
    return res.records


def _plots(records, objectives="energy.total_j:min,area.total_mm2:min"):
    return {p.name: p for p in make_plots(records, analyse(records, Analysis(
        parse_objectives(objectives))))}


def _value(r, key):
    section, name = key.split(".", 1)
    return r["config"][key] if key in r["config"] else r[section][name]


def _expected(records, x, line, y, pick):
    """{"LINE=V": ([x values], [pick of y over the other keys at each])}."""
    out = {}
    for v in sorted({r["config"][line] for r in records}):
        xs = sorted({r["config"][x] for r in records if r["config"][line] == v})
        out[f"{line}={v}"] = (xs, [pick(_value(r, y) for r in records if r["config"][line] == v
                                        and r["config"][x] == xv) for xv in xs])
    return out


def test_one_plot_per_swept_key_and_objective(records):
    plots = _plots(records)
    swept = {n for n in plots if "_vs_" in n}
    assert swept == {f"{o}_vs_{k}" for o in ("energy.total_j", "area.total_mm2")
                     for k in ("array.rows", "adc.bits", "array.cell_bits")}
    # one-valued keys (array.cols, and adc.model, not a number) get no plot
    assert not any(n.endswith(("array.cols", "adc.model")) for n in plots)
    assert {"pareto", "tops_per_w", "adc_share", "breakdown"} <= set(plots)  # ADC bits vary


@pytest.mark.parametrize(("x", "line"), [("array.rows", "adc.bits"),
                                         ("adc.bits", "array.cell_bits"),
                                         ("array.cell_bits", "array.rows")])
def test_drawn_series_are_the_best_values_per_line(records, x, line):
    """Lines are the values of the next swept key (the first wraps around); each marker
    the least energy (objective min) over the key left out."""
    plot = _plots(records)[f"energy.total_j_vs_{x}"]
    assert plot.series == _expected(records, x, line, "energy.total_j", min)
    drawn = {ln.get_label(): (list(ln.get_xdata()), list(ln.get_ydata()))
             for ln in plot.figure.axes[0].get_lines()}
    assert drawn == plot.series


def test_a_maximised_objective_takes_the_largest_value(records):
    """Against the cell size, per array size: the best TOPS/W over the ADC resolutions."""
    plot = _plots(records, "energy.tops_per_w:max")["energy.tops_per_w_vs_array.cell_bits"]
    assert plot.series == _expected(records, "array.cell_bits", "array.rows",
                                    "energy.tops_per_w", max)
    assert plot.series != _expected(records, "array.cell_bits", "array.rows",
                                    "energy.tops_per_w", min)


def test_one_swept_key_one_line_and_no_adc_plots_when_bits_are_fixed():
    res = imcsim.sweep(str(TINY_CNN), grid={"array.rows": [32, 64, 128], "adc.bits": [5]},
                       out=None, progress=False, plots=False)
    plots = _plots(res.records)
    assert {n for n in plots if "_vs_" in n} == {"energy.total_j_vs_array.rows",
                                                 "area.total_mm2_vs_array.rows"}
    rows = sorted(res.records, key=lambda r: r["config"]["array.rows"])
    assert plots["area.total_mm2_vs_array.rows"].series == {
        "": ([32, 64, 128], [r["area"]["total_mm2"] for r in rows])}
    assert not {"tops_per_w", "adc_share"} & set(plots)  # ADC bits not swept


def test_zipped_keys_are_not_each_others_lines():
    """array.rows and array.cols move together: the lines of a plot against one are the
    ADC resolutions, not the other zipped key (one point per line)."""
    res = imcsim.sweep(str(TINY_CNN), grid={"adc.bits": [4, 6]},
                       zip=[{"array.rows": [64, 128], "array.cols": [64, 128]}],
                       out=None, progress=False, plots=False)
    plot = _plots(res.records)["energy.total_j_vs_array.rows"]
    assert set(plot.series) == {"adc.bits=4", "adc.bits=6"}


def test_a_single_point_has_no_swept_key_plot(tmp_path):
    out = tmp_path / "out"
    assert main(["sweep", str(TINY_CNN), "--grid", "adc.bits=5", "--out", str(out),
                 "--quiet"]) == 0
    assert sorted(p.name for p in (out / "plots").iterdir()) == ["breakdown.png", "pareto.png"]


def test_cli_writes_the_swept_key_plots(tmp_path):
    out = tmp_path / "out"
    assert main(["sweep", str(TINY_CNN), "--grid", "array.rows=64,128", "--grid",
                 "adc.bits=4,6", "--out", str(out), "--quiet"]) == 0
    names = {p.name for p in (out / "plots").iterdir()}
    assert {"energy.total_j_vs_array.rows.png", "area.total_mm2_vs_adc.bits.png",
            "tops_per_w.png"} <= names
    assert not any(n.endswith(".svg") for n in names)
