"""Damaged sweep folders (``imcsim report OUT``, resuming ``imcsim sweep … --out OUT``) and
Dask scheduler addresses that lead nowhere (``imcsim sweep … --scheduler ADDR``).

The folders start from a real sweep of the tiny CNN (two points, made once per process
by running ``imcsim sweep`` in a private temporary folder) and are damaged in the case's
folder by a setup step, so listing the cases runs nothing."""

from __future__ import annotations

import atexit
import functools
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from fuzz.cases import FIFO_TIMEOUT, Case, Dir, Fifo, Link, tiny

SWEEPDIR = "sweepdir"
SCHEDULER = "scheduler"
GRID = ("--grid", "adc.bits=4,5")
RESUME = ("sweep", "m.onnx", *GRID, "--out", "s", "--quiet", "--no-plots")


@functools.cache
def base_sweep() -> dict[str, bytes]:
    """The files of a finished two-point sweep folder (name → bytes)."""
    root = Path(tempfile.mkdtemp(prefix="imcsim-fuzz-base-"))
    atexit.register(shutil.rmtree, root, True)
    (root / "m.onnx").write_bytes(tiny())
    subprocess.run([sys.executable, "-m", "imcsim", *RESUME], cwd=root, check=True,
                   capture_output=True, timeout=120, env=_quiet_env(root))
    return {p.name: p.read_bytes() for p in (root / "s").iterdir() if p.is_file()}


def _quiet_env(root: Path) -> dict[str, str]:
    import os

    return {**os.environ, "MPLBACKEND": "Agg", "MPLCONFIGDIR": str(root / "mpl")}


def _folder(damage: Callable[[Path], None] | None = None) -> Callable[[Path], None]:
    """A setup step: the base sweep in ``s/``, then ``damage(s)``."""
    def setup(root: Path) -> None:
        s = root / "s"
        s.mkdir(exist_ok=True)
        for name, data in base_sweep().items():
            target = s / name
            if not target.exists() and not target.is_symlink():
                target.write_bytes(data)
        if damage is not None:
            damage(s)
    return setup


def _write(name: str, data: str | bytes) -> Callable[[Path], None]:
    def damage(s: Path) -> None:
        p = s / name
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        p.write_bytes(data.encode() if isinstance(data, str) else data)
    return damage


def _records(edit: Callable[[list[dict]], list]) -> Callable[[Path], None]:
    """Rewrite results.jsonl: ``edit`` gets the parsed records, returns lines (str) or
    objects (dumped as JSON)."""
    def damage(s: Path) -> None:
        recs = [json.loads(line) for line in (s / "results.jsonl").read_text().splitlines()]
        lines = [r if isinstance(r, str) else json.dumps(r) for r in edit(recs)]
        (s / "results.jsonl").write_text("".join(line + "\n" for line in lines))
    return damage


def _definition(edit: Callable[[dict], object]) -> Callable[[Path], None]:
    def damage(s: Path) -> None:
        d = json.loads((s / "sweep.json").read_text())
        (s / "sweep.json").write_text(json.dumps(edit(d)))
    return damage


def _replace(name: str, kind: str) -> Callable[[Path], None]:
    """Replace ``name`` by a directory, a FIFO, or a link out of the folder."""
    import os

    def damage(s: Path) -> None:
        p = s / name
        if p.exists() or p.is_symlink():
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            else:
                p.unlink()
        if kind == "dir":
            p.mkdir()
            (p / "keep").write_text("x")
        elif kind == "fifo":
            os.mkfifo(p)
        elif kind == "link-out":
            p.symlink_to("../outside.txt")
        elif kind == "link-out-dir":
            p.symlink_to("../elsewhere")
        elif kind == "file":
            p.write_text("not a folder\n")
    return damage


def _deep(n: int) -> str:
    return "[" * n + "]" * n


def _report(id_: str, damage: Callable[[Path], None] | None, expect: str = "bad", *,
            plots: bool = False, extra: tuple[str, ...] = (), ci: bool = False,
            files=None, timeout: float = 60.0, outputs=("s/results.csv", "s/plots/")) -> Case:
    return Case(id=f"sweepdir-report-{id_}", kind=SWEEPDIR,
                argv=("report", "s", *(() if plots else ("--no-plots",)), *extra),
                files={"m.onnx": tiny(), "outside.txt": "outside\n", "elsewhere": Dir(),
                       **(files or {})},
                setup=_folder(damage), expect=expect, ci=ci, timeout=timeout, outputs=outputs)


