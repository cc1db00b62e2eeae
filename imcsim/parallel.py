"""Worker processes and Dask clusters: the pieces the sweep and ``imcsim accuracy`` share.

Local workers fork on Linux and die with their parent; a Dask scheduler address is probed
with a bounded handshake before a Client is made, so a bad address is one line at once.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from imcsim.errors import ImcsimError

_BLAS: Any = None  # threadpoolctl's controller of the BLAS libraries, found once

CONNECT_TIMEOUT = "10s"  # a Client's connection to the scheduler
_GREETING_MAX = 1 << 20  # a scheduler's handshake message is a few hundred bytes


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
               else (os.cpu_count() or 1))


def process_context() -> Any:
    """fork on Linux: workers start at once, share the parent's model pages, and do not
    re-import the caller's ``__main__`` (a script without a ``__main__`` guard works).
    Start the pool before a progress bar's thread exists. Elsewhere spawn (fork is unsafe
    on macOS)."""
    return multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")


def init_worker(parent: int) -> None:
    """In a fresh worker process: Ctrl-C is the parent's to handle, and the worker dies
    with it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with(parent)


def die_with(parent: int) -> None:
    """A worker must not outlive its parent, even one killed with SIGKILL (forked workers
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


def probe(address: str, timeout_s: float = 10.0) -> None:
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


def connect(address: str) -> Any:
    """A ``distributed.Client`` of the scheduler at ``address``, or one line saying why not
    (Dask not installed, a bad address, nothing answering)."""
    try:
        from distributed import Client
    except ImportError:
        raise ImcsimError("--scheduler needs the Dask extra: pip install 'imcsim[dask]'"
                          ) from None
    probe(address)  # a bad address or a silent peer fails here, within the timeout
    try:
        return Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as e:
        raise ImcsimError(f"--scheduler {address}: cannot connect ({e}); start a scheduler "
                          "(dask scheduler) or check the address") from None


def blas_one_thread() -> Any:
    """A context in which BLAS runs one thread, entered and left by the same thread (as
    threadpoolctl asks). Around the functional kernels' thread pool, and around the float
    reference's products between them: a multi-threaded matmul leaves OpenBLAS's threads
    spinning for a while, and on 2 cores they took 1.8 s of CPU per ResNet-18 image from
    the bit-plane kernels. The controller is found once (a lookup walks every loaded
    library), after NumPy's BLAS is loaded."""
    global _BLAS
    if _BLAS is None:
        from threadpoolctl import ThreadpoolController

        _BLAS = ThreadpoolController().select(user_api="blas")
    return _BLAS.limit(limits=1)


def as_finished(pool: Executor, fn: Callable[[Any], Any], items: Iterable[Any],
                in_flight: int, died: str) -> Iterator[Any]:
    """``fn(item)`` for every item on ``pool``, at most ``in_flight`` submitted at once,
    yielded as each finishes. A worker process that dies is one line: "a worker process
    died (…); " and ``died`` (what is kept and how to see why)."""
    try:
        todo = iter(items)
        pending: set[Future[Any]] = set()
        while True:
            for item in todo:
                pending.add(pool.submit(fn, item))
                if len(pending) >= in_flight:
                    break
            if not pending:
                return
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for f in finished:
                yield f.result()
    except BrokenProcessPool as e:
        raise ImcsimError(f"a worker process died ({e}); {died}") from None
