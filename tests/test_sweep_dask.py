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
    from imcsim import parallel

    monkeypatch.setattr(parallel, "CONNECT_TIMEOUT", "1s")  # nothing listens on port 9
    rc = main(["sweep", str(TINY_CNN), "--grid", "adc.bits=4,5", "--out", str(tmp_path / "o"),
               "--scheduler", "tcp://127.0.0.1:9", "--quiet"])
    assert rc == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--scheduler tcp://127.0.0.1:9: cannot connect" in err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(("address", "expect"), [
    ("ucx://host:1", "the 'ucx' transport is not supported"),
    ("tls://127.0.0.1:1", "tls:// needs TLS certificates"),
    ("garbage", "missing port number"),
])
def test_bad_scheduler_address_is_one_line_at_once(address, expect):
    pytest.importorskip("distributed")
    from imcsim.errors import ImcsimError
    from imcsim.parallel import probe

    with pytest.raises(ImcsimError, match=expect):
        probe(address, timeout_s=1.0)


def test_a_scheduler_that_never_answers_times_out(tmp_path):
    """A peer that accepts the connection and never speaks: the probe gives up after its
    timeout (1 s to connect-and-handshake, 2 s overall here) instead of hanging."""
    pytest.importorskip("distributed")
    import socket
    import threading
    import time

    from imcsim.errors import ImcsimError
    from imcsim.parallel import probe

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                pass

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    start = time.monotonic()
    try:
        with pytest.raises(ImcsimError, match="cannot connect|no scheduler answered"):
            probe(f"tcp://127.0.0.1:{server.getsockname()[1]}", timeout_s=1.0)
    finally:
        stop.set()
        t.join()
        for c in held:
            c.close()
        server.close()
    assert time.monotonic() - start < 10


@pytest.mark.parametrize(("greeting", "expect"), [
    # 8 bytes claiming a 2^62-byte message: Dask's own reader would try to allocate it
    ((1 << 62).to_bytes(8, "little") + b"x" * 64, "claims 4611686018427387904 bytes"),
    # a plausible size, but the body claims 10^6 frames: not Dask's framing
    ((24).to_bytes(8, "little") + (10**6).to_bytes(8, "little") + b"\0" * 16,
     "not Dask's framing"),
])
def test_a_peer_that_sends_garbage_is_refused_before_dask_reads_it(greeting, expect):
    """The handshake is read by imcsim's own bounded reader first (fuzz case
    sweep/garbage-server made Dask allocate more than 4 GiB)."""
    pytest.importorskip("distributed")
    import socket
    import threading

    from imcsim.errors import ImcsimError
    from imcsim.parallel import probe

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            conn.sendall(greeting)
            conn.recv(1)

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        with pytest.raises(ImcsimError, match=expect):
            probe(f"tcp://127.0.0.1:{server.getsockname()[1]}", timeout_s=2.0)
    finally:
        server.close()


def test_scheduler_without_the_dask_extra_names_the_extra(tmp_path):
    """Dask is an optional extra; without it --scheduler is one line naming the extra and
    nothing is written. (The subprocess hides `distributed` as if it were not installed.)"""
    import subprocess
    import sys

    code = ("import sys; sys.modules['distributed'] = None\n"
            "from imcsim.cli import main\n"
            f"sys.exit(main(['sweep', {str(TINY_CNN)!r}, '--grid', 'adc.bits=4,5', '--out', "
            f"{str(tmp_path / 's')!r}, '--scheduler', 'tcp://127.0.0.1:1']))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert "pip install 'imcsim[dask]'" in r.stderr
    assert not (tmp_path / "s" / "results.jsonl").exists()


def test_accuracy_sweep_on_a_cluster_equals_local(tmp_path):
    """Issue 15: an accuracy sweep over ADC resolutions, noise on, on a 2-worker loopback
    cluster gives the local sweep's numbers (each point's read noise comes from the seed,
    not from which worker ran it)."""
    distributed = pytest.importorskip("distributed")
    digits = str(TINY_CNN.parent / "digits_cnn.onnx")
    args = [digits, "--grid", "adc.bits=3,4,5,6", "--set", "nonideal.read_noise=0.03",
            "--accuracy", "--dataset", "digits", "--samples", "24", "--seed", "5",
            "--quiet", "--no-plots"]
    local, remote = tmp_path / "local", tmp_path / "remote"
    assert main(["sweep", *args, "--out", str(local)]) == 0
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  host="127.0.0.1", protocol="tcp", dashboard_address=None,
                                  silence_logs=True) as cluster:
        assert main(["sweep", *args, "--out", str(remote), "--scheduler",
                     cluster.scheduler_address]) == 0
    got, want = _records(remote), _records(local)
    assert len(want) == 4 and got == want
    errors = [r["accuracy"]["output_rel_error"]
              for r in sorted(want.values(), key=lambda r: r["config"]["adc.bits"])]
    assert errors[0] > errors[-1]  # a 3-bit ADC loses what a 6-bit one keeps
