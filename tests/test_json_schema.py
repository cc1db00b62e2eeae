"""JSON Schemas (issue #11): `imcsim schema --json-schema NAME` prints a draft 2020-12
schema for the config and every JSON output; real outputs of the CLI validate against
them, every bundled preset validates against the config schema, and the schemas refuse
what the documentation forbids (expected outcomes from the documented bounds: `imcsim
schema` says array.rows ≥ 1, adc.model is one of cim | sar | …, and so on)."""

from __future__ import annotations

import copy
import functools
import json
import subprocess
import sys
import typing
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator  # the dev extra: a missing one fails, never skips

REPO = Path(__file__).resolve().parents[1]
MODEL = REPO / "models" / "tiny_cnn.onnx"
MATRICES = REPO / "tests" / "fixtures" / "matrices"
OUTPUTS = ("compile", "arch", "accuracy", "sparse", "solve", "pagerank", "app")


def _imcsim(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "imcsim", *argv], capture_output=True,
                          text=True, check=False, cwd=REPO)


@functools.cache
def _schema(name: str) -> dict:
    """The schema as the CLI prints it (what a user of the package gets)."""
    r = _imcsim("schema", "--json-schema", name)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(_schema(name))


@functools.cache
def _report(*argv: str, rc: tuple[int, ...] = (0,)) -> str:
    r = _imcsim(*argv, "--json", "-")
    assert r.returncode in rc, r.stderr
    return r.stdout


def _errors(name: str, doc: object) -> list[str]:
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
            for e in _validator(name).iter_errors(doc)]


# ---------------------------------------------------------------- the schemas themselves


