"""Where points run: in this process, in local worker processes, or on a Dask cluster.

Each backend takes the :class:`Evaluator` (shipped once per worker: the frozen model is
~50 kB even for ResNet-50) and chunks of points, and yields each chunk's records as it
finishes, in completion order. At most a few chunks per worker are in flight, so an
interrupted sweep loses little work and memory stays flat.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from imcsim.errors import ImcsimError
from imcsim.sweep.evaluate import Evaluator
from imcsim.sweep.space import Scalar

Chunk = list[tuple[int, dict[str, Scalar]]]
Records = list[dict[str, Any]]
_IN_FLIGHT_PER_WORKER = 4
_CONNECT_TIMEOUT = "10s"

_worker_evaluator: Evaluator | None = None  # one per worker process


def serial(evaluator: Evaluator, chunks: Sequence[Chunk]) -> Iterator[Records]:
    for chunk in chunks:
        yield evaluator.run(chunk)


def _init_worker(evaluator: Evaluator, parent: int) -> None:
    global _worker_evaluator
    _worker_evaluator = evaluator
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _die_with(parent)


def _die_with(parent: int) -> None:
    """A worker must not outlive its sweep, even one killed with SIGKILL (forked workers
    hold the pool's pipes open, so they would wait for work forever)."""
    if sys.platform == "linux":
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    else:
        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(0.5)
            os._exit(1)

        threading.Thread(target=watch, daemon=True).start()
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)


def _run_in_worker(chunk: Chunk) -> Records:
    assert _worker_evaluator is not None
    return _worker_evaluator.run(chunk)


def _context() -> Any:
    """fork on Linux: workers start at once, share the parent's model pages, and do not
    re-import the caller's ``__main__`` (a script without a ``__main__`` guard works).
    The pool starts its processes before the progress bar's thread exists. Elsewhere
    spawn (fork is unsafe on macOS)."""
    return multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")


class Local:
    """Worker processes (one per core by default), each with its own copy of the evaluator.

    The processes start when this object is made; iterate it for the records."""

    def __init__(self, evaluator: Evaluator, chunks: Sequence[Chunk], workers: int) -> None:
        self.chunks, self.workers = chunks, workers
        self.pool = ProcessPoolExecutor(workers, mp_context=_context(),
                                        initializer=_init_worker,
                                        initargs=(evaluator, os.getpid()))
        self.pool.submit(int).result()  # start the workers now

    def __iter__(self) -> Iterator[Records]:
        try:
            todo = iter(self.chunks)
            pending: set[Future[Records]] = set()
            limit = self.workers * _IN_FLIGHT_PER_WORKER
            while True:
                for chunk in todo:
                    pending.add(self.pool.submit(_run_in_worker, chunk))
                    if len(pending) >= limit:
                        break
                if not pending:
                    break
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for f in finished:
                    yield f.result()
        except BrokenProcessPool as e:
            raise ImcsimError(f"a worker process died ({e}); finished points are saved, run "
                              "the same command again to resume (--workers 1 to see why)") from None
        finally:
            self.pool.shutdown(wait=True, cancel_futures=True)


_GREETING_MAX = 1 << 20  # a scheduler's handshake message is a few hundred bytes


async def _check_greeting(address: str, timeout_s: float, ssl_context: Any,
                          fail: Any) -> None:
    """Read the first message a Dask peer sends on connecting (its handshake) with our own
    bounded reader. Dask's reader allocates whatever length the first 8 bytes claim, so a
    peer that is not a scheduler and sends garbage would make it allocate gigabytes. The
    framing (distributed.comm.tcp): a little-endian uint64 byte count, then that many bytes
    beginning with a uint64 frame count and one uint64 length per frame."""
    import asyncio
    import struct

    from distributed.comm import parse_address, parse_host_port

    host, port = parse_host_port(parse_address(address)[1])
    ssl_args: dict[str, Any] = {}
    if ssl_context is not None:
        ssl_args = {"ssl": ssl_context,
                    "server_hostname": host if ssl_context.check_hostname else None}
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(host, port, **ssl_args), timeout_s)
    try:
        head = await asyncio.wait_for(reader.readexactly(8), timeout_s)
        (size,) = struct.unpack("<Q", head)
        if not 16 <= size <= _GREETING_MAX:
            raise fail(f"the peer is not a Dask scheduler (its first message claims {size} "
                       "bytes); check the address")
        body = await asyncio.wait_for(reader.readexactly(size), timeout_s)
        (frames,) = struct.unpack_from("<Q", body)
        framed = frames <= 64 and len(body) >= 8 + 8 * frames
        if not framed or sum(struct.unpack_from(f"<{frames}Q", body, 8)) > _GREETING_MAX:
            raise fail("the peer is not a Dask scheduler (its first message is not Dask's "
                       "framing); check the address")
    finally:
        writer.close()


