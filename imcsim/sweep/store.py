"""The sweep folder: definition, results that are never lost, and the CSV summary.

``OUT/sweep.json`` holds the sweep's definition (written atomically before any point
runs); ``OUT/results.jsonl`` one record per finished point, appended as points finish.
Each batch of finished records goes out in a single ``write()`` of whole lines, then
``fsync``, so a sweep killed at any moment leaves complete lines and at most one truncated
last line, which reopening removes. Points are known by their id (a hash of their
values): a resumed sweep skips every id already in the file.

A folder that holds a different sweep is refused: ``identity`` (the model's bytes and
name, the config's bytes and label, and everything that decides the points and their
results) must match exactly. The objectives and constraints are not part of it (they judge
results, they do not make them): a resumed sweep that gives other ones keeps every
finished point and uses them for its CSV, plots and summary, while ``sweep.json`` keeps
those the folder was created with (the default of ``imcsim report``).
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from imcsim.errors import ImcsimError
from imcsim.report import atomic_write

DEFINITION = "sweep.json"
RESULTS = "results.jsonl"
SUMMARY = "results.csv"
PLOTS = "plots"
LOCK = ".lock"  # held (flock) by the sweep writing the folder
_HEAD = ("point", "id", "status", "reason")
ANALYSIS_KEYS = ("objectives", "constraints")  # of the definition: not in its identity


class ResultStore:
    def __init__(self, out: str | os.PathLike[str]) -> None:
        self.out = Path(out)
        self.results = self.out / RESULTS

    # ------------------------------------------------------------ definition

    def check_target(self) -> None:
        """Fail before any work when OUT cannot be a sweep folder."""
        if self.out.exists() and not self.out.is_dir():
            raise ImcsimError(f"--out {self.out}: is a file; give a folder")
        for name in (DEFINITION, RESULTS, SUMMARY):
            p = self.out / name
            if p.is_symlink() or (p.exists() and not p.is_file()):
                raise ImcsimError(f"{p}: is a link, a folder or a device, not the sweep's "
                                  "own file; the folder was tampered with — use a new --out")
        if self.out.is_dir() and not (self.out / DEFINITION).exists() and any(self.out.iterdir()):
            raise ImcsimError(f"--out {self.out}: folder is not empty and holds no sweep; give "
                              "a new or empty folder")

    def open(self, definition: dict[str, Any]) -> None:
        """Create the folder with ``definition``, or check that it holds the same sweep."""
        self.check_target()
        path = self.out / DEFINITION
        if path.exists():
            old = self.definition()
            if old.get("identity") != definition["identity"]:
                changed = _changes(old.get("identity", {}), definition["identity"])
                raise ImcsimError(f"--out {self.out}: holds a different sweep ({changed} "
                                  "changed); use a new --out folder, or delete this one to "
                                  "start over")
            self._lock()
            return
        try:
            self.out.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ImcsimError(f"--out {self.out}: cannot create ({e.strerror or e})") from None
        text = json.dumps(definition, indent=2) + "\n"
        atomic_write(str(path), lambda f: f.write(text.encode()), "--out")
        self._lock()

    def close(self) -> None:
        """Release the folder (the lock)."""
        lock = getattr(self, "_lock_file", None)
        if lock is not None:
            lock.close()
            self._lock_file = None

    def _lock(self) -> None:
        """One sweep at a time per folder (two writers could both run a point). The lock
        goes with the process, however it ends."""
        try:
            import fcntl
        except ImportError:  # not POSIX: no lock
            return
        lock = self.out / LOCK
        if lock.is_symlink() or (lock.exists() and not lock.is_file()):
            raise ImcsimError(f"{lock}: is not the sweep's lock file (a folder or a link); "
                              "remove it and rerun")
        try:
            self._lock_file = lock.open("a")
        except OSError as e:
            raise ImcsimError(f"{lock}: cannot open the lock file ({e.strerror or e})") from None
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._lock_file.close()
            raise ImcsimError(f"--out {self.out}: another imcsim sweep is running in it; wait "
                              "for it or use another folder") from None

    def definition(self) -> dict[str, Any]:
        path = self.out / DEFINITION
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ImcsimError(f"{self.out}: not a sweep folder (no {DEFINITION}); give the "
                              "--out folder of an imcsim sweep") from None
        except (OSError, ValueError, RecursionError) as e:
            why = str(e).splitlines()[0][:200] if str(e) else type(e).__name__
            raise ImcsimError(f"{path}: unreadable ({why}); delete the folder and rerun") from None
        if not isinstance(data, dict) or not isinstance(data.get("identity"), dict):
            raise ImcsimError(f"{path}: not an imcsim sweep definition (no 'identity' mapping); "
                              "delete the folder and rerun")
        return data

    # ------------------------------------------------------------ results

    def load(self, repair: bool = True) -> list[dict[str, Any]]:
        """Records in the file, first of each id; a truncated last line is dropped (and cut
        from the file when ``repair``, so that appends start on a fresh line)."""
        try:
            data = self.results.read_bytes()
        except FileNotFoundError:
            return []
        except OSError as e:
            raise ImcsimError(f"{self.results}: unreadable ({e.strerror or e})") from None
        end = data.rfind(b"\n") + 1
        complete = data[:end]
        lines = complete.split(b"\n")[:-1]
        records: list[dict[str, Any]] = []
        seen: set[str] = set()
        good_end = 0
        for n, line in enumerate(lines):
            try:
                rec = json.loads(line)
                if not _is_record(rec):
                    raise ValueError("not a record")
            except (ValueError, RecursionError):
                if n == len(lines) - 1:  # a damaged last line (power loss): drop it
                    end = good_end
                    break
                raise ImcsimError(f"{self.results}: line {n + 1} is damaged; delete the line "
                                  "(its point runs again) and rerun") from None
            good_end += len(line) + 1
            if rec["id"] not in seen:
                seen.add(rec["id"])
                records.append(rec)
        if repair and end < len(data):
            with self.results.open("r+b") as f:
                f.truncate(end)
                f.flush()
                os.fsync(f.fileno())
        return records

    def append(self, records: Sequence[dict[str, Any]]) -> None:
        """Append whole lines with one write(), then fsync: never a partial record."""
        if not records:
            return
        data = "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records).encode()
        fd = os.open(self.results, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            view = memoryview(data)
            while view:  # a regular file takes it all at once; loop only if it does not
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)

    def write_csv(self, records: Iterable[dict[str, Any]], text: str | None = None) -> Path:
        """OUT/results.csv of ``records`` (``text``: their CSV, when already made — with the
        ``feasible`` and ``pareto`` columns of :func:`imcsim.sweep.analysis.analyse`)."""
        path = self.out / SUMMARY
        text = to_csv(records) if text is None else text
        atomic_write(str(path), lambda f: f.write(text.encode()), "--out")
        return path


def _is_record(rec: object) -> bool:
    """A result line: a mapping with a string id, an integer point and a string status."""
    return (isinstance(rec, dict) and isinstance(rec.get("id"), str)
            and type(rec.get("point")) is int and isinstance(rec.get("status"), str))


def _changes(old: dict[str, Any], new: dict[str, Any]) -> str:
    keys = [k for k in dict.fromkeys([*old, *new]) if old.get(k) != new.get(k)]
    return ", ".join(keys) or "definition"


def flatten(record: dict[str, Any]) -> dict[str, Any]:
    """One flat row: head, swept values under their keys, report values as section.key."""
    row: dict[str, Any] = {k: record.get(k) for k in _HEAD}
    row.update(record.get("config", {}))

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}.{k}", v)
        elif isinstance(value, list):
            row[prefix] = ";".join(str(v) for v in value)
        else:
            row[prefix] = value

    for section, value in record.items():
        if section not in _HEAD and section != "config":
            walk(section, value)
    return row


def rows(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Flat rows sorted by point (grid position)."""
    return [flatten(r) for r in sorted(records, key=lambda r: r["point"])]


def to_csv(records: Iterable[dict[str, Any]]) -> str:
    return table_csv(rows(records))


def table_csv(table: list[dict[str, Any]]) -> str:
    """Flat rows as CSV: every column any row has, in first-seen order."""
    columns = list(dict.fromkeys(k for row in table for k in row))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, restval="", lineterminator="\n")
    w.writeheader()
    for row in table:
        w.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return buf.getvalue()