@pytest.mark.parametrize("name", ("config", *OUTPUTS))
def test_each_schema_is_a_valid_draft_2020_12_schema_tied_to_the_schema_version(name):
    from imcsim.report import SCHEMA_VERSION

    s = _schema(name)
    Draft202012Validator.check_schema(s)
    assert s["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert s["$id"].endswith(f":{name}:v{SCHEMA_VERSION}")


def test_plain_schema_still_prints_the_field_table():
    r = _imcsim("schema", "--format", "csv")
    assert r.returncode == 0 and "array.rows" in r.stdout and not r.stdout.startswith("{")


def test_an_unknown_schema_name_is_one_error_line():
    r = _imcsim("schema", "--json-schema", "bogus")
    assert r.returncode == 2 and "invalid choice" in r.stderr and r.stdout == ""


# ---------------------------------------------------------------- real outputs validate


CASES = {
    "compile": (("compile", str(MODEL)), (0,)),
    "compile cycle": (("compile", str(MODEL), "--cycle", "--set", "tile.buffer_bytes=8192"),
                      (0,)),
    "arch": (("arch", "isaac"), (0,)),
    "sparse": (("sparse", str(MATRICES / "nos4.mtx"), "--no-error"), (0,)),
    "solve": (("solve", str(MATRICES / "nos4.mtx")), (0,)),  # refine, converges
    # one settling step on 2-bit cells misses 1e-6: exit 1, the report is still written
    "solve one-step": (("solve", str(MATRICES / "bcsstk01.mtx"), "--method", "one-step"),
                       (0, 1)),
    "solve gmres-ir": (("solve", str(MATRICES / "nos4.mtx"), "--method", "gmres-ir",
                        "--set", "adc.range=calibrated"), (0,)),
    "solve bitslice": (("solve", str(MATRICES / "bcsstk01.mtx"), "--method", "bitslice",
                        "--slices", "3"), (0,)),
    "pagerank": (("pagerank", str(MATRICES / "karate.mtx")), (0, 1)),
    "accuracy": (("accuracy", str(MODEL), "--samples", "4"), (0,)),
    "app maxcut": (("app", "maxcut", "--nodes", "12", "--trials", "10"), (0,)),
    "app kmeans": (("app", "kmeans", "--epochs", "1"), (0,)),
}


def _case(key: str) -> dict:
    argv, rc = CASES[key]
    return json.loads(_report(*argv, rc=rc))


@pytest.mark.parametrize("key", CASES)
def test_a_real_output_validates_against_its_schema(key):
    name = key.split()[0]
    assert _errors(name, _case(key)) == []


# ---------------------------------------------------------------- output schemas refuse


def _set(doc: dict, path: str, value: object) -> dict:
    doc = copy.deepcopy(doc)
    *parents, last = path.split(".")
    node: typing.Any = doc
    for p in parents:
        node = node[int(p)] if isinstance(node, list) else node[p]
    if value is KeyError:
        del node[last]
    else:
        node[last] = value
    return doc


@pytest.mark.parametrize("path,value", [
    ("imcsim.schema_version", 999),  # another version of the structure
    ("imcsim.config", KeyError),  # provenance without the resolved config
    ("imcsim.config.array.rows", 0),  # the resolved config obeys the config's bounds
    ("imcsim.inputs.0.sha256", "not-a-hash"),
    ("energy.total_j", KeyError),  # a documented key missing
    ("energy.total_j", "3 nJ"),  # a number as text
    ("energy.breakdown.flux_capacitor", 1e-9),  # not a component
    ("mapping.utilization", 1.5),  # a fraction above 1
    ("layers.0.kind", "quantum"),
    ("layers.0.arrays", 2.5),  # a count that is not whole
    ("surprise", 1),  # an undocumented top-level key
    ("cycle.stalls.weather", 1e-9),  # a stall reason the simulator does not have
    ("cycle.buffers", "elastic"),
    ("layers.0.cycle.busy_s", -1.0),
    ("cycle.latency_s", KeyError),
])
def test_the_compile_schema_refuses_a_changed_report(path, value):
    doc = _case("compile cycle")
    assert doc["imcsim"]["inputs"], "the model file should be listed among the inputs"
    assert _errors("compile", doc) == []
    assert _errors("compile", _set(doc, path, value)), (path, value)


def test_the_solve_schema_checks_each_methods_details():
    refine, gmres = _case("solve"), _case("solve gmres-ir")
    assert _errors("solve", _set(gmres, "details.restart", KeyError))
    assert _errors("solve", _set(refine, "details.restart", 100))  # not a refine key
    assert _errors("solve", _set(refine, "method", "pagerank"))  # pagerank is its own command
    assert _errors("pagerank", _set(_case("pagerank"), "details.damping", 1.5))


# ---------------------------------------------------------------- the config schema


@pytest.mark.parametrize("preset", sorted(p.stem for p in (REPO / "arch_configs").glob("*.yaml")))
def test_every_bundled_preset_validates_against_the_config_schema(preset):
    doc = yaml.safe_load((REPO / "arch_configs" / f"{preset}.yaml").read_text(encoding="utf-8"))
    assert _errors("config", doc) == []


def test_a_minimal_config_and_empty_sections_are_valid():
    """Only `name` is required; an empty section (YAML `array:`) means every default —
    the loader accepts both."""
    assert _errors("config", {"name": "x"}) == []
    assert _errors("config", {"name": "x", "array": None, "overrides": {"adc": None}}) == []
    assert _errors("config", {}) != []  # no name
    # PyYAML (YAML 1.1) reads 1.0e9 as text; the loader converts it, so the schema allows it
    assert _errors("config", yaml.safe_load("name: x\ntechnology: {clock_hz: 1.0e9}")) == []


INVALID = [
    ({"array": {"rows": -128}}, "array.rows"),  # crossbar rows ≥ 1
    ({"array": {"rows": 0}}, "array.rows"),
    ({"array": {"rows": 12.5}}, "array.rows"),  # an integer field
    ({"array": {"rows": True}}, "array.rows"),  # a boolean is not a count
    ({"array": {"rowz": 128}}, "array"),  # unknown key
    ({"colour": "blue"}, ""),  # unknown top-level key
    ({"adc": {"model": "magic"}}, "adc.model"),  # not one of cim | sar | table | …
    ({"precision": {"signed_scheme": "sign_magnitude"}}, "precision.signed_scheme"),
    ({"adc": {"percentile": 50}}, "adc.percentile"),  # documented > 50 %
    ({"technology": {"clock_hz": 0}}, "technology.clock_hz"),  # documented > 0 Hz
    ({"nonideal": {"stuck_on_fraction": 1.5}}, "nonideal.stuck_on_fraction"),  # ≤ 1
    ({"array": {"r_on_ohm": 0.5}}, "array.r_on_ohm"),  # resistances ≥ 1 Ω
    ({"array": "big"}, "array"),  # a section must be a mapping
    ({"overrides": {"warp_drive": {"energy_pj": 1}}}, "overrides"),  # unknown component
    ({"overrides": {"adc": {"energy_pj": -1}}}, "overrides.adc.energy_pj"),  # ≥ 0 pJ
    ({"readout": {"differential": "yes"}}, "readout.differential"),  # true or false
    ({"technology": {"clock_hz": "fast"}}, "technology.clock_hz"),  # text, but not a number
]


@pytest.mark.parametrize("change,where", INVALID)
def test_the_config_schema_refuses_what_the_documentation_forbids(change, where, tmp_path):
    from imcsim.config import load_arch
    from imcsim.errors import ConfigError

    doc = {"name": "x", **change}
    errors = _errors("config", doc)
    assert errors and any(e.startswith(where) for e in errors), errors
    # and the loader, which the schema describes, refuses it too
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(ConfigError):
        load_arch(path)


def _bounded_fields() -> list[tuple[str, str, float, str]]:
    """(key path, type, value just outside a documented bound, which bound)."""
    from imcsim import config

    out = []
    for key, tp, meta in config.numeric_fields():
        step = 1 if tp is int else 1e-9
        if meta.get("gt") is not None:
            out.append((key, tp.__name__, meta["gt"], "gt"))
        if meta.get("ge") is not None:
            out.append((key, tp.__name__, meta["ge"] - max(step, abs(meta["ge"]) * 1e-6), "ge"))
        if meta.get("le") is not None:
            out.append((key, tp.__name__, meta["le"] + max(step, abs(meta["le"]) * 1e-6), "le"))
    return out


def test_every_documented_bound_is_in_the_schema_and_the_loader():
    """For every bounded number (`gt`/`ge`/`le` beside each field, shown by `imcsim
    schema`), a value just outside the bound is refused by the schema and by the loader,
    naming the key."""
    from imcsim.config import load_arch
    from imcsim.errors import ConfigError

    cases = _bounded_fields()
    assert len(cases) > 80  # every section's numbers, not a handful
    for key, tp, value, bound in cases:
        section, name = key.split(".")
        value = int(value) if tp == "int" else value
        errors = _errors("config", {"name": "x", section: {name: value}})
        assert any(e.startswith(key) for e in errors), (key, bound, value, errors)
        with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
            load_arch("rram_128", values={key: value})
