"""Progress of long commands: a rich line on stderr (never stdout, so piped reports stay
clean) with what is done, elapsed time, an ETA when the total is known, and a free-text
status (e.g. the current residual). Off with ``--quiet`` and whenever stderr is not a
terminal, so logs and CI output hold no bar frames.
"""

from __future__ import annotations

import sys
from typing import Any

_ENABLED = [True]  # the CLI's --quiet turns every bar off


def enabled() -> bool:
    return _ENABLED[0]


def set_enabled(enabled: bool) -> bool:
    """Turn every bar on or off; returns the previous setting."""
    was, _ENABLED[0] = _ENABLED[0], enabled
    return was


class Steps:
    """``with Steps("accuracy", total=n) as p: ... p.advance(k, status="…")``."""

    def __init__(self, label: str, total: int | None = None, unit: str = "") -> None:
        self.label, self.total, self.unit = label, total, unit
        self.enabled = _ENABLED[0] and sys.stderr.isatty()
        self.bar: Any = None

    def __enter__(self) -> Steps:
        if self.enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            known = self.total is not None
            columns = [SpinnerColumn(), TextColumn(f"[bold]{self.label}")]
            if known:
                columns += [BarColumn(), MofNCompleteColumn(), TextColumn(self.unit)]
            columns += [TimeElapsedColumn()]
            if known:
                columns += [TextColumn("ETA"), TimeRemainingColumn()]
            columns += [TextColumn("{task.fields[status]}")]
            self.bar = Progress(*columns, console=Console(file=sys.stderr), transient=True)
            self.bar.__enter__()
            self.task = self.bar.add_task(self.label, total=self.total, status="")
        return self

    def advance(self, n: int = 1, status: str = "") -> None:
        if self.bar is not None:
            self.bar.update(self.task, advance=n, status=status)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)  # type: ignore[arg-type]
            self.bar = None
