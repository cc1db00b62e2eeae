"""Property-based cases drawn with Hypothesis: byte mutations of a valid ONNX model and of
a valid YAML config, random structured configs, random option values and random Matrix
Market text. Every draw is deterministic (``derandomize=True``, no example database), so
CI sees the same cases every run; the first few of each family are in the CI subset.

Every case here is ``either``: a mutated file may still be valid. What must never happen
is a traceback, a hang, a memory blow-up, a clobbered file or a multi-line error.
"""

from __future__ import annotations

import functools
from typing import Any

import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from fuzz.cases import Case, digest, matrix, preset, tiny

FULL = 40  # draws per family in the full set
CI = (7, 13)  # which draws of each family run in CI (the first ones are the simplest)


def draw(strategy: st.SearchStrategy, n: int) -> list[Any]:
    """``n`` distinct examples of ``strategy``, the same ones every run."""
    found: list[Any] = []
    seen: set[str] = set()

    @settings(max_examples=n * 3, derandomize=True, database=None, deadline=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(example: Any) -> None:
        key = digest(repr(example), 16)
        if key not in seen and len(found) < n:
            seen.add(key)
            found.append(example)

    collect()
    return found


# ---------------------------------------------------------------- byte mutations


@st.composite
def mutated(draw_: Any, data: bytes) -> bytes:
    """``data`` with a few bytes overwritten, inserted or deleted, maybe truncated."""
    out = bytearray(data)
    for _ in range(draw_(st.integers(1, 8))):
        op = draw_(st.sampled_from(("set", "set", "insert", "delete", "flip")))
        pos = draw_(st.integers(0, max(0, len(out) - 1)))
        if op == "set":
            out[pos] = draw_(st.integers(0, 255))
        elif op == "flip":
            out[pos] ^= 1 << draw_(st.integers(0, 7))
        elif op == "insert":
            out[pos:pos] = draw_(st.binary(min_size=1, max_size=16))
        elif out:
            del out[pos:pos + draw_(st.integers(1, 16))]
    if draw_(st.booleans()) and draw_(st.booleans()):
        out = out[: draw_(st.integers(0, len(out)))]
    return bytes(out)


def _onnx_mutations(n: int) -> list[Case]:
    return [Case(id=f"hyp-onnx-mutation-{i:02d}-{digest(data)}", kind="hyp-onnx",
                 argv=("compile", "m.onnx"), files={"m.onnx": data}, expect="either",
                 ci=i in CI)
            for i, data in enumerate(draw(mutated(tiny()), n))]


def _yaml_mutations(n: int) -> list[Case]:
    base = preset("rram_128").encode()
    return [Case(id=f"hyp-yaml-mutation-{i:02d}-{digest(data)}", kind="hyp-yaml",
                 argv=("arch", "f.yaml"), files={"f.yaml": data}, expect="either", ci=i in CI)
            for i, data in enumerate(draw(mutated(base), n))]


# ---------------------------------------------------------------- structured configs


@functools.cache
def _keys() -> list[str]:
    from imcsim import config

    return [row[0] for row in config.schema_rows() if "<" not in row[0] and row[0] != "overrides"]


_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                max_size=30)
_scalars = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, 1, -1, 2**20, 2**20 + 1, 2**31, 2**63, 10**100]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([5e-324, 1e-300, 1e300, 1.7976931348623157e308, -0.0]),
    st.booleans(), st.none(), _text)
_values = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(_text, inner, max_size=4)), max_leaves=8)


@st.composite
def configs(draw_: Any) -> str:
    doc: dict[str, Any] = {"name": draw_(st.one_of(st.just("fuzz"), _values))}
    for key in draw_(st.lists(st.sampled_from(_keys()), min_size=1, max_size=6, unique=True)):
        section, _, leaf = key.rpartition(".")
        value = draw_(_values)
        if section:
            doc.setdefault(section, {})
            if isinstance(doc[section], dict):
                doc[section][leaf] = value
        else:
            doc[leaf] = value
    return yaml.safe_dump(doc, allow_unicode=True)


def _configs(n: int) -> list[Case]:
    return [Case(id=f"hyp-config-{i:02d}-{digest(text)}", kind="hyp-yaml",
                 argv=("compile", "m.onnx", "--arch", "f.yaml"),
                 files={"f.yaml": text, "m.onnx": tiny()}, expect="either", ci=i in CI)
            for i, text in enumerate(draw(configs(), n))]


# ---------------------------------------------------------------- option values


