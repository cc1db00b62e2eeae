"""The sweep's progress bar (rich, on stderr): points done, rate, elapsed time, ETA and
invalid points. Resumed points count as done from the start; the rate counts this run's."""

from __future__ import annotations

import sys
import time
from typing import Any


class ProgressBar:
    """A rich progress bar on stderr: points done, rate, elapsed time, ETA, invalid points."""

    def __init__(self, total: int, done: int, enabled: bool) -> None:
        self.total, self.done, self.enabled = total, done, enabled
        self.new = 0
        self.invalid = 0
        self.t0 = time.perf_counter()

    def __enter__(self) -> ProgressBar:
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self.bar = Progress(
                TextColumn("[bold]sweep"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("ETA"),
                TimeRemainingColumn(), TextColumn("{task.fields[invalid]}"),
                console=Console(file=sys.stderr), transient=False)
            self.bar.__enter__()
            self.task = self.bar.add_task("sweep", total=self.total, completed=self.done,
                                          rate="", invalid="")
        return self

    def advance(self, records: list[dict[str, Any]]) -> None:
        self.new += len(records)
        self.invalid += sum(1 for r in records if r["status"] != "ok")
        if self.enabled:
            rate = self.new / max(1e-9, time.perf_counter() - self.t0)
            self.bar.update(self.task, advance=len(records), rate=f"{rate:,.0f} points/s",
                            invalid=f"{self.invalid} invalid" if self.invalid else "")

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self.bar.__exit__(*exc)  # type: ignore[arg-type]
