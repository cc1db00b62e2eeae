"""The plots that follow a sweep: one figure per swept key with more than one value, one
panel per objective, one line per value of a line key (a categorical swept key such as
``arch`` first, else the next numeric one), the best value over the rest; the
objectives pairwise; custom plots of any two columns (``imcsim report --x --y``).

Expected series are computed here from the records (nested, as results.jsonl holds
them) or from synthetic records built here, not with the plotting code's helpers."""

from __future__ import annotations

import random

import pytest
from onnx_builders import TINY_CNN

import imcsim
from imcsim.cli import main
from imcsim.errors import ImcsimError
from imcsim.sweep.analysis import analyse
from imcsim.sweep.objectives import Analysis, parse_constraints, parse_objectives
from imcsim.sweep.plots import make_plots, render_plots
from imcsim.sweep.scatter import custom_plot

GRID = {"array.rows": [64, 128], "adc.bits": [4, 5, 6], "array.cell_bits": [1, 2],
        "adc.model": ["sar"], "array.cols": [128]}  # the last two: one value each
E, A, ACC = "energy.total_j", "area.total_mm2", "accuracy.hw_top1"


@pytest.fixture(scope="module")
def records():
    res = imcsim.sweep(str(TINY_CNN), grid=GRID, out=None, progress=False, plots=False)
    assert len(res.records) == 12 and all(r["status"] == "ok" for r in res.records)
    return res.records


def _judged(records, objectives=f"{E}:min,{A}:min", constraints=None):
    return analyse(records, Analysis(parse_objectives(objectives),
                                     parse_constraints(constraints) if constraints else ()))


def _plots(records, objectives=f"{E}:min,{A}:min"):
    return {p.name: p for p in make_plots(records, _judged(records, objectives))}


def _value(r, key):
    if key in r["config"]:
        return r["config"][key]
    section, name = key.split(".", 1)
    return r[section][name]


def _expected(records, x, line, y, pick):
    """{"LINE=V": ([x values], [pick of y over the other keys at each])}."""
    out = {}
    for v in sorted({r["config"][line] for r in records}):
        xs = sorted({r["config"][x] for r in records if r["config"][line] == v})
        out[f"{line}={v}"] = (xs, [pick(_value(r, y) for r in records if r["config"][line] == v
                                        and r["config"][x] == xv) for xv in xs])
    return out


def _drawn(plot):
    """{panel's y label: {line label: (x, y)}} as matplotlib holds the lines."""
    fig = plot.figure()
    return {ax.get_ylabel(): {ln.get_label(): (list(ln.get_xdata()), list(ln.get_ydata()))
                              for ln in ax.get_lines()} for ax in fig.axes if ax.get_lines()}


def test_one_figure_per_swept_key_one_panel_per_objective(records):
    plots = _plots(records)
    swept = {n for n in plots if n.startswith("objectives_vs_")}
    assert swept == {f"objectives_vs_{k}" for k in ("array.rows", "adc.bits", "array.cell_bits")}
    for name in swept:
        assert set(plots[name].series) == {E, A}  # one panel per objective
    # one-valued keys (array.cols, and adc.model, not a number) get no plot
    assert not any(n.endswith(("array.cols", "adc.model")) for n in plots)
    assert {"pareto", "adc", "breakdown"} <= set(plots)  # ADC bits vary


@pytest.mark.parametrize(("x", "line"), [("array.rows", "adc.bits"),
                                         ("adc.bits", "array.cell_bits"),
                                         ("array.cell_bits", "array.rows")])
def test_drawn_series_are_the_best_values_per_line(records, x, line):
    """Lines are the values of the next swept key (the first wraps around); each marker
    the least energy (objective min) over the key left out."""
    plot = _plots(records)[f"objectives_vs_{x}"]
    assert plot.series[E] == _expected(records, x, line, E, min)
    assert plot.series[A] == _expected(records, x, line, A, min)
    drawn = _drawn(plot)
    assert drawn == {f"{E} (min)": plot.series[E], f"{A} (min)": plot.series[A]}


def test_a_maximised_objective_takes_the_largest_value(records):
    """Against the cell size, per array size: the best TOPS/W over the ADC resolutions."""
    plot = _plots(records, "energy.tops_per_w:max")["objectives_vs_array.cell_bits"]
    series = plot.series["energy.tops_per_w"]
    assert series == _expected(records, "array.cell_bits", "array.rows",
                               "energy.tops_per_w", max)
    assert series != _expected(records, "array.cell_bits", "array.rows",
                               "energy.tops_per_w", min)


