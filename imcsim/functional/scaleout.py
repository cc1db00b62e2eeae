"""An accuracy run's batches in local worker processes or on a Dask cluster, with the numbers
one process gets running them in order.

A worker process programs its arrays once per run, from the run's batch 0 (programming draws
come from the seed; calibrated ADC ranges and input scales from batch 0's inputs, as in one
process), keeps them for every later task of the run, and runs the contiguous blocks of
batches it is given; each batch's read noise is keyed by its index in the whole run. The
parent puts the batches back in order, so outputs and pooled layer errors are bit for bit
those of one process.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from imcsim import parallel
from imcsim.compiler.ir import Network
from imcsim.config import Arch
from imcsim.functional.executor import Executor, LayerError, RunResult

_TASKS_PER_WORKER = 4  # blocks of batches per worker: balance, and a moving progress bar


@dataclass(frozen=True)
class Job:
    """What a worker needs once per run: the model, the hardware, and batch 0 to program
    from."""

    token: str  # this run, to find its programmed executors in a worker process
    net: Network
    arch: Arch
    seed: int
    ideal: bool
    hw_layers: tuple[str, ...] | None
    first: dict[str, np.ndarray]  # batch 0, padded to the batch size
    kernel: str = "auto"  # the partial-sum kernel (auto, float, bitplane)


@dataclass(frozen=True)
class BatchResult:
    """What the parent pools from one batch (the padded rows of a last batch dropped)."""

    index: int  # the batch's position in the run
    samples: int  # its real samples
    hw: np.ndarray  # the first output on hardware, (samples, …)
    float: np.ndarray  # the same in float
    layers: list[LayerError]


Batch = tuple[int, int, dict[str, np.ndarray]]  # (index, real samples, padded feeds)


def batch_result(result: RunResult, index: int, samples: int, output: str) -> BatchResult:
    return BatchResult(index, samples, np.asarray(result.hw[output])[:samples],
                       np.asarray(result.float[output])[:samples], result.layers)


def blocks(batches: int, workers: int) -> list[range]:
    """Contiguous runs of batch indices, a few per worker."""
    size = max(1, math.ceil(batches / (workers * _TASKS_PER_WORKER)))
    return [range(s, min(batches, s + size)) for s in range(0, batches, size)]


# ---------------------------------------------------------------- in a worker process

_lock = threading.Lock()
_token: list[str | None] = [None]  # the run whose executors this process keeps
_idle: list[Executor] = []  # its programmed executors not running a task now


def _checkout(job: Job) -> tuple[Executor, RunResult | None]:
    """A programmed executor of ``job`` (one per task running at once in this process, so
    Dask worker threads never share one), and batch 0's result if it was made now."""
    with _lock:
        if _token[0] != job.token:  # a new run: the last one's arrays are freed
            _token[0] = job.token
            _idle.clear()
        elif _idle:
            return _idle.pop(), None
    ex = Executor(job.net, job.arch, seed=job.seed, ideal=job.ideal, hw_layers=job.hw_layers,
                  kernel=job.kernel)
    return ex, (ex.run(job.first, batch=0) if ex.on_hw else None)


def release(token: str) -> None:
    """Free a finished run's programmed arrays in this process."""
    with _lock:
        if _token[0] == token:
            _token[0] = None
            _idle.clear()


def run_batches(job: Job, batches: Sequence[Batch]) -> list[BatchResult]:
    """A task: these batches on this process's programmed executor of ``job``."""
    ex, first = _checkout(job)
    out = []
    for index, samples, feeds in batches:
        result = first if index == 0 and first is not None else ex.run(feeds, batch=index)
        out.append(batch_result(result, index, samples, job.net.outputs[0]))
    with _lock:
        if _token[0] == job.token:
            _idle.append(ex)
    return out


_local_job: list[Job] = []  # a local worker process's job, set once when it starts


def _init_local(job: Job, parent: int) -> None:
    _local_job[:] = [job]
    parallel.init_worker(parent)


def _run_local(batches: Sequence[Batch]) -> list[BatchResult]:
    return run_batches(_local_job[0], batches)


# ---------------------------------------------------------------- in the parent

class Spread:
    """Batches of ``job`` in ``workers`` local processes or on the Dask cluster at
    ``scheduler``. Start it before a progress bar (the pool forks; a bad address fails
    here); :meth:`run` yields each task's results as it finishes."""

    def __init__(self, job: Job, batches: int, workers: int | None,
                 scheduler: str | None) -> None:
        self.job, self.client, self.pool = job, None, None
        if scheduler is not None:
            self.client = parallel.connect(scheduler)
            self.workers = max(1, sum(self.client.nthreads().values()))
        else:
            self.workers = max(1, min(workers or 1, batches))
            self.pool = ProcessPoolExecutor(self.workers, mp_context=parallel.process_context(),
                                            initializer=_init_local,
                                            initargs=(job, os.getpid()))
            self.pool.submit(int).result()  # start the workers now

    def run(self, batches: int, batch: Callable[[int], Batch]) -> Iterator[list[BatchResult]]:
        tasks = [[batch(i) for i in r] for r in blocks(batches, self.workers)]
        if self.client is not None:
            yield from self._dask(tasks)
            return
        assert self.pool is not None
        yield from parallel.as_finished(self.pool, _run_local, tasks, len(tasks),
                                        "run with --workers 1 to see why")

    def _dask(self, tasks: list[list[Batch]]) -> Iterator[list[BatchResult]]:
        from distributed import as_completed

        client: Any = self.client
        [shared] = client.scatter([self.job], broadcast=True, hash=False)
        futures = [client.submit(run_batches, shared, t, pure=False) for t in tasks]
        for future in as_completed(futures, loop=client.loop):
            yield future.result()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        if self.client is not None:
            try:
                self.client.run(release, self.job.token)  # the workers' arrays go now
            except Exception:  # noqa: BLE001, S110 - a worker that left has nothing to free
                pass
            self.client.close()
