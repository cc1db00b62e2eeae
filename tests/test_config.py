"""Architecture configs: presets, schema, overrides, and every problem reported at once."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from imcsim.compiler.mapping import SignedScheme

from imcsim.config import AdcModel, load_arch, preset_names, schema_rows
from imcsim.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]


def test_presets_load_and_match_the_issue():
    assert {"isaac", "rram_128"} <= set(preset_names())
    r = load_arch("rram_128")
    assert (r.technology.node_nm, r.array.rows, r.array.cols, r.array.cell_bits) == (28, 128, 128, 2)
    assert (r.precision.weight_bits, r.precision.input_bits, r.precision.dac_bits) == (8, 8, 1)
    assert r.precision.signed_scheme is SignedScheme.DIFFERENTIAL
    assert (r.adc.bits, r.adc.cols_per_adc, r.adc.model) == (6, 16, AdcModel.CIM)
    assert load_arch(None).name == r.name  # the default preset
    assert load_arch(REPO / "arch_configs" / "isaac.yaml").name == "ISAAC"


def test_set_overrides_are_typed_and_validated():
    a = load_arch("rram_128", ["adc.bits=5", "array.rows=256", "precision.signed_scheme=offset",
                               "array.read_time_s=2e-8"])
    assert (a.adc.bits, a.array.rows, a.array.read_time_s) == (5, 256, 2e-8)
    assert a.precision.signed_scheme is SignedScheme.OFFSET


def test_every_problem_is_listed_with_its_key_path(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(textwrap.dedent("""
        name: bad
        array: {rows: 0, cols: -4, cell_bits: 2, colour: blue}
        adc: {bits: 0, model: magic}
        precision: {signed_scheme: sideways}
    """))
    with pytest.raises(ConfigError) as e:
        load_arch(bad)
    msg = str(e.value)
    assert msg.startswith(str(bad))
    for key in ("array.rows", "array.cols", "array.colour", "adc.bits", "adc.model",
                "precision.signed_scheme"):
        assert key in msg, key
    assert "6 problem(s)" in msg


def test_cross_field_checks():
    with pytest.raises(ConfigError, match="r_off_ohm"):
        load_arch("rram_128", ["array.r_off_ohm=10"])
    # 5e-324 Ω is a float, not a device: 1/R overflows to inf and every current is NaN
    with pytest.raises(ConfigError, match="array.r_on_ohm"):
        load_arch("rram_128", ["array.r_on_ohm=5e-324"])
    # a DAC wider than the inputs applies them in one read (8-bit inputs, 9-bit DAC)
    assert load_arch("rram_128", ["precision.dac_bits=9"]).array_spec().input_cycles == 1
    with pytest.raises(ConfigError, match="adc.arrays_per_adc"):
        load_arch("rram_128", ["adc.arrays_per_adc=3"])  # 8 arrays per core: not whole groups
    with pytest.raises(ConfigError, match="sign and at least one magnitude bit"):
        load_arch("rram_128", ["precision.weight_bits=1", "array.cell_bits=1"])


def test_upper_bounds_reject_absurd_values_all_at_once():
    """Values that overflowed the cost arithmetic (node 1e300 nm → (node/32)² > 1.8e308)
    are refused with their key paths, every one in the same error."""
    with pytest.raises(ConfigError) as e:
        load_arch("rram_128", ["technology.node_nm=1e300", "technology.vdd_v=100",
                               "technology.clock_hz=1e13", "array.rows=2097152",
                               "array.r_off_ohm=1e16", "adc.sample_rate_hz=1e13",
                               "array.read_time_s=2", "hierarchy.tiles_per_chip=2097152"])
    msg = str(e.value)
    assert "8 problem(s)" in msg
    for key in ("technology.node_nm", "technology.vdd_v", "technology.clock_hz", "array.rows",
                "array.r_off_ohm", "adc.sample_rate_hz", "array.read_time_s",
                "hierarchy.tiles_per_chip"):
        assert key in msg, key
    edge = load_arch("rram_128", ["technology.node_nm=1000", "array.rows=1048576"])
    assert (edge.technology.node_nm, edge.array.rows) == (1000, 2**20)  # bounds are inclusive


def test_schema_documents_every_field_with_a_unit_column():
    rows = {r[0]: r for r in schema_rows()}
    assert rows["array.read_time_s"][2] == "s"
    assert rows["adc.sample_rate_hz"][2] == "Hz"
    assert rows["technology.node_nm"][2] == "nm"
    assert all(r[3] for r in rows.values()), "every field has a meaning"


def test_presets_work_from_an_installed_wheel(tmp_path):
    """Install the package (non-editable) into a folder and load presets from elsewhere."""
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--no-build-isolation", "--target", str(target), str(REPO)],
                   check=True, capture_output=True)
    # every subpackage must be in the wheel: import the whole CLI path, not just the config
    code = ("import imcsim.cli, imcsim.sim, imcsim.functional.executor, imcsim.compiler.sparse; "
            "from imcsim.config import load_arch; print(load_arch('isaac').name)")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, env={"PYTHONPATH": str(target)}, check=True)
    assert out.stdout.strip() == "ISAAC"
    # one top-level package: the compiler is inside it, the shim replaced by the real code
    assert sorted(p.name for p in target.iterdir() if (p / "__init__.py").exists()) == ["imcsim"]
    assert "exec(" not in (target / "imcsim" / "compiler" / "__init__.py").read_text()
