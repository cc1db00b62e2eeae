"""Sweep pictures and the HTML report: plot files, a self-contained page, and the page as
headless Chromium renders it (plots present, tables filled, sorting script working); the
scatter plots of the page are SVG whose points name themselves on hover (a <title> per
point), the Pareto front highlighted — checked against a brute-force front here."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest
from onnx_builders import REPO, TINY_CNN

from imcsim.cli import main

SWEPT = ("objectives_vs_array.rows", "objectives_vs_adc.bits")  # cell_bits 9: all invalid
IMAGES = ("adc", "breakdown", *SWEPT)  # matplotlib's, inline as PNG (or SVG with --svg)
PLOTS = ("pareto", *IMAGES)
NS = "{http://www.w3.org/2000/svg}"
E, A, ACC = ("energy", "total_j"), ("area", "total_mm2"), ("accuracy", "hw_top1")


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """3 array sizes × 4 ADC resolutions × 2 cell sizes (one invalid) = 24 points."""
    out = tmp_path_factory.mktemp("sweep") / "out"
    assert main(["sweep", str(TINY_CNN), "--grid", "array.rows=16,64,128",
                 "--grid", "adc.bits=4..7", "--grid", "array.cell_bits=2,9",
                 "--out", str(out), "--quiet"]) == 0
    records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    return out, records


def test_sweep_writes_png_plots_and_svg_when_asked(swept, tmp_path):
    out, _ = swept
    for name in PLOTS:
        assert (out / "plots" / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert not (out / "plots" / f"{name}.svg").exists()  # PNG only by default
    assert sorted(p.stem for p in (out / "plots").iterdir()) == sorted(PLOTS)
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    html_file = tmp_path / "report.html"
    assert main(["report", str(copy), "--svg", "--html", str(html_file)]) == 0
    text = html_file.read_text()
    for name in PLOTS:
        assert "<svg" in (copy / "plots" / f"{name}.svg").read_text()
    for name in IMAGES:
        assert f'<figure id="plot-{name}"><svg' in text  # inline vector plots
    assert '<figure id="plot-pareto"><div class="panels"><svg' in text  # the hover view


def _brute_front(rows, objectives=((E, 1), (A, 1))):
    """Point numbers of the rows no other row dominates: (section, name) of each
    objective with its sign (1: minimised, -1: maximised)."""
    def v(r):
        return [sign * r[section][name] for (section, name), sign in objectives]

    return sorted(r["point"] for r in rows if not any(
        all(a <= b for a, b in zip(v(q), v(r), strict=True)) and v(q) != v(r) for q in rows))


def _scatters(text):
    """Each <svg class="scatter"> of a page, parsed as XML."""
    return [ET.fromstring(m) for m in re.findall(r'<svg[^>]*class="scatter".*?</svg>', text,
                                                 re.S)]


def _points(svg):
    """{point number: (class, title)} of the circles with a <title>."""
    out = {}
    for c in svg.iter(f"{NS}circle"):
        title = c.find(f"{NS}title")
        if title is not None:
            number = int(re.match(r"point (\d+)", title.text).group(1))
            assert int(c.get("data-point")) == number
            out[number] = (c.get("class"), title.text)
    return out


def test_accuracy_plots_when_accuracy_is_swept(tmp_path):
    """Hardware top-1 is an objective by default (labelled data): a panel against the
    ADC bits, the adc figure's accuracy panel, and energy vs accuracy in the page with
    the three-objective front highlighted."""
    out = tmp_path / "out"
    assert main(["sweep", str(REPO / "models" / "digits_cnn.onnx"), "--grid", "adc.bits=3,6",
                 "--grid", "array.rows=64,128", "--accuracy", "--dataset", "digits",
                 "--samples", "8", "--workers", "1", "--out", str(out), "--quiet"]) == 0
    assert (out / "plots" / "adc.png").stat().st_size > 0
    assert (out / "plots" / "objectives_vs_adc.bits.png").stat().st_size > 0
    html_file = tmp_path / "report.html"
    assert main(["report", str(out), "--html", str(html_file), "--no-plots"]) == 0
    records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    valid = [r for r in records if r["status"] == "ok"]
    front = _brute_front(valid, ((E, 1), (A, 1), (ACC, -1)))
    svgs = _scatters(html_file.read_text())
    labels = [s.get("aria-label") for s in svgs]
    assert labels == ["energy.total_j vs area.total_mm2", "energy.total_j vs accuracy.hw_top1",
                      "area.total_mm2 vs accuracy.hw_top1"]
    for svg in svgs:
        points = _points(svg)
        assert sorted(points) == sorted(r["point"] for r in valid)
        assert sorted(p for p, (cls, _) in points.items() if cls == "front") == front


def _table_points(text, table_id):
    body = re.search(rf'<table class="sortable" id="{table_id}">.*?<tbody>(.*?)</tbody>', text,
                     re.S).group(1)
    return [int(m) for m in re.findall(r'<tr><td data-v="(\d+)">', body)]


def test_html_is_self_contained_with_plots_and_tables(swept, tmp_path, capsys):
    out, records = swept
    html_file = tmp_path / "report.html"
    assert main(["report", str(out), "--html", str(html_file)]) == 0
    assert "Pareto front" in capsys.readouterr().out
    text = html_file.read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)  # no network
    assert "<link" not in text and "<script src" not in text and "@import" not in text
    for name in IMAGES:
        assert f'<figure id="plot-{name}"><img src="data:image/png;base64,' in text
    valid = [r for r in records if r["status"] == "ok"]
    assert len(valid) == 12
    assert sorted(_table_points(text, "results")) == sorted(r["point"] for r in valid)
    assert sorted(_table_points(text, "pareto")) == _brute_front(valid)


def test_html_scatter_names_every_valid_point_and_highlights_the_front(swept, tmp_path):
    """The pairwise scatter (energy vs area, the default objectives): one circle with a
    <title> per valid point, those of the Pareto front (brute force here) class
    "front", the others not; each title names the point, its swept values and both
    values."""
    out, records = swept
    html_file = tmp_path / "report.html"
    assert main(["report", str(out), "--html", str(html_file), "--no-plots"]) == 0
    svgs = _scatters(html_file.read_text())
    assert len(svgs) == 1
    points = _points(svgs[0])
    valid = {r["point"]: r for r in records if r["status"] == "ok"}
    assert sorted(points) == sorted(valid)
    front = _brute_front(list(valid.values()))
    assert sorted(p for p, (cls, _) in points.items() if cls == "front") == front
    assert {cls for p, (cls, _) in points.items() if p not in front} == {"feasible"}
    r = valid[front[0]]
    title = points[front[0]][1]
    assert title.startswith(f"point {front[0]} (Pareto front)")
    assert f"array.rows={r['config']['array.rows']}, adc.bits={r['config']['adc.bits']}" in title
    assert f"energy.total_j={r['energy']['total_j']:.4g}" in title


def test_html_custom_plot_and_constraints(swept, tmp_path):
    """--x/--y/--color/--facet: one panel per array size in the page, every valid point
    once; with a constraint the points failing it are class "outside"."""
    out, records = swept
    html_file = tmp_path / "report.html"
    assert main(["report", str(out), "--html", str(html_file), "--no-plots", "--x",
                 "adc.bits", "--y", "energy.total_j", "--color", "adc.bits", "--facet",
                 "array.rows", "--constraint", "area.total_mm2<=60"]) == 0
    text = html_file.read_text()
    assert '<figure id="plot-custom_energy.total_j_vs_adc.bits_by_adc.bits_per_array.rows">' in text
    valid = [r for r in records if r["status"] == "ok"]
    custom = _scatters(text)[1:]
    assert [s.findtext(f"{NS}text") for s in custom] == [f"array.rows={n}" for n in (16, 64, 128)]
    seen = {p: cls for s in custom for p, (cls, _) in _points(s).items()}
    assert sorted(seen) == sorted(r["point"] for r in valid)
    assert {p for p, cls in seen.items() if cls == "outside"} == {
        r["point"] for r in valid if r["area"]["total_mm2"] > 60}
    assert not (out / "plots" / "custom_energy.total_j_vs_adc.bits.png").exists()
    assert len(_table_points(text, "invalid")) == 12  # cell_bits 9 > 8 bits of weight
    assert "array.cell_bits" in text and "adc.bits:" in text  # the definition (YAML)
    assert "0.1.0" in text and "<th>seed</th><td>0</td>" in text


def _chromium():
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (.ci/run installs Debian's chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return exe


def test_html_renders_in_headless_chromium(swept, tmp_path):
    """Chromium offline: --dump-dom returns the DOM after the inline script ran. The
    fragment #sort=-energy.tops_per_w asks the script to sort the results table by
    descending TOPS/W; the order must match the records'."""
    exe = _chromium()
    out, records = swept
    html_file = tmp_path / "report.html"
    assert main(["report", str(out), "--html", str(html_file), "--no-plots"]) == 0
    dom = subprocess.run(
        [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
         f"{html_file.as_uri()}#sort=-energy.tops_per_w"],
        capture_output=True, text=True, timeout=120, check=True).stdout
    assert 'data-ready="1"' in dom  # the script ran to its end
    figures = re.findall(r'<figure id="plot-([^"]+)"><img src="data:image/png;base64,', dom)
    assert set(IMAGES) <= set(figures) and dom.count("<figure") == len(figures) + 1
    svg = re.search(r'<figure id="plot-pareto"><div class="panels">(<svg.*?</svg>)', dom, re.S)
    assert len(_points(ET.fromstring(svg.group(1)))) == 12  # the DOM kept every titled point
    for table in ("pareto", "results", "invalid"):
        assert f'id="{table}"' in dom
    valid = [r for r in records if r["status"] == "ok"]
    shown = _table_points(dom, "results")
    tops = {r["point"]: r["energy"]["tops_per_w"] for r in valid}
    assert sorted(shown) == sorted(tops)
    assert [tops[p] for p in shown] == sorted(tops.values(), reverse=True)
    assert 'data-key="energy.tops_per_w" class="desc"' in dom