def _probe(address: str, timeout_s: float = 10.0) -> None:
    """Ask the scheduler for its identity over one Dask connection, bounded in time, before a
    Client is made: a Client that fails half-built stalls the exit for 20 s and prints a
    traceback from its finaliser. Refuses schemes other than tcp, and tls unless Dask's
    config holds the certificates; a peer that accepts and never answers times out."""
    import asyncio

    from distributed.comm import connect, parse_address
    from distributed.security import Security

    def fail(why: str) -> ImcsimError:
        return ImcsimError(f"--scheduler {address[:200]}: {why}")

    try:
        scheme, _ = parse_address(address)
    except (ValueError, TypeError) as e:
        raise fail(f"not a scheduler address ({e}); give tcp://HOST:PORT") from None
    if scheme not in ("tcp", "tls"):
        raise fail(f"the '{scheme}' transport is not supported; give tcp://HOST:PORT")
    kwargs: dict[str, Any] = {}
    if scheme == "tls":
        kwargs = Security().get_connection_args("client")
        if kwargs.get("ssl_context") is None:
            raise fail("tls:// needs TLS certificates in Dask's configuration "
                       "(distributed.comm.tls.*); configure them or use tcp://")

    async def identity() -> None:
        await _check_greeting(address, timeout_s, kwargs.get("ssl_context"), fail)
        comm = await connect(address, timeout=timeout_s, **kwargs)
        try:
            await comm.write({"op": "identity"})
            await comm.read()
        finally:
            comm.abort()

    try:
        asyncio.run(asyncio.wait_for(identity(), 2 * timeout_s))
    except ImcsimError:
        raise
    except (OSError, TimeoutError, ValueError, TypeError) as e:
        why = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise fail(f"cannot connect ({why}); start a scheduler (dask scheduler) or check "
                   "the address") from None
    except Exception as e:  # noqa: BLE001 - any comm failure (closed stream, bad reply)
        raise fail(f"no scheduler answered ({type(e).__name__}); start a scheduler (dask "
                   "scheduler) or check the address") from None


def _run_with(evaluator: Evaluator, chunk: Chunk) -> Records:
    """A Dask task: the scattered evaluator (kept by the worker) runs one chunk."""
    return evaluator.run(chunk)


class Dask:
    """Chunks as tasks on a Dask distributed cluster; records come back to this process.

    Connects when made (a bad address fails before anything is written)."""

    def __init__(self, evaluator: Evaluator, address: str) -> None:
        try:
            from distributed import Client
        except ImportError:
            raise ImcsimError("--scheduler needs the Dask extra: pip install 'imcsim[dask]'"
                              ) from None
        self.evaluator = evaluator
        _probe(address)  # a bad address or a silent peer fails here, within the timeout
        try:
            self.client = Client(address, timeout=_CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as e:
            raise ImcsimError(f"--scheduler {address}: cannot connect ({e}); start a scheduler "
                              "(dask scheduler) or check the address") from None

    def run(self, chunks: Sequence[Chunk]) -> Iterator[Records]:
        from distributed import as_completed

        client = self.client
        if not chunks:
            return
        workers = max(1, sum(client.nthreads().values()))
        [shared] = client.scatter([self.evaluator], broadcast=True, hash=False)
        todo = iter(chunks)
        first = [client.submit(_run_with, shared, c, pure=False)
                 for c in itertools.islice(todo, workers * _IN_FLIGHT_PER_WORKER)]
        queue = as_completed(first, loop=client.loop)
        for future in queue:
            yield future.result()
            nxt = next(todo, None)
            if nxt is not None:
                queue.add(client.submit(_run_with, shared, nxt, pure=False))

    def close(self) -> None:
        self.client.close()


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
               else (os.cpu_count() or 1))
