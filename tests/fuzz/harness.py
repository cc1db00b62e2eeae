"""Run one fuzz case in a fresh temporary folder and classify what happened.

The command runs as ``[sys.executable, "-m", "imcsim", *argv]`` (the interpreter running
the harness, so the same virtualenv) in a new session (its whole process group is killed
on timeout), with stdin closed, an address-space limit (``RLIMIT_AS``, 4 GiB by default)
set in ``preexec_fn`` and ``IMCSIM_MAX_MEMORY`` (the documented matrix memory budget)
set below it, so that a run that honours its own budget never meets the hard limit. Peak
RSS comes from ``os.wait4``. The folder is snapshotted (path → kind, mode, SHA-256 or
link target) before and after.

Failure classes, checked in this order:

- ``hang``: still running at the case's wall-clock limit, or left processes behind
- ``memory``: MemoryError, killed by SIGKILL (not ours), or peak RSS over :data:`RSS_LIMIT`
- ``crash``: killed by another signal (SIGSEGV, SIGABRT, …)
- ``traceback``: a Python traceback on stderr
- ``clobbered``: a file or folder appeared, changed or vanished that the case did not
  declare as an output (any change at all when the run failed)
- ``leak``: stdout/stderr holds something the case forbids (e.g. the size of a file
  outside the model's folder)
- ``terminal-injection``: a raw escape character (ESC) reached stdout or stderr
- ``multi-line error``: exit code 2 but stderr is not exactly one ``imcsim: error:`` line
- ``accepted-garbage``: a ``bad`` case ended with a success exit code
- ``wrong exit code``: any other exit code than the case allows (for ``valid`` cases a
  refusal, exit 2, lands here)
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import resource
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from fuzz.cases import Case, Dir, Fifo, Link

AS_LIMIT = 4 << 30  # RLIMIT_AS of the command
RSS_LIMIT = 3 << 30  # peak RSS above this is a memory failure even if the run succeeded
MAX_MEMORY = 2 << 30  # IMCSIM_MAX_MEMORY: the program's own budget, below the hard limit
KEEP = 1 << 20  # bytes of stdout/stderr kept

CLASSES = ("pass", "hang", "memory", "crash", "traceback", "clobbered", "leak",
           "terminal-injection", "multi-line error", "accepted-garbage", "wrong exit code")
ERROR_PREFIX = "imcsim: error:"


@dataclass
class Result:
    case: Case
    rc: int | None  # exit code; negative = killed by that signal; None = never started
    seconds: float
    peak_rss_mb: float
    stdout: str
    stderr: str
    timed_out: bool = False
    leftover_processes: bool = False
    changes: list[str] = field(default_factory=list)  # "+path", "-path", "~path"
    klass: str = "pass"
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.klass == "pass"

    def summary(self) -> str:
        """One paragraph for a failing case: id, class, argv, rc, time, stderr head."""
        head = self.stderr[:300].replace("\n", "⏎")
        return (f"{self.case.id} [{self.klass}] {self.detail}\n"
                f"  argv: imcsim {' '.join(_shown(a) for a in self.case.argv)}\n"
                f"  rc={self.rc} in {self.seconds:.1f} s, peak RSS {self.peak_rss_mb:.0f} MiB"
                + (f", changes: {', '.join(self.changes[:6])}" if self.changes else "")
                + f"\n  stderr: {head!r}")


def _shown(arg: str) -> str:
    text = arg if len(arg) <= 80 else arg[:77] + "…"
    return repr(text) if not text.isprintable() or " " in text or not text else text


# ---------------------------------------------------------------- the folder


def materialize(case: Case, root: Path) -> None:
    """Create the case's files under ``root`` (directories, files, FIFOs, then links)."""
    specs = sorted(case.files.items(), key=lambda kv: (
        {Dir: 0, Fifo: 2, Link: 3}.get(type(kv[1]), 1), kv[0]))
    for rel, spec in specs:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(spec, Dir):
            path.mkdir(exist_ok=True)
        elif isinstance(spec, Fifo):
            os.mkfifo(path)
        elif isinstance(spec, Link):
            path.symlink_to(spec.target.replace("{tmp}", str(root)))
        else:
            path.write_bytes(spec.encode("utf-8") if isinstance(spec, str) else spec)
    if case.setup is not None:
        case.setup(root)