_OPTIONS: list[tuple[tuple[str, ...], str]] = [
    (("compile", "m.onnx"), "--duplication"), (("compile", "m.onnx"), "--batch"),
    (("compile", "m.onnx", "--activity-from", "random"), "--samples"),
    (("compile", "m.onnx", "--activity-from", "random", "--samples", "1"), "--seed"),
    (("compile", "m.onnx"), "--layers"), (("compile", "m.onnx"), "--set"),
    (("compile", "m.onnx"), "--arch"), (("compile", "m.onnx"), "--activity-from"),
    (("arch",), "--set"), (("solve", "a.mtx"), "--tol"), (("solve", "a.mtx"), "--method"),
    (("solve", "a.mtx", "--method", "bitslice"), "--slices"), (("solve", "a.mtx"), "--inner"),
    (("pagerank", "a.mtx"), "--damping"), (("sparse", "a.mtx"), "--strategy"),
    (("sweep", "m.onnx", "--out", "s", "--quiet", "--no-plots"), "--grid"),
    (("sweep", "m.onnx", "--out", "s", "--quiet", "--no-plots", "--grid", "adc.bits=4,5"),
     "--points"),
    (("sweep", "m.onnx", "--out", "s", "--quiet", "--no-plots", "--grid", "adc.bits=4,5"),
     "--scheduler"),
]
_option_text = st.one_of(
    _text, st.from_regex(r"-?[0-9٠-٩²³]{1,30}(\.\.-?[0-9]{1,12})?", fullmatch=True),
    st.from_regex(r"[a-z_]{1,10}(\.[a-z_]{1,12}){0,2}=[^\x00]{0,20}", fullmatch=True).filter(
        lambda s: not any(0xD800 <= ord(c) <= 0xDFFF for c in s)),
    st.sampled_from(["nan", "inf", "-inf", "1e309", "5e-324", "-0", "0x10", "1_000", " 1 ",
                     "auto", "none", "-", "--", "", "tcp://127.0.0.1:1"]))


def _options(n: int) -> list[Case]:
    strategy = st.tuples(st.sampled_from(range(len(_OPTIONS))), _option_text)
    out = []
    for i, (k, value) in enumerate(draw(strategy, n)):
        prefix, option = _OPTIONS[k]
        if option == "--scheduler" and not value.startswith(("tcp://127.0.0.1", "garbage")):
            value = "garbage://" + value  # never a name lookup: nothing leaves the machine
        files: dict[str, Any] = {"m.onnx": tiny()} if "m.onnx" in prefix else {}
        if "a.mtx" in prefix:
            files["a.mtx"] = matrix("karate.mtx" if prefix[0] != "solve" else "nos4.mtx")
        out.append(Case(id=f"hyp-option-{i:02d}-{option.lstrip('-')}-{digest(value)}",
                        kind="hyp-options", argv=(*prefix, f"{option}={value}"), files=files,
                        expect="either", ok_rc=(0, 1), outputs=("s/",), ci=i in CI,
                        timeout=60, error_outputs=("s/",) if option == "--grid" else ()))
    return out


# ---------------------------------------------------------------- Matrix Market text


_token = st.one_of(st.integers(-5, 12).map(str), st.floats().map(repr),
                   st.sampled_from(["nan", "inf", "1e308", "-1e308", "abc", "", "%", "0x1",
                                    "99999999999999999999"]))


@st.composite
def market(draw_: Any) -> str:
    banner = draw_(st.sampled_from([
        "%%MatrixMarket matrix coordinate real general",
        "%%MatrixMarket matrix coordinate real symmetric",
        "%%MatrixMarket matrix coordinate pattern general",
        "%%MatrixMarket matrix coordinate integer skew-symmetric",
        "%%MatrixMarket matrix array real general", "%%MatrixMarket", ""]))
    size = " ".join(draw_(st.lists(_token, min_size=0, max_size=4)))
    lines = [" ".join(draw_(st.lists(_token, min_size=0, max_size=4)))
             for _ in range(draw_(st.integers(0, 12)))]
    return "\n".join([banner, size, *lines]) + "\n"


def _markets(n: int) -> list[Case]:
    return [Case(id=f"hyp-matrix-{i:02d}-{digest(text)}", kind="hyp-matrix",
                 argv=("sparse", "a.mtx", "--arch", "rram_128", "--no-error"),
                 files={"a.mtx": text}, expect="either", ci=i in CI, timeout=60)
            for i, text in enumerate(draw(market(), n))]


def cases(n: int = FULL) -> list[Case]:
    return [*_onnx_mutations(n), *_yaml_mutations(n), *_configs(n), *_options(n),
            *_markets(n)]
