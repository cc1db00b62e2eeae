"""A sweep on a Dask cluster (a LocalCluster on loopback only) gives exactly the results of
a local sweep, and streams them into the same resumable store."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from onnx_builders import TINY_CNN

from imcsim.cli import main

GRID = ["--grid", "array.rows=64,128,256", "--grid", "adc.bits=3..6",
        "--grid", "array.cell_bits=1,9"]


def _records(out):
    return {r["id"]: r for r in map(json.loads, (out / "results.jsonl").read_text().splitlines())}


def test_dask_cluster_sweep_equals_local_sweep(tmp_path):
    distributed = pytest.importorskip("distributed")
    local, remote = tmp_path / "local", tmp_path / "remote"
    assert main(["sweep", str(TINY_CNN), *GRID, "--out", str(local), "--quiet",
                 "--no-plots"]) == 0
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  host="127.0.0.1", protocol="tcp", dashboard_address=None,
                                  silence_logs=True) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        # the command line in another process, talking to the cluster over loopback TCP
        subprocess.run([sys.executable, "-m", "imcsim", "sweep", str(TINY_CNN), *GRID,
                        "--out", str(remote), "--scheduler", address, "--quiet",
                        "--no-plots"], check=True, timeout=120)
    assert len(_records(remote)) == 24
    assert _records(remote) == _records(local)
    assert (remote / "results.csv").read_text() == (local / "results.csv").read_text()


def test_unreachable_scheduler_is_one_line_exit_2(tmp_path, capsys, monkeypatch):
    pytest.importorskip("distributed")
    from imcsim.sweep import backends

    monkeypatch.setattr(backends, "_CONNECT_TIMEOUT", "1s")  # nothing listens on port 9
    rc = main(["sweep", str(TINY_CNN), "--grid", "adc.bits=4,5", "--out", str(tmp_path / "o"),
               "--scheduler", "tcp://127.0.0.1:9", "--quiet"])
    assert rc == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--scheduler tcp://127.0.0.1:9: cannot connect" in err
    assert not (tmp_path / "o").exists()
