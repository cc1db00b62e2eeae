"""The CLI's robustness promise, fuzzed: hostile input → exit 2 and one ``imcsim: error:``
line (no traceback), never a hang, a memory blow-up or a file touched that is not the
declared output; extreme but valid input → a result (or one clear line).

``test_ci_case`` runs the bounded CI subset (every run of ``make test``);
``test_full_case`` runs every case and is marked ``fuzz_full`` (deselected by default:
``pytest -m fuzz_full tests/fuzz`` or ``make fuzz`` for the summary). Each case runs in
a subprocess in its own temporary folder (see ``harness``).
"""

from __future__ import annotations

import contextlib
import io
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz.cases import Case, Dir, Fifo, Link
from fuzz.harness import Result, classify, diff, materialize, run_case, snapshot
from fuzz.suite import all_cases, ci_cases


def _check(case: Case) -> None:
    result = run_case(case)
    assert result.ok, result.summary()


@pytest.mark.parametrize("case", ci_cases(), ids=lambda c: c.id)
def test_ci_case(case: Case) -> None:
    _check(case)


@pytest.mark.fuzz_full
@pytest.mark.parametrize("case", all_cases(), ids=lambda c: c.id)
def test_full_case(case: Case) -> None:
    _check(case)


# ---------------------------------------------------------------- the harness can fail


def _result(case: Case, rc: int, stderr: str = "", stdout: str = "", **kw) -> Result:
    r = Result(case=case, rc=rc, seconds=0.1, peak_rss_mb=50, stdout=stdout, stderr=stderr,
               **kw)
    classify(r)
    return r


@pytest.mark.parametrize("expect,rc,stderr,changes,kw,klass", [
    ("bad", 2, "imcsim: error: x.onnx: broken\n", [], {}, "pass"),
    ("bad", 1, "Traceback (most recent call last):\n  File …\nValueError: x\n", [], {},
     "traceback"),
    ("bad", 2, "imcsim: error: one\nimcsim: error: two\n", [], {}, "multi-line error"),
    ("bad", 2, "usage: imcsim …\n", [], {}, "multi-line error"),
    ("bad", 0, "", [], {}, "accepted-garbage"),
    ("bad", 1, "", [], {}, "wrong exit code"),
    ("valid", 2, "imcsim: error: refused\n", [], {}, "wrong exit code"),
    ("valid", 0, "", ["+out.json"], {}, "pass"),
    ("valid", 0, "", ["~m.onnx"], {}, "clobbered"),
    ("bad", 2, "imcsim: error: x\n", ["+.out.json.tmp"], {}, "clobbered"),
    ("either", 0, "", [], {}, "pass"),
    ("either", 2, "imcsim: error: x\n", [], {}, "pass"),
    ("bad", -9, "", [], {"timed_out": True}, "hang"),
    ("bad", 0, "", [], {"leftover_processes": True}, "hang"),
    ("bad", 1, "Traceback …\nMemoryError\n", [], {}, "memory"),
    ("bad", -11, "", [], {}, "crash"),
    ("valid", 0, "", [], {"stdout": "name \x1b[31mred"}, "terminal-injection"),
    ("bad", 2, "imcsim: error: shorter than 4099 bytes\n", [], {}, "leak"),
])
def test_classification(expect, rc, stderr, changes, kw, klass):
    case = Case(id="t", kind="t", argv=(), expect=expect, outputs=("out.json",),
                forbid=(r"shorter than",))
    assert _result(case, rc, stderr, changes=changes, **kw).klass == klass


def test_snapshot_sees_every_change(tmp_path):
    case = Case(id="t", kind="t", argv=(), files={"a": b"1", "d": Dir(), "p": Fifo(),
                                                  "l": Link("a")})
    materialize(case, tmp_path)
    before = snapshot(tmp_path)
    (tmp_path / "a").write_bytes(b"2")
    (tmp_path / "d" / "new").write_text("x")
    os.chmod(tmp_path / "p", 0o600)
    (tmp_path / "l").unlink()
    assert diff(before, snapshot(tmp_path)) == ["+d/new", "-l", "~a", "~p"]


def test_a_hang_is_caught_and_killed():
    case = Case(id="t", kind="t", argv=("compile", "m.onnx"), files={"m.onnx": Fifo()},
                timeout=3)
    r = run_case(case)
    assert r.klass in ("hang", "pass"), r.summary()  # pass once FIFOs are refused
    assert r.seconds < 30


# ---------------------------------------------------------------- in-process property


def _keys() -> list[str]:
    from imcsim import config

    return [row[0] for row in config.schema_rows() if "<" not in row[0] and row[0] != "overrides"]


_values = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
            max_size=20),
    st.integers(-(2**70), 2**70).map(str), st.floats().map(repr),
    st.sampled_from(["5e-324", "1e-300", "1e300", ".nan", ".inf", "0200", "&a [*a]",
                     "[" * 60 + "]" * 60, "!!python/name:os.system", "~", "yes", "[1, 2]"]))


@settings(max_examples=60, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(key=st.sampled_from(_keys()), value=_values)
def test_any_set_value_is_a_result_or_one_line(key, value):
    """``imcsim arch --set KEY=VALUE`` in this process, for random keys and values: exit 0,
    or exit 2 with exactly one ``imcsim: error:`` line; no exception escapes."""
    from imcsim.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(["arch", "--set", f"{key}={value}"])
        except SystemExit as e:  # argparse
            rc = e.code
    lines = [ln for ln in err.getvalue().splitlines() if ln.strip()]
    assert rc in (0, 2), (rc, err.getvalue())
    if rc == 2:
        assert len(lines) == 1 and lines[0].startswith("imcsim: error:"), err.getvalue()
    assert "\x1b" not in out.getvalue() + err.getvalue()
