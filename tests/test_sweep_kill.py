"""A sweep killed with SIGKILL mid-run and started again ends with exactly the results of
an uninterrupted run: no duplicate, no missing point, the same CSV; no worker outlives it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import psutil
from onnx_builders import TINY_CNN

# 32 × 8 × 4 × 4 = 4,096 points: a few seconds on two worker processes
GRID = ["--grid", "array.rows=32..63", "--grid", "adc.bits=3..10",
        "--grid", "array.cell_bits=1,2,4,9", "--grid", "adc.cols_per_adc=1,2,4,8"]
POINTS = 32 * 8 * 4 * 4


def _command(out):
    return [sys.executable, "-m", "imcsim", "sweep", str(TINY_CNN), *GRID, "--out", str(out),
            "--workers", "2", "--no-plots", "--quiet"]


def _lines(out) -> int:
    try:
        return (out / "results.jsonl").read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def _kill_after(out, lines: int) -> bool:
    """Start the sweep, SIGKILL it once ``lines`` records are in; True if killed mid-run."""
    proc = subprocess.Popen(_command(out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while _lines(out) < lines and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    children = psutil.Process(proc.pid).children(recursive=True) if proc.poll() is None else []
    mid_run = proc.poll() is None
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    _, alive = psutil.wait_procs(children, timeout=15)  # workers end with their parent
    assert not alive, "worker processes outlived the killed sweep"
    return mid_run


def test_sigkill_then_resume_equals_an_uninterrupted_run(tmp_path):
    ref, out = tmp_path / "ref", tmp_path / "out"
    subprocess.run(_command(ref), check=True, timeout=120)
    killed = [_kill_after(out, n) for n in (1, POINTS // 3, 2 * POINTS // 3)]
    assert any(killed), "the sweep finished before it could be killed"
    assert 0 < _lines(out) < POINTS
    subprocess.run(_command(out), check=True, timeout=120)
    got = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    want = [json.loads(line) for line in (ref / "results.jsonl").read_text().splitlines()]
    assert len(got) == len({r["id"] for r in got}) == POINTS  # no duplicate, none missing
    assert {r["id"]: r for r in got} == {r["id"]: r for r in want}
    assert (out / "results.csv").read_text() == (ref / "results.csv").read_text()