def _resume(id_: str, damage: Callable[[Path], None] | None, expect: str = "bad", *,
            extra: tuple[str, ...] = (), ci: bool = False, timeout: float = 60.0,
            argv: tuple[str, ...] = RESUME) -> Case:
    return Case(id=f"sweepdir-resume-{id_}", kind=SWEEPDIR, argv=(*argv, *extra),
                files={"m.onnx": tiny(), "outside.txt": "outside\n", "elsewhere": Dir()},
                setup=_folder(damage), expect=expect, ci=ci, timeout=timeout, outputs=("s/",))


def _folder_cases() -> list[Case]:
    deep_record = '{"point": 0, "id": "x", "status": "ok", "a": ' + _deep(100_000) + "}"
    return [
        _report("valid", None, "valid", ci=True),
        _report("valid-with-plots-and-html", None, "valid", plots=True,
                extra=("--html", "r.html"), outputs=("s/results.csv", "s/plots/", "r.html")),
        _report("definition-is-list", _write("sweep.json", "[1, 2, 3]\n"), ci=True),
        _report("definition-is-string", _write("sweep.json", '"sweep"\n')),
        _report("definition-is-null", _write("sweep.json", "null\n")),
        _report("definition-invalid-json", _write("sweep.json", "{not json")),
        _report("definition-empty", _write("sweep.json", "")),
        _report("definition-non-utf8", _write("sweep.json", b'{"points": "\xff\xfe"}')),
        _report("definition-deep", _write("sweep.json", _deep(100_000)), ci=True),
        _report("definition-points-string", _definition(lambda d: {**d, "points": "[bold]x"}),
                "either"),
        _report("definition-nan", _write("sweep.json", '{"points": NaN, "sweep": NaN}'),
                "either"),
        _report("definition-markup", _definition(
            lambda d: {**d, "sweep": {**d.get("sweep", {}), "model": "[/]\x1b[31m\nforged"}}),
            "either", extra=("--html", "r.html"), outputs=("s/results.csv", "r.html")),
        _report("definition-is-dir", _replace("sweep.json", "dir")),
        _report("definition-is-fifo", _replace("sweep.json", "fifo"), timeout=FIFO_TIMEOUT),
        _report("definition-missing", lambda s: (s / "sweep.json").unlink()),
        _report("record-without-point", _records(
            lambda rs: [{k: v for k, v in r.items() if k != "point"} for r in rs]), "either",
            ci=True),
        _report("record-point-string", _records(lambda rs: [{**r, "point": "x"} for r in rs]),
                "either"),
        _report("record-point-mixed-types", _records(
            lambda rs: [{**rs[0], "point": "x"}, {**rs[1], "point": 1}]), "either"),
        _report("record-config-not-mapping", _records(
            lambda rs: [{**r, "config": [1, 2]} for r in rs]), "either", ci=True),
        _report("record-status-ok-no-figures", _records(
            lambda rs: [{"point": r["point"], "id": r["id"], "status": "ok"} for r in rs]),
            "either", ci=True),
        _report("record-figures-strings", _records(
            lambda rs: [{**r, "energy": {"total_j": "x"}, "area": {"total_mm2": None}}
                        for r in rs]), "either"),
        _report("record-nan-figures", _records(
            lambda rs: [json.dumps(r).replace("}", ', "energy_nan": NaN}', 1) for r in rs]),
            "either"),
        _report("record-is-list", _records(lambda rs: ["[1, 2]", *map(json.dumps, rs)])),
        _report("record-damaged-middle", _records(lambda rs: [rs[0], "{broken", rs[1]])),
        _report("record-damaged-last", _records(lambda rs: [*rs, '{"point": 9, "id"']),
                "valid"),
        _report("record-deep", _records(lambda rs: [deep_record, *rs]), "either", ci=True),
        _report("record-10mb", _records(lambda rs: [{**rs[0], "pad": "x" * 10_000_000}, rs[1]]),
                "either"),
        _report("records-non-utf8", lambda s: (s / "results.jsonl").write_bytes(
            b'{"point": 0, "id": "\xff"}\n' + (s / "results.jsonl").read_bytes())),
        _report("records-is-dir", _replace("results.jsonl", "dir")),
        _report("records-is-fifo", _replace("results.jsonl", "fifo"), timeout=FIFO_TIMEOUT),
        _report("records-link-outside", _replace("results.jsonl", "link-out"), "either"),
        _report("csv-is-dir", _replace("results.csv", "dir"), "either"),
        _report("csv-link-outside", _replace("results.csv", "link-out"), "either", ci=True),
        _report("csv-is-fifo", _replace("results.csv", "fifo"), "either", timeout=FIFO_TIMEOUT),
        _report("plots-is-file", _replace("plots", "file"), "either", plots=True),
        _report("plots-link-outside", _replace("plots", "link-out-dir"), "either", plots=True,
                ci=True),
        _report("html-onto-definition", None, extra=("--html", "s/sweep.json")),
        _report("html-onto-records", None, extra=("--html", "s/results.jsonl")),
        _report("html-dash", None, extra=("--html", "-")),
        _report("html-fifo", None, extra=("--html", "p"), files={"p": Fifo()},
                timeout=FIFO_TIMEOUT),
        _report("html-link", None, extra=("--html", "l"), files={"l": Link("outside.txt")}),
        Case(id="sweepdir-report-missing-folder", kind=SWEEPDIR, argv=("report", "nothere")),
        Case(id="sweepdir-report-on-a-file", kind=SWEEPDIR, argv=("report", "m.onnx"),
             files={"m.onnx": tiny()}),
        Case(id="sweepdir-report-empty-folder", kind=SWEEPDIR, argv=("report", "e"),
             files={"e": Dir()}),
        Case(id="sweepdir-report-on-fifo", kind=SWEEPDIR, argv=("report", "p"),
             files={"p": Fifo()}, timeout=FIFO_TIMEOUT),
        # resuming a damaged folder
        _resume("valid", None, "valid", ci=True),
        _resume("definition-is-list", _write("sweep.json", "[1, 2, 3]\n")),
        _resume("definition-invalid-json", _write("sweep.json", "{not json")),
        _resume("definition-deep", _write("sweep.json", _deep(100_000))),
        _resume("definition-other-sweep", _definition(
            lambda d: {**d, "identity": {**d["identity"], "model_sha256": "0" * 64}})),
        _resume("definition-identity-not-mapping", _definition(
            lambda d: {**d, "identity": [1]})),
        _resume("record-without-point", _records(
            lambda rs: [{k: v for k, v in r.items() if k != "point"} for r in rs]), "either"),
        _resume("record-foreign-id", _records(lambda rs: [{**rs[0], "id": "ffff"}, rs[1]])),
        _resume("record-id-not-string", _records(lambda rs: [{**rs[0], "id": [1]}, rs[1]]),
                "either"),
        _resume("record-deep", _records(lambda rs: [deep_record, *rs]), "either"),
        _resume("record-damaged-last", _records(lambda rs: [rs[0], '{"point": 1, "id"']),
                "valid"),
        _resume("lock-is-dir", _replace(".lock", "dir"), "either", ci=True),
        _resume("lock-is-fifo", _replace(".lock", "fifo"), "either", timeout=FIFO_TIMEOUT),
        _resume("lock-link-outside", _replace(".lock", "link-out"), "either"),
        _resume("records-link-outside", _replace("results.jsonl", "link-out"), "either"),
        _resume("records-link-outside-partial", lambda s: (
            _records(lambda rs: [rs[0]])(s), _replace("results.jsonl", "link-out")(s)),
            "either", ci=True),
        _resume("plots-link-outside", _replace("plots", "link-out-dir"), "either",
                argv=tuple(a for a in RESUME if a != "--no-plots")),
        _resume("json-onto-own-records", None, extra=("--json", "s/results.jsonl"), ci=True),
        _resume("json-onto-own-definition", None, extra=("--json", "s/sweep.json")),
        Case(id="sweepdir-sweep-out-is-model", kind=SWEEPDIR,
             argv=("sweep", "m.onnx", *GRID, "--out", "m.onnx", "--quiet"),
             files={"m.onnx": tiny()}),
        Case(id="sweepdir-sweep-out-nonempty-foreign", kind=SWEEPDIR,
             argv=("sweep", "m.onnx", *GRID, "--out", "d", "--quiet"),
             files={"m.onnx": tiny(), "d/precious.txt": "keep\n"}, ci=True),
        Case(id="sweepdir-sweep-out-fifo", kind=SWEEPDIR,
             argv=("sweep", "m.onnx", *GRID, "--out", "p", "--quiet"),
             files={"m.onnx": tiny(), "p": Fifo()}, timeout=FIFO_TIMEOUT),
        Case(id="sweepdir-sweep-out-link-to-dir", kind=SWEEPDIR,
             argv=("sweep", "m.onnx", *GRID, "--out", "l", "--quiet", "--no-plots"),
             files={"m.onnx": tiny(), "l": Link("real"), "real": Dir()}, expect="either",
             outputs=("real/",)),
        Case(id="sweepdir-sweep-out-under-missing-dirs", kind=SWEEPDIR,
             argv=("sweep", "m.onnx", *GRID, "--out", "a/b/c", "--quiet", "--no-plots"),
             files={"m.onnx": tiny()}, expect="either", outputs=("a/",)),
        Case(id="sweepdir-sweep-file-yaml-laughs", kind=SWEEPDIR,
             argv=("sweep", "s.yaml", "--out", "o", "--quiet"),
             files={"s.yaml": "model: m.onnx\n" + "".join(
                 f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}" if i else "x"] * 9) + "]\n"
                 for i in range(9)) + "grid: *a8\n", "m.onnx": tiny()}),
        Case(id="sweepdir-sweep-file-not-mapping", kind=SWEEPDIR,
             argv=("sweep", "s.yaml", "--out", "o", "--quiet"),
             files={"s.yaml": "- 1\n- 2\n", "m.onnx": tiny()}),
        Case(id="sweepdir-sweep-file-grid-garbage", kind=SWEEPDIR,
             argv=("sweep", "s.yaml", "--out", "o", "--quiet"),
             files={"s.yaml": "model: m.onnx\ngrid: {adc.bits: {a: [1, {b: 2}]}}\n",
                    "m.onnx": tiny()}),
        Case(id="sweepdir-sweep-file-model-is-itself", kind=SWEEPDIR,
             argv=("sweep", "s.yaml", "--out", "o", "--quiet"),
             files={"s.yaml": "model: s.yaml\ngrid: {adc.bits: [4, 5]}\n"}),
        Case(id="sweepdir-sweep-file-fifo", kind=SWEEPDIR,
             argv=("sweep", "s.yaml", "--out", "o", "--quiet"), files={"s.yaml": Fifo()},
             timeout=FIFO_TIMEOUT),
    ]


