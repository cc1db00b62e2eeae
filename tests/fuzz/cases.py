"""What a fuzz case is: a command line, the files it needs, and what must happen.

A case runs in a fresh, empty temporary folder (its working directory). ``files`` lists
what to create there first (relative paths; parents are created): bytes or text, or a
:class:`Link`, :class:`Fifo` or :class:`Dir`. In ``argv`` and link targets, ``{tmp}`` is
replaced by the absolute path of that folder and ``{port}`` by the port of the case's
local TCP server (``server``).

Expectations:

- ``bad``: hostile input; exit code 2 and exactly one stderr line ``imcsim: error: …``;
  nothing in the folder may change.
- ``valid``: extreme but valid; an exit code in ``ok_rc`` (0, or 0/1 for ``solve``, whose
  1 means "did not converge"); only the declared ``outputs`` may appear or change.
- ``either``: ``valid`` or ``bad``, whichever the program chooses (refusing with one line
  or computing an answer are both fine; a traceback, hang, memory blow-up or clobbered
  file never is).

A failed run may change nothing, except ``error_outputs`` (a sweep whose points all
turned out invalid keeps their reasons in its folder and says so).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TINY = REPO / "models" / "tiny_cnn.onnx"
MATRICES = REPO / "tests" / "fixtures" / "matrices"
PRESETS = REPO / "arch_configs"

EXPECTATIONS = ("bad", "valid", "either")
FIFO_TIMEOUT = 6.0  # a case reading a FIFO that nobody writes: refusing takes ~1 s


@dataclass(frozen=True)
class Link:
    """A symbolic link to ``target`` (``{tmp}`` allowed; relative targets stay relative)."""

    target: str


@dataclass(frozen=True)
class Fifo:
    """A named pipe (nobody writes to it: a reader blocks forever)."""


@dataclass(frozen=True)
class Dir:
    """An (empty) directory."""


FileSpec = bytes | str | Link | Fifo | Dir


@dataclass(frozen=True)
class Case:
    id: str
    kind: str  # input kind: onnx, yaml, matrix, options, outputs, sweepdir, scheduler, hyp-*
    argv: tuple[str, ...]
    files: Mapping[str, FileSpec] = field(default_factory=dict)
    expect: str = "bad"
    timeout: float = 60.0  # wall-clock seconds before the case counts as a hang
    outputs: tuple[str, ...] = ()  # paths the run may create or change ("dir/" = a folder)
    error_outputs: tuple[str, ...] = ()  # what a failed run may leave (a sweep's records)
    ok_rc: tuple[int, ...] = (0,)  # exit codes of a successful run
    forbid: tuple[str, ...] = ()  # regexes that must not occur in stdout or stderr (leaks)
    env: Mapping[str, str] = field(default_factory=dict)
    server: str | None = None  # a local TCP server for the case: silent | garbage | close
    setup: Callable[[Path], None] | None = None  # extra preparation of the folder
    ci: bool = False  # part of the bounded CI subset
    note: str = ""

    def __post_init__(self) -> None:
        assert self.expect in EXPECTATIONS, self.expect
        assert all("\x00" not in a for a in self.argv), self.id
        # what execve takes: one argument under 128 KiB, all of them well under 2 MiB
        assert all(len(a.encode("utf-8", "surrogateescape")) < 128 << 10 for a in self.argv), \
            self.id
        assert sum(len(a) for a in self.argv) < 1 << 20, self.id


def digest(data: bytes | str, n: int = 8) -> str:
    """A short stable hash, for ids of generated cases."""
    raw = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()[:n]


def tiny() -> bytes:
    return TINY.read_bytes()


def matrix(name: str) -> bytes:
    return (MATRICES / name).read_bytes()


def preset(name: str) -> str:
    return (PRESETS / f"{name}.yaml").read_text(encoding="utf-8")
