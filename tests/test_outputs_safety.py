"""Outputs never destroy anything: not an input of the run, not a link, a device, a FIFO
or a directory; '-' only where stdout is meant; files get the user's umask."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "models" / "tiny_cnn.onnx"
NOS4 = REPO / "tests" / "fixtures" / "matrices" / "nos4.mtx"


def _imcsim(*argv, cwd=None):
    return subprocess.run([sys.executable, "-m", "imcsim", *map(str, argv)], capture_output=True,
                          text=True, cwd=cwd)


def _refused(r, *words):
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert "Traceback" not in r.stderr and all(w in r.stderr for w in words), r.stderr


@pytest.fixture()
def copies(tmp_path):
    model = tmp_path / "m.onnx"
    shutil.copy(TINY, model)
    matrix = tmp_path / "a.mtx"
    shutil.copy(NOS4, matrix)
    arch = tmp_path / "arch.yaml"
    arch.write_text("name: mine\n")
    return model, matrix, arch


def test_an_output_onto_an_input_is_refused_and_the_input_survives(copies):
    model, matrix, arch = copies
    before = {p: p.read_bytes() for p in copies}
    _refused(_imcsim("compile", model, "--json", model), "input of this run")
    _refused(_imcsim("compile", model, "--arch", arch, "--json", arch), "input of this run")
    _refused(_imcsim("solve", matrix, "--x-out", matrix), "input of this run")
    _refused(_imcsim("sparse", matrix, "--json", matrix), "input of this run")
    assert {p: p.read_bytes() for p in copies} == before


def test_links_fifos_devices_and_dash_are_refused(copies, tmp_path):
    model, _, _ = copies
    link = tmp_path / "link.json"
    target = tmp_path / "precious.txt"
    target.write_text("keep me")
    link.symlink_to(target)
    _refused(_imcsim("compile", model, "--json", link), "symbolic link")
    assert target.read_text() == "keep me"
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    _refused(_imcsim("compile", model, "--json", fifo), "not a regular file")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    _refused(_imcsim("solve", NOS4, "--x-out", "-"), "standard output")


def test_outputs_get_the_users_umask(copies, tmp_path):
    model, _, _ = copies
    out = tmp_path / "r.json"
    old = os.umask(0o022)
    try:
        assert _imcsim("compile", model, "--json", out).returncode == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o644


def test_a_sweep_report_cannot_overwrite_the_sweeps_records(tmp_path):
    out = tmp_path / "s"
    assert _imcsim("sweep", TINY, "--grid", "adc.bits=4,5", "--out", out, "--quiet",
                   "--no-plots").returncode == 0
    records = (out / "results.jsonl").read_bytes()
    _refused(_imcsim("report", out, "--html", out / "results.jsonl"), "input of this run")
    assert (out / "results.jsonl").read_bytes() == records
