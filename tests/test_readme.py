"""Every command the README shows runs as written (issue #11).

The test extracts each ```sh block of README.md and runs its commands in order, in a
temporary working folder that looks like the repository (``models/``, ``arch_configs/``,
``examples/``, ``tests/`` linked in; ``../shared`` linked when this checkout has it): a
README command that fails is a failing test. Outputs land in the temporary folder only.
The models the README names that are not committed are built there, as ``make models``
builds them. ``make`` lines are checked with ``make -n`` (``make test`` is this very run).
Commands reading ``../shared`` are skipped, and said so, when it is absent (a user's
clone). The sweep file shown in the README is run too.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
README = REPO / "README.md"
LINKED = ("arch_configs", "examples", "tests")
BUILT = ("resnet18", "resnet50")  # what `make models` builds


def commands(text: str) -> list[tuple[int, str]]:
    """(line number, command) for every command of every ```sh block: continuation lines
    joined, comments dropped, a quoted string may span lines."""
    out: list[tuple[int, str]] = []
    for m in re.finditer(r"```(?:sh|bash)\n(.*?)```", text, re.S):
        first = text[: m.start()].count("\n") + 2
        pending, start = "", first
        for i, line in enumerate(m.group(1).splitlines()):
            if not pending:
                start = first + i
            pending = f"{pending}\n{line}" if pending else line
            if pending.endswith("\\"):
                pending = pending[:-1]
                continue
            try:
                words = shlex.split(pending, comments=True)
            except ValueError:  # an open quote: the command goes on
                continue
            if words:
                out.append((start, shlex.join(words)))
            pending = ""
    return out


def yaml_blocks(text: str) -> list[str]:
    return [m.group(1) for m in re.finditer(r"```yaml\n(.*?)```", text, re.S)]


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("readme")
    work = root / "work"
    (work / "models").mkdir(parents=True)
    for name in LINKED:
        (work / name).symlink_to(REPO / name, target_is_directory=True)
    for f in (REPO / "models").iterdir():
        if f.suffix in (".onnx", ".py") and f.stem not in BUILT:
            (work / "models" / f.name).symlink_to(f)
    for name in BUILT:
        subprocess.run([sys.executable, str(REPO / "models" / "build_models.py"), name,
                        "--out", str(work / "models" / f"{name}.onnx")], check=True,
                       capture_output=True, timeout=300)
    if SHARED.is_dir():
        (root / "shared").symlink_to(SHARED, target_is_directory=True)
    return work


CASES = commands(README.read_text(encoding="utf-8"))


def test_the_readme_has_commands_to_check():
    names = {shlex.split(c)[0] for _, c in CASES}
    assert {"make", "imcsim", "python"} <= names and len(CASES) >= 20


@pytest.mark.parametrize(("line", "command"), CASES, ids=[f"L{n}" for n, _ in CASES])
def test_readme_command_runs_as_written(work: Path, line: int, command: str) -> None:
    words = shlex.split(command)
    if words[0] == "make":
        r = subprocess.run(["make", "-n", *words[1:]], cwd=REPO, capture_output=True,
                           text=True, timeout=60)
        assert r.returncode == 0, f"README line {line}: {command}\n{r.stderr}"
        return
    if "../shared" in command and not SHARED.is_dir():
        pytest.skip(f"README line {line} reads ../shared, absent in this checkout")
    if words[0] == "imcsim":
        argv = [sys.executable, "-m", "imcsim", *words[1:]]
    elif words[0] == "python":
        argv = [sys.executable, *words[1:]]
    else:
        pytest.fail(f"README line {line}: unknown program {words[0]!r}")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    r = subprocess.run(argv, cwd=work, capture_output=True, text=True, timeout=600, env=env)
    assert r.returncode == 0, f"README line {line}: {command}\n{r.stderr[-2000:]}"
    assert "Traceback" not in r.stderr


def test_readme_sweep_file_runs_as_written(work: Path, tmp_path: Path) -> None:
    (block,) = [b for b in yaml_blocks(README.read_text(encoding="utf-8")) if "grid:" in b]
    path = work / "readme_sweep.yaml"  # paths in a sweep file are relative to the file
    path.write_text(block)
    r = subprocess.run([sys.executable, "-m", "imcsim", "sweep", str(path), "--out",
                        str(tmp_path / "s"), "--quiet", "--no-plots"], cwd=work,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    lines = (tmp_path / "s" / "results.jsonl").read_text().splitlines()
    assert len(lines) == 6  # `samples: 6` points of the 2 × 5 × 2 grid


def python_blocks(text: str) -> list[tuple[int, str]]:
    return [(text[: m.start()].count("\n") + 1, m.group(1))
            for m in re.finditer(r"```python\n(.*?)```", text, re.S)]


PY_BLOCKS = python_blocks(README.read_text(encoding="utf-8"))


@pytest.mark.parametrize(("line", "code"), PY_BLOCKS, ids=[f"L{n}" for n, _ in PY_BLOCKS])
def test_readme_python_runs_as_written(work: Path, tmp_path: Path, line: int, code: str) -> None:
    """Each Python block, run as a script in a fresh folder like the repository's (its
    outputs, e.g. out.json or sweep1/, land there)."""
    here = tmp_path / "py"
    here.mkdir()
    for name in ("models", *LINKED):
        (here / name).symlink_to(work / name, target_is_directory=True)
    pytest.importorskip("pandas")  # the blocks show DataFrames
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    r = subprocess.run([sys.executable, "-c", code], cwd=here, capture_output=True, text=True,
                       timeout=600, env=env)
    assert r.returncode == 0, f"README line {line}:\n{r.stderr[-2000:]}"