def snapshot(root: Path) -> dict[str, tuple]:
    """path (relative) → (kind, mode, content hash / link target); never follows links,
    never opens anything but regular files."""
    snap: dict[str, tuple] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in (*dirnames, *filenames):
            p = os.path.join(dirpath, name)
            rel = os.path.relpath(p, root)
            st = os.lstat(p)
            mode = stat.S_IMODE(st.st_mode)
            if stat.S_ISLNK(st.st_mode):
                snap[rel] = ("link", mode, os.readlink(p))
            elif stat.S_ISDIR(st.st_mode):
                snap[rel] = ("dir", mode, "")
            elif stat.S_ISREG(st.st_mode):
                h = hashlib.sha256()
                with open(p, "rb") as f:
                    for block in iter(lambda: f.read(1 << 20), b""):
                        h.update(block)
                snap[rel] = ("file", mode, h.hexdigest())
            else:
                snap[rel] = ("special", mode, stat.S_IFMT(st.st_mode))
    return snap


def diff(before: dict[str, tuple], after: dict[str, tuple]) -> list[str]:
    out = [f"+{p}" for p in sorted(after.keys() - before.keys())]
    out += [f"-{p}" for p in sorted(before.keys() - after.keys())]
    out += [f"~{p}" for p in sorted(before.keys() & after.keys()) if before[p] != after[p]]
    return out


def _declared(change: str, outputs: tuple[str, ...]) -> bool:
    path = change[1:]
    for out in outputs:
        out = os.path.normpath(out.rstrip("/")) if out not in ("", ".") else out
        if path == out or path.startswith(out + os.sep):
            return True
    return False


# ---------------------------------------------------------------- a local TCP server


@contextlib.contextmanager
def tcp_server(mode: str | None) -> Iterator[int | None]:
    """A server on 127.0.0.1 that accepts and then stays silent (``silent``), answers
    garbage (``garbage``) or hangs up at once (``close``); stops with the case."""
    if mode is None:
        yield None
        return
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.settimeout(0.2)
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set() and len(held) < 64:  # bounded: at most 64 connections
            try:
                conn, _ = sock.accept()
            except (TimeoutError, OSError):
                continue
            if mode == "garbage":
                with contextlib.suppress(OSError):
                    conn.sendall(b"HTTP/1.1 200 OK\r\n\r\n" + bytes(range(256)) * 16)
            if mode == "close":
                conn.close()
            else:
                held.append(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        for conn in held:
            conn.close()
        sock.close()


# ---------------------------------------------------------------- running


def _limit_memory() -> None:  # preexec_fn: runs in the child between fork and exec
    resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT, AS_LIMIT))


def _env(case: Case, private: Path) -> dict[str, str]:
    env = dict(os.environ)
    for key in ("PYTEST_CURRENT_TEST", "PYTEST_ADDOPTS", "COV_CORE_SOURCE"):
        env.pop(key, None)
    env.update({
        "IMCSIM_MAX_MEMORY": str(MAX_MEMORY),
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": str(private / "mpl"),  # caches outside the snapshotted folder
        "PYTHONDONTWRITEBYTECODE": "1",
        "COLUMNS": "120",
    })
    env.update(case.env)
    return env


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read(path: Path) -> str:
    with open(path, "rb") as f:
        return f.read(KEEP).decode("utf-8", "replace")