def test_one_swept_key_one_line_and_no_adc_plots_when_bits_are_fixed():
    res = imcsim.sweep(str(TINY_CNN), grid={"array.rows": [32, 64, 128], "adc.bits": [5]},
                       out=None, progress=False, plots=False)
    plots = _plots(res.records)
    assert {n for n in plots if "_vs_" in n} == {"objectives_vs_array.rows"}
    rows = sorted(res.records, key=lambda r: r["config"]["array.rows"])
    assert plots["objectives_vs_array.rows"].series[A] == {
        "": ([32, 64, 128], [r["area"]["total_mm2"] for r in rows])}
    assert "adc" not in plots  # ADC bits not swept


def test_zipped_keys_are_not_each_others_lines():
    """array.rows and array.cols move together: the lines of a plot against one are the
    ADC resolutions, not the other zipped key (one point per line)."""
    res = imcsim.sweep(str(TINY_CNN), grid={"adc.bits": [4, 6]},
                       zip=[{"array.rows": [64, 128], "array.cols": [64, 128]}],
                       out=None, progress=False, plots=False)
    plot = _plots(res.records)["objectives_vs_array.rows"]
    assert set(plot.series[E]) == {"adc.bits=4", "adc.bits=6"}


def test_every_plot_renders_to_png_and_svg(records):
    plots = make_plots(records, _judged(records))
    images = render_plots(plots, svg=True)
    assert set(images) == {p.name for p in plots}
    for files in images.values():
        assert files["png"][:8] == b"\x89PNG\r\n\x1a\n" and b"<svg" in files["svg"]


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
    assert names == {"objectives_vs_array.rows.png", "objectives_vs_adc.bits.png",
                     "pareto.png", "adc.png", "breakdown.png"}


# ------------------------------------------------------------ synthetic records

ARCHES = ("isaac", "rram_128", "chips/my.yaml")


def _record(point, config, energy, area, accuracy=None, status="ok"):
    rec = {"point": point, "id": f"id{point}", "status": status, "config": config}
    if status == "ok":
        rec |= {"energy": {"total_j": energy}, "area": {"total_mm2": area}}
        if accuracy is not None:
            rec["accuracy"] = {"hw_top1": accuracy}
    else:
        rec["reason"] = "invalid config"
    return rec


@pytest.fixture(scope="module")
def arch_records():
    """3 architectures (names, one a file) × ADC bits 4..6 × 2 array sizes, random
    values; one point invalid."""
    rng = random.Random(7)
    out = []
    for arch in ARCHES:
        for bits in (4, 5, 6):
            for rows in (64, 128):
                config = {"arch": arch, "adc.bits": bits, "array.rows": rows}
                out.append(_record(len(out), config, rng.uniform(1e-7, 9e-7),
                                   rng.uniform(1, 50), rng.uniform(0.5, 0.99)))
    out[5] = _record(5, out[5]["config"], 0, 0, status="invalid")
    return out


def test_a_categorical_swept_key_is_the_line_key_never_an_x_axis(arch_records):
    """``arch`` (names) is never plotted against; it is the first choice of line key:
    one line per architecture, the best value over the array sizes at each ADC bits."""
    plots = _plots(arch_records)
    assert {n for n in plots if n.startswith("objectives_vs_")} == {
        "objectives_vs_adc.bits", "objectives_vs_array.rows"}
    valid = [r for r in arch_records if r["status"] == "ok"]
    for key in ("adc.bits", "array.rows"):
        series = plots[f"objectives_vs_{key}"].series[E]
        assert set(series) == {f"arch={a}" for a in ARCHES}
        for arch in ARCHES:
            at = {r["config"][key] for r in valid if r["config"]["arch"] == arch}
            best = [min(r["energy"]["total_j"] for r in valid if r["config"]["arch"] == arch
                        and r["config"][key] == v) for v in sorted(at)]
            assert series[f"arch={arch}"] == (sorted(at), best)
    assert len(_drawn(plots["objectives_vs_adc.bits"])[f"{E} (min)"]) == 3


