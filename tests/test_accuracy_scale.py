"""`imcsim accuracy --workers N` and `--scheduler ADDRESS` (a LocalCluster on loopback only)
give exactly the numbers of one process for the same seed: the single-process run is the
reference. Programmed arrays are built once per worker, not per batch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from onnx_builders import TINY_CNN

from imcsim.cli import main

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "torch"
# read and programming noise on, ADC ranges calibrated on batch 0: every source of
# difference between processes is exercised
NOISY = ["--set", "nonideal.read_noise=0.05", "--set", "nonideal.prog_noise=0.05",
         "--set", "adc.range=calibrated", "--quiet"]
TINY = [str(TINY_CNN), "--samples", "70", "--batch-size", "16", *NOISY]  # 5 batches, last 6


def _run(tmp_path: Path, name: str, *argv: str) -> tuple[dict, dict[str, np.ndarray]]:
    js, npz = tmp_path / f"{name}.json", tmp_path / f"{name}.npz"
    assert main(["accuracy", *argv, "--json", str(js), "--outputs", str(npz)]) == 0
    report = json.loads(js.read_text())
    del report["imcsim"]  # provenance: the command line differs, nothing else may
    with np.load(npz) as data:
        return report, {k: data[k] for k in data.files}


def _assert_same(a: tuple[dict, dict[str, np.ndarray]],
                 b: tuple[dict, dict[str, np.ndarray]]) -> None:
    assert a[0] == b[0]  # every figure, per-layer errors included, to the last bit
    assert a[1].keys() == b[1].keys()
    for k in a[1]:
        assert a[1][k].dtype == b[1][k].dtype
        np.testing.assert_array_equal(a[1][k], b[1][k])


@pytest.mark.parametrize("argv", [
    TINY,
    # an LSTM (fixed batch 1) reads its gate matrices once per step: 7 batches of 5 steps
    [str(FIXTURES / "tiny_lstm.torchscript.onnx"), "--samples", "7", *NOISY],
    # read noise and converter errors without programming noise: the bit-plane kernel
    [str(TINY_CNN), "--samples", "40", "--batch-size", "16", "--set",
     "nonideal.read_noise=0.05", "--set", "nonideal.adc_offset_lsb=0.3", "--quiet"],
], ids=["tiny_cnn", "lstm", "tiny_cnn_bitplane"])
def test_workers_give_the_numbers_of_one_process(tmp_path, argv):
    local = _run(tmp_path, "local", *argv)
    assert local[1]["hw"].shape[0] == int(argv[argv.index("--samples") + 1])
    assert not np.array_equal(local[1]["hw"], local[1]["float"])  # the noise is on
    _assert_same(_run(tmp_path, "workers", *argv, "--workers", "2"), local)


def test_workers_more_than_batches(tmp_path):
    """8 workers for 3 batches (the last padded): three processes, the same numbers."""
    argv = [str(TINY_CNN), "--samples", "20", "--batch-size", "8", *NOISY]
    _assert_same(_run(tmp_path, "many", *argv, "--workers", "8"), _run(tmp_path, "one", *argv))


def _count_programming(monkeypatch, log: Path) -> None:
    """Log every ProgrammedMatrix built and every batch run, by process and thread (forked
    workers and a threaded LocalCluster inherit the patch)."""
    from imcsim.functional import executor

    lock = threading.Lock()

    def note(what: str) -> None:
        with lock, open(log, "a") as f:
            f.write(f"{os.getpid()} {threading.get_ident()} {what}\n")

    class Counting(executor.ProgrammedMatrix):
        def __init__(self, *args, **kwargs):
            note("program")
            super().__init__(*args, **kwargs)

    run = executor.Executor.run

    def counted_run(self, feeds, batch=None):
        note(f"batch {batch}")
        return run(self, feeds, batch)

    monkeypatch.setattr(executor, "ProgrammedMatrix", Counting)
    monkeypatch.setattr(executor.Executor, "run", counted_run)


def _per_process(log: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in log.read_text().splitlines():
        pid, _, what = line.split(" ", 2)
        out.setdefault(pid, []).append(what)
    return out


@pytest.mark.skipif(sys.platform != "linux", reason="the count is patched into forked workers")
def test_arrays_are_programmed_once_per_worker(tmp_path, monkeypatch):
    """tiny_cnn has 4 crossbar layers: one process programs 4 matrices for all 9 batches,
    and so does each worker, however many tasks and batches it runs."""
    argv = [str(TINY_CNN), "--samples", "70", "--batch-size", "8", *NOISY]
    log = tmp_path / "log"
    _count_programming(monkeypatch, log)
    _run(tmp_path, "local", *argv)
    [(parent, local)] = _per_process(log).items()
    assert local.count("program") == 4 and local.count("batch None") == 9
    log.unlink()
    _run(tmp_path, "workers", *argv, "--workers", "2")
    workers = _per_process(log)
    assert parent not in workers and 1 <= len(workers) <= 2
    for events in workers.values():
        assert events.count("program") == 4, events
    runs = [[e for e in events if e.startswith("batch")] for events in workers.values()]
    # every batch ran (batch 0 once more in a worker whose first task started later)
    assert {f"batch {i}" for i in range(9)} <= {e for r in runs for e in r}
    assert max(map(len, runs)) >= 3  # a worker ran several batches on its arrays


def test_dask_cluster_gives_the_numbers_of_one_process(tmp_path, monkeypatch):
    distributed = pytest.importorskip("distributed")
    local = _run(tmp_path, "local", *TINY)
    log = tmp_path / "log"
    _count_programming(monkeypatch, log)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  host="127.0.0.1", protocol="tcp", dashboard_address=None,
                                  silence_logs=True) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        remote = _run(tmp_path, "remote", *TINY, "--scheduler", address)
    _assert_same(remote, local)
    # both workers live in this process and share its programmed executors: one per task
    # running at once, so 4 or 8 matrices, never one set per batch or task
    [events] = _per_process(log).values()
    assert events.count("program") in (4, 8), events


def _one_line_error(capsys, argv: list[str]) -> str:
    try:
        rc = main(["accuracy", str(TINY_CNN), "--samples", "8", *argv])
    except SystemExit as e:  # argparse's own refusals
        rc = e.code
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    return err


def test_workers_zero_is_one_line(capsys):
    assert "--workers 0: must be ≥ 1" in _one_line_error(capsys, ["--workers", "0"])


def test_workers_and_scheduler_together_is_one_line(capsys):
    err = _one_line_error(capsys, ["--workers", "2", "--scheduler", "tcp://127.0.0.1:9"])
    assert "--scheduler" in err and "not allowed with" in err


def test_workers_and_scheduler_together_in_the_api():
    import imcsim
    from imcsim.errors import ImcsimError

    with pytest.raises(ImcsimError, match="not both"):
        imcsim.accuracy(TINY_CNN, samples=8, workers=2, scheduler="tcp://127.0.0.1:9")


def test_unreachable_scheduler_is_one_line(tmp_path, capsys, monkeypatch):
    pytest.importorskip("distributed")
    from imcsim import parallel

    monkeypatch.setattr(parallel, "CONNECT_TIMEOUT", "1s")  # nothing listens on port 9
    err = _one_line_error(capsys, ["--scheduler", "tcp://127.0.0.1:9",
                                   "--json", str(tmp_path / "a.json")])
    assert "--scheduler tcp://127.0.0.1:9: cannot connect" in err
    assert not (tmp_path / "a.json").exists()


def test_scheduler_without_the_dask_extra_names_the_extra():
    """The subprocess hides `distributed` as if it were not installed."""
    code = ("import sys; sys.modules['distributed'] = None\n"
            "from imcsim.cli import main\n"
            f"sys.exit(main(['accuracy', {str(TINY_CNN)!r}, '--samples', '4', "
            "'--scheduler', 'tcp://127.0.0.1:1']))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert "pip install 'imcsim[dask]'" in r.stderr


def test_numbers_do_not_depend_on_blas_threads(tmp_path):
    """A Dask worker runs with OPENBLAS_NUM_THREADS=1 (its nanny sets it); per-layer errors
    once took their norms from BLAS, whose dot product splits its sum over threads."""
    def run(threads: str) -> str:
        env = {**os.environ, "OPENBLAS_NUM_THREADS": threads, "OMP_NUM_THREADS": threads,
               "MKL_NUM_THREADS": threads}
        r = subprocess.run([sys.executable, "-m", "imcsim", "accuracy", *TINY, "--json", "-"],
                           capture_output=True, text=True, env=env, check=True)
        report = json.loads(r.stdout)
        del report["imcsim"]
        return json.dumps(report)

    assert run("1") == run("4")


def test_blas_held_at_one_thread_only_inside_the_context():
    """The kernels' pool and the float reference beside them run BLAS in one thread (so no
    BLAS thread is left spinning beside the kernels'); leaving restores the caller's count,
    also after an error, and an accuracy run leaves it as it found it."""
    from threadpoolctl import threadpool_info

    from imcsim import api
    from imcsim.parallel import blas_one_thread

    def blas() -> dict[str, int]:
        return {lib["filepath"]: lib["num_threads"] for lib in threadpool_info()
                if lib["user_api"] == "blas"}

    before = blas()
    with blas_one_thread():
        assert before and set(blas().values()) == {1}
    assert blas() == before
    with pytest.raises(RuntimeError), blas_one_thread():
        raise RuntimeError("inside")
    assert blas() == before
    api.accuracy(TINY_CNN, "rram_128", samples=2, set=["nonideal.read_noise=0.02"])
    assert {k: v for k, v in blas().items() if k in before} == before  # SciPy's may load
