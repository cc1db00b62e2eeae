"""Tables that never lose data, in every output format.

Every report table is an :class:`imcsim.tables.Table`: a rich table whose columns fold a
value that does not fit onto the next line instead of cutting it to "32.…". A console
that is not a terminal (a pipe, a file) is as wide as the widest table, so saved output is
never wrapped either. ``--format csv|markdown`` prints the same tables as CSV or Markdown
(:class:`FormatConsole`), and ``--format json`` the report's JSON.
"""

from __future__ import annotations

import csv
import io
import sys
from typing import Any, TextIO

from rich.table import Table as _RichTable
from rich.text import Text

FORMATS = ("table", "csv", "markdown", "json")
_PIPE_WIDTH = 10_000  # "unlimited": rich sizes each table to its content


class Table(_RichTable):
    """A rich table whose columns fold (wrap inside a word) rather than truncate."""

    def add_column(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("overflow", "fold")
        super().add_column(*args, **kwargs)


def _plain(cell: Any) -> str:
    if isinstance(cell, Text):
        return cell.plain
    return str(cell)


def table_rows(table: _RichTable) -> tuple[list[str], list[list[str]]]:
    """A rich table's header and rows as plain strings."""
    header = [_plain(c.header) for c in table.columns]
    columns = [[_plain(cell) for cell in c.cells] for c in table.columns]
    return header, [list(r) for r in zip(*columns, strict=True)]


class FormatConsole:
    """Stands in for a rich Console: tables are written as CSV or Markdown, each after its
    title (a ``# title`` comment line in CSV, a heading in Markdown); text lines as they
    are (CSV: as ``#`` comments, so the file stays machine-readable)."""

    def __init__(self, fmt: str, file: TextIO | None = None) -> None:
        if fmt not in ("csv", "markdown"):
            raise ValueError(fmt)
        self.fmt, self.file = fmt, file

    @property
    def _out(self) -> TextIO:
        return self.file if self.file is not None else sys.stdout

    def print(self, *objects: Any, **_: Any) -> None:
        for obj in objects:
            if isinstance(obj, _RichTable):
                self._table(obj)
            else:
                text = _plain(obj)
                lines = text.splitlines() or [""]
                prefix = "# " if self.fmt == "csv" else ""
                self._out.write("".join(f"{prefix}{line}\n" for line in lines))

    def _table(self, t: _RichTable) -> None:
        header, rows = table_rows(t)
        title = _plain(t.title) if t.title is not None else ""
        if self.fmt == "csv":
            if title:
                self._out.write(f"# {title}\n")
            buf = io.StringIO()
            w = csv.writer(buf, lineterminator="\n")
            if t.show_header:
                w.writerow(header)
            w.writerows(rows)
            self._out.write(buf.getvalue() + "\n")
            return
        if title:
            self._out.write(f"### {title}\n\n")
        if not t.show_header:  # a key/value table: Markdown needs a header row
            header = [""] * len(header)

        def line(cells: list[str]) -> str:
            return "| " + " | ".join(c.replace("|", "\\|").replace("\n", " ")
                                     for c in cells) + " |\n"

        self._out.write(line(header) + line(["---"] * len(header)))
        self._out.write("".join(line(r) for r in rows) + "\n")


def console(fmt: str = "table", to_stderr: bool = False) -> Any:
    """The console a command prints its report on, in the chosen format."""
    if fmt in ("csv", "markdown"):
        return FormatConsole(fmt, sys.stderr if to_stderr else None)
    from rich.console import Console

    stream = sys.stderr if to_stderr else sys.stdout
    width = None if stream.isatty() else _PIPE_WIDTH
    # markup off: names from files (a node called "[/]") are printed, never interpreted;
    # rich strips control codes from the text it renders
    return Console(stderr=to_stderr, width=width, markup=False)