def test_accuracy_is_a_panel_of_each_swept_key_and_paired_with_energy(arch_records):
    """With accuracy an objective (max): a panel of the highest top-1 per line against
    each swept key, and the pairwise scatter adds energy vs accuracy and area vs
    accuracy."""
    plots = _plots(arch_records, f"{E}:min,{A}:min,{ACC}:max")
    plot = plots["objectives_vs_adc.bits"]
    assert set(plot.series) == {E, A, ACC}
    valid = [r for r in arch_records if r["status"] == "ok"]
    isaac = plot.series[ACC]["arch=isaac"]
    assert isaac == ([4, 5, 6], [max(r["accuracy"]["hw_top1"] for r in valid
                                     if r["config"]["arch"] == "isaac"
                                     and r["config"]["adc.bits"] == b) for b in (4, 5, 6)])
    pairs = [(p.y, p.x) for p in plots["pareto"].scatter.panels]
    assert pairs == [(E, A), (E, ACC), (A, ACC)]


def test_custom_plot_colours_and_facets_by_a_categorical_key(arch_records):
    """--color arch: one colour per architecture; --facet arch: one panel per
    architecture holding its valid points (counted by hand: 6, 5 and 6)."""
    judged = _judged(arch_records)
    plot = custom_plot(judged, A, E, color="arch", facet="arch")
    assert plot.name == f"custom_{E}_vs_{A}_by_arch_per_arch"
    scatter = plot.scatter
    assert [p.title for p in scatter.panels] == ["arch=chips/my.yaml", "arch=isaac",
                                                 "arch=rram_128"]
    assert [len(p.dots) for p in scatter.panels] == [6, 5, 6]  # point 5 (isaac) invalid
    assert [label for label, _ in scatter.legend] == ["chips/my.yaml", "isaac", "rram_128"]
    colours = dict(scatter.legend)
    for panel in scatter.panels:
        assert {d.colour for d in panel.dots} == {colours[panel.title.split("=", 1)[1]]}
    fig = plot.figure()
    assert sum(len(c.get_offsets()) for ax in fig.axes for c in ax.collections) == 17


def test_custom_plot_of_a_numeric_colour_with_many_values_has_a_colour_bar(arch_records):
    """17 distinct energies (random): more than 10 colours, so a colour scale."""
    plot = custom_plot(_judged(arch_records), "adc.bits", A, color=E)
    assert plot.scatter.colour_bar is not None and not plot.scatter.legend
    assert len(plot.figure().axes) == 2  # the panel and the colour bar


def test_infeasible_points_are_marked_in_the_custom_plot(records):
    judged = _judged(records, constraints=["area.total_mm2<=0"])  # nothing fits
    dots = custom_plot(judged, "adc.bits", E).scatter.panels[0].dots
    assert len(dots) == 12 and {d.kind for d in dots} == {"outside"}


@pytest.mark.parametrize(("args", "expect"), [
    ((f"{A}x", E), f"--x {A}x: not a column of results.csv (did you mean {A}?)"),
    (("arch", E), "--x arch: not numeric (values such as 'isaac'); use it as --color"),
    ((A, E, "nope"), "--color nope: not a column of results.csv"),
    ((A, E, None, "energy.total_j"), "--facet energy.total_j: 17 values, at most 12 panels"),
    ((A, E, "id"), "--color id: 17 values that are not all numbers, at most 10 colours"),
])
def test_custom_plot_errors_are_one_line(arch_records, args, expect):
    with pytest.raises(ImcsimError) as e:
        custom_plot(_judged(arch_records), *args)
    assert expect in str(e.value) and "\n" not in str(e.value)


def test_report_writes_the_custom_plot(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["sweep", str(TINY_CNN), "--grid", "array.rows=64,128", "--grid",
                 "adc.bits=4,5,6", "--out", str(out), "--quiet"]) == 0
    assert main(["report", str(out), "--x", "adc.bits", "--y", E, "--color", "array.rows",
                 "--facet", "array.rows", "--svg"]) == 0
    stem = f"custom_{E}_vs_adc.bits_by_array.rows_per_array.rows"
    assert (out / "plots" / f"{stem}.png").read_bytes()[:4] == b"\x89PNG"
    assert "<svg" in (out / "plots" / f"{stem}.svg").read_text()
    capsys.readouterr()
    assert main(["report", str(out), "--x", "adc.bits"]) == 2
    assert "--x and --y go together" in capsys.readouterr().err
    assert main(["report", str(out), "--color", "adc.bits"]) == 2
    assert "--color: only with --x and --y" in capsys.readouterr().err