def test_report_of_a_folder_that_is_not_a_sweep(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a sweep folder" in err


def _tamper(folder, kind):
    if kind == "definition-a-list":
        (folder / "sweep.json").write_text("[1, 2]\n")
    elif kind == "definition-not-json":
        (folder / "sweep.json").write_bytes(b"{\xff\xfe")
    elif kind == "record-mid-file-without-point":
        lines = (folder / "results.jsonl").read_text().splitlines()
        (folder / "results.jsonl").write_text("\n".join([lines[0], '{"id": "x"}', *lines[1:]]) + "\n")
    elif kind == "lock-a-folder":
        (folder / ".lock").unlink(missing_ok=True)
        (folder / ".lock").mkdir()
    elif kind == "plots-a-file":
        shutil.rmtree(folder / "plots", ignore_errors=True)
        (folder / "plots").write_text("x")
    elif kind == "plots-a-link":
        shutil.rmtree(folder / "plots", ignore_errors=True)
        elsewhere = folder.parent / "elsewhere"
        elsewhere.mkdir()
        os.symlink(elsewhere, folder / "plots")


@pytest.mark.parametrize(("kind", "expect", "commands"), [
    ("definition-a-list", "not an imcsim sweep definition", ("report", "sweep")),
    ("definition-not-json", "sweep.json: unreadable", ("report", "sweep")),
    ("record-mid-file-without-point", "line 2 is damaged", ("report", "sweep")),
    ("lock-a-folder", ".lock: is not the sweep's lock file", ("sweep",)),
    ("plots-a-file", "plots: is a file or a link", ("report", "sweep")),
    ("plots-a-link", "plots: is a file or a link", ("report", "sweep")),
])
def test_a_tampered_sweep_folder_is_one_line(tmp_path, capsys, kind, expect, commands):
    """Each damage ends in exit 2 and one line naming the file; nothing is written through
    a link (the folder a 'plots' link points to stays empty)."""
    out = tmp_path / "out"
    grid = ["--grid", "adc.bits=4,5"]
    assert main(["sweep", str(TINY_CNN), *grid, "--out", str(out), "--quiet"]) == 0
    _tamper(out, kind)
    for command in commands:
        argv = (["report", str(out)] if command == "report"
                else ["sweep", str(TINY_CNN), *grid, "--out", str(out), "--quiet"])
        capsys.readouterr()
        assert main(argv) == 2, command
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("imcsim: error: ") and expect in err[0], err
    if kind == "plots-a-link":
        assert not any((tmp_path / "elsewhere").iterdir())