def run_case(case: Case) -> Result:
    """Run ``case`` in a fresh temporary folder; the folder is removed afterwards."""
    base = Path(tempfile.mkdtemp(prefix="imcsim-fuzz-"))
    try:
        work, private = base / "work", base / "private"
        work.mkdir()
        private.mkdir()
        materialize(case, work)
        before = snapshot(work)
        with tcp_server(case.server) as port:
            argv = [a.replace("{tmp}", str(work)).replace("{port}", str(port))
                    for a in case.argv]
            result = _execute(case, argv, work, private)
        result.changes = diff(before, snapshot(work))
        classify(result)
        return result
    finally:
        _remove(base)


def _remove(base: Path) -> None:
    def retry(func, path, _exc):  # noqa: ANN001 - shutil's onerror signature
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(path), 0o700)
            func(path)

    shutil.rmtree(base, onerror=retry)


def _execute(case: Case, argv: list[str], work: Path, private: Path) -> Result:
    out_path, err_path = private / "stdout", private / "stderr"
    start = time.monotonic()
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "imcsim", *argv], cwd=work, env=_env(case, private),
            stdin=subprocess.DEVNULL, stdout=out, stderr=err, preexec_fn=_limit_memory,
            start_new_session=True)
    timed_out = False
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() - start > case.timeout:
            timed_out = True
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.02)
    seconds = time.monotonic() - start
    rc = os.waitstatus_to_exitcode(status)
    proc.returncode = rc  # reaped here; keep Popen from waiting again
    leftover = False
    if not timed_out:  # anything of its process group still running?
        deadline = time.monotonic() + 3.0
        while _group_alive(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        leftover = _group_alive(proc.pid)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    return Result(case=case, rc=rc, seconds=seconds, peak_rss_mb=usage.ru_maxrss / 1024,
                  stdout=_read(out_path), stderr=_read(err_path), timed_out=timed_out,
                  leftover_processes=leftover)


# ---------------------------------------------------------------- classification


def classify(r: Result) -> None:
    r.klass, r.detail = _classify(r)


def _classify(r: Result) -> tuple[str, str]:
    case = r.case
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    if r.timed_out:
        return "hang", f"still running after {case.timeout:g} s (killed)"
    if r.leftover_processes:
        return "hang", "exited but left processes of its group running"
    if "MemoryError" in r.stderr or "Unable to allocate" in r.stderr:
        return "memory", "ran out of address space (MemoryError)"
    if r.rc is not None and r.rc == -signal.SIGKILL:
        return "memory", "killed by SIGKILL (the kernel's OOM killer?)"
    if r.rc is not None and r.rc < 0:
        return "crash", f"killed by signal {signal.Signals(-r.rc).name}"
    if r.peak_rss_mb * (1 << 20) > RSS_LIMIT:
        return "memory", f"peak RSS {r.peak_rss_mb:.0f} MiB"
    if "Traceback (most recent call last)" in r.stderr:
        last = lines[-1] if lines else ""
        return "traceback", last[:200]
    success = r.rc in case.ok_rc
    allowed = case.outputs if success else case.error_outputs
    undeclared = [c for c in r.changes if not _declared(c, allowed)]
    if undeclared:
        return "clobbered", ("changed: " if success else "failed run changed: ") + \
            ", ".join(undeclared[:5])
    for pattern in case.forbid:
        m = re.search(pattern, r.stdout + "\n" + r.stderr)
        if m:
            return "leak", f"output reveals {m.group(0)!r}"
    if "\x1b" in r.stdout or "\x1b" in r.stderr:
        return "terminal-injection", "a raw ESC reached the terminal"
    if r.rc == 2:
        if len(lines) != 1 or not lines[0].startswith(ERROR_PREFIX) or \
                r.stderr.count("\n") > 1:
            return "multi-line error", f"{len(lines)} stderr line(s): {r.stderr[:120]!r}"
        if case.expect == "valid":
            return "wrong exit code", f"refused a valid input: {lines[0][:160]}"
        return "pass", ""
    if success:
        if case.expect == "bad":
            return "accepted-garbage", f"exit {r.rc} on hostile input"
        return "pass", ""
    wanted = "2" if case.expect == "bad" else f"{case.ok_rc}"
    return "wrong exit code", f"exit {r.rc} (expected {wanted})"