def _scheduler_cases() -> list[Case]:
    def case(id_: str, address: str, ci: bool = False, server: str | None = None) -> Case:
        return Case(id=f"scheduler-{id_}", kind=SCHEDULER,
                    argv=("sweep", "m.onnx", *GRID, "--out", "s", "--quiet", "--no-plots",
                          "--scheduler", address),
                    files={"m.onnx": tiny()}, server=server, timeout=60, ci=ci)

    # every address is on the loopback or never resolvable: no name lookups, no traffic out
    return [
        case("tcp-nothing-listening", "tcp://127.0.0.1:1"),
        case("tls-nothing-listening", "tls://127.0.0.1:1"),
        case("ucx", "ucx://x"),
        case("inproc", "inproc://x"),
        case("unknown-scheme", "garbage://127.0.0.1:1"),
        # an empty address is taken as no address: the sweep runs here (fine too)
        Case(id="scheduler-empty", kind=SCHEDULER,
             argv=("sweep", "m.onnx", *GRID, "--out", "s", "--quiet", "--no-plots",
                   "--scheduler", ""), files={"m.onnx": tiny()}, expect="either",
             outputs=("s/",)),
        case("scheme-only", "tcp://"),
        case("port-out-of-range", "tcp://127.0.0.1:99999"),
        case("port-negative", "tcp://127.0.0.1:-1"),
        case("ipv6-unclosed", "tcp://[::1"),
        case("markup", "tcp://127.0.0.1:[bold]\x1b[31m\nimcsim: error: forged"),
        case("long-port", "tcp://127.0.0.1:" + "1" * 5000),
        case("silent-server", "tcp://127.0.0.1:{port}", ci=True, server="silent"),
        case("garbage-server", "tcp://127.0.0.1:{port}", server="garbage"),
        case("closing-server", "tcp://127.0.0.1:{port}", server="close"),
    ]


def cases() -> list[Case]:
    return [*_folder_cases(), *_scheduler_cases()]
