"""Terminal output never loses data (issue #11): tables fold instead of truncating, a pipe
gets full-width tables, and --format csv|markdown|json print the same report."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOS4 = REPO / "tests" / "fixtures" / "matrices" / "nos4.mtx"


def _imcsim(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "imcsim", *argv], capture_output=True,
                          text=True, check=False)


def _components(arch: str) -> dict[str, dict]:
    r = _imcsim("arch", arch, "--json", "-")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)["components"]


def test_piped_tables_hold_every_name_and_number_whole():
    """At 80 columns (every pipe, before) names were cut ("compon…") and one cell wrapped
    over seven lines; piped output is now as wide as its widest table."""
    comps = _components("rram_22nm")
    r = _imcsim("arch", "rram_22nm")
    assert r.returncode == 0 and "…" not in r.stdout
    lines = {line.split("│")[1].strip(): line for line in r.stdout.splitlines()
             if line.count("│") > 5}
    for name, c in comps.items():
        assert name in lines, name
        assert f"{c['energy_pj']:.4g}" in lines[name] and c["action"] in lines[name]


def test_a_narrow_terminal_folds_values_instead_of_cutting_them():
    from rich.console import Console

    import imcsim

    console = Console(width=40, record=True, file=io.StringIO(), markup=False)
    imcsim.peak("rram_22nm").render(console)
    text = console.export_text()
    assert "…" not in text
    # the first column of the Components table, its folded pieces joined in order
    table = text.split("Components", 1)[1]
    first = "".join(line.split("│")[1].strip() for line in table.splitlines()
                    if line.startswith("│"))
    for name in _components("rram_22nm"):
        assert name in first, name


def test_csv_and_markdown_hold_the_json_values():
    comps = _components("isaac")
    r = _imcsim("arch", "isaac", "--format", "csv")
    assert r.returncode == 0, r.stderr
    block = r.stdout.split("# Components\n", 1)[1].split("\n\n", 1)[0]
    rows = list(csv.DictReader(io.StringIO(block)))
    assert [row["component"] for row in rows] == list(comps)
    for row in rows:
        assert float(row["energy pJ"]) == float(f"{comps[row['component']]['energy_pj']:.4g}")

    md = _imcsim("arch", "isaac", "--format", "markdown").stdout
    table = md.split("### Components\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert table[1].startswith("| --- |") and len(table) == 2 + len(comps)
    assert [line.split("|")[1].strip() for line in table[2:]] == list(comps)


def test_format_json_is_the_json_report_on_stdout(tmp_path):
    a = json.loads(_imcsim("sparse", str(NOS4), "--no-error", "--format", "json").stdout)
    b = json.loads(_imcsim("sparse", str(NOS4), "--no-error", "--json", "-").stdout)
    for d in (a, b):
        d["imcsim"].pop("command")
    assert a == b
    out = tmp_path / "r.json"
    r = _imcsim("sparse", str(NOS4), "--format", "json", "--json", str(out))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "give one of them" in r.stderr
    assert not out.exists()


def test_sparse_table_keeps_its_numbers_whole():
    """`imcsim sparse` truncated numbers ('32.…', '0.008…') at 80 columns."""
    rep = json.loads(_imcsim("sparse", str(NOS4), "--json", "-").stdout)
    r = _imcsim("sparse", str(NOS4))
    assert r.returncode == 0 and "…" not in r.stdout
    assert all(s["name"] in r.stdout for s in rep["strategies"])


def test_quiet_prints_nothing_and_verbose_says_what_ran(tmp_path):
    out = tmp_path / "r.json"
    r = _imcsim("sparse", str(NOS4), "--quiet", "--json", str(out))
    assert r.returncode == 0 and r.stdout == "" and r.stderr == "" and out.is_file()
    r = _imcsim("arch", "isaac", "--quiet", "--verbose", "--json", str(tmp_path / "a.json"))
    lines = r.stderr.splitlines()
    assert r.returncode == 0 and r.stdout == ""
    assert lines[0].startswith("imcsim: imcsim ") and f"wrote {tmp_path / 'a.json'}" in lines[1]
    assert lines[-1].startswith("imcsim: done in ") and "peak memory" in lines[-1]


def test_a_closed_pipe_ends_quietly():
    """`imcsim arch isaac | head -1`: no traceback, no error line."""
    p = subprocess.Popen([sys.executable, "-m", "imcsim", "presets"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    p.stdout.close()  # the reader is gone before the first line
    err = p.stderr.read().decode()
    p.wait(timeout=60)
    p.stderr.close()
    assert "Traceback" not in err and "error" not in err
