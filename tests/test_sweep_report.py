"""Sweep pictures and the HTML report: plot files, a self-contained page, and the page as
headless Chromium renders it (plots present, tables filled, sorting script working)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest
from onnx_builders import REPO, TINY_CNN

from imcsim.cli import main

PLOTS = ("pareto", "tops_per_w", "adc_share", "breakdown")


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
    assert not (out / "plots" / "accuracy.png").exists()  # accuracy was not swept
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    html_file = tmp_path / "report.html"
    assert main(["report", str(copy), "--svg", "--html", str(html_file)]) == 0
    text = html_file.read_text()
    for name in PLOTS:
        assert "<svg" in (copy / "plots" / f"{name}.svg").read_text()
        assert f'<figure id="plot-{name}"><svg' in text  # inline vector plots


def test_accuracy_plot_when_accuracy_is_swept(tmp_path):
    out = tmp_path / "out"
    assert main(["sweep", str(REPO / "models" / "digits_cnn.onnx"), "--grid", "adc.bits=3,6",
                 "--accuracy", "--dataset", "digits", "--samples", "8", "--workers", "1",
                 "--out", str(out), "--quiet"]) == 0
    assert (out / "plots" / "accuracy.png").stat().st_size > 0


def _brute_front(rows):
    return sorted(r["point"] for r in rows if not any(
        q["area"]["total_mm2"] <= r["area"]["total_mm2"] and q["energy"]["total_j"] <=
        r["energy"]["total_j"] and (q["area"]["total_mm2"] < r["area"]["total_mm2"] or
                                    q["energy"]["total_j"] < r["energy"]["total_j"])
        for q in rows))


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
    for name in PLOTS:
        assert f'<figure id="plot-{name}"><img src="data:image/png;base64,' in text
    valid = [r for r in records if r["status"] == "ok"]
    assert len(valid) == 12
    assert sorted(_table_points(text, "results")) == sorted(r["point"] for r in valid)
    assert sorted(_table_points(text, "pareto")) == _brute_front(valid)
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
    assert set(PLOTS) <= set(figures) and dom.count("<figure") == len(figures)
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
