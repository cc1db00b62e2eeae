"""Where points run: in this process, in local worker processes, or on a Dask cluster.

Each backend takes the :class:`Evaluator` (shipped once per worker: the frozen model is
~50 kB even for ResNet-50) and chunks of points, and yields each chunk's records as it
finishes, in completion order. At most a few chunks per worker are in flight, so an
interrupted sweep loses little work and memory stays flat.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from imcsim import parallel
from imcsim.sweep.evaluate import Evaluator
from imcsim.sweep.space import Scalar

Chunk = list[tuple[int, dict[str, Scalar]]]
Records = list[dict[str, Any]]
_IN_FLIGHT_PER_WORKER = 4

_worker_evaluator: Evaluator | None = None  # one per worker process


def serial(evaluator: Evaluator, chunks: Sequence[Chunk]) -> Iterator[Records]:
    for chunk in chunks:
        yield evaluator.run(chunk)


def _init_worker(evaluator: Evaluator, parent: int) -> None:
    global _worker_evaluator
    _worker_evaluator = evaluator
    parallel.init_worker(parent)


def _run_in_worker(chunk: Chunk) -> Records:
    assert _worker_evaluator is not None
    return _worker_evaluator.run(chunk)


class Local:
    """Worker processes (one per core by default), each with its own copy of the evaluator.

    The processes start when this object is made; iterate it for the records."""

    def __init__(self, evaluator: Evaluator, chunks: Sequence[Chunk], workers: int) -> None:
        self.chunks, self.workers = chunks, workers
        self.pool = ProcessPoolExecutor(workers, mp_context=parallel.process_context(),
                                        initializer=_init_worker,
                                        initargs=(evaluator, os.getpid()))
        self.pool.submit(int).result()  # start the workers now

    def __iter__(self) -> Iterator[Records]:
        try:
            yield from parallel.as_finished(
                self.pool, _run_in_worker, self.chunks, self.workers * _IN_FLIGHT_PER_WORKER,
                "finished points are saved, run the same command again to resume "
                "(--workers 1 to see why)")
        finally:
            self.pool.shutdown(wait=True, cancel_futures=True)


def _run_with(evaluator: Evaluator, chunk: Chunk) -> Records:
    """A Dask task: the scattered evaluator (kept by the worker) runs one chunk."""
    return evaluator.run(chunk)


class Dask:
    """Chunks as tasks on a Dask distributed cluster; records come back to this process.

    Connects when made (a bad address fails before anything is written)."""

    def __init__(self, evaluator: Evaluator, address: str) -> None:
        self.evaluator = evaluator
        self.client = parallel.connect(address)

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

